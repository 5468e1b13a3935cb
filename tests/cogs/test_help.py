"""The first command, end to end: a member runs /closer help through the local Discord."""

from __future__ import annotations

import pytest

from bot.app import CloserBot
from bot.sandbox.server import INTERACTION_DEADLINE
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


async def test_help_answers_ephemerally_within_the_deadline(
    harness: Harness, bot: CloserBot
) -> None:
    ada = harness.member("Ada")
    handle = await ada.slash("closer help")
    reply = await handle.reply()
    assert reply.ephemeral
    assert "How Closer works" in reply.text
    assert "/pair invite" in reply.text
    latency = handle.ack_latency
    assert latency is not None and latency < INTERACTION_DEADLINE


async def test_commands_are_synced_to_the_dev_guild(harness: Harness, bot: CloserBot) -> None:
    names = {c["name"] for c in harness.sandbox.guild_commands[harness.guild.id]}
    assert "closer" in names


async def test_global_sync_happens_once_per_command_set(harness: Harness) -> None:
    bot = await harness.start_bot(dev_guild_id=None)
    assert bot.synced_commands
    assert any(c["name"] == "closer" for c in harness.sandbox.global_commands)
    await harness.stop_bot()
    puts = [r for r in harness.sandbox.requests if r.method == "PUT"]
    bot = await harness.start_bot(dev_guild_id=None)
    assert not bot.synced_commands
    assert [r for r in harness.sandbox.requests if r.method == "PUT"] == puts


async def test_the_bot_touches_its_heartbeat_while_connected(
    harness: Harness, bot: CloserBot
) -> None:
    from bot.health import heartbeat_path, is_fresh

    beat = heartbeat_path(harness.db_path)
    await harness.tick()
    assert is_fresh(beat, 20)
