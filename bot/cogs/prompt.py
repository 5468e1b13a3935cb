"""`/prompt now` and `/prompt skip`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.interact import services_of
from bot.cogs.pair import guild_only, partner_autocomplete, with_user_id
from bot.ui import messages

if TYPE_CHECKING:
    from bot.compose import Services


class PromptCog(commands.GroupCog, group_name="prompt", group_description="Prompts on demand"):
    def __init__(self, services: Services) -> None:
        self.services = services

    @app_commands.command(
        name="now", description="Send your pair's next prompt now, to both of you"
    )
    @app_commands.rename(with_="with")
    @app_commands.describe(with_="Which pair, if you have more than one")
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def now(self, interaction: discord.Interaction, with_: str | None = None) -> None:
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self.services.pairs.resolve(guild_id, interaction.user.id, with_user_id(with_))
        sent = await self.services.prompt_commands.send_now(pair, interaction.user.id)
        text = f"On its way — check your DMs. ({sent.prompt.category.label})"
        if sent.waits:
            names = await self.services.pairs.partner_names(pair, interaction.user.id)
            when = max(sent.waits.values())
            text += (
                f" {messages.names(names)} {'is' if len(names) == 1 else 'are'} in quiet hours, "
                f"so it reaches them at <t:{int(when.timestamp())}:t> (your time)."
            )
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(
        name="skip", description="Skip the open prompt for both of you, no questions asked"
    )
    @app_commands.rename(with_="with")
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def skip(self, interaction: discord.Interaction, with_: str | None = None) -> None:
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self.services.pairs.resolve(guild_id, interaction.user.id, with_user_id(with_))
        await self.services.prompt_commands.skip_open(pair)
        await interaction.followup.send(
            "Skipped for both of you. No questions asked.", ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(PromptCog(services_of(bot)))
