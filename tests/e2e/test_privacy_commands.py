"""`/closer export`, `/closer forget` and `/closer resources`, end to end through the sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.app import CloserBot
from bot.sandbox.driver import Member
from bot.storage.privacy import USER_ID_COLUMNS
from bot.storage.timecodec import to_db
from bot.ui import trust
from tests.e2e.harness import Harness
from tests.e2e.trust_support import converse, snapshot, traces

pytestmark = pytest.mark.e2e

ADA_WORDS = "the lighthouse walk in the rain, unmistakably ours"
SAM_WORDS = "your laugh when the kettle whistled, truly"


async def seed_the_rest(harness: Harness, ada: Member, sam: Member) -> None:
    """Rows in the tables no command reaches yet (circles, challenges, timers, votes), so the
    export and forget tests cover every table that can hold a user id."""
    assert harness.bot is not None
    db, now = harness.bot.db, to_db(harness.clock.now())
    gid = harness.guild.id
    pair_id = int(await db.fetchval("SELECT id FROM pairs ORDER BY id LIMIT 1"))
    instance_id = int(await db.fetchval("SELECT id FROM prompt_instances ORDER BY id LIMIT 1"))
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO circles (guild_id, name, name_key, cadence, weekday, local_time, "
            "timezone, anchor_date, seed, created_by, created_at) "
            "VALUES (?, 'Book club', 'book club', 'weekly', 2, '18:00', 'UTC', '2026-03-02', "
            "3, ?, ?)",
            (gid, ada.id, now),
        )
        await conn.execute(
            "INSERT INTO circle_members (circle_id, user_id, joined_at) "
            "SELECT id, ?, ? FROM circles WHERE name_key = 'book club'",
            (ada.id, now),
        )
        await conn.execute(
            "INSERT INTO depth_votes (pair_id, user_id, depth, created_at) "
            "VALUES (?, ?, 'medium', ?)",
            (pair_id, ada.id, now),
        )
        await conn.execute(
            "INSERT INTO challenges (guild_id, pair_id, theme_id, started_by, starts_on, "
            "created_at) VALUES (?, ?, 'gratitude-week', ?, '2026-03-02', ?)",
            (gid, pair_id, ada.id, now),
        )
        await conn.execute(
            "INSERT INTO activity_timers (instance_id, user_id, pressed_at) VALUES (?, ?, ?)",
            (instance_id, ada.id, now),
        )
        await conn.execute(
            "INSERT INTO pair_muted_topics (pair_id, category) VALUES (?, 'humor')", (pair_id,)
        )


async def lived_in(harness: Harness) -> tuple[Member, Member, Member]:
    ada, sam, kit = harness.member("Adalind"), harness.member("Sam"), harness.member("Kit")
    await (await ada.slash("closer timezone", zone="Europe/Berlin")).reply()
    await converse(harness, ada, sam, (ADA_WORDS, SAM_WORDS))
    # A pending invite from Ada to Kit, so `invites` holds her id on both sides of some row.
    await (await ada.slash("pair invite", member=kit, relationship="partners")).reply()
    await seed_the_rest(harness, ada, sam)
    # A closeness check-in, and scheduled ones switched off: both hers alone.
    checkin = await (await ada.slash("closer checkin")).reply()
    await (await ada.click(checkin, "Turn scheduled check-ins off")).reply()
    await (await ada.click(checkin, "5")).reply()
    return ada, sam, kit


def _cells(row: dict[str, Any]) -> dict[str, str | None]:
    return {k: None if v is None else str(v) for k, v in row.items()}


async def test_export_round_trips_every_table_that_holds_the_member(
    harness: Harness, bot: CloserBot
) -> None:
    ada, _, _ = await lived_in(harness)
    # A pause she asked for puts her id in pairs.paused_by too.
    await (await ada.slash("pair pause", days=2)).reply()
    handle = await ada.slash("closer export")
    reply = await handle.reply()
    assert reply.ephemeral
    assert reply.content == trust.export_text(1)
    assert [f["filename"] for f in reply.files] == ["closer-export.json"]
    exported = json.loads(reply.files[0]["data"])
    assert exported["format"]["user_id"] == str(ada.id)

    snap = await snapshot(bot.db)
    covered: set[str] = set()
    for column in USER_ID_COLUMNS:
        mine = [r for r in snap[column.table] if r[column.column] == ada.id]
        out = [_cells(r) for r in exported["tables"][column.table]]
        for row in mine:
            expected = _cells(row)
            if column.table == "deliveries":
                expected.pop("payload")  # payloads can quote partners; documented as excluded
            assert any(expected.items() <= e.items() for e in out), (column, expected)
        if mine:
            covered.add(column.table)
    # Every table that can hold a user id had rows for Ada, so each was really round-tripped.
    assert covered == {c.table for c in USER_ID_COLUMNS}
    # Pairs are exported with their members and muted topics; her own answer, not Sam's.
    pair = exported["tables"]["pairs"][0]
    assert str(ada.id) in pair["member_ids"] and pair["muted_topics"] == ["humor"]
    texts = [a["text"] for a in exported["tables"]["answers"]]
    assert texts == [ADA_WORDS]
    assert SAM_WORDS not in reply.files[0]["data"].decode()


async def test_export_for_someone_closer_never_met_is_empty_and_changes_nothing(
    harness: Harness, bot: CloserBot
) -> None:
    stranger = harness.member("Stranger")
    before = await snapshot(bot.db)
    reply = await (await stranger.slash("closer export")).reply()
    assert reply.ephemeral and reply.content == trust.export_text(0)
    data = json.loads(reply.files[0]["data"])
    assert all(rows == [] for rows in data["tables"].values())
    assert await snapshot(bot.db) == before


async def test_forget_leaves_no_trace_in_any_table_and_tells_the_partner_kindly(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, kit = await lived_in(harness)
    assert traces(await snapshot(bot.db), ada.id, [ADA_WORDS])  # the scan can find her
    sam.unread(), kit.unread()

    ask = await (await ada.slash("closer forget")).reply()
    assert ask.ephemeral and ask.content == trust.FORGET_ASK
    # Asking changes nothing; only the button does.
    assert traces(await snapshot(bot.db), ada.id, [ADA_WORDS])
    done = await (await ada.click(ask, "Delete everything")).reply()
    assert done.content == trust.FORGET_DONE
    assert done.components == []

    await harness.tick()
    snap = await snapshot(bot.db)
    assert traces(snap, ada.id, [ADA_WORDS]) == []
    # Sam's DM channel has had a busy minute; the notice may wait out a rate-limit bucket.
    told = await sam.next_dm(timeout=10)
    assert told.content == trust.partner_left_message(circle=False)["content"]
    assert "Adalind" not in told.text
    await sam.no_dm()
    status = await (await sam.slash("pair status")).reply()
    assert "not in a pair here yet" in status.text
    # Sam's own words stay his; where Ada's answer was, his history says it was removed.
    assert any(r["text"] == SAM_WORDS for r in snap["answers"])
    history = await (await sam.slash("closer history")).reply()
    assert SAM_WORDS in history.text and ADA_WORDS not in history.text
    assert "an answer that was removed" in history.text


async def test_forget_cancel_and_someone_else_s_button_change_nothing(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, _ = await lived_in(harness)
    ask = await (await ada.slash("closer forget")).reply()
    before = await snapshot(bot.db)
    stolen = await (await sam.click(ask, "Delete everything")).reply()
    assert stolen.text == "This button was sent to someone else, so it can't act for you."
    cancelled = await (await ada.click(ask, "Cancel")).reply()
    assert cancelled.content == "Okay, nothing changed."
    assert await snapshot(bot.db) == before


async def test_resources_point_to_therapy_and_say_closer_is_not_a_crisis_service(
    harness: Harness, bot: CloserBot
) -> None:
    ada = harness.member("Ada")
    reply = await (await ada.slash("closer resources")).reply()
    assert reply.ephemeral
    text = reply.text
    assert "InnoPsych" in text and "therapists of color" in text
    assert "Open Path Psychotherapy Collective" in text and "low-cost" in text
    assert "not a therapist and not a crisis service" in text
    assert "local emergency services" in text
    # Not only the US: a worldwide crisis-line directory and a multi-country therapist directory.
    assert "https://findahelpline.com" in text and "worldwide" in text
    assert "https://www.psychologytoday.com" in text and "many countries" in text
