"""Couples by consent: invites, pairing, and a pair's settings (pause, schedule, depth, topics).

Every refusal is a `UserFacingError` whose text the member reads as is, so the wording lives here
with the rule it explains.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.cadence import Slot, format_hhmm, parse_hhmm
from bot.core.models import (
    CHOSEN_RELATIONSHIPS,
    Cadence,
    Category,
    Depth,
    InviteStatus,
    PairKind,
    PairState,
    Relationship,
    SendResult,
)
from bot.core.seeds import stable_seed
from bot.delivery.outbox import Outbox
from bot.errors import UserFacingError
from bot.services.prompting import Prompting
from bot.services.schedule import plan_pair, write_plan, zone_of
from bot.services.undelivered import cancel_told_in_command
from bot.storage import instances as instance_store
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.db import Database, Tx
from bot.storage.outbox import NewDelivery
from bot.storage.pairs import InviteRow, PairRow
from bot.ui import messages
from bot.ui.payload import MessagePayload

log = logging.getLogger(__name__)

# A declined invite can't be sent to the same member again this soon; nobody is asked twice a week.
REINVITE_AFTER = timedelta(days=7)
# Invites one member can have waiting at once.
MAX_PENDING_INVITES = 10
INVITE_TTL = timedelta(days=7)
DEFAULT_TIME = "19:00"


@dataclass(frozen=True)
class Person:
    """A member as a command sees them (from the interaction's resolved data)."""

    id: int
    name: str
    is_bot: bool = False
    in_guild: bool = True


def parse_time_option(value: str | None) -> str:
    text = (value or DEFAULT_TIME).strip()
    try:
        return format_hhmm(parse_hhmm(text))
    except ValueError:
        raise UserFacingError(
            "Time must look like 19:30 (24-hour HH:MM), in your own time zone."
        ) from None


def parse_cadence_option(value: str | None) -> Cadence:
    try:
        return Cadence((value or "daily").strip().lower())
    except ValueError:
        raise UserFacingError("Cadence must be daily, weekdays or weekly.") from None


def parse_relationship_option(value: str | None) -> Relationship:
    """What two people can choose to be; `circle` is only ever given by a circle round."""
    text = (value or "").strip().lower()
    for kind in CHOSEN_RELATIONSHIPS:
        if kind.value == text:
            return kind
    raise UserFacingError("Relationship must be partners, friends or family.")


def describe_schedule(local_time: str, cadence: Cadence) -> str:
    if cadence is Cadence.DAILY:
        return f"every day at {local_time}"
    if cadence is Cadence.WEEKDAYS:
        return f"on weekdays at {local_time}"
    return f"once a week at {local_time}"


def when_text(slot: Slot) -> str:
    """A Discord timestamp: every reader sees it in their own local time."""
    ts = int(slot.due.timestamp())
    return f"<t:{ts}:f> (<t:{ts}:R>)"


@dataclass(frozen=True)
class InviteOutcome:
    invite_id: int
    delivered: bool


@dataclass(frozen=True)
class PairStatus:
    pair: PairRow
    partners: list[str]
    next_prompts: dict[int, Slot]
    unreachable_partners: list[str]
    muted: frozenset[Category]
    open_prompts: int


@dataclass
class PairService:
    db: Database
    outbox: Outbox
    prompting: Prompting
    default_zone: str
    now: Callable[[], datetime]
    wake: Callable[[], None]

    # Resolving which pair a command means ------------------------------------------------
    async def resolve(self, guild_id: int, user_id: int, with_user: int | None = None) -> PairRow:
        pairs = await pair_store.live_pairs_of(self.db, user_id, guild_id)
        if with_user is not None:
            for pair in pairs:
                if with_user in pair.member_ids and with_user != user_id:
                    return pair
            raise UserFacingError("You're not paired with that member here right now.")
        if not pairs:
            raise UserFacingError(
                "You're not in a pair here yet. Try /pair invite, or /circle join a friend group."
            )
        couples = [p for p in pairs if p.kind is PairKind.COUPLE]
        if couples:
            return couples[0]
        if len(pairs) == 1:
            return pairs[0]
        raise UserFacingError(
            "You're in more than one pair here: say which with the `with` option."
        )

    async def partner_names(self, pair: PairRow, user_id: int) -> list[str]:
        names = await self.prompting.names_of(pair.member_ids)
        return [names[m] for m in pair.partners_of(user_id)]

    async def notify(self, user_ids: list[int], key: str, payload: MessagePayload) -> None:
        now = self.now()
        await outbox_store.enqueue(self.db, outbox_store.notices(user_ids, key, payload, now), now)
        self.wake()

    async def _change_status_in(
        self,
        conn: Tx,
        pair: PairRow,
        user_id: int,
        status: PairState,
        now: datetime,
        key: str,
        payload: MessagePayload,
        *,
        paused_until: datetime | None = None,
    ) -> None:
        """In the use case's transaction: `user_id` changes the pair's status and everyone else
        in it gets a kind word. Conditional on the pair still being live, so a second press of
        End changes nothing and an ended pair is never paused or resumed."""
        if not await pair_store.set_status_in(
            conn, pair.id, status, now, paused_until=paused_until, paused_by=user_id
        ):
            raise UserFacingError("This pair has already ended.")
        await self._notify_in(
            conn, list(pair.partners_of(user_id)), key, payload, now, pair_id=pair.id
        )

    @staticmethod
    async def _notify_in(
        conn: Tx,
        user_ids: list[int],
        key: str,
        payload: MessagePayload,
        now: datetime,
        *,
        pair_id: int | None = None,
        guild_id: int | None = None,
        named: tuple[int, ...] = (),
    ) -> None:
        rows = outbox_store.notices(
            user_ids, key, payload, now, pair_id=pair_id, guild_id=guild_id, named=named
        )
        await outbox_store.insert_deliveries(conn, rows, now)

    # Invites -----------------------------------------------------------------------------
    async def invite(
        self,
        guild_id: int,
        inviter: Person,
        invitee: Person,
        time: str | None,
        cadence: str | None,
        relationship: str | None = None,
    ) -> InviteOutcome:
        kind = parse_relationship_option(relationship)
        local_time = parse_time_option(time)
        chosen = parse_cadence_option(cadence)
        if invitee.id == inviter.id:
            raise UserFacingError("You can't invite yourself. Pick someone else in this server.")
        if invitee.is_bot:
            raise UserFacingError("Bots can't pair. Invite a person from this server.")
        if not invitee.in_guild:
            raise UserFacingError(
                "That member isn't in this server. Closer pairs people who share a server."
            )
        now = self.now()
        await member_store.upsert_member(self.db, inviter.id, inviter.name, now)
        await member_store.upsert_member(self.db, invitee.id, invitee.name, now)
        if await pair_store.couple_of(self.db, guild_id, inviter.id):
            raise UserFacingError(
                "You're already in a pair you chose here. Use /pair end first if you'd like a "
                "new one."
            )
        if await pair_store.couple_of(self.db, guild_id, invitee.id):
            raise UserFacingError(f"{invitee.name} is already in a pair they chose here.")
        pending = await pair_store.pending_invite_between(
            self.db, guild_id, inviter.id, invitee.id, now
        )
        if pending is not None:
            raise UserFacingError(
                f"There's already an invite waiting between you and {invitee.name}. "
                "It stays open for 7 days."
            )
        declined = await pair_store.declined_since(
            self.db, guild_id, inviter.id, invitee.id, now - REINVITE_AFTER
        )
        if declined is not None:
            opens = int((declined + REINVITE_AFTER).timestamp())
            raise UserFacingError(
                f"{invitee.name} wasn't ready for this one. You can invite them again from "
                f"<t:{opens}:f>; until then, there's no pressure either way."
            )
        waiting = await pair_store.pending_invites_by(self.db, inviter.id, now)
        if len(waiting) >= MAX_PENDING_INVITES:
            opens = int(waiting[0].timestamp())
            raise UserFacingError(
                f"You have {MAX_PENDING_INVITES} invites waiting for an answer, the most at "
                f"once. Another can go out when one is answered, or from <t:{opens}:f> when "
                "the oldest expires."
            )
        # One use case, one transaction: the invite and its DM are written together.
        async with self.db.transaction() as conn:
            invite_id = await pair_store.create_invite(
                conn,
                guild_id=guild_id,
                inviter_id=inviter.id,
                invitee_id=invitee.id,
                local_time=local_time,
                cadence=chosen,
                now=now,
                expires_at=now + INVITE_TTL,
                relationship=kind,
            )
            payload = messages.invite_message(
                invite_id, invitee.id, inviter.name, describe_schedule(local_time, chosen), kind
            )
            await outbox_store.insert_deliveries(
                conn,
                [
                    NewDelivery(
                        dedupe_key=f"invite:{invite_id}",
                        kind="invite",
                        due_at=now,
                        user_id=invitee.id,
                        payload=dict(payload),
                        guild_id=guild_id,
                        named=(inviter.id,),
                    )
                ],
                now,
            )
        delivery_id = await outbox_store.delivery_id_for(self.db, f"invite:{invite_id}")
        # Someone asking explicitly is worth one fresh try even if DMs failed before; a
        # failure marks them unreachable again at once.
        await member_store.clear_unreachable(self.db, invitee.id)
        outcome = await self.outbox.send_now(delivery_id)
        if outcome.status == SendResult.UNREACHABLE:
            invite = await pair_store.get_invite(self.db, invite_id)
            if invite is not None:
                await cancel_told_in_command(self.db, invite, invitee.name, self.now())
            raise UserFacingError(messages.invite_closed_dms_text(invitee.name))
        return InviteOutcome(invite_id, outcome.status == SendResult.SENT)

    async def _invite_for(self, invite_id: int, user_id: int) -> InviteRow:
        invite = await pair_store.get_invite(self.db, invite_id)
        if invite is None or invite.invitee_id != user_id:
            raise UserFacingError("This invite isn't for you.")
        if invite.status != InviteStatus.PENDING:
            raise UserFacingError(f"This invite is already {invite.status}.")
        if invite.expires_at <= self.now():
            raise UserFacingError("This invite has expired. Ask them to send a new one anytime.")
        return invite

    async def accept(self, invite_id: int, user_id: int) -> PairRow:
        invite = await self._invite_for(invite_id, user_id)
        await member_store.clear_unreachable(self.db, user_id)
        now = self.now()
        names = await self.prompting.names_of((invite.inviter_id, invite.invitee_id))
        # One use case, one transaction: the pair, its schedules, the invite's answer and the
        # inviter's notice commit together or not at all.
        async with self.db.transaction() as conn:
            taken = False
            for uid in (invite.inviter_id, invite.invitee_id):
                taken = taken or await pair_store.has_live_couple(conn, invite.guild_id, uid)
            if taken:
                # Committed, then refused below: the invite can never be accepted now.
                await pair_store.decide_invite(conn, invite.id, InviteStatus.CANCELLED, now)
            else:
                pair = await self._pair_from(conn, invite, names, now)
        if taken:
            raise UserFacingError(
                "One of you has paired with someone else since this invite was sent."
            )
        self.wake()
        return pair

    async def _pair_from(
        self, conn: Tx, invite: InviteRow, names: dict[int, str], now: datetime
    ) -> PairRow:
        """The accepted invite's pair, schedules, answer and the inviter's notice."""
        pair_id = await pair_store.insert_pair(
            conn,
            guild_id=invite.guild_id,
            kind=PairKind.COUPLE,
            member_ids=(invite.inviter_id, invite.invitee_id),
            local_time=invite.local_time,
            cadence=invite.cadence,
            anchor=now.date(),
            seed=stable_seed("couple", invite.guild_id, invite.id),
            now=now,
            relationship=invite.relationship,
        )
        if not await pair_store.decide_invite(conn, invite.id, InviteStatus.ACCEPTED, now, pair_id):
            raise UserFacingError("This invite was already answered.")
        pair = await pair_store.get_pair_in(conn, pair_id)
        assert pair is not None  # noqa: S101
        plan = await plan_pair(self.db, pair, self.default_zone, now)
        await write_plan(conn, pair.id, plan)
        await self._notify_in(
            conn,
            [invite.inviter_id],
            f"paired:{pair.id}",
            messages.paired_message(
                names[invite.invitee_id], when_text(plan[invite.inviter_id]), pair.relationship
            ),
            now,
            pair_id=pair.id,
        )
        return pair

    async def decline(self, invite_id: int, user_id: int) -> None:
        invite = await self._invite_for(invite_id, user_id)
        names = await self.prompting.names_of((invite.invitee_id,))
        now = self.now()
        async with self.db.transaction() as conn:
            if not await pair_store.decide_invite(conn, invite.id, InviteStatus.DECLINED, now):
                raise UserFacingError("This invite was already answered.")
            await self._notify_in(
                conn,
                [invite.inviter_id],
                f"declined:{invite.id}",
                messages.invite_declined_message(names[invite.invitee_id]),
                now,
                guild_id=invite.guild_id,
                named=(invite.invitee_id,),
            )
        self.wake()

    # A pair's settings -------------------------------------------------------------------
    async def status(self, pair: PairRow, user_id: int) -> PairStatus:
        plan = {
            s.user_id: Slot(s.due, s.day)
            for s in await outbox_store.schedules_of_pair(self.db, pair.id)
        }
        rows = await member_store.get_members(self.db, list(pair.member_ids))
        unreachable = [
            rows[m].display_name or "your partner"
            for m in pair.partners_of(user_id)
            if m in rows and rows[m].unreachable_since is not None
        ]
        open_count = len(await instance_store.open_instances(self.db, pair.id))
        return PairStatus(
            pair=pair,
            partners=await self.partner_names(pair, user_id),
            next_prompts=plan,
            unreachable_partners=unreachable,
            muted=await pair_store.muted_topics(self.db, pair.id),
            open_prompts=open_count,
        )

    async def pause(self, pair: PairRow, user_id: int, days: int) -> datetime:
        if not 1 <= days <= 90:
            raise UserFacingError("Pause for 1 to 90 days.")
        now = self.now()
        until = now + timedelta(days=days)
        names = await self.prompting.names_of(pair.member_ids)
        async with self.db.transaction() as conn:
            await self._change_status_in(
                conn,
                pair,
                user_id,
                PairState.PAUSED,
                now,
                f"paused:{pair.id}:{int(now.timestamp())}",
                messages.partner_paused_message(names[user_id], days),
                paused_until=until,
            )
        self.wake()
        return until

    async def resume(self, pair: PairRow, user_id: int) -> dict[int, Slot]:
        if pair.status != PairState.PAUSED:
            raise UserFacingError("Your prompts aren't paused, so there's nothing to resume.")
        now = self.now()
        names = await self.prompting.names_of(pair.member_ids)
        async with self.db.transaction() as conn:
            await self._change_status_in(
                conn,
                pair,
                user_id,
                PairState.ACTIVE,
                now,
                f"resumed:{pair.id}:{int(now.timestamp())}",
                messages.partner_resumed_message(names[user_id]),
            )
            fresh = await pair_store.get_pair_in(conn, pair.id)
            assert fresh is not None  # noqa: S101
            plan = await plan_pair(self.db, fresh, self.default_zone, now)
            await write_plan(conn, pair.id, plan)
        self.wake()
        return plan

    async def end(self, pair_id: int, user_id: int) -> PairRow:
        pair = await pair_store.get_pair(self.db, pair_id)
        if pair is None or user_id not in pair.member_ids:
            raise UserFacingError("That isn't one of your pairs.")
        names = await self.prompting.names_of(pair.member_ids)
        now = self.now()
        async with self.db.transaction() as conn:
            await self._change_status_in(
                conn,
                pair,
                user_id,
                PairState.ENDED,
                now,
                f"ended:{pair.id}",
                messages.pair_ended_message(names[user_id]),
            )
        self.wake()
        return pair

    async def reschedule(
        self, pair: PairRow, user_id: int, time: str | None, cadence: str | None
    ) -> dict[int, Slot]:
        if time is None and cadence is None:
            raise UserFacingError("Tell me a new `time`, a new `cadence`, or both.")
        local_time = parse_time_option(time or pair.local_time)
        chosen = parse_cadence_option(cadence or pair.cadence.value)
        now = self.now()
        await pair_store.set_schedule(self.db, pair.id, local_time, chosen, now.date())
        fresh = await pair_store.get_pair(self.db, pair.id)
        assert fresh is not None  # noqa: S101
        plan = await plan_pair(self.db, fresh, self.default_zone, now)
        if fresh.status == PairState.ACTIVE:
            async with self.db.transaction() as conn:
                await write_plan(conn, fresh.id, plan)
        names = await self.prompting.names_of(pair.member_ids)
        await self.notify(
            list(pair.partners_of(user_id)),
            f"schedule:{pair.id}:{int(now.timestamp())}",
            messages.schedule_changed_message(
                names[user_id], describe_schedule(local_time, chosen)
            ),
        )
        return plan

    async def step_back(self, pair: PairRow, level: str) -> Depth:
        try:
            depth = Depth(level.strip().lower())
        except ValueError:
            raise UserFacingError("Depth can be light or medium.") from None
        if depth is Depth.DEEP:
            raise UserFacingError(
                "Going deeper happens only when you both say yes to an offer; "
                "/pair depth is for stepping back."
            )
        if depth.rank >= pair.depth.rank:
            raise UserFacingError(f"You're already at {pair.depth.value}; nothing to step back to.")
        # The partner is not told who did it, as the depth ladder promises.
        await pair_store.set_depth(self.db, pair.id, depth)
        return depth

    async def vote_deeper(self, pair_id: int, user_id: int, depth: Depth) -> bool:
        """A yes to "go a little deeper?". True when everyone has said yes and the pair moved."""
        pair = await pair_store.get_pair(self.db, pair_id)
        if pair is None or user_id not in pair.member_ids or pair.status == PairState.ENDED:
            raise UserFacingError("That offer isn't for you any more.")
        if pair.depth.rank >= depth.rank:
            return True
        voters = await pair_store.vote_deeper(self.db, pair.id, user_id, depth, self.now())
        if set(pair.member_ids) <= voters:
            await pair_store.set_depth(self.db, pair.id, depth)
            await self.notify(
                list(pair.member_ids),
                f"deeper:{pair.id}:{depth.value}",
                messages.deeper_now_message(depth.value),
            )
            return True
        return False

    async def not_yet_deeper(self, pair_id: int, user_id: int, depth: Depth) -> None:
        """ "Not yet" to a depth offer: remembered, so the offer comes back after a while."""
        pair = await pair_store.get_pair(self.db, pair_id)
        if pair is None or user_id not in pair.member_ids or pair.status == PairState.ENDED:
            raise UserFacingError("That offer isn't for you any more.")
        if pair.depth.rank < depth.rank:
            await pair_store.not_yet_deeper(self.db, pair.id, user_id, depth, self.now())

    # Relationship kind -------------------------------------------------------------------
    async def propose_relationship(self, pair: PairRow, user_id: int, kind: str) -> Relationship:
        """Ask the other member to change what the pair is; it changes when they accept."""
        chosen = parse_relationship_option(kind)
        if pair.kind is not PairKind.COUPLE:
            raise UserFacingError(
                "Circle groups change every round, so their relationship can't be changed. "
                "/pair invite someone to pair as partners, friends or family."
            )
        if pair.status == PairState.ENDED:
            raise UserFacingError("This pair has ended.")
        if chosen is pair.relationship:
            raise UserFacingError(
                f"You're already paired as {chosen.value}, so there's nothing to change."
            )
        await pair_store.propose_relationship(self.db, pair.id, chosen, user_id)
        names = await self.prompting.names_of(pair.member_ids)
        now = self.now()
        deliveries = [
            NewDelivery(
                dedupe_key=f"relationship:{pair.id}:{chosen.value}:{int(now.timestamp())}:{uid}",
                kind="notice",
                due_at=now,
                user_id=uid,
                pair_id=pair.id,
                payload=dict(
                    messages.relationship_proposal_message(
                        pair.id, uid, user_id, names[user_id], pair.relationship, chosen
                    )
                ),
            )
            for uid in pair.partners_of(user_id)
        ]
        await outbox_store.enqueue(self.db, deliveries, now)
        self.wake()
        return chosen

    async def answer_relationship(
        self, pair_id: int, user_id: int, proposer_id: int, kind: Relationship, accept: bool
    ) -> Relationship:
        """The other member's Accept or Decline; the proposer is told kindly either way."""
        pair = await pair_store.get_pair(self.db, pair_id)
        if pair is None or user_id not in pair.member_ids or user_id == proposer_id:
            raise UserFacingError("That question isn't for you.")
        if not await pair_store.settle_proposal(self.db, pair.id, kind, proposer_id, accept):
            raise UserFacingError(
                "This question has already been answered, or a newer one replaced it."
            )
        names = await self.prompting.names_of(pair.member_ids)
        now = self.now()
        await self.notify(
            [proposer_id],
            f"relationship-{'yes' if accept else 'no'}:{pair.id}:{int(now.timestamp())}",
            messages.relationship_answer_message(names[user_id], kind, accept),
        )
        return kind if accept else pair.relationship

    async def set_topic(self, pair: PairRow, category: str, on: bool) -> tuple[Category, bool]:
        try:
            chosen = Category(category.strip().lower())
        except ValueError:
            choices = ", ".join(c.value for c in Category)
            raise UserFacingError(f"Pick a topic from the list: {choices}.") from None
        muted = await pair_store.muted_topics(self.db, pair.id)
        if not on and len(muted | {chosen}) == len(Category):
            raise UserFacingError("That would mute every topic. Keep at least one on.")
        changed = await pair_store.set_topic_muted(self.db, pair.id, chosen, muted=not on)
        return chosen, changed

    async def partner_choices(self, guild_id: int, user_id: int) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for pair in await pair_store.live_pairs_of(self.db, user_id, guild_id):
            names = await self.prompting.names_of(pair.member_ids)
            out += [(m, names[m]) for m in pair.partners_of(user_id)]
        return out

    async def answered_together(self, pair_id: int) -> int:
        return await instance_store.count_revealed(self.db, pair_id)

    async def member_zone(self, user_id: int) -> str:
        member = await member_store.get_member(self.db, user_id)
        return str(zone_of(member, self.default_zone))
