"""Load and validate a prompts directory (`*.toml` packs plus `challenges.toml`) into a Library.

Loading never stops at the first problem: everything wrong is collected and raised together as a
LibraryError, so an author can fix a whole pack in one pass.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.models import Category, Challenge, ChallengeDay, Depth, Kind, Library, Prompt
from bot.library.problems import LibraryError, Problem
from bot.library.rules import check_challenges, check_prompts
from bot.library.schema import (
    ChallengeEntry,
    ChallengesFile,
    DayEntry,
    PackFile,
    PromptEntry,
    validate,
)
from bot.library.source import Located, Source
from bot.library.toml_lines import index_lines

__all__ = ["LibraryCounts", "LibraryError", "Problem", "library_counts", "load_library"]

CHALLENGES_FILE = "challenges.toml"

_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$")

_Days = list[Located[DayEntry]]


@dataclass(frozen=True, slots=True)
class LibraryCounts:
    by_category: Mapping[Category, Mapping[Depth, int]]
    prompts: int
    categories: int
    activities: int
    challenges: int


def load_library(directory: Path) -> Library:
    if not directory.is_dir():
        raise LibraryError([Problem(str(directory), 0, "not a directory")])
    problems: list[Problem] = []
    packs = sorted(
        p
        for p in directory.glob("*.toml")
        if p.name != CHALLENGES_FILE and not p.name.startswith(".")
    )
    if not packs:
        problems.append(Problem(str(directory), 0, "no prompt packs (*.toml) found"))
    prompts: list[Located[PromptEntry]] = []
    known_ids: set[str] = set()
    all_read = True
    for path in packs:
        all_read &= _load_pack(path, prompts, known_ids, problems)
    problems.extend(check_prompts(prompts))

    by_id: dict[str, PromptEntry] = {}
    for item in prompts:
        by_id.setdefault(item.entry.id, item.entry)
    challenges: list[tuple[Located[ChallengeEntry], _Days]] = []
    challenges_path = directory / CHALLENGES_FILE
    if challenges_path.is_file():
        _load_challenges(challenges_path, challenges, problems)
    problems.extend(check_challenges(challenges, by_id, frozenset(known_ids), all_read))

    if problems:
        raise LibraryError(problems)
    return Library(
        prompts=tuple(_prompt(item.entry) for item in prompts),
        challenges=tuple(_challenge(item.entry, days) for item, days in challenges),
    )


def library_counts(lib: Library) -> LibraryCounts:
    table = {c: dict.fromkeys(Depth, 0) for c in Category}
    for p in lib.prompts:
        table[p.category][p.depth] += 1
    return LibraryCounts(
        by_category=table,
        prompts=len(lib.prompts),
        categories=sum(1 for row in table.values() if any(row.values())),
        activities=sum(1 for p in lib.prompts if p.kind is Kind.ACTIVITY),
        challenges=len(lib.challenges),
    )


def _load_pack(
    path: Path,
    prompts: list[Located[PromptEntry]],
    known_ids: set[str],
    problems: list[Problem],
) -> bool:
    """Append the pack's valid prompts; False if the file as a whole could not be read."""
    read = _read(path, problems)
    if read is None:
        return False
    data, source = read
    pack, errors = validate(PackFile, data)
    problems.extend(source.problem(loc, message) for loc, message in errors)
    if pack is None:
        return False
    if not pack.prompt:
        problems.append(source.problem((), "no [[prompt]] tables in this file"))
    for i, raw in enumerate(pack.prompt):
        prompt_id = raw.get("id")
        if isinstance(prompt_id, str):
            known_ids.add(prompt_id)
        entry, errors = validate(PromptEntry, raw)
        problems.extend(source.problem(("prompt", i, *loc), message) for loc, message in errors)
        if entry is not None:
            prompts.append(Located(entry, source, ("prompt", i)))
    return True


def _load_challenges(
    path: Path,
    challenges: list[tuple[Located[ChallengeEntry], _Days]],
    problems: list[Problem],
) -> None:
    read = _read(path, problems)
    if read is None:
        return
    data, source = read
    file, errors = validate(ChallengesFile, data)
    problems.extend(source.problem(loc, message) for loc, message in errors)
    if file is None:
        return
    for i, raw in enumerate(file.challenge):
        entry, errors = validate(ChallengeEntry, raw)
        problems.extend(source.problem(("challenge", i, *loc), message) for loc, message in errors)
        days = _load_days(source, i, raw.get("day"), problems)
        if entry is not None:
            challenges.append((Located(entry, source, ("challenge", i)), days))


def _load_days(source: Source, index: int, raw_days: object, problems: list[Problem]) -> _Days:
    """Validate days even when their challenge is invalid, so their problems show up too."""
    days: _Days = []
    if not isinstance(raw_days, list):
        return days  # Reported by ChallengeEntry validation, unless simply absent.
    for j, raw_day in enumerate(raw_days):
        if not isinstance(raw_day, dict):
            continue  # Already reported by ChallengeEntry validation.
        day_loc = ("challenge", index, "day", j)
        day, errors = validate(DayEntry, raw_day)
        problems.extend(source.problem((*day_loc, *loc), message) for loc, message in errors)
        if day is not None:
            days.append(Located(day, source, day_loc))
    return days


def _read(path: Path, problems: list[Problem]) -> tuple[dict[str, object], Source] | None:
    label = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(label, 0, f"cannot read file: {exc.strerror or exc}"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(label, raw[: exc.start].count(b"\n") + 1, "file is not UTF-8"))
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = _toml_error(str(exc), text)
        problems.append(Problem(label, line, f"invalid TOML: {message}"))
        return None
    return data, Source(label, index_lines(text))


def _toml_error(error: str, text: str) -> tuple[int, str]:
    position = _TOML_POSITION.search(error)
    message = error[: position.start()] if position else error
    message = message[:1].lower() + message[1:]
    if position is not None and position.group(1) is not None:
        return int(position.group(1)), message
    # "At end of document": the last line that has any content.
    return max(1, len(text.rstrip().split("\n"))), message


def _prompt(entry: PromptEntry) -> Prompt:
    return Prompt(
        id=entry.id,
        category=entry.category,
        depth=entry.depth,
        kind=entry.kind,
        audience=frozenset(entry.audience),
        text=entry.text,
        minutes=entry.minutes,
        follow_up=entry.follow_up,
        options=tuple(entry.options or ()),
    )


def _challenge(entry: ChallengeEntry, days: Sequence[Located[DayEntry]]) -> Challenge:
    return Challenge(
        id=entry.id,
        name=entry.name,
        intro=entry.intro,
        closing=entry.closing,
        audience=frozenset(entry.audience),
        days=tuple(
            ChallengeDay(
                day=number,
                title=item.entry.title,
                prompt_id=item.entry.prompt,
                stand_in_id=item.entry.stand_in,
                category=item.entry.category,
                # The pack format documents "light" as the default depth of a category day.
                depth=(item.entry.depth or Depth.LIGHT) if item.entry.category else None,
            )
            for number, item in enumerate(days, start=1)
        ),
    )
