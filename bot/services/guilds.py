"""Servers coming and going: a removal starts a 7-day grace period, then the server's data goes.

Why a grace period: admins remove and re-add bots by mistake, or while sorting out permissions,
and losing every pair's history to a misclick would be cruel. Why not longer: a server that let
Closer go should not keep its members' words on our disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage import guilds as guild_store
from bot.storage.db import Database, checkpoint
from bot.storage.privacy import purge_guild
from bot.storage.stats import GuildStats as GuildStats  # re-exported: cogs never import storage
from bot.storage.stats import guild_stats

log = logging.getLogger(__name__)

PURGE_GRACE = timedelta(days=7)


@dataclass
class GuildService:
    db: Database
    now: Callable[[], datetime]

    async def set_announce_channel(self, guild_id: int, channel_id: int) -> None:
        await guild_store.set_announce_channel(self.db, guild_id, channel_id, self.now())

    async def stats(self, guild_id: int) -> GuildStats:
        """Counts only, never who answered what."""
        return await guild_stats(self.db, guild_id, self.now())

    async def left(self, guild_id: int) -> datetime:
        """The bot was removed: returns when the server's data will be purged."""
        now = self.now()
        purge_at = now + PURGE_GRACE
        await guild_store.mark_left(self.db, guild_id, now, purge_at)
        log.info("removed from a server; purge scheduled", extra={"guild_id": guild_id})
        return purge_at

    async def joined(self, guild_id: int) -> bool:
        """The bot was added (or came back): True if a pending purge was cancelled."""
        cancelled = await guild_store.mark_joined(self.db, guild_id, self.now())
        if cancelled:
            log.info("back in a server; purge cancelled", extra={"guild_id": guild_id})
        return cancelled

    async def reconcile(self, present: Iterable[int]) -> None:
        """On READY: catch up on joins and removals that happened while Closer was offline.

        discord.py lists every server in READY (unavailable ones included), so a server missing
        from `present` really is gone rather than in an outage.
        """
        here = set(present)
        for guild_id in sorted(here):
            await self.joined(guild_id)
        for guild_id in await guild_store.present_guild_ids(self.db):
            if guild_id not in here:
                await self.left(guild_id)

    async def purge_due(self, now: datetime) -> int:
        """Outbox producer: purge every server whose grace period is over."""
        purged = 0
        for guild_id in await guild_store.due_purges(self.db, now):
            rows = await purge_guild(self.db, guild_id)
            purged += 1
            log.info("purged a server's data", extra={"guild_id": guild_id, "rows": rows})
        if purged:
            await checkpoint(self.db)
        return purged
