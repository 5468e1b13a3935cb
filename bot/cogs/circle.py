"""`/circle …`: friend groups whose members are re-paired each round. Handlers defer, call, render.

Admin subcommands carry `default_permissions(manage_guild=True)` as documentation of intent, but
Discord only honours default permissions on top-level commands (and the group must stay visible
to everyone for join/leave/status), so the real gate is `require_manage_server`, on the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.interact import services_of
from bot.cogs.pair import guild_only, person
from bot.errors import UserFacingError
from bot.services.circles import CircleStatus
from bot.ui import circle_messages as copy
from bot.ui.trust import MANAGE_SERVER_NEEDED

if TYPE_CHECKING:
    from bot.compose import Services

CADENCES = [
    app_commands.Choice(name="weekly", value="weekly"),
    app_commands.Choice(name="every other week", value="biweekly"),
]
DAYS = [app_commands.Choice(name=d.capitalize(), value=d) for d in copy.WEEKDAYS]


def require_manage_server(interaction: discord.Interaction) -> int:
    guild_id = guild_only(interaction)
    # `interaction.permissions` are the member's resolved permissions in this channel, as
    # Discord computed them for this interaction: a client cannot claim more than it has.
    if not interaction.permissions.manage_guild:
        raise UserFacingError(MANAGE_SERVER_NEEDED)
    return guild_id


async def _choices(
    interaction: discord.Interaction, current: str, *, mine: bool
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    names = await services_of(interaction.client).circles.name_choices(
        interaction.guild_id, interaction.user.id, current[:100], mine=mine
    )
    return [app_commands.Choice(name=n, value=n) for n in names]


async def circle_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """This server's circles."""
    return await _choices(interaction, current, mine=False)


async def my_circle_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The circles you're in (what you can leave)."""
    return await _choices(interaction, current, mine=True)


def status_text(statuses: list[CircleStatus], more: int) -> str:
    if not statuses:
        return (
            "There are no circles here yet. Someone with Manage Server can start one with "
            "/circle create."
        )
    blocks: list[str] = []
    for s in statuses:
        c = s.circle
        lines = [
            f"**{c.name}**: {s.members} member{'s' if s.members != 1 else ''}, new pairs "
            + copy.describe_rounds(c.cadence, c.weekday, c.local_time, c.timezone)
        ]
        if s.next_round is not None:
            lines.append(f"Next rotation: {copy.when(int(s.next_round.timestamp()))}")
        if s.partners:
            lines.append(f"Your partner this round: {', '.join(s.partners)}")
        elif s.joined:
            lines.append("You're in; you'll be paired at the next rotation.")
        else:
            lines.append("You're not in it. /circle join to be paired from the next rotation.")
        blocks.append("\n".join(lines))
    if more > 0:
        blocks.append(f"…and {more} more. Ask for one by name.")
    return "\n\n".join(blocks)


class CircleCog(
    commands.GroupCog,
    group_name="circle",
    group_description="Friend circles: get paired with someone new each round",
):
    def __init__(self, services: Services) -> None:
        self.services = services

    @app_commands.command(name="create", description="Start a circle (Manage Server)")
    @app_commands.describe(
        name="The circle's name, up to 40 characters",
        cadence="How often members get new partners",
        day="Which day new pairs are formed",
        time="When, HH:MM in your time zone (default 19:00)",
    )
    @app_commands.choices(cadence=CADENCES, day=DAYS)
    @app_commands.default_permissions(manage_guild=True)
    async def create(
        self,
        interaction: discord.Interaction,
        name: str,
        cadence: str,
        day: str,
        time: str | None = None,
    ) -> None:
        guild_id = require_manage_server(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        created = await self.services.circles.create(
            guild_id, person(interaction.user), name, cadence, day, time
        )
        c = created.circle
        when = copy.when(int(created.first_round.timestamp()))
        await interaction.followup.send(
            f"**{c.name}** is ready: new pairs "
            f"{copy.describe_rounds(c.cadence, c.weekday, c.local_time, c.timezone)}, the "
            f"first {when}. Members opt in with /circle join; nobody is added without asking.",
            ephemeral=True,
        )

    @app_commands.command(name="join", description="Opt in to a circle's next rounds")
    @app_commands.describe(name="Which circle")
    @app_commands.autocomplete(name=circle_autocomplete)
    async def join(self, interaction: discord.Interaction, name: str) -> None:
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        circle, next_round = await self.services.circles.join(
            guild_id, person(interaction.user), name
        )
        await interaction.followup.send(
            f"You're in **{circle.name}**. The next round is "
            f"{copy.when(int(next_round.timestamp()))}; I'll DM you who you're paired with then.",
            ephemeral=True,
        )

    @app_commands.command(name="leave", description="Opt out of a circle")
    @app_commands.describe(name="Which circle")
    @app_commands.autocomplete(name=my_circle_autocomplete)
    async def leave(self, interaction: discord.Interaction, name: str) -> None:
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        circle = await self.services.circles.leave(guild_id, interaction.user.id, name)
        await interaction.followup.send(
            f"You've left **{circle.name}**. If you had a partner this round, they've been told "
            "kindly and will be paired again next round.",
            ephemeral=True,
        )

    @app_commands.command(
        name="status", description="Members, next rotation and your partner this round"
    )
    @app_commands.describe(name="Which circle (all of this server's if left out)")
    @app_commands.autocomplete(name=circle_autocomplete)
    async def status(self, interaction: discord.Interaction, name: str | None = None) -> None:
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        statuses = await self.services.circles.status(guild_id, interaction.user.id, name)
        more = 0 if name else await self.services.circles.count(guild_id) - len(statuses)
        await interaction.followup.send(status_text(statuses, more), ephemeral=True)

    @app_commands.command(name="rotate", description="Form the next round's pairs now")
    @app_commands.describe(name="Which circle")
    @app_commands.autocomplete(name=circle_autocomplete)
    @app_commands.default_permissions(manage_guild=True)
    async def rotate(self, interaction: discord.Interaction, name: str) -> None:
        guild_id = require_manage_server(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        formed = await self.services.circles.rotate(guild_id, name)
        pairs, trios = copy.group_counts(formed.groups)
        await interaction.followup.send(
            f"Round {formed.round_no} of **{formed.circle.name}** is formed: "
            f"{copy.counts_text(pairs, trios)}. Everyone paired gets a DM naming their partner. "
            f"Next rotation: {copy.when(int(formed.next_round.timestamp()))}.",
            ephemeral=True,
        )

    @app_commands.command(name="delete", description="End a circle and its pairs")
    @app_commands.describe(name="Which circle")
    @app_commands.autocomplete(name=circle_autocomplete)
    @app_commands.default_permissions(manage_guild=True)
    async def delete(self, interaction: discord.Interaction, name: str) -> None:
        guild_id = require_manage_server(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        circle, members = await self.services.circles.delete(guild_id, name)
        told = (
            f" Its {members} member{'s were' if members != 1 else ' was'} told kindly."
            if members
            else ""
        )
        await interaction.followup.send(
            f"**{circle.name}** is deleted and its pairs have ended.{told}", ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(CircleCog(services_of(bot)))
