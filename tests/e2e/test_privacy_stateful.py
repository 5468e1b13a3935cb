"""A stateful property test of the privacy promise, through the sandbox and the real bot.

Members in several pairs at once (a couple, a circle pair and a trio) do random things in random
order: answer by form, by Discord reply, by plain DM (picking from the "which one?" buttons when
asked), edit, skip, Later, end a pair, forget, a restart. After every step, every text a member
has received as a partner's answer must have been written by that partner, for a prompt of a
pair both are in, and only after the receiver answered that prompt.

The second test runs the same machine against the old rule (a plain DM goes to the newest open
prompt) and shows the machine finds the wrong-partner reveal.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bot.core.models import Cadence, PairKind
from bot.playground.world import World
from bot.sandbox.driver import DriverError, Member, Reply, walk_components
from bot.sandbox.server import Sandbox
from bot.services.answers import AnswerService, DmRoute
from bot.storage import answers as answer_store
from bot.storage import members as member_store
from bot.storage import pairs as pair_store
from bot.ui import messages
from tests.shipped import shipped_library

pytestmark = pytest.mark.e2e

LIBRARY = shipped_library()
QUESTIONS = sorted(
    p.id for p in LIBRARY.prompts if p.kind.value == "question" and p.depth.value == "light"
)[:40]
NAMES = ("Ada", "Sam", "Lee", "Kim")
SAVED = ("Saved for ", "Updated your answer for ")


@dataclass
class Instance:
    id: int
    pair: int
    members: tuple[str, ...]
    prompts: dict[str, Reply] = field(repr=False)
    text: str = field(repr=False)
    answered: set[str] = field(default_factory=set)
    done: set[str] = field(default_factory=set)  # answered or skipped: no longer open to them
    closed: bool = False


class PrivacyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = tempfile.TemporaryDirectory()
        self.sandbox = Sandbox()
        self.run(self.sandbox.start())
        self.world = World(self.sandbox, LIBRARY, Path(self.tmp.name) / "closer.db")
        self.members = {name: self.world.member(name) for name in NAMES}
        self.run(self.world.start_bot())
        self.pairs: dict[int, tuple[str, ...]] = {}
        self.ended: set[int] = set()
        self.forgotten: set[str] = set()
        self.instances: dict[int, Instance] = {}
        self.intents: dict[str, tuple[str, int]] = {}  # text -> (author, instance)
        self.seen: dict[str, int] = dict.fromkeys(NAMES, 0)
        self.counter = 0
        self.next_prompt = 0

    # Plumbing ------------------------------------------------------------------------------
    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, 30))

    def teardown(self) -> None:
        with contextlib.suppress(Exception):
            self.run(self.world.stop_bot())
        with contextlib.suppress(Exception):
            self.run(self.sandbox.stop())
        self.loop.close()
        self.tmp.cleanup()

    def fresh_text(self, author: str) -> str:
        self.counter += 1
        return f"{author}-words-{self.counter}"

    def member(self, name: str) -> Member:
        return self.members[name]

    async def reply_to_dm(self, member: Member, before: int) -> Reply:
        """The bot's direct answer to a DM: the first new DM that is not a prompt or reveal."""
        for _ in range(250):
            for dm in member.dms()[before:]:
                if dm.text.startswith(SAVED) or not dm.embeds:
                    return dm
            await asyncio.sleep(0.02)
        raise DriverError(f"{member.name} got no reply")

    def open_for(self, name: str) -> list[Instance]:
        return [
            i
            for i in self.instances.values()
            if not i.closed
            and name in i.members
            and name not in i.done
            and i.pair not in self.ended
        ]

    def editable_for(self, name: str) -> list[Instance]:
        return [
            i
            for i in self.instances.values()
            if not i.closed and name in i.answered and i.pair not in self.ended
        ]

    def saved(self, author: str, instance: Instance, text: str) -> None:
        self.intents[text] = (author, instance.id)
        instance.answered.add(author)
        instance.done.add(author)
        self.settle(instance)

    def settle(self, instance: Instance) -> None:
        live = [m for m in instance.members if m not in self.forgotten]
        if all(m in instance.done for m in live):
            instance.closed = True

    # Set-up --------------------------------------------------------------------------------
    @initialize()
    def make_pairs(self) -> None:
        async def make() -> None:
            bot = self.world.running()
            now = self.world.clock.now()
            for name, m in self.members.items():
                await member_store.upsert_member(bot.db, m.id, name, now)
            for names, kind in (
                (("Ada", "Sam"), PairKind.COUPLE),
                (("Ada", "Lee"), PairKind.CIRCLE),
                (("Sam", "Lee", "Kim"), PairKind.CIRCLE),
            ):
                async with bot.db.transaction() as conn:
                    pair_id = await pair_store.insert_pair(
                        conn,
                        guild_id=self.world.guild.id,
                        kind=kind,
                        member_ids=tuple(self.members[n].id for n in names),
                        local_time="19:00",
                        cadence=Cadence.DAILY,
                        anchor=now.date(),
                        seed=7,
                        now=now,
                    )
                self.pairs[pair_id] = names

        self.run(make())
        for pair_id in list(self.pairs):
            self.send_prompt_to(pair_id)
        # The scene the bug was found in: Ada's circle partner has already answered theirs.
        circle = next(i for i in self.instances.values() if i.members == ("Ada", "Lee"))
        text = self.fresh_text("Lee")

        async def lee_answers() -> None:
            lee = self.member("Lee")
            before = len(lee.dms())
            await lee.send_dm(text, reply_to=circle.prompts["Lee"].message_id)
            if (await self.reply_to_dm(lee, before)).text.startswith(SAVED):
                self.saved("Lee", circle, text)

        self.run(lee_answers())

    # Rules ---------------------------------------------------------------------------------
    def send_prompt_to(self, pair_id: int) -> None:
        async def send() -> None:
            bot = self.world.running()
            pair = await pair_store.get_pair(bot.db, pair_id)
            prompt = LIBRARY.prompt(QUESTIONS[self.next_prompt % len(QUESTIONS)])
            self.next_prompt += 1
            assert pair is not None and prompt is not None
            instance_id = await bot.services.prompt_commands.deliver(pair, prompt)
            await self.world.tick()
            names = tuple(n for n in self.pairs[pair_id] if n not in self.forgotten)
            prompts: dict[str, Reply] = {}
            for name in names:
                for _ in range(250):
                    found = [
                        dm
                        for dm in self.member(name).dms()
                        if any(f":{instance_id}:" in cid for cid in dm.custom_ids())
                        and "closer:prompt:answer" in " ".join(dm.custom_ids())
                    ]
                    if found:
                        prompts[name] = found[0]
                        break
                    await asyncio.sleep(0.02)
            self.instances[instance_id] = Instance(
                instance_id, pair_id, names, prompts, prompt.text
            )

        self.run(send())

    @rule(data=st.data())
    def new_prompt(self, data: st.DataObject) -> None:
        live = sorted(p for p in self.pairs if p not in self.ended)
        if live:
            self.send_prompt_to(data.draw(st.sampled_from(live)))

    def pick_open(self, data: st.DataObject) -> tuple[str, Instance] | None:
        options = [
            (name, i)
            for name in NAMES
            if name not in self.forgotten
            for i in self.open_for(name) + self.editable_for(name)
            if name in i.prompts
        ]
        if not options:
            return None
        return data.draw(st.sampled_from(sorted(options, key=lambda o: (o[0], o[1].id))))

    @rule(data=st.data())
    def answer_by_form(self, data: st.DataObject) -> None:
        chosen = self.pick_open(data)
        if chosen is None:
            return
        name, instance = chosen
        text = self.fresh_text(name)

        async def act() -> None:
            member = self.member(name)
            handle = await member.click(instance.prompts[name], "Answer")
            if await handle.acknowledged() != 9:
                return
            modal = await handle.modal()
            got = await (await member.submit_modal(modal, {"answer": text})).reply()
            if got.text.startswith(SAVED):
                self.saved(name, instance, text)

        self.run(act())

    @rule(data=st.data())
    def answer_by_reply(self, data: st.DataObject) -> None:
        chosen = self.pick_open(data)
        if chosen is None:
            return
        name, instance = chosen
        text = self.fresh_text(name)

        async def act() -> None:
            member = self.member(name)
            before = len(member.dms())
            await member.send_dm(text, reply_to=instance.prompts[name].message_id)
            got = await self.reply_to_dm(member, before)
            if got.text.startswith(SAVED):
                self.saved(name, instance, text)

        self.run(act())

    @rule(data=st.data())
    def answer_by_plain_dm(self, data: st.DataObject) -> None:
        chosen = self.pick_open(data)
        if chosen is None:
            return
        name, target = chosen
        text = self.fresh_text(name)

        async def act() -> None:
            member = self.member(name)
            before = len(member.dms())
            await member.send_dm(text)
            got = await self.reply_to_dm(member, before)
            if got.text.startswith(SAVED):
                # Saved without asking: the member meant `target`, the only one it could be.
                self.saved(name, target, text)
                return
            buttons = [
                str(c.get("label")) for c in walk_components(got.components) if c.get("type") == 2
            ]
            partners = messages.names([n for n in target.members if n != name])
            wanted = [
                b
                for b in buttons
                if f" {partners}: " in b and target.text.startswith(b.split(": ", 1)[1][:20])
            ]
            if not wanted:
                return
            picked = await (await member.click(got, wanted[0])).reply()
            if picked.text.startswith(SAVED):
                self.saved(name, target, text)

        self.run(act())

    @rule(data=st.data())
    def skip(self, data: st.DataObject) -> None:
        chosen = self.pick_open(data)
        if chosen is None:
            return
        name, instance = chosen

        async def act() -> None:
            got = await (await self.member(name).click(instance.prompts[name], "Skip")).reply()
            if got.text == messages.SKIPPED_TEXT:
                instance.done.add(name)
                instance.answered.discard(name)
                self.settle(instance)

        self.run(act())

    @rule(data=st.data())
    def later(self, data: st.DataObject) -> None:
        chosen = self.pick_open(data)
        if chosen is None:
            return
        name, instance = chosen
        self.run(self.member(name).click(instance.prompts[name], "Later"))

    @rule()
    def time_passes(self) -> None:
        self.run(self.world.advance(timedelta(hours=3, minutes=5)))

    @rule(data=st.data())
    def end_a_pair(self, data: st.DataObject) -> None:
        live = sorted(p for p in self.pairs if p not in self.ended)
        if not live:
            return
        pair_id = data.draw(st.sampled_from(live))
        who = next((n for n in self.pairs[pair_id] if n not in self.forgotten), None)
        if who is None:
            return
        self.run(self.world.running().services.pairs.end(pair_id, self.member(who).id))
        self.ended.add(pair_id)

    @precondition(lambda self: len(self.forgotten) < 2)
    @rule(name=st.sampled_from(NAMES))
    def forget(self, name: str) -> None:
        if name in self.forgotten:
            return
        self.run(self.world.running().services.privacy.forget(self.member(name).id))
        self.forgotten.add(name)
        for pair_id, names in self.pairs.items():
            if name in names:
                self.ended.add(pair_id)

    @rule()
    def restart(self) -> None:
        async def again() -> None:
            await self.world.crash_bot()
            await self.world.start_bot()

        self.run(again())

    # The promise ---------------------------------------------------------------------------
    @invariant()
    def every_revealed_text_went_to_the_right_partner(self) -> None:
        if self.world.bot is None:
            return
        self.run(self.world.tick())
        for receiver in NAMES:
            dms = self.member(receiver).dms()
            for dm in dms[self.seen[receiver] :]:
                for embed in dm.embeds:
                    author = str((embed.get("author") or {}).get("name") or "")
                    if not author.endswith(" wrote"):
                        continue
                    writer = author.removesuffix(" wrote")
                    text = str(embed.get("description") or "")
                    assert text in self.intents, (receiver, writer, text)
                    meant_by, instance_id = self.intents[text]
                    instance = self.instances[instance_id]
                    assert meant_by == writer, (receiver, writer, text)
                    assert receiver in instance.members and writer in instance.members, (
                        f"{writer}'s words for {instance.members} reached {receiver}"
                    )
                    assert receiver in instance.answered or any(
                        a == receiver and i == instance_id for a, i in self.intents.values()
                    ), f"{receiver} saw {writer}'s answer before answering"
            self.seen[receiver] = len(dms)


# Derandomized: CI runs the same sequences every time (a search that found nothing yesterday
# still finds nothing today, and the broken-rule test below cannot pass by luck).
SETTINGS = settings(
    derandomize=True,
    max_examples=5,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate],
)


def test_answers_reach_only_the_partner_they_were_written_for() -> None:
    run_state_machine_as_test(PrivacyMachine, settings=SETTINGS)


async def _newest_open_guess(
    self: AnswerService, user_id: int, text: str, replied_to: int | None
) -> DmRoute | None:
    """The rule Closer used to have: a plain DM answers the newest prompt open or answered."""
    candidates = await answer_store.candidates_for(self.db, user_id)
    if not candidates:
        return None
    newest = max(candidates, key=lambda c: c.instance_id)
    return DmRoute(saved=await self.submit(newest.instance_id, user_id, text))


def test_the_machine_finds_the_old_wrong_partner_reveal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AnswerService, "route_dm", _newest_open_guess)
    # The old rule ignored replies and guessed the newest prompt: words meant for one partner
    # were revealed to another (and a partner's answer to someone who had not answered it).
    with pytest.raises(AssertionError, match=r"reached|before answering"):
        run_state_machine_as_test(
            PrivacyMachine,
            settings=settings(SETTINGS, max_examples=10, stateful_step_count=10),
        )
