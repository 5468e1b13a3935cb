"""The prompt producer: turning due schedule rows into prompt deliveries, once per tick.

A slot more than three hours late after downtime is not sent at all: arriving at 3 am is worse
than not arriving. Several missed slots collapse into the latest one.

Two features act inside it, and it receives both when it is built (see `bot.compose`): themed
weeks (`ThemedWeeks`: the day's plan and a daily cadence while a week runs) and going quiet
(`GoingQuiet`: holding back a member's slot). Neither is imported here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.core.cadence import TOO_LATE, Slot, is_cadence_day, latest_slot_at_or_before, parse_hhmm
from bot.core.models import Cadence, Library, PairState, Prompt
from bot.core.prompts import SelectionContext, SentPrompt, choose_prompt
from bot.services.prompting import PlannedDay, Prompting, planned_note
from bot.services.schedule import member_next_slot, quiet_of, zone_of
from bot.storage import instances as instance_store
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.db import Database
from bot.storage.members import MemberRow
from bot.storage.pairs import PairRow

MATERIALISE_BATCH = 250


class ThemedWeeks(Protocol):
    """What the producer asks of themed weeks (`bot.services.challenges.ChallengeService`)."""

    async def plan_day(self, pair: PairRow, slot_day: date) -> PlannedDay | None:
        """Today's page of the pair's week, if it has one."""
        ...

    async def cadence_override(self, pair: PairRow, now: datetime) -> Cadence | None:
        """The cadence in force while a week runs (None: the pair's own)."""
        ...

    async def pairs_in_weeks(self, pair_ids: list[int]) -> set[int]:
        """A superset of the pairs `plan_day` or `cadence_override` may act on: the others are
        prepared together, a batch at a time."""
        ...


class GoingQuiet(Protocol):
    """What the producer asks of follow-ups (`bot.services.followups.FollowUps`)."""

    async def hold(self, pair: PairRow, user_id: int, now: datetime) -> bool:
        """True = don't send this member's slot now (their pace is held or weekly, or they
        just went quiet)."""
        ...

    async def may_hold(self, keys: list[tuple[int, int]], now: datetime) -> set[tuple[int, int]]:
        """A superset of the (pair, member) slots `hold` may hold back; the others are
        prepared together, a batch at a time."""
        ...


@dataclass(frozen=True)
class Materialiser:
    prompting: Prompting
    # None: no themed weeks (or no going quiet) act on the slots.
    weeks: ThemedWeeks | None
    quiet: GoingQuiet | None
    # Told an instance whose member was just held back: it may now be complete (a reveal).
    after_held: Callable[[int], Awaitable[object]] | None

    @property
    def db(self) -> Database:
        return self.prompting.db

    @property
    def library(self) -> Library:
        return self.prompting.library

    @property
    def default_zone(self) -> str:
        return self.prompting.default_zone

    async def materialise(self, now: datetime) -> int:
        """Turn every due schedule row into a delivery (or a quiet skip). Returns rows queued."""
        queued = 0
        while True:
            due = await outbox_store.due_schedules(self.db, now, MATERIALISE_BATCH)
            if not due:
                return queued
            added, one_by_one = await self._materialise_batch(due, now)
            queued += added
            for item in one_by_one:
                queued += await self._materialise_one(item, now)

    async def _special_pairs(
        self, due: list[outbox_store.DueSchedule], pairs: dict[int, PairRow], now: datetime
    ) -> set[int]:
        """Pairs whose due slots need the one-by-one path: not active, or a feature may act."""
        special = {
            d.pair_id
            for d in due
            if (pair := pairs.get(d.pair_id)) is None
            or pair.status != PairState.ACTIVE
            or d.user_id not in pair.member_ids
        }
        live = sorted({d.pair_id for d in due} - special)
        if self.weeks is not None:
            special |= await self.weeks.pairs_in_weeks(live)
        if self.quiet is not None:
            keys = [(d.pair_id, d.user_id) for d in due if d.pair_id not in special]
            special |= {p for p, _ in await self.quiet.may_hold(keys, now)}
        # A partner who went quiet starts an instance as 'held', which only that path does.
        special |= await instance_store.pairs_with_held(
            self.db, sorted({d.pair_id for d in due} - special)
        )
        return special

    async def _materialise_batch(
        self, due: list[outbox_store.DueSchedule], now: datetime
    ) -> tuple[int, list[outbox_store.DueSchedule]]:
        """Prepare the plain slots of a batch with set-based queries and one transaction.

        The same decisions as `_materialise_one`, made for many rows at once; returns the rows
        queued and the due items left for the one-by-one path.
        """
        pairs = await pair_store.get_pairs(self.db, sorted({d.pair_id for d in due}))
        special = await self._special_pairs(due, pairs, now)
        plain = [d for d in due if d.pair_id not in special]
        members = await member_store.get_members(
            self.db, sorted({u for d in plain for u in pairs[d.pair_id].member_ids})
        )
        schedules: list[tuple[int, int, datetime, date]] = []
        wants: dict[tuple[int, str], list[tuple[int, datetime]]] = {}
        next_slots = _SlotMemo(self.default_zone, now)
        for item in plain:
            pair, member = pairs[item.pair_id], members.get(item.user_id)
            following = next_slots.of(pair, member)
            schedules.append((pair.id, item.user_id, following.due, following.day))
            slot_day, slot_due = self._slot_to_send(pair, member, item, now)
            if slot_day is None or slot_due is None or (member and member.unreachable_since):
                continue
            wants.setdefault((pair.id, slot_day.isoformat()), []).append((item.user_id, slot_due))
        prompts = await self._choose_many(pairs, wants)
        names = {
            uid: (members[uid].display_name if uid in members else "") or "your partner"
            for uid in {u for p, _ in prompts for u in pairs[p].member_ids}
        }
        async with self.db.transaction() as conn:
            ids = await instance_store.create_instances(
                conn,
                [
                    instance_store.NewInstance(p, key, prompt, pairs[p].member_ids)
                    for (p, key), prompt in prompts.items()
                ],
                now,
            )
            deliveries = [
                self.prompting.delivery_for(
                    prompt,
                    pair=pairs[p],
                    instance_id=ids[(p, key)],
                    user_id=user_id,
                    key=key,
                    due=slot_due,
                    names=names,
                )
                for (p, key), prompt in prompts.items()
                for user_id, slot_due in wants[(p, key)]
            ]
            added = await outbox_store.insert_deliveries(conn, deliveries, now)
            await outbox_store.upsert_schedules(conn, schedules)
        return added, [d for d in due if d.pair_id in special]

    async def _choose_many(
        self, pairs: dict[int, PairRow], wants: dict[tuple[int, str], list[tuple[int, datetime]]]
    ) -> dict[tuple[int, str], Prompt]:
        """Each slot's prompt: the partner's if their instance exists, else a fresh choice."""
        existing = await instance_store.slot_prompts(self.db, list(wants))
        chosen: dict[tuple[int, str], Prompt] = {}
        fresh: list[tuple[int, str]] = []
        for slot in wants:
            prompt = self.library.prompt(existing[slot]) if slot in existing else None
            if prompt is not None:
                chosen[slot] = prompt
            else:
                fresh.append(slot)
        pair_ids = sorted({p for p, _ in fresh})
        history = await instance_store.histories(self.db, pair_ids)
        muted = await pair_store.muted_topics_of(self.db, pair_ids)
        elsewhere = await instance_store.answered_elsewhere_of(
            self.db, {p: pairs[p].member_ids for p in pair_ids}
        )
        for p, key in fresh:
            pair, sent = pairs[p], history[p]
            ctx = SelectionContext(
                relationship=pair.relationship,
                depth=pair.depth,
                muted=muted.get(p, frozenset()),
                sent=sent,
                answered_elsewhere=elsewhere[p],
                challenge_day=None,
            )
            prompt = choose_prompt(self.library.prompts, ctx, pair.seed + len(sent))
            if prompt is not None:
                chosen[(p, key)] = prompt
                # A second slot of the same pair in this batch sees this one in its history.
                sent.append(SentPrompt(prompt.id, prompt.category))
        return chosen

    async def _materialise_one(self, item: outbox_store.DueSchedule, now: datetime) -> int:
        pair = await pair_store.get_pair(self.db, item.pair_id)
        if pair is None or pair.status == PairState.ENDED or item.user_id not in pair.member_ids:
            async with self.db.transaction() as conn:
                await outbox_store.delete_member_schedule(conn, item.pair_id, item.user_id)
            return 0
        if self.weeks is not None:
            override = await self.weeks.cadence_override(pair, now)
            if override is not None and override is not pair.cadence:
                pair = replace(pair, cadence=override)
        member = await member_store.get_member(self.db, item.user_id)
        resume_from = now
        if pair.status == PairState.PAUSED and pair.paused_until is not None:
            resume_from = max(now, pair.paused_until)
        next_slot = member_next_slot(pair, member, self.default_zone, resume_from)
        slot_day, slot_due = self._slot_to_send(pair, member, item, now)
        held = (
            pair.status == PairState.ACTIVE
            and slot_day is not None
            and self.quiet is not None
            and await self.quiet.hold(pair, item.user_id, now)
        )
        if (
            pair.status != PairState.ACTIVE
            or slot_day is None
            or slot_due is None
            or (member and member.unreachable_since)
            or held
        ):
            async with self.db.transaction() as conn:
                await outbox_store.upsert_schedule(
                    conn, pair.id, item.user_id, next_slot.due, next_slot.day
                )
            if held and slot_day is not None:
                await self._hold_back(pair, item.user_id, slot_day.isoformat(), now)
            return 0
        key = slot_day.isoformat()
        planned = await self.weeks.plan_day(pair, slot_day) if self.weeks is not None else None
        prompt = await self._prompt_for_slot(pair, key, planned)
        if prompt is None:
            async with self.db.transaction() as conn:
                await outbox_store.upsert_schedule(
                    conn, pair.id, item.user_id, next_slot.due, next_slot.day
                )
            return 0
        names = await self.prompting.names_of(pair.member_ids)
        async with self.db.transaction() as conn:
            instance_id = await self.prompting.open_for_pair(
                conn,
                pair,
                key,
                prompt,
                now,
                held=await instance_store.held_members(self.db, pair.id) - {item.user_id},
                planned=planned,
            )
            delivery = self.prompting.delivery_for(
                prompt,
                pair=pair,
                instance_id=instance_id,
                user_id=item.user_id,
                key=key,
                due=slot_due,
                names=names,
                note=planned_note(planned, prompt),
                start=planned is not None and prompt.category in planned.timed,
            )
            added = await outbox_store.insert_deliveries(conn, [delivery], now)
            await outbox_store.upsert_schedule(
                conn, pair.id, item.user_id, next_slot.due, next_slot.day
            )
        return added

    async def _hold_back(self, pair: PairRow, user_id: int, key: str, now: datetime) -> None:
        """A member's slot was held (they went quiet): their partners' instance for the same
        slot must not wait for them, so mark them 'held' on it — creating it if they are first."""
        instance_id = await instance_store.prompt_instance_id(self.db, pair.id, key)
        if instance_id is None:
            prompt = await self.prompting.choose_for(pair)
            if prompt is None:
                return
            async with self.db.transaction() as conn:
                instance_id = await self.prompting.open_for_pair(
                    conn, pair, key, prompt, now, held=frozenset({user_id})
                )
        else:
            changed = await instance_store.mark_held(self.db, instance_id, user_id, now)
            if changed and self.after_held is not None:
                await self.after_held(instance_id)

    def _slot_to_send(
        self, pair: PairRow, member: MemberRow | None, item: outbox_store.DueSchedule, now: datetime
    ) -> tuple[date, datetime] | tuple[None, None]:
        if now - item.due <= TOO_LATE:
            return item.day, item.due
        # Downtime: only the latest missed slot may still go out, and only if it is recent.
        latest = latest_slot_at_or_before(
            now,
            parse_hhmm(pair.local_time),
            zone_of(member, self.default_zone),
            pair.cadence,
            pair.anchor_date,
            quiet_of(member),
        )
        if latest is None or now - latest.due > TOO_LATE:
            return None, None
        return latest.day, latest.due

    async def _prompt_for_slot(
        self, pair: PairRow, key: str, planned: PlannedDay | None
    ) -> Prompt | None:
        """The partner may already have this slot's instance: then it is the same prompt."""
        existing = await instance_store.prompt_for_slot(self.db, pair.id, key)
        if existing is not None:
            prompt = self.library.prompt(existing)
            if prompt is not None:
                return prompt
        return await self.prompting.choose_for(pair, planned)


class _SlotMemo:
    """`member_next_slot` after one instant, for a batch: members due together mostly share a
    local time, zone, cadence and quiet hours, and computing a slot is a millisecond of zone
    arithmetic. A slot depends on the pair's anchor date only through which dates are cadence
    dates, so the key holds those dates rather than the anchor (daily pairs made on different
    days share one entry; weekly ones on different weekdays do not)."""

    WINDOW = 21  # days: more than the slot search looks ahead

    def __init__(self, default_zone: str, after: datetime) -> None:
        self.default_zone = default_zone
        self.after = after
        self.first_day = after.date() - timedelta(days=2)
        self.slots: dict[tuple[object, ...], Slot] = {}

    def of(self, pair: PairRow, member: MemberRow | None) -> Slot:
        quiet = quiet_of(member)
        days = tuple(
            is_cadence_day(self.first_day + timedelta(days=i), pair.cadence, pair.anchor_date)
            for i in range(self.WINDOW)
        )
        key = (pair.local_time, zone_of(member, self.default_zone).key, days, quiet)
        slot = self.slots.get(key)
        if slot is None:
            slot = self.slots[key] = member_next_slot(pair, member, self.default_zone, self.after)
        return slot
