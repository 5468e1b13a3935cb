"""The schedule helpers' own rules: each member's next slot in their own zone and quiet hours,
with a broken stored zone or quiet window falling back rather than failing."""

from __future__ import annotations

from datetime import timedelta

from bot.services.schedule import plan_pair, quiet_of, quiet_until, reschedule_pair, zone_of
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.members import MemberRow
from tests.services.conftest import NOW, ZONE, Services

A, B = 1, 2


def member(
    timezone: str | None = None, start: str | None = None, end: str | None = None
) -> MemberRow:
    return MemberRow(
        user_id=A,
        display_name="A",
        timezone=timezone,
        quiet_start=start,
        quiet_end=end,
        dm_channel_id=None,
        unreachable_since=None,
    )


def test_a_stored_zone_that_no_longer_parses_falls_back_to_the_default() -> None:
    assert zone_of(member("Europe/Paris"), ZONE).key == "Europe/Paris"
    assert zone_of(member("Not/AZone"), ZONE).key == ZONE
    assert zone_of(None, "Asia/Tokyo").key == "Asia/Tokyo"


def test_broken_or_half_quiet_hours_mean_none() -> None:
    assert quiet_of(member(start="22:00", end="07:00")) is not None
    assert quiet_of(member(start="22:00")) is None
    assert quiet_of(member(start="22:00", end="7 am")) is None
    assert quiet_until(member(start="07:00", end="09:00"), ZONE, NOW) == NOW.replace(hour=9)
    assert quiet_until(member(start="09:00", end="10:00"), ZONE, NOW) is None


async def test_each_member_is_planned_in_their_own_zone(services: Services) -> None:
    pair = await services.pair(A, B, time="19:00")
    await member_store.set_timezone(services.db, B, "Asia/Tokyo", NOW)
    plan = await plan_pair(services.db, pair, ZONE, NOW)
    assert plan[A].due == NOW.replace(hour=19)
    assert plan[B].due == NOW.replace(hour=10)


async def test_reschedule_pair_writes_the_plan(services: Services) -> None:
    pair = await services.pair(A, B, time="19:00")
    await pair_store.set_schedule(services.db, pair.id, "07:00", pair.cadence, NOW.date())
    fresh = await pair_store.get_pair(services.db, pair.id)
    assert fresh is not None
    plan = await reschedule_pair(services.db, fresh, ZONE, NOW)
    stored = {s.user_id: s.due for s in await outbox_store.schedules_of_pair(services.db, pair.id)}
    assert stored == {uid: slot.due for uid, slot in plan.items()}
    assert stored[A] == NOW.replace(hour=7) + timedelta(days=1)
