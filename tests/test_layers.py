"""The layers in docs/internals.md hold in the import graph (every import, TYPE_CHECKING too)."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every `bot…` module a file names, wherever the import sits (functions, TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from bot.storage import guilds` imports the module bot.storage.guilds.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in BOT.rglob("*.py")}
    return {
        name: {target for target in imports_of(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def offending(source: str, forbidden: str) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph().items()
        if in_package(module, source)
        for target in targets
        if in_package(target, forbidden)
    )


def test_the_graph_sees_imports() -> None:
    edges = graph()
    assert "bot.storage.db" in edges["bot.services.guilds"]
    assert "bot.compose" in edges["bot.cogs.admin"]  # under TYPE_CHECKING


def test_the_fake_discord_knows_nothing_of_closer() -> None:
    leaks = sorted(
        f"{module} imports {target}"
        for module, targets in graph().items()
        if in_package(module, "bot.sandbox")
        for target in targets
        if not in_package(target, "bot.sandbox")
    )
    assert leaks == []


def test_cogs_never_import_storage() -> None:
    assert offending("bot.cogs", "bot.storage") == []


def test_delivery_never_imports_cogs() -> None:
    assert offending("bot.delivery", "bot.cogs") == []


def test_shared_constants_are_defined_once() -> None:
    definitions: dict[str, list[str]] = {}
    for path in BOT.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            for target in targets:
                if isinstance(target, ast.Name):
                    definitions.setdefault(target.id, []).append(module_name(path))
    for name in ("ANSWER_LIMIT", "TOO_LATE", "ACCENT"):
        assert len(definitions.get(name, [])) == 1, (name, definitions.get(name))


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path that returns to its start, or [] when there is none."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str]:
        path.append(module)
        on_path.add(module)
        for target in sorted(edges[module]):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done and (cycle := visit(target)):
                return cycle
        path.pop()
        on_path.discard(module)
        done.add(module)
        return []

    for module in sorted(edges):
        if module not in done and (cycle := visit(module)):
            return cycle
    return []


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    # The cogs know the services (bot.compose.Services), never the bot that loads them
    # (bot.app). A cycle here means a layer reaches back up.
    assert find_cycle(graph()) == []


def test_only_the_entry_points_import_the_bot() -> None:
    for layer in ("bot.cogs", "bot.services", "bot.delivery", "bot.storage", "bot.core", "bot.ui"):
        assert offending(layer, "bot.app") == []


def test_services_never_import_the_composition_root_or_cogs() -> None:
    for layer in ("bot.services", "bot.delivery", "bot.storage", "bot.core", "bot.ui"):
        assert offending(layer, "bot.compose") == []
    assert offending("bot.services", "bot.cogs") == []


def test_the_prompt_producer_knows_weeks_and_quiet_only_as_protocols() -> None:
    # Themed weeks and going quiet act inside the producer through the seams it declares
    # (ThemedWeeks, GoingQuiet); bot.compose hands it the services that fill them.
    edges = graph()["bot.services.materialise"]
    assert "bot.services.challenges" not in edges and "bot.services.followups" not in edges
