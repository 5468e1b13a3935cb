"""ChallengeService's own rules: who can start which week, one week at a time, day 1 tomorrow,
a daily cadence while it runs, and one recap when it ends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.models import Cadence, ChallengeStatus, MemberState
from bot.errors import UserFacingError
from bot.services.challenges import NOTHING_TO_STOP, PAUSED, UNKNOWN_THEME, NeedsReplace, Started
from bot.storage import challenges as challenge_store
from bot.storage import instances as instance_store
from bot.storage import pairs as pair_store
from bot.storage.pairs import PairRow
from bot.storage.timecodec import from_db
from tests.services.conftest import NOW, Services, queued

A, B = 1, 2
GRATITUDE = "gratitude-week"
TOMORROW = NOW.date() + timedelta(days=1)


@pytest.fixture
async def pair(services: Services) -> PairRow:
    return await services.pair(A, B, cadence="weekly")


async def test_a_week_starts_tomorrow_and_the_partner_hears_of_it(
    services: Services, pair: PairRow
) -> None:
    outcome = await services.challenges.start(pair, A, GRATITUDE)
    assert isinstance(outcome, Started)
    running = await challenge_store.active_for_pair(services.db, pair.id)
    assert running is not None and running.starts_on == TOMORROW
    [told] = await queued(services.db, "challenge-start:")
    assert told["user_id"] == B


async def test_themes_are_found_by_id_or_name_and_unknown_ones_refused(
    services: Services,
) -> None:
    assert services.challenges.theme("  gratitude WEEK ").id == GRATITUDE
    assert services.challenges.theme(GRATITUDE).name == "Gratitude Week"
    with pytest.raises(UserFacingError) as refused:
        services.challenges.theme("no such week")
    assert str(refused.value) == UNKNOWN_THEME


async def test_a_theme_is_only_for_its_audience(services: Services, pair: PairRow) -> None:
    friends_only = next(
        t for t in services.challenges.themes() if pair.relationship not in t.audience
    )
    with pytest.raises(UserFacingError):
        await services.challenges.start(pair, A, friends_only.id)
    assert await challenge_store.active_for_pair(services.db, pair.id) is None


async def test_a_paused_pair_cannot_start_a_week(services: Services, pair: PairRow) -> None:
    await services.pairs.pause(pair, A, 3)
    paused = await pair_store.get_pair(services.db, pair.id)
    assert paused is not None
    with pytest.raises(UserFacingError) as refused:
        await services.challenges.start(paused, A, GRATITUDE)
    assert str(refused.value) == PAUSED


async def test_one_week_at_a_time_and_replacing_stops_the_old(
    services: Services, pair: PairRow
) -> None:
    await services.challenges.start(pair, A, GRATITUDE)
    first = await challenge_store.active_for_pair(services.db, pair.id)
    asked = await services.challenges.start(pair, B, "laughter-week")
    assert isinstance(asked, NeedsReplace) and asked.extra == "p_laughter-week"
    assert await challenge_store.active_for_pair(services.db, pair.id) == first

    await services.challenges.start(pair, B, "laughter-week", replace=True)
    now_running = await challenge_store.active_for_pair(services.db, pair.id)
    assert now_running is not None and now_running.theme_id == "laughter-week"
    assert first is not None
    old = await challenge_store.get(services.db, first.id)
    assert old is not None and old.status == ChallengeStatus.STOPPED


async def test_stop_stops_once(services: Services, pair: PairRow) -> None:
    with pytest.raises(UserFacingError) as refused:
        await services.challenges.stop(pair, A)
    assert str(refused.value) == NOTHING_TO_STOP
    await services.challenges.start(pair, A, GRATITUDE)
    await services.challenges.stop(pair, B)
    assert await challenge_store.active_for_pair(services.db, pair.id) is None
    with pytest.raises(UserFacingError):
        await services.challenges.stop(pair, B)


async def test_the_plan_covers_day_one_to_the_last_day_only(
    services: Services, pair: PairRow
) -> None:
    await services.challenges.start(pair, A, GRATITUDE)
    days = len(services.challenges.theme(GRATITUDE).days)
    assert await services.challenges.plan_day(pair, NOW.date()) is None
    first = await services.challenges.plan_day(pair, TOMORROW)
    assert first is not None and first.day.day == 1
    last = await services.challenges.plan_day(pair, TOMORROW + timedelta(days=days - 1))
    assert last is not None and last.day.day == days
    assert await services.challenges.plan_day(pair, TOMORROW + timedelta(days=days)) is None


async def test_a_weekly_pair_goes_daily_for_the_week_and_back_after(
    services: Services, pair: PairRow
) -> None:
    assert await services.challenges.cadence_override(pair, NOW) is None
    await services.challenges.start(pair, A, GRATITUDE)
    assert await services.challenges.cadence_override(pair, NOW) is Cadence.DAILY
    days = len(services.challenges.theme(GRATITUDE).days)
    after = NOW + timedelta(days=days + 2)
    assert await services.challenges.cadence_override(pair, after) is None


async def test_a_finished_week_sends_one_recap_to_each_member(
    services: Services, pair: PairRow
) -> None:
    await services.challenges.start(pair, A, GRATITUDE)
    days = len(services.challenges.theme(GRATITUDE).days)
    assert await services.challenges.tick(NOW + timedelta(days=days - 1)) == 0

    end = NOW + timedelta(days=days + 2)
    assert await services.challenges.tick(end) == 2
    assert await services.challenges.tick(end + timedelta(hours=1)) == 0
    recaps = await queued(services.db, "challenge-recap:")
    assert sorted(r["user_id"] for r in recaps) == [A, B]
    assert await challenge_store.active_for_pair(services.db, pair.id) is None


async def test_an_ended_pairs_week_stops_without_a_recap(services: Services, pair: PairRow) -> None:
    await services.challenges.start(pair, A, GRATITUDE)
    await services.pairs.end(pair.id, A)
    await services.challenges.tick(NOW + timedelta(days=30))
    assert await queued(services.db, "challenge-recap:") == []


async def test_start_on_a_prompt_that_is_not_a_timed_activity_is_refused(
    services: Services, pair: PairRow
) -> None:
    iid = await services.give(pair)
    with pytest.raises(UserFacingError):
        await services.challenges.press_start(iid, A)
    with pytest.raises(UserFacingError, match="isn't one of yours"):
        await services.challenges.press_start(iid, 99)


async def test_a_timer_starts_when_everyone_pressed_start(
    services: Services, pair: PairRow
) -> None:
    await services.challenges.start(pair, A, "unplugged-week")
    running = await challenge_store.active_for_pair(services.db, pair.id)
    assert running is not None
    activity = next(
        p for p in services.library.prompts if services.challenges.timed_prompt(p.id) is not None
    )
    async with services.db.transaction() as conn:
        iid = await instance_store.create_instance(
            conn,
            pair_id=pair.id,
            slot_key="day-1",
            prompt=activity,
            member_ids=pair.member_ids,
            now=NOW,
            challenge_id=running.id,
            challenge_day=1,
        )

    await services.challenges.press_start(iid, A)
    assert "already pressed" in await services.challenges.press_start(iid, A)
    [heads_up] = await queued(services.db, f"timer-heads-up:{iid}:")
    assert heads_up["user_id"] == B
    assert await queued(services.db, "timer-start:") == []

    await services.challenges.press_start(iid, B)
    assert len(await queued(services.db, f"timer-start:{iid}:")) == 2
    assert set((await instance_store.member_states(services.db, iid)).values()) == {
        MemberState.DONE
    }
    checkins = await queued(services.db, f"prompt:{pair.id}:")
    assert {from_db(r["due_at"]) for r in checkins} == {
        NOW + timedelta(minutes=activity.minutes or 0)
    }
