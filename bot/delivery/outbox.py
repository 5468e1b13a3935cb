"""The outbox service: each tick materialises due work into rows, then claims and sends them.

Producers (prompt schedules, circle rounds, nudges, follow-ups…) only ever *insert rows*; the
sender is the only code that talks to Discord. So every DM, whoever asked for it, gets the same
idempotency (nonce = row id), rate limit, retry policy and 50007 handling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from bot.core.clock import Clock
from bot.delivery.port import ChannelGone, DiscordPort, Permanent, Transient, Unreachable
from bot.storage import members as member_store
from bot.storage import outbox as store
from bot.storage.db import Database
from bot.ui.payload import MessagePayload

log = logging.getLogger(__name__)

Producer = Callable[[datetime], Awaitable[object]]

LEASE = timedelta(minutes=2)
BATCH = 200
MAX_ATTEMPTS = 8
POLL_WHILE_PRODUCING = 0.05


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min, … capped at 30 min."""
    return min(timedelta(seconds=15 * 2 ** max(0, attempts - 1)), timedelta(minutes=30))


def nonce_for(delivery_id: int) -> str:
    # Discord caps nonces at 25 characters; a UUID would be refused (400/50035).
    return f"closer-{delivery_id}"


@dataclass
class Outcome:
    status: str  # sent | skipped | unreachable | retry | failed | quiet
    message_id: int | None = None
    error: str | None = None


@dataclass
class Outbox:
    db: Database
    port: DiscordPort
    clock: Clock
    producers: list[Producer] = field(default_factory=list)
    # When a DM may reach a member, if they are in their quiet hours now (None: no gate).
    quiet_until: Callable[[int, datetime], Awaitable[datetime | None]] | None = None
    # Per kind: asked just before sending; False skips the row (e.g. a check-in queued hours
    # ahead for a pair that has since paused).
    before_send: dict[str, Callable[[store.Claimed], Awaitable[bool]]] = field(default_factory=dict)
    sent_count: int = 0
    in_flight: set[int] = field(default_factory=set)

    async def tick(self) -> None:
        now = self.clock.now()
        # Send while producers are still materialising: with thousands of members due at once,
        # preparing every row before the first send would idle the rate budget for seconds.
        producing = asyncio.Event()
        sender = asyncio.create_task(self._drain_until(producing))
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
            await sender

    async def _drain_until(self, done_producing: asyncio.Event) -> None:
        while True:
            sent_any = await self._drain_batch()
            if sent_any:
                continue
            if done_producing.is_set():
                # One last look: the producers may have queued rows after our previous claim.
                while await self._drain_batch():
                    pass
                return
            # Wake on new rows at least this often, or at once when the producers finish.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done_producing.wait(), POLL_WHILE_PRODUCING)

    async def _drain_batch(self) -> bool:
        now = self.clock.now()
        claimed = await store.claim_due(self.db, now, now + LEASE, BATCH)
        if claimed:
            await asyncio.gather(*(self.deliver(c) for c in claimed))
        return bool(claimed)

    async def send_now(self, delivery_id: int) -> Outcome:
        """Send one queued delivery immediately (e.g. an invite, so the inviter hears about
        closed DMs in the same command). Falls back to the normal tick if it is not due."""
        now = self.clock.now()
        claimed = await store.claim_one(self.db, delivery_id, now, now + LEASE)
        if claimed is None:
            return Outcome("skipped", error="already handled")
        return await self.deliver(claimed)

    async def deliver(self, c: store.Claimed) -> Outcome:
        self.in_flight.add(c.id)
        try:
            outcome = await self._deliver(c)
        except Exception as exc:  # a bug must not strand the row: retry it later
            log.exception("delivery crashed", extra={"delivery_id": c.id})
            outcome = Outcome("retry", error=f"{type(exc).__name__}: {exc}")
            await store.mark_retry(
                self.db, c.id, outcome.error or "", self.clock.now() + backoff(c.attempts)
            )
        finally:
            self.in_flight.discard(c.id)
        return outcome

    async def _deliver(self, c: store.Claimed) -> Outcome:
        now = self.clock.now()
        if c.stale_after is not None and now > c.stale_after:
            await store.mark_final(self.db, c.id, "skipped", "too late")
            return Outcome("skipped", error="too late")
        still_wanted = self.before_send.get(c.kind)
        if still_wanted is not None and not await still_wanted(c):
            await store.mark_final(self.db, c.id, "skipped", "no longer wanted")
            return Outcome("skipped", error="no longer wanted")
        if c.user_id is not None and self.quiet_until is not None:
            # Quiet hours are a window with no DMs at all, whatever queued the message.
            until = await self.quiet_until(c.user_id, now)
            if until is not None:
                stale = c.stale_after + (until - now) if c.stale_after else None
                await store.wait_out_quiet(self.db, c.id, until, stale)
                return Outcome("quiet")
        channel_id = c.channel_id
        if channel_id is None and c.user_id is not None:
            member = await member_store.get_member(self.db, c.user_id)
            if member is not None and member.unreachable_since is not None:
                await store.mark_final(self.db, c.id, "skipped", "unreachable")
                return Outcome("unreachable")
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
            await store.mark_final(self.db, c.id, "failed", f"unreachable: {exc}")
            log.info("member has DMs closed", extra={"delivery_id": c.id})
            return Outcome("unreachable", error=str(exc))
        except Permanent as exc:
            await store.mark_final(self.db, c.id, "failed", str(exc))
            log.error("delivery refused by Discord: %s", exc, extra={"delivery_id": c.id})
            return Outcome("failed", error=str(exc))
        except Transient as exc:
            if c.attempts >= MAX_ATTEMPTS:
                await store.mark_final(self.db, c.id, "failed", str(exc))
                log.error(
                    "delivery gave up after %d attempts", c.attempts, extra={"delivery_id": c.id}
                )
                return Outcome("failed", error=str(exc))
            retry_at = self.clock.now() + backoff(c.attempts)
            await store.mark_retry(self.db, c.id, str(exc), retry_at)
            log.warning("delivery will be retried: %s", exc, extra={"delivery_id": c.id})
            return Outcome("retry", error=str(exc))
        await store.mark_sent(self.db, c.id, sent.message_id, self.clock.now())
        self.sent_count += 1
        # DEBUG: one line per message would drown INFO on a big fan-out; ids only, never content.
        log.debug(
            "delivery sent",
            extra={"delivery_id": c.id, "kind": c.kind, "message_id": sent.message_id},
        )
        return Outcome("sent", message_id=sent.message_id)

    async def release(self) -> None:
        """On shutdown, nothing is in flight any more; hand back anything still leased."""
        if self.in_flight:
            await store.release_leases(self.db, list(self.in_flight))
