"""Helpers for the trust tests (privacy, admin, faults): database snapshots, waiting on the bot,
and a short conversation that leaves rows in most tables."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.driver import Member, Reply, walk_components
from bot.storage.db import Database
from tests.e2e.harness import Harness
from tests.e2e.test_pairing_couples import invite_and_accept

Snapshot = dict[str, list[dict[str, Any]]]


async def snapshot(db: Database) -> Snapshot:
    """Every row of every table, sorted, so two snapshots compare equal iff nothing changed."""
    out: Snapshot = {}
    for table in sorted(await db.table_names()):
        rows = await db.fetchall(f'SELECT * FROM "{table}"')  # noqa: S608 (names from sqlite)
        out[table] = sorted((dict(r) for r in rows), key=repr)
    return out


def traces(snap: Snapshot, user_id: int, needles: list[str]) -> list[str]:
    """Every cell, in every table, that holds the user id or contains one of `needles`."""
    found: list[str] = []
    uid = str(user_id)
    for table, rows in snap.items():
        for row in rows:
            for column, value in row.items():
                text = None if value is None else str(value)
                if value == user_id or (
                    text is not None and (uid in text or any(n in text for n in needles))
                ):
                    found.append(f"{table}.{column} = {text!r:.120}")
    return found


async def wait_until(
    check: Callable[[], Awaitable[bool]], within: float = 5.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def answer_latest(member: Member, text: str, prompt: Reply | None = None) -> Reply:
    """Answer by DM, as a person would (a Discord reply to `prompt` if given), and return the
    bot's acknowledgement."""
    await member.send_dm(text, reply_to=prompt.message_id if prompt else None)
    return await member.next_dm()


async def converse(harness: Harness, a: Member, b: Member, words: tuple[str, str]) -> None:
    """Pair a and b, deliver one prompt, and have both answer (so a reveal is queued)."""
    await invite_and_accept(harness, a, b)
    await harness.tick()
    a.unread(), b.unread()
    # A question (an activity is not answered in words and a reflection is never revealed),
    # given as /prompt now would give it.
    bot = harness.running()
    pair = await bot.services.pairs.resolve(harness.guild.id, a.id)
    question = next(
        p for p in bot.library.prompts if p.kind.value == "question" and p.depth.value == "light"
    )
    await bot.services.prompt_commands.deliver(pair, question)
    await harness.tick()
    prompt_a, prompt_b = await a.next_dm(), await b.next_dm()
    await answer_latest(a, words[0], prompt_a)
    await answer_latest(b, words[1], prompt_b)
    await harness.tick()


def _buttons(reply: Reply) -> list[dict[str, Any]]:
    return [c for c in walk_components(reply.components) if c.get("type") == 2]
