"""`/closer …`: help and personal settings. Handlers defer, call a service, render."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs import closeness, render
from bot.cogs.components import confirm_view, history_view
from bot.cogs.interact import services_of
from bot.cogs.pair import guild_only, partner_autocomplete, with_user_id
from bot.core.cadence import zone_choices
from bot.services.export_files import DEFAULT_UPLOAD_LIMIT, ExportForm
from bot.ui import trust

if TYPE_CHECKING:
    from bot.compose import Services


async def zone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=z, value=z) for z in zone_choices(current[:64], 25)]


class CloserCog(
    commands.GroupCog, group_name="closer", group_description="Closer: help and your settings"
):
    def __init__(self, services: Services) -> None:
        self.services = services

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
        name = await self.services.members.set_timezone(
            interaction.user.id, render.global_name(interaction.user), zone
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
        quiet = await self.services.members.set_quiet_hours(
            interaction.user.id, render.global_name(interaction.user), start, end
        )
        zone = await self.services.members.zone_of(interaction.user.id)
        text = (
            "Quiet hours are off."
            if quiet is None
            else f"Quiet hours set: {quiet.start:%H:%M}–{quiet.end:%H:%M} ({zone}). "
            "Prompts due then will wait until they end."
        )
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(
        name="history", description="Your recent prompts, your answers and your partners'"
    )
    async def history(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        shown = await self.services.followups.history(interaction.user.id, 1)
        view = history_view(shown.page, shown.pages, interaction.user.id)
        await interaction.followup.send(
            shown.payload.get("content", ""),
            embeds=[discord.Embed.from_dict(e) for e in shown.payload.get("embeds", [])],
            view=view or discord.utils.MISSING,
            ephemeral=True,
        )
        if view is not None:
            view.stop()

    @app_commands.command(
        name="checkin", description="How close do you feel? A private check-in, just for you"
    )
    @app_commands.rename(with_="with")
    @app_commands.describe(with_="Which pair, if you have more than one")
    @app_commands.autocomplete(with_=partner_autocomplete)
    async def checkin(self, interaction: discord.Interaction, with_: str | None = None) -> None:
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        pair = await self.services.pairs.resolve(guild_id, interaction.user.id, with_user_id(with_))
        await closeness.checkin(self.services, interaction, pair)

    @app_commands.command(
        name="insights", description="Your own check-ins over time, with what you did together"
    )
    async def insights(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await closeness.insights(self.services, interaction)

    # Privacy and support (trust) ---------------------------------------------------------
    @app_commands.command(
        name="export", description="A JSON file of everything Closer holds about you"
    )
    async def export(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        # Discord's per-file limit for this very interaction (higher on boosted servers).
        limit = int(getattr(interaction, "filesize_limit", DEFAULT_UPLOAD_LIMIT))
        result, bundle = await self.services.privacy.export_files(interaction.user.id, limit)
        batches = bundle.messages()
        if bundle.form is ExportForm.JSON:
            text = trust.export_text(result.rows)
        elif bundle.form is ExportForm.ZIP:
            text = trust.EXPORT_ZIPPED
        else:
            text = trust.export_parts_text(len(bundle.files), len(batches))
        for number, batch in enumerate(batches):
            await interaction.followup.send(
                text if number == 0 else trust.export_more_text(number + 1, len(batches)),
                files=[discord.File(io.BytesIO(f.data), filename=f.filename) for f in batch],
                ephemeral=True,
            )

    @app_commands.command(
        name="forget", description="Delete everything Closer holds about you (asks to confirm)"
    )
    async def forget(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        # Nothing is deleted here: the button carries the member's id, and only they can press it.
        view = confirm_view("forget", 0, interaction.user.id)
        await interaction.followup.send(trust.FORGET_ASK, view=view, ephemeral=True)
        view.stop()

    @app_commands.command(
        name="resources", description="Where to find couples or individual therapy"
    )
    async def resources(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            embed=discord.Embed.from_dict(trust.resources_embed()), ephemeral=True
        )


async def confirm_forget(
    services: Services, interaction: discord.Interaction, target: int, extra: str
) -> None:
    """The "Delete everything" button (see `bot.cogs.handlers.CONFIRMS`)."""
    # Acknowledge first: erasure is one transaction, but it may queue behind a fan-out's writes
    # and Discord gives a button only 3 seconds.
    await interaction.response.defer()
    await services.privacy.forget(interaction.user.id)
    await interaction.edit_original_response(content=trust.FORGET_DONE, view=None)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(CloserCog(services_of(bot)))
