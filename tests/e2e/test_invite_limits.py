"""Invites can't flood anyone, and invite→accept survives a crash after any of its commits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import CloserBot
from bot.delivery.outbox import LEASE
from bot.services.pairs import MAX_PENDING_INVITES, REINVITE_AFTER
from tests.e2e.harness import Harness
from tests.e2e.test_crash_at_every_commit import CommitCounter, install

pytestmark = pytest.mark.e2e


async def test_a_declined_invite_cannot_be_sent_again_for_a_week(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await (await ada.slash("pair invite", member=sam, relationship="friends")).reply()
    invite = await sam.next_dm()
    await (await sam.click(invite, "Decline")).reply()
    declined_at = harness.clock.now()
    again = await (await ada.slash("pair invite", member=sam, relationship="friends")).reply()
    opens = int((declined_at + REINVITE_AFTER).timestamp())
    assert again.ephemeral
    assert again.text == (
        f"Sam wasn't ready for this one. You can invite them again from <t:{opens}:f>; until "
        "then, there's no pressure either way."
    )
    await harness.tick()
    assert not [r for r in sam.unread() if "would like to pair" in r.text]
    harness.clock.advance(REINVITE_AFTER + timedelta(minutes=1))
    later = await (await ada.slash("pair invite", member=sam, relationship="friends")).reply()
    assert later.text.startswith("Invite sent to Sam")


async def test_at_most_ten_invites_wait_at_once(harness: Harness, bot: CloserBot) -> None:
    ada = harness.member("Ada")
    others = [harness.member(f"Friend{i}") for i in range(MAX_PENDING_INVITES + 1)]
    first_at = harness.clock.now()
    for friend in others[:MAX_PENDING_INVITES]:
        sent = await (await ada.slash("pair invite", member=friend, relationship="friends")).reply()
        assert sent.text.startswith("Invite sent"), sent.text
        harness.clock.advance(timedelta(minutes=1))
    refused = await (
        await ada.slash("pair invite", member=others[-1], relationship="friends")
    ).reply()
    opens = int((first_at + timedelta(days=7)).timestamp())
    assert refused.text == (
        f"You have {MAX_PENDING_INVITES} invites waiting for an answer, the most at once. "
        f"Another can go out when one is answered, or from <t:{opens}:f> when the oldest expires."
    )
    # Answering one frees a place.
    invite = await others[0].next_dm()
    await (await others[0].click(invite, "Decline")).reply()
    ok = await (await ada.slash("pair invite", member=others[-1], relationship="friends")).reply()
    assert ok.text.startswith("Invite sent")


async def check_pairs_consistent(bot: CloserBot) -> None:
    db = bot.db
    # An accepted invite always has its pair, the pair its schedules and the inviter's notice;
    # a pair from an invite always has that invite accepted.
    half = await db.fetchval(
        "SELECT count(*) FROM invites i WHERE i.status = 'accepted' AND (i.pair_id IS NULL "
        "OR (SELECT count(*) FROM schedules s WHERE s.pair_id = i.pair_id) != 2 "
        "OR NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.dedupe_key LIKE 'paired:' || "
        "i.pair_id || ':%'))"
    )
    assert half == 0
    orphans = await db.fetchval(
        "SELECT count(*) FROM pairs p WHERE p.kind = 'couple' AND NOT EXISTS "
        "(SELECT 1 FROM invites i WHERE i.pair_id = p.id AND i.status = 'accepted')"
    )
    assert orphans == 0
    unsent = await db.fetchval(
        "SELECT count(*) FROM invites i WHERE NOT EXISTS (SELECT 1 FROM deliveries d "
        "WHERE d.dedupe_key = 'invite:' || i.id)"
    )
    assert unsent == 0


@pytest.mark.parametrize("die_after", range(1, 10))
async def test_invite_to_accept_survives_a_crash_after_any_commit(
    harness: Harness, bot: CloserBot, monkeypatch: pytest.MonkeyPatch, die_after: int
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    counter = CommitCounter(die_after)
    install(monkeypatch, counter)
    await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
    if not counter.dead:
        invites = [r for r in sam.dms() if "would like to pair" in r.text]
        if invites:
            await (await sam.click(invites[-1], "Accept")).reply()
    if not counter.dead:
        await harness.tick()
    await harness.crash_bot()
    monkeypatch.undo()

    bot = await harness.start_bot()
    await check_pairs_consistent(bot)
    # After the restart, whatever was interrupted can be finished: a queued invite DM goes out
    # (once its lease ends), and Sam can accept it; the inviter hears exactly once.
    await harness.advance(LEASE + timedelta(seconds=1))
    pending = await bot.db.fetchval("SELECT count(*) FROM invites WHERE status = 'pending'")
    if pending:
        invite = [r for r in sam.dms() if "would like to pair" in r.text][-1]
        await (await sam.click(invite, "Accept")).reply()
    elif not await bot.db.fetchval("SELECT count(*) FROM invites"):
        await (await ada.slash("pair invite", member=sam, relationship="partners")).reply()
        invite = await sam.next_dm()
        await (await sam.click(invite, "Accept")).reply()
    await harness.advance(LEASE + timedelta(seconds=1))
    await check_pairs_consistent(bot)
    told = [r for r in ada.dms() if "are paired" in r.text]
    assert len(told) == 1, [r.text for r in ada.dms()]
    # One invite DM, sent once (an accepted invite's message is edited in place).
    sent = await bot.db.fetchall("SELECT status FROM deliveries WHERE kind = 'invite'")
    assert [r[0] for r in sent] == ["sent"]
    assert len([r for r in sam.dms() if "are paired" in r.text]) == 1
