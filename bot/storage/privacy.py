"""Export and erasure of everything Closer stores about one person, and purging a server.

People tell Closer tender things, so two promises hold here and nowhere else:

* `/closer export` returns every row about the member, and nothing that is someone else's words.
* `/closer forget` leaves no row anywhere that holds their user id or their answer text.

Both depend on knowing every column that can hold a Discord user id. `USER_ID_COLUMNS` declares
them, together with what forgetting does to each; `user_id_columns_in_schema` reads the live schema
so a test fails the day a migration adds a user column this map does not cover. Every other
`*_id` column is declared in `NON_USER_ID_COLUMNS`, so a new id column must be classified on
purpose rather than slip past both lists.

Decisions, so the service layer and the docs can repeat them:

* Export includes a partner's user id where it is part of a shared thing (a pair's member list, an
  invite's other side, a circle's creator, a challenge on a shared pair), but never a partner's
  display name, answers, answer states, pace or deliveries: those are the partner's data.
* Delivery payloads are never exported. They are rendering inputs for DMs the member already
  received, and a reveal's payload embeds the partner's answer; the delivery kind, times and
  status are exported instead.
* Forgetting ends (status 'ended') every active or paused pair the member was in, because a pair
  or group with a hole in it cannot reveal; the partners keep their own rows and answers, and the
  report names them so they can be told kindly. Active challenges on those pairs are stopped.
* Circles the member created belong to the server and keep running; `created_by` becomes 0.
  Challenges they started keep their row with `started_by` NULL (one on a pair that forgetting
  ends is stopped along with it).
* Any outbox row for someone else, or for a server channel, whose payload, dedupe key or error
  mentions the member's id or contains one of their answers (a reveal to the partner, a round
  notice naming them) is deleted outright, sent or not: scrubbing JSON whose shape this module
  does not own could leave half a sentence behind, and a sent row is only history.
* Purging a server deletes its guild row and everything hanging off its pairs, circles, invites
  and challenges. Member profiles are global (time zone and quiet hours are about the person), so
  they stay even if the person belongs to no other server; `/closer forget` removes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.storage import closeness as closeness_store
from bot.storage.db import Database, Params, Tx
from bot.storage.timecodec import to_db

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "NON_USER_ID_COLUMNS",
    "USER_ID_COLUMNS",
    "EndedPair",
    "ForgetReport",
    "OnForget",
    "UserIdColumn",
    "export_user",
    "forget_user",
    "id_columns_in_schema",
    "purge_guild",
    "user_id_columns_in_schema",
]

EXPORT_FORMAT = "closer-export"
EXPORT_VERSION = 1


class OnForget(StrEnum):
    """What `forget_user` does to a row whose column holds the forgotten member's id."""

    DELETE_ROW = "delete_row"
    # For NOT NULL owner columns of things that belong to the server, not the person.
    SET_ZERO = "set_zero"
    SET_NULL = "set_null"


@dataclass(frozen=True, slots=True)
class UserIdColumn:
    table: str
    column: str
    on_forget: OnForget


# Every column that holds a Discord user id, in the order `forget_user` visits them: children
# before parents, and `members` last, so no ON DELETE CASCADE does work we did not ask for.
USER_ID_COLUMNS: tuple[UserIdColumn, ...] = (
    UserIdColumn("activity_timers", "user_id", OnForget.DELETE_ROW),
    UserIdColumn("answers", "user_id", OnForget.DELETE_ROW),
    UserIdColumn("instance_members", "user_id", OnForget.DELETE_ROW),
    UserIdColumn("depth_votes", "user_id", OnForget.DELETE_ROW),
    UserIdColumn("schedules", "user_id", OnForget.DELETE_ROW),
    UserIdColumn("deliveries", "user_id", OnForget.DELETE_ROW),
    UserIdColumn("pair_members", "user_id", OnForget.DELETE_ROW),
    UserIdColumn("circle_members", "user_id", OnForget.DELETE_ROW),
    UserIdColumn("invites", "inviter_id", OnForget.DELETE_ROW),
    UserIdColumn("invites", "invitee_id", OnForget.DELETE_ROW),
    UserIdColumn("circles", "created_by", OnForget.SET_ZERO),
    UserIdColumn("challenges", "started_by", OnForget.SET_NULL),
    UserIdColumn("pairs", "paused_by", OnForget.SET_NULL),
    UserIdColumn("delivery_people", "user_id", OnForget.DELETE_ROW),
    UserIdColumn("closeness_checkins", "user_id", OnForget.DELETE_ROW),
    UserIdColumn("closeness_optouts", "user_id", OnForget.DELETE_ROW),
    UserIdColumn("pairs", "proposed_by", OnForget.SET_NULL),
    UserIdColumn("members", "user_id", OnForget.DELETE_ROW),
)

# Every other id-like column, classified on purpose: none of these can hold a user id.
NON_USER_ID_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {
        ("guilds", "guild_id"),
        ("guilds", "announce_channel_id"),
        ("members", "dm_channel_id"),
        ("invites", "guild_id"),
        ("invites", "pair_id"),
        ("circles", "guild_id"),
        ("circle_members", "circle_id"),
        ("circle_rounds", "circle_id"),
        ("pairs", "guild_id"),
        ("pairs", "circle_id"),
        ("pairs", "round_id"),
        ("pair_members", "pair_id"),
        ("pair_muted_topics", "pair_id"),
        ("depth_votes", "pair_id"),
        ("challenges", "guild_id"),
        ("challenges", "pair_id"),
        ("challenges", "circle_id"),
        ("challenges", "theme_id"),
        ("prompt_instances", "pair_id"),
        ("prompt_instances", "prompt_id"),
        ("prompt_instances", "challenge_id"),
        ("instance_members", "instance_id"),
        ("answers", "instance_id"),
        ("deliveries", "pair_id"),
        ("deliveries", "instance_id"),
        ("deliveries", "message_id"),
        ("deliveries", "channel_id"),
        ("deliveries", "guild_id"),
        ("delivery_people", "delivery_id"),
        ("delivery_leases", "delivery_id"),
        ("schedules", "pair_id"),
        ("activity_timers", "instance_id"),
        ("closeness_checkins", "pair_id"),
        ("closeness_checkins", "guild_id"),
    }
)

# Words that, before `_id`, name a person by this schema's conventions (`inviter_id`, ...).
_PERSON_WORDS = frozenset(
    {
        "user",
        "member",
        "inviter",
        "invitee",
        "author",
        "owner",
        "partner",
        "creator",
        "sender",
        "recipient",
        "target",
        "actor",
        "voter",
        "requester",
        "reporter",
        "moderator",
        "admin",
    }
)

# Discord snowflakes exceed JavaScript's safe integers, so the export writes them as strings.
_SNOWFLAKE_COLUMNS = frozenset(
    {c.column for c in USER_ID_COLUMNS}
    | {"guild_id", "announce_channel_id", "dm_channel_id", "channel_id", "message_id"}
)

# The ids in the JSON list bound as :pairs (one parameter, however many pairs).
_THEIR_PAIRS = "(SELECT CAST(value AS INTEGER) FROM json_each(:pairs))"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def _is_user_column_by_name(column: str) -> bool:
    name = column.lower()
    if name == "user_id" or name.endswith("_user_id") or name.endswith("_by"):
        return True
    return name.endswith("_id") and name[: -len("_id")] in _PERSON_WORDS


async def user_id_columns_in_schema(db: Database) -> set[tuple[str, str]]:
    """(table, column) pairs of the live schema that hold user ids by naming convention."""
    return {(t, c) for t, c in await db.columns() if _is_user_column_by_name(c)}


async def id_columns_in_schema(db: Database) -> set[tuple[str, str]]:
    """Every `*_id` and `*_by` column of the live schema; each must be classified above."""
    return {
        (t, c)
        for t, c in await db.columns()
        if c.lower().endswith("_id") or c.lower().endswith("_by")
    }


# --------------------------------------------------------------------------------------------
# Export

# One short sentence per exported field, shipped inside every export so the file explains itself.
_FIELDS: dict[str, dict[str, str]] = {
    "members": {
        "user_id": "Your Discord user id.",
        "display_name": "The name Closer last saw for you.",
        "timezone": "Your time zone; empty means the server default.",
        "quiet_start": "Start of your quiet hours, local HH:MM; empty means none.",
        "quiet_end": "End of your quiet hours, local HH:MM.",
        "dm_channel_id": "The id of your DM channel with Closer, cached to send prompts.",
        "unreachable_since": "When Closer found your DMs closed; empty means reachable.",
        "created_at": "When Closer first saw you (UTC).",
        "updated_at": "When your profile last changed (UTC).",
    },
    "invites": {
        "id": "The invite's number.",
        "guild_id": "The server the invite was sent in.",
        "inviter_id": "Who sent the invite.",
        "invitee_id": "Who was invited.",
        "local_time": "The proposed prompt time, local HH:MM.",
        "cadence": "The proposed prompt rhythm.",
        "status": "Whether it is pending, accepted, declined, expired or cancelled.",
        "created_at": "When it was sent (UTC).",
        "expires_at": "When it would expire (UTC).",
        "decided_at": "When it was answered or cancelled (UTC).",
        "pair_id": "The pair it created, if accepted.",
        "relationship": "What the invite asked to pair as: partners, friends or family.",
    },
    "circles": {
        "id": "The circle's number.",
        "guild_id": "The server the circle lives in.",
        "name": "The circle's name.",
        "name_key": "The name in lower case, used for lookups.",
        "cadence": "How often the circle forms new groups.",
        "weekday": "The weekday groups form on, Monday = 0.",
        "local_time": "The time groups form, local HH:MM.",
        "timezone": "The time zone of local_time.",
        "anchor_date": "The first date the rhythm counts from.",
        "seed": "A random number that makes group shuffles repeatable.",
        "created_by": "Who created the circle (0 once its creator asked to be forgotten).",
        "created_at": "When it was created (UTC).",
        "deleted_at": "When it was deleted (UTC), if it was.",
    },
    "circle_members": {
        "circle_id": "A circle you joined.",
        "user_id": "Your Discord user id.",
        "joined_at": "When you joined (UTC).",
    },
    "pairs": {
        "id": "The pair's or group's number.",
        "guild_id": "The server it was formed in.",
        "kind": "'couple' for a pair you chose, 'circle' for a group a circle formed.",
        "circle_id": "The circle that formed it, for circle groups.",
        "round_id": "The circle round that formed it, for circle groups.",
        "local_time": "The time prompts arrive, local HH:MM.",
        "cadence": "How often prompts arrive.",
        "anchor_date": "The first date the rhythm counts from.",
        "depth": "How deep the prompts go: light, medium or deep.",
        "status": "Whether it is active, paused or ended.",
        "paused_until": "When a pause ends (UTC), if paused.",
        "paused_by": "Who asked for the pause (a user id), if paused.",
        "seed": "A random number that makes prompt order repeatable.",
        "created_at": "When it was formed (UTC).",
        "ended_at": "When it ended (UTC), if it did.",
        "relationship": "What you are to each other: partners, friends, family or circle.",
        "proposed_relationship": "A change of relationship waiting for a yes, if any.",
        "proposed_by": "Who proposed that change (a user id), if any.",
        "member_ids": "The user ids of everyone in it, you included.",
        "muted_topics": "Prompt categories the pair chose not to receive.",
    },
    "pair_members": {
        "pair_id": "A pair or group you are in.",
        "user_id": "Your Discord user id.",
        "pace": "Your pace in it: normal, weekly, or held until you choose.",
        "pace_asked_at": "When Closer last asked how you'd like your prompts (UTC), if it did.",
        "pace_changed_at": "When your pace in it last changed (UTC), if it did.",
    },
    "depth_votes": {
        "pair_id": "The pair you voted in.",
        "user_id": "Your Discord user id.",
        "depth": "The depth you were offered.",
        "created_at": "When you answered (UTC).",
        "answer": "'yes', or 'not_yet' if you'd rather wait (the offer returns later).",
    },
    "challenges": {
        "id": "The challenge's number.",
        "guild_id": "The server it ran in.",
        "pair_id": "The pair doing it.",
        "circle_id": "The circle doing it.",
        "theme_id": "Which themed week it is.",
        "started_by": "Who started it (empty once that person asked to be forgotten).",
        "starts_on": "The local date of day 1.",
        "status": "Whether it is active, stopped or done.",
        "created_at": "When it was started (UTC).",
        "ended_at": "When it stopped or finished (UTC).",
    },
    "prompt_instances": {
        "id": "The prompt instance's number.",
        "pair_id": "The pair it was given to.",
        "prompt_id": "Which prompt from Closer's library it was.",
        "category": "The prompt's category.",
        "kind": "question, activity or reflection.",
        "slot_key": "The schedule date it was for, or 'now:<n>' for /prompt now.",
        "challenge_id": "The challenge it was part of, if any.",
        "challenge_day": "The challenge day it was, if any.",
        "status": "Whether it is open, revealed, closed or skipped.",
        "created_at": "When it was given (UTC).",
        "closed_at": "When it closed (UTC).",
        "text": "For a check-in after an activity: the question asked, if not the prompt's own.",
    },
    "instance_members": {
        "instance_id": "The prompt instance.",
        "user_id": "Your Discord user id.",
        "state": "Your side of it: open, answered, skipped, done or not_this_time.",
        "nudged_at": "When Closer sent you a gentle reminder (UTC), if it did.",
        "later_at": "When you asked to be reminded later (UTC), if you did.",
        "updated_at": "When your side last changed (UTC).",
    },
    "answers": {
        "id": "The answer's number.",
        "instance_id": "The prompt instance you answered.",
        "user_id": "Your Discord user id.",
        "text": "What you wrote.",
        "feeling": "The feeling you picked, if any.",
        "shared": "For reflections: 1 if you chose to share it, else 0.",
        "guess": "For guessing prompts: what you guessed your partner would answer.",
        "why": "For this-or-that prompts: the reason you gave for your pick, if any.",
        "created_at": "When you first answered (UTC).",
        "updated_at": "When you last edited it (UTC).",
    },
    "deliveries": {
        "id": "The message's number in Closer's outbox.",
        "dedupe_key": "The key that stops Closer sending the same message twice.",
        "user_id": "Your Discord user id (the recipient).",
        "channel_id": "The channel it went to, for messages not sent as a DM.",
        "pair_id": "The pair it was about, if any.",
        "instance_id": "The prompt instance it was about, if any.",
        "kind": "What sort of message it was.",
        "due_at": "When it was due (UTC).",
        "stale_after": "After this time it was no longer worth sending, so it was skipped (UTC).",
        "status": "Whether it is pending, sent, failed or skipped.",
        "attempts": "How many times Closer tried to send it.",
        "message_id": "The Discord message id once sent.",
        "last_error": "The last sending error, if any.",
        "created_at": "When it was queued (UTC).",
        "sent_at": "When it was sent (UTC).",
        "guild_id": "The server it belonged to.",
    },
    "delivery_people": {
        "delivery_id": "A message to someone else in your pair that named you or quoted you.",
        "user_id": "Your Discord user id.",
        "role": "'author' if it quoted your answer, 'named' if it named you.",
    },
    "schedules": {
        "pair_id": "The pair this schedule is for.",
        "user_id": "Your Discord user id.",
        "next_due_at": "When your next prompt for that pair is due (UTC).",
        "next_day": "The local date that next prompt belongs to.",
    },
    "activity_timers": {
        "instance_id": "The timed activity.",
        "user_id": "Your Discord user id.",
        "pressed_at": "When you pressed Start (UTC).",
    },
    **closeness_store.EXPORT_FIELDS,
}

_NOTES = (
    "Times are UTC, ISO 8601. Discord ids are strings; Closer's own row numbers are integers.",
    "Other people appear only as user ids, where they share something with you: a pair's member "
    "list, an invite, a circle's creator, a challenge on your pair.",
    "Your partners' answers, names and per-person states are theirs, so they are not included.",
    "Message payloads are not included: they can contain a partner's revealed answer. "
    "Each message's kind, times and status are.",
)


def _plain(row: Mapping[str, Any], *, drop: Iterable[str] = ()) -> dict[str, Any]:
    dropped = set(drop)
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in dropped:
            continue
        out[key] = str(value) if key in _SNOWFLAKE_COLUMNS and value is not None else value
    return out


async def _rows(conn: Tx, sql: str, params: Params) -> list[dict[str, Any]]:
    # A row has keys() and [], so dict() maps column names to values.
    return [dict(row) for row in await conn.fetchall(sql, params)]


async def _table(
    conn: Tx, sql: str, params: Params, *, drop: Iterable[str] = ()
) -> list[dict[str, Any]]:
    return [_plain(r, drop=drop) for r in await _rows(conn, sql, params)]


async def _their_pair_ids(conn: Tx, user_id: int) -> list[int]:
    """Pairs they are in, or answered in: a pair they have left still holds their words."""
    rows = await _rows(
        conn,
        "SELECT pair_id FROM pair_members WHERE user_id = :uid "
        "UNION SELECT pi.pair_id FROM prompt_instances AS pi "
        "JOIN answers AS a ON a.instance_id = pi.id WHERE a.user_id = :uid "
        "ORDER BY 1",
        {"uid": user_id},
    )
    return [int(r["pair_id"]) for r in rows]


async def export_user(db: Database, user_id: int, *, now: datetime | None = None) -> dict[str, Any]:
    """Every row about `user_id`, grouped by table, as a self-describing JSON-ready dict."""
    exported_at = now if now is not None else datetime.now(UTC)
    p = {"uid": user_id}
    tables: dict[str, list[dict[str, Any]]] = {}
    # Read inside one transaction so the export is a single consistent snapshot (an answer never
    # appears without its prompt instance). Exports are rare and take milliseconds.
    async with db.transaction() as conn:
        tables["members"] = await _table(conn, "SELECT * FROM members WHERE user_id = :uid", p)
        tables["invites"] = await _table(
            conn,
            "SELECT * FROM invites WHERE inviter_id = :uid OR invitee_id = :uid ORDER BY id",
            p,
        )
        tables["circles"] = await _table(
            conn,
            "SELECT * FROM circles WHERE created_by = :uid "
            "OR id IN (SELECT circle_id FROM circle_members WHERE user_id = :uid) ORDER BY id",
            p,
        )
        tables["circle_members"] = await _table(
            conn, "SELECT * FROM circle_members WHERE user_id = :uid ORDER BY circle_id", p
        )
        # Their pairs, bound as one JSON array parameter so every query below stays literal SQL.
        pp = {"uid": user_id, "pairs": json.dumps(await _their_pair_ids(conn, user_id))}
        pairs = await _rows(
            conn,
            f"SELECT * FROM pairs WHERE id IN {_THEIR_PAIRS} ORDER BY id",
            pp,
        )
        members = await _rows(
            conn,
            "SELECT pair_id, user_id FROM pair_members "
            f"WHERE pair_id IN {_THEIR_PAIRS} ORDER BY pair_id, user_id",
            pp,
        )
        muted = await _rows(
            conn,
            "SELECT pair_id, category FROM pair_muted_topics "
            f"WHERE pair_id IN {_THEIR_PAIRS} ORDER BY pair_id, category",
            pp,
        )
        tables["pairs"] = []
        for pair in pairs:
            row = _plain(pair)
            row["member_ids"] = [str(m["user_id"]) for m in members if m["pair_id"] == pair["id"]]
            row["muted_topics"] = [m["category"] for m in muted if m["pair_id"] == pair["id"]]
            tables["pairs"].append(row)
        tables["pair_members"] = await _table(
            conn, "SELECT * FROM pair_members WHERE user_id = :uid ORDER BY pair_id", p
        )
        tables["depth_votes"] = await _table(
            conn, "SELECT * FROM depth_votes WHERE user_id = :uid ORDER BY pair_id, created_at", p
        )
        tables["challenges"] = await _table(
            conn,
            "SELECT * FROM challenges WHERE started_by = :uid "
            f"OR pair_id IN {_THEIR_PAIRS} ORDER BY id",
            pp,
        )
        tables["prompt_instances"] = await _table(
            conn, f"SELECT * FROM prompt_instances WHERE pair_id IN {_THEIR_PAIRS} ORDER BY id", pp
        )
        tables["instance_members"] = await _table(
            conn, "SELECT * FROM instance_members WHERE user_id = :uid ORDER BY instance_id", p
        )
        # Only their own answers: a partner's revealed answer is the partner's words.
        tables["answers"] = await _table(
            conn, "SELECT * FROM answers WHERE user_id = :uid ORDER BY id", p
        )
        tables["deliveries"] = await _table(
            conn, "SELECT * FROM deliveries WHERE user_id = :uid ORDER BY id", p, drop=("payload",)
        )
        # Messages to others that quote or name them: which ones, never what they said.
        tables["delivery_people"] = await _table(
            conn, "SELECT * FROM delivery_people WHERE user_id = :uid ORDER BY delivery_id", p
        )
        tables["schedules"] = await _table(
            conn, "SELECT * FROM schedules WHERE user_id = :uid ORDER BY pair_id", p
        )
        tables["activity_timers"] = await _table(
            conn, "SELECT * FROM activity_timers WHERE user_id = :uid ORDER BY instance_id", p
        )
        for table, rows in (await closeness_store.export_tables(conn, user_id)).items():
            tables[table] = [_plain(r) for r in rows]
    return {
        "format": {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": to_db(exported_at),
            "user_id": str(user_id),
        },
        "notes": list(_NOTES),
        "fields": {table: dict(fields) for table, fields in _FIELDS.items()},
        "tables": tables,
    }


# --------------------------------------------------------------------------------------------
# Forget


@dataclass(frozen=True, slots=True)
class EndedPair:
    """A pair or group that ended because a member asked to be forgotten."""

    pair_id: int
    guild_id: int
    kind: str
    partner_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ForgetReport:
    user_id: int
    ended_pairs: tuple[EndedPair, ...] = ()
    # Rows deleted per table, the member's own and (under "deliveries") others' that quoted them.
    deleted: dict[str, int] = field(default_factory=dict)
    # Rows kept but changed, per "table.column" so a row changed twice is not counted as two:
    # "pairs.status" (ended), "challenges.status" (stopped), "circles.created_by" (set to 0),
    # "challenges.started_by" (cleared).
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def total_deleted(self) -> int:
        return sum(self.deleted.values())


async def _execute(conn: Tx, sql: str, params: Params) -> int:
    cur = await conn.execute(sql, params)
    return max(cur.rowcount, 0)


def _forget_sql(column: UserIdColumn) -> str:
    # Identifiers come only from the constant map above; checked anyway, since SQL cannot bind
    # a table name as a parameter.
    if not (_IDENTIFIER.fullmatch(column.table) and _IDENTIFIER.fullmatch(column.column)):
        raise ValueError(f"not a plain identifier: {column}")
    t, c = column.table, column.column
    if column.on_forget is OnForget.DELETE_ROW:
        return f'DELETE FROM "{t}" WHERE "{c}" = ?'
    if column.on_forget is OnForget.SET_ZERO:
        return f'UPDATE "{t}" SET "{c}" = 0 WHERE "{c}" = ?'
    return f'UPDATE "{t}" SET "{c}" = NULL WHERE "{c}" = ?'


async def forget_user_in(conn: Tx, user_id: int, now: datetime) -> ForgetReport:
    """Erase every row about `user_id` in every server, inside the caller's transaction (with
    whatever else the use case writes, such as the partners' notices). Idempotent."""
    stamp = to_db(now)
    deleted: dict[str, int] = {}
    updated: dict[str, int] = {}

    def bump(counts: dict[str, int], table: str, n: int) -> None:
        if n:
            counts[table] = counts.get(table, 0) + n

    # End the pairs and groups they were in, so nothing waits on a member who is gone.
    ended: list[EndedPair] = []
    live = await _rows(
        conn,
        "SELECT p.id, p.guild_id, p.kind FROM pairs AS p "
        "JOIN pair_members AS pm ON pm.pair_id = p.id "
        "WHERE pm.user_id = ? AND p.status IN ('active', 'paused') ORDER BY p.id",
        (user_id,),
    )
    for pair in live:
        bump(
            updated,
            "pairs.status",
            await _execute(
                conn,
                "UPDATE pairs SET status = 'ended', ended_at = ?, paused_until = NULL WHERE id = ?",
                (stamp, pair["id"]),
            ),
        )
        # A themed week cannot continue without the pair; stop it rather than leave it due.
        bump(
            updated,
            "challenges.status",
            await _execute(
                conn,
                "UPDATE challenges SET status = 'stopped', ended_at = ? "
                "WHERE pair_id = ? AND status = 'active'",
                (stamp, pair["id"]),
            ),
        )
        partners = await _rows(
            conn,
            "SELECT user_id FROM pair_members WHERE pair_id = ? AND user_id != ? ORDER BY user_id",
            (pair["id"], user_id),
        )
        ended.append(
            EndedPair(
                pair_id=int(pair["id"]),
                guild_id=int(pair["guild_id"]),
                kind=str(pair["kind"]),
                partner_ids=tuple(int(r["user_id"]) for r in partners),
            )
        )

    # Other people's outbox rows that carry their words or name them, found by structure
    # (each row records its authors and the people it names), never by matching text: a
    # partner's own messages that merely contain the same short words are left alone.
    # A partner's own sent prompt keeps its row (their history and replies point at it),
    # emptied of the message that named the member; every other such row is deleted.
    about = "id IN (SELECT delivery_id FROM delivery_people WHERE user_id = :uid)"
    bump(
        updated,
        "deliveries.payload",
        await _execute(
            conn,
            "UPDATE deliveries SET payload = '{}' WHERE user_id IS DISTINCT FROM :uid "
            f"AND kind IN ('prompt', 'later') AND status != 'pending' AND {about}",
            {"uid": user_id},
        ),
    )
    bump(
        deleted,
        "deliveries",
        await _execute(
            conn,
            "DELETE FROM deliveries WHERE user_id IS DISTINCT FROM :uid AND NOT "
            f"(kind IN ('prompt', 'later') AND status != 'pending') AND {about}",
            {"uid": user_id},
        ),
    )
    # Whatever is still queued for the pairs this ends would arrive after the pair is gone.
    if ended:
        bump(
            updated,
            "deliveries.status",
            await _execute(
                conn,
                "UPDATE deliveries SET status = 'skipped', last_error = 'pair ended' "
                f"WHERE status = 'pending' AND pair_id IN {_THEIR_PAIRS}",
                {"pairs": json.dumps([e.pair_id for e in ended])},
            ),
        )

    for column in USER_ID_COLUMNS:
        n = await _execute(conn, _forget_sql(column), (user_id,))
        if column.on_forget is OnForget.DELETE_ROW:
            bump(deleted, column.table, n)
        else:
            bump(updated, f"{column.table}.{column.column}", n)

    return ForgetReport(user_id=user_id, ended_pairs=tuple(ended), deleted=deleted, updated=updated)


async def forget_user(db: Database, user_id: int, now: datetime) -> ForgetReport:
    async with db.transaction() as conn:
        return await forget_user_in(conn, user_id, now)


# --------------------------------------------------------------------------------------------
# Purge a server

# Children before parents. Foreign-key cascades would reach most of these anyway; explicit
# deletes keep the order readable and the returned count honest (cascaded rows are not counted
# by SQLite's changes()).
_PURGE_STATEMENTS: tuple[str, ...] = (
    "DELETE FROM activity_timers WHERE instance_id IN (SELECT pi.id FROM prompt_instances AS pi "
    "JOIN pairs AS p ON p.id = pi.pair_id WHERE p.guild_id = :gid)",
    "DELETE FROM answers WHERE instance_id IN (SELECT pi.id FROM prompt_instances AS pi "
    "JOIN pairs AS p ON p.id = pi.pair_id WHERE p.guild_id = :gid)",
    "DELETE FROM instance_members WHERE instance_id IN (SELECT pi.id FROM prompt_instances AS pi "
    "JOIN pairs AS p ON p.id = pi.pair_id WHERE p.guild_id = :gid)",
    "DELETE FROM delivery_people WHERE delivery_id IN (SELECT id FROM deliveries WHERE "
    "guild_id = :gid OR pair_id IN (SELECT id FROM pairs WHERE guild_id = :gid))",
    "DELETE FROM deliveries WHERE guild_id = :gid "
    "OR pair_id IN (SELECT id FROM pairs WHERE guild_id = :gid) "
    "OR instance_id IN (SELECT pi.id FROM prompt_instances AS pi "
    "JOIN pairs AS p ON p.id = pi.pair_id WHERE p.guild_id = :gid)",
    # Server-channel posts (user_id NULL) tied to no pair, such as round notices: traced through
    # the server's announce channel, so this runs before the guild row goes.
    "DELETE FROM deliveries WHERE user_id IS NULL "
    "AND channel_id IN (SELECT announce_channel_id FROM guilds WHERE guild_id = :gid)",
    "DELETE FROM schedules WHERE pair_id IN (SELECT id FROM pairs WHERE guild_id = :gid)",
    "DELETE FROM depth_votes WHERE pair_id IN (SELECT id FROM pairs WHERE guild_id = :gid)",
    "DELETE FROM pair_muted_topics WHERE pair_id IN (SELECT id FROM pairs WHERE guild_id = :gid)",
    closeness_store.PURGE_STATEMENT,
    "DELETE FROM prompt_instances WHERE pair_id IN (SELECT id FROM pairs WHERE guild_id = :gid)",
    "DELETE FROM challenges WHERE guild_id = :gid "
    "OR pair_id IN (SELECT id FROM pairs WHERE guild_id = :gid) "
    "OR circle_id IN (SELECT id FROM circles WHERE guild_id = :gid)",
    "DELETE FROM invites WHERE guild_id = :gid",
    "DELETE FROM pair_members WHERE pair_id IN (SELECT id FROM pairs WHERE guild_id = :gid)",
    "DELETE FROM pairs WHERE guild_id = :gid "
    "OR circle_id IN (SELECT id FROM circles WHERE guild_id = :gid)",
    "DELETE FROM circle_rounds WHERE circle_id IN (SELECT id FROM circles WHERE guild_id = :gid)",
    "DELETE FROM circle_members WHERE circle_id IN (SELECT id FROM circles WHERE guild_id = :gid)",
    "DELETE FROM circles WHERE guild_id = :gid",
    "DELETE FROM guilds WHERE guild_id = :gid",
)


async def purge_guild(db: Database, guild_id: int) -> int:
    """Delete everything belonging to a server, in one transaction; returns rows deleted.

    Member profiles stay: they are global, and `/closer forget` is how a person removes theirs.
    Outbox rows are traced to the server through their pair, prompt instance, or (for channel
    posts) the server's current announce channel; a post queued for an announce channel the
    server has since replaced cannot be traced and is left to go stale.
    """
    total = 0
    async with db.transaction() as conn:
        for sql in _PURGE_STATEMENTS:
            total += await _execute(conn, sql, {"gid": guild_id})
    return total
