"""Words for the closeness check-in and `/closer insights`. Private to the member, always."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.closeness import Distribution
from bot.core.models import Category
from bot.ui.messages import names
from bot.ui.payload import ClosenessView, FileSpec, MessagePayload, Switch, stored

SCALE_FILE = "closeness.png"
SCALE_ALT = (
    "Seven pictures of two circles, numbered 1 to 7: at 1 the circles stand apart; with each "
    "number they overlap more, until at 7 they almost fully overlap."
)
INSIGHTS_FILE = "closer-insights.png"

SAVED_TEXT = (
    "Saved, just for you — nobody else sees it, not even {who}. "
    "/closer insights shows how it changes over time."
)
CHANGED_TEXT = "Changed — only your newest answer counts. Just for you, as always."
SKIPPED_TEXT = "Skipped. There's never a need to answer this one."
OFF_TEXT = (
    "Scheduled check-ins are off. /closer checkin still works whenever you'd like one, "
    "and offers to switch them back on."
)
ON_TEXT = "Scheduled check-ins are on: one every four weeks, at your usual prompt time."
NOT_YET_TEXT = (
    "Check-ins in a circle start from your second round with the same person: a first round "
    "together is still an introduction."
)
NO_INSIGHTS_TEXT = (
    "No check-ins yet. /closer checkin takes one in a few seconds; only you ever see them."
)
STATS_NAME = "Closeness check-ins, last 28 days"
NOT_ENOUGH_TEXT = (
    "Not enough yet: shown once at least 5 different members have checked in within 28 days, "
    "so nobody's answer can be picked out."
)


def scale_file() -> FileSpec:
    return {"filename": SCALE_FILE, "draw": "closeness_scale", "alt": SCALE_ALT}


def question(partners: Sequence[str]) -> str:
    return f"How close do you feel to {names(list(partners))} right now?"


def checkin_message(
    partners: Sequence[str], *, pair_id: int, user_id: int, switch: Switch | None = None
) -> MessagePayload:
    """The check-in: the question, the seven pictures, buttons 1–7 and Skip (and, when asked
    for with /closer checkin, the switch for scheduled check-ins)."""
    content = (
        f"**{question(partners)}**\n"
        "Pick the picture that fits: 1 is two circles apart, 7 almost one. "
        "Only you will ever see your answer.\n"
        f"-# Picture: {SCALE_ALT}"
    )
    view = ClosenessView(user=user_id, pair=pair_id, switch=switch)
    return {"content": content, "files": [scale_file()], "view": stored(view)}


def saved_text(partners: Sequence[str], replaced: bool) -> str:
    return CHANGED_TEXT if replaced else SAVED_TEXT.format(who=names(list(partners)))


def together_words(answered: dict[str, int], activities: int, themes: Sequence[str]) -> str:
    parts: list[str] = []
    total = sum(answered.values())
    if total:
        by = ", ".join(f"{_label(c)} {n}" for c, n in sorted(answered.items(), key=_by_count))
        parts.append(f"you answered {total} prompt{'s' if total != 1 else ''} ({by})")
    if activities:
        parts.append(f"did {activities} activit{'ies' if activities != 1 else 'y'} together")
    if themes:
        parts.append("took " + ", ".join(themes))
    if not parts:
        return "a quiet stretch — that's okay"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def _label(category: str) -> str:
    try:
        return Category(category).label
    except ValueError:
        return category


def distribution_text(now: Distribution, before: Distribution) -> str:
    if not now.shareable or now.mean is None:
        return NOT_ENOUGH_TEXT
    bars = " · ".join(f"{s}: {n}" for s, n in now.counts.items())
    text = f"{bars}\nAverage {now.mean:.1f} of 7 from {now.members} members."
    if before.shareable and before.mean is not None:
        change = now.mean - before.mean
        direction = "up" if change > 0.05 else "down" if change < -0.05 else "about the same"
        amount = f" {abs(change):.1f}" if direction != "about the same" else ""
        text += f"\nThe 28 days before: average {before.mean:.1f} ({direction}{amount})."
    else:
        text += "\nThe 28 days before had too few members checking in to compare."
    return text
