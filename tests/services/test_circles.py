"""CircleService's own rules: names, joining and leaving, and rounds that form once, only with
two or more members who can be paired, on the circle's calendar."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.models import PairKind, PairState, RoundStatus
from bot.errors import UserFacingError
from bot.services.circles import BAD_CADENCE, BAD_DAY, BAD_NAME, BAD_TIME, Created, clean_name
from bot.services.pairs import Person
from bot.storage import circles as circle_store
from bot.storage import members as member_store
from bot.storage import pairs as pair_store
from tests.services.conftest import GUILD, NOW, Services, queued

ANN, BEN, CAT = Person(11, "Ann"), Person(12, "Ben"), Person(13, "Cat")
# NOW is Monday 08:00 UTC: the first weekly round on Tuesdays at 18:00 is tomorrow.
FIRST = NOW.replace(hour=18) + timedelta(days=1)


async def create(s: Services, name: str = "Book Club") -> Created:
    return await s.circles.create(GUILD, ANN, name, "weekly", "tuesday", "18:00")


async def join(s: Services, *people: Person, name: str = "Book Club") -> None:
    for who in people:
        await s.circles.join(GUILD, who, name)


async def test_a_circle_keeps_its_creators_calendar(services: Services) -> None:
    created = await create(services)
    assert created.first_round == FIRST
    assert (created.circle.name, created.circle.timezone) == ("Book Club", "UTC")


async def test_names_are_unique_whatever_the_case_and_spacing(services: Services) -> None:
    await create(services)
    with pytest.raises(UserFacingError, match="already a circle called"):
        await create(services, "  book   CLUB ")
    assert (await services.circles.find(GUILD, "BOOK club")).name == "Book Club"


@pytest.mark.parametrize(
    ("name", "cadence", "day", "time", "words"),
    [
        ("", "weekly", "monday", "18:00", BAD_NAME),
        ("x" * 41, "weekly", "monday", "18:00", BAD_NAME),
        ("Club", "daily", "monday", "18:00", BAD_CADENCE),
        ("Club", "weekly", "someday", "18:00", BAD_DAY),
        ("Club", "weekly", "monday", "6pm", BAD_TIME),
    ],
)
async def test_bad_circle_options_are_refused(
    services: Services, name: str, cadence: str, day: str, time: str, words: str
) -> None:
    with pytest.raises(UserFacingError) as refused:
        await services.circles.create(GUILD, ANN, name, cadence, day, time)
    assert str(refused.value) == words
    assert await services.circles.count(GUILD) == 0


async def test_joining_twice_and_leaving_what_you_never_joined_are_refused(
    services: Services,
) -> None:
    await create(services)
    await join(services, BEN)
    with pytest.raises(UserFacingError, match="already in Book Club"):
        await join(services, BEN)
    with pytest.raises(UserFacingError, match="not in Book Club"):
        await services.circles.leave(GUILD, CAT.id, "Book Club")
    with pytest.raises(UserFacingError, match="no circle called"):
        await join(services, CAT, name="Chess Club")


async def test_a_round_with_fewer_than_two_members_waits_and_keeps_its_number(
    services: Services,
) -> None:
    created = await create(services)
    await join(services, ANN)
    assert await services.circles.form_due_rounds(FIRST) == 0
    [waiting] = await circle_store.rounds_of(services.db, created.circle.id)
    assert (waiting.round_no, waiting.status) == (1, RoundStatus.PENDING)
    assert waiting.due_at == FIRST + timedelta(weeks=1)


async def test_a_due_round_forms_once_and_schedules_the_next(services: Services) -> None:
    created = await create(services)
    await join(services, ANN, BEN, CAT)
    assert await services.circles.form_due_rounds(FIRST - timedelta(seconds=1)) == 0
    assert await services.circles.form_due_rounds(FIRST) == 1
    assert await services.circles.form_due_rounds(FIRST) == 0

    groups = await circle_store.live_groups(services.db, created.circle.id)
    assert sorted(m for g in groups for m in g.member_ids) == [ANN.id, BEN.id, CAT.id]
    assert len(groups) == 1  # three people make one trio, nobody is left out
    intros = await queued(services.db, "circle-intro:")
    assert sorted(r["user_id"] for r in intros) == [ANN.id, BEN.id, CAT.id]
    pending = await circle_store.pending_round(services.db, created.circle.id)
    assert pending is not None and (pending.round_no, pending.due_at) == (
        2,
        FIRST + timedelta(weeks=1),
    )


async def test_the_next_round_ends_the_last_rounds_groups(services: Services) -> None:
    created = await create(services)
    await join(services, ANN, BEN)
    await services.circles.form_due_rounds(FIRST)
    [first] = await circle_store.live_groups(services.db, created.circle.id)
    await services.circles.form_due_rounds(FIRST + timedelta(weeks=1))
    ended = await pair_store.get_pair(services.db, first.id)
    assert ended is not None and ended.status == PairState.ENDED
    [second] = await circle_store.live_groups(services.db, created.circle.id)
    assert second.id != first.id


async def test_an_unreachable_member_sits_a_round_out(services: Services) -> None:
    created = await create(services)
    await join(services, ANN, BEN, CAT)
    await member_store.mark_unreachable(services.db, CAT.id, NOW)
    await services.circles.form_due_rounds(FIRST)
    [group] = await circle_store.live_groups(services.db, created.circle.id)
    assert sorted(group.member_ids) == [ANN.id, BEN.id]


async def test_rotate_forms_now_and_keeps_the_calendar(services: Services) -> None:
    created = await create(services)
    await join(services, ANN)
    with pytest.raises(UserFacingError, match="needs at least 2 members"):
        await services.circles.rotate(GUILD, "Book Club")
    await join(services, BEN)

    formed = await services.circles.rotate(GUILD, "Book Club")
    assert formed.round_no == 1 and formed.next_round == FIRST + timedelta(weeks=1)
    assert await services.circles.form_due_rounds(FIRST) == 0
    assert len(await circle_store.live_groups(services.db, created.circle.id)) == 1


async def test_leaving_ends_the_group_and_tells_the_others_gently(services: Services) -> None:
    created = await create(services)
    await join(services, ANN, BEN)
    await services.circles.form_due_rounds(FIRST)
    await services.circles.leave(GUILD, BEN.id, "Book Club")

    assert await circle_store.live_groups(services.db, created.circle.id) == []
    [note] = await queued(services.db, "circle-left:")
    assert note["user_id"] == ANN.id
    assert BEN.id not in await circle_store.member_ids(services.db, created.circle.id)


async def test_deleting_a_circle_tells_its_members_and_happens_once(services: Services) -> None:
    created = await create(services)
    await join(services, ANN, BEN)
    await services.circles.form_due_rounds(FIRST)
    [group] = await circle_store.live_groups(services.db, created.circle.id)

    _, told = await services.circles.delete(GUILD, "Book Club")
    assert told == 2
    assert len(await queued(services.db, f"circle-deleted:{created.circle.id}:")) == 2
    pair = await pair_store.get_pair(services.db, group.id)
    assert pair is not None and pair.status == PairState.ENDED and pair.kind is PairKind.CIRCLE
    with pytest.raises(UserFacingError, match="no circle called"):
        await services.circles.delete(GUILD, "Book Club")


@pytest.mark.parametrize("name", ["Book\x00Club", "Tea\x07"])
def test_a_circle_name_with_control_characters_is_refused(name: str) -> None:
    with pytest.raises(UserFacingError):
        clean_name(name)
    assert clean_name("Family 👨\u200d👩\u200d👧") == "Family 👨\u200d👩\u200d👧"
