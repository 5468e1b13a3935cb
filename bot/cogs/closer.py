"""`/closer …`: help and personal settings. Handlers defer, call a service, render."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs import render
from bot.core.cadence import zone_choices

if TYPE_CHECKING:
    from bot.app import CloserBot


async def zone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in zone_choices(current[:64], 25)]


class CloserCog(
    commands.GroupCog, group_name="closer", group_description="Closer: help and your settings"
):
    def __init__(self, bot: CloserBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="How Closer works, in a few lines")
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=render.help_embed(), ephemeral=True)

    @app_commands.command(
        name="timezone", description="Your time zone, so prompts come at your local time"
    )
    @app_commands.describe(zone="Start typing a city, like Berlin or New York")
    @app_commands.autocomplete(zone=zone_autocomplete)
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        name = await self.bot.members.set_timezone(
            interaction.user.id, interaction.user.display_name, zone
        )
        await interaction.followup.send(
            f"Your time zone is now {name}. Prompts will follow your local time.", ephemeral=True
        )

    @app_commands.command(name="quiet-hours", description="No DMs from Closer in this window")
    @app_commands.describe(
        start="When quiet starts, HH:MM (e.g. 22:00)",
        end="When it ends, HH:MM (e.g. 07:30); the same as start turns quiet hours off",
    )
    async def quiet_hours(self, interaction: discord.Interaction, start: str, end: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        quiet = await self.bot.members.set_quiet_hours(
            interaction.user.id, interaction.user.display_name, start, end
        )
        zone = await self.bot.members.zone_of(interaction.user.id)
        text = (
            "Quiet hours are off."
            if quiet is None
            else f"Quiet hours set: {quiet.start:%H:%M}–{quiet.end:%H:%M} ({zone}). "
            "Prompts due then will wait until they end."
        )
        await interaction.followup.send(text, ephemeral=True)


async def setup(bot: CloserBot) -> None:
    await bot.add_cog(CloserCog(bot))
