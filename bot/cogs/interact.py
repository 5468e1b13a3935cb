"""What every persistent button does first: find the services, refuse strangers, contain failures.

A leaf of the cog layer: buttons in `components.py` and `closeness.py` share these without
importing each other.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

import discord

from bot.cogs.errors import reply_ephemeral
from bot.compose import Services
from bot.core.models import Depth, Relationship
from bot.errors import UserFacingError

log = logging.getLogger(__name__)

NOT_FOR_YOU = "This button was sent to someone else, so it can't act for you."


class _PromptButton(Protocol):
    def __call__(
        self, i: discord.Interaction, action: str, instance_id: int, feeling: str | None = None, /
    ) -> Awaitable[None]: ...


_Press = Callable[[discord.Interaction, str, int], Awaitable[None]]


class _AnswerSubmitted(Protocol):
    def __call__(
        self,
        i: discord.Interaction,
        instance_id: int,
        text: str,
        feeling: str | None,
        guess: str | None = None,
        /,
    ) -> Awaitable[None]: ...


class ButtonHandlers(Protocol):
    """What persistent buttons call: `bot.cogs.handlers.Handlers`. Typed here, in the leaf the
    buttons import, because the handlers module imports the buttons; a button that calls a new
    handler adds one line."""

    @property
    def invite(self) -> _Press: ...
    @property
    def prompt(self) -> _PromptButton: ...
    @property
    def pace(self) -> _Press: ...
    @property
    def history(self) -> Callable[[discord.Interaction, int], Awaitable[None]]: ...
    @property
    def choose(self) -> Callable[[discord.Interaction, int, int, int], Awaitable[None]]: ...
    @property
    def answer_submitted(self) -> _AnswerSubmitted: ...
    @property
    def picked(self) -> Callable[[discord.Interaction, int, int], Awaitable[None]]: ...
    @property
    def pick_submitted(self) -> Callable[[discord.Interaction, int, int, str], Awaitable[None]]: ...
    @property
    def deeper(self) -> Callable[[discord.Interaction, bool, int, Depth], Awaitable[None]]: ...
    @property
    def confirm(self) -> Callable[[discord.Interaction, str, bool, int, str], Awaitable[None]]: ...
    @property
    def relationship(
        self,
    ) -> Callable[[discord.Interaction, bool, int, int, Relationship], Awaitable[None]]: ...


class Closer(Protocol):
    """What the cog layer asks of the running bot (`bot.app.CloserBot`), without importing it."""

    @property
    def services(self) -> Services: ...
    @property
    def handlers(self) -> ButtonHandlers: ...


def services_of(client: discord.Client) -> Services:
    """The services of the bot a cog is loaded into (built before any cog is loaded)."""
    services = getattr(client, "services", None)
    if not isinstance(services, Services):
        raise RuntimeError("the bot's services are not built yet: build them before the cogs")
    return services


def closer(interaction: discord.Interaction) -> Closer:
    return cast(Closer, interaction.client)


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
