"""Forget works by structure: a long answer leaves no fragment anywhere, and a partner whose own
answers are short words ("no", "ok") keeps their whole history."""

from __future__ import annotations

import pytest

from bot.app import CloserBot
from tests.e2e.answers_helpers import OTHER_QUESTIONS, QUESTION, seed_pair, send_prompt
from tests.e2e.harness import Harness
from tests.e2e.trust_support import wait_until

pytestmark = pytest.mark.e2e


def long_answer() -> str:
    words = [f"moment{i:03d}" for i in range(200)]
    text = "When I think about us, " + " ".join(words)
    return text[:1890] + " — that's all."


async def saved_count(bot: CloserBot, user_id: int, answers: int) -> bool:
    """Whether this member has saved at least this many answers."""
    count = await bot.db.fetchval("SELECT count(*) FROM answers WHERE user_id = ?", (user_id,))
    return int(count or 0) >= answers


def fragments(text: str, size: int = 40) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text) - size + 1, size // 2)]


async def test_a_long_answer_leaves_no_forty_character_fragment_after_forget(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    words = long_answer()
    assert 1850 < len(words) <= 2000
    # Two prompts: Sam's answers are "no" and "ok" — words that appear everywhere.
    for round_no, (prompt_id, sams) in enumerate(((QUESTION, "no"), (OTHER_QUESTIONS[0], "ok")), 1):
        await send_prompt(harness, pair_id, prompt_id)
        prompt_a, prompt_s = await ada.next_dm(), await sam.next_dm()
        await ada.send_dm(words if sams == "no" else "A shorter one.", reply_to=prompt_a.message_id)
        await sam.send_dm(sams, reply_to=prompt_s.message_id)
        for member in (ada, sam):
            await wait_until(
                lambda m=member, n=round_no: saved_count(bot, m.id, n),
                what=f"{member.name}'s answer",
            )
        await harness.tick()
    assert any(words in r.text for r in sam.dms())  # the reveal carried it whole

    await bot.privacy.forget(ada.id)
    await harness.tick()

    path = bot.settings.database_path
    # SQLite's own files are read too (PostgreSQL's pages are its server's; see the README on
    # VACUUM FULL).
    on_disk = b"".join(
        p.read_bytes()
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
        if bot.db.engine == "sqlite" and p.exists()
    )
    tables = await bot.db.table_names()
    cells = []
    for table in tables:
        for row in await bot.db.fetchall(f'SELECT * FROM "{table}"'):  # noqa: S608
            cells += [str(v) for v in tuple(row) if v is not None]
    for piece in fragments(words):
        assert piece.encode() not in on_disk, piece
        assert not any(piece in cell for cell in cells), piece

    # Sam's own words stay, both of them, with the prompts they answered.
    kept = await bot.db.fetchall(
        "SELECT a.text FROM answers a WHERE a.user_id = ? ORDER BY a.instance_id", (sam.id,)
    )
    assert [r[0] for r in kept] == ["no", "ok"]
    history = await (await sam.slash("closer history")).reply()
    assert "**You:** no" in history.text and "**You:** ok" in history.text
