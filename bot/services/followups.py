"""Following up gently: one nudge, the day-after check-in, going quiet, depth offers, history.

Producers here only insert rows (the outbox sends them). The rules, from the voice guide:

* **One nudge** per member per prompt, once `NUDGE_AFTER` has passed since it was delivered and
  they are still open on it; never for activities (they get a check-in) or reflections (a note
  to oneself is not homework). It waits out quiet hours.
* **Check-in**: the day after an activity, at `CHECKIN_AT` local time (out of quiet hours), each
  member who received it gets its `follow_up` as a question instance of its own
  (`slot_key = checkin:<activity instance>`), so answering, Later, nudges and the reveal all work
  as for any question. Skipped only when everyone said "Not this time".
  10:00 rather than the pair's slot time: a daily pair's next prompt arrives at the slot time,
  and two DMs at once would bury the check-in.
* **Going quiet**: when a member's next slot comes and their last three delivered prompts in the
  pair are all unanswered, that slot is held (pace 'held') and they are asked once how they'd
  like prompts to come. No choice in 7 days means weekly. Partners hear only that the pace
  changed, never why or whose.
* **Depth offer**: after 5 revealed prompts at the pair's tier, everyone is asked "Go a little
  deeper?" once per tier (the delivery's dedupe key is the once). A member who answered "Not
  yet" is asked again at the first reveal `OFFER_AGAIN_AFTER` (4 weeks) later, and again
  4 weeks after each further "Not yet"; a yes stands and is never asked again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.core.cadence import local_date, local_slot, move_out_of_quiet
from bot.core.models import InstanceStatus, Library, MemberState, Pace, PairState
from bot.errors import UserFacingError
from bot.services.answers import instance_text
from bot.services.prompting import Prompting, checkin_key, checkin_question
from bot.services.schedule import quiet_of, zone_of
from bot.storage import followups as store
from bot.storage import instances as instance_store
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.db import Database
from bot.storage.instances import InstanceRow
from bot.storage.outbox import NewDelivery
from bot.storage.pairs import PairRow
from bot.ui import history as history_ui
from bot.ui import messages
from bot.ui.payload import MessagePayload

log = logging.getLogger(__name__)

# A prompt delivered longer ago than NUDGE_AFTER + this is too old to nudge about (e.g. the day
# this feature is deployed, or after long downtime): a nudge about last month's question is noise.
NUDGE_WINDOW = timedelta(days=2)
NUDGE_BATCH = 200
CHECKIN_AT = time(10, 0)
CHECKIN_WINDOW = timedelta(days=3)
MISSED_IN_A_ROW = 3
ASK_TIMEOUT = timedelta(days=7)
PAUSE_FOR = timedelta(days=14)
# "Weekly" for a member of a daily pair: a slot is sent only when their last prompt in the pair
# was at least this long ago (6½ days, so a slot drifting by DST or quiet hours still fits).
WEEKLY_GAP = timedelta(days=6, hours=12)
REVEALS_PER_TIER = 5
# "Not yet" to going deeper is an answer for now, not forever; the voice guide's "gently".
OFFER_AGAIN_AFTER = timedelta(weeks=4)

PACE_CHOICES = ("weekly", "pause", "keep")
# A pause is the pair's status, not a pace: pausing keeps (or restores) the normal pace.
_PACE_FOR_CHOICE = {"weekly": Pace.WEEKLY, "pause": Pace.NORMAL, "keep": Pace.NORMAL}


@dataclass(frozen=True)
class HistoryPage:
    payload: MessagePayload
    page: int
    pages: int


@dataclass
class FollowUps:
    db: Database
    library: Library
    prompting: Prompting
    default_zone: str
    nudge_after: timedelta
    now: Callable[[], datetime]
    wake: Callable[[], None]

    def text_of(self, instance: InstanceRow) -> str:
        return instance_text(self.library, instance)

    async def _out_of_quiet(self, user_id: int, when: datetime) -> datetime:
        member = await member_store.get_member(self.db, user_id)
        return move_out_of_quiet(when, zone_of(member, self.default_zone), quiet_of(member))

    # Nudges --------------------------------------------------------------------------------
    async def nudges(self, now: datetime) -> int:
        """Producer: queue the one gentle nudge for everyone who is due one."""
        queued = 0
        candidates = await store.nudge_candidates(
            self.db, now - self.nudge_after, now - self.nudge_after - NUDGE_WINDOW, NUDGE_BATCH
        )
        for c in candidates:
            instance = await instance_store.get_instance(self.db, c.instance_id)
            pair = await pair_store.get_pair(self.db, c.pair_id)
            if instance is None or pair is None:
                continue
            pace = await store.pace_of(self.db, pair.id, c.user_id)
            if pace is not None and pace.pace != Pace.NORMAL:
                # They chose (or are being asked about) a slower pace: a "yours is here"
                # reminder would undo the point of it. Marked, so it is not considered again.
                async with self.db.transaction() as conn:
                    await store.mark_nudged(conn, instance.id, c.user_id, now)
                continue
            states = await instance_store.member_states(self.db, instance.id)
            names = await self.prompting.names_of(pair.member_ids)
            answered_by = [
                names[m]
                for m in pair.partners_of(c.user_id)
                if states.get(m) == MemberState.ANSWERED
            ]
            payload = messages.nudge_message(
                self.text_of(instance),
                instance_id=instance.id,
                user_id=c.user_id,
                answered_by=answered_by,
            )
            due = await self._out_of_quiet(c.user_id, now)
            async with self.db.transaction() as conn:
                # nudged_at and the dedupe key both say "once"; the UPDATE is the claim.
                if not await store.mark_nudged(conn, instance.id, c.user_id, now):
                    continue
                queued += await outbox_store.insert_deliveries(
                    conn,
                    [
                        NewDelivery(
                            dedupe_key=f"nudge:{instance.id}:{c.user_id}",
                            kind="nudge",
                            due_at=due,
                            user_id=c.user_id,
                            pair_id=pair.id,
                            instance_id=instance.id,
                            payload=dict(payload),
                        )
                    ],
                    now,
                )
        return queued

    # Activity check-ins --------------------------------------------------------------------
    async def checkins(self, now: datetime) -> int:
        """Producer: the day after an activity, its follow_up question for each member."""
        queued = 0
        for activity_id in await store.activities_without_checkin(self.db, now - CHECKIN_WINDOW):
            try:
                queued += await self._checkin(activity_id, now)
            except Exception:
                log.exception("check-in failed", extra={"instance_id": activity_id})
        return queued

    async def _checkin(self, activity_id: int, now: datetime) -> int:
        activity = await instance_store.get_instance(self.db, activity_id)
        if activity is None:
            return 0
        prompt = self.library.prompt(activity.prompt_id)
        pair = await pair_store.get_pair(self.db, activity.pair_id)
        if (
            prompt is None
            or not prompt.follow_up
            or pair is None
            or pair.status != PairState.ACTIVE
        ):
            return 0
        states = await instance_store.member_states(self.db, activity.id)
        if states and all(s == MemberState.NOT_THIS_TIME for s in states.values()):
            return 0  # "how did it go?" after everyone said it didn't would sting a little
        received = await store.prompt_deliveries_of(self.db, activity.id)
        dues: dict[int, datetime] = {}
        for uid, sent_due in received.items():
            if uid not in pair.member_ids:
                continue
            pace = await store.pace_of(self.db, pair.id, uid)
            if pace is not None and pace.pace == Pace.HELD:
                continue
            member = await member_store.get_member(self.db, uid)
            zone = zone_of(member, self.default_zone)
            next_day = local_date(sent_due, zone) + timedelta(days=1)
            at = local_slot(next_day, CHECKIN_AT, zone) or sent_due + timedelta(days=1)
            dues[uid] = move_out_of_quiet(at, zone, quiet_of(member))
        if not dues or min(dues.values()) > now:
            return 0
        question = checkin_question(prompt)
        names = await self.prompting.names_of(pair.member_ids)
        async with self.db.transaction() as conn:
            instance_id = await self.prompting.open_checkin(
                conn, pair, activity.id, prompt, question, sorted(dues), now
            )
            deliveries = [
                self.prompting.delivery_for(
                    question,
                    pair=pair,
                    instance_id=instance_id,
                    user_id=uid,
                    key=checkin_key(activity.id),
                    due=max(due, now),
                    names=names,
                    note=messages.CHECKIN_NOTE,
                )
                for uid, due in sorted(dues.items())
            ]
            added = await outbox_store.insert_deliveries(conn, deliveries, now)
        return added

    # Going quiet ---------------------------------------------------------------------------
    async def may_hold(self, keys: list[tuple[int, int]], now: datetime) -> set[tuple[int, int]]:
        """`GoingQuiet.may_hold`: of a batch of due (pair, member) slots, those `hold` might
        hold back; only these are asked one by one."""
        return await store.quiet_candidates(self.db, keys, MISSED_IN_A_ROW)

    async def hold(self, pair: PairRow, user_id: int, now: datetime) -> bool:
        """Asked by `Materialiser.materialise` before sending a member's slot: True = don't send."""
        pace = await store.pace_of(self.db, pair.id, user_id)
        if pace is None:
            return False
        if pace.pace == Pace.HELD:
            return True
        if pace.pace == Pace.WEEKLY:
            last = await store.last_prompt_due(self.db, pair.id, user_id)
            return last is not None and now - last < WEEKLY_GAP
        recent = await store.recent_prompt_states(
            self.db, pair.id, user_id, pace.changed_at, MISSED_IN_A_ROW
        )
        if len(recent) < MISSED_IN_A_ROW or any(state != MemberState.OPEN for state in recent):
            return False
        names = await self.prompting.names_of(pair.member_ids)
        payload = messages.pace_ask_message(
            pair.id, user_id, [names[m] for m in pair.partners_of(user_id)]
        )
        due = await self._out_of_quiet(user_id, now)
        async with self.db.transaction() as conn:
            if await store.hold(conn, pair.id, user_id, now):
                await outbox_store.insert_deliveries(
                    conn,
                    [
                        NewDelivery(
                            dedupe_key=f"pace-ask:{pair.id}:{user_id}:{int(now.timestamp())}",
                            kind="notice",
                            due_at=due,
                            user_id=user_id,
                            pair_id=pair.id,
                            payload=dict(payload),
                        )
                    ],
                    now,
                )
        return True

    async def pace_defaults(self, now: datetime) -> int:
        """Producer: a pace question left unanswered for 7 days settles on weekly."""
        settled = 0
        for pair_id, user_id in await store.unanswered_asks(self.db, now - ASK_TIMEOUT):
            pair = await pair_store.get_pair(self.db, pair_id)
            if pair is None:
                continue
            async with self.db.transaction() as conn:
                await store.set_pace(conn, pair_id, user_id, Pace.WEEKLY, now)
            await self._tell(
                [user_id],
                f"pace-default:{pair_id}:{int(now.timestamp())}",
                pair,
                now,
                messages.pace_default_message(),
                wake=False,
            )
            await self._pace_changed(pair, user_id, now, wake=False)
            settled += 1
        return settled

    async def choose_pace(self, pair_id: int, user_id: int, choice: str) -> str:
        """A press on Weekly instead / Pause two weeks / Keep going. Returns the reply text."""
        if choice not in PACE_CHOICES:
            raise UserFacingError("That choice isn't available.")
        pair = await pair_store.get_pair(self.db, pair_id)
        if pair is None or user_id not in pair.member_ids:
            raise UserFacingError("That question isn't one of yours.")
        if pair.status == PairState.ENDED:
            raise UserFacingError("This pair has ended, so there's no pace to choose.")
        pace = await store.pace_of(self.db, pair_id, user_id)
        if pace is None or pace.asked_at is None:
            raise UserFacingError("There's no pace question waiting for you here.")
        now = self.now()
        new = _PACE_FOR_CHOICE[choice]
        async with self.db.transaction() as conn:
            await store.set_pace(conn, pair_id, user_id, new, now)
        if choice == "pause":
            until = now + PAUSE_FOR
            if pair.paused_until is None or pair.paused_until < until:
                await pair_store.set_status(
                    self.db, pair.id, PairState.PAUSED, now, paused_until=until, paused_by=user_id
                )
        await member_store.clear_unreachable(self.db, user_id)
        # Partners notice a pause and a move to or from weekly; coming back from 'held' to
        # normal changes nothing they were ever told about.
        if choice == "pause" or (new != pace.pace and Pace.WEEKLY in (new, pace.pace)):
            await self._pace_changed(pair, user_id, now)
        return messages.PACE_CHOSEN[choice]

    async def _pace_changed(
        self, pair: PairRow, user_id: int, now: datetime, *, wake: bool = True
    ) -> None:
        await self._tell(
            list(pair.partners_of(user_id)),
            f"pace-changed:{pair.id}:{int(now.timestamp())}",
            pair,
            now,
            messages.pace_changed_message(),
            wake=wake,
        )

    async def _tell(
        self,
        user_ids: list[int],
        key: str,
        pair: PairRow,
        now: datetime,
        payload: MessagePayload,
        *,
        wake: bool = True,
    ) -> None:
        deliveries = [
            NewDelivery(
                dedupe_key=f"{key}:{uid}",
                kind="notice",
                due_at=await self._out_of_quiet(uid, now),
                user_id=uid,
                pair_id=pair.id,
                payload=dict(payload),
            )
            for uid in user_ids
        ]
        await outbox_store.enqueue(self.db, deliveries, now)
        # A producer must not wake the ticker: the tick that ran it drains the outbox next
        # anyway, and a wake from every pass could keep the ticker spinning.
        if wake:
            self.wake()

    # Depth offers --------------------------------------------------------------------------
    async def offer_deeper(self, pair: PairRow) -> None:
        """After a reveal: offer the next tier once 5 prompts at this tier were revealed."""
        deeper = pair.depth.deeper()
        if deeper is None or pair.status != PairState.ACTIVE:
            return
        at_tier = 0
        for prompt_id in await store.revealed_prompt_ids(self.db, pair.id):
            prompt = self.library.prompt(prompt_id)
            at_tier += prompt is not None and prompt.depth is pair.depth
        if at_tier < REVEALS_PER_TIER:
            return
        now = self.now()
        answers = await pair_store.depth_answers(self.db, pair.id, deeper)
        deliveries = []
        for uid in pair.member_ids:
            # The key makes it once per tier (or per "Not yet"), however many reveals follow.
            key = f"deeper-offer:{pair.id}:{deeper.value}:{uid}"
            if uid in answers:
                answer, when = answers[uid]
                if answer == "yes" or now < when + OFFER_AGAIN_AFTER:
                    continue
                key += f":again:{int(when.timestamp())}"
            deliveries.append(
                NewDelivery(
                    dedupe_key=key,
                    kind="notice",
                    due_at=await self._out_of_quiet(uid, now),
                    user_id=uid,
                    pair_id=pair.id,
                    payload=dict(messages.depth_offer_message(pair.id, uid, deeper.value)),
                )
            )
        if deliveries:
            await outbox_store.enqueue(self.db, deliveries, now)
            self.wake()

    # History -------------------------------------------------------------------------------
    async def history(self, user_id: int, page: int) -> HistoryPage:
        # Pages are cut by size so every answer shows whole (bot.ui.history); a member's history
        # is small enough to lay out in full each time.
        total = await store.count_history(self.db, user_id)
        rows = await store.history_page(self.db, user_id, total, 0)
        readable = await store.readable_answers(self.db, user_id, [r.instance_id for r in rows])
        member = await member_store.get_member(self.db, user_id)
        zone = zone_of(member, self.default_zone)
        entries: list[history_ui.Entry] = []
        for row in rows:
            said: list[tuple[str, str]] = []
            for a in readable:
                if a.instance_id != row.instance_id:
                    continue
                text = a.text
                if a.feeling and not text.lower().startswith("i feel"):
                    text = f"*I feel {a.feeling}.* {text}"
                if a.guess:
                    text = f"{text} · *guessed:* {a.guess}"
                if a.why:
                    text = f"{text} — {a.why}"
                said.append(("You" if a.user_id == user_id else a.name, text))
            if not any(who == "You" for who, _ in said) and row.my_state == MemberState.SKIPPED:
                said.insert(0, ("You", "*skipped*"))
            # A revealed prompt had a partner's answer; if none is left, they used /closer forget.
            if row.status == InstanceStatus.REVEALED and all(who == "You" for who, _ in said):
                said.append(("Your partner", messages.REMOVED_ANSWER))
            prompt = self.library.prompt(row.prompt_id)
            prompt_text = row.text or (prompt.text if prompt else "")
            when = row.created_at.astimezone(zone).strftime("%d %b")
            entries.append(history_ui.Entry(when, prompt_text, said))
        payload, shown, pages = history_ui.history_message(entries, page)
        return HistoryPage(payload, shown, pages)
