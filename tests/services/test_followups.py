"""FollowUps' own rules: one nudge at most, going quiet, the pace question, depth offers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.models import Depth, Kind, MemberState, Pace
from bot.errors import UserFacingError
from bot.services.followups import (
    ASK_TIMEOUT,
    MISSED_IN_A_ROW,
    NUDGE_WINDOW,
    OFFER_AGAIN_AFTER,
    REVEALS_PER_TIER,
)
from bot.storage import followups as followup_store
from bot.storage import instances as instance_store
from bot.storage import members as member_store
from bot.storage.pairs import PairRow
from bot.storage.timecodec import from_db
from tests.services.conftest import NUDGE_AFTER, Services, queued

A, B = 1, 2
PAST_NUDGE = NUDGE_AFTER + timedelta(minutes=1)


@pytest.fixture
async def pair(services: Services) -> PairRow:
    return await services.pair(A, B)


async def nudge_now(s: Services) -> int:
    return await s.followups.nudges(s.now())


async def test_a_member_still_open_gets_one_nudge_at_most(
    services: Services, pair: PairRow
) -> None:
    iid = await services.give(pair)
    await services.answers.submit(iid, A, "answered in time")

    services.clock.advance(NUDGE_AFTER - timedelta(minutes=1))
    assert await nudge_now(services) == 0
    services.clock.advance(timedelta(minutes=2))
    assert await nudge_now(services) == 1
    [nudge] = await queued(services.db, "nudge:")
    assert (nudge["user_id"], nudge["instance_id"]) == (B, iid)

    for _ in range(3):
        services.clock.advance(timedelta(hours=6))
        assert await nudge_now(services) == 0
    assert len(await queued(services.db, "nudge:")) == 1


@pytest.mark.parametrize("kind", [Kind.ACTIVITY, Kind.REFLECTION])
async def test_activities_and_reflections_are_never_nudged(
    services: Services, pair: PairRow, kind: Kind
) -> None:
    await services.give(pair, kind)
    services.clock.advance(PAST_NUDGE)
    assert await nudge_now(services) == 0


async def test_a_prompt_too_old_is_not_nudged(services: Services, pair: PairRow) -> None:
    await services.give(pair)
    services.clock.advance(NUDGE_AFTER + NUDGE_WINDOW + timedelta(minutes=1))
    assert await nudge_now(services) == 0


async def test_a_nudge_waits_out_quiet_hours(services: Services, pair: PairRow) -> None:
    await services.give(pair)
    services.clock.advance(PAST_NUDGE)  # 04:01 UTC the next day
    await member_store.set_quiet_hours(services.db, A, "22:00", "07:00", services.now())
    assert await nudge_now(services) == 2
    by_user = {r["user_id"]: r["due_at"] for r in await queued(services.db, "nudge:")}
    assert by_user[A] > by_user[B]


async def test_a_member_on_a_slower_pace_is_not_nudged(services: Services, pair: PairRow) -> None:
    await services.give(pair)
    async with services.db.transaction() as conn:
        await followup_store.set_pace(conn, pair.id, A, Pace.WEEKLY, services.now())
    services.clock.advance(PAST_NUDGE)
    await nudge_now(services)
    assert [r["user_id"] for r in await queued(services.db, "nudge:")] == [B]


# Going quiet -------------------------------------------------------------------------------
async def miss(s: Services, pair: PairRow, times: int) -> None:
    for _ in range(times):
        s.clock.advance(timedelta(hours=1))
        await s.give(pair)


async def test_three_missed_prompts_hold_the_next_slot_and_ask_once(
    services: Services, pair: PairRow
) -> None:
    await miss(services, pair, MISSED_IN_A_ROW - 1)
    assert not await services.followups.hold(pair, A, services.now())
    await miss(services, pair, 1)

    assert await services.followups.hold(pair, A, services.now())
    assert await services.followups.hold(pair, A, services.now())
    [ask] = await queued(services.db, f"pace-ask:{pair.id}:{A}:")
    assert ask["user_id"] == A
    pace = await followup_store.pace_of(services.db, pair.id, A)
    assert pace is not None and pace.pace == Pace.HELD


async def test_an_answer_among_the_last_three_keeps_prompts_coming(
    services: Services, pair: PairRow
) -> None:
    await miss(services, pair, MISSED_IN_A_ROW)
    iid = await services.give(pair)
    await services.answers.submit(iid, A, "still here")
    assert not await services.followups.hold(pair, A, services.now())


async def test_the_pace_question_is_answered_by_its_member_only(
    services: Services, pair: PairRow
) -> None:
    with pytest.raises(UserFacingError, match="no pace question waiting"):
        await services.followups.choose_pace(pair.id, A, "weekly")
    await miss(services, pair, MISSED_IN_A_ROW)
    await services.followups.hold(pair, A, services.now())

    with pytest.raises(UserFacingError, match="isn't available"):
        await services.followups.choose_pace(pair.id, A, "never")
    with pytest.raises(UserFacingError, match="isn't one of yours"):
        await services.followups.choose_pace(pair.id, 99, "weekly")
    await services.followups.choose_pace(pair.id, A, "weekly")

    pace = await followup_store.pace_of(services.db, pair.id, A)
    assert pace is not None and pace.pace == Pace.WEEKLY
    # The partner hears the pace changed, never why or whose.
    [told] = await queued(services.db, f"pace-changed:{pair.id}:")
    assert told["user_id"] == B


async def test_an_unanswered_pace_question_settles_on_weekly(
    services: Services, pair: PairRow
) -> None:
    await miss(services, pair, MISSED_IN_A_ROW)
    await services.followups.hold(pair, A, services.now())
    services.clock.advance(ASK_TIMEOUT - timedelta(minutes=1))
    assert await services.followups.pace_defaults(services.now()) == 0
    services.clock.advance(timedelta(minutes=2))
    assert await services.followups.pace_defaults(services.now()) == 1
    pace = await followup_store.pace_of(services.db, pair.id, A)
    assert pace is not None and pace.pace == Pace.WEEKLY
    assert await services.followups.pace_defaults(services.now()) == 0


# Depth offers ------------------------------------------------------------------------------
async def reveal(s: Services, pair: PairRow) -> None:
    iid = await s.give(pair)
    await s.answers.submit(iid, A, "a")
    await s.answers.submit(iid, B, "b")


async def test_the_depth_offer_comes_after_enough_reveals_and_once(
    services: Services, pair: PairRow
) -> None:
    for _ in range(REVEALS_PER_TIER - 1):
        await reveal(services, pair)
    assert await queued(services.db, "deeper-offer:") == []

    await reveal(services, pair)
    offers = await queued(services.db, f"deeper-offer:{pair.id}:medium:")
    assert sorted(r["user_id"] for r in offers) == [A, B]
    await reveal(services, pair)
    assert len(await queued(services.db, "deeper-offer:")) == 2


async def test_not_yet_is_asked_again_after_a_while_and_yes_never(
    services: Services, pair: PairRow
) -> None:
    for _ in range(REVEALS_PER_TIER):
        await reveal(services, pair)
    assert not await services.pairs.vote_deeper(pair.id, A, Depth.MEDIUM)
    await services.pairs.not_yet_deeper(pair.id, B, Depth.MEDIUM)

    services.clock.advance(OFFER_AGAIN_AFTER - timedelta(minutes=1))
    await services.followups.offer_deeper(pair)
    assert len(await queued(services.db, "deeper-offer:")) == 2
    services.clock.advance(timedelta(minutes=2))
    await services.followups.offer_deeper(pair)
    again = [r for r in await queued(services.db, "deeper-offer:") if ":again:" in r["dedupe_key"]]
    assert [r["user_id"] for r in again] == [B]


# Activity check-ins ------------------------------------------------------------------------
async def test_the_day_after_an_activity_comes_its_check_in_at_ten(
    services: Services, pair: PairRow
) -> None:
    iid = await services.give(pair, Kind.ACTIVITY)
    ten_tomorrow = services.now().replace(hour=10) + timedelta(days=1)
    assert await services.followups.checkins(ten_tomorrow - timedelta(minutes=1)) == 0
    assert await services.followups.checkins(ten_tomorrow) == 2
    assert await services.followups.checkins(ten_tomorrow + timedelta(hours=1)) == 0
    rows = await queued(services.db, f"prompt:{pair.id}:")
    checkins = [r for r in rows if r["dedupe_key"].endswith(f"checkin:{iid}")]
    assert sorted(r["user_id"] for r in checkins) == [A, B]


async def test_no_check_in_when_everyone_said_not_this_time(
    services: Services, pair: PairRow
) -> None:
    iid = await services.give(pair, Kind.ACTIVITY)
    for uid in (A, B):
        await services.answers.activity_outcome(iid, uid, done=False)
    assert await services.followups.checkins(services.now() + timedelta(days=1, hours=3)) == 0


async def test_a_held_member_is_left_out_of_the_next_slot_and_the_partner_is_not(
    services: Services, pair: PairRow
) -> None:
    await miss(services, pair, MISSED_IN_A_ROW)
    # Bob answered everything; Ada went quiet.
    for instance in await instance_store.open_instances(services.db, pair.id):
        await services.answers.submit(instance.id, B, "here")
    slot = services.now().replace(hour=19)
    services.clock.set(slot)
    await services.materialiser.materialise(slot)

    rows = await queued(services.db, f"prompt:{pair.id}:")
    today = [r for r in rows if from_db(r["due_at"]) == slot]
    assert [r["user_id"] for r in today] == [B]
    states = await instance_store.member_states(services.db, today[0]["instance_id"])
    assert states == {A: MemberState.HELD, B: MemberState.OPEN}
    assert len(await queued(services.db, f"pace-ask:{pair.id}:{A}:")) == 1
