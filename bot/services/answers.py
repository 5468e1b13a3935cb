"""Answering, skipping, "later", and the reveal once everyone in the pair has answered.

Privacy rule: an answer only ever goes to the other members of the same pair, and only after they
answered the same instance themselves. Every path that sends answer text goes through `_reveal_in`
or `share`, and both derive the recipients from the instance's own pair. A plain DM is never
guessed onto a prompt: with more than one it could be for, the member is asked (`route_dm`).

One use case, one transaction: saving an answer, settling the instance and queueing the reveals
commit together, and the write is conditional on the state it was checked against.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.models import InstanceStatus, Kind, Library, MemberState, PairState
from bot.core.text import ANSWER_LIMIT, has_visible_text, opening_words
from bot.errors import UserFacingError
from bot.services.prompting import Prompting
from bot.storage import answers as answer_store
from bot.storage import instances as instance_store
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.db import Database, Tx
from bot.storage.instances import InstanceRow
from bot.storage.outbox import NewDelivery
from bot.storage.pairs import PairRow
from bot.ui import messages

log = logging.getLogger(__name__)

# A member can still answer, edit or skip while their side is one of these.
ANSWERABLE = (MemberState.OPEN, MemberState.ANSWERED)

LATER_DELAY = timedelta(hours=3)

CLOSED = "This prompt has closed, so it can't take answers any more."
REVEALED = (
    "You've both answered this one already, so your answer can't change now. "
    "If there's more to say, tell them directly."
)
EMPTY = "An empty answer can't be saved. Write a few words, or press Skip."
GUESS_BY_FORM = (
    "This one is a guessing game, with your answer and a guess for your partner side by side. "
    "Press Answer on it to write both together."
)
PICK_BY_MENU = "This one is a this-or-that: choose from the menu on the prompt to pick."

GUESS_ANSWER_LIMIT = 1000
"""Guess prompts are light; a shorter answer keeps a trio's reveal (every answer and guess side
by side) inside one Discord message."""
GUESS_LIMIT = 300
WHY_LIMIT = 200

REVEALING = (Kind.QUESTION, Kind.GUESS, Kind.PICK)
"""Kinds whose answers are shown to the pair once everyone answered."""


def instance_text(library: Library, instance: InstanceRow) -> str:
    """What the member was asked: a check-in carries its own text, others the prompt's."""
    if instance.text is not None:
        return instance.text
    prompt = library.prompt(instance.prompt_id)
    return prompt.text if prompt else ""


@dataclass(frozen=True)
class AnswerResult:
    instance_id: int
    replaced: bool
    revealed: bool
    kind: Kind
    partners: list[str]


@dataclass(frozen=True)
class Choice:
    """One prompt a plain DM could be meant for, named so the member can tell them apart."""

    instance_id: int
    partners: list[str]
    opening: str
    answered: bool


@dataclass(frozen=True)
class DmRoute:
    """Where a plain DM went: saved to one prompt, or a question back with the candidates."""

    saved: AnswerResult | None = None
    choices: tuple[Choice, ...] = ()


def _clean_extra(text: str | None, limit: int, what: str) -> str | None:
    """A guess or a why: one line, optional here (the caller decides if it must be there)."""
    body = " ".join((text or "").split())
    if not has_visible_text(body):
        return None
    if len(body) > limit:
        raise UserFacingError(
            f"That {what} is {len(body)} characters; it can be up to {limit}. "
            "Could you trim it a little?"
        )
    return body


@dataclass(frozen=True)
class GuessForm:
    """What the guess form needs: the prompt, whom the guess is about, and what is saved."""

    prompt_text: str
    partners: list[str]
    answer: str | None
    guess: str | None


def clean_answer(text: str) -> str:
    body = text.strip()
    if not has_visible_text(body):
        raise UserFacingError(EMPTY)
    if len(body) > ANSWER_LIMIT:
        raise UserFacingError(
            f"That's {len(body)} characters; answers can be up to {ANSWER_LIMIT}. "
            "Could you trim it a little?"
        )
    return body


@dataclass
class AnswerService:
    db: Database
    library: Library
    prompting: Prompting
    now: Callable[[], datetime]
    wake: Callable[[], None]
    # Called after a reveal was queued (the depth-ladder offer); see bot.services.followups.
    after_reveal: Callable[[PairRow], Awaitable[None]] | None = None

    def text_of(self, instance: InstanceRow) -> str:
        return instance_text(self.library, instance)

    async def _context(self, instance_id: int, user_id: int) -> tuple[InstanceRow, PairRow]:
        instance = await instance_store.get_instance(self.db, instance_id)
        pair = await pair_store.get_pair(self.db, instance.pair_id) if instance else None
        if instance is None or pair is None or user_id not in pair.member_ids:
            raise UserFacingError("That prompt isn't one of yours.")
        if pair.status == PairState.ENDED:
            raise UserFacingError("This pair has ended, so the prompt is closed.")
        return instance, pair

    async def check_answerable(self, instance_id: int, user_id: int) -> InstanceRow:
        instance, _ = await self._context(instance_id, user_id)
        state = await instance_store.member_state(self.db, instance_id, user_id)
        if instance.status == InstanceStatus.REVEALED:
            raise UserFacingError(REVEALED)
        if instance.status != InstanceStatus.OPEN or state not in ANSWERABLE:
            raise UserFacingError(CLOSED)
        await member_store.clear_unreachable(self.db, user_id)
        return instance

    async def current_answer(self, instance_id: int, user_id: int) -> str | None:
        answers = await answer_store.answers_for(self.db, instance_id)
        mine = answers.get(user_id)
        return mine.text if mine else None

    # A plain DM ----------------------------------------------------------------------------
    async def route_dm(self, user_id: int, text: str, replied_to: int | None) -> DmRoute | None:
        """Save a DM to the prompt it is for, or say which prompts it could be for.

        A Discord reply to a prompt, reminder, nudge or reveal is for that prompt. Otherwise
        only a single open prompt (with nothing else still editable) takes it; with more, the
        member chooses and nothing is saved until they do. None: nothing could take it.
        """
        body = clean_answer(text)
        if replied_to is not None:
            target = await answer_store.instance_for_message(self.db, user_id, replied_to)
            if target is not None:
                return DmRoute(saved=await self.submit(target, user_id, body))
        candidates = await answer_store.candidates_for(self.db, user_id)
        if not candidates:
            return None
        if len(candidates) == 1 and candidates[0].state == MemberState.OPEN:
            return DmRoute(saved=await self.submit(candidates[0].instance_id, user_id, body))
        choices = []
        for c in candidates:
            pair = await pair_store.get_pair(self.db, c.pair_id)
            if pair is None:
                continue
            names = await self.prompting.names_of(pair.member_ids)
            instance = await instance_store.get_instance(self.db, c.instance_id)
            wording = self.text_of(instance) if instance else ""
            choices.append(
                Choice(
                    instance_id=c.instance_id,
                    partners=[names[m] for m in pair.partners_of(user_id)],
                    opening=opening_words(wording),
                    answered=c.state == MemberState.ANSWERED,
                )
            )
        return DmRoute(choices=tuple(choices))

    async def submit(
        self,
        instance_id: int,
        user_id: int,
        text: str,
        feeling: str | None = None,
        *,
        guess: str | None = None,
        why: str | None = None,
    ) -> AnswerResult:
        """Save an answer. A guess prompt needs the guess with it (only its form has both); a
        pick needs one of the prompt's options, with an optional why."""
        body = clean_answer(text)
        instance, pair = await self._context(instance_id, user_id)
        kind = Kind(instance.kind)
        guess, why = self._extras(instance, kind, body, guess, why)
        names = await self.prompting.names_of(pair.member_ids)
        now = self.now()
        async with self.db.transaction() as tx:
            replaced = await answer_store.write_answer(
                tx, instance_id, user_id, body, feeling, now, guess=guess, why=why
            )
            if replaced is None:
                fresh = await instance_store.get_instance(self.db, instance_id)
                raise UserFacingError(
                    REVEALED
                    if fresh is not None and fresh.status == InstanceStatus.REVEALED
                    else CLOSED
                )
            revealed = await self._settle_in(tx, instance, pair, names, now)
        await member_store.clear_unreachable(self.db, user_id)
        await self._after(pair, revealed)
        return AnswerResult(
            instance_id=instance_id,
            replaced=replaced,
            revealed=revealed,
            kind=Kind(instance.kind),
            partners=[names[m] for m in pair.partners_of(user_id)],
        )

    def _extras(
        self, instance: InstanceRow, kind: Kind, body: str, guess: str | None, why: str | None
    ) -> tuple[str | None, str | None]:
        if kind is Kind.GUESS:
            cleaned = _clean_extra(guess, GUESS_LIMIT, "guess")
            if cleaned is None:
                raise UserFacingError(GUESS_BY_FORM)
            if len(body) > GUESS_ANSWER_LIMIT:
                raise UserFacingError(
                    f"That's {len(body)} characters; answers to a guessing game can be up to "
                    f"{GUESS_ANSWER_LIMIT}. Could you trim it a little?"
                )
            return cleaned, None
        if kind is Kind.PICK:
            prompt = self.library.prompt(instance.prompt_id)
            if prompt is None or body not in prompt.options:
                raise UserFacingError(PICK_BY_MENU)
            return None, _clean_extra(why, WHY_LIMIT, "reason")
        return None, None

    async def submit_pick(
        self, instance_id: int, user_id: int, option: int, why: str | None
    ) -> AnswerResult:
        """A pick from the prompt's menu, by position (custom ids carry the index, not words)."""
        instance = await instance_store.get_instance(self.db, instance_id)
        prompt = self.library.prompt(instance.prompt_id) if instance else None
        if prompt is None or not 0 <= option < len(prompt.options):
            raise UserFacingError(PICK_BY_MENU)
        return await self.submit(instance_id, user_id, prompt.options[option], why=why)

    async def pick_options(self, instance_id: int, user_id: int) -> list[str]:
        """The options of a pick prompt the member can still pick on (checked like Answer)."""
        instance = await self.check_answerable(instance_id, user_id)
        prompt = self.library.prompt(instance.prompt_id)
        if Kind(instance.kind) is not Kind.PICK or prompt is None:
            raise UserFacingError("That prompt isn't a this-or-that.")
        return list(prompt.options)

    async def guess_form(self, instance_id: int, user_id: int) -> GuessForm:
        instance = await self.check_answerable(instance_id, user_id)
        _, pair = await self._context(instance_id, user_id)
        names = await self.prompting.names_of(pair.member_ids)
        mine = (await answer_store.answers_for(self.db, instance_id)).get(user_id)
        return GuessForm(
            prompt_text=self.text_of(instance),
            partners=[names[m] for m in pair.partners_of(user_id)],
            answer=mine.text if mine else None,
            guess=mine.guess if mine else None,
        )

    async def skip(self, instance_id: int, user_id: int) -> None:
        await self._change_state(instance_id, user_id, MemberState.SKIPPED, ANSWERABLE)

    async def later(self, instance_id: int, user_id: int) -> bool:
        """Bring the prompt back once, in three hours. False if it is already coming back."""
        instance = await self.check_answerable(instance_id, user_id)
        original = await outbox_store.prompt_delivery(self.db, instance_id, user_id)
        if original is None:
            raise UserFacingError(CLOSED)
        now = self.now()
        added = await outbox_store.enqueue(
            self.db,
            [
                NewDelivery(
                    dedupe_key=f"later:{instance.id}:{user_id}",
                    kind="later",
                    due_at=now + LATER_DELAY,
                    user_id=user_id,
                    pair_id=instance.pair_id,
                    instance_id=instance.id,
                    payload=original,
                )
            ],
            now,
        )
        return added > 0

    async def activity_outcome(self, instance_id: int, user_id: int, done: bool) -> None:
        state = MemberState.DONE if done else MemberState.NOT_THIS_TIME
        await self._change_state(
            instance_id,
            user_id,
            state,
            (MemberState.OPEN, MemberState.HELD, MemberState.DONE, MemberState.NOT_THIS_TIME),
        )

    async def _change_state(
        self,
        instance_id: int,
        user_id: int,
        state: MemberState,
        only_from: tuple[MemberState, ...],
    ) -> None:
        instance, pair = await self._context(instance_id, user_id)
        names = await self.prompting.names_of(pair.member_ids)
        now = self.now()
        async with self.db.transaction() as tx:
            if not await instance_store.change_member_state(
                tx, instance_id, user_id, state, now, only_from=only_from
            ):
                raise UserFacingError(CLOSED)
            revealed = await self._settle_in(tx, instance, pair, names, now)
        await self._after(pair, revealed)

    async def share(self, instance_id: int, user_id: int) -> list[str]:
        instance, pair = await self._context(instance_id, user_id)
        names = await self.prompting.names_of(pair.member_ids)
        prompt_text = self.text_of(instance)
        now = self.now()
        async with self.db.transaction() as tx:
            mine = (await answer_store.answers_in(tx, instance_id)).get(user_id)
            if mine is None:
                raise UserFacingError("Write your reflection first, then you can share it.")
            if mine.shared:
                raise UserFacingError("You've already shared this one.")
            await answer_store.mark_shared_in(tx, instance_id, user_id)
            await outbox_store.insert_deliveries(
                tx,
                [
                    NewDelivery(
                        dedupe_key=f"shared:{instance.id}:{user_id}:{partner}",
                        kind="reveal",
                        due_at=now,
                        user_id=partner,
                        pair_id=pair.id,
                        instance_id=instance.id,
                        payload=dict(
                            messages.shared_reflection_message(
                                names[user_id], prompt_text, mine.text
                            )
                        ),
                        authors=(user_id,),
                    )
                    for partner in pair.partners_of(user_id)
                ],
                now,
            )
        self.wake()
        return [names[m] for m in pair.partners_of(user_id)]

    async def settle(self, instance: InstanceRow, pair: PairRow) -> bool:
        """Close the instance once nobody is open on it; reveal a question. True if revealed."""
        names = await self.prompting.names_of(pair.member_ids)
        async with self.db.transaction() as tx:
            revealed = await self._settle_in(tx, instance, pair, names, self.now())
        await self._after(pair, revealed)
        return revealed

    async def settle_by_id(self, instance_id: int) -> bool:
        instance = await instance_store.get_instance(self.db, instance_id)
        pair = await pair_store.get_pair(self.db, instance.pair_id) if instance else None
        if instance is None or pair is None or instance.status != InstanceStatus.OPEN:
            return False
        return await self.settle(instance, pair)

    async def _after(self, pair: PairRow, revealed: bool) -> None:
        """Outside the transaction: wake the sender, then the depth-ladder offer."""
        self.wake()
        if revealed and self.after_reveal is not None:
            try:
                await self.after_reveal(pair)
            except Exception:
                # The answer is saved and revealed; an offer that failed must not tell the
                # member their answer went wrong. It is retried on the pair's next reveal.
                log.exception("after-reveal hook failed", extra={"pair_id": pair.id})

    async def _settle_in(
        self,
        tx: Tx,
        instance: InstanceRow,
        pair: PairRow,
        names: dict[int, str],
        now: datetime,
    ) -> bool:
        states = await instance_store.member_states_in(tx, instance.id)
        if any(state == MemberState.OPEN for state in states.values()):
            return False
        if Kind(instance.kind) not in REVEALING:
            await instance_store.close_instance_in(tx, instance.id, InstanceStatus.CLOSED, now)
            return False
        answered = [uid for uid, state in states.items() if state == MemberState.ANSWERED]
        skipped = [uid for uid, state in states.items() if state == MemberState.SKIPPED]
        held = [uid for uid, state in states.items() if state == MemberState.HELD]
        if len(answered) >= 2:
            return await self._reveal_in(tx, instance, pair, answered, names, now)
        if not await instance_store.close_instance_in(tx, instance.id, InstanceStatus.CLOSED, now):
            return False
        if answered and held and not skipped:
            # The partner never got this one (their pace changed); say no more than that.
            payload = messages.kept_for_you_message(self.text_of(instance))
        elif answered and skipped:
            payload = messages.stays_private_message(
                self.text_of(instance), [names[s] for s in skipped]
            )
        else:
            return False
        rows = outbox_store.notices(
            answered,
            f"private:{instance.id}",
            payload,
            now,
            pair_id=pair.id,
            instance_id=instance.id,
        )
        await outbox_store.insert_deliveries(tx, rows, now)
        return False

    async def _reveal_in(
        self,
        tx: Tx,
        instance: InstanceRow,
        pair: PairRow,
        answered: list[int],
        names: dict[int, str],
        now: datetime,
    ) -> bool:
        if not await instance_store.close_instance_in(
            tx, instance.id, InstanceStatus.REVEALED, now
        ):
            return False  # someone else's answer revealed it a moment ago
        answers = await answer_store.answers_in(tx, instance.id)
        prompt_text = self.text_of(instance)
        kind = Kind(instance.kind)
        deliveries = []
        for reader in answered:
            authors = [uid for uid in answered if uid != reader and uid in answers]
            if kind is Kind.QUESTION:
                others = [(names[uid], answers[uid].text, answers[uid].feeling) for uid in authors]
                payload = messages.reveal_message(prompt_text, others)
            else:
                # The reader first, as "You", then the others: a guess or a pick reads as a
                # comparison, so both sides are shown, with only the others' words as authors.
                people = [
                    messages.Said(
                        "You" if uid == reader else names[uid],
                        answers[uid].text,
                        answers[uid].guess or answers[uid].why,
                    )
                    for uid in ([reader] if reader in answers else []) + authors
                ]
                payload = (
                    messages.guess_reveal_message(prompt_text, people)
                    if kind is Kind.GUESS
                    else messages.pick_reveal_message(prompt_text, people)
                )
            deliveries.append(
                NewDelivery(
                    dedupe_key=f"reveal:{instance.id}:{reader}",
                    kind="reveal",
                    due_at=now,
                    user_id=reader,
                    pair_id=pair.id,
                    instance_id=instance.id,
                    payload=dict(payload),
                    authors=tuple(authors),
                )
            )
        await outbox_store.insert_deliveries(tx, deliveries, now)
        return True
