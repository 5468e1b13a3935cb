"""Rules that types alone cannot express: id formats, lengths, activity fields, cross-references.

Each check yields problems instead of raising, so one run reports everything that is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from bot.core.models import Audience, Category, Depth, Kind
from bot.library.problems import Problem
from bot.library.schema import ChallengeEntry, DayEntry, PromptEntry
from bot.library.similarity import near_duplicates
from bot.library.source import Located

TEXT_LIMIT = 300
MIN_MINUTES, MAX_MINUTES = 5, 120
MIN_DAYS, MAX_DAYS = 5, 7

_PROMPT_ID = re.compile(r"(?P<category>[a-z_]+)\.[a-z0-9]+(?:-[a-z0-9]+)*")
_CHALLENGE_ID = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


def check_prompts(prompts: Sequence[Located[PromptEntry]]) -> Iterator[Problem]:
    first: dict[str, Located[PromptEntry]] = {}
    for item in prompts:
        yield from _prompt_fields(item)
        seen = first.setdefault(item.entry.id, item)
        if seen is not item:
            yield item.problem(
                "id", f"duplicate id '{item.entry.id}' (first at {seen.where('id')})"
            )
    for match in near_duplicates([p.entry.text for p in prompts]):
        later, earlier = prompts[match.later], prompts[match.earlier]
        other = f"'{earlier.entry.id}' ({earlier.where('text')})"
        if match.identical:
            yield later.problem("text", f"text duplicates {other}")
        else:
            yield later.problem("text", f"text is {int(match.score * 100)}% similar to {other}")


def check_challenges(
    challenges: Sequence[tuple[Located[ChallengeEntry], Sequence[Located[DayEntry]]]],
    prompts: Mapping[str, PromptEntry],
    known_ids: frozenset[str],
    check_pools: bool = True,
) -> Iterator[Problem]:
    """Cross-check challenges against the prompts.

    `known_ids` includes ids of prompts that failed validation, and `check_pools` is off when a
    pack could not be read, so one broken file does not cascade into reports about challenges.
    """
    first: dict[str, Located[ChallengeEntry]] = {}
    for item, days in challenges:
        challenge = item.entry
        if _CHALLENGE_ID.fullmatch(challenge.id) is None:
            yield item.problem(
                "id", f"invalid challenge id '{challenge.id}': use a-z, 0-9, - and _"
            )
        seen = first.setdefault(challenge.id, item)
        if seen is not item:
            message = f"duplicate challenge id '{challenge.id}' (first at {seen.where('id')})"
            yield item.problem("id", message)
        for key in ("name", "intro", "closing"):
            if not str(getattr(challenge, key)).strip():
                yield item.problem(key, f"{key} is empty")
        count = len(challenge.day)
        if not MIN_DAYS <= count <= MAX_DAYS:
            yield item.problem(
                None, f"challenge has {count} days; it needs {MIN_DAYS} to {MAX_DAYS}"
            )
        for day in days:
            yield from _day(day, challenge.audience, prompts, known_ids, check_pools)


def _prompt_fields(item: Located[PromptEntry]) -> Iterator[Problem]:
    p = item.entry
    match = _PROMPT_ID.fullmatch(p.id)
    if match is None:
        yield item.problem("id", f"invalid id '{p.id}': use <category>.<slug>, slug of a-z 0-9 -")
    elif match["category"] != p.category:
        yield item.problem("id", f"id '{p.id}' must start with '{p.category}.'")
    yield from _text(item, "text", p.text)
    if p.kind is Kind.ACTIVITY:
        if p.minutes is None:
            yield item.problem(None, "missing field 'minutes' (required for activities)")
        elif not MIN_MINUTES <= p.minutes <= MAX_MINUTES:
            message = f"minutes is {p.minutes}; it must be {MIN_MINUTES} to {MAX_MINUTES}"
            yield item.problem("minutes", message)
        if p.follow_up is None:
            yield item.problem(None, "missing field 'follow_up' (required for activities)")
        else:
            yield from _text(item, "follow_up", p.follow_up)
    else:
        for key, value in (("minutes", p.minutes), ("follow_up", p.follow_up)):
            if value is not None:
                yield item.problem(key, f"'{key}' is only for activities, not a {p.kind}")
    if p.category is Category.VULNERABILITY and p.depth is Depth.LIGHT:
        yield item.problem("depth", "vulnerability prompts must be medium or deep, not light")


def _text(item: Located[PromptEntry], key: str, value: str) -> Iterator[Problem]:
    if not value.strip():
        yield item.problem(key, f"{key} is empty")
    elif len(value) > TEXT_LIMIT:
        yield item.problem(key, f"{key} is {len(value)} characters; the limit is {TEXT_LIMIT}")


def _day(
    item: Located[DayEntry],
    audience: Audience,
    prompts: Mapping[str, PromptEntry],
    known_ids: frozenset[str],
    check_pools: bool,
) -> Iterator[Problem]:
    day, label = item.entry, f"day {_day_number(item)}"
    if not day.title.strip():
        yield item.problem("title", f"{label}: title is empty")
    if day.prompt is not None and day.category is not None:
        yield item.problem(None, f"{label} has both 'prompt' and 'category'; use one")
    elif day.prompt is None and day.category is None:
        yield item.problem(None, f"{label} needs a 'prompt' or a 'category'")
    elif day.prompt is not None:
        if day.depth is not None:
            yield item.problem("depth", f"{label}: 'depth' only goes with 'category'")
        target = prompts.get(day.prompt)
        if day.prompt not in known_ids:
            yield item.problem("prompt", f"{label}: unknown prompt '{day.prompt}'")
        elif target is not None and audience is Audience.ANY and target.audience is Audience.COUPLE:
            message = f"{label}: '{day.prompt}' is a couple prompt in a challenge for any audience"
            yield item.problem("prompt", message)
    elif day.category is not None and check_pools:
        depth = day.depth or Depth.LIGHT
        if not any(_fits(p, day.category, depth, audience) for p in prompts.values()):
            scope = "'any' prompts" if audience is Audience.ANY else "prompts"
            message = f"{label}: no {scope} in '{day.category}' at '{depth}' or lighter"
            yield item.problem("category", message)


def _fits(prompt: PromptEntry, category: Category, depth: Depth, audience: Audience) -> bool:
    return (
        prompt.category is category
        and depth.allows(prompt.depth)
        and (audience is Audience.COUPLE or prompt.audience is Audience.ANY)
    )


def _day_number(item: Located[DayEntry]) -> int:
    index = item.loc[-1]
    return index + 1 if isinstance(index, int) else 0
