"""What friend circles say: round intros, kind notes, the channel notice (see the voice guide).

Circles are for friends as much as couples, so nothing here assumes romance. The server-channel
notice carries counts only: never a member's name, never anything anyone wrote.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import CircleCadence
from bot.ui.messages import names
from bot.ui.payload import MessagePayload, embed

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def group_counts(groups: Sequence[Sequence[int]]) -> tuple[int, int]:
    """(pairs, trios) among a round's groups."""
    trios = sum(1 for g in groups if len(g) == 3)
    return len(groups) - trios, trios


def counts_text(pairs: int, trios: int) -> str:
    parts = []
    if pairs or not trios:
        parts.append(f"{pairs} pair{'s' if pairs != 1 else ''}")
    if trios:
        parts.append(f"{trios} trio{'s' if trios != 1 else ''}")
    return " and ".join(parts)


def describe_rounds(cadence: CircleCadence, weekday: int, local_time: str, zone: str) -> str:
    day = WEEKDAYS[weekday].capitalize()
    every = f"every {day}" if cadence is CircleCadence.WEEKLY else f"every other {day}"
    return f"{every} at {local_time} ({zone})"


def when(ts: int) -> str:
    """A Discord timestamp: every reader sees it in their own local time."""
    return f"<t:{ts}:f> (<t:{ts}:R>)"


def intro_message(
    circle: str, round_no: int, partners: list[str], schedule: str, first_prompt: str
) -> MessagePayload:
    who = names(partners)
    bold = names([f"**{p}**" for p in partners])
    if len(partners) == 1:
        opening = f"This round of **{circle}**, you're paired with {bold}."
        both = "you both"
        reveal = "when you've both answered, you each see the other's answer"
    else:
        opening = f"This round of **{circle}**, you're a trio with {bold}."
        both = "all of you"
        reveal = "once you've all answered, you each see the others' answers"
    return {
        "embed": embed(
            f"Round {round_no} of {circle}",
            f"{opening} I'll send {both} one small prompt {schedule}, the first one "
            f"{first_prompt}. Answer with the button or reply to the prompt; {reveal}. "
            "In more than one pair? Use Discord's Reply on a prompt, or I'll ask which one "
            "a message is for.",
            footer=f"Only {who} will see your answers; server admins only ever see counts. "
            "/pair status shows what's next, /pair pause gives you a break.",
        )
    }


def round_notice(circle: str, round_no: int, pairs: int, trios: int) -> MessagePayload:
    # Counts only, by promise: this goes to a server channel anyone there can read.
    return {"content": f"Round {round_no} of {circle}: {counts_text(pairs, trios)}"}


def partner_left_message(leaver: str, circle: str) -> MessagePayload:
    return {
        "content": f"{leaver} has stepped out of {circle}, so your group for this round has "
        "ended. Nothing you need to do: you'll be paired with someone at the next round."
    }


def circle_deleted_message(circle: str) -> MessagePayload:
    return {
        "content": f"{circle} has been closed by the server's admins, so its pairs have ended. "
        "Thank you for taking part. Your history stays until you choose /closer forget."
    }
