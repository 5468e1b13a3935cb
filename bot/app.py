"""The Bot: the discord.py client and its lifecycle around the services.

Start-up order is storage → services (`bot.compose.build_services`) → cogs → command sync →
ticker; `close()` undoes it in reverse so an in-flight tick finishes its bookkeeping before the
database closes. Cogs get the services from `CloserBot.services`; persistent buttons call
`CloserBot.handlers`; the outbox builds buttons with `bot.cogs.components.build_view`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from typing import Any, cast

import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands

from bot.cogs.components import build_view
from bot.cogs.handlers import Handlers
from bot.cogs.tree import CloserTree
from bot.compose import Services, build_services
from bot.core.clock import Clock, SystemClock
from bot.core.models import Library
from bot.delivery.limiter import RateLimiter
from bot.delivery.port import BotPort
from bot.delivery.routes import RouteWatch, sweep_cheaply
from bot.delivery.ticker import Ticker
from bot.health import heartbeat_path, is_fresh, touch
from bot.metrics import Metrics
from bot.metrics_http import MetricsServer
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.engines import ask_for_room, open_database
from bot.storage.lock import ProcessLock
from bot.storage.meta import count_new_sender, get_meta, set_meta
from bot.storage.outbox import due_backlog, take_over_leases

log = logging.getLogger(__name__)

# Extensions, by name (discord.py loads them). Each one's `setup` takes the services from
# `CloserBot.services`, which exist before the first is loaded.
COG_MODULES = (
    "bot.cogs.errors",
    "bot.cogs.components",
    "bot.cogs.closer",
    "bot.cogs.pair",
    "bot.cogs.prompt",
    "bot.cogs.dms",
    "bot.cogs.admin",
    "bot.cogs.circle",
    "bot.cogs.challenge",
    "bot.cogs.closeness",
)

# How soon a process that does not send tries again to take over sending (PostgreSQL).
LEAD_RETRY = 4.0

# Discord's minimum spacing between two IDENTIFYs for a bot with max_concurrency 1.
IDENTIFY_SPACING = 5.0

# Discord's 50 requests/s. The limiter keeps every one-second window at or under it (with a
# small margin for network jitter); interaction callbacks and follow-ups do not count against
# the global limit, and command syncs happen before the first tick.
SEND_RATE = 50.0

# What a starting process asks the sender (another process, PostgreSQL) to leave free of that
# budget before it logs in: its start-up calls (log-in, application, gateway, command sync),
# for about as long as starting takes.
START_UP_CALLS = 4
START_UP_SECONDS = 15.0
# How long it keeps asking a sender that holds the lead but does not answer (one that has just
# died, until PostgreSQL lets go of its lock) before starting anyway.
START_UP_ASKING = 5.0


def point_discord_py_at(settings: Settings) -> None:
    """discord.py keeps its REST root and gateway as class attributes; set them from settings."""
    discord.http.Route.BASE = settings.discord_api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def default_intents() -> discord.Intents:
    # No privileged intents: members come from each command's `resolved` data, and DM text does
    # not need the message-content intent.
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    return intents


def component_label(custom_id: str) -> str:
    """`closer:prompt:answer:12:34` → `closer:prompt:answer`: ids would explode label counts."""
    words = [w for w in custom_id.split(":") if w and not w.isdigit()]
    return ":".join(words[:3])[:60] or "unknown"


# AutoSharded even with one shard: SHARD_COUNT/SHARD_IDS then split the shards over several
# processes, and a single process runs them all (discord.py asks Discord for the count).
class CloserBot(commands.AutoShardedBot):
    db: Database
    services: Services
    handlers: Handlers

    def __init__(
        self,
        settings: Settings,
        library: Library,
        *,
        clock: Clock | None = None,
        send_rate: float | None = None,
        identify_spacing: float = IDENTIFY_SPACING,
        **options: Any,
    ) -> None:
        point_discord_py_at(settings)
        # Response headers of the routes the outbox paces itself on (opening DMs).
        self.route_watch = RouteWatch()
        trace = self.route_watch.trace_config()
        metrics = Metrics()
        metrics.count_429s(trace)
        options.setdefault("http_trace", trace)
        if settings.shard_count is not None:
            options.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids is not None:
            options.setdefault("shard_ids", list(settings.shard_ids))
        options.setdefault("intents", default_intents())
        options.setdefault("help_command", None)
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        # Refuses option values of the wrong type before discord.py trips over them.
        options.setdefault("tree_cls", CloserTree)
        super().__init__(command_prefix=commands.when_mentioned, **options)
        sweep_cheaply(self)
        self.settings = settings
        self.library = library
        self.clock: Clock = clock or SystemClock()
        # Read now, not when the class is defined, so a benchmark can set SEND_RATE first.
        self.send_rate = send_rate if send_rate is not None else SEND_RATE
        self.identify_spacing = identify_spacing
        self.metrics = metrics
        self.metrics_server = (
            MetricsServer(
                metrics,
                settings.metrics_host,
                settings.metrics_port,
                healthy=self.healthy,
                refresh=self.sample_gateway,
            )
            if settings.metrics_port is not None
            else None
        )
        self.ticker = Ticker(settings.tick_interval, self.tick)
        self.synced_commands = False
        self.process_lock = ProcessLock(
            settings.database_path, shared=settings.postgres_url is not None
        )
        self._closing: asyncio.Future[None] | None = None
        self._lead_retry: asyncio.TimerHandle | None = None
        self._leading = False  # held the lead at the last look (see `lead`)
        self._lead_lock = asyncio.Lock()
        self._last_identify: float | None = None

    async def setup_hook(self) -> None:
        # Before the database opens, so a second bot on the same file never touches it.
        self.process_lock.acquire()
        try:
            self.db = await open_database(self.settings.database_path, self.settings.postgres_url)
        except BaseException:
            self.process_lock.release()
            raise
        self._build_services()
        for module in COG_MODULES:
            await self.load_extension(module)
        await self.sync_commands()
        # Work queued by another process wakes the sender at once, and a row another process's
        # command wants sent now is sent by the sender (PostgreSQL LISTEN).
        await self.db.listen(self.ticker.wake, self.services.outbox.asked, self._make_room)
        self.ticker.start()
        if self.metrics_server is not None:
            await self.metrics_server.start()
        log.info("closer is set up", extra={"database": str(self.settings.database_path)})

    def _build_services(self) -> None:
        self.limiter = RateLimiter(self.send_rate)
        self.port = BotPort(self, self.limiter, build_view, self.route_watch.open_dm)
        self.services = build_services(
            self.db,
            self.library,
            zone=self.settings.default_timezone,
            nudge_after=self.settings.nudge_after,
            clock=self.clock,
            wake=self.ticker.wake,
            port=self.port,
            observe=self.metrics.delivered,
            lead=self.lead,
        )
        self.handlers = Handlers(self, self.services)

    async def close(self) -> None:
        """Stop for good; safe to call twice or concurrently (SIGTERM and `async with` both do).

        The work runs in one task that every caller awaits: discord.py marks the client closed
        halfway through, so `start()` can return while a closer is still releasing leases and
        closing SQLite, and a caller that returned then would leave the database open.
        """
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close_once())
        await asyncio.shield(self._closing)

    async def _close_once(self) -> None:
        if self.metrics_server is not None:
            await self.metrics_server.stop()
        await self.ticker.stop()
        services = getattr(self, "services", None)
        if services is not None:
            await services.outbox.release()
        await super().close()
        db = getattr(self, "db", None)
        if db is not None:
            await db.close()
        self.process_lock.release()

    async def tick(self) -> None:
        """One pass of the outbox (the ticker calls this every TICK_INTERVAL, or when woken)."""
        if not self.is_ready():
            return
        if not self.is_closed() and self.latency != float("inf"):
            touch(heartbeat_path(self.settings.database_path))
        if not await self.lead():
            # Another process sends (PostgreSQL, several processes): this one serves its shards'
            # interactions, and looks again soon so a dead sender is replaced within seconds.
            self._retry_lead()
            return
        # Sampled before the pass: what waited for it, and for how long (after it, the queue
        # is empty unless sending falls behind).
        now = self.clock.now()
        self.metrics.backlog(*await due_backlog(self.db, now), now)
        self.sample_gateway()
        started = time.perf_counter()
        await self.services.outbox.tick()
        self.metrics.tick_seconds.observe(time.perf_counter() - started)

    async def lead(self) -> bool:
        """True while this process is the one that sends. Every look goes through here (the
        tick, a command's send now, a DM channel opened ahead), so whichever finds that this
        process has just become the sender takes over before anything is sent."""
        async with self._lead_lock:
            leading = await self.db.lead()
            if leading and not self._leading and self.db.engine == "postgresql":
                await self._take_over()
            self._leading = leading
            self.metrics.sender.set(1 if leading else 0)
            return leading

    async def login(self, token: str) -> None:
        # Another process may be the sender (PostgreSQL), spending all of Discord's budget:
        # this one's start-up calls would come on top of it.
        await ask_for_room(
            self.settings.postgres_url, START_UP_CALLS, START_UP_SECONDS, START_UP_ASKING
        )
        await super().login(token)

    async def _make_room(self, calls: int, seconds: float) -> bool:
        """Another process is starting (see `login`): leave it room if this one sends."""
        if not self._leading:
            return False
        await self.limiter.make_room(calls, seconds)
        return True

    async def _take_over(self) -> None:
        if await count_new_sender(self.db):
            # Whoever sent before is gone. It may have spent all of Discord's budget in its
            # last second, which ended no later than now: count the window as full, or this
            # process's first second would add a whole budget of its own to that one. (The
            # first sender a database ever has follows no one, and starts at once.)
            self.limiter.fill()
        # Its claimed rows would otherwise wait out their two-minute lease while this idles.
        taken = await take_over_leases(self.db, self.clock.now(), self.services.outbox.in_flight)
        log.info("took over sending", extra={"leases_taken_over": taken})

    def _retry_lead(self) -> None:
        loop = asyncio.get_running_loop()
        if self._lead_retry is None or self._lead_retry.when() <= loop.time():
            self._lead_retry = loop.call_later(LEAD_RETRY, self.ticker.wake)

    # Operators' view -------------------------------------------------------------------------
    def sample_gateway(self) -> None:
        self.metrics.shards(
            (shard_id, info.latency, not info.is_closed()) for shard_id, info in self.shards.items()
        )

    def healthy(self) -> bool:
        """Connected and ticking: the same heartbeat `python -m bot health` reads."""
        if self.is_closed() or not self.is_ready():
            return False
        if not self.shards or any(info.is_closed() for info in self.shards.values()):
            return False
        tick = self.settings.tick_interval.total_seconds()
        return is_fresh(heartbeat_path(self.settings.database_path), tick)

    def observe_interaction(self, interaction: discord.Interaction) -> None:
        """Slash commands and autocomplete, after the tree handled them (see CloserTree)."""
        command = interaction.command
        name = command.qualified_name if command is not None else "unknown"
        if interaction.type is discord.InteractionType.autocomplete:
            outcome = "autocomplete"
        else:
            outcome = "failed" if interaction.command_failed else "ok"
        self.metrics.interaction(name, outcome)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Buttons, selects and modals run in discord.py's view store, which reports no outcome;
        # count them as received (their errors are logged).
        if interaction.type in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            data = cast(dict[str, Any], interaction.data or {})
            self.metrics.interaction(component_label(str(data.get("custom_id", ""))), "received")

    # Command sync --------------------------------------------------------------------------
    def command_payload(self) -> list[dict[str, Any]]:
        return sorted(
            (c.to_dict(self.tree) for c in self.tree.get_commands()), key=lambda c: str(c["name"])
        )

    async def sync_commands(self) -> None:
        """Sync only when the command set changed; always to DEV_GUILD_ID (instant there)."""
        dev_guild = self.settings.dev_guild_id
        if dev_guild is not None:
            guild = discord.Object(id=dev_guild)
            self.tree.copy_global_to(guild=guild)
            try:
                await self.tree.sync(guild=guild)
            except discord.Forbidden:
                # Removed from the dev server (its purge is pending): keep serving everyone
                # else rather than refuse to start.
                log.warning("cannot sync commands to DEV_GUILD_ID %s: missing access", dev_guild)
                return
            self.synced_commands = True
            return
        digest = hashlib.sha256(
            json.dumps(self.command_payload(), sort_keys=True).encode()
        ).hexdigest()
        key = f"command_hash:{self.application_id}:{self.settings.discord_api_base_url}"
        if await get_meta(self.db, key) == digest:
            log.info("slash commands unchanged; not syncing")
            return
        await self.tree.sync()
        self.synced_commands = True
        await set_meta(self.db, key, digest)
        log.info("slash commands synced")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every re-IDENTIFY (after op 9, an invalid session) and
        before each shard after the first. Discord asks for 5 s between IDENTIFYs, not 5 s after
        each loss, and interactions sent while we are away are lost; so wait only what is left
        of those 5 s. (`identify_spacing` is lowered only against the sandbox, in tests.)"""
        if not initial and self._last_identify is not None:
            wait = self.identify_spacing - (time.monotonic() - self._last_identify)
            if wait > 0:
                await asyncio.sleep(wait)
        self._last_identify = time.monotonic()

    async def on_ready(self) -> None:
        log.info("connected as %s to %d servers", self.user, len(self.guilds))
        if self.db.engine == "postgresql" and not self.is_closed() and not await self.lead():
            # A tick before this returned without looking for the lead, and the next comes only
            # after TICK_INTERVAL: start looking now, so a sender that dies while this process
            # stands by is replaced within LEAD_RETRY. (Holding the lead already, the ticks
            # that come send; an extra one now would race the first commands' own sends.)
            self._retry_lead()
