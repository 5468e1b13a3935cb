"""Copy for privacy, support and admin: what members read when they export, forget, ask for help,
or manage Closer. Warm, short, plain; no emoji in refusals (see the voice guide)."""

from __future__ import annotations

from typing import Any

from bot.ui.payload import MessagePayload, embed

__all__ = [
    "EXPORT_ZIPPED",
    "FORGET_ASK",
    "FORGET_DONE",
    "MANAGE_SERVER_NEEDED",
    "MessagePayload",
    "export_more_text",
    "export_parts_text",
    "export_text",
    "partner_left_message",
    "resources_embed",
]

FORGET_ASK = (
    "This deletes everything Closer holds about you, in every server: your settings, answers, "
    "pairs and invites. Pairs you're in will end, and your partners will only hear that you've "
    "left. It can't be undone. If you'd like a copy first, use /closer export."
)

FORGET_DONE = (
    "Done. Everything Closer held about you is gone. Thank you for the time you spent here; "
    "you're welcome back any time."
)

MANAGE_SERVER_NEEDED = "That command needs the Manage Server permission."


def export_text(rows: int) -> str:
    if rows == 0:
        return "Closer holds nothing about you yet. Here's the (empty) file anyway."
    return (
        "Here's everything Closer holds about you, as a JSON file. Only you can see this. "
        "Your partners' answers aren't in it: those are theirs."
    )


_EXPORT_PRIVATE = "Only you can see this. Your partners' answers aren't in it: those are theirs."

EXPORT_ZIPPED = (
    "Here's everything Closer holds about you. It was too big to attach as it is, so it's "
    f"zipped: open the .zip to find the JSON file inside. {_EXPORT_PRIVATE}"
)


def export_parts_text(files: int, messages: int) -> str:
    spread = f" They come in {messages} messages." if messages > 1 else ""
    return (
        f"Here's everything Closer holds about you, in {files} zip files: it was too big for "
        f"one. Each holds part of your data as a JSON file, and together they're all of it."
        f"{spread} {_EXPORT_PRIVATE}"
    )


def export_more_text(message: int, messages: int) -> str:
    return f"More of your export ({message} of {messages})."


def partner_left_message(*, circle: bool) -> MessagePayload:
    # Deliberately neutral: no name, no reason. The person asked to be forgotten.
    if circle:
        return {
            "content": "Your Closer circle group has ended because a member left Closer. "
            "You'll be grouped again next round. Thank you for showing up."
        }
    return {
        "content": "Your Closer pair has ended because your partner has left Closer. "
        "Thank you for the time you gave it. Your own history stays until you choose "
        "/closer forget."
    }


# Directories only, never a single service: each lets you filter by place and speciality. The
# first two reach well beyond the US; links go to each directory's home page.
DIRECTORIES: tuple[tuple[str, str, str], ...] = (
    (
        "Psychology Today",
        "https://www.psychologytoday.com",
        "therapists and couples counsellors in many countries (pick yours at the top)",
    ),
    ("Find A Helpline", "https://findahelpline.com", "free crisis lines, worldwide, by country"),
    ("InnoPsych", "https://www.innopsych.com", "therapists of color (US)"),
    (
        "Open Path Psychotherapy Collective",
        "https://openpathcollective.org",
        "low-cost therapy (US)",
    ),
)


def resources_embed() -> dict[str, Any]:
    lines = "\n".join(f"• [{name}]({url}) — {note}" for name, url, note in DIRECTORIES)
    return embed(
        "Finding support",
        "Sometimes it helps to talk to someone. A couples or family therapist can help two "
        "people work on closeness together; individual therapy can help too, and what you "
        "learn there carries into all your relationships.",
        fields=[
            ("Therapy directories", lines),
            (
                "Closer is not therapy",
                "Closer is a prompt bot, not a therapist and not a crisis service. Nobody "
                "watches these messages.",
            ),
            (
                "In a crisis",
                "If you or someone else is in danger, contact your local emergency services "
                "now. To talk to someone tonight, Find A Helpline (above) lists free crisis "
                "lines in your country.",
            ),
        ],
        footer="Only you can see this.",
    )
