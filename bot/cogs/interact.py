"""What every persistent button does first: find the bot, refuse strangers, contain failures.

A leaf of the cog layer: buttons in `components.py` and `closeness.py` share these without
importing each other.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.cogs.errors import reply_ephemeral
from bot.errors import UserFacingError

if TYPE_CHECKING:
    from bot.app import CloserBot

log = logging.getLogger(__name__)

NOT_FOR_YOU = "This button was sent to someone else, so it can't act for you."


def closer(interaction: discord.Interaction) -> CloserBot:
    return cast("CloserBot", interaction.client)


async def _guard(interaction: discord.Interaction, user_id: int) -> bool:
    if interaction.user.id != user_id:
        await reply_ephemeral(interaction, NOT_FOR_YOU)
        return False
    return True


async def _run(interaction: discord.Interaction, action: Any) -> None:
    """Run a handler; a refusal becomes a short ephemeral reply, a bug a logged apology."""
    try:
        await action
    except UserFacingError as exc:
        await reply_ephemeral(interaction, exc.message)
    except Exception:
        log.exception("component failed", extra={"interaction_id": interaction.id})
        await reply_ephemeral(
            interaction, "Something went wrong on our side, sorry. Please try again in a minute."
        )
