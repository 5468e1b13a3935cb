"""Export, forget and server purge against a real SQLite file seeded with a realistic dataset."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.storage.db import Database
from bot.storage.privacy import (
    EXPORT_FORMAT,
    NON_USER_ID_COLUMNS,
    USER_ID_COLUMNS,
    export_user,
    forget_user,
    id_columns_in_schema,
    purge_guild,
    user_id_columns_in_schema,
)
from bot.storage.timecodec import to_db

# Ids chosen so no other number in the dataset contains ALICE's digits.
ALICE = 311111111111111111  # the member who exports and then asks to be forgotten
BOB = 422222222222222222  # Alice's partner, and in a circle group with her
CARA = 533333333333333333  # in the circle trio with Alice and Bob
DAN = 644444444444444444  # only in server B, plus a paused pair with Alice there
GUILD_A = 900000000000000001
GUILD_B = 900000000000000002
ANNOUNCE_A = 700000000000000001
ANNOUNCE_B = 700000000000000002

# Answer texts, with quotes and non-ASCII so JSON escaping cannot hide a copy from the scans.
ALICE_COUPLE = 'I felt seen when you made "soup" on Tuesday — merci.'
ALICE_CIRCLE = "A walk by the river with my sister."
BOB_COUPLE = "Your laugh at breakfast, every single time."
BOB_B_SIDE = "Learning the cello badly and loving it."
CARA_CIRCLE = "Baking bread at 2 a.m. with the radio on."

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def t(hours: int) -> str:
    return to_db(T0 + timedelta(hours=hours))


SEED: list[tuple[str, tuple[Any, ...]]] = [
    ("INSERT INTO guilds VALUES (?, ?, ?, NULL, NULL)", (GUILD_A, ANNOUNCE_A, t(0))),
    ("INSERT INTO guilds VALUES (?, ?, ?, NULL, NULL)", (GUILD_B, ANNOUNCE_B, t(0))),
    *[
        (
            "INSERT INTO members (user_id, display_name, timezone, quiet_start, quiet_end, "
            "dm_channel_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (uid, name, tz, qs, qe, dm, t(0), t(1)),
        )
        for uid, name, tz, qs, qe, dm in [
            (ALICE, "Alice", "Europe/Paris", "22:00", "07:30", 800000000000000001),
            (BOB, "Bob", "America/Toronto", None, None, 800000000000000002),
            (CARA, "Cara", None, None, None, 800000000000000003),
            (DAN, "Dan", "Asia/Tokyo", None, None, None),
        ]
    ],
    # Server A: Alice and Bob, a couple; a circle Alice created with a trio group.
    (
        "INSERT INTO pairs (id, guild_id, kind, local_time, cadence, anchor_date, depth, status, "
        "seed, created_at) VALUES (1, ?, 'couple', '20:00', 'daily', '2025-03-03', 'medium', "
        "'active', 7, ?)",
        (GUILD_A, t(2)),
    ),
    ("INSERT INTO pair_members (pair_id, user_id, pace) VALUES (1, ?, 'normal')", (ALICE,)),
    ("INSERT INTO pair_members (pair_id, user_id, pace) VALUES (1, ?, 'weekly')", (BOB,)),
    ("INSERT INTO pair_muted_topics VALUES (1, 'humor')", ()),
    (
        "INSERT INTO invites (id, guild_id, inviter_id, invitee_id, local_time, cadence, status, "
        "created_at, expires_at, decided_at, pair_id) "
        "VALUES (1, ?, ?, ?, '20:00', 'daily', 'accepted', ?, ?, ?, 1)",
        (GUILD_A, ALICE, BOB, t(1), t(49), t(2)),
    ),
    (
        "INSERT INTO invites (id, guild_id, inviter_id, invitee_id, local_time, cadence, status, "
        "created_at, expires_at, decided_at) "
        "VALUES (2, ?, ?, ?, '08:00', 'weekly', 'declined', ?, ?, ?)",
        (GUILD_A, CARA, ALICE, t(3), t(51), t(4)),
    ),
    (
        "INSERT INTO depth_votes (pair_id, user_id, depth, created_at) VALUES (1, ?, 'medium', ?)",
        (ALICE, t(20)),
    ),
    (
        "INSERT INTO depth_votes (pair_id, user_id, depth, created_at) VALUES (1, ?, 'medium', ?)",
        (BOB, t(21)),
    ),
    # Alice asked to pair with Bob as friends rather than partners; Bob hasn't answered yet.
    (
        "UPDATE pairs SET proposed_relationship = 'friends', proposed_by = ? WHERE id = 1",
        (ALICE,),
    ),
    (
        "INSERT INTO challenges (id, guild_id, pair_id, theme_id, started_by, starts_on, status, "
        "created_at) VALUES (1, ?, 1, 'unplugged-week', ?, '2025-03-08', 'active', ?)",
        (GUILD_A, ALICE, t(100)),
    ),
    (
        "INSERT INTO prompt_instances (id, pair_id, prompt_id, category, kind, slot_key, status, "
        "created_at, closed_at) VALUES (1, 1, 'gratitude-003', 'gratitude', 'question', "
        "'2025-03-04', 'revealed', ?, ?)",
        (t(35), t(40)),
    ),
    (
        "INSERT INTO prompt_instances (id, pair_id, prompt_id, category, kind, slot_key, "
        "challenge_id, challenge_day, status, created_at) VALUES (2, 1, 'tech-free-011', "
        "'tech_free', 'activity', '2025-03-08', 1, 1, 'open', ?)",
        (t(131),),
    ),
    ("INSERT INTO instance_members VALUES (1, ?, 'answered', NULL, NULL, ?)", (ALICE, t(36))),
    ("INSERT INTO instance_members VALUES (1, ?, 'answered', ?, NULL, ?)", (BOB, t(38), t(39))),
    ("INSERT INTO instance_members VALUES (2, ?, 'open', NULL, ?, ?)", (ALICE, t(132), t(132))),
    ("INSERT INTO instance_members VALUES (2, ?, 'open', NULL, NULL, ?)", (BOB, t(131))),
    (
        "INSERT INTO answers (id, instance_id, user_id, text, feeling, created_at, updated_at) "
        "VALUES (1, 1, ?, ?, 'grateful', ?, ?)",
        (ALICE, ALICE_COUPLE, t(36), t(37)),
    ),
    (
        "INSERT INTO answers (id, instance_id, user_id, text, feeling, created_at, updated_at) "
        "VALUES (2, 1, ?, ?, 'joyful', ?, ?)",
        (BOB, BOB_COUPLE, t(39), t(39)),
    ),
    ("INSERT INTO activity_timers VALUES (2, ?, ?)", (ALICE, t(133))),
    ("INSERT INTO activity_timers VALUES (2, ?, ?)", (BOB, t(134))),
    ("INSERT INTO schedules VALUES (1, ?, ?, '2025-03-09')", (ALICE, t(155))),
    ("INSERT INTO schedules VALUES (1, ?, ?, '2025-03-09')", (BOB, t(155))),
    (
        "INSERT INTO closeness_checkins (pair_id, user_id, guild_id, score, created_at, "
        "updated_at) VALUES (1, ?, ?, 6, ?, ?)",
        (ALICE, GUILD_A, t(156), t(156)),
    ),
    (
        "INSERT INTO closeness_checkins (pair_id, user_id, guild_id, score, created_at, "
        "updated_at) VALUES (1, ?, ?, 5, ?, ?)",
        (BOB, GUILD_A, t(157), t(157)),
    ),
    ("INSERT INTO closeness_optouts VALUES (?, ?)", (ALICE, t(158))),
    (
        "INSERT INTO circles (id, guild_id, name, name_key, cadence, weekday, local_time, "
        "timezone, anchor_date, seed, created_by, created_at) VALUES (1, ?, 'Book Nook', "
        "'book nook', 'weekly', 2, '19:00', 'Europe/Paris', '2025-03-05', 11, ?, ?)",
        (GUILD_A, ALICE, t(5)),
    ),
    *[
        ("INSERT INTO circle_members VALUES (1, ?, ?)", (uid, t(6 + i)))
        for i, uid in enumerate([ALICE, BOB, CARA])
    ],
    (
        "INSERT INTO circle_rounds (id, circle_id, round_no, due_at, status, formed_at, "
        "group_count) VALUES (1, 1, 1, ?, 'formed', ?, 1)",
        (t(58), t(58)),
    ),
    (
        "INSERT INTO pairs (id, guild_id, kind, circle_id, round_id, local_time, cadence, "
        "anchor_date, status, seed, created_at) VALUES (2, ?, 'circle', 1, 1, '19:00', 'weekly', "
        "'2025-03-05', 'active', 13, ?)",
        (GUILD_A, t(58)),
    ),
    *[
        ("INSERT INTO pair_members (pair_id, user_id) VALUES (2, ?)", (u,))
        for u in (ALICE, BOB, CARA)
    ],
    (
        "INSERT INTO prompt_instances (id, pair_id, prompt_id, category, kind, slot_key, status, "
        "created_at) VALUES (3, 2, 'curiosity-020', 'curiosity', 'question', '2025-03-05', "
        "'open', ?)",
        (t(58),),
    ),
    (
        "INSERT INTO answers (id, instance_id, user_id, text, created_at, updated_at) "
        "VALUES (3, 3, ?, ?, ?, ?)",
        (ALICE, ALICE_CIRCLE, t(60), t(60)),
    ),
    (
        "INSERT INTO answers (id, instance_id, user_id, text, created_at, updated_at) "
        "VALUES (4, 3, ?, ?, ?, ?)",
        (CARA, CARA_CIRCLE, t(61), t(61)),
    ),
    # Server B: Bob and Dan, a couple; Dan's circle with Bob; a paused pair of Alice and Dan.
    (
        "INSERT INTO pairs (id, guild_id, kind, local_time, cadence, anchor_date, status, seed, "
        "created_at) VALUES (3, ?, 'couple', '07:00', 'weekdays', '2025-03-03', 'active', 3, ?)",
        (GUILD_B, t(2)),
    ),
    ("INSERT INTO pair_members (pair_id, user_id) VALUES (3, ?)", (BOB,)),
    ("INSERT INTO pair_members (pair_id, user_id) VALUES (3, ?)", (DAN,)),
    (
        "INSERT INTO invites (id, guild_id, inviter_id, invitee_id, local_time, cadence, status, "
        "created_at, expires_at, decided_at, pair_id) "
        "VALUES (3, ?, ?, ?, '07:00', 'weekdays', 'accepted', ?, ?, ?, 3)",
        (GUILD_B, DAN, BOB, t(1), t(49), t(2)),
    ),
    (
        "INSERT INTO pairs (id, guild_id, kind, local_time, cadence, anchor_date, status, "
        "paused_until, paused_by, seed, created_at) VALUES (4, ?, 'couple', '21:00', 'weekly', "
        "'2025-03-03', 'paused', ?, ?, 5, ?)",
        (GUILD_B, t(300), ALICE, t(2)),
    ),
    ("INSERT INTO pair_members (pair_id, user_id) VALUES (4, ?)", (ALICE,)),
    ("INSERT INTO pair_members (pair_id, user_id) VALUES (4, ?)", (DAN,)),
    (
        "INSERT INTO invites (id, guild_id, inviter_id, invitee_id, local_time, cadence, status, "
        "created_at, expires_at) VALUES (4, ?, ?, ?, '21:00', 'weekly', 'pending', ?, ?)",
        (GUILD_B, ALICE, DAN, t(150), t(198)),
    ),
    ("INSERT INTO schedules VALUES (4, ?, ?, '2025-03-15')", (ALICE, t(300))),
    (
        "INSERT INTO closeness_checkins (pair_id, user_id, guild_id, score, created_at, "
        "updated_at) VALUES (3, ?, ?, 4, ?, ?)",
        (BOB, GUILD_B, t(159), t(159)),
    ),
    (
        "INSERT INTO prompt_instances (id, pair_id, prompt_id, category, kind, slot_key, status, "
        "created_at) VALUES (4, 3, 'new-things-002', 'new_things', 'question', '2025-03-04', "
        "'open', ?)",
        (t(22),),
    ),
    (
        "INSERT INTO answers (id, instance_id, user_id, text, created_at, updated_at) "
        "VALUES (5, 4, ?, ?, ?, ?)",
        (BOB, BOB_B_SIDE, t(23), t(23)),
    ),
    (
        "INSERT INTO circles (id, guild_id, name, name_key, cadence, weekday, local_time, "
        "timezone, anchor_date, seed, created_by, created_at) VALUES (2, ?, 'Night Owls', "
        "'night owls', 'biweekly', 4, '22:00', 'Asia/Tokyo', '2025-03-07', 17, ?, ?)",
        (GUILD_B, DAN, t(5)),
    ),
    ("INSERT INTO circle_members VALUES (2, ?, ?)", (DAN, t(5))),
    ("INSERT INTO circle_members VALUES (2, ?, ?)", (BOB, t(6))),
    (
        "INSERT INTO circle_rounds (id, circle_id, round_no, due_at) VALUES (2, 2, 1, ?)",
        (t(106),),
    ),
    (
        "INSERT INTO challenges (id, guild_id, pair_id, theme_id, started_by, starts_on, status, "
        "created_at) VALUES (2, ?, 3, 'gratitude-week', ?, '2025-03-05', 'active', ?)",
        (GUILD_B, DAN, t(50)),
    ),
]


def _delivery(
    did: int,
    user_id: int | None,
    kind: str,
    payload: dict[str, Any],
    *,
    pair_id: int | None,
    instance_id: int | None,
    status: str = "sent",
    message_id: int | None = None,
    channel_id: int | None = None,
) -> tuple[str, tuple[Any, ...]]:
    return (
        "INSERT INTO deliveries (id, dedupe_key, user_id, channel_id, pair_id, instance_id, kind, "
        "payload, due_at, stale_after, status, attempts, message_id, created_at, sent_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            did,
            f"{kind}:{pair_id}:{instance_id}:{did}",
            user_id,
            channel_id,
            pair_id,
            instance_id,
            kind,
            json.dumps(payload),  # ASCII-escaped, as json.dumps does by default
            t(35),
            t(38),
            status,
            1 if status == "sent" else 0,
            message_id,
            t(35),
            t(35) if status == "sent" else None,
        ),
    )


DELIVERIES = [
    # Alice's own: the prompt, and her reveal, whose payload holds Bob's answer.
    _delivery(
        1,
        ALICE,
        "prompt",
        {"prompt_id": "gratitude-003"},
        pair_id=1,
        instance_id=1,
        message_id=710000000000000001,
    ),
    _delivery(
        2,
        ALICE,
        "reveal",
        {"partner_id": str(BOB), "partner_answer": BOB_COUPLE},
        pair_id=1,
        instance_id=1,
        message_id=710000000000000002,
    ),
    # Bob's prompt: no trace of Alice, so it survives her forgetting.
    _delivery(
        3,
        BOB,
        "prompt",
        {"prompt_id": "gratitude-003"},
        pair_id=1,
        instance_id=1,
        message_id=710000000000000003,
    ),
    # Bob's pending reveal embeds Alice's answer and id: must not survive her forgetting.
    _delivery(
        4,
        BOB,
        "reveal",
        {"partner_id": ALICE, "partner_answer": ALICE_COUPLE, "partner_name": "Alice"},
        pair_id=1,
        instance_id=1,
        status="pending",
    ),
    # Dan's invite notice mentions Alice, tied to no pair.
    _delivery(
        5,
        DAN,
        "invite",
        {"text": f"<@{ALICE}> would like to try Closer with you."},
        pair_id=None,
        instance_id=None,
        status="pending",
    ),
    # Cara's circle prompt: innocent, stays.
    _delivery(6, CARA, "prompt", {"prompt_id": "curiosity-020"}, pair_id=2, instance_id=3),
    # Server B deliveries between Bob and Dan.
    _delivery(
        7,
        DAN,
        "reveal",
        {"partner_id": str(BOB), "partner_answer": BOB_B_SIDE},
        pair_id=3,
        instance_id=4,
        status="pending",
    ),
    _delivery(8, BOB, "prompt", {"prompt_id": "new-things-002"}, pair_id=3, instance_id=4),
    # Server-channel round notices (no recipient): A's names Alice, B's does not.
    _delivery(
        9,
        None,
        "round_notice",
        {"text": f"This week's group: <@{ALICE}>, <@{BOB}> and <@{CARA}>."},
        pair_id=None,
        instance_id=None,
        channel_id=ANNOUNCE_A,
    ),
    _delivery(
        10,
        None,
        "round_notice",
        {"text": "Night Owls has a new round next Friday."},
        pair_id=None,
        instance_id=None,
        channel_id=ANNOUNCE_B,
        status="pending",
    ),
]


async def seed(db: Database) -> None:
    async with db.transaction() as conn:
        for sql, params in [*SEED, *DELIVERIES]:
            await conn.execute(sql, params)
        # Who each row carries, as the outbox records it on insert (and migration 3 backfilled):
        # pair messages name the pair's other members; a reveal quotes them.
        await conn.execute(
            "INSERT OR IGNORE INTO delivery_people (delivery_id, user_id, role) "
            "SELECT d.id, pm.user_id, CASE WHEN d.kind = 'reveal' THEN 'author' ELSE 'named' END "
            "FROM deliveries AS d JOIN pair_members AS pm ON pm.pair_id = d.pair_id "
            "WHERE d.user_id IS NOT NULL AND pm.user_id != d.user_id"
        )
        # Rows tied to no pair name whom their text names (an invite, a channel notice).
        await conn.executemany(
            "INSERT INTO delivery_people (delivery_id, user_id, role) VALUES (?, ?, 'named')",
            [(5, ALICE), (9, ALICE), (9, BOB), (9, CARA)],
        )
        await conn.execute(
            "UPDATE deliveries SET guild_id = COALESCE("
            "(SELECT guild_id FROM pairs WHERE id = deliveries.pair_id), "
            "(SELECT guild_id FROM guilds WHERE announce_channel_id = deliveries.channel_id))"
        )


async def dangling_foreign_keys(db: Database) -> list[object]:
    # PostgreSQL checks every foreign key as it is written; SQLite can be asked afterwards.
    if db.engine == "postgresql":
        return []
    return list(await db.fetchall("PRAGMA foreign_key_check"))


@pytest.fixture
async def db(database: Database) -> AsyncIterator[Database]:
    await seed(database)
    yield database


async def snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for table in sorted(await db.table_names()):
        rows = await db.fetchall(f'SELECT * FROM "{table}"')  # noqa: S608 (names from sqlite)
        out[table] = sorted((dict(r) for r in rows), key=repr)
    return out


def text_forms(value: Any) -> list[str]:
    """A stored value as text, plus the decoded form of any JSON inside it."""
    if value is None:
        return []
    forms = [str(value)]
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            pass
        else:
            forms.append(json.dumps(decoded, ensure_ascii=False))
    return forms


def as_text(value: Any) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------------------------------------
# Schema coverage


async def test_every_user_id_column_in_the_schema_is_declared(db: Database) -> None:
    declared = {(c.table, c.column) for c in USER_ID_COLUMNS}
    found = await user_id_columns_in_schema(db)
    assert found <= declared, f"user columns missing from USER_ID_COLUMNS: {found - declared}"


async def test_every_id_column_is_classified_exactly_once(db: Database) -> None:
    declared = {(c.table, c.column) for c in USER_ID_COLUMNS}
    assert not declared & NON_USER_ID_COLUMNS
    assert await id_columns_in_schema(db) == declared | NON_USER_ID_COLUMNS


async def test_a_new_user_column_would_be_caught(db: Database) -> None:
    # What a future migration might add; the coverage test above would then fail.
    await db.execute(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, author_id INTEGER, edited_by INTEGER)"
    )
    declared = {(c.table, c.column) for c in USER_ID_COLUMNS}
    missing = await user_id_columns_in_schema(db) - declared
    assert missing == {("notes", "author_id"), ("notes", "edited_by")}


# ---------------------------------------------------------------------------------------------
# Export


async def test_export_is_self_describing_json(db: Database) -> None:
    export = await export_user(db, ALICE, now=NOW)
    json.dumps(export)  # serialisable as is
    assert export["format"] == {
        "format": EXPORT_FORMAT,
        "version": 1,
        "exported_at": to_db(NOW),
        "user_id": str(ALICE),
    }
    for table, rows in export["tables"].items():
        documented = export["fields"][table]
        assert all(isinstance(s, str) and s.endswith(".") for s in documented.values())
        for row in rows:
            assert set(row) <= set(documented), (table, set(row) - set(documented))


async def test_every_exported_column_of_the_schema_is_documented(db: Database) -> None:
    export = await export_user(db, 123, now=NOW)  # no rows: documentation must not depend on data
    for table in export["tables"]:
        columns = {c for t, c in await db.columns() if t == table}
        assert columns, table
        documented = set(export["fields"][table])
        assert columns - {"payload"} <= documented, (table, columns - documented)
        assert "payload" not in documented


async def test_export_contains_every_row_that_references_the_member(db: Database) -> None:
    export = await export_user(db, ALICE, now=NOW)
    tables = export["tables"]
    for column in USER_ID_COLUMNS:
        rows = await db.fetchall(
            f'SELECT * FROM "{column.table}" WHERE "{column.column}" = ?',  # noqa: S608
            (ALICE,),
        )
        assert rows, f"the seed has no row for {column}"
        exported = [{k: as_text(v) for k, v in r.items()} for r in tables[column.table]]
        for row in rows:
            expected = {k: as_text(row[k]) for k in row.keys() if k != "payload"}  # noqa: SIM118
            assert any(expected.items() <= e.items() for e in exported), (column, expected)


async def test_export_describes_pairs_instances_and_own_answers(db: Database) -> None:
    tables = (await export_user(db, ALICE, now=NOW))["tables"]
    pairs = {p["id"]: p for p in tables["pairs"]}
    assert set(pairs) == {1, 2, 4}
    assert pairs[1]["member_ids"] == sorted([str(ALICE), str(BOB)])
    assert pairs[1]["muted_topics"] == ["humor"]
    assert pairs[2]["member_ids"] == sorted([str(ALICE), str(BOB), str(CARA)])
    assert pairs[1]["guild_id"] == str(GUILD_A)  # snowflakes as strings
    assert {i["id"] for i in tables["prompt_instances"]} == {1, 2, 3}
    assert {a["text"] for a in tables["answers"]} == {ALICE_COUPLE, ALICE_CIRCLE}
    assert {d["id"] for d in tables["deliveries"]} == {1, 2}
    assert all("payload" not in d for d in tables["deliveries"])
    assert {c["id"] for c in tables["circles"]} == {1}
    assert {c["id"] for c in tables["challenges"]} == {1}
    assert [m["user_id"] for m in tables["members"]] == [str(ALICE)]


def strings_in(value: Any) -> list[str]:
    """Every string in a JSON-like value, keys included, unescaped."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings_in(k), *strings_in(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


async def test_export_never_contains_a_partner_s_words_or_profile(db: Database) -> None:
    strings = strings_in(await export_user(db, ALICE, now=NOW))
    for words in (BOB_COUPLE, CARA_CIRCLE, BOB_B_SIDE, "Bob", "Cara", "Dan"):
        assert not [s for s in strings if words in s], words
    assert ALICE_COUPLE in strings


async def test_export_of_an_unknown_member_is_empty(db: Database) -> None:
    export = await export_user(db, 123, now=NOW)
    assert all(rows == [] for rows in export["tables"].values())


# ---------------------------------------------------------------------------------------------
# Forget


async def test_forget_leaves_no_trace_of_the_member_anywhere(db: Database) -> None:
    await forget_user(db, ALICE, NOW)
    needles = [str(ALICE), ALICE_COUPLE, ALICE_CIRCLE]
    for table, rows in (await snapshot(db)).items():
        for row in rows:
            for column, value in row.items():
                assert value != ALICE, (table, column)
                for form in text_forms(value):
                    for needle in needles:
                        assert needle not in form, (table, column, row)
    assert await dangling_foreign_keys(db) == []


async def test_forget_keeps_partners_and_ends_the_pairs(db: Database) -> None:
    report = await forget_user(db, ALICE, NOW)
    ended = {p.pair_id: p.partner_ids for p in report.ended_pairs}
    assert ended == {1: (BOB,), 2: (BOB, CARA), 4: (DAN,)}
    assert {p.guild_id for p in report.ended_pairs} == {GUILD_A, GUILD_B}

    for pair_id in (1, 2, 4):
        row = await db.fetchone(
            "SELECT status, ended_at, paused_until FROM pairs WHERE id = ?", (pair_id,)
        )
        assert row is not None
        assert tuple(row) == ("ended", to_db(NOW), None)
    assert await db.fetchval("SELECT status FROM pairs WHERE id = 3") == "active"

    texts = {r[0] for r in await db.fetchall("SELECT text FROM answers")}
    assert texts == {BOB_COUPLE, CARA_CIRCLE, BOB_B_SIDE}
    members = await db.fetchall("SELECT pair_id, user_id FROM pair_members ORDER BY 1, 2")
    assert [tuple(m) for m in members] == [
        (1, BOB),
        (2, BOB),
        (2, CARA),
        (3, BOB),
        (3, DAN),
        (4, DAN),
    ]

    # The circle belongs to the server; the challenge stops with its pair, its starter cleared.
    circle = await db.fetchone("SELECT created_by, deleted_at FROM circles WHERE id = 1")
    assert circle is not None and tuple(circle) == (0, None)
    assert await db.fetchval("SELECT count(*) FROM circle_members WHERE circle_id = 1") == 2
    challenge = await db.fetchone(
        "SELECT started_by, status, ended_at FROM challenges WHERE id = 1"
    )
    assert challenge is not None and tuple(challenge) == (None, "stopped", to_db(NOW))
    assert await db.fetchval("SELECT started_by FROM challenges WHERE id = 2") == DAN

    # Outbox: Alice's rows and every row quoting or naming her are gone; Bob's and Cara's own
    # prompts stay for their history, emptied of the message that named her.
    remaining = {r[0] for r in await db.fetchall("SELECT id FROM deliveries")}
    assert remaining == {3, 6, 7, 8, 10}
    scrubbed = await db.fetchall("SELECT payload FROM deliveries WHERE id IN (3, 6)")
    assert [r[0] for r in scrubbed] == ["{}", "{}"]


async def test_forget_reports_counts_per_table(db: Database) -> None:
    report = await forget_user(db, ALICE, NOW)
    assert report.user_id == ALICE
    assert report.deleted == {
        "activity_timers": 1,
        "answers": 2,
        "instance_members": 2,
        "depth_votes": 1,
        "schedules": 2,
        # her two, plus Bob's reveal, Dan's invite notice and server A's round notice naming her
        "deliveries": 5,
        # the links from Bob's and Cara's emptied prompts to her name
        "delivery_people": 2,
        "pair_members": 3,
        "circle_members": 1,
        "invites": 3,
        "closeness_checkins": 1,
        "closeness_optouts": 1,
        "members": 1,
    }
    assert report.updated == {
        "pairs.status": 3,
        "challenges.status": 1,
        "circles.created_by": 1,
        "challenges.started_by": 1,
        "pairs.paused_by": 1,
        "deliveries.payload": 2,
        "pairs.proposed_by": 1,
    }
    assert report.total_deleted == 25


async def test_forget_is_idempotent(db: Database) -> None:
    await forget_user(db, ALICE, NOW)
    after_first = await snapshot(db)
    again = await forget_user(db, ALICE, NOW + timedelta(days=1))
    assert again.ended_pairs == ()
    assert again.deleted == {}
    assert again.updated == {}
    assert await snapshot(db) == after_first
    export = await export_user(db, ALICE, now=NOW)
    assert all(rows == [] for rows in export["tables"].values())


async def test_forget_touches_nothing_of_unrelated_people(db: Database) -> None:
    before = await snapshot(db)
    await forget_user(db, ALICE, NOW)
    after = await snapshot(db)
    # Server B's couple and everything hanging off it are untouched.
    for table, key in [("prompt_instances", "pair_id"), ("schedules", "pair_id")]:
        assert [r for r in before[table] if r[key] == 3] == [r for r in after[table] if r[key] == 3]
    assert [r for r in after["members"] if r["user_id"] != ALICE] == [
        r for r in before["members"] if r["user_id"] != ALICE
    ]


# ---------------------------------------------------------------------------------------------
# Purge a server

B_PAIRS = {3, 4}
B_INSTANCES = {4}
B_CIRCLES = {2}


B_DELIVERIES = {7, 8, 10}


def belongs_to_b(table: str, row: dict[str, Any]) -> bool:
    if row.get("guild_id") == GUILD_B:
        return True
    if table == "deliveries" and row["user_id"] is None and row["channel_id"] == ANNOUNCE_B:
        return True
    if table == "pairs":
        return row["id"] in B_PAIRS
    if table == "prompt_instances":
        return row["id"] in B_INSTANCES or row["pair_id"] in B_PAIRS
    if table == "circles":
        return row["id"] in B_CIRCLES
    if table == "delivery_people":
        return row["delivery_id"] in B_DELIVERIES
    return (
        row.get("pair_id") in B_PAIRS
        or row.get("instance_id") in B_INSTANCES
        or row.get("circle_id") in B_CIRCLES
    )


async def test_purge_guild_removes_that_server_and_nothing_else(db: Database) -> None:
    before = await snapshot(db)
    removed = await purge_guild(db, GUILD_B)
    after = await snapshot(db)

    expected = {
        table: [r for r in rows if not belongs_to_b(table, r)] for table, rows in before.items()
    }
    assert after == expected
    gone = sum(len(before[t]) - len(after[t]) for t in before)
    assert removed == gone > 0
    # Profiles are global and stay, Dan's included though he was only in server B.
    assert after["members"] == before["members"]
    assert await dangling_foreign_keys(db) == []
    assert await purge_guild(db, GUILD_B) == 0
