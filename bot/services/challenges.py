"""Themed weeks: a plan of prompts for seven days, timed together-activities, and a recap.

How a week runs (decisions worth knowing):

* **Day 1 is tomorrow**, for a pair and for a circle alike, and a circle group formed during the
  week joins from the day after it formed. Today's prompt may already be out, and a themed day
  should never arrive as a second DM on top of it. A day is the pair's *slot date*, so each
  member gets day n at their usual time in their own zone.
* While a week runs, `plan_day` (asked by the prompt producer, `bot.services.materialise`)
  names each day's prompt and the italic note above it; `cadence_override` makes the pair
  daily so that weekly or weekday pairs get every day of it. Starting a week also pulls a
  member's next slot in to day 1 when their usual cadence would have skipped it.
* One week at a time per pair: starting another asks to replace it. A circle-wide week skips
  pairs already running their own week; they join it the day after theirs ends.
* **Timed activities**: on a tech-free or quality-time activity day the prompt has a Start
  button. When every member has pressed it, each is told "Timer started", and a check-in is
  queued for start + minutes as the activity's own check-in instance (`checkin:<id>`, the same
  one the next-day check-in would create, so there is never a second one). A lone press gives
  the others one gentle heads-up.
* **The end**: a pair's week is over at the time its day-after-last slot would come, so the last
  day has had a full day to be answered. Each pair then gets one recap DM; a circle-wide week
  also posts counts (never names, never words) to the server's announce channel.

Privacy: the recap quotes only *revealed* gratitude answers, and to each reader only those of
prompts they answered themselves — exactly what the reveal already showed them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.core.cadence import local_date, local_slot, move_out_of_quiet, parse_hhmm, parse_zone
from bot.core.models import (
    Cadence,
    Category,
    Challenge,
    ChallengeStatus,
    InstanceStatus,
    Kind,
    Library,
    MemberState,
    PairState,
    Prompt,
    Relationship,
)
from bot.errors import UserFacingError
from bot.services.answers import AnswerService
from bot.services.prompting import PlannedDay, Prompting, checkin_key, checkin_question
from bot.services.schedule import quiet_of, reschedule_pair, zone_of
from bot.storage import challenges as store
from bot.storage import circles as circle_store
from bot.storage import guilds as guild_store
from bot.storage import instances as instance_store
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.challenges import ChallengeRow, DayRow
from bot.storage.db import Database, Tx
from bot.storage.outbox import NewDelivery
from bot.storage.pairs import PairRow
from bot.ui import challenge_messages as copy
from bot.ui.payload import MessagePayload

log = logging.getLogger(__name__)

# Activities of these categories are the "do it together, then check in" kind that a shared
# timer suits; other activities (a game, a letter) keep the usual We did it / Not this time.
TIMED = frozenset({Category.TECH_FREE, Category.QUALITY_TIME})
# The last day's slot is about a day before the week's end; anything within this margin of the
# end is that last slot (slots drift with DST and quiet hours, so half a day either way).
LAST_DAY_MARGIN = timedelta(hours=36)
# The recap comes this long before the pair's next usual prompt, so the two don't land together.
RECAP_LEAD = timedelta(hours=2)
CHECKIN_FALLBACK = "How was it?"
UNKNOWN_THEME = "I don't know that theme. Pick one from the list, or see /challenge list."
PAUSED = "Your prompts are paused. Use /pair resume first, then start the week."
NOTHING_TO_STOP = "There's no themed week running for your pair, so there's nothing to stop."
CIRCLE_NEEDS_MANAGE = (
    "Starting a week for a whole circle needs the Manage Server permission. "
    "Leave out `circle` to start one for your own pair."
)
CLOSED = "This activity has closed, so its timer can't start any more."


def name_key(name: str) -> str:
    # The circles service keys names the same way: whitespace collapsed, casefolded.
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Started:
    text: str


@dataclass(frozen=True)
class NeedsReplace:
    """A week is already running: the cog asks to confirm with ("replace", target, extra)."""

    text: str
    target: int
    extra: str


Outcome = Started | NeedsReplace


@dataclass
class ChallengeService:
    db: Database
    library: Library
    prompting: Prompting
    answers: AnswerService
    default_zone: str
    now: Callable[[], datetime]
    wake: Callable[[], None]

    # Themes --------------------------------------------------------------------------------
    def themes(self) -> tuple[Challenge, ...]:
        return self.library.challenges

    def theme(self, value: str | None) -> Challenge:
        """A theme by id (what autocomplete sends) or by name (what a person might type)."""
        text = (value or "").strip()
        found = self.library.challenge(text)
        if found is None:
            key = name_key(text)
            found = next((t for t in self.themes() if name_key(t.name) == key), None)
        if found is None:
            raise UserFacingError(UNKNOWN_THEME)
        return found

    def theme_choices(self, current: str) -> list[tuple[str, str]]:
        needle = current.casefold().strip()
        return [(t.name, t.id) for t in self.themes() if needle in t.name.casefold()][:25]

    # Starting and stopping -----------------------------------------------------------------
    async def pair_for(self, pair_id: int, user_id: int) -> PairRow:
        pair = await pair_store.get_pair(self.db, pair_id)
        if pair is None or user_id not in pair.member_ids or pair.status == PairState.ENDED:
            raise UserFacingError("That pair isn't one of yours any more.")
        return pair

    async def start(
        self, pair: PairRow, user_id: int, theme_id: str | None, *, replace: bool = False
    ) -> Outcome:
        theme = self.theme(theme_id)
        if pair.relationship not in theme.audience:
            raise UserFacingError(copy.not_for_you_text(theme))
        if pair.status == PairState.ENDED:
            raise UserFacingError("This pair has ended, so a themed week can't start for it.")
        if pair.status != PairState.ACTIVE:
            raise UserFacingError(PAUSED)
        current = await store.active_for_pair(self.db, pair.id)
        if current is not None and not replace:
            old = self.theme(current.theme_id)
            return NeedsReplace(
                copy.replace_ask_text(old, await self._day_today(current, user_id), theme),
                target=pair.id,
                extra=f"p_{theme.id}",
            )
        now = self.now()
        starts_on = await self._tomorrow(pair.member_ids, now)
        async with self.db.transaction() as conn:
            if current is not None:
                await store.finish(conn, current.id, ChallengeStatus.STOPPED, now)
            challenge_id = await store.insert(
                conn,
                guild_id=pair.guild_id,
                pair_id=pair.id,
                theme_id=theme.id,
                starts_on=starts_on,
                started_by=user_id,
                now=now,
            )
        await self._pull_in(pair, starts_on)
        names = await self.prompting.names_of(pair.member_ids)
        payload = (
            copy.replaced_message(self.theme(current.theme_id), theme, names[user_id])
            if current is not None
            else copy.started_message(theme, names[user_id])
        )
        await self._notify(
            list(pair.partners_of(user_id)), f"challenge-start:{challenge_id}", pair.id, payload
        )
        return Started(copy.started_text(theme, [names[m] for m in pair.partners_of(user_id)]))

    async def start_circle(
        self,
        guild_id: int,
        user_id: int,
        circle_name: str,
        theme_id: str | None,
        *,
        replace: bool = False,
    ) -> Outcome:
        theme = self.theme(theme_id)
        shown = " ".join(circle_name.split())
        circle = await circle_store.circle_by_name(self.db, guild_id, name_key(circle_name))
        if circle is None:
            raise UserFacingError(
                f"There's no circle called “{shown[:40]}” here. "
                "/circle status lists this server's circles."
            )
        if Relationship.CIRCLE not in theme.audience:
            raise UserFacingError(copy.not_for_you_text(theme))
        current = await store.active_parent(self.db, circle.id)
        if current is not None and not replace:
            return NeedsReplace(
                copy.circle_replace_ask_text(self.theme(current.theme_id), circle.name, theme),
                target=circle.id,
                extra=f"c_{theme.id}",
            )
        return await self._start_circle(circle, user_id, theme, current)

    async def _start_circle(
        self,
        circle: circle_store.CircleRow,
        user_id: int,
        theme: Challenge,
        current: ChallengeRow | None,
    ) -> Started:
        now = self.now()
        starts_on = local_date(now, parse_zone(circle.timezone)) + timedelta(days=1)
        groups = await circle_store.live_groups(self.db, circle.id)
        enrolled: list[tuple[int, PairRow]] = []
        async with self.db.transaction() as conn:
            if current is not None:
                await store.finish(conn, current.id, ChallengeStatus.STOPPED, now)
                for child in await store.children_of(conn, current):
                    await store.finish(conn, child.id, ChallengeStatus.STOPPED, now)
            await store.insert(
                conn,
                guild_id=circle.guild_id,
                circle_id=circle.id,
                theme_id=theme.id,
                starts_on=starts_on,
                started_by=user_id,
                now=now,
            )
            for group in groups:
                pair = await pair_store.get_pair(self.db, group.id)
                # A group running a week of its own keeps it; it joins this one afterwards.
                if pair is None or await store.active_for_pair(conn, pair.id) is not None:
                    continue
                child_id = await store.insert(
                    conn,
                    guild_id=circle.guild_id,
                    pair_id=pair.id,
                    circle_id=circle.id,
                    theme_id=theme.id,
                    starts_on=starts_on,
                    started_by=user_id,
                    now=now,
                )
                enrolled.append((child_id, pair))
        for child_id, pair in enrolled:
            await self._welcome(child_id, pair, theme, circle.name, 1)
        self.wake()
        return Started(copy.circle_started_text(theme, circle.name, len(enrolled)))

    async def stop(self, pair: PairRow, user_id: int) -> str:
        current = await store.active_for_pair(self.db, pair.id)
        if current is None:
            raise UserFacingError(NOTHING_TO_STOP)
        now = self.now()
        async with self.db.transaction() as conn:
            if not await store.finish(conn, current.id, ChallengeStatus.STOPPED, now):
                raise UserFacingError(NOTHING_TO_STOP)
        fresh = await pair_store.get_pair(self.db, pair.id)
        if fresh is not None and fresh.status == PairState.ACTIVE:
            # Back to the pair's own cadence now, not after one more daily slot.
            await reschedule_pair(self.db, fresh, self.default_zone, now)
        theme = self.theme(current.theme_id)
        names = await self.prompting.names_of(pair.member_ids)
        await self._notify(
            list(pair.partners_of(user_id)),
            f"challenge-stop:{current.id}",
            pair.id,
            copy.stopped_message(theme, names[user_id]),
        )
        return copy.stopped_text(theme)

    async def status(self, pair: PairRow, user_id: int) -> str:
        current = await store.active_for_pair(self.db, pair.id)
        if current is None:
            return copy.NOTHING_RUNNING
        theme = self.theme(current.theme_id)
        days = await store.days_of(self.db, current.id)
        together = sum(1 for d in days if d.all_took_part)
        day = await self._day_today(current, user_id) or 0
        return copy.status_text(theme, day, together, len(pair.member_ids) > 2)

    # What the prompt producer asks (ThemedWeeks) --------------------------------------------------
    async def _running(self, pair: PairRow) -> tuple[ChallengeRow, Challenge] | None:
        """The pair's running week and its theme (None if none, or its theme has left)."""
        current = await store.active_for_pair(self.db, pair.id)
        theme = self.library.challenge(current.theme_id) if current is not None else None
        return None if current is None or theme is None else (current, theme)

    async def plan_day(self, pair: PairRow, slot_day: date) -> PlannedDay | None:
        """`ThemedWeeks.plan_day`: today's page of the pair's week, if it has one."""
        running = await self._running(pair)
        if running is None:
            return None
        current, theme = running
        n = (slot_day - current.starts_on).days + 1
        if not 1 <= n <= len(theme.days):
            return None
        # Join from the day after the row was made (a group formed mid-week; see the docstring).
        if slot_day <= await self._latest_local_date(pair.member_ids, current.created_at):
            return None
        return PlannedDay(
            challenge_id=current.id,
            day=theme.days[n - 1],
            note=copy.day_note(theme, n),
            note_without_title=copy.day_note(theme, n, titled=False),
            timed=TIMED,
        )

    async def cadence_override(self, pair: PairRow, now: datetime) -> Cadence | None:
        """`ThemedWeeks.cadence_override`: daily until the week's last slot."""
        running = await self._running(pair)
        if running is None:
            return None
        current, theme = running
        if now < await self._end(current, pair, theme) - LAST_DAY_MARGIN:
            return Cadence.DAILY
        return None

    async def pairs_in_weeks(self, pair_ids: list[int]) -> set[int]:
        """`ThemedWeeks.pairs_in_weeks`: which of a batch of pairs may have a day planned."""
        return await store.pairs_in_weeks(self.db, pair_ids)

    # Timed activities ----------------------------------------------------------------------
    def timed_prompt(self, prompt_id: str) -> Prompt | None:
        prompt = self.library.prompt(prompt_id)
        if (
            prompt is None
            or prompt.kind is not Kind.ACTIVITY
            or prompt.category not in TIMED
            or not prompt.minutes
        ):
            return None
        return prompt

    async def press_start(self, instance_id: int, user_id: int) -> str:
        """A member pressed Start; returns what they read (ephemeral)."""
        instance = await instance_store.get_instance(self.db, instance_id)
        pair = await pair_store.get_pair(self.db, instance.pair_id) if instance else None
        if instance is None or pair is None or user_id not in pair.member_ids:
            raise UserFacingError("That prompt isn't one of yours.")
        prompt = self.timed_prompt(instance.prompt_id)
        if instance.challenge_id is None or prompt is None or prompt.minutes is None:
            raise UserFacingError(copy.NOT_TIMED_TEXT)
        members = sorted(await instance_store.member_states(self.db, instance.id))
        already = await store.presses(self.db, instance.id)
        if set(members) <= set(already):
            return copy.TIMER_RUNNING_TEXT
        if pair.status == PairState.ENDED or instance.status != InstanceStatus.OPEN:
            raise UserFacingError(CLOSED)
        now = self.now()
        names = await self.prompting.names_of(pair.member_ids)
        async with self.db.transaction() as conn:
            fresh = await store.press_start(conn, instance.id, user_id, now)
            pressed = await store.presses(conn, instance.id)
            waiting = [m for m in members if m not in pressed]
            if waiting:
                if not fresh:
                    return (
                        f"You've already pressed Start. {copy.waiting_text(_names(names, waiting))}"
                    )
                await outbox_store.insert_deliveries(
                    conn, await self._heads_ups(instance.id, pair, waiting, names, prompt), now
                )
            else:
                await self._start_timer(conn, instance.id, pair, members, names, prompt, now)
        if waiting:
            self.wake()
            return copy.waiting_text(_names(names, waiting))
        # Both pressed Start: they're doing it, so the activity counts as done for everyone
        # (and closes, like two "We did it" presses would).
        for uid in members:
            await instance_store.set_member_state(self.db, instance.id, uid, MemberState.DONE, now)
        await self.answers.settle(instance, pair)
        self.wake()
        return copy.BOTH_IN_TEXT

    async def _heads_ups(
        self,
        instance_id: int,
        pair: PairRow,
        waiting: list[int],
        names: dict[int, str],
        prompt: Prompt,
    ) -> list[NewDelivery]:
        pressed_by = [m for m in pair.member_ids if m not in waiting]
        who = copy.names(_names(names, pressed_by))
        out = []
        for uid in waiting:
            # Never before their own copy of the activity: a heads-up about a prompt they
            # haven't seen yet (a partner in an earlier time zone) would only confuse.
            received = await store.prompt_due(self.db, instance_id, uid)
            due = max(self.now(), received) if received else self.now()
            out.append(
                NewDelivery(
                    dedupe_key=f"timer-heads-up:{instance_id}:{uid}",
                    kind="notice",
                    due_at=due,
                    user_id=uid,
                    pair_id=pair.id,
                    payload=dict(copy.heads_up_message(who, prompt.minutes or 0)),
                )
            )
        return out

    async def _start_timer(
        self,
        conn: Tx,
        instance_id: int,
        pair: PairRow,
        members: list[int],
        names: dict[int, str],
        prompt: Prompt,
        now: datetime,
    ) -> None:
        minutes = prompt.minutes or 0
        question = checkin_question(prompt, CHECKIN_FALLBACK)
        # The activity's own check-in instance: the next-day check-in producer sees it and
        # stays quiet, and its delivery key is the one that producer would use.
        key = checkin_key(instance_id)
        checkin_id = await self.prompting.open_checkin(
            conn, pair, instance_id, prompt, question, members, now
        )
        deliveries = []
        for uid in members:
            deliveries.append(
                NewDelivery(
                    dedupe_key=f"timer-start:{instance_id}:{uid}",
                    kind="notice",
                    due_at=now,
                    user_id=uid,
                    pair_id=pair.id,
                    payload=dict(copy.timer_started_message(minutes)),
                )
            )
            deliveries.append(
                self.prompting.delivery_for(
                    question,
                    pair=pair,
                    instance_id=checkin_id,
                    user_id=uid,
                    key=key,
                    due=now + timedelta(minutes=minutes),
                    names=names,
                    note=copy.TIMER_NOTE,
                )
            )
        await outbox_store.insert_deliveries(conn, deliveries, now)

    # The producer --------------------------------------------------------------------------
    async def tick(self, now: datetime) -> int:
        """Producer: enrol circle groups formed mid-week, then end weeks that are over."""
        queued = 0
        rows = await store.active_rows(self.db)
        for row in rows:
            try:
                if row.is_parent:
                    queued += await self._enrol_late(row, now)
                else:
                    queued += await self._maybe_finish(row, now)
            except Exception:
                log.exception("challenge tick failed", extra={"challenge_id": row.id})
        for row in rows:
            if row.is_parent:
                try:
                    queued += await self._maybe_finish_parent(row, now)
                except Exception:
                    log.exception("challenge notice failed", extra={"challenge_id": row.id})
        return queued

    async def _enrol_late(self, parent: ChallengeRow, now: datetime) -> int:
        theme = self.library.challenge(parent.theme_id)
        circle = await circle_store.get_circle(self.db, parent.circle_id or 0)
        if theme is None or circle is None:
            return 0
        tomorrow = local_date(now, parse_zone(circle.timezone)) + timedelta(days=1)
        from_day = (tomorrow - parent.starts_on).days + 1
        if from_day > len(theme.days):
            return 0
        seen = {c.pair_id for c in await store.children_of(self.db, parent)}
        added = 0
        for group in await circle_store.live_groups(self.db, circle.id):
            if group.id in seen:
                continue
            pair = await pair_store.get_pair(self.db, group.id)
            if pair is None or pair.status == PairState.ENDED:
                continue
            async with self.db.transaction() as conn:
                if await store.active_for_pair(conn, pair.id) is not None:
                    continue
                child_id = await store.insert(
                    conn,
                    guild_id=parent.guild_id,
                    pair_id=pair.id,
                    circle_id=circle.id,
                    theme_id=theme.id,
                    starts_on=parent.starts_on,
                    started_by=parent.started_by,
                    now=now,
                )
            added += await self._welcome(child_id, pair, theme, circle.name, max(from_day, 1))
        return added

    async def _welcome(
        self, child_id: int, pair: PairRow, theme: Challenge, circle: str, from_day: int
    ) -> int:
        row = await store.get(self.db, child_id)
        if row is None:
            return 0
        first = await self._first_day(row, pair)
        if pair.status == PairState.ACTIVE:
            await self._pull_in(pair, first)
        return await self._notify(
            list(pair.member_ids),
            f"challenge-circle:{child_id}",
            pair.id,
            copy.circle_started_message(theme, circle, from_day),
        )

    async def _maybe_finish(self, row: ChallengeRow, now: datetime) -> int:
        pair = await pair_store.get_pair(self.db, row.pair_id or 0)
        theme = self.library.challenge(row.theme_id)
        if pair is None or theme is None or pair.status == PairState.ENDED:
            # Nobody to tell: an ended pair sends nothing more.
            async with self.db.transaction() as conn:
                await store.finish(conn, row.id, ChallengeStatus.STOPPED, now)
            return 0
        if now < await self._end(row, pair, theme):
            return 0
        days = await store.days_of(self.db, row.id)
        deliveries = await self._recaps(row, pair, theme, days, now)
        return await self._finish_with(row.id, deliveries, now)

    async def _recaps(
        self, row: ChallengeRow, pair: PairRow, theme: Challenge, days: list[DayRow], now: datetime
    ) -> list[NewDelivery]:
        together = sum(1 for d in days if d.all_took_part)
        categories: list[Category] = []
        for d in days:
            if d.anyone_took_part and d.category not in categories:
                categories.append(d.category)
        by_instance = {d.instance_id: d for d in days}
        notes = await store.revealed_answers(self.db, row.id, Category.GRATITUDE)
        names = await self.prompting.names_of(pair.member_ids)
        members = await member_store.get_members(self.db, list(pair.member_ids))
        out = []
        for reader in pair.member_ids:
            # Only prompts this reader answered: those are the reveals they received.
            mine = [
                (names.get(author, "your partner"), text)
                for iid, author, text in notes
                if by_instance[iid].states.get(reader) == MemberState.ANSWERED
            ]
            payload = copy.recap_message(
                theme,
                days_together=together,
                days_any=sum(1 for d in days if d.anyone_took_part),
                group=len(pair.member_ids) > 2,
                categories=categories,
                notes=mine,
                own_notes=[text for _, author, text in notes if author == reader],
            )
            member = members.get(reader)
            due = move_out_of_quiet(now, zone_of(member, self.default_zone), quiet_of(member))
            out.append(
                NewDelivery(
                    dedupe_key=f"challenge-recap:{row.id}:{reader}",
                    kind="notice",
                    due_at=due,
                    user_id=reader,
                    pair_id=pair.id,
                    payload=dict(payload),
                )
            )
        return out

    async def _maybe_finish_parent(self, parent: ChallengeRow, now: datetime) -> int:
        theme = self.library.challenge(parent.theme_id)
        circle = await circle_store.get_circle(self.db, parent.circle_id or 0)
        if theme is None or circle is None:
            async with self.db.transaction() as conn:
                await store.finish(conn, parent.id, ChallengeStatus.STOPPED, now)
            return 0
        zone = parse_zone(circle.timezone)
        last = parent.starts_on + timedelta(days=len(theme.days))
        end = local_slot(last, parse_hhmm(circle.local_time), zone) or _midnight(last, now)
        children = await store.children_of(self.db, parent)
        if now < end or any(c.status == ChallengeStatus.ACTIVE for c in children):
            return 0
        pairs = trios = days_total = 0
        for child in children:
            days = await store.days_of(self.db, child.id)
            if not days:
                continue  # joined too late to get a single day: not "taking part"
            size = max(len(d.states) for d in days)
            trios += size > 2
            pairs += size <= 2
            days_total += sum(1 for d in days if d.all_took_part)
        channel = await guild_store.get_announce_channel(self.db, parent.guild_id)
        deliveries = []
        if channel is not None and (pairs or trios):
            deliveries.append(
                NewDelivery(
                    dedupe_key=f"challenge-notice:{parent.id}",
                    kind="challenge_notice",
                    due_at=now,
                    channel_id=channel,
                    payload=dict(copy.circle_notice(theme, circle.name, pairs, trios, days_total)),
                )
            )
        return await self._finish_with(parent.id, deliveries, now)

    # Helpers -------------------------------------------------------------------------------
    async def _finish_with(
        self, challenge_id: int, deliveries: list[NewDelivery], now: datetime
    ) -> int:
        """Mark a week done and queue its closing messages in one transaction. The status
        change is the claim: a second tick finds the row done and sends nothing."""
        async with self.db.transaction() as conn:
            if not await store.finish(conn, challenge_id, ChallengeStatus.DONE, now):
                return 0
            added = await outbox_store.insert_deliveries(conn, deliveries, now)
        self.wake()
        return added

    async def _notify(
        self, user_ids: list[int], key: str, pair_id: int, payload: MessagePayload
    ) -> int:
        now = self.now()
        rows = outbox_store.notices(user_ids, key, payload, now, pair_id=pair_id)
        added = await outbox_store.enqueue(self.db, rows, now)
        self.wake()
        return added

    async def _latest_local_date(self, user_ids: tuple[int, ...], instant: datetime) -> date:
        members = await member_store.get_members(self.db, list(user_ids))
        return max(
            local_date(instant, zone_of(members.get(uid), self.default_zone)) for uid in user_ids
        )

    async def _tomorrow(self, user_ids: tuple[int, ...], now: datetime) -> date:
        """Day 1: the first date that is tomorrow or later for every member."""
        return await self._latest_local_date(user_ids, now) + timedelta(days=1)

    async def _first_day(self, row: ChallengeRow, pair: PairRow) -> date:
        joined = await self._latest_local_date(pair.member_ids, row.created_at)
        return max(row.starts_on, joined + timedelta(days=1))

    async def _day_today(self, row: ChallengeRow, user_id: int) -> int | None:
        member = await member_store.get_member(self.db, user_id)
        today = local_date(self.now(), zone_of(member, self.default_zone))
        day = (today - row.starts_on).days + 1
        return day if day >= 1 else None

    async def _end(self, row: ChallengeRow, pair: PairRow, theme: Challenge) -> datetime:
        """When the week is over: a little before the latest member's slot on the day after the
        last day, so the last day has had most of a day to be answered."""
        after_last = row.starts_on + timedelta(days=len(theme.days))
        at = parse_hhmm(pair.local_time)
        members = await member_store.get_members(self.db, list(pair.member_ids))
        ends = []
        for uid in pair.member_ids:
            zone = zone_of(members.get(uid), self.default_zone)
            ends.append(local_slot(after_last, at, zone) or _midnight(after_last, self.now()))
        return max(ends) - RECAP_LEAD

    async def _pull_in(self, pair: PairRow, first_day: date) -> None:
        """Move a member's next slot forward to day 1 when their cadence would skip past it.

        A slot before day 1 is left alone (it is a normal prompt, and after it the daily
        override takes over); nothing is ever moved later.
        """
        now = self.now()
        at = parse_hhmm(pair.local_time)
        members = await member_store.get_members(self.db, list(pair.member_ids))
        moves = []
        for item in await outbox_store.schedules_of_pair(self.db, pair.id):
            if item.day <= first_day:
                continue
            member = members.get(item.user_id)
            zone = zone_of(member, self.default_zone)
            slot = local_slot(first_day, at, zone)
            if slot is None:
                continue
            due = move_out_of_quiet(slot, zone, quiet_of(member))
            if due > now:
                moves.append((item.user_id, due))
        if moves:
            async with self.db.transaction() as conn:
                for uid, due in moves:
                    await outbox_store.upsert_schedule(conn, pair.id, uid, due, first_day)


def _names(names: dict[int, str], user_ids: list[int]) -> list[str]:
    return [names.get(uid, "your partner") for uid in user_ids]


def _midnight(day: date, now: datetime) -> datetime:
    # Only for a date a zone skipped entirely (e.g. Pacific/Apia 2011): any instant that day will
    # do, UTC midnight is as good as another.
    return datetime.combine(day, time(0), tzinfo=now.tzinfo)
