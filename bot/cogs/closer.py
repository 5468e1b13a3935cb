"""`/closer …`: personal settings and help. Handlers defer, call a service, render."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs import render


class CloserCog(
    commands.GroupCog, group_name="closer", group_description="Closer: help and your settings"
):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="How Closer works, in a few lines")
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=render.help_embed(), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(CloserCog(bot))
