"""Prompting's own rules: turning due slots into prompts, and `/prompt now` within its limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.core.cadence import TOO_LATE
from bot.core.models import Category, InstanceStatus
from bot.errors import UserFacingError
from bot.services.prompting import NOW_PER_DAY
from bot.storage import instances as instance_store
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.pairs import PairRow
from tests.services.conftest import NOW, Services, queued

A, B = 1, 2
SLOT = NOW.replace(hour=19)  # the pair's 19:00, today (UTC members)


@pytest.fixture
async def pair(services: Services) -> PairRow:
    return await services.pair(A, B, time="19:00", cadence="daily")


async def prompts_queued(s: Services) -> list[dict[str, Any]]:
    return await queued(s.db, "prompt:")


async def test_a_due_slot_gives_both_partners_the_same_instance(
    services: Services, pair: PairRow
) -> None:
    services.clock.set(SLOT)
    assert await services.materialiser.materialise(SLOT) == 2

    rows = await prompts_queued(services)
    assert sorted(r["user_id"] for r in rows) == [A, B]
    assert len({r["instance_id"] for r in rows}) == 1
    # Done once: the schedules moved on to tomorrow.
    assert await services.materialiser.materialise(SLOT) == 0
    assert {s.due for s in await outbox_store.schedules_of_pair(services.db, pair.id)} == {
        SLOT + timedelta(days=1)
    }


async def test_a_slot_missed_by_less_than_too_late_still_goes(
    services: Services, pair: PairRow
) -> None:
    late = SLOT + TOO_LATE - timedelta(minutes=1)
    services.clock.set(late)
    assert await services.materialiser.materialise(late) == 2


async def test_a_slot_missed_by_more_than_too_late_is_dropped(
    services: Services, pair: PairRow
) -> None:
    late = SLOT + TOO_LATE + timedelta(minutes=1)
    services.clock.set(late)
    assert await services.materialiser.materialise(late) == 0
    assert await prompts_queued(services) == []
    assert {s.due for s in await outbox_store.schedules_of_pair(services.db, pair.id)} == {
        SLOT + timedelta(days=1)
    }


async def test_a_paused_pair_gets_nothing_until_its_pause_ends(
    services: Services, pair: PairRow
) -> None:
    until = await services.pairs.pause(pair, A, 2)
    services.clock.set(SLOT)
    assert await services.materialiser.materialise(SLOT) == 0
    assert all(s.due >= until for s in await outbox_store.schedules_of_pair(services.db, pair.id))


async def test_an_ended_pair_loses_its_schedules(services: Services, pair: PairRow) -> None:
    await services.pairs.end(pair.id, A)
    await services.materialiser.materialise(SLOT)
    assert await outbox_store.schedules_of_pair(services.db, pair.id) == []
    assert await prompts_queued(services) == []


async def test_an_unreachable_member_is_skipped_and_the_partner_is_not(
    services: Services, pair: PairRow
) -> None:
    await member_store.mark_unreachable(services.db, B, NOW)
    services.clock.set(SLOT)
    await services.materialiser.materialise(SLOT)
    assert [r["user_id"] for r in await prompts_queued(services)] == [A]


# /prompt now -----------------------------------------------------------------------------------
async def test_prompt_now_allows_now_per_day_per_local_day(
    services: Services, pair: PairRow
) -> None:
    await member_store.set_timezone(services.db, A, "Pacific/Auckland", NOW)
    for _ in range(NOW_PER_DAY):
        await services.prompt_commands.send_now(pair, A)
    with pytest.raises(UserFacingError, match=f"That's {NOW_PER_DAY} extra prompts"):
        await services.prompt_commands.send_now(pair, A)
    with pytest.raises(UserFacingError, match="extra prompts"):
        await services.prompt_commands.send_now(pair, B)
    # 08:00 UTC is 21:00 in Auckland: their day ends three hours later.
    services.clock.advance(timedelta(hours=3, minutes=1))
    await services.prompt_commands.send_now(pair, A)


async def test_prompt_now_refuses_a_paused_pair(services: Services, pair: PairRow) -> None:
    await services.pairs.pause(pair, A, 3)
    paused = await pair_store.get_pair(services.db, pair.id)
    assert paused is not None
    with pytest.raises(UserFacingError, match="paused"):
        await services.prompt_commands.send_now(paused, A)


async def test_prompt_now_with_every_topic_muted_says_so(services: Services, pair: PairRow) -> None:
    for category in Category:
        await pair_store.set_topic_muted(services.db, pair.id, category, muted=True)
    with pytest.raises(UserFacingError, match="Every topic is muted"):
        await services.prompt_commands.send_now(pair, A)


async def test_prompt_now_says_when_a_partner_in_quiet_hours_gets_it(
    services: Services, pair: PairRow
) -> None:
    await member_store.set_quiet_hours(services.db, B, "07:00", "09:30", NOW)
    sent = await services.prompt_commands.send_now(pair, A)
    assert sent.waits == {B: NOW.replace(hour=9, minute=30)}


async def test_prompt_skip_closes_what_is_open(services: Services, pair: PairRow) -> None:
    with pytest.raises(UserFacingError, match="no open prompt"):
        await services.prompt_commands.skip_open(pair)
    iid = await services.give(pair)
    assert await services.prompt_commands.skip_open(pair) == 1
    instance = await instance_store.get_instance(services.db, iid)
    assert instance is not None and instance.status == InstanceStatus.SKIPPED
