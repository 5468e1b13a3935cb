"""Running the bot for real: load and check everything, connect, stop cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal

import aiohttp
import discord

from bot.app import CloserBot
from bot.library.loader import load_library
from bot.library.problems import LibraryError
from bot.logs import register_secret
from bot.metrics_http import MetricsPortError
from bot.settings import Settings
from bot.storage.errors import StorageError

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Closer cannot start; the message is for the operator (exit code 2)."""


def freeze_startup_heap() -> None:
    """Keep what startup loaded (every imported module, the prompt library) out of the cyclic
    garbage collector's full passes: it lives as long as the process anyway.

    A large fan-out allocates fast enough to set off full collections, and each walked every
    object in the process: a 45 ms pause inside one 1,000-row claim in `benchmarks/scale.py`,
    more than the claim's own database time. After this a full pass walks only what was made
    since. Called once, after loading and before connecting."""
    gc.collect()
    gc.freeze()


async def run_bot(settings: Settings) -> int:
    token = settings.require_token().get_secret_value()
    register_secret(token)
    try:
        library = load_library(settings.prompts_dir)
    except LibraryError as exc:
        lines = "\n".join(str(p) for p in exc.problems)
        raise StartupError(f"the prompt library is invalid:\n{lines}") from None
    freeze_startup_heap()
    bot = CloserBot(settings, library)
    try:
        # Refuse before logging in: a second bot must not even connect to the gateway.
        bot.process_lock.acquire()
    except StorageError as exc:
        raise StartupError(str(exc)) from None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Not every platform lets asyncio own signals; there Ctrl-C still ends the process.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
    try:
        async with bot:
            try:
                await bot.start(token)
            finally:
                # After SIGTERM, start() returns as soon as discord.py marks itself closed;
                # wait for the rest of close() (leases, SQLite) before the loop goes away.
                await bot.close()
    except discord.LoginFailure:
        raise StartupError("DISCORD_TOKEN was rejected by Discord; check the token.") from None
    except (StorageError, MetricsPortError) as exc:
        raise StartupError(str(exc)) from None
    except (aiohttp.ClientError, OSError) as exc:
        # Only login gets here (discord.py retries the gateway itself): a wrong
        # DISCORD_API_BASE_URL, no network, or Discord down. One line, not a traceback.
        raise StartupError(
            f"cannot reach Discord at {settings.discord_api_base_url}: {exc}"
        ) from None
    return 0
