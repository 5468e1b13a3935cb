"""Feeling words for "I feel …" answers, grouped by a core emotion, like an emotions chart.

Discord allows 25 options in a select menu; these are chosen to cover pleasant and unpleasant,
high and low energy, so most days have a word that fits.
"""

from __future__ import annotations

import discord

from bot.ui.payload import FileSpec

FEELINGS: dict[str, tuple[str, ...]] = {
    "Joy": ("happy", "grateful", "proud", "hopeful", "playful"),
    "Calm": ("calm", "relieved", "content", "safe"),
    "Love": ("loved", "close", "tender"),
    "Sadness": ("sad", "lonely", "disappointed", "tired"),
    "Fear": ("anxious", "worried", "overwhelmed", "unsure"),
    "Anger": ("frustrated", "irritated", "hurt"),
    "Surprise": ("surprised", "curious"),
}


def feeling_words() -> list[str]:
    return [word for words in FEELINGS.values() for word in words]


def feeling_options() -> list[discord.SelectOption]:
    return [
        discord.SelectOption(label=word, value=word, description=group)
        for group, words in FEELINGS.items()
        for word in words
    ]


WHEEL_FILE = "feelings.png"


def wheel_alt() -> str:
    families = "; ".join(f"{group}: {', '.join(words)}" for group, words in FEELINGS.items())
    return f"A feelings wheel: seven families of feelings, each with its words. {families}."


def wheel_file() -> FileSpec:
    """The feelings wheel beside the feelings picker, so a word is easier to find."""
    return {"filename": WHEEL_FILE, "draw": "feelings_wheel", "alt": wheel_alt()}
