"""Sharding through the sandbox: one process running both shards, and two processes splitting them.

DMs and their interactions carry no guild, so Discord sends them to shard 0 only; a guild's
events go to shard `(guild_id >> 22) % count`. The sandbox routes exactly so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

from bot.app import CloserBot
from bot.core.models import Library
from bot.playground.world import World
from bot.sandbox.gateway import shard_of
from bot.sandbox.payloads import SandboxGuild
from bot.sandbox.server import Sandbox
from bot.storage import outbox
from tests.e2e.harness import Harness, running_sandbox
from tests.e2e.test_pairing_couples import invite_and_accept

pytestmark = pytest.mark.e2e


def guild_on_shard(sandbox: Sandbox, shard_id: int, count: int, name: str) -> SandboxGuild:
    while True:
        guild = sandbox.add_guild(name)
        if shard_of(guild.id, count) == shard_id:
            return guild


@contextlib.asynccontextmanager
async def east_and_west(
    library: Library, folder: Path, url: str | None = None
) -> AsyncIterator[tuple[Sandbox, World, World]]:
    """Two processes' worlds splitting two shards, each with a server on its own shard; on
    one PostgreSQL database when `url` is given (SQLite admits one process per file, so
    without it each has its own: that checks the gateway split only). Stopped after."""
    async with running_sandbox() as sandbox:
        east = World(sandbox, library, folder / "east.db", database_url=url)
        west = World(sandbox, library, folder / "west.db", database_url=url)
        east.guild = guild_on_shard(sandbox, 0, 2, "East")
        west.guild = guild_on_shard(sandbox, 1, 2, "West")
        try:
            yield sandbox, east, west
        finally:
            for world in (east, west):
                if world.bot is not None:
                    await world.stop_bot()


class Seen:
    """What one bot received from its gateway: interactions (by guild) and DMs."""

    def __init__(self, bot: CloserBot) -> None:
        self.interaction_guilds: list[int | None] = []
        self.dm_texts: list[str] = []
        bot.add_listener(self._interaction, "on_interaction")
        bot.add_listener(self._message, "on_message")

    async def _interaction(self, interaction: discord.Interaction) -> None:
        self.interaction_guilds.append(interaction.guild_id)

    async def _message(self, message: discord.Message) -> None:
        if message.guild is None and not message.author.bot:
            self.dm_texts.append(message.content)


async def test_one_process_running_both_shards_answers_dms_and_dm_buttons(
    harness: Harness,
) -> None:
    # The server on shard 1, so its slash commands and the DMs (shard 0) use different shards.
    harness.guild = guild_on_shard(harness.sandbox, 1, 2, "Harbour Lights East")
    bot = await harness.start_bot(identify_spacing=0, shard_count=2, shard_ids="0,1")
    assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
    sessions = harness.sandbox.gateway.live_sessions
    assert sorted(s.shard for s in sessions) == [(0, 2), (1, 2)]
    assert [g.shard_id for g in bot.guilds if g.id == harness.guild.id] == [1]
    seen = Seen(bot)
    ada, sam = harness.member("Ada"), harness.member("Sam")
    # The slash command arrives on shard 1, Sam's Accept press (a DM button) on shard 0.
    await invite_and_accept(harness, ada, sam)
    assert seen.interaction_guilds == [harness.guild.id, None]
    await harness.tick()
    ada.unread(), sam.unread()
    await (await ada.slash("prompt now")).reply()
    await harness.tick()
    await ada.next_dm(), await sam.next_dm()
    await ada.send_dm("The harbour at dusk.")
    saved = await ada.next_dm()
    assert saved.text.startswith("Saved for Sam")
    assert seen.dm_texts == ["The harbour at dusk."]


async def test_two_processes_split_the_shards_and_shard_zero_gets_the_dms(
    library: Library, tmp_path: Path
) -> None:
    async with east_and_west(library, tmp_path) as (sandbox, east, west):
        # SQLite admits one process per database file, so each "process" has its own file:
        # this checks the gateway split only, not shared data (that needs PostgreSQL).
        zero = await east.start_bot(identify_spacing=0, shard_count=2, shard_ids="0")
        one = await west.start_bot(identify_spacing=0, shard_count=2, shard_ids="1")
        assert sorted(zero.shards) == [0] and sorted(one.shards) == [1]
        assert {g.id for g in zero.guilds} == {
            g.id for g in sandbox.guilds.values() if shard_of(g.id, 2) == 0
        }
        assert east.guild.id in {g.id for g in zero.guilds}
        assert west.guild.id in {g.id for g in one.guilds}
        assert not {g.id for g in zero.guilds} & {g.id for g in one.guilds}
        seen_zero, seen_one = Seen(zero), Seen(one)

        ada, sam = east.member("Ada"), east.member("Sam")
        lee = west.member("Lee")
        assert (await (await lee.slash("closer help")).reply()).text
        assert seen_one.interaction_guilds == [west.guild.id]
        assert seen_zero.interaction_guilds == []
        # A whole invite on shard 0's side: the slash command in its server, the Accept
        # press in a DM.
        await invite_and_accept(east, ada, sam)
        assert seen_zero.interaction_guilds == [east.guild.id, None]
        assert seen_one.interaction_guilds == [west.guild.id]
        # A member of shard 1's server writing to the bot in a DM reaches shard 0 only.
        await lee.send_dm("hello from the west")
        await lee.next_dm()
        assert seen_zero.dm_texts == ["hello from the west"]
        assert seen_one.dm_texts == []


async def test_two_processes_on_one_postgresql_database_serve_every_member_once(
    library: Library, tmp_path: Path, postgres_url: str
) -> None:
    async with east_and_west(library, tmp_path, postgres_url) as (_sandbox, east, west):
        zero = await east.start_bot(identify_spacing=0, shard_count=2, shard_ids="0")
        one = await west.start_bot(identify_spacing=0, shard_count=2, shard_ids="1")
        lee, max_ = west.member("Lee"), west.member("Max")
        # The invite is a slash command in shard 1's server (process `one`); the Accept
        # press is a DM button (shard 0: process `zero`), which finds the invite because
        # both processes share the database.
        await invite_and_accept(west, lee, max_)
        await (await lee.slash("prompt now")).reply()
        prompt_lee, prompt_max = await lee.next_dm(), await max_.next_dm()
        # Answers by DM reach shard 0 only; the reveal goes out once, whoever sends.
        await lee.send_dm("The tide coming in.", reply_to=prompt_lee.message_id)
        await max_.send_dm("Bread from the corner shop.", reply_to=prompt_max.message_id)
        await east.tick()
        await west.tick()
        for member, partner_words in (
            (lee, "Bread from the corner shop."),
            (max_, "The tide coming in."),
        ):
            texts = [m.text for m in member.dms()]
            assert sum(partner_words in t for t in texts) == 1, texts

        # Exactly one process sends; the other takes over when it stops.
        def sending(bot: CloserBot) -> bool:
            return bot.metrics.registry.get_sample_value("closer_outbox_sender") == 1

        assert [sending(zero), sending(one)].count(True) == 1
        survivor, stopping = (west, east) if sending(zero) else (east, west)
        await stopping.stop_bot()
        for _ in range(50):  # PostgreSQL lets go of the lock as it sees the connection close
            await survivor.tick()
            if sending(survivor.running()):
                break
            await asyncio.sleep(0.1)
        assert sending(survivor.running())
        now = survivor.clock.now()
        hello = outbox.notices([lee.id], "after-takeover", {"content": "Still here."}, now)
        await outbox.enqueue(survivor.running().db, hello, now)
        await survivor.tick()
        assert [m.text for m in lee.dms()].count("Still here.") == 1
