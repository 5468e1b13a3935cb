"""`/challenge list|start|status|stop`: themed weeks. Handlers defer, call the service, reply.

`/challenge` is open to everyone (a pair member starts a week for their pair), so Discord's
`default_permissions` can't guard the circle-wide start: that one checks Manage Server here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.circle import circle_autocomplete
from bot.cogs.components import confirm_view
from bot.cogs.interact import services_of
from bot.cogs.pair import guild_only, partner_autocomplete, with_user_id
from bot.errors import UserFacingError
from bot.services.challenges import CIRCLE_NEEDS_MANAGE, NeedsReplace, Outcome
from bot.ui import challenge_messages as copy

if TYPE_CHECKING:
    from bot.compose import Services


async def theme_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=name[:100], value=value)
        for name, value in services_of(interaction.client).challenges.theme_choices(current)
    ]


class ChallengeCog(
    commands.GroupCog, group_name="challenge", group_description="Themed weeks, one day at a time"
):
    def __init__(self, services: Services) -> None:
        self.services = services

    async def _send(self, interaction: discord.Interaction, outcome: Outcome) -> None:
        if isinstance(outcome, NeedsReplace):
            view = confirm_view("replace", outcome.target, interaction.user.id, outcome.extra)
            await interaction.followup.send(outcome.text, view=view, ephemeral=True)
            view.stop()
            return
        await interaction.followup.send(outcome.text, ephemeral=True)

    @app_commands.command(name="list", description="The themed weeks you can start")
    async def list_(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        payload = copy.list_embed(self.services.challenges.themes())
        await interaction.followup.send(
            embed=discord.Embed.from_dict(payload["embed"]), ephemeral=True
        )

    @app_commands.command(
        name="start", description="Start a themed week for your pair, or for a whole circle"
    )
    @app_commands.rename(with_="with")
    @app_commands.describe(
        theme="Which week",
        circle="Every group in this circle (needs Manage Server)",
        with_="Which pair, if you have more than one",
    )
    @app_commands.autocomplete(
        theme=theme_autocomplete, circle=circle_autocomplete, with_=partner_autocomplete
    )
    async def start(
        self,
        interaction: discord.Interaction,
        theme: str,
        circle: str | None = None,
        with_: str | None = None,
    ) -> None:
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if circle is not None and circle.strip():
            # Checked on our side too: default permissions are a client-side convenience.
            if not interaction.permissions.manage_guild:
                raise UserFacingError(CIRCLE_NEEDS_MANAGE)
            outcome = await self.services.challenges.start_circle(
                guild_id, interaction.user.id, circle, theme
            )
        else:
            pair = await self.services.pairs.resolve(
                guild_id, interaction.user.id, with_user_id(with_)
            )
            outcome = await self.services.challenges.start(pair, interaction.user.id, theme)
        await self._send(interaction, outcome)

    @app_commands.command(name="status", description="How this week is going (counts only)")
    @app_commands.rename(with_="with")
    @app_commands.describe(with_="Which pair, if you have more than one")
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def status(self, interaction: discord.Interaction, with_: str | None = None) -> None:
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self.services.pairs.resolve(guild_id, interaction.user.id, with_user_id(with_))
        text = await self.services.challenges.status(pair, interaction.user.id)
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(name="stop", description="Stop your pair's themed week")
    @app_commands.rename(with_="with")
    @app_commands.describe(with_="Which pair, if you have more than one")
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def stop(self, interaction: discord.Interaction, with_: str | None = None) -> None:
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self.services.pairs.resolve(guild_id, interaction.user.id, with_user_id(with_))
        text = await self.services.challenges.stop(pair, interaction.user.id)
        await interaction.followup.send(text, ephemeral=True)


async def confirm_replace(
    services: Services, interaction: discord.Interaction, target: int, extra: str
) -> None:
    """The "Replace it" button: `extra` is `p_<theme>` (a pair) or `c_<theme>` (a circle)."""
    scope, _, theme = extra.partition("_")
    user_id = interaction.user.id
    if scope == "c":
        if not interaction.permissions.manage_guild:
            raise UserFacingError(CIRCLE_NEEDS_MANAGE)
        circle = await services.circles.get(target)
        if circle is None or circle.guild_id != interaction.guild_id:
            raise UserFacingError("That circle isn't here any more.")
        outcome = await services.challenges.start_circle(
            circle.guild_id, user_id, circle.name, theme, replace=True
        )
    else:
        pair = await services.challenges.pair_for(target, user_id)
        outcome = await services.challenges.start(pair, user_id, theme, replace=True)
    await interaction.response.edit_message(content=outcome.text, view=None)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ChallengeCog(services_of(bot)))
