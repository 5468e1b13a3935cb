"""Counts for `/closer-admin stats`. Admins see how much Closer is used, never what anyone said:
every query here returns a number, and none reads answers, payloads or names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage.db import Database
from bot.storage.timecodec import to_db

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class GuildStats:
    members_opted_in: int  # in a live pair or a live circle here
    couple_pairs: int  # active or paused
    circle_groups: int  # active or paused groups a circle formed
    circles: int  # not deleted
    prompts_sent_week: int  # prompt DMs delivered in the last 7 days
    answered_week: int  # of the member-prompts given in the last 7 days, answered or done
    asked_week: int  # member-prompts given in the last 7 days

    @property
    def answer_rate(self) -> float | None:
        return None if self.asked_week == 0 else self.answered_week / self.asked_week


async def _count(db: Database, sql: str, params: dict[str, object]) -> int:
    value = await db.fetchval(sql, params)
    return int(value or 0)


async def guild_stats(db: Database, guild_id: int, now: datetime) -> GuildStats:
    p: dict[str, object] = {"gid": guild_id, "since": to_db(now - WEEK)}
    opted_in = await _count(
        db,
        "SELECT COUNT(*) FROM ("
        " SELECT pm.user_id FROM pair_members AS pm JOIN pairs AS p ON p.id = pm.pair_id"
        " WHERE p.guild_id = :gid AND p.status IN ('active', 'paused')"
        " UNION"
        " SELECT cm.user_id FROM circle_members AS cm JOIN circles AS c ON c.id = cm.circle_id"
        " WHERE c.guild_id = :gid AND c.deleted_at IS NULL) AS opted_in",
        p,
    )
    couples = await _count(
        db,
        "SELECT COUNT(*) FROM pairs WHERE guild_id = :gid AND kind = 'couple' "
        "AND status IN ('active', 'paused')",
        p,
    )
    groups = await _count(
        db,
        "SELECT COUNT(*) FROM pairs WHERE guild_id = :gid AND kind = 'circle' "
        "AND status IN ('active', 'paused')",
        p,
    )
    circles = await _count(
        db, "SELECT COUNT(*) FROM circles WHERE guild_id = :gid AND deleted_at IS NULL", p
    )
    sent = await _count(
        db,
        "SELECT COUNT(*) FROM deliveries AS d JOIN pairs AS p ON p.id = d.pair_id "
        "WHERE p.guild_id = :gid AND d.kind = 'prompt' AND d.status = 'sent' "
        "AND d.sent_at >= :since",
        p,
    )
    # Per member, per prompt: a pair of two given one prompt counts as two chances to answer.
    asked = await _count(
        db,
        "SELECT COUNT(*) FROM instance_members AS im "
        "JOIN prompt_instances AS pi ON pi.id = im.instance_id "
        "JOIN pairs AS p ON p.id = pi.pair_id "
        "WHERE p.guild_id = :gid AND pi.created_at >= :since",
        p,
    )
    answered = await _count(
        db,
        "SELECT COUNT(*) FROM instance_members AS im "
        "JOIN prompt_instances AS pi ON pi.id = im.instance_id "
        "JOIN pairs AS p ON p.id = pi.pair_id "
        "WHERE p.guild_id = :gid AND pi.created_at >= :since AND im.state IN ('answered', 'done')",
        p,
    )
    return GuildStats(
        members_opted_in=opted_in,
        couple_pairs=couples,
        circle_groups=groups,
        circles=circles,
        prompts_sent_week=sent,
        answered_week=answered,
        asked_week=asked,
    )
