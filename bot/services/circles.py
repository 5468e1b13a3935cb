"""Friend circles: a group whose members are re-paired each round, by their own choice.

Decisions worth knowing (also in the report to the lead):

* Nobody is enrolled without `/circle join`. A round pairs the members who are *active*: joined,
  reachable by DM (not marked unreachable), and not sitting out a pause. A pause taken with
  `/pair pause` on a circle pair belongs to the member who asked for it: they sit out rounds
  until it ends, while their partners are re-paired at the next round (see storage/circles).
* Rounds are rows claimed by the outbox tick (`form_due_rounds`), one write transaction per
  round: claim, end the previous round's pairs, insert the new pairs and their schedules, queue
  the intro DMs and the channel notice, create the next round's row. Downtime therefore forms a
  missed round once when the bot is back, and the next round is counted from then.
* A due round with fewer than two active members waits for the next round time, keeping its
  number. `/circle rotate` forms the pending round now; the round after it keeps the circle's
  calendar (the first round time after the one that was brought forward).
* Circle pairs get prompts on weekdays at the circle's time, in each member's own zone: enough
  to get to know someone within a round, and either partner can change it with /pair schedule.
* Leaving ends the leaver's current group for everyone in it; the others get a gentle note and
  are paired again at the next round (re-forming a group mid-round would surprise more people).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.core.cadence import (
    format_hhmm,
    local_date,
    move_out_of_quiet,
    next_round_at,
    parse_hhmm,
    parse_zone,
)
from bot.core.models import Cadence, CircleCadence, Depth, PairKind, PairState, Relationship
from bot.core.pairing import form_round
from bot.core.seeds import stable_seed
from bot.errors import UserFacingError
from bot.services.pairs import Person, describe_schedule
from bot.services.schedule import member_next_slot, quiet_of, write_plan, zone_of
from bot.storage import circles as store
from bot.storage import guilds as guild_store
from bot.storage import members as member_store
from bot.storage import pairs as pair_store
from bot.storage.circles import CircleRow, RoundMember, RoundRow
from bot.storage.db import Database, Tx
from bot.storage.members import MemberRow
from bot.storage.outbox import NewDelivery, insert_deliveries
from bot.storage.pairs import PairRow
from bot.ui import circle_messages as copy
from bot.ui.payload import MessagePayload

log = logging.getLogger(__name__)

MAX_NAME = 40
DEFAULT_TIME = "19:00"
# What a circle pair's prompts follow; see the module docstring.
CIRCLE_PAIR_CADENCE = Cadence.WEEKDAYS
# At most this many circles in one `/circle status` reply (Discord caps a message at 2000 chars).
STATUS_LIMIT = 8

BAD_NAME = "Circle names need 1 to 40 characters."
BAD_CADENCE = "Cadence must be weekly or biweekly."
BAD_DAY = "Day must be a day of the week, like monday."
BAD_TIME = "Time must look like 19:30 (24-hour HH:MM), in your own time zone."


def _has_control(text: str) -> bool:
    # Control characters only: emoji sequences (zero-width joiners) are fine in a name.
    return any(unicodedata.category(c) == "Cc" for c in text)


def clean_name(value: str | None) -> str:
    # Collapse whitespace (and newlines) so "Book  Club" and "Book Club" are one name.
    text = " ".join((value or "").split())
    if not 1 <= len(text) <= MAX_NAME or _has_control(text):
        raise UserFacingError(BAD_NAME)
    return text


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def parse_circle_cadence(value: str | None) -> CircleCadence:
    try:
        return CircleCadence((value or "").strip().lower())
    except ValueError:
        raise UserFacingError(BAD_CADENCE) from None


def parse_weekday(value: str | None) -> int:
    text = (value or "").strip().lower()
    if text not in copy.WEEKDAYS:
        raise UserFacingError(BAD_DAY)
    return copy.WEEKDAYS.index(text)


def parse_round_time(value: str | None) -> str:
    try:
        return format_hhmm(parse_hhmm(value or DEFAULT_TIME))
    except ValueError:
        raise UserFacingError(BAD_TIME) from None


def next_round_after(circle: CircleRow, after: datetime) -> datetime:
    return next_round_at(
        after,
        circle.cadence,
        circle.weekday,
        parse_hhmm(circle.local_time),
        parse_zone(circle.timezone),
        circle.anchor_date,
    )


@dataclass(frozen=True)
class Created:
    circle: CircleRow
    first_round: datetime


@dataclass(frozen=True)
class Formed:
    circle: CircleRow
    round_no: int
    groups: list[tuple[int, ...]]
    next_round: datetime


@dataclass(frozen=True)
class CircleStatus:
    circle: CircleRow
    members: int
    rounds_formed: int
    next_round: datetime | None
    joined: bool
    partners: list[str]


@dataclass
class CircleService:
    db: Database
    default_zone: str
    now: Callable[[], datetime]
    wake: Callable[[], None]
    # Open this member's DM channel now, while the DM-open bucket is idle, rather than in the
    # round's fan-out, when every new member of a big circle needs one at once.
    open_ahead: Callable[[int], None] | None = None

    # Lookups -----------------------------------------------------------------------------
    async def find(self, guild_id: int, name: str | None) -> CircleRow:
        text = " ".join((name or "").split())
        # A name with control characters cannot have been created (clean_name), so no lookup.
        found = text and not _has_control(text)
        circle = await store.circle_by_name(self.db, guild_id, name_key(text)) if found else None
        if circle is None:
            raise UserFacingError(
                f'There\'s no circle called "{text[:MAX_NAME]}" here. '
                "/circle status lists this server's circles."
            )
        return circle

    async def get(self, circle_id: int) -> CircleRow | None:
        return await store.get_circle(self.db, circle_id)

    async def name_choices(
        self, guild_id: int, user_id: int, current: str, *, mine: bool = False
    ) -> list[str]:
        circles = (
            await store.circles_of_member(self.db, guild_id, user_id)
            if mine
            else await store.circles_of_guild(self.db, guild_id)
        )
        needle = current.casefold().strip()
        return [c.name for c in circles if needle in c.name.casefold()][:25]

    # Commands ----------------------------------------------------------------------------
    async def create(
        self,
        guild_id: int,
        creator: Person,
        name: str | None,
        cadence: str | None,
        day: str | None,
        time: str | None,
    ) -> Created:
        title = clean_name(name)
        chosen = parse_circle_cadence(cadence)
        weekday = parse_weekday(day)
        local_time = parse_round_time(time)
        now = self.now()
        await member_store.upsert_member(self.db, creator.id, creator.name, now)
        # The time is the creator's wall-clock time, so the circle keeps the creator's zone:
        # "Mondays at 19:00" stays 19:00 there across DST changes.
        tz = zone_of(await member_store.get_member(self.db, creator.id), self.default_zone)
        taken = f'There\'s already a circle called "{title}" here. Pick another name.'
        if await store.circle_by_name(self.db, guild_id, name_key(title)) is not None:
            raise UserFacingError(taken)
        anchor = local_date(now, tz)
        first = next_round_at(now, chosen, weekday, parse_hhmm(local_time), tz, anchor)
        circle_id = await store.create_circle(
            self.db,
            guild_id=guild_id,
            name=title,
            name_key=name_key(title),
            cadence=chosen,
            weekday=weekday,
            local_time=local_time,
            timezone=tz.key,
            anchor=anchor,
            seed=stable_seed("circle", guild_id, name_key(title), anchor.isoformat()),
            created_by=creator.id,
            now=now,
            first_due=first,
        )
        circle = await store.get_circle(self.db, circle_id) if circle_id is not None else None
        if circle is None:
            raise UserFacingError(taken)
        return Created(circle, first)

    async def join(
        self, guild_id: int, who: Person, name: str | None
    ) -> tuple[CircleRow, datetime]:
        circle = await self.find(guild_id, name)
        now = self.now()
        await member_store.upsert_member(self.db, who.id, who.name, now)
        # Asking to join is a fresh sign of life: DMs may work again, so give them a chance.
        await member_store.clear_unreachable(self.db, who.id)
        if not await store.add_member(self.db, circle.id, who.id, now):
            raise UserFacingError(
                f"You're already in {circle.name}. You'll be paired at its next round."
            )
        if self.open_ahead is not None:
            self.open_ahead(who.id)
        pending = await store.pending_round(self.db, circle.id)
        return circle, pending.due_at if pending else next_round_after(circle, now)

    async def leave(self, guild_id: int, user_id: int, name: str | None) -> CircleRow:
        circle = await self.find(guild_id, name)
        now = self.now()
        async with self.db.transaction() as conn:
            if not await store.remove_member(conn, circle.id, user_id):
                raise UserFacingError(f"You're not in {circle.name}, so there's nothing to leave.")
            ended = await store.end_pairs(conn, circle.id, now, user_id=user_id)
            leaver = await self._names(conn, (user_id,))
            notes = [
                NewDelivery(
                    dedupe_key=f"circle-left:{group.id}:{user_id}:{partner}",
                    kind="notice",
                    due_at=now,
                    user_id=partner,
                    payload=dict(copy.partner_left_message(leaver[user_id], circle.name)),
                )
                for group in ended
                for partner in group.member_ids
                if partner != user_id
            ]
            await insert_deliveries(conn, notes, now)
        if notes:
            self.wake()
        return circle

    async def status(self, guild_id: int, user_id: int, name: str | None) -> list[CircleStatus]:
        if name is not None and name.strip():
            circles = [await self.find(guild_id, name)]
        else:
            circles = await store.circles_of_guild(self.db, guild_id)
        mine = {
            p.circle_id: p
            for p in await pair_store.live_pairs_of(self.db, user_id, guild_id)
            if p.kind is PairKind.CIRCLE
        }
        out: list[CircleStatus] = []
        for circle in circles[:STATUS_LIMIT]:
            members = await store.member_ids(self.db, circle.id)
            pending = await store.pending_round(self.db, circle.id)
            latest = await store.latest_formed_round(self.db, circle.id)
            pair = mine.get(circle.id)
            partners: list[str] = []
            if pair is not None:
                names = await self._names(self.db, pair.member_ids)
                partners = [names[m] for m in pair.partners_of(user_id)]
            out.append(
                CircleStatus(
                    circle=circle,
                    members=len(members),
                    rounds_formed=latest.round_no if latest else 0,
                    next_round=pending.due_at if pending else None,
                    joined=user_id in members,
                    partners=partners,
                )
            )
        return out

    async def count(self, guild_id: int) -> int:
        return len(await store.circles_of_guild(self.db, guild_id))

    async def rotate(self, guild_id: int, name: str | None) -> Formed:
        circle = await self.find(guild_id, name)
        now = self.now()
        channel = await guild_store.get_announce_channel(self.db, guild_id)
        async with self.db.transaction() as conn:
            pending = await store.pending_round(conn, circle.id)
            if pending is None:  # pragma: no cover - every live circle keeps one pending round
                latest = await store.latest_formed_round(conn, circle.id)
                number = (latest.round_no if latest else 0) + 1
                await store.schedule_round(conn, circle.id, number, next_round_after(circle, now))
                pending = await store.pending_round(conn, circle.id)
                assert pending is not None  # noqa: S101
            members = await store.round_members(conn, circle.id, now)
            if sum(m.active for m in members) < 2:
                raise UserFacingError(
                    f"{circle.name} needs at least 2 members who can be paired (joined, not "
                    "paused, DMs open) to form a round."
                )
            claimed = await store.claim_round(conn, pending.id, now, early=True)
            assert claimed is not None  # noqa: S101 - we hold the write lock and saw it pending
            formed = await self._form(conn, circle, claimed, members, now, channel)
        self.wake()
        return formed

    async def delete(self, guild_id: int, name: str | None) -> tuple[CircleRow, int]:
        circle = await self.find(guild_id, name)
        now = self.now()
        async with self.db.transaction() as conn:
            if not await store.mark_deleted(conn, circle.id, now):
                raise UserFacingError(f"{circle.name} was already deleted.")
            await store.end_pairs(conn, circle.id, now)
            members = await store.member_ids(conn, circle.id)
            payload = dict(copy.circle_deleted_message(circle.name))
            await insert_deliveries(
                conn,
                [
                    NewDelivery(
                        dedupe_key=f"circle-deleted:{circle.id}:{uid}",
                        kind="notice",
                        due_at=now,
                        user_id=uid,
                        payload=payload,
                    )
                    for uid in members
                ],
                now,
            )
            # Memberships go with the circle: nobody stays enrolled in something that is gone.
            # Their pairs (and so the history) stay until /closer forget.
            await store.clear_members(conn, circle.id)
        if members:
            self.wake()
        return circle, len(members)

    # The producer ------------------------------------------------------------------------
    async def form_due_rounds(self, now: datetime) -> int:
        """Outbox producer: form every round whose time has come. Returns how many formed."""
        formed = 0
        for due in await store.due_rounds(self.db, now):
            try:
                if await self._form_due(due, now):
                    formed += 1
            except Exception:
                # One broken circle must not hold up the others; its round stays pending.
                log.exception("forming a circle round failed", extra={"round_id": due.id})
        return formed

    async def _form_due(self, due: RoundRow, now: datetime) -> bool:
        circle = await store.get_circle(self.db, due.circle_id)
        if circle is None:
            return False
        channel = await guild_store.get_announce_channel(self.db, circle.guild_id)
        async with self.db.transaction() as conn:
            members = await store.round_members(conn, circle.id, now)
            if sum(m.active for m in members) < 2:
                await store.postpone_round(conn, due.id, next_round_after(circle, now))
                return False
            claimed = await store.claim_round(conn, due.id, now)
            if claimed is None:
                return False
            await self._form(conn, circle, claimed, members, now, channel)
        return True

    async def _form(
        self,
        conn: Tx,
        circle: CircleRow,
        claimed: RoundRow,
        members: list[RoundMember],
        now: datetime,
        channel_id: int | None,
    ) -> Formed:
        """Everything a claimed round does, inside the claiming transaction."""
        active = {m.user_id: m for m in members if m.active}
        history = await store.pairing_history(conn, circle.id)
        groups = [
            tuple(g) for g in form_round(list(active), history, claimed.round_no, circle.seed)
        ]
        await store.end_pairs(conn, circle.id, now, except_round=claimed.id)
        schedule = describe_schedule(circle.local_time, CIRCLE_PAIR_CADENCE)
        deliveries: list[NewDelivery] = []
        for index, group in enumerate(groups):
            # Deterministic per group, so a re-run of the same round picks the same prompts.
            seed = stable_seed("circle-pair", circle.seed, claimed.round_no, index)
            pair = await self._insert_pair(conn, circle, claimed, group, seed, now)
            rows = {uid: _member_row(active[uid]) for uid in group}
            plan = {uid: member_next_slot(pair, rows[uid], self.default_zone, now) for uid in group}
            await write_plan(conn, pair.id, plan)
            for uid in group:
                partners = [active[m].display_name or "your partner" for m in group if m != uid]
                payload = copy.intro_message(
                    circle.name,
                    claimed.round_no,
                    partners,
                    schedule,
                    copy.when(int(plan[uid].due.timestamp())),
                )
                # Out of their quiet hours: a round may form at 19:00 where the circle lives
                # and 03:00 where a member does.
                due = move_out_of_quiet(
                    now, zone_of(rows[uid], self.default_zone), quiet_of(rows[uid])
                )
                deliveries.append(
                    NewDelivery(
                        dedupe_key=f"circle-intro:{claimed.id}:{uid}",
                        kind="circle_intro",
                        due_at=due,
                        user_id=uid,
                        pair_id=pair.id,
                        payload=dict(payload),
                    )
                )
        if channel_id is not None:
            pairs, trios = copy.group_counts(groups)
            notice: MessagePayload = copy.round_notice(circle.name, claimed.round_no, pairs, trios)
            deliveries.append(
                NewDelivery(
                    dedupe_key=f"circle-notice:{claimed.id}",
                    kind="circle_notice",
                    due_at=now,
                    channel_id=channel_id,
                    payload=dict(notice),
                )
            )
        await insert_deliveries(conn, deliveries, now)
        await store.set_group_count(conn, claimed.id, len(groups))
        # From the later of now and the round's own time: after downtime the next round is
        # counted from now (no burst of catch-up rounds); after an early /circle rotate the
        # calendar is kept.
        following = next_round_after(circle, max(now, claimed.due_at))
        await store.schedule_round(conn, circle.id, claimed.round_no + 1, following)
        log.info(
            "circle round formed",
            extra={"circle_id": circle.id, "round_no": claimed.round_no, "groups": len(groups)},
        )
        return Formed(circle, claimed.round_no, groups, following)

    async def _insert_pair(
        self,
        conn: Tx,
        circle: CircleRow,
        claimed: RoundRow,
        group: tuple[int, ...],
        seed: int,
        now: datetime,
    ) -> PairRow:
        anchor = now.date()
        pair_id = await pair_store.insert_pair(
            conn,
            guild_id=circle.guild_id,
            kind=PairKind.CIRCLE,
            member_ids=group,
            local_time=circle.local_time,
            cadence=CIRCLE_PAIR_CADENCE,
            anchor=anchor,
            seed=seed,
            now=now,
            circle_id=circle.id,
            round_id=claimed.id,
        )
        # The row as just inserted (the reader cannot see it before this transaction commits).
        return PairRow(
            id=pair_id,
            guild_id=circle.guild_id,
            kind=PairKind.CIRCLE,
            circle_id=circle.id,
            local_time=circle.local_time,
            cadence=CIRCLE_PAIR_CADENCE,
            anchor_date=anchor,
            depth=Depth.LIGHT,
            status=PairState.ACTIVE,
            paused_until=None,
            seed=seed,
            created_at=now,
            member_ids=tuple(sorted(group)),
            relationship=Relationship.CIRCLE,
        )

    async def _names(self, src: Database | Tx, user_ids: tuple[int, ...]) -> dict[int, str]:
        found = await store.display_names(src, user_ids)
        return {uid: found.get(uid) or "your partner" for uid in user_ids}


def _member_row(m: RoundMember) -> MemberRow:
    return MemberRow(
        user_id=m.user_id,
        display_name=m.display_name,
        timezone=m.timezone,
        quiet_start=m.quiet_start,
        quiet_end=m.quiet_end,
        dm_channel_id=None,
        unreachable_since=None,
    )
