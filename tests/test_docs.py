"""docs/internals.md stays true: every file, folder and name it points a reader to exists."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = (REPO / "docs" / "internals.md").read_text()
CODE = re.compile(r"`([^`\n]+)`")
TOP = ("bot/", "tests/", "prompts/", "docs/", "benchmarks/", ".ci/")
# The feature table's columns, and where a bare file name in each lives.
COLUMNS = {"core": "bot/core", "storage": "bot/storage", "service": "bot/services"}


def defines(path: Path, name: str) -> bool:
    pattern = rf"^\s*(?:async def|def|class) {re.escape(name)}\b|^\s*{re.escape(name)}\b.*="
    return bool(re.search(pattern, path.read_text(), re.M))


def test_every_repository_path_exists() -> None:
    named = [m for m in CODE.findall(DOC) if m.startswith(TOP)]
    assert len(named) > 5
    missing = [path for path in named if not (REPO / path).exists()]
    assert missing == []


def test_every_migration_named_exists() -> None:
    named = set(re.findall(r"\b\d{4}_\w+\.sql\b", DOC))
    shipped = {p.name for p in (REPO / "bot" / "storage" / "migrations").glob("*.sql")}
    assert named == shipped, "the doc lists every migration, and only real ones"
    for number in re.findall(r"migration (\d{4})\b", DOC):
        assert any(name.startswith(number) for name in shipped), number


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def test_feature_table_names_real_files_and_names() -> None:
    lines = DOC.split("## Where each feature lives", 1)[1].splitlines()
    rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    header, body = cells(rows[0])[1:], rows[1:]
    assert header == ["core", "storage", "service", "cogs / ui"] and len(body) > 5
    problems = []
    for row in body:
        for column, cell in zip(header, cells(row)[1:], strict=True):
            folder = COLUMNS.get(column, "bot/cogs")
            for token in CODE.findall(cell):
                if token.startswith("ui/"):
                    folder, token = "bot/ui", token.removeprefix("ui/")
                module, _, name = token.partition(".")
                path = REPO / folder / f"{module}.py"
                if token.endswith(".py"):
                    ok = path.exists()
                elif name:  # `models.Relationship`: a name in a module of this column
                    ok = path.exists() and defines(path, name)
                else:  # a bare name (a producer): defined in this column's folder
                    ok = any(defines(p, token) for p in (REPO / folder).glob("*.py"))
                if not ok:
                    problems.append(f"{column}: {token}")
    assert problems == []


def test_dotted_names_resolve() -> None:
    # `privacy.USER_ID_COLUMNS`, `bot.errors.UserFacingError`, `GuildService.purge_due`, …: the
    # name exists in that module, or in the file defining that class. Other libraries' names
    # (`aiosqlite.Connection`) and objects in examples (`sandbox.faults`) are not ours to check.
    files = list((REPO / "bot").rglob("*.py"))
    checked = 0
    for token in CODE.findall(DOC):
        match = re.fullmatch(r"(?:bot\.)?(\w+)\.(\w+)", token)
        if match is None or token.endswith((".py", ".sql", ".md")):
            continue
        owner, name = match.groups()
        homes = [p for p in files if p.stem == owner or (defines(p, owner) and owner[0].isupper())]
        if not homes:
            continue
        checked += 1
        assert any(defines(path, name) for path in homes), token
    assert checked >= 5
