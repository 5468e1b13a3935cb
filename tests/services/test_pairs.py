"""PairService's own rules: who may invite whom, how often, and what accepting needs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.models import Category, Depth, InviteStatus, PairState, Relationship
from bot.errors import UserFacingError
from bot.services.pairs import INVITE_TTL, MAX_PENDING_INVITES, REINVITE_AFTER, Person
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from tests.services.conftest import GUILD, REFUSED, Services, queued, refusing_deliveries, rows

ALICE, BOB, CARA = Person(1, "Alice"), Person(2, "Bob"), Person(3, "Cara")


async def invite(s: Services, inviter: Person = ALICE, invitee: Person = BOB) -> int:
    outcome = await s.pairs.invite(GUILD, inviter, invitee, "19:00", "daily", "partners")
    return outcome.invite_id


async def test_an_invite_is_written_and_sent_in_the_same_command(services: Services) -> None:
    outcome = await services.pairs.invite(GUILD, ALICE, BOB, "19:30", "weekly", "friends")

    assert outcome.delivered
    row = await pair_store.get_invite(services.db, outcome.invite_id)
    assert row is not None and row.status == InviteStatus.PENDING
    assert (row.local_time, row.cadence.value) == ("19:30", "weekly")
    assert [channel for channel, _ in services.discord.sent] == [BOB.id * 10]


@pytest.mark.parametrize(
    ("invitee", "words"),
    [
        (ALICE, "can't invite yourself"),
        (Person(9, "Robo", is_bot=True), "Bots can't pair"),
        (Person(8, "Far", in_guild=False), "isn't in this server"),
    ],
)
async def test_some_people_cannot_be_invited(
    services: Services, invitee: Person, words: str
) -> None:
    with pytest.raises(UserFacingError, match=words):
        await invite(services, ALICE, invitee)
    assert await rows(services.db, "SELECT id FROM invites") == []


async def test_one_waiting_invite_between_two_people(services: Services) -> None:
    await invite(services)
    with pytest.raises(UserFacingError, match="already an invite waiting"):
        await invite(services)
    # Nor the other way round.
    with pytest.raises(UserFacingError, match="already an invite waiting"):
        await invite(services, BOB, ALICE)


async def test_at_most_max_pending_invites_wait_at_once(services: Services) -> None:
    for n in range(MAX_PENDING_INVITES):
        await invite(services, ALICE, Person(100 + n, f"p{n}"))
    with pytest.raises(UserFacingError, match=f"{MAX_PENDING_INVITES} invites waiting"):
        await invite(services, ALICE, Person(200, "one too many"))
    # Someone else's invites are their own.
    await invite(services, BOB, Person(200, "one too many"))


async def test_expired_invites_free_their_place(services: Services) -> None:
    for n in range(MAX_PENDING_INVITES):
        await invite(services, ALICE, Person(100 + n, f"p{n}"))
    services.clock.advance(INVITE_TTL + timedelta(seconds=1))
    await invite(services, ALICE, Person(200, "next week"))


async def test_a_declined_member_is_not_asked_again_for_a_week(services: Services) -> None:
    await services.pairs.decline(await invite(services), BOB.id)
    # The one who said no may still ask themselves.
    await services.pairs.decline(await invite(services, BOB, ALICE), ALICE.id)

    services.clock.advance(REINVITE_AFTER - timedelta(minutes=1))
    with pytest.raises(UserFacingError, match="wasn't ready for this one"):
        await invite(services)
    services.clock.advance(timedelta(minutes=2))
    await invite(services)


async def test_closed_dms_cancel_the_invite_and_say_so(services: Services) -> None:
    services.discord.closed_dms.add(BOB.id)
    with pytest.raises(UserFacingError, match="their DMs are closed"):
        await invite(services)
    [row] = await rows(services.db, "SELECT status FROM invites")
    assert row["status"] == InviteStatus.CANCELLED
    # Cancelled, not waiting: once they open their DMs they can be asked again at once.
    services.discord.closed_dms.clear()
    await invite(services)


async def test_only_the_invitee_can_answer_and_only_once(services: Services) -> None:
    invite_id = await invite(services)
    with pytest.raises(UserFacingError, match="isn't for you"):
        await services.pairs.accept(invite_id, ALICE.id)
    with pytest.raises(UserFacingError, match="isn't for you"):
        await services.pairs.decline(invite_id, CARA.id)

    pair = await services.pairs.accept(invite_id, BOB.id)
    assert pair.status == PairState.ACTIVE and set(pair.member_ids) == {ALICE.id, BOB.id}
    with pytest.raises(UserFacingError, match="already accepted"):
        await services.pairs.accept(invite_id, BOB.id)
    with pytest.raises(UserFacingError, match="already accepted"):
        await services.pairs.decline(invite_id, BOB.id)


async def test_an_expired_invite_cannot_be_accepted(services: Services) -> None:
    invite_id = await invite(services)
    services.clock.advance(INVITE_TTL)
    with pytest.raises(UserFacingError, match="expired"):
        await services.pairs.accept(invite_id, BOB.id)
    assert await pair_store.live_pairs_of(services.db, BOB.id) == []


async def test_accepting_after_pairing_elsewhere_cancels_the_invite(services: Services) -> None:
    to_bob = await invite(services, ALICE, BOB)
    to_cara = await invite(services, ALICE, CARA)
    await services.pairs.accept(to_bob, BOB.id)

    with pytest.raises(UserFacingError, match="paired with someone else"):
        await services.pairs.accept(to_cara, CARA.id)
    # The refusal did not roll the cancellation back: the invite is closed for good.
    row = await pair_store.get_invite(services.db, to_cara)
    assert row is not None and row.status == InviteStatus.CANCELLED
    with pytest.raises(UserFacingError, match="already cancelled"):
        await services.pairs.accept(to_cara, CARA.id)
    assert await pair_store.live_pairs_of(services.db, CARA.id) == []


async def test_accepting_writes_the_pair_and_the_notice_together(services: Services) -> None:
    invite_id = await invite(services)
    async with refusing_deliveries(services.db, "notice"):
        with pytest.raises(REFUSED):
            await services.pairs.accept(invite_id, BOB.id)
    assert await pair_store.live_pairs_of(services.db, BOB.id) == []
    row = await pair_store.get_invite(services.db, invite_id)
    assert row is not None and row.status == InviteStatus.PENDING
    await services.pairs.accept(invite_id, BOB.id)


async def test_accepting_plans_both_members_and_tells_the_inviter(services: Services) -> None:
    pair = await services.pair(ALICE.id, BOB.id, time="19:00")

    schedules = await outbox_store.schedules_of_pair(services.db, pair.id)
    assert sorted(s.user_id for s in schedules) == [ALICE.id, BOB.id]
    assert all(s.due > services.now() for s in schedules)
    notices = await rows(
        services.db, "SELECT user_id FROM deliveries WHERE dedupe_key LIKE 'paired:%'"
    )
    assert notices == [{"user_id": ALICE.id}]
    with pytest.raises(UserFacingError, match="already in a pair you chose"):
        await invite(services, ALICE, CARA)
    with pytest.raises(UserFacingError, match="already in a pair they chose"):
        await invite(services, CARA, BOB)
    assert pair.kind.value == "couple"


# A pair's settings ---------------------------------------------------------------------------
async def test_a_pause_is_one_to_ninety_days_and_resume_needs_a_pause(
    services: Services,
) -> None:
    pair = await services.pair(ALICE.id, BOB.id)
    for days in (0, 91):
        with pytest.raises(UserFacingError, match="1 to 90 days"):
            await services.pairs.pause(pair, ALICE.id, days)
    with pytest.raises(UserFacingError, match="nothing to resume"):
        await services.pairs.resume(pair, ALICE.id)

    until = await services.pairs.pause(pair, ALICE.id, 90)
    assert until == services.now() + timedelta(days=90)
    paused = await pair_store.get_pair(services.db, pair.id)
    assert paused is not None and paused.status == PairState.PAUSED
    [told] = await queued(services.db, f"paused:{pair.id}:")
    assert told["user_id"] == BOB.id
    plan = await services.pairs.resume(paused, BOB.id)
    assert set(plan) == {ALICE.id, BOB.id}


async def test_ending_is_for_members_and_happens_once(services: Services) -> None:
    pair = await services.pair(ALICE.id, BOB.id)
    with pytest.raises(UserFacingError, match="isn't one of your pairs"):
        await services.pairs.end(pair.id, CARA.id)
    await services.pairs.end(pair.id, BOB.id)
    with pytest.raises(UserFacingError, match="already ended"):
        await services.pairs.end(pair.id, ALICE.id)
    # Ended, they are free to pair again.
    await invite(services, ALICE, CARA)


async def test_stepping_back_only_goes_lighter(services: Services) -> None:
    pair = await services.pair(ALICE.id, BOB.id)
    with pytest.raises(UserFacingError, match="both say yes"):
        await services.pairs.step_back(pair, "deep")
    with pytest.raises(UserFacingError, match="already at light"):
        await services.pairs.step_back(pair, "light")
    with pytest.raises(UserFacingError, match="light or medium"):
        await services.pairs.step_back(pair, "deeper still")


async def test_going_deeper_needs_everyone_to_say_yes(services: Services) -> None:
    pair = await services.pair(ALICE.id, BOB.id)
    assert not await services.pairs.vote_deeper(pair.id, ALICE.id, Depth.MEDIUM)
    with pytest.raises(UserFacingError, match="isn't for you"):
        await services.pairs.vote_deeper(pair.id, CARA.id, Depth.MEDIUM)
    assert await services.pairs.vote_deeper(pair.id, BOB.id, Depth.MEDIUM)
    deeper = await pair_store.get_pair(services.db, pair.id)
    assert deeper is not None and deeper.depth is Depth.MEDIUM
    assert await services.pairs.step_back(deeper, "light") is Depth.LIGHT


async def test_every_topic_cannot_be_muted(services: Services) -> None:
    pair = await services.pair(ALICE.id, BOB.id)
    *most, last = list(Category)
    for category in most:
        assert await services.pairs.set_topic(pair, category.value, on=False) == (category, True)
    with pytest.raises(UserFacingError, match="mute every topic"):
        await services.pairs.set_topic(pair, last.value, on=False)
    with pytest.raises(UserFacingError, match="Pick a topic"):
        await services.pairs.set_topic(pair, "gossip", on=False)


async def test_a_relationship_changes_only_when_the_other_accepts(services: Services) -> None:
    pair = await services.pair(ALICE.id, BOB.id)
    with pytest.raises(UserFacingError, match="already paired as partners"):
        await services.pairs.propose_relationship(pair, ALICE.id, "partners")
    await services.pairs.propose_relationship(pair, ALICE.id, "friends")
    with pytest.raises(UserFacingError, match="isn't for you"):
        await services.pairs.answer_relationship(
            pair.id, ALICE.id, ALICE.id, Relationship.FRIENDS, accept=True
        )
    assert (
        await services.pairs.answer_relationship(
            pair.id, BOB.id, ALICE.id, Relationship.FRIENDS, accept=True
        )
        is Relationship.FRIENDS
    )
    with pytest.raises(UserFacingError, match="already been answered"):
        await services.pairs.answer_relationship(
            pair.id, BOB.id, ALICE.id, Relationship.FRIENDS, accept=False
        )


async def test_resolve_finds_the_pair_a_command_means(services: Services) -> None:
    with pytest.raises(UserFacingError, match="not in a pair here yet"):
        await services.pairs.resolve(GUILD, ALICE.id)
    pair = await services.pair(ALICE.id, BOB.id)
    assert (await services.pairs.resolve(GUILD, ALICE.id)).id == pair.id
    assert (await services.pairs.resolve(GUILD, ALICE.id, BOB.id)).id == pair.id
    with pytest.raises(UserFacingError, match="not paired with that member"):
        await services.pairs.resolve(GUILD, ALICE.id, CARA.id)
    with pytest.raises(UserFacingError, match="not in a pair here yet"):
        await services.pairs.resolve(GUILD + 1, ALICE.id)
