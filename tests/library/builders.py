"""Write small prompt libraries to disk with predictable line numbers.

`prompt_toml` emits `[[prompt]]` on its first line and then one key per line in the order of
PROMPT (id on line 2, category 3, depth 4, kind 5, audience 6, text 7), then any extra keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from bot.library.loader import LibraryError, load_library

Fields = Mapping[str, object]
EVERYONE = ["partners", "friends", "family", "circle"]

PROMPT: dict[str, object] = {
    "id": "humor.funniest-memory",
    "category": "humor",
    "depth": "light",
    "kind": "question",
    "audience": EVERYONE,
    "text": "What is the funniest thing that happened to you at school?",
}

ACTIVITY: dict[str, object] = {
    "id": "humor.blind-drawing",
    "category": "humor",
    "depth": "light",
    "kind": "activity",
    "audience": EVERYONE,
    "text": "Each draw the other's portrait with your eyes closed, then swap and compare.",
    "minutes": 15,
    "follow_up": "Whose drawing got the bigger laugh?",
}

COUPLE: dict[str, object] = {
    "id": "humor.pet-names",
    "category": "humor",
    "depth": "medium",
    "kind": "question",
    "audience": ["partners"],
    "text": "Which silly nickname for me would you secretly love to try out?",
}

CHALLENGE: dict[str, object] = {
    "id": "laugh-week",
    "name": "Laugh Week",
    "audience": EVERYONE,
    "intro": "Five small laughs, one a day.",
    "closing": "That was a week of laughing together.",
}

CATEGORY_DAY: dict[str, object] = {"title": "Something silly", "category": "humor"}


def value(v: object) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(value(item) for item in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(v, ensure_ascii=False)


def table(header: str, base: Fields, **changes: object) -> str:
    """A table; a change of None removes that key, an unknown key is appended."""
    fields = {**base, **changes}
    lines = [header] + [f"{k} = {value(v)}" for k, v in fields.items() if v is not None]
    return "\n".join(lines) + "\n"


def prompt_toml(base: Fields = PROMPT, **changes: object) -> str:
    return table("[[prompt]]", base, **changes)


def challenge_toml(days: Sequence[Fields], base: Fields = CHALLENGE, **changes: object) -> str:
    """`[[challenge]]` on line 1, its keys, then each day as a blank line, header and keys."""
    parts = [table("[[challenge]]", base, **changes)]
    parts += ["\n" + table("[[challenge.day]]", day) for day in days]
    return "".join(parts)


def write(root: Path, files: Mapping[str, str]) -> Path:
    """Create `prompts/` under `root` (the test's working directory) and return Path("prompts")."""
    directory = root / "prompts"
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return Path("prompts")


def problems(root: Path, files: Mapping[str, str]) -> list[str]:
    directory = write(root, files)
    with pytest.raises(LibraryError) as caught:
        load_library(directory)
    return [str(p) for p in caught.value.problems]


def pack(*blocks: str) -> str:
    return "\n".join(blocks)


def base_pack() -> str:
    """Three valid humor prompts that challenges can point at."""
    return pack(prompt_toml(), prompt_toml(ACTIVITY), prompt_toml(COUPLE))
