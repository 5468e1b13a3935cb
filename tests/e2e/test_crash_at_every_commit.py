"""A crash at any commit boundary of the answer→reveal flow leaves nothing half-done.

The process "dies" right after its N-th commit: every later write fails, as in a killed process,
and the bot is stopped without a goodbye. After a restart on the same file, every revealed
instance has its reveal rows, every answered side has its answer, and the reveal reaches each
partner exactly once.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import aiosqlite
import pytest

from bot.app import CloserBot
from bot.delivery.outbox import LEASE
from bot.storage.db import Database
from tests.e2e.answers_helpers import QUESTION, seed_pair, send_prompt
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


class Dead(Exception):
    """Raised by any write after the simulated death."""


class CommitCounter:
    def __init__(self, die_after: int) -> None:
        self.die_after = die_after
        self.commits = 0

    @property
    def dead(self) -> bool:
        return self.commits >= self.die_after


def install(monkeypatch: pytest.MonkeyPatch, counter: CommitCounter) -> None:
    original = Database.transaction

    @contextlib.asynccontextmanager
    async def transaction(self: Database) -> AsyncIterator[aiosqlite.Connection]:
        if counter.dead:
            raise Dead("the process is gone")
        async with original(self) as conn:
            yield conn
        counter.commits += 1

    monkeypatch.setattr(Database, "transaction", transaction)


async def check_consistent(bot: CloserBot) -> None:
    db = bot.db
    # An answered side always has its words, and words always belong to an answered side.
    orphans = await db.fetchval(
        "SELECT count(*) FROM instance_members im LEFT JOIN answers a "
        "ON a.instance_id = im.instance_id AND a.user_id = im.user_id "
        "WHERE im.state = 'answered' AND a.user_id IS NULL"
    )
    assert orphans == 0
    stray = await db.fetchval(
        "SELECT count(*) FROM answers a JOIN instance_members im "
        "ON im.instance_id = a.instance_id AND im.user_id = a.user_id WHERE im.state != 'answered'"
    )
    assert stray == 0
    # Every revealed instance has a reveal row for each member who answered.
    missing = await db.fetchval(
        "SELECT count(*) FROM prompt_instances i JOIN instance_members im "
        "ON im.instance_id = i.id AND im.state = 'answered' WHERE i.status = 'revealed' "
        "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.instance_id = i.id "
        "AND d.user_id = im.user_id AND d.kind = 'reveal')"
    )
    assert missing == 0
    # And nothing was revealed before everyone answered.
    early = await db.fetchval(
        "SELECT count(*) FROM deliveries d JOIN prompt_instances i ON i.id = d.instance_id "
        "WHERE d.kind = 'reveal' AND i.status != 'revealed'"
    )
    assert early == 0


ADA_WORDS = "Rain on a hot pavement."
SAM_WORDS = "Woodsmoke in October."


# The flow's commits: both answers (with the member-profile writes around them) and the sends.
LAST = 14


@pytest.mark.parametrize("die_after", range(1, LAST + 1))
async def test_answer_to_reveal_survives_a_crash_after_any_commit(
    harness: Harness, bot: CloserBot, monkeypatch: pytest.MonkeyPatch, die_after: int
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    await send_prompt(harness, pair_id, QUESTION)
    await ada.next_dm(), await sam.next_dm()

    counter = CommitCounter(die_after)
    install(monkeypatch, counter)
    # The flow: Ada's answer, Sam's answer (which queues the reveals), then the sends.
    for member, words in ((ada, ADA_WORDS), (sam, SAM_WORDS)):
        if not counter.dead:
            await member.send_dm(words)
            await member.next_dm()
    if not counter.dead:
        await harness.tick()
    await harness.crash_bot()
    monkeypatch.undo()

    bot = await harness.start_bot()
    await check_consistent(bot)
    # The members finish what the crash interrupted, as they would: whoever has no saved
    # answer writes it again.
    for member, words in ((ada, ADA_WORDS), (sam, SAM_WORDS)):
        saved = await bot.db.fetchval(
            "SELECT count(*) FROM answers WHERE user_id = ?", (member.id,)
        )
        if not saved:
            await member.send_dm(words)
    await harness.tick()
    # A send claimed just before the death is retried once its lease runs out.
    await harness.advance(LEASE + timedelta(seconds=1))
    await check_consistent(bot)
    for member, other in ((ada, SAM_WORDS), (sam, ADA_WORDS)):
        reveals = [r for r in member.dms() if other in r.text]
        assert len(reveals) == 1, (member.name, [r.text for r in member.dms()])
