"""Answering, skipping, "later", and the reveal once everyone in the pair has answered.

Privacy rule: an answer only ever goes to the other members of the same pair, and only after they
answered the same instance themselves. Every path that sends answer text goes through `_reveal`
or `share`, and both derive the recipients from the instance's own pair.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.models import Kind, Library
from bot.errors import UserFacingError
from bot.services.prompting import Prompting
from bot.storage import answers as answer_store
from bot.storage import instances as instance_store
from bot.storage import members as member_store
from bot.storage import outbox as outbox_store
from bot.storage import pairs as pair_store
from bot.storage.db import Database
from bot.storage.instances import InstanceRow
from bot.storage.outbox import NewDelivery
from bot.storage.pairs import PairRow
from bot.ui import messages

log = logging.getLogger(__name__)

ANSWER_LIMIT = 2000
LATER_DELAY = timedelta(hours=3)

CLOSED = "This prompt has closed, so it can't take answers any more."


def instance_text(library: Library, instance: InstanceRow) -> str:
    """What the member was asked: a check-in carries its own text, others the prompt's."""
    if instance.text is not None:
        return instance.text
    prompt = library.prompt(instance.prompt_id)
    return prompt.text if prompt else ""


@dataclass(frozen=True)
class AnswerResult:
    replaced: bool
    revealed: bool
    kind: Kind
    partners: list[str]


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
        if pair.status == "ended":
            raise UserFacingError("This pair has ended, so the prompt is closed.")
        return instance, pair

    async def check_answerable(self, instance_id: int, user_id: int) -> InstanceRow:
        instance, _ = await self._context(instance_id, user_id)
        state = await instance_store.member_state(self.db, instance_id, user_id)
        if instance.status != "open" or state not in ("open", "answered"):
            raise UserFacingError(CLOSED)
        await member_store.clear_unreachable(self.db, user_id)
        return instance

    async def submit(
        self, instance_id: int, user_id: int, text: str, feeling: str | None = None
    ) -> AnswerResult:
        body = text.strip()
        if not body:
            raise UserFacingError(
                "An empty answer can't be saved. Write a few words, or press Skip."
            )
        if len(body) > ANSWER_LIMIT:
            raise UserFacingError(
                f"That's {len(body)} characters; answers can be up to {ANSWER_LIMIT}. "
                "Could you trim it a little?"
            )
        instance = await self.check_answerable(instance_id, user_id)
        _, pair = await self._context(instance_id, user_id)
        replaced = await answer_store.save_answer(
            self.db, instance_id, user_id, body, feeling, self.now()
        )
        revealed = await self.settle(instance, pair)
        names = await self.prompting.names_of(pair.member_ids)
        return AnswerResult(
            replaced=replaced,
            revealed=revealed,
            kind=Kind(instance.kind),
            partners=[names[m] for m in pair.partners_of(user_id)],
        )

    async def skip(self, instance_id: int, user_id: int) -> None:
        instance, pair = await self._context(instance_id, user_id)
        state = await instance_store.member_state(self.db, instance_id, user_id)
        if instance.status != "open" or state not in ("open", "answered"):
            raise UserFacingError(CLOSED)
        await instance_store.set_member_state(self.db, instance_id, user_id, "skipped", self.now())
        await self.settle(instance, pair)

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
        instance, pair = await self._context(instance_id, user_id)
        if instance.status != "open":
            raise UserFacingError(CLOSED)
        state = "done" if done else "not_this_time"
        await instance_store.set_member_state(self.db, instance_id, user_id, state, self.now())
        await self.settle(instance, pair)

    async def share(self, instance_id: int, user_id: int) -> list[str]:
        instance, pair = await self._context(instance_id, user_id)
        answers = await answer_store.answers_for(self.db, instance_id)
        mine = answers.get(user_id)
        if mine is None:
            raise UserFacingError("Write your reflection first, then you can share it.")
        if not await answer_store.set_shared(self.db, instance_id, user_id):
            raise UserFacingError("You've already shared this one.")
        names = await self.prompting.names_of(pair.member_ids)
        prompt_text = self.text_of(instance)
        now = self.now()
        await outbox_store.enqueue(
            self.db,
            [
                NewDelivery(
                    dedupe_key=f"shared:{instance.id}:{user_id}:{partner}",
                    kind="reveal",
                    due_at=now,
                    user_id=partner,
                    pair_id=pair.id,
                    instance_id=instance.id,
                    payload=dict(
                        messages.shared_reflection_message(names[user_id], prompt_text, mine.text)
                    ),
                )
                for partner in pair.partners_of(user_id)
            ],
            now,
        )
        self.wake()
        return [names[m] for m in pair.partners_of(user_id)]

    async def settle(self, instance: InstanceRow, pair: PairRow) -> bool:
        """Close the instance once nobody is open on it; reveal a question. True if revealed."""
        states = await instance_store.member_states(self.db, instance.id)
        if any(state == "open" for state in states.values()):
            return False
        kind = Kind(instance.kind)
        if kind is not Kind.QUESTION:
            await instance_store.close_instance(self.db, instance.id, "closed", self.now())
            return False
        answered = [uid for uid, state in states.items() if state == "answered"]
        skipped = [uid for uid, state in states.items() if state == "skipped"]
        held = [uid for uid, state in states.items() if state == "held"]
        if len(answered) >= 2:
            return await self._reveal(instance, pair, answered)
        await instance_store.close_instance(self.db, instance.id, "closed", self.now())
        if answered and held and not skipped:
            # The partner never got this one (their pace changed); say no more than that.
            await self._enqueue_to(
                answered,
                instance,
                pair,
                "private",
                messages.kept_for_you_message(self.text_of(instance)),
            )
        elif answered and skipped:
            names = await self.prompting.names_of(pair.member_ids)
            await self._enqueue_to(
                answered,
                instance,
                pair,
                "private",
                messages.stays_private_message(self.text_of(instance), [names[s] for s in skipped]),
            )
        return False

    async def settle_by_id(self, instance_id: int) -> bool:
        instance = await instance_store.get_instance(self.db, instance_id)
        pair = await pair_store.get_pair(self.db, instance.pair_id) if instance else None
        if instance is None or pair is None or instance.status != "open":
            return False
        return await self.settle(instance, pair)

    async def _reveal(self, instance: InstanceRow, pair: PairRow, answered: list[int]) -> bool:
        if not await instance_store.close_instance(self.db, instance.id, "revealed", self.now()):
            return False  # someone else's answer revealed it a moment ago
        answers = await answer_store.answers_for(self.db, instance.id)
        names = await self.prompting.names_of(pair.member_ids)
        prompt_text = self.text_of(instance)
        now = self.now()
        deliveries = []
        for reader in answered:
            others = [
                (names[uid], answers[uid].text, answers[uid].feeling)
                for uid in answered
                if uid != reader and uid in answers
            ]
            deliveries.append(
                NewDelivery(
                    dedupe_key=f"reveal:{instance.id}:{reader}",
                    kind="reveal",
                    due_at=now,
                    user_id=reader,
                    pair_id=pair.id,
                    instance_id=instance.id,
                    payload=dict(messages.reveal_message(prompt_text, others)),
                )
            )
        await outbox_store.enqueue(self.db, deliveries, now)
        self.wake()
        if self.after_reveal is not None:
            try:
                await self.after_reveal(pair)
            except Exception:
                # The answer is saved and revealed; an offer that failed must not tell the
                # member their answer went wrong. It is retried on the pair's next reveal.
                log.exception("after-reveal hook failed", extra={"pair_id": pair.id})
        return True

    async def _enqueue_to(
        self,
        user_ids: list[int],
        instance: InstanceRow,
        pair: PairRow,
        tag: str,
        payload: messages.MessagePayload,
    ) -> None:
        now = self.now()
        rows = outbox_store.notices(
            user_ids, f"{tag}:{instance.id}", payload, now, pair_id=pair.id, instance_id=instance.id
        )
        await outbox_store.enqueue(self.db, rows, now)
        self.wake()

    async def latest_open_for(self, user_id: int) -> int | None:
        return await answer_store.latest_open_instance_for(self.db, user_id)
