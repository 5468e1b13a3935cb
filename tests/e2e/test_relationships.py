"""Relationship kinds end to end (issue 13): invite as partners, friends or family; status names
it; either member proposes a change that the other accepts or declines; a friends pair never gets
a prompt written only for partners."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import CloserBot
from bot.cogs.components import NOT_FOR_YOU
from bot.core.models import Depth, Library, PairKind, Relationship
from bot.errors import UserFacingError
from bot.sandbox.driver import Member, Reply
from bot.storage import pairs
from bot.ui.messages import OPT_OUT_LINE
from tests.e2e.answers_helpers import labels, seed_pair
from tests.e2e.harness import Harness, running_sandbox

pytestmark = pytest.mark.e2e


async def pair_as(harness: Harness, a: Member, b: Member, kind: str) -> Reply:
    """`a` invites `b` as `kind`, `b` accepts; returns the invite DM `b` saw."""
    reply = await (await a.slash("pair invite", member=b, relationship=kind)).reply()
    assert reply.ephemeral
    assert reply.text == (
        f"Invite sent to {b.name} to pair as {kind}. I'll let you know when they answer; "
        "it stays open for 7 days."
    )
    invite = await b.next_dm()
    accepted = await (await b.click(invite, "Accept")).reply()
    assert f"You and **{a.name}** are paired as {kind}." in accepted.text
    return invite


@pytest.mark.parametrize("kind", ["partners", "friends", "family"])
async def test_invite_names_the_relationship_and_the_pair_keeps_it(
    harness: Harness, bot: CloserBot, kind: str
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    invite = await pair_as(harness, ada, sam, kind)
    assert f"**Ada** would like to pair with you as {kind} on Closer" in invite.text
    await harness.tick()
    told = await ada.next_dm()
    assert f"You and **Sam** are paired as {kind}." in told.text
    pair = await pairs.couple_of(bot.db, harness.guild.id, ada.id)
    assert pair is not None and pair.relationship is Relationship(kind)
    for member in (ada, sam):
        status = await (await member.slash("pair status")).reply()
        fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
        assert fields["Relationship"] == kind.capitalize()
        assert "Couple" not in status.text


async def test_invite_without_a_known_relationship_is_refused(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    reply = await (
        await ada.slash("pair invite", member=sam, relationship="circle", _bypass=True)
    ).reply()
    assert reply.ephemeral and reply.text == "Relationship must be partners, friends or family."
    assert sam.unread() == []
    assert await bot.db.fetchval("SELECT count(*) FROM invites") == 0


async def test_a_change_of_relationship_needs_the_other_to_accept(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, eve = harness.member("Ada"), harness.member("Sam"), harness.member("Eve")
    await pair_as(harness, ada, sam, "partners")
    await harness.tick()
    ada.unread()
    asked = await (await ada.slash("pair relationship", kind="friends")).reply()
    assert asked.ephemeral
    assert asked.text == (
        "I've asked Sam whether you'd like to be paired as friends. Nothing changes unless "
        "they accept, and I'll let you know either way."
    )
    pair = await pairs.couple_of(bot.db, harness.guild.id, ada.id)
    assert pair is not None and pair.relationship is Relationship.PARTNERS
    waiting = await (await ada.slash("pair status")).reply()
    assert "You've proposed pairing as friends." in waiting.text

    await harness.tick()
    question = await sam.next_dm()
    assert "**Ada** would like your Closer pair to be as friends rather than as partners" in (
        question.text
    )
    assert {"Accept", "Decline"} <= labels(question)
    stolen = await (await eve.click(question, "Accept")).reply()
    assert stolen.text == NOT_FOR_YOU

    done = await (await sam.click(question, "Accept")).reply()
    assert done.content == "Done — you're now paired as friends. Your prompts will suit that."
    await harness.tick()
    told = await ada.next_dm()
    assert told.text == (
        "Sam said yes: you're now paired as friends, and your prompts will suit that from the "
        "next one."
    )
    pair = await pairs.couple_of(bot.db, harness.guild.id, ada.id)
    assert pair is not None and pair.relationship is Relationship.FRIENDS
    assert pair.proposed_relationship is None
    status = await (await sam.slash("pair status")).reply()
    assert {f["name"]: f["value"] for f in status.embeds[0]["fields"]}["Relationship"] == "Friends"
    # The buttons are gone from Sam's message; a stale press (a second client) changes nothing.
    with pytest.raises(UserFacingError, match="already been answered"):
        await bot.services.pairs.answer_relationship(
            pair.id, sam.id, ada.id, Relationship.PARTNERS, accept=True
        )


async def test_a_declined_change_leaves_the_pair_as_it_was_and_says_so_kindly(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await pair_as(harness, ada, sam, "friends")
    await harness.tick()
    ada.unread()
    await (await sam.slash("pair relationship", kind="family")).reply()
    await harness.tick()
    question = await ada.next_dm()
    declined = await (await ada.click(question, "Decline")).reply()
    assert declined.content == (
        "Okay, nothing changes. They'll only hear that you'd rather keep things as they are."
    )
    await harness.tick()
    told = await sam.next_dm()
    assert told.text == (
        "Ada would rather keep things as they are for now, so your pair stays the same. "
        "That's okay — nothing else changes."
    )
    pair = await pairs.couple_of(bot.db, harness.guild.id, ada.id)
    assert pair is not None and pair.relationship is Relationship.FRIENDS
    assert (pair.proposed_relationship, pair.proposed_by) == (None, None)


async def test_relationship_refusals(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    kim, lee = harness.member("Kim"), harness.member("Lee")
    await pair_as(harness, ada, sam, "family")
    same = await (await ada.slash("pair relationship", kind="family")).reply()
    assert same.text == "You're already paired as family, so there's nothing to change."
    await seed_pair(harness, [kim, lee], kind=PairKind.CIRCLE)
    circle = await (await kim.slash("pair relationship", kind="partners")).reply()
    assert circle.text.startswith("Circle groups change every round")
    await harness.tick()
    assert lee.unread() == [] and sam.unread() == []
    rows = await bot.db.fetchall("SELECT relationship, proposed_relationship FROM pairs")
    assert sorted(tuple(r) for r in rows) == [("circle", None), ("family", None)]


# A friends pair and prompts written for partners ------------------------------------------------


@pytest.fixture
def roomy_dm_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two dozen prompts in a second of real time: Discord's real-time 5-per-5 s DM bucket would
    stretch this test to half a minute (429 handling is test_delivery's subject)."""
    from bot.sandbox.limits import RouteBuckets

    monkeypatch.setitem(RouteBuckets.LIMITS, "POST /channels/{channel_id}/messages", (500, 5.0))


@pytest.fixture
async def half_partners(
    library: Library, tmp_path: Path, roomy_dm_buckets: None
) -> AsyncIterator[Harness]:
    """The real library with every other prompt made partners-only, so a selection that ignored
    the relationship would hand a friends pair one almost at once."""
    tailored = Library(
        prompts=tuple(
            replace(p, audience=frozenset({Relationship.PARTNERS})) if i % 2 else p
            for i, p in enumerate(library.prompts)
        ),
        challenges=(),
    )
    async with running_sandbox() as sandbox:
        h = Harness(sandbox, tailored, tmp_path / "closer.db")
        try:
            yield h
        finally:
            await h.stop_bot()


async def test_a_friends_pair_never_gets_a_partners_only_prompt(half_partners: Harness) -> None:
    harness = half_partners
    bot = await harness.start_bot()
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await pair_as(harness, ada, sam, "friends")
    pair = await pairs.couple_of(bot.db, harness.guild.id, ada.id)
    assert pair is not None
    await pairs.set_depth(bot.db, pair.id, Depth.DEEP)  # every tier, so deep prompts come too
    await harness.tick()
    ada.unread(), sam.unread()
    # As /prompt now gives them, without its three-a-day limit for the one asking.
    for _ in range(24):
        fresh = await pairs.get_pair(bot.db, pair.id)
        assert fresh is not None
        await bot.services.prompt_commands.send_now(fresh)
        await harness.tick()
    got = [r for r in sam.unread() if r.embeds and r.embeds[0].get("description")]
    rows = await bot.db.fetchall(
        "SELECT prompt_id FROM prompt_instances WHERE pair_id = ? ORDER BY id", (pair.id,)
    )
    assert len(rows) == 24 and len(got) == 24
    sent = [bot.library.prompt(str(r[0])) for r in rows]
    assert all(p is not None and Relationship.FRIENDS in p.audience for p in sent), sent
    # Deep prompts carry the renderer's opt-out line; lighter ones don't.
    for prompt, dm in zip(sent, got, strict=True):
        assert prompt is not None
        description = str(dm.embeds[0]["description"])
        assert description.startswith(prompt.text)
        assert description.endswith(f"*{OPT_OUT_LINE}*") is (prompt.depth is Depth.DEEP)
    assert any(p is not None and p.depth is Depth.DEEP for p in sent)
