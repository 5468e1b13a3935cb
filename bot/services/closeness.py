"""The closeness check-in: every four weeks of a pair, a private one-tap "how close do you feel?".

* **Who.** Every member of an active pair (couples and, later, partners, friends and family)
  from the pair's fourth week on; circle pairs only from their second round with the same
  person, counted on the relationship's clock (its first round together), not the round's.
  Not members who switched check-ins off, and not members held after going quiet.
* **When.** Once per four-week period, at the member's usual prompt time for that pair, moved
  out of quiet hours. A paused pair gets none; on resume, the period's check-in is still due.
* **Who sees it.** The member only: no partner is told, admins see a distribution only when at
  least five members contributed (`bot.core.closeness`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core import closeness as rules
from bot.core.cadence import TOO_LATE, local_date, local_slot, move_out_of_quiet, parse_hhmm
from bot.errors import UserFacingError
from bot.services.prompting import Prompting
from bot.services.schedule import quiet_of, zone_of
from bot.storage import closeness as store
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.db import Database
from bot.storage.outbox import NewDelivery
from bot.storage.pairs import PairRow
from bot.ui import closeness_messages as copy
from bot.ui.messages import names as names_text
from bot.ui.payload import MessagePayload

log = logging.getLogger(__name__)

# The scan reads every active pair; check-ins are due at most once a day per pair, so a scan
# every few minutes is plenty and keeps the per-tick cost of a large server near zero.
SCAN_EVERY = timedelta(minutes=10)
STALE_AFTER = timedelta(hours=12)
KEY_CHUNK = 500
# At most this many check-ins queued per scan, so the first scan after this feature ships (every
# pair older than four weeks due at once) stays a short tick; the next tick carries on.
MAX_PER_SCAN = 500
INSIGHT_GAPS = 3


def first_slot_after(base: datetime, at: time, zone: ZoneInfo) -> datetime | None:
    day = local_date(base, zone)
    for offset in range(3):  # a slot can be missing on a DST day, never two days running
        slot = local_slot(day + timedelta(days=offset), at, zone)
        if slot is not None and slot >= base:
            return slot
    return None


@dataclass(frozen=True)
class Insights:
    text: str
    series: tuple[tuple[str, tuple[tuple[datetime, int], ...]], ...]


@dataclass
class Closeness:
    db: Database
    prompting: Prompting
    default_zone: str
    now: Callable[[], datetime]
    wake: Callable[[], None]
    scanned_at: datetime | None = None

    # Eligibility ---------------------------------------------------------------------------
    async def _relationship(self, pair: PairRow) -> tuple[bool, datetime, str]:
        """(eligible, when the relationship's clock started, its key for dedupe)."""
        if pair.circle_id is None:
            return rules.eligible(pair.kind.value), pair.created_at, f"p{pair.id}"
        return await self._circle_relationship(
            pair.circle_id, pair.id, pair.created_at, frozenset(pair.member_ids), pair.kind.value
        )

    async def _circle_relationship(
        self,
        circle_id: int,
        pair_id: int,
        created_at: datetime,
        members: frozenset[int],
        kind: str,
        history: list[tuple[int, datetime, frozenset[int]]] | None = None,
    ) -> tuple[bool, datetime, str]:
        if history is None:
            history = await store.circle_pairs(self.db, circle_id)
        earlier = [h for h in history if h[2] == members and h[0] != pair_id and h[1] < created_at]
        started = earlier[0][1] if earlier else created_at
        key = f"c{circle_id}-" + "-".join(str(m) for m in sorted(members))
        return rules.eligible(kind, len(earlier)), started, key

    # The scheduled check-in (a producer) ---------------------------------------------------
    async def schedule(self, now: datetime) -> int:
        if self.scanned_at is not None and self.scanned_at <= now < self.scanned_at + SCAN_EVERY:
            return 0
        self.scanned_at = now
        days = rules.EVERY.days
        plans: list[tuple[str, store.Candidate, datetime]] = [
            (
                f"{store.KIND}:p{c.pair_id}:{c.user_id}:{c.period}",
                c,
                max(rules.period_start(c.created_at, c.period), c.created_at),
            )
            for c in await store.due_pair_members(self.db, now, days, MAX_PER_SCAN + 1)
            if rules.eligible(c.kind)
        ]
        histories: dict[int, list[tuple[int, datetime, frozenset[int]]]] = {}
        for c in await store.circle_members(self.db, now, days):
            circle_id = c.circle_id or 0
            if circle_id not in histories:
                histories[circle_id] = await store.circle_pairs(self.db, circle_id)
            history = histories[circle_id]
            members = next((h[2] for h in history if h[0] == c.pair_id), frozenset())
            ok, started, rel = await self._circle_relationship(
                circle_id, c.pair_id, c.created_at, members, c.kind, history
            )
            period = rules.period_of(started, now)
            if ok and period >= 1:
                begins = max(rules.period_start(started, period), c.created_at)
                plans.append((f"{store.KIND}:{rel}:{c.user_id}:{period}", c, begins))
        ready: list[NewDelivery] = []
        for i in range(0, len(plans), KEY_CHUNK):
            chunk = plans[i : i + KEY_CHUNK]
            existing = await store.existing_keys(self.db, (k for k, _, _ in chunk))
            for key, c, begins in chunk:
                if key in existing:
                    continue
                if len(ready) >= MAX_PER_SCAN:
                    self.scanned_at = None  # more are due: scan again on the next tick
                    break
                try:
                    delivery = await self._delivery(key, c, begins, now)
                except Exception:
                    log.exception("closeness check-in failed", extra={"pair_id": c.pair_id})
                    continue
                if delivery is not None:
                    ready.append(delivery)
        queued = await outbox_store.enqueue(self.db, ready, now) if ready else 0
        if queued:
            self.wake()
        return queued

    async def _delivery(
        self, key: str, c: store.Candidate, begins: datetime, now: datetime
    ) -> NewDelivery | None:
        pair = await pair_store.get_pair(self.db, c.pair_id)
        if pair is None or not pair.active:
            return None
        member = await member_store.get_member(self.db, c.user_id)
        zone, quiet = zone_of(member, self.default_zone), quiet_of(member)
        at = parse_hhmm(c.local_time)
        # The member's usual prompt time on or after the period began; if that has long passed
        # (downtime, a pause), the next one from now.
        slot = first_slot_after(begins, at, zone)
        if slot is None or slot < now - TOO_LATE:
            slot = first_slot_after(now, at, zone)
        due = None if slot is None else move_out_of_quiet(slot, zone, quiet)
        if due is None:
            return None
        names = await self.prompting.names_of(pair.member_ids)
        payload = copy.checkin_message(
            [names[m] for m in pair.partners_of(c.user_id)], pair_id=pair.id, user_id=c.user_id
        )
        return NewDelivery(
            dedupe_key=key,
            kind=store.KIND,
            due_at=due,
            user_id=c.user_id,
            pair_id=pair.id,
            payload=dict(payload),
            stale_after=due + STALE_AFTER,
        )

    async def still_wanted(self, c: outbox_store.Claimed) -> bool:
        """Just before a queued check-in goes out: the pair is still active, the member still
        wants check-ins and has not gone quiet since it was queued."""
        if c.pair_id is None or c.user_id is None:
            return False
        return await store.still_wanted(self.db, c.pair_id, c.user_id)

    # Asked for, and answered ---------------------------------------------------------------
    async def ask(self, pair: PairRow, user_id: int) -> MessagePayload:
        """The check-in now (`/closer checkin`), with the switch for scheduled ones."""
        eligible, _, _ = await self._relationship(pair)
        if not eligible:
            raise UserFacingError(copy.NOT_YET_TEXT)
        names = await self.prompting.names_of(pair.member_ids)
        off = await store.opted_out(self.db, user_id)
        return copy.checkin_message(
            [names[m] for m in pair.partners_of(user_id)],
            pair_id=pair.id,
            user_id=user_id,
            switch="on" if off else "off",
        )

    async def answer(self, pair_id: int, user_id: int, score: int | None) -> str:
        """A press on 1–7 or Skip. Saved for the member alone; nobody else is told anything."""
        if score is not None and score not in rules.SCALE:
            raise UserFacingError("That isn't one of the seven pictures.")
        pair = await pair_store.get_pair(self.db, pair_id)
        if pair is None or user_id not in pair.member_ids:
            raise UserFacingError("That check-in is for a pair that no longer exists.")
        eligible, _, _ = await self._relationship(pair)
        if not eligible:
            raise UserFacingError(copy.NOT_YET_TEXT)
        now = self.now()
        replaced = await store.record(
            self.db,
            pair_id=pair.id,
            user_id=user_id,
            guild_id=pair.guild_id,
            score=score,
            now=now,
            same_since=now - rules.SAME_CHECKIN,
        )
        if score is None:
            return copy.SKIPPED_TEXT
        names = await self.prompting.names_of(pair.member_ids)
        return copy.saved_text([names[m] for m in pair.partners_of(user_id)], replaced)

    async def switch(self, user_id: int, on: bool) -> str:
        await store.set_opted_out(self.db, user_id, not on, self.now())
        return copy.ON_TEXT if on else copy.OFF_TEXT

    # Your own trend ------------------------------------------------------------------------
    async def insights(self, user_id: int) -> Insights:
        rows = await store.checkins_of(self.db, user_id)
        by_pair: dict[int, list[store.CheckinRow]] = {}
        for row in rows:
            if row.score is not None:
                by_pair.setdefault(row.pair_id, []).append(row)
        if not by_pair:
            return Insights(copy.NO_INSIGHTS_TEXT, ())
        now = self.now()
        lines: list[str] = []
        series: list[tuple[str, tuple[tuple[datetime, int], ...]]] = []
        for pair_id, checkins in by_pair.items():
            pair = await pair_store.get_pair(self.db, pair_id)
            partners = ["a past partner"]
            if pair is not None:
                names = await self.prompting.names_of(pair.member_ids)
                partners = [names[m] for m in pair.partners_of(user_id)]
            title = f"With {names_text(partners)}"
            points = tuple((c.created_at, c.score) for c in checkins if c.score is not None)
            series.append((title, points))
            scores = [s for _, s in points]
            lines.append(f"**{title}:** {rules.trend_words(scores)}")
            times = [c.created_at for c in checkins]
            gaps: list[tuple[datetime | None, datetime]] = [
                (None, times[0]),
                *itertools.pairwise(times),
                (times[-1], now),
            ]
            for since, until in gaps[-INSIGHT_GAPS:]:
                done = await store.together(self.db, user_id, pair_id, since, until)
                themes = [self._theme_name(t) for t in done.themes]
                words = copy.together_words(done.answered, done.activities_done, themes)
                if since is None:
                    label = f"Before {until:%b} {until.day}"
                elif until is now:
                    label = f"Since {since:%b} {since.day}"
                else:
                    label = f"{since:%b} {since.day} – {until:%b} {until.day}"
                lines.append(f"• {label}: {words}.")
        lines.append(
            "-# Only you see this. Picture: your check-ins (1 apart – 7 very close) over time."
        )
        return Insights("\n".join(lines)[:1990], tuple(series))

    def _theme_name(self, theme_id: str) -> str:
        theme = self.prompting.library.challenge(theme_id)
        return theme.name if theme is not None else "a themed week"

    # For admins: aggregates only -----------------------------------------------------------
    async def guild_summary(self, guild_id: int) -> str:
        now = self.now()
        current = rules.distribution(
            await store.guild_scores(self.db, guild_id, now - rules.STATS_PERIOD, now)
        )
        before = rules.distribution(
            await store.guild_scores(
                self.db, guild_id, now - 2 * rules.STATS_PERIOD, now - rules.STATS_PERIOD
            )
        )
        return copy.distribution_text(current, before)
