"""Closeness's own rules: a private check-in once per four-week period of a pair, at the
member's prompt time, never to someone who switched it off, and scores from 1 to 7 only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.core.closeness import EVERY, SAME_CHECKIN
from bot.errors import UserFacingError
from bot.services.closeness import SCAN_EVERY
from bot.services.pairs import Person
from bot.storage import closeness as closeness_store
from bot.storage.pairs import PairRow
from bot.storage.timecodec import from_db
from bot.ui import closeness_messages as copy
from tests.services.conftest import GUILD, NOW, Services, queued

A, B = 1, 2


@pytest.fixture
async def pair(services: Services) -> PairRow:
    return await services.pair(A, B, time="19:00")


async def scan(s: Services, at: datetime) -> int:
    s.closeness.scanned_at = None  # every call here is a fresh scan
    return await s.closeness.schedule(at)


async def test_the_check_in_comes_once_per_four_week_period(
    services: Services, pair: PairRow
) -> None:
    assert await scan(services, NOW + EVERY - timedelta(minutes=1)) == 0
    assert await scan(services, NOW + EVERY) == 2
    assert await scan(services, NOW + EVERY + timedelta(days=3)) == 0
    assert await scan(services, NOW + 2 * EVERY) == 2
    rows = await queued(services.db, "closeness:")
    assert sorted(r["user_id"] for r in rows) == [A, A, B, B]
    # At the member's usual prompt time, 19:00 on the day the period began.
    first = min(from_db(r["due_at"]) for r in rows)
    assert first == (NOW + EVERY).replace(hour=19)


async def test_a_member_who_switched_check_ins_off_is_not_asked(
    services: Services, pair: PairRow
) -> None:
    assert await services.closeness.switch(A, on=False) == copy.OFF_TEXT
    await scan(services, NOW + EVERY)
    assert [r["user_id"] for r in await queued(services.db, "closeness:")] == [B]


async def test_a_scan_runs_at_most_every_few_minutes(services: Services, pair: PairRow) -> None:
    at = NOW + EVERY
    services.closeness.scanned_at = at - timedelta(minutes=1)
    assert await services.closeness.schedule(at) == 0
    assert await services.closeness.schedule(at - timedelta(minutes=1) + SCAN_EVERY) == 2


async def test_scores_are_one_to_seven_or_a_skip(services: Services, pair: PairRow) -> None:
    for bad in (0, 8, -1):
        with pytest.raises(UserFacingError, match="seven pictures"):
            await services.closeness.answer(pair.id, A, bad)
    assert await services.closeness.answer(pair.id, A, None) == copy.SKIPPED_TEXT
    await services.closeness.answer(pair.id, A, 7)
    scores = [c.score for c in await closeness_store.checkins_of(services.db, A)]
    assert 7 in scores


async def test_a_second_press_soon_after_changes_the_answer(
    services: Services, pair: PairRow
) -> None:
    await services.closeness.answer(pair.id, A, 3)
    services.clock.advance(SAME_CHECKIN - timedelta(minutes=1))
    await services.closeness.answer(pair.id, A, 5)
    assert [c.score for c in await closeness_store.checkins_of(services.db, A)] == [5]
    services.clock.advance(timedelta(minutes=2))
    await services.closeness.answer(pair.id, A, 6)
    assert [c.score for c in await closeness_store.checkins_of(services.db, A)] == [5, 6]


async def test_only_members_of_the_pair_can_answer_and_no_one_else_is_told(
    services: Services, pair: PairRow
) -> None:
    with pytest.raises(UserFacingError, match="no longer exists"):
        await services.closeness.answer(pair.id, 99, 4)
    before = len(await queued(services.db, ""))
    await services.closeness.answer(pair.id, A, 4)
    assert len(await queued(services.db, "")) == before


async def test_a_circle_pair_in_its_first_round_is_not_asked(services: Services) -> None:
    created = await services.circles.create(
        GUILD, Person(A, "A"), "Club", "weekly", "tuesday", "18:00"
    )
    for uid in (A, B):
        await services.circles.join(GUILD, Person(uid, f"m{uid}"), "Club")
    await services.circles.form_due_rounds(created.first_round)
    group = await services.pairs.resolve(GUILD, A)
    with pytest.raises(UserFacingError) as refused:
        await services.closeness.ask(group, A)
    assert str(refused.value) == copy.NOT_YET_TEXT
