"""A member's own settings: time zone and quiet hours. Changing them moves their next prompts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.cadence import (
    QUIET_TOO_LONG_MESSAGE,
    QuietHours,
    format_hhmm,
    parse_hhmm,
    parse_zone,
)
from bot.core.models import PairState
from bot.errors import UserFacingError
from bot.services.schedule import member_next_slot, quiet_until
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.db import Database


@dataclass
class MemberService:
    db: Database
    default_zone: str
    now: Callable[[], datetime]

    async def touch(self, user_id: int, name: str) -> None:
        """Every interaction: keep the name fresh and lift an 'unreachable' mark (they're back)."""
        await member_store.upsert_member(self.db, user_id, name, self.now())
        await member_store.clear_unreachable(self.db, user_id)

    async def set_timezone(self, user_id: int, name: str, zone: str) -> str:
        try:
            tz = parse_zone(zone)
        except ValueError as exc:
            raise UserFacingError(str(exc)) from None
        await self.touch(user_id, name)
        await member_store.set_timezone(self.db, user_id, tz.key, self.now())
        await self._replan(user_id)
        return tz.key

    async def set_quiet_hours(
        self, user_id: int, name: str, start: str, end: str
    ) -> QuietHours | None:
        try:
            begins, ends = parse_hhmm(start), parse_hhmm(end)
        except ValueError as exc:
            raise UserFacingError(
                f"{exc} Quiet hours need a start and an end, like 22:00 and 07:30."
            ) from None
        if begins != ends and not QuietHours(begins, ends).allows_a_slot_each_day:
            raise UserFacingError(QUIET_TOO_LONG_MESSAGE)
        await self.touch(user_id, name)
        if begins == ends:
            await member_store.set_quiet_hours(self.db, user_id, None, None, self.now())
            await self._replan(user_id)
            return None
        await member_store.set_quiet_hours(
            self.db, user_id, format_hhmm(begins), format_hhmm(ends), self.now()
        )
        await self._replan(user_id)
        return QuietHours(begins, ends)

    async def quiet_until(self, user_id: int, now: datetime) -> datetime | None:
        """When a DM may reach this member, if they are in their quiet hours now."""
        member = await member_store.get_member(self.db, user_id)
        return quiet_until(member, self.default_zone, now)

    async def _replan(self, user_id: int) -> None:
        member = await member_store.get_member(self.db, user_id)
        now = self.now()
        # Whatever waited out the old window is looked at again under the new one.
        await outbox_store.retime_quiet_waits(self.db, user_id, now)
        for pair in await pair_store.live_pairs_of(self.db, user_id):
            if pair.status != PairState.ACTIVE:
                continue
            slot = member_next_slot(pair, member, self.default_zone, now)
            async with self.db.transaction() as conn:
                await outbox_store.upsert_schedule(conn, pair.id, user_id, slot.due, slot.day)

    async def zone_of(self, user_id: int) -> str:
        member = await member_store.get_member(self.db, user_id)
        return member.timezone if member and member.timezone else self.default_zone
