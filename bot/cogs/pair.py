"""`/pair …`: invite someone, and look after the pair you have. Handlers defer, call, render."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs import render
from bot.cogs.components import confirm_view
from bot.cogs.interact import services_of
from bot.core.models import Category
from bot.errors import UserFacingError
from bot.services.pairs import Person

if TYPE_CHECKING:
    from bot.compose import Services

CADENCES = [
    app_commands.Choice(name="daily", value="daily"),
    app_commands.Choice(name="weekdays", value="weekdays"),
    app_commands.Choice(name="weekly", value="weekly"),
]
RELATIONSHIPS = [
    app_commands.Choice(name="partners", value="partners"),
    app_commands.Choice(name="friends", value="friends"),
    app_commands.Choice(name="family", value="family"),
]
DEPTHS = [
    app_commands.Choice(name="light", value="light"),
    app_commands.Choice(name="medium", value="medium"),
]
TOPICS = [app_commands.Choice(name=c.label, value=c.value) for c in Category]


def guild_only(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise UserFacingError("That command works inside a server, not in DMs.")
    return interaction.guild_id


def person(user: discord.Member | discord.User) -> Person:
    return Person(
        id=user.id,
        name=render.global_name(user),
        is_bot=user.bot,
        in_guild=isinstance(user, discord.Member),
    )


async def partner_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Your current partners here, as the `with` option's choices."""
    if interaction.guild_id is None:
        return []
    choices = await services_of(interaction.client).pairs.partner_choices(
        interaction.guild_id, interaction.user.id
    )
    needle = current.casefold()
    return [
        app_commands.Choice(name=name[:100], value=str(uid))
        for uid, name in choices
        if needle in name.casefold()
    ][:25]


def with_user_id(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    text = value.strip().removeprefix("<@").removeprefix("!").removesuffix(">")
    # isascii: "³" and other non-ASCII digits pass isdigit() but not int().
    if not (text.isascii() and text.isdigit()) or len(text) > 20:
        raise UserFacingError("Pick your partner from the list for the `with` option.")
    return int(text)


class PairCog(
    commands.GroupCog, group_name="pair", group_description="Pair with someone and set your pace"
):
    def __init__(self, services: Services) -> None:
        self.services = services

    async def _pair(self, interaction: discord.Interaction, with_: str | None):  # type: ignore[no-untyped-def]
        guild_id = guild_only(interaction)
        return await self.services.pairs.resolve(guild_id, interaction.user.id, with_user_id(with_))

    @app_commands.command(name="invite", description="Invite a member to pair with you")
    @app_commands.describe(
        member="Who you'd like to pair with",
        relationship="What you are to each other: it decides which prompts suit you",
        time="When prompts arrive, HH:MM in your time zone (default 19:00)",
        cadence="How often (default daily)",
    )
    @app_commands.choices(cadence=CADENCES, relationship=RELATIONSHIPS)
    async def invite(
        self,
        interaction: discord.Interaction,
        member: discord.User,
        relationship: str,
        time: str | None = None,
        cadence: str | None = None,
    ) -> None:
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.services.pairs.invite(
            guild_id, person(interaction.user), person(member), time, cadence, relationship
        )
        # Not sent yet: the sender is busy or their quiet hours hold it. It stays queued.
        sent = "Invite sent to" if outcome.delivered else "Your invite is on its way to"
        await interaction.followup.send(
            f"{sent} {member.display_name} to pair as {relationship}. I'll let you know when "
            "they answer; it stays open for 7 days.",
            ephemeral=True,
        )

    @app_commands.command(
        name="relationship", description="Propose a different relationship kind for your pair"
    )
    @app_commands.rename(with_="with")
    @app_commands.describe(
        kind="What you are to each other; it changes when your partner accepts",
        with_="Which pair, if you have more than one",
    )
    @app_commands.choices(kind=RELATIONSHIPS)
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def relationship(
        self, interaction: discord.Interaction, kind: str, with_: str | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self._pair(interaction, with_)
        chosen = await self.services.pairs.propose_relationship(pair, interaction.user.id, kind)
        names = await self.services.pairs.partner_names(pair, interaction.user.id)
        await interaction.followup.send(
            f"I've asked {', '.join(names)} whether you'd like to be paired as {chosen.value}. "
            "Nothing changes unless they accept, and I'll let you know either way.",
            ephemeral=True,
        )

    @app_commands.command(name="status", description="Your partner, schedule and what's next")
    @app_commands.rename(with_="with")
    @app_commands.describe(with_="Which pair, if you have more than one")
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def status(self, interaction: discord.Interaction, with_: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self._pair(interaction, with_)
        status = await self.services.pairs.status(pair, interaction.user.id)
        zone = await self.services.pairs.member_zone(interaction.user.id)
        answered = await self.services.pairs.answered_together(pair.id)
        await interaction.followup.send(
            embed=render.status_embed(status, interaction.user.id, zone, answered), ephemeral=True
        )

    @app_commands.command(
        name="pause", description="No prompts for a while; your partner is told kindly"
    )
    @app_commands.rename(with_="with")
    @app_commands.describe(days="How many days (1–90)", with_="Which pair")
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def pause(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, 90],
        with_: str | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self._pair(interaction, with_)
        until = await self.services.pairs.pause(pair, interaction.user.id, int(days))
        await interaction.followup.send(
            f"Paused until <t:{int(until.timestamp())}:D>. Rest well; /pair resume brings "
            "prompts back sooner.",
            ephemeral=True,
        )

    @app_commands.command(name="resume", description="Prompts start again")
    @app_commands.rename(with_="with")
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def resume(self, interaction: discord.Interaction, with_: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self._pair(interaction, with_)
        plan = await self.services.pairs.resume(pair, interaction.user.id)
        slot = plan.get(interaction.user.id)
        when = f" Next prompt: <t:{int(slot.due.timestamp())}:f>." if slot else ""
        await interaction.followup.send(
            f"Welcome back — prompts are on again.{when}", ephemeral=True
        )

    @app_commands.command(name="end", description="End this pair (asks to confirm)")
    @app_commands.rename(with_="with")
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def end(self, interaction: discord.Interaction, with_: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self._pair(interaction, with_)
        names = await self.services.pairs.partner_names(pair, interaction.user.id)
        view = confirm_view("end", pair.id, interaction.user.id)
        await interaction.followup.send(
            f"End your pair with {', '.join(names)}? They'll be told kindly, and your shared "
            "history stays until either of you uses /closer forget.",
            view=view,
            ephemeral=True,
        )
        view.stop()

    @app_commands.command(
        name="schedule", description="Change when prompts come; your partner is told"
    )
    @app_commands.rename(with_="with")
    @app_commands.describe(time="HH:MM in your time zone", cadence="How often", with_="Which pair")
    @app_commands.choices(cadence=CADENCES)
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def schedule(
        self,
        interaction: discord.Interaction,
        time: str | None = None,
        cadence: str | None = None,
        with_: str | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self._pair(interaction, with_)
        plan = await self.services.pairs.reschedule(pair, interaction.user.id, time, cadence)
        slot = plan.get(interaction.user.id)
        when = f" Next one: <t:{int(slot.due.timestamp())}:f>." if slot else ""
        await interaction.followup.send(f"Done — new schedule saved.{when}", ephemeral=True)

    @app_commands.command(name="depth", description="Step back to a lighter tier of prompts")
    @app_commands.rename(with_="with")
    @app_commands.choices(level=DEPTHS)
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def depth(
        self, interaction: discord.Interaction, level: str, with_: str | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self._pair(interaction, with_)
        depth = await self.services.pairs.step_back(pair, level)
        await interaction.followup.send(
            f"Done — prompts will stay {depth.value} from now on. Nobody else is told who chose.",
            ephemeral=True,
        )

    @app_commands.command(
        name="topics", description="Mute or unmute a kind of prompt for this pair"
    )
    @app_commands.rename(with_="with")
    @app_commands.describe(
        category="Which kind of prompt", on="True to receive it, false to mute it"
    )
    @app_commands.choices(category=TOPICS)
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def topics(
        self, interaction: discord.Interaction, category: str, on: bool, with_: str | None = None
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self._pair(interaction, with_)
        chosen, changed = await self.services.pairs.set_topic(pair, category, on)
        state = "on" if on else "muted"
        prefix = "" if changed else "Already so: "
        await interaction.followup.send(
            f"{prefix}{chosen.label} is {state} for this pair.", ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(PairCog(services_of(bot)))
