"""`/closer export` for someone with a lot of history: plain JSON while it fits Discord's upload
limit, a zip when it does not, and several zips (over several messages if need be) beyond that.

The limit comes from the interaction (`attachment_size_limit`), so the sandbox lowers it here
instead of the test building a 10 MB fixture; the sandbox refuses any larger file with 413.
"""

from __future__ import annotations

import asyncio
import io
import json
import random
import string
import zipfile
from typing import Any

import pytest

from bot.app import CloserBot
from bot.sandbox.driver import Member, Reply
from bot.storage.db import new_id
from bot.storage.timecodec import to_db
from bot.ui import trust
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e

ANSWERS = 300


async def years_of_answers(harness: Harness, bot: CloserBot) -> Member:
    """Ada, with a long answer to each of many prompts: about 450 KB of JSON, 270 KB zipped."""
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await harness.seed_couple(ada, sam)
    rng = random.Random(12)
    now = to_db(harness.clock.now())
    async with bot.db.transaction() as conn:
        for n in range(ANSWERS):
            cur = await conn.execute(
                "INSERT INTO prompt_instances (pair_id, prompt_id, category, kind, slot_key, "
                "status, created_at) VALUES (?, 'curiosity.childhood-food', 'curiosity', "
                "'question', ?, 'revealed', ?) RETURNING id",
                (pair_id, f"2020-{n:04d}", now),
            )
            # Letters at random: words that compress about as well as real writing does.
            text = " ".join(
                "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9)))
                for _ in range(220)
            )
            await conn.execute(
                "INSERT INTO answers (instance_id, user_id, text, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (await new_id(cur), ada.id, text, now, now),
            )
    return ada


def unzip(data: bytes) -> tuple[str, dict[str, Any]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = archive.namelist()
        return name, json.loads(archive.read(name))


async def export_replies(ada: Member, messages: int = 1) -> list[Reply]:
    handle = await ada.slash("closer export")
    replies = [await handle.reply()]
    for index in range(1, messages):
        replies.append(await handle.followup(index))
    await asyncio.sleep(0.1)
    assert len(handle.record.followups) == messages
    return replies


async def test_an_export_too_big_to_attach_is_zipped_then_split(
    harness: Harness, bot: CloserBot
) -> None:
    ada = await years_of_answers(harness, bot)
    (plain,) = await export_replies(ada)
    assert plain.content == trust.export_text(1)
    ((whole,),) = [plain.files]
    assert whole["filename"] == "closer-export.json"
    full = json.loads(whole["data"])
    assert len(full["tables"]["answers"]) == ANSWERS
    size = len(whole["data"])

    # Too big for one plain file, small enough once compressed.
    harness.sandbox.attachment_size_limit = size // 2
    (zipped,) = await export_replies(ada)
    assert zipped.ephemeral and zipped.content == trust.EXPORT_ZIPPED
    assert [f["filename"] for f in zipped.files] == ["closer-export.zip"]
    assert unzip(zipped.files[0]["data"]) == ("closer-export.json", full)

    # Too big even compressed: parts, each a whole JSON document, together everything.
    # Past 10 files, the rest follow in more messages (Discord takes 10 to a message).
    for limit, messages in ((size // 8, 1), (size // 40, 3)):
        harness.sandbox.attachment_size_limit = limit
        replies = await export_replies(ada, messages)
        files = [f for r in replies for f in r.files]
        count = len(files)
        assert count > 2 and [len(r.files) for r in replies[:-1]] == [10] * (messages - 1)
        assert replies[0].content == trust.export_parts_text(count, messages)
        assert [r.content for r in replies[1:]] == [
            trust.export_more_text(n, messages) for n in range(2, messages + 1)
        ]
        assert all(r.ephemeral for r in replies)
        assert all(len(f["data"]) <= limit for f in files)
        merged: dict[str, list[Any]] = {}
        for number, file in enumerate(files, start=1):
            stem = f"closer-export-part{number}of{count}"
            assert file["filename"] == f"{stem}.zip"
            name, part = unzip(file["data"])
            assert name == f"{stem}.json"
            assert part["format"] == {**full["format"], "part": number, "parts": count}
            if number == 1:  # what each table and field means, once
                assert part["notes"] == full["notes"] and part["fields"] == full["fields"]
            else:
                assert set(part) == {"format", "tables"}
            for table, rows in part["tables"].items():
                merged.setdefault(table, []).extend(rows)
        assert merged == {t: rows for t, rows in full["tables"].items() if rows}
