"""The outbox service: each tick materialises due work into rows, then claims and sends them.

Producers (prompt schedules, circle rounds, nudges, follow-ups…) only ever *insert rows*; the
sender is the only code that talks to Discord. So every DM, whoever asked for it, gets the same
idempotency (nonce = row id), rate limit, retry policy and 50007 handling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from bot.core.clock import Clock
from bot.core.models import DeliveryStatus, SendResult
from bot.delivery.port import (
    ChannelGone,
    DiscordPort,
    Permanent,
    SendError,
    Transient,
    Unreachable,
)
from bot.storage import members as member_store
from bot.storage import outbox as store
from bot.storage.db import Database
from bot.storage.delivery_state import DeliveryState, delivery_state
from bot.ui.payload import MessagePayload

log = logging.getLogger(__name__)

Producer = Callable[[datetime], Awaitable[object]]

LEASE = timedelta(minutes=2)
BATCH = 200
MAX_ATTEMPTS = 8
POLL_WHILE_PRODUCING = 0.05
# Rows in flight whose channel is known: claimed again once half have gone, so the global budget
# never idles at a batch boundary (at 50/s, BATCH rows last four seconds).
WARM_AHEAD = 2 * BATCH
# Rows waiting to open a DM channel first. They move at the DM-open bucket's pace (10/s on the
# sandbox), so this many is ~10 s of work: far inside LEASE, and never in the way of sends to
# members whose channel is known, which are claimed and paced separately.
COLD_AHEAD = 100
# How long a member's command waits for a row it wants sent now to settle, whoever sends it,
# and how often it looks meanwhile. Discord gives an interaction 15 minutes after deferring;
# a member watching "thinking…" deserves an answer much sooner, true either way.
SEND_NOW_WAIT = 3.0
SEND_NOW_POLL = 0.05


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, … capped at 30 min."""
    return min(timedelta(seconds=15 * 2 ** max(0, attempts - 1)), timedelta(minutes=30))


def nonce_for(delivery_id: int) -> str:
    # Discord caps nonces at 25 characters; a UUID would be refused (400/50035).
    return f"closer-{delivery_id}"


@dataclass
class Outcome:
    status: SendResult
    message_id: int | None = None
    error: str | None = None


@dataclass
class Outbox:
    db: Database
    port: DiscordPort
    clock: Clock
    # Run in this order at the start of every tick (see `bot.compose` for the bot's).
    producers: Sequence[Producer] = ()
    # When a DM may reach a member, if they are in their quiet hours now (None: no gate).
    quiet_until: Callable[[int, datetime], Awaitable[datetime | None]] | None = None
    # Per kind: asked just before sending; False skips the row (e.g. a check-in queued hours
    # ahead for a pair that has since paused).
    before_send: Mapping[str, Callable[[store.Claimed], Awaitable[bool]]] = field(
        default_factory=dict
    )
    # Per kind: told after a row was given up because its member's DMs are closed to us (an
    # invite: the inviter hears of it).
    after_unreachable: Mapping[str, Callable[[store.Claimed], Awaitable[None]]] = field(
        default_factory=dict
    )
    # Told each delivery's kind and outcome (metrics); no Discord or Prometheus knowledge here.
    observe: Callable[[str, str], None] | None = None
    sent_count: int = 0
    in_flight: set[int] = field(default_factory=set)
    # The claims behind `in_flight`, and sends cancelled at shutdown: what `release` hands back.
    held: dict[int, store.Claimed] = field(default_factory=dict)
    abandoned: dict[int, store.Claimed] = field(default_factory=dict)
    # DM channels being opened ahead of a first send; stopped with the outbox.
    ahead: ChannelsAhead | None = None
    # True while this process is the one that sends (PostgreSQL: one process at a time, with
    # all of Discord's budget). The bot's own check also takes over from a dead sender the
    # moment this process becomes it (`bot.app`); None asks the database alone.
    lead: Callable[[], Awaitable[bool]] | None = None
    _asked: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _stopped: bool = field(default=False, init=False)

    async def tick(self) -> None:
        now = self.clock.now()
        # Send while producers are still materialising: with thousands of members due at once,
        # preparing every row before the first send would idle the rate budget for seconds.
        producing = asyncio.Event()
        sender = asyncio.create_task(self._pump(producing))
        try:
            for producer in self.producers:
                try:
                    await producer(now)
                except Exception:
                    name = getattr(producer, "__qualname__", repr(producer))
                    log.exception(
                        "a producer failed; its work stays due for the next tick",
                        extra={"producer": name},
                    )
        finally:
            producing.set()
            try:
                await sender
            finally:
                sender.cancel()

    async def _pump(self, done_producing: asyncio.Event | None) -> None:
        """Claim and send until nothing is due (and, if given, the producers are done).

        Two streams share the global limiter: rows whose channel is known, kept WARM_AHEAD
        deep, and rows that must open a DM first, kept COLD_AHEAD deep and paced by the
        DM-open route's own bucket. A cold first round therefore keeps that bucket busy
        without holding back a single send to a member already known.
        """
        tasks: dict[asyncio.Task[Outcome], bool] = {}  # task -> waits for a channel to open
        next_look = 0.0  # after a claim came back short, don't ask again before this
        try:
            while True:
                final = done_producing is None or done_producing.is_set()
                claimed: list[store.Claimed] = []
                if not tasks or time.monotonic() >= next_look:
                    claimed, short = await self._claim(tasks)
                    if short:
                        next_look = time.monotonic() + POLL_WHILE_PRODUCING
                for c in claimed:
                    task = asyncio.create_task(self.deliver(c))
                    tasks[task] = c.needs_channel
                if not tasks:
                    if final and not claimed:
                        return
                    if done_producing is not None and not final:
                        # Wake on new rows at least this often, or at once when producing ends.
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(done_producing.wait(), POLL_WHILE_PRODUCING)
                    continue
                done, _ = await asyncio.wait(
                    tasks, timeout=POLL_WHILE_PRODUCING, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    del tasks[task]
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _claim(
        self, tasks: dict[asyncio.Task[Outcome], bool]
    ) -> tuple[list[store.Claimed], bool]:
        """Top both streams up; also whether either had fewer rows due than it had room for."""
        cold = sum(tasks.values())
        warm = len(tasks) - cold
        now = self.clock.now()
        claimed: list[store.Claimed] = []
        short = False
        if warm <= WARM_AHEAD - BATCH:
            got = await store.claim_due(
                self.db, now, now + LEASE, WARM_AHEAD - warm, known_channel=True
            )
            claimed += got
            short = len(got) < WARM_AHEAD - warm
        if cold <= COLD_AHEAD // 2:
            got = await store.claim_due(
                self.db, now, now + LEASE, COLD_AHEAD - cold, known_channel=False
            )
            claimed += got
            short = short or len(got) < COLD_AHEAD - cold
        return claimed, short

    async def drain(self) -> None:
        """Claim and send until nothing is due."""
        await self._pump(None)

    async def send_now(self, delivery_id: int) -> Outcome:
        """Send one queued delivery at once and say what became of it (an invite, so the
        inviter hears about closed DMs in the same command).

        Only the sending process sends, so that every request is within its budget: here if
        this process leads, else the sender is asked to. Whoever claims the row (this call,
        the sender's tick, the sender asked), the outcome is read from the row once it
        settles; QUEUED if it has not within SEND_NOW_WAIT, when it goes out with a later pass.
        """
        if await self._leading():
            outcome = await self._send_here(delivery_id)
            if outcome is not None:
                return outcome
        else:
            await self.db.ask_to_send(delivery_id)
        return await self._settled(delivery_id)

    def asked(self, delivery_id: int) -> None:
        """Another process took a command that wants this row sent now (see `send_now`): send
        it if this process is the sender. The asker reads the outcome from the row."""
        if self._stopped:
            return
        task = asyncio.get_running_loop().create_task(self._send_asked(delivery_id))
        self._asked.add(task)
        task.add_done_callback(self._asked.discard)

    async def _send_asked(self, delivery_id: int) -> None:
        try:
            if await self._leading():
                await self._send_here(delivery_id)
        except Exception:  # a failed look or claim: the row stays due for the next tick
            log.exception("could not send a row asked for", extra={"delivery_id": delivery_id})

    async def _leading(self) -> bool:
        return await (self.lead() if self.lead is not None else self.db.lead())

    async def _send_here(self, delivery_id: int) -> Outcome | None:
        """Claim and send the row in this process; None when it is not pending (another claim
        holds it, or it has settled)."""
        now = self.clock.now()
        # In flight from the claim on, so a takeover of leases in this process never ends this
        # one's between its claim and its send (see `take_over_leases`).
        self.in_flight.add(delivery_id)
        try:
            claimed = await store.claim_one(self.db, delivery_id, now, now + LEASE)
        finally:
            self.in_flight.discard(delivery_id)
        if claimed is None:
            return None
        return await self.deliver(claimed)

    async def _settled(self, delivery_id: int) -> Outcome:
        deadline = time.monotonic() + SEND_NOW_WAIT
        while True:
            outcome = self._outcome_of(await delivery_state(self.db, delivery_id))
            if outcome is not None:
                return outcome
            if time.monotonic() >= deadline:
                return Outcome(SendResult.QUEUED)
            await asyncio.sleep(SEND_NOW_POLL)

    def _outcome_of(self, state: DeliveryState | None) -> Outcome | None:
        """What a row's state says of its send; None while a sender may still settle it soon."""
        if state is None:
            return Outcome(SendResult.SKIPPED, error="gone")
        match state.status:
            case DeliveryStatus.SENT:
                return Outcome(SendResult.SENT, message_id=state.message_id)
            case DeliveryStatus.FAILED | DeliveryStatus.SKIPPED if state.unreachable:
                return Outcome(SendResult.UNREACHABLE, error=state.last_error)
            case DeliveryStatus.FAILED:
                return Outcome(SendResult.FAILED, error=state.last_error)
            case DeliveryStatus.SKIPPED:
                return Outcome(SendResult.SKIPPED, error=state.last_error)
            case DeliveryStatus.PENDING if state.due_at > self.clock.now():
                # Handed back until later (quiet hours, a retry): nothing more comes of it soon.
                return Outcome(SendResult.QUEUED, error=state.last_error)
        return None

    async def deliver(self, c: store.Claimed) -> Outcome:
        self.in_flight.add(c.id)
        self.held[c.id] = c
        try:
            outcome = await self._deliver(c)
        except asyncio.CancelledError:
            # Shutting down mid-send: the row is handed back (or its lease runs out), and the
            # next send reuses its nonce. Expected, so no traceback.
            self.abandoned[c.id] = c
            log.info("send cancelled at shutdown; it will be retried", extra={"delivery_id": c.id})
            raise
        except Exception as exc:  # a bug must not strand the row: retry it, up to the cap
            log.exception("delivery crashed", extra={"delivery_id": c.id})
            error = f"{type(exc).__name__}: {exc}"
            if c.attempts >= MAX_ATTEMPTS:
                await store.mark_final(self.db, c, DeliveryStatus.FAILED, error)
                outcome = Outcome(SendResult.FAILED, error=error)
            else:
                await store.mark_retry(self.db, c, error, self.clock.now() + backoff(c.attempts))
                outcome = Outcome(SendResult.RETRY, error=error)
        finally:
            self.in_flight.discard(c.id)
            self.held.pop(c.id, None)
        if self.observe is not None:
            self.observe(c.kind, outcome.status)
        return outcome

    async def _deliver(self, c: store.Claimed) -> Outcome:
        now = self.clock.now()
        if c.stale_after is not None and now > c.stale_after:
            await store.mark_final(self.db, c, DeliveryStatus.SKIPPED, "too late")
            return Outcome(SendResult.SKIPPED, error="too late")
        still_wanted = self.before_send.get(c.kind)
        if still_wanted is not None and not await still_wanted(c):
            await store.mark_final(self.db, c, DeliveryStatus.SKIPPED, "no longer wanted")
            return Outcome(SendResult.SKIPPED, error="no longer wanted")
        if c.user_id is not None and self.quiet_until is not None:
            # Quiet hours are a window with no DMs at all, whatever queued the message.
            until = await self.quiet_until(c.user_id, now)
            if until is not None:
                stale = c.stale_after + (until - now) if c.stale_after else None
                await store.wait_out_quiet(self.db, c, until, stale)
                return Outcome(SendResult.QUIET)
        channel_id = c.channel_id
        if channel_id is None and c.user_id is not None:
            if c.unreachable:
                await store.mark_final(self.db, c, DeliveryStatus.SKIPPED, "unreachable")
                await self._unreachable(c)
                return Outcome(SendResult.UNREACHABLE)
            channel_id = c.dm_channel_id
        payload = cast(MessagePayload, c.payload)
        try:
            if channel_id is None:
                assert c.user_id is not None  # noqa: S101 - a row has a user or a channel
                channel_id = await self.port.open_dm(c.user_id)
                await member_store.set_dm_channel(self.db, c.user_id, channel_id)
            try:
                sent = await self.port.send(channel_id, payload, nonce_for(c.id))
            except ChannelGone:
                if c.user_id is None:
                    raise Permanent("channel gone") from None
                channel_id = await self.port.open_dm(c.user_id)
                await member_store.set_dm_channel(self.db, c.user_id, channel_id)
                sent = await self.port.send(channel_id, payload, nonce_for(c.id))
        except Unreachable as exc:
            if c.user_id is not None:
                await member_store.mark_unreachable(self.db, c.user_id, self.clock.now())
            await store.mark_final(self.db, c, DeliveryStatus.FAILED, f"unreachable: {exc}")
            log.info("member has DMs closed", extra={"delivery_id": c.id})
            await self._unreachable(c)
            return Outcome(SendResult.UNREACHABLE, error=str(exc))
        except Permanent as exc:
            await store.mark_final(self.db, c, DeliveryStatus.FAILED, str(exc))
            log.error("delivery refused by Discord: %s", exc, extra={"delivery_id": c.id})
            return Outcome(SendResult.FAILED, error=str(exc))
        except Transient as exc:
            if c.attempts >= MAX_ATTEMPTS:
                await store.mark_final(self.db, c, DeliveryStatus.FAILED, str(exc))
                log.error(
                    "delivery gave up after %d attempts", c.attempts, extra={"delivery_id": c.id}
                )
                return Outcome(SendResult.FAILED, error=str(exc))
            retry_at = self.clock.now() + backoff(c.attempts)
            await store.mark_retry(self.db, c, str(exc), retry_at)
            log.warning("delivery will be retried: %s", exc, extra={"delivery_id": c.id})
            return Outcome(SendResult.RETRY, error=str(exc))
        if not await store.mark_sent(self.db, c, sent.message_id, self.clock.now()):
            # Our lease ran out and another claim owns the row: it sends with the same nonce,
            # gets this very message back, and marks it (and runs the hook) itself.
            log.info("lease lost before marking sent", extra={"delivery_id": c.id})
            return Outcome(SendResult.SKIPPED, message_id=sent.message_id, error="lease lost")
        self.sent_count += 1
        # DEBUG: one line per message would drown INFO on a big fan-out; ids only, never content.
        log.debug(
            "delivery sent",
            extra={"delivery_id": c.id, "kind": c.kind, "message_id": sent.message_id},
        )
        return Outcome(SendResult.SENT, message_id=sent.message_id)

    async def _unreachable(self, c: store.Claimed) -> None:
        hook = self.after_unreachable.get(c.kind)
        if hook is None:
            return
        try:
            await hook(c)
        except Exception:  # the row is settled either way; this only tells someone of it
            log.exception("after-unreachable hook failed", extra={"delivery_id": c.id})

    async def release(self) -> None:
        """On shutdown, nothing is in flight any more; hand back anything still leased."""
        self._stopped = True
        for task in list(self._asked):
            task.cancel()
        await asyncio.gather(*self._asked, return_exceptions=True)
        if self.ahead is not None:
            await self.ahead.release()
        claims = {**self.held, **self.abandoned}
        if claims:
            await store.release_leases(self.db, claims.values())
        self.abandoned.clear()


@dataclass
class ChannelsAhead:
    """DM channels opened before a member's first send. Apart from `Outbox` so the circles it
    serves can be built before the outbox that runs their rounds."""

    db: Database
    port: DiscordPort
    # True while this process sends (see `Outbox.lead`).
    lead: Callable[[], Awaitable[bool]]
    _tasks: dict[int, asyncio.Task[None]] = field(default_factory=dict)

    def open_ahead(self, user_id: int) -> None:
        """Open a member's DM channel in the background (they just joined a circle), so their
        first prompt does not wait for the DM-open bucket. Best effort: on any failure the
        first send opens it as usual."""
        if user_id not in self._tasks:
            task = asyncio.get_running_loop().create_task(self._open(user_id))
            self._tasks[user_id] = task
            task.add_done_callback(lambda _: self._tasks.pop(user_id, None))

    async def _open(self, user_id: int) -> None:
        if not await self.lead():
            # Another process sends (PostgreSQL): its calls alone spend Discord's global limit.
            return
        member = await member_store.get_member(self.db, user_id)
        if member is None or member.dm_channel_id is not None or member.unreachable_since:
            return
        try:
            channel_id = await self.port.open_dm(user_id)
        except SendError as exc:
            log.debug("could not open a DM channel ahead: %s", exc, extra={"user_id": user_id})
            return
        await member_store.set_dm_channel(self.db, user_id, channel_id)

    async def release(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
