"""What members read: embeds and short messages, in Closer's voice (see the voice guide)."""

from __future__ import annotations

import discord

from bot.core.models import PairState
from bot.services.pairs import PairStatus, describe_schedule
from bot.ui import payload


def global_name(user: discord.User | discord.Member) -> str:
    """The name someone shows everywhere, for DMs and anything stored.

    A `Member`'s display_name is their nickname in the server the command came from; in a DM
    from Closer it would leak that server's nickname to a partner who may not share it.
    """
    return user.global_name or user.name


_COLOUR = discord.Colour(payload.ACCENT)


def help_embed() -> discord.Embed:
    embed = discord.Embed(
        title="How Closer works",
        colour=_COLOUR,
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
        name="Answering",
        value=(
            "Press Answer on a prompt, or reply to it with Discord's Reply. In more than one "
            "pair, a plain message gets a quick question back — which prompt is it for? — and "
            "nothing is saved until you pick. Every confirmation says whom it's for."
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
        name="How close do you feel?",
        value=(
            "Every four weeks, a private one-tap check-in; `/closer checkin` takes it anytime "
            "and `/closer insights` shows your own trend. Only you ever see yours."
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


def status_embed(
    status: PairStatus, user_id: int, zone: str, answered_together: int
) -> discord.Embed:
    pair = status.pair
    partner = ", ".join(status.partners) or "your partner"
    embed = discord.Embed(title=f"You and {partner}", colour=_COLOUR)
    embed.add_field(name="Relationship", value=pair.relationship.label, inline=True)
    embed.add_field(
        name="Schedule", value=describe_schedule(pair.local_time, pair.cadence), inline=True
    )
    embed.add_field(name="Depth", value=pair.depth.value, inline=True)
    if pair.status == PairState.PAUSED and pair.paused_until is not None:
        nxt = f"Paused until <t:{int(pair.paused_until.timestamp())}:D>"
    else:
        slot = status.next_prompts.get(user_id)
        nxt = (
            f"<t:{int(slot.due.timestamp())}:f> (<t:{int(slot.due.timestamp())}:R>)"
            if slot
            else "—"
        )
    embed.add_field(name=f"Next prompt (your time zone: {zone})", value=nxt, inline=False)
    summary = (
        f"You've answered {answered_together} prompt{'s' if answered_together != 1 else ''} "
        "together so far."
        if answered_together
        else "Your first shared answers are still ahead."
    )
    if status.open_prompts:
        summary += f" {status.open_prompts} open right now."
    embed.add_field(name="So far", value=summary, inline=False)
    if pair.proposed_relationship is not None:
        asked = "You've" if pair.proposed_by == user_id else "Your partner has"
        embed.add_field(
            name="Waiting for a yes",
            value=f"{asked} proposed pairing as {pair.proposed_relationship.value}.",
            inline=False,
        )
    if status.muted:
        embed.add_field(
            name="Muted topics",
            value=", ".join(sorted(c.label for c in status.muted)),
            inline=False,
        )
    for name in status.unreachable_partners:
        embed.add_field(
            name="A small hiccup",
            value=f"I can't reach {name} by DM right now, so their prompts are on hold. "
            "They can allow DMs from this server, then use any Closer command.",
            inline=False,
        )
    return embed
