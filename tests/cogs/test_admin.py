"""`/closer-admin`: hidden from members, refused on our side too, and counts only."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import CloserBot
from bot.sandbox.driver import DriverError
from bot.ui import trust
from tests.e2e.harness import Harness
from tests.e2e.trust_support import converse, snapshot

pytestmark = pytest.mark.e2e

WORDS = ("the slow bus home, every secret Tuesday", "the blue mug you left for me")


def admin_subcommands(harness: Harness) -> list[dict[str, Any]]:
    group = next(
        c for c in harness.sandbox.guild_commands[harness.guild.id] if c["name"] == "closer-admin"
    )
    return [o for o in group.get("options") or [] if o["type"] == 1]


def options_for(sub: dict[str, Any], harness: Harness) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for option in sub.get("options") or []:
        values[option["name"]] = harness.guild if option["type"] == 7 else "x"
    return values


async def test_the_group_is_hidden_from_members_without_manage_server(
    harness: Harness, bot: CloserBot
) -> None:
    group = next(
        c for c in harness.sandbox.guild_commands[harness.guild.id] if c["name"] == "closer-admin"
    )
    assert int(group["default_member_permissions"]) == 1 << 5  # MANAGE_GUILD
    assert group.get("contexts") in (None, [0])  # server only
    with pytest.raises(DriverError, match="hidden"):
        await harness.member("Ada").slash("closer-admin stats")


async def test_every_admin_command_refuses_a_member_who_bypasses_the_client(
    harness: Harness, bot: CloserBot
) -> None:
    ada = harness.member("Ada")
    subs = admin_subcommands(harness)
    assert {s["name"] for s in subs} >= {"setup", "stats"}
    for sub in subs:
        before = await snapshot(bot.db)
        handle = await ada.slash(
            f"closer-admin {sub['name']}", _bypass=True, **options_for(sub, harness)
        )
        reply = await handle.reply()
        assert reply.ephemeral, sub["name"]
        assert reply.content == trust.MANAGE_SERVER_NEEDED, (sub["name"], reply.content)
        assert await snapshot(bot.db) == before, sub["name"]


async def test_setup_stores_the_announce_channel(harness: Harness, bot: CloserBot) -> None:
    boss = harness.member("Boss", manage_guild=True)
    reply = await (await boss.slash("closer-admin setup", channel=harness.guild)).reply()
    assert reply.ephemeral
    channel = harness.guild.text_channel_id
    assert reply.content.startswith(
        f"Closer will post circle rounds and challenge summaries in <#{channel}>."
    )
    stored = await bot.db.fetchval(
        "SELECT announce_channel_id FROM guilds WHERE guild_id = ?", (harness.guild.id,)
    )
    assert stored == harness.guild.text_channel_id


async def test_stats_are_counts_and_never_content(harness: Harness, bot: CloserBot) -> None:
    boss = harness.member("Boss", manage_guild=True)
    ada, sam = harness.member("Ada"), harness.member("Sam")
    empty = await (await boss.slash("closer-admin stats")).reply()
    assert "No prompts given in the last 7 days." in empty.text
    await converse(harness, ada, sam, WORDS)
    reply = await (await boss.slash("closer-admin stats")).reply()
    assert reply.ephemeral
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Members taking part"] == "2"
    assert fields["Couple pairs"] == "1"
    assert fields["Circles"] == "0 (0 groups this round)"
    prompts = int(fields["Prompts sent, last 7 days"])
    assert prompts >= 2 and prompts % 2 == 0  # one per partner per prompt
    # Both answered the last prompt; earlier draws (activities) may still be open.
    answered = fields["Answered, last 7 days"]
    assert answered.endswith(f"(2 of {prompts})")
    for words in WORDS:
        assert words not in reply.text
    assert "Ada" not in reply.text and "Sam" not in reply.text
