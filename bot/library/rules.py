"""Rules that types alone cannot express: id formats, lengths, activity fields, cross-references.

Each check yields problems instead of raising, so one run reports everything that is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from bot.core.models import Category, Depth, Kind, Relationship
from bot.core.prompts import selectable_kind
from bot.library.problems import Problem
from bot.library.schema import ChallengeEntry, DayEntry, PromptEntry
from bot.library.similarity import near_duplicates
from bot.library.source import Located

TEXT_LIMIT = 300
MIN_MINUTES, MAX_MINUTES = 5, 120
MIN_DAYS, MAX_DAYS = 5, 7
MIN_OPTIONS, MAX_OPTIONS, OPTION_LIMIT = 2, 4, 60
GUESS_DEPTHS = (Depth.LIGHT, Depth.MEDIUM)

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
        yield from _audience(item, challenge.audience)
        for key in ("name", "intro", "closing"):
            if not str(getattr(challenge, key)).strip():
                yield item.problem(key, f"{key} is empty")
        count = len(challenge.day)
        if not MIN_DAYS <= count <= MAX_DAYS:
            yield item.problem(
                None, f"challenge has {count} days; it needs {MIN_DAYS} to {MAX_DAYS}"
            )
        for day in days:
            audience = frozenset(challenge.audience)
            yield from _day(day, audience, prompts, known_ids, check_pools)


def _prompt_fields(item: Located[PromptEntry]) -> Iterator[Problem]:
    p = item.entry
    match = _PROMPT_ID.fullmatch(p.id)
    if match is None:
        yield item.problem("id", f"invalid id '{p.id}': use <category>.<slug>, slug of a-z 0-9 -")
    elif match["category"] != p.category:
        yield item.problem("id", f"id '{p.id}' must start with '{p.category}.'")
    yield from _audience(item, p.audience)
    yield from _text(item, "text", p.text)
    yield from _options(item)
    if p.kind is Kind.GUESS and p.depth not in GUESS_DEPTHS:
        yield item.problem("depth", f"guess prompts are light or medium, not {p.depth}")
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


def _audience(
    item: Located[PromptEntry] | Located[ChallengeEntry], audience: Sequence[Relationship]
) -> Iterator[Problem]:
    if not audience:
        allowed = ", ".join(r.value for r in Relationship)
        yield item.problem("audience", f"audience is empty; list at least one of: {allowed}")
    repeated = sorted({r.value for r in audience if audience.count(r) > 1})
    if repeated:
        yield item.problem("audience", f"audience lists {', '.join(repeated)} more than once")


def _options(item: Located[PromptEntry]) -> Iterator[Problem]:
    p = item.entry
    if p.kind is not Kind.PICK:
        if p.options is not None:
            yield item.problem("options", f"'options' is only for pick prompts, not a {p.kind}")
        return
    if p.options is None:
        yield item.problem(None, "missing field 'options' (required for pick prompts)")
        return
    count = len(p.options)
    if not MIN_OPTIONS <= count <= MAX_OPTIONS:
        message = f"pick has {count} options; it needs {MIN_OPTIONS} to {MAX_OPTIONS}"
        yield item.problem("options", message)
    seen: set[str] = set()
    for option in p.options:
        if not option.strip():
            yield item.problem("options", "an option is empty")
        elif len(option) > OPTION_LIMIT:
            message = f"option '{option[:20]}…' is {len(option)} characters; the limit is 60"
            yield item.problem("options", message)
        key = " ".join(option.casefold().split())
        if key in seen:
            yield item.problem("options", f"option '{option}' appears twice")
        seen.add(key)


def _text(item: Located[PromptEntry], key: str, value: str) -> Iterator[Problem]:
    if not value.strip():
        yield item.problem(key, f"{key} is empty")
    elif len(value) > TEXT_LIMIT:
        yield item.problem(key, f"{key} is {len(value)} characters; the limit is {TEXT_LIMIT}")


def _day(
    item: Located[DayEntry],
    audience: frozenset[Relationship],
    prompts: Mapping[str, PromptEntry],
    known_ids: frozenset[str],
    check_pools: bool,
) -> Iterator[Problem]:
    """A day must reach every pair the week is for, as written, from the very first day of a
    pair's life (light): its prompt, its declared stand-in, or a light prompt of its category."""
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
        yield from _prompt_day(item, label, day.prompt, audience, prompts, known_ids)
    elif day.category is not None:
        if day.stand_in is not None:
            yield item.problem("stand_in", f"{label}: 'stand_in' only goes with 'prompt'")
        if check_pools:
            missing = [
                kind.value
                for kind in sorted(audience, key=list(Relationship).index)
                if not any(_fits(p, day.category, kind) for p in prompts.values())
            ]
            if missing:
                message = f"{label}: no light prompts in '{day.category}' for {', '.join(missing)}"
                yield item.problem("category", message)


def _prompt_day(
    item: Located[DayEntry],
    label: str,
    prompt_id: str,
    audience: frozenset[Relationship],
    prompts: Mapping[str, PromptEntry],
    known_ids: frozenset[str],
) -> Iterator[Problem]:
    day = item.entry
    target = prompts.get(prompt_id)
    if prompt_id not in known_ids:
        yield item.problem("prompt", f"{label}: unknown prompt '{prompt_id}'")
        return
    if target is None:
        return  # The prompt itself is invalid and already reported.
    left_out = _left_out(target, audience)
    if left_out:
        message = f"{label}: '{prompt_id}' is not for {left_out}, who this week is for"
        yield item.problem("prompt", message)
    ready = target.depth is Depth.LIGHT and selectable_kind(target.kind)
    if day.stand_in is None:
        if not ready:
            why = target.depth.value if target.depth is not Depth.LIGHT else f"a {target.kind}"
            message = (
                f"{label}: '{prompt_id}' is {why}, so a new pair can't get it yet; add "
                f'stand_in = "<a light {target.category} prompt id>" that fits the title'
            )
            yield item.problem("prompt", message)
        return
    stand_in = prompts.get(day.stand_in)
    if day.stand_in not in known_ids:
        yield item.problem("stand_in", f"{label}: unknown stand-in '{day.stand_in}'")
        return
    if stand_in is None:
        return
    if stand_in.category is not target.category:
        message = (
            f"{label}: stand-in '{day.stand_in}' is {stand_in.category}, not {target.category}"
        )
        yield item.problem("stand_in", message)
    if stand_in.depth is not Depth.LIGHT or not selectable_kind(stand_in.kind):
        what = stand_in.depth.value if stand_in.depth is not Depth.LIGHT else stand_in.kind
        yield item.problem(
            "stand_in", f"{label}: stand-in '{day.stand_in}' must be light, not {what}"
        )
    left_out = _left_out(stand_in, audience)
    if left_out:
        message = f"{label}: stand-in '{day.stand_in}' is not for {left_out}, who this week is for"
        yield item.problem("stand_in", message)


def _left_out(prompt: PromptEntry, audience: frozenset[Relationship]) -> str:
    missing = [r.value for r in Relationship if r in audience and r not in prompt.audience]
    return ", ".join(missing)


def _fits(prompt: PromptEntry, category: Category, kind: Relationship) -> bool:
    return (
        prompt.category is category
        and prompt.depth is Depth.LIGHT
        and kind in prompt.audience
        and selectable_kind(prompt.kind)
    )


def _day_number(item: Located[DayEntry]) -> int:
    index = item.loc[-1]
    return index + 1 if isinstance(index, int) else 0
