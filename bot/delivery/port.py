"""The seam between the outbox and Discord: open a DM, send a message, nothing else.

Errors are translated into the three things the outbox decides on: the member cannot be reached
(never retry), the channel is gone (reopen it), or a transient failure (retry with backoff).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import discord

from bot.delivery.limiter import RateLimiter
from bot.delivery.routes import RouteGate
from bot.ui.payload import FileSpec, MessagePayload, ViewSpec, view_of

CANNOT_DM = 50007
UNKNOWN_CHANNEL = 10003


class SendError(Exception):
    pass


class Unreachable(SendError):
    """Discord 50007: the member does not accept DMs from us."""


class ChannelGone(SendError):
    """The cached DM channel no longer exists."""


class Transient(SendError):
    """Worth retrying later: 5xx, a network error, a timeout."""


class Permanent(SendError):
    """Discord refused the request itself; retrying would fail the same way."""


@dataclass(frozen=True)
class Sent:
    message_id: int


class DiscordPort(Protocol):
    async def open_dm(self, user_id: int) -> int: ...

    async def send(self, channel_id: int, message: MessagePayload, nonce: str) -> Sent: ...


# Builds a message's buttons; the bot passes the cog layer's builder in (bot.app), so delivery
# never imports cogs.
ViewFactory = Callable[[ViewSpec], discord.ui.View | None]


def translate(exc: BaseException) -> SendError:
    if isinstance(exc, discord.Forbidden) and exc.code == CANNOT_DM:
        return Unreachable(str(exc))
    if isinstance(exc, discord.NotFound) and exc.code == UNKNOWN_CHANNEL:
        return ChannelGone(str(exc))
    if isinstance(exc, discord.DiscordServerError | aiohttp.ClientError | asyncio.TimeoutError):
        return Transient(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, discord.HTTPException) and exc.status == 429:
        return Transient("rate limited")
    if isinstance(exc, discord.HTTPException):
        return Permanent(f"{exc.status} {exc.code}: {exc.text}")
    return Transient(f"{type(exc).__name__}: {exc}")


def attachment(spec: FileSpec) -> discord.File:
    """A stored picture spec, drawn now; the alt text travels as the attachment's description."""
    from bot.ui.pictures import render  # Pillow is loaded only once a picture is sent

    return discord.File(
        io.BytesIO(render(spec)),
        filename=spec.get("filename") or "picture.png",
        description=spec.get("alt") or None,
    )


class BotPort:
    """The real thing, over discord.py, with every call charged to one shared limiter."""

    def __init__(
        self,
        client: discord.Client,
        limiter: RateLimiter,
        views: ViewFactory,
        open_gate: RouteGate | None = None,
    ) -> None:
        self._client = client
        self._limiter = limiter
        self._views = views
        self._open_gate = open_gate or RouteGate()

    async def open_dm(self, user_id: int) -> int:
        # The route's own bucket first: a request waiting for it must not hold a place in the
        # global budget that a send to a known channel could use meanwhile.
        await self._open_gate.enter()
        try:
            async with self._limiter.slot():
                data = await self._client.http.start_private_message(user_id)
        except Exception as exc:
            raise translate(exc) from exc
        finally:
            self._open_gate.leave()
        return int(data["id"])

    async def send(self, channel_id: int, message: MessagePayload, nonce: str) -> Sent:
        channel = self._client.get_partial_messageable(channel_id)
        kwargs: dict[str, Any] = {"nonce": nonce}
        if message.get("content"):
            kwargs["content"] = message["content"]
        if "embed" in message:
            kwargs["embed"] = discord.Embed.from_dict(message["embed"])
        if "embeds" in message:
            kwargs["embeds"] = [discord.Embed.from_dict(e) for e in message["embeds"]]
        # Drawn beside the event loop: a picture takes up to a fifth of a second of CPU, which
        # would otherwise hold up every other send and every interaction meanwhile.
        files = [await asyncio.to_thread(attachment, spec) for spec in message.get("files") or []]
        if files:
            kwargs["files"] = files
        spec = view_of(message)
        view = self._views(spec) if spec is not None else None
        if view is not None:
            kwargs["view"] = view
        try:
            async with self._limiter.slot():
                sent = await channel.send(**kwargs)
        except Exception as exc:
            raise translate(exc) from exc
        finally:
            if view is not None:
                # Buttons are dispatched by their custom_id pattern, not by this object; keeping
                # it in discord.py's view store would grow memory with every prompt sent.
                view.stop()
        return Sent(sent.id)
