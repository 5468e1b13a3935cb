"""What themed weeks say (see the voice guide): warm, short, never a score or a countdown.

A week's recap talks about showing up, not about misses, and quotes only answers both people have
already read. The server-channel notice carries counts only: never a member's name, never a word
anyone wrote.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.models import Category, Challenge, Relationship
from bot.ui.circle_messages import counts_text
from bot.ui.messages import names
from bot.ui.payload import FileSpec, MessagePayload, embed

__all__ = ["names"]  # re-exported: services format lists of people the same way

# Discord caps an embed field value at 1,024 characters and an embed at 25 fields / 6,000 chars.
FIELD_LIMIT = 1024
NOTE_LIMIT = 300
CARD_NOTE_LIMIT = 120  # a card is a glance; the full notes are in the message
MAX_NOTE_FIELDS = 4


def day_note(theme: Challenge, day: int, *, titled: bool = True) -> str:
    """The italic line above a themed day's prompt. Untitled when the day's own prompt was too
    deep for the pair and a lighter one of its kind stands in: the title would not fit it."""
    if not titled:
        return f"Day {day} of {theme.name}"
    return f"Day {day} of {theme.name}: {theme.days[day - 1].title}"


TIMER_NOTE = "Time's up — how was it?"

_WHO = {
    Relationship.PARTNERS: "partners",
    Relationship.FRIENDS: "friends",
    Relationship.FAMILY: "family",
    Relationship.CIRCLE: "circle groups",
}


def audience_text(theme: Challenge) -> str:
    """Who a week is written for, in words: "everyone", "partners", "friends and circle groups"."""
    if theme.audience >= frozenset(Relationship):
        return "everyone"
    return names([_WHO[r] for r in Relationship if r in theme.audience])


def not_for_you_text(theme: Challenge) -> str:
    return (
        f"{theme.name} is written for {audience_text(theme)}, so it isn't one for this pair. "
        "/challenge list shows who each week is for."
    )


def list_embed(themes: Sequence[Challenge]) -> MessagePayload:
    fields = [(f"{t.name} · {len(t.days)} days · for {audience_text(t)}", t.intro) for t in themes]
    return {
        "embed": embed(
            "Themed weeks",
            "One small prompt a day for a week, around one theme. Start one for your pair with "
            "/challenge start; your usual prompt time stays the same.",
            fields=fields,
            footer="Stop anytime with /challenge stop — no hard feelings.",
        )
    }


def started_text(theme: Challenge, partners: list[str]) -> str:
    return (
        f"{theme.name} is on for you and {names(partners)}. Day 1 comes tomorrow at your usual "
        "time, and then one a day for the week."
    )


def circle_started_text(theme: Challenge, circle: str, groups: int) -> str:
    plural = "s" if groups != 1 else ""
    return (
        f"{theme.name} is on for {circle}: {groups} group{plural} start tomorrow at their usual "
        "time. Groups formed during the week join from the day after. The channel will only "
        "ever see counts."
    )


def replace_ask_text(current: Challenge, day: int | None, new: Challenge) -> str:
    where = f"on day {day} of {current.name}" if day else f"about to start {current.name}"
    return f"You're {where}. Replace it with {new.name}? Only one themed week runs at a time."


def circle_replace_ask_text(current: Challenge, circle: str, new: Challenge) -> str:
    return (
        f"{circle} is running {current.name} right now. Replace it with {new.name} for every "
        "group in the circle?"
    )


def stopped_text(theme: Challenge) -> str:
    return f"{theme.name} is stopped. Your prompts go back to your usual pace from here."


def started_message(theme: Challenge, starter: str) -> MessagePayload:
    return {
        "embed": embed(
            theme.name,
            f"{starter} started {theme.name} for you both. {theme.intro}",
            footer="Day 1 comes tomorrow at your usual time, then one a day for the week. "
            "/challenge stop ends it anytime.",
        )
    }


def circle_started_message(theme: Challenge, circle: str, from_day: int) -> MessagePayload:
    when = "Day 1 comes tomorrow" if from_day == 1 else f"You join from tomorrow, day {from_day}"
    return {
        "embed": embed(
            f"{theme.name} in {circle}",
            f"{circle} is spending a week on {theme.name}, and your group is part of it. "
            f"{theme.intro}",
            footer=f"{when}, at your usual time. Your answers stay within your group; the "
            "server only ever sees counts. /challenge stop leaves it for your group.",
        )
    }


def stopped_message(theme: Challenge, who: str) -> MessagePayload:
    return {
        "content": f"{who} stopped {theme.name}. Nothing you need to do — your prompts go "
        "back to their usual pace."
    }


def replaced_message(old: Challenge, new: Challenge, who: str) -> MessagePayload:
    return {
        "embed": embed(
            new.name,
            f"{who} swapped {old.name} for {new.name}. {new.intro}",
            footer="Day 1 comes tomorrow at your usual time. /challenge stop ends it anytime.",
        )
    }


def status_text(theme: Challenge, day: int, both_days: int, group: bool) -> str:
    if day < 1:
        return f"{theme.name} starts tomorrow at your usual time."
    who = "You've all" if group else "You've both"
    if both_days == 0:
        together = "Every day is a fresh start, so jump in whenever suits you."
    else:
        plural = "s" if both_days != 1 else ""
        together = f"{who} taken part on {both_days} day{plural} so far."
    return f"Day {min(day, len(theme.days))} of {len(theme.days)} of {theme.name}. {together}"


NOTHING_RUNNING = (
    "No themed week is running for your pair right now. /challenge list shows what's on offer."
)


# Timed together-activities -----------------------------------------------------------------
def timer_started_message(minutes: int) -> MessagePayload:
    return {"content": f"Timer started — see you in {minutes} minutes."}


def waiting_text(partners: list[str]) -> str:
    return f"Got it. The timer starts as soon as {names(partners)} presses Start too."


def heads_up_message(who: str, minutes: int) -> MessagePayload:
    # Once per member per activity, and an invitation, never a nudge with a deadline.
    return {
        "content": f"{who} is ready for today's {minutes} minutes together. Press Start on the "
        "activity whenever it suits you — or another day, that's fine too."
    }


TIMER_RUNNING_TEXT = "The timer's already running. Enjoy the time together."
BOTH_IN_TEXT = "You're both in — the timer's running. I'll check in when it's up."
NOT_TIMED_TEXT = "That button isn't available for this prompt."


# The week's recap --------------------------------------------------------------------------
def recap_message(
    theme: Challenge,
    *,
    days_together: int,
    days_any: int,
    group: bool,
    categories: Sequence[Category],
    notes: Sequence[tuple[str, str]],
    own_notes: Sequence[str] = (),
) -> MessagePayload:
    """`notes`: (author, text) of revealed gratitude answers, oldest first; `own_notes`: the
    reader's own among them, the only words the recap card shows."""
    who = "you all" if group else "you both"
    if days_together == len(theme.days):
        together = f"This week {who} showed up every single day."
    elif days_together > 0:
        plural = "s" if days_together != 1 else ""
        together = f"This week {who} showed up together on {days_together} day{plural}."
    elif days_any > 0:
        together = "Not every day lined up this week, and that's fine — you still made room for it."
    else:
        together = "This week was a quiet one, and that's okay — the prompts will keep coming."
    fields: list[tuple[str, str]] = []
    if categories:
        fields.append(("What you explored", ", ".join(c.label for c in categories)))
    for i, chunk in enumerate(_note_chunks(notes)):
        fields.append(("Your thank-yous, in one place" if i == 0 else "More thank-yous", chunk))
    card = recap_card(theme, together, categories, own_notes)
    return {
        "content": "-# Picture: your week as a card, in the same words as below.",
        "embed": embed(
            f"Your {theme.name}",
            f"{together} {theme.closing}",
            fields=fields,
            footer="Just for your group: only answers you'd already seen are here."
            if group
            else "Just for the two of you: only answers you'd already seen are here.",
        ),
        "files": [card],
    }


def recap_card(
    theme: Challenge, together: str, categories: Sequence[Category], own_notes: Sequence[str]
) -> FileSpec:
    """The week as a card: counts and the reader's own notes, nobody else's words."""
    lines = [together]
    if categories:
        lines.append("What you explored: " + ", ".join(c.label for c in categories))
    if own_notes:
        lines.append("Your own thank-yous:")
        lines += [
            f"“{n if len(n) <= CARD_NOTE_LIMIT else n[: CARD_NOTE_LIMIT - 1] + '…'}”"
            for n in own_notes[:3]
        ]
    alt = f"A card for your {theme.name}. " + " ".join(lines)
    return {
        "filename": "recap.png",
        "draw": "card",
        "alt": alt[:1000],
        "data": {"title": f"Your {theme.name}", "lines": lines},
    }


def _note_chunks(notes: Sequence[tuple[str, str]]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for author, text in notes:
        body = text if len(text) <= NOTE_LIMIT else text[: NOTE_LIMIT - 1] + "…"
        line = f"**{author}:** {body}"
        if current and len(current) + 1 + len(line) > FIELD_LIMIT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks[:MAX_NOTE_FIELDS]


def circle_notice(
    theme: Challenge, circle: str, pairs: int, trios: int, days: int
) -> MessagePayload:
    # Counts only, by promise: this goes to a server channel anyone there can read.
    plural = "s" if days != 1 else ""
    groups = counts_text(pairs, trios)
    return {
        "content": f"{theme.name} in {circle} is done: {groups} took part, with {days} "
        f"day{plural} completed together in total."
    }
