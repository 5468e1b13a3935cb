"""A command that wants its DM sent now, on a process that does not send (PostgreSQL).

Only the leading process spends Discord's budget. `/pair invite` taken by another process asks
the sender to send the invite at once and waits briefly for the row to settle, so the inviter
still hears at once when the invitee's DMs are closed; with no sender answering in time, the
invite is truthfully on its way.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from bot import app
from bot.app import CloserBot
from bot.core.models import Library
from bot.delivery import outbox
from bot.playground.world import World
from bot.storage.outbox import deliveries_for
from tests.e2e.harness import running_sandbox
from tests.e2e.test_leadership import LEADER_LOCK
from tests.e2e.test_shards import east_and_west

pytestmark = pytest.mark.e2e


def sending(bot: CloserBot) -> bool:
    return bot.metrics.registry.get_sample_value("closer_outbox_sender") == 1


async def test_an_invite_taken_by_a_process_that_does_not_send_is_sent_by_the_sender(
    library: Library, tmp_path: Path, postgres_url: str
) -> None:
    async with east_and_west(library, tmp_path, postgres_url) as (_sandbox, east, west):
        sender = await east.start_bot(identify_spacing=0, shard_count=2, shard_ids="0")
        await east.tick()
        other = await west.start_bot(identify_spacing=0, shard_count=2, shard_ids="1")
        assert sending(sender) and not sending(other)
        # Slash commands in the West server reach the process that does not send.
        lee, sam, max_ = west.member("Lee"), west.member("Sam"), west.member("Max")
        # The sender's tick (woken by the new row) and its answer to the ask race for the
        # invite: whichever sends it, the inviter hears the outcome.
        sam.close_dms()
        closed = await (await lee.slash("pair invite", member=sam, relationship="partners")).reply()
        assert closed.text.startswith("I couldn't send Sam a DM: their DMs are closed to me.")
        # The sender's clock a minute behind: its tick finds the next invite not yet due,
        # so only its answer to the ask sends it now.
        west.clock.advance(timedelta(minutes=1))
        opened = await (await lee.slash("pair invite", member=max_, relationship="friends")).reply()
        assert opened.text.startswith("Invite sent to Max to pair as friends."), opened.text
        [invite] = max_.dms()
        assert "would like to pair with you" in invite.text
        # Every REST call for those DMs was the sender's, within its budget.
        assert other.limiter.admitted == 0
        assert sender.limiter.admitted >= 3  # Sam's DM channel, Max's, the invite itself


async def test_with_no_sender_answering_the_invite_is_on_its_way_and_goes_out_later(
    library: Library, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "SEND_NOW_WAIT", 0.5)
    monkeypatch.setattr(app, "START_UP_ASKING", 0.5)  # it asks the stalled sender for room
    async with running_sandbox() as sandbox:
        world = World(sandbox, library, tmp_path / "c.db", database_url=postgres_url)
        # A sender that holds the lead and answers nothing (stalled).
        stalled = await asyncpg.connect(postgres_url)
        try:
            await stalled.execute("SELECT pg_advisory_lock($1)", LEADER_LOCK)
            bot = await world.start_bot()
            ada, sam = world.member("Ada"), world.member("Sam")
            reply = await (
                await ada.slash("pair invite", member=sam, relationship="partners")
            ).reply()
            assert reply.text == (
                "Your invite is on its way to Sam to pair as partners. I'll let you know when "
                "they answer; it stays open for 7 days."
            )
            assert sam.dms() == [] and bot.limiter.admitted == 0
            [row] = await deliveries_for(bot.db, sam.id)
            assert row["status"] == "pending"
            # The stalled sender goes; this process takes over and sends what waited.
            await stalled.close()
            await world.tick()
            assert sending(bot)
            invite = await sam.next_dm()
            assert "would like to pair with you" in invite.text
        finally:
            if not stalled.is_closed():
                await stalled.close()
            await world.stop_bot()
