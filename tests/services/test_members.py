"""MemberService's own rules: a member's zone and quiet hours, and what they move."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.cadence import QUIET_TOO_LONG_MESSAGE
from bot.errors import UserFacingError
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from tests.services.conftest import NOW, Services

A, B = 1, 2


async def slot_of(s: Services, pair_id: int, user_id: int) -> outbox_store.DueSchedule:
    [slot] = [
        x for x in await outbox_store.schedules_of_pair(s.db, pair_id) if x.user_id == user_id
    ]
    return slot


async def test_quiet_until_is_the_end_of_the_window_and_none_outside_it(
    services: Services,
) -> None:
    await services.members.set_quiet_hours(A, "A", "22:00", "08:30")
    assert await services.members.quiet_until(A, NOW) == NOW.replace(minute=30)
    assert await services.members.quiet_until(A, NOW.replace(hour=9)) is None
    # Without quiet hours, or for someone never seen, nothing waits.
    assert await services.members.quiet_until(B, NOW) is None


async def test_quiet_hours_follow_the_members_own_zone(services: Services) -> None:
    await services.members.set_timezone(A, "A", "America/New_York")
    await services.members.set_quiet_hours(A, "A", "02:00", "04:00")
    # 08:00 UTC is 03:00 in New York (EST, before DST begins on 8 March 2026).
    assert await services.members.quiet_until(A, NOW) == NOW.replace(hour=9)


async def test_equal_start_and_end_turn_quiet_hours_off(services: Services) -> None:
    await services.members.set_quiet_hours(A, "A", "22:00", "08:30")
    assert await services.members.set_quiet_hours(A, "A", "10:00", "10:00") is None
    member = await member_store.get_member(services.db, A)
    assert member is not None and member.quiet_start is None and member.quiet_end is None
    assert await services.members.quiet_until(A, NOW) is None


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        ("22", "08:00", "like 22:00 and 07:30"),
        ("22:00", "25:00", "like 22:00 and 07:30"),
        ("08:00", "05:00", QUIET_TOO_LONG_MESSAGE),
    ],
)
async def test_bad_quiet_hours_are_refused(
    services: Services, start: str, end: str, words: str
) -> None:
    with pytest.raises(UserFacingError, match=words):
        await services.members.set_quiet_hours(A, "A", start, end)
    assert await member_store.get_member(services.db, A) is None


async def test_an_unknown_zone_is_refused(services: Services) -> None:
    with pytest.raises(UserFacingError):
        await services.members.set_timezone(A, "A", "Mars/Olympus_Mons")
    assert await services.members.zone_of(A) == "UTC"


async def test_a_new_zone_moves_the_members_next_prompt_only(services: Services) -> None:
    pair = await services.pair(A, B, time="19:00")
    before_b = await slot_of(services, pair.id, B)

    assert await services.members.set_timezone(A, "A", "Asia/Tokyo") == "Asia/Tokyo"
    # 19:00 in Tokyo is 10:00 UTC; at 08:00 UTC that is still today.
    assert (await slot_of(services, pair.id, A)).due == NOW.replace(hour=10)
    assert await slot_of(services, pair.id, B) == before_b


async def test_quiet_hours_move_a_slot_inside_them_to_their_end(services: Services) -> None:
    pair = await services.pair(A, B, time="19:00")
    await services.members.set_quiet_hours(A, "A", "18:00", "20:15")
    assert (await slot_of(services, pair.id, A)).due == NOW.replace(hour=20, minute=15)
    assert (await slot_of(services, pair.id, B)).due == NOW.replace(hour=19)


async def test_a_paused_pair_is_not_replanned(services: Services) -> None:
    pair = await services.pair(A, B, time="19:00")
    until = await services.pairs.pause(pair, A, 5)
    before = await slot_of(services, pair.id, A)
    await services.members.set_timezone(A, "A", "Asia/Tokyo")
    assert await slot_of(services, pair.id, A) == before
    assert until - NOW == timedelta(days=5)


async def test_touch_lifts_an_unreachable_mark(services: Services) -> None:
    await member_store.upsert_member(services.db, A, "old name", NOW)
    await member_store.mark_unreachable(services.db, A, NOW)
    await services.members.touch(A, "New Name")
    member = await member_store.get_member(services.db, A)
    assert member is not None
    assert (member.display_name, member.unreachable_since) == ("New Name", None)
