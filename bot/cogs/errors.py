"""The one place app-command errors are answered: a short ephemeral reply, a logged traceback."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = (
    "Something went wrong on our side, sorry. Please try again in a minute; "
    "if it keeps happening, let a server admin know."
)
DISCORD_HICCUP = "Discord had a hiccup and that may not have gone through. Please try again."


def is_discord_trouble(error: BaseException) -> bool:
    """A 5xx from Discord: their outage, not our bug, so a warning rather than a traceback."""
    return isinstance(error, discord.HTTPException) and error.status >= 500


def message_for(error: app_commands.AppCommandError) -> tuple[str, bool]:
    """The reply for an error, and whether it is unexpected (worth a traceback in the log)."""
    original = getattr(error, "original", error)
    if isinstance(original, UserFacingError):
        return original.message, False
    if is_discord_trouble(original):
        return DISCORD_HICCUP, False
    if isinstance(error, app_commands.MissingPermissions):
        return "That command needs the Manage Server permission.", False
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command works inside a server, not in DMs.", False
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Easy does it: try again in {error.retry_after:.0f} seconds.", False
    if isinstance(error, app_commands.TransformerError):
        # Shortened: the value is whatever was typed, and a reply over 2000 characters would fail.
        shown = repr(error.value)
        shown = shown if len(shown) <= 60 else shown[:57] + "…"
        return f"I couldn't understand {shown} there. Please pick from the list.", False
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here.", False
    return SOMETHING_WENT_WRONG, True


async def reply_ephemeral(interaction: discord.Interaction, text: str) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning(
            "could not tell the member about an error: %s",
            exc,
            extra={"interaction_id": interaction.id},
        )


class ErrorHandler(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error
        bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        text, unexpected = message_for(error)
        command = interaction.command.qualified_name if interaction.command else "?"
        context = {"interaction_id": interaction.id, "command": command}
        original = getattr(error, "original", error)
        if unexpected:
            log.error(
                "command /%s failed (interaction %s)",
                command,
                interaction.id,
                exc_info=original,
                extra=context,
            )
        elif is_discord_trouble(original):
            log.warning("command /%s hit a Discord error: %s", command, original, extra=context)
        await reply_ephemeral(interaction, text)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ErrorHandler(bot))
