"""AnswerService's own rules: what an answer may be, when it reveals, and where a plain DM goes."""

from __future__ import annotations

import pytest

from bot.core.models import InstanceStatus, Kind, MemberState
from bot.core.text import ANSWER_LIMIT
from bot.errors import UserFacingError
from bot.services.answers import CLOSED, EMPTY, GUESS_BY_FORM, LATER_DELAY, PICK_BY_MENU, REVEALED
from bot.storage import answers as answer_store
from bot.storage import instances as instance_store
from bot.storage.pairs import PairRow
from bot.storage.timecodec import from_db
from tests.services.conftest import REFUSED, Services, queued, refusing_deliveries

A, B, C = 1, 2, 3


@pytest.fixture
async def pair(services: Services) -> PairRow:
    return await services.pair(A, B)


async def status(s: Services, instance_id: int) -> InstanceStatus:
    instance = await instance_store.get_instance(s.db, instance_id)
    assert instance is not None
    return instance.status


async def test_the_first_answer_waits_and_the_second_reveals_to_both(
    services: Services, pair: PairRow
) -> None:
    iid = await services.give(pair)

    first = await services.answers.submit(iid, A, "Mine", "happy")
    assert not first.revealed and first.partners == ["m2"]
    assert await queued(services.db, "reveal:") == []

    second = await services.answers.submit(iid, B, "Yours")
    assert second.revealed
    assert await status(services, iid) == InstanceStatus.REVEALED
    reveals = await queued(services.db, f"reveal:{iid}:")
    assert [r["user_id"] for r in reveals] == [A, B]
    # Each reads only the other's words.
    to_a, to_b = (r["payload"] for r in reveals)
    assert "Yours" in to_a and "Mine" not in to_a
    assert "Mine" in to_b and "Yours" not in to_b


async def test_an_answer_its_reveal_and_the_instance_commit_together(
    services: Services, pair: PairRow
) -> None:
    iid = await services.give(pair)
    await services.answers.submit(iid, A, "mine")
    async with refusing_deliveries(services.db, "reveal"):
        with pytest.raises(REFUSED):
            await services.answers.submit(iid, B, "lost with its reveal")
    # Nothing of the failed use case stayed: B can answer again and the reveal happens then.
    assert B not in await answer_store.answers_for(services.db, iid)
    assert await status(services, iid) == InstanceStatus.OPEN
    assert (await services.answers.submit(iid, B, "again")).revealed
    assert len(await queued(services.db, f"reveal:{iid}:")) == 2


async def test_an_answer_can_change_until_the_reveal_and_not_after(
    services: Services, pair: PairRow
) -> None:
    iid = await services.give(pair)
    assert not (await services.answers.submit(iid, A, "first")).replaced
    assert (await services.answers.submit(iid, A, "second")).replaced
    assert (await answer_store.answers_for(services.db, iid))[A].text == "second"

    await services.answers.submit(iid, B, "theirs")
    with pytest.raises(UserFacingError, match="can't change now") as refused:
        await services.answers.submit(iid, A, "third")
    assert str(refused.value) == REVEALED
    with pytest.raises(UserFacingError, match="can't change now"):
        await services.answers.check_answerable(iid, A)
    assert (await answer_store.answers_for(services.db, iid))[A].text == "second"


@pytest.mark.parametrize("text", ["", "   ", "\u200b\n"])
async def test_an_empty_answer_is_refused(services: Services, pair: PairRow, text: str) -> None:
    iid = await services.give(pair)
    with pytest.raises(UserFacingError) as refused:
        await services.answers.submit(iid, A, text)
    assert str(refused.value) == EMPTY


async def test_an_answer_over_the_limit_is_refused(services: Services, pair: PairRow) -> None:
    iid = await services.give(pair)
    await services.answers.submit(iid, A, "x" * ANSWER_LIMIT)
    with pytest.raises(UserFacingError, match=f"up to {ANSWER_LIMIT}"):
        await services.answers.submit(iid, A, "x" * (ANSWER_LIMIT + 1))


async def test_only_members_of_the_pair_can_answer(services: Services, pair: PairRow) -> None:
    iid = await services.give(pair)
    with pytest.raises(UserFacingError, match="isn't one of yours"):
        await services.answers.submit(iid, C, "let me in")
    with pytest.raises(UserFacingError, match="isn't one of yours"):
        await services.answers.submit(iid + 1000, A, "no such prompt")


async def test_an_ended_pair_takes_no_answers(services: Services, pair: PairRow) -> None:
    iid = await services.give(pair)
    await services.pairs.end(pair.id, B)
    with pytest.raises(UserFacingError, match="has ended"):
        await services.answers.submit(iid, A, "too late")


async def test_a_skip_keeps_the_answer_private_and_closes(
    services: Services, pair: PairRow
) -> None:
    iid = await services.give(pair)
    await services.answers.submit(iid, A, "only mine")
    await services.answers.skip(iid, B)

    assert await status(services, iid) == InstanceStatus.CLOSED
    assert await queued(services.db, "reveal:") == []
    [note] = await queued(services.db, f"private:{iid}:")
    assert note["user_id"] == A
    # Skipped is final: no answering after it.
    with pytest.raises(UserFacingError) as refused:
        await services.answers.submit(iid, B, "changed my mind")
    assert str(refused.value) == CLOSED


async def test_a_guess_needs_its_guess_and_a_pick_one_of_its_options(
    services: Services, pair: PairRow
) -> None:
    guess = await services.give(pair, Kind.GUESS)
    with pytest.raises(UserFacingError) as refused:
        await services.answers.submit(guess, A, "my answer")
    assert str(refused.value) == GUESS_BY_FORM
    await services.answers.submit(guess, A, "my answer", guess="their answer")

    pick = await services.give(pair, Kind.PICK)
    options = await services.answers.pick_options(pick, A)
    with pytest.raises(UserFacingError) as refused:
        await services.answers.submit(pick, A, "neither")
    assert str(refused.value) == PICK_BY_MENU
    with pytest.raises(UserFacingError):
        await services.answers.submit_pick(pick, A, len(options), None)
    await services.answers.submit_pick(pick, A, 1, "because")
    assert (await answer_store.answers_for(services.db, pick))[A].text == options[1]


async def test_later_brings_a_prompt_back_once(services: Services, pair: PairRow) -> None:
    iid = await services.give(pair)
    assert await services.answers.later(iid, A)
    assert not await services.answers.later(iid, A)
    [row] = await queued(services.db, f"later:{iid}:{A}")
    assert from_db(row["due_at"]) == services.now() + LATER_DELAY


async def test_a_reflection_is_shared_once_and_only_after_writing_it(
    services: Services, pair: PairRow
) -> None:
    iid = await services.give(pair, Kind.REFLECTION)
    with pytest.raises(UserFacingError, match="Write your reflection first"):
        await services.answers.share(iid, A)
    await services.answers.submit(iid, A, "a note to myself")
    assert await queued(services.db, "reveal:") == []

    assert await services.answers.share(iid, A) == ["m2"]
    with pytest.raises(UserFacingError, match="already shared"):
        await services.answers.share(iid, A)
    [shared] = await queued(services.db, f"shared:{iid}:")
    assert shared["user_id"] == B


async def test_a_failing_after_reveal_hook_does_not_undo_the_answer(
    services: Services, pair: PairRow
) -> None:
    async def broken(_: PairRow) -> None:
        raise RuntimeError("depth offer broke")

    services.answers.after_reveal = broken
    iid = await services.give(pair)
    await services.answers.submit(iid, A, "one")
    assert (await services.answers.submit(iid, B, "two")).revealed
    assert len(await queued(services.db, f"reveal:{iid}:")) == 2


# Routing a plain DM ------------------------------------------------------------------------
async def test_a_plain_dm_goes_to_the_one_open_prompt(services: Services, pair: PairRow) -> None:
    iid = await services.give(pair)
    route = await services.answers.route_dm(A, "by DM", None)
    assert route is not None and route.saved is not None and route.saved.instance_id == iid


async def test_a_plain_dm_with_nothing_open_goes_nowhere(services: Services) -> None:
    assert await services.answers.route_dm(A, "hello?", None) is None


async def test_a_plain_dm_is_never_guessed_onto_one_of_several_prompts(
    services: Services, pair: PairRow
) -> None:
    first = await services.give(pair)
    second = await services.give(pair, Kind.GUESS)
    route = await services.answers.route_dm(A, "which one?", None)

    assert route is not None and route.saved is None
    assert [c.instance_id for c in route.choices] == [first, second]
    assert all(c.partners == ["m2"] and not c.answered for c in route.choices)
    assert await answer_store.answers_for(services.db, first) == {}


async def test_an_answered_prompt_still_editable_makes_a_dm_ask(
    services: Services, pair: PairRow
) -> None:
    iid = await services.give(pair)
    await services.answers.submit(iid, A, "first")
    route = await services.answers.route_dm(A, "an edit, or something else?", None)
    assert route is not None and route.saved is None
    assert [(c.instance_id, c.answered) for c in route.choices] == [(iid, True)]


async def test_a_reply_to_a_prompt_answers_that_prompt(services: Services, pair: PairRow) -> None:
    first = await services.give(pair)
    await services.give(pair)
    message_id = await services.db.fetchval(
        "SELECT message_id FROM deliveries WHERE instance_id = ? AND user_id = ?", (first, A)
    )
    route = await services.answers.route_dm(A, "this one", int(message_id))
    assert route is not None and route.saved is not None and route.saved.instance_id == first


async def test_an_activity_outcome_closes_without_a_reveal(
    services: Services, pair: PairRow
) -> None:
    iid = await services.give(pair, Kind.ACTIVITY)
    await services.answers.activity_outcome(iid, A, done=True)
    await services.answers.activity_outcome(iid, B, done=False)
    states = await instance_store.member_states(services.db, iid)
    assert states == {A: MemberState.DONE, B: MemberState.NOT_THIS_TIME}
    assert await status(services, iid) == InstanceStatus.CLOSED
    assert await queued(services.db, "reveal:") == []
