"""Which prompt a pair gets, the prompt delivery every feature sends, and `/prompt now|skip`.

Both partners receive the same instance (one per pair per slot date); each gets it at their own
local time. Turning due schedule rows into these deliveries is `bot.services.materialise`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.core.cadence import TOO_LATE, local_date
from bot.core.models import (
    Category,
    ChallengeDay,
    InstanceStatus,
    Kind,
    Library,
    PairState,
    Prompt,
)
from bot.core.prompts import SelectionContext, choose_prompt
from bot.errors import UserFacingError
from bot.services.schedule import quiet_until, zone_of
from bot.storage import instances as instance_store
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.db import Database, Tx
from bot.storage.outbox import NewDelivery
from bot.storage.pairs import PairRow
from bot.ui import messages


@dataclass(frozen=True)
class PlannedDay:
    """Today's page of a themed week for a pair (see the challenges service)."""

    challenge_id: int
    day: ChallengeDay
    note: str
    note_without_title: str = ""
    # Activities in these categories get a Start button (a timed together-activity). Decided per
    # prompt, not per day: a day naming a category may turn out to be a question.
    timed: frozenset[Category] = frozenset()


def planned_note(planned: PlannedDay | None, prompt: Prompt) -> str | None:
    """The day's note; without its title when a lighter prompt of the day's category replaced
    its named prompt. A declared stand-in keeps the title: it was chosen to fit it."""
    if planned is None:
        return None
    stand_in = planned.day.prompt_id is not None and prompt.id not in (
        planned.day.prompt_id,
        planned.day.stand_in_id,
    )
    return planned.note_without_title or planned.note if stand_in else planned.note


def checkin_key(activity_id: int) -> str:
    """The slot of an activity's check-in: the next-day check-in and a timed activity's timer
    share it, so whichever comes first creates the instance and the other finds it."""
    return f"checkin:{activity_id}"


def checkin_question(activity: Prompt, fallback: str = "") -> Prompt:
    """An activity's "how did it go?" asked as a question of its own."""
    return dataclasses.replace(
        activity,
        kind=Kind.QUESTION,
        text=activity.follow_up or fallback,
        minutes=None,
        follow_up=None,
    )


@dataclass(frozen=True)
class Prompting:
    """What every feature that sends a prompt shares: choosing one for a pair, the members'
    names, and the delivery row of a prompt. Built first; the producer that turns due slots
    into prompts is `bot.services.materialise.Materialiser`."""

    db: Database
    library: Library
    default_zone: str

    async def choose_for(self, pair: PairRow, planned: PlannedDay | None = None) -> Prompt | None:
        history = await instance_store.pair_history(self.db, pair.id)
        ctx = SelectionContext(
            relationship=pair.relationship,
            depth=pair.depth,
            muted=await pair_store.muted_topics(self.db, pair.id),
            sent=history,
            answered_elsewhere=await instance_store.answered_elsewhere(
                self.db, pair.id, pair.member_ids
            ),
            challenge_day=planned.day if planned else None,
        )
        return choose_prompt(self.library.prompts, ctx, pair.seed + len(history))

    async def names_of(self, user_ids: tuple[int, ...]) -> dict[int, str]:
        rows = await member_store.get_members(self.db, list(user_ids))
        return {
            uid: (rows[uid].display_name if uid in rows else "") or "your partner"
            for uid in user_ids
        }

    async def open_for_pair(
        self,
        conn: Tx,
        pair: PairRow,
        key: str,
        prompt: Prompt,
        now: datetime,
        *,
        held: frozenset[int] = frozenset(),
        planned: PlannedDay | None = None,
    ) -> int:
        """The pair's instance of `prompt` for slot `key`, for every member; those in `held`
        start held back (see `instance_store.create_instance`)."""
        return await instance_store.create_instance(
            conn,
            pair_id=pair.id,
            slot_key=key,
            prompt=prompt,
            member_ids=pair.member_ids,
            now=now,
            held=held,
            challenge_id=planned.challenge_id if planned else None,
            challenge_day=planned.day.day if planned else None,
        )

    async def open_checkin(
        self,
        conn: Tx,
        pair: PairRow,
        activity_id: int,
        activity: Prompt,
        question: Prompt,
        members: Iterable[int],
        now: datetime,
    ) -> int:
        """The check-in instance of an activity, only for `members`: those who got the
        activity (anyone else would stay open on it and hold back the reveal)."""
        return await instance_store.create_instance(
            conn,
            pair_id=pair.id,
            slot_key=checkin_key(activity_id),
            prompt=activity,
            kind=Kind.QUESTION,
            member_ids=tuple(members),
            now=now,
            text=question.text,
        )

    def delivery_for(
        self,
        prompt: Prompt,
        *,
        pair: PairRow,
        instance_id: int,
        user_id: int,
        key: str,
        due: datetime,
        names: dict[int, str],
        note: str | None = None,
        start: bool = False,
    ) -> NewDelivery:
        partners = [names[m] for m in pair.partners_of(user_id)]
        return NewDelivery(
            dedupe_key=f"prompt:{pair.id}:{user_id}:{key}",
            kind="prompt",
            due_at=due,
            user_id=user_id,
            pair_id=pair.id,
            instance_id=instance_id,
            payload=dict(
                messages.prompt_message(
                    prompt,
                    instance_id=instance_id,
                    user_id=user_id,
                    partners=partners,
                    note=note,
                    start=start,
                )
            ),
            stale_after=due + TOO_LATE,
        )


# How many `/prompt now` a pair can have in one local day of the member asking.
NOW_PER_DAY = 3


@dataclass(frozen=True)
class SentNow:
    prompt: Prompt
    # Partners in their quiet hours, and when it will reach them.
    waits: dict[int, datetime]


@dataclass
class PromptCommands:
    """`/prompt now` and `/prompt skip`: on-demand work that goes through the same outbox."""

    db: Database
    prompting: Prompting
    now: Callable[[], datetime]
    wake: Callable[[], None]

    async def send_now(self, pair: PairRow, requested_by: int | None = None) -> SentNow:
        """A prompt for the pair now: at most `NOW_PER_DAY` a local day of the one asking, so
        nobody's DMs fill up. Says when a partner in quiet hours will get it."""
        if pair.status != PairState.ACTIVE:
            raise UserFacingError("Your prompts are paused. Use /pair resume first.")
        now = self.now()
        if requested_by is not None:
            member = await member_store.get_member(self.db, requested_by)
            zone = zone_of(member, self.prompting.default_zone)
            local_midnight = datetime.combine(local_date(now, zone), time(0), zone)
            used = await instance_store.count_on_demand_since(self.db, pair.id, local_midnight)
            if used >= NOW_PER_DAY:
                opens = local_midnight + timedelta(days=1)
                raise UserFacingError(
                    f"That's {NOW_PER_DAY} extra prompts for this pair today, the most there "
                    f"can be. You can ask again from <t:{int(opens.timestamp())}:t> "
                    "(your time); your usual prompt still comes as planned."
                )
        prompt = await self.prompting.choose_for(pair)
        if prompt is None:
            raise UserFacingError(
                "Every topic is muted for this pair, so there's nothing to send. "
                "Turn one back on with /pair topics."
            )
        await self.deliver(pair, prompt, requested_by)
        rows = await member_store.get_members(self.db, list(pair.member_ids))
        waits = {
            uid: until
            for uid in pair.member_ids
            if uid != requested_by
            and (until := quiet_until(rows.get(uid), self.prompting.default_zone, now))
        }
        return SentNow(prompt, waits)

    async def deliver(self, pair: PairRow, prompt: Prompt, requested_by: int | None = None) -> int:
        """Give the pair this prompt now, to each member not held back. Returns the instance."""
        now = self.now()
        key = f"now:{await instance_store.count_instances(self.db, pair.id)}:{int(now.timestamp())}"
        names = await self.prompting.names_of(pair.member_ids)
        # Someone who went quiet is not sent prompts until they choose a pace, even on demand;
        # asking for one yourself is an answer of sorts, so the requester always gets it.
        held = await instance_store.held_members(self.db, pair.id) - {requested_by}
        async with self.db.transaction() as conn:
            instance_id = await self.prompting.open_for_pair(
                conn, pair, key, prompt, now, held=frozenset(m for m in held if m is not None)
            )
            await outbox_store.insert_deliveries(
                conn,
                [
                    self.prompting.delivery_for(
                        prompt,
                        pair=pair,
                        instance_id=instance_id,
                        user_id=uid,
                        key=key,
                        due=now,
                        names=names,
                    )
                    for uid in pair.member_ids
                    if uid not in held
                ],
                now,
            )
        self.wake()
        return instance_id

    async def skip_open(self, pair: PairRow) -> int:
        open_now = await instance_store.open_instances(self.db, pair.id)
        if not open_now:
            raise UserFacingError("There's no open prompt to skip right now.")
        for instance in open_now:
            await instance_store.close_instance(
                self.db, instance.id, InstanceStatus.SKIPPED, self.now()
            )
        return len(open_now)
