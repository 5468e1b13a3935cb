"""What members read: embeds and short messages, in Closer's voice (see the voice guide)."""

from __future__ import annotations

import discord

ACCENT = discord.Colour(0xE8A87C)


def help_embed() -> discord.Embed:
    embed = discord.Embed(
        title="How Closer works",
        colour=ACCENT,
        description=(
            "Closer sends you and a partner one small prompt at a time, in DMs: a question, "
            "a thank-you, something to do together. When you have both answered, you each see "
            "the other's answer. Answers stay between the two of you; admins only ever see counts."
        ),
    )
    embed.add_field(
        name="Get started",
        value=(
            "`/pair invite` someone you'd like to grow closer to, or `/circle join` a friend "
            "group that re-pairs every round."
        ),
        inline=False,
    )
    embed.add_field(
        name="Make it yours",
        value=(
            "`/closer timezone` and `/closer quiet-hours` so prompts come at good times; "
            "`/pair schedule`, `/pair pause` and `/pair topics` to set the pace."
        ),
        inline=False,
    )
    embed.add_field(
        name="Your data",
        value="`/closer export` gives you everything about you; `/closer forget` erases it.",
        inline=False,
    )
    embed.set_footer(text="Closer is not therapy. /closer resources lists places to find support.")
    return embed
