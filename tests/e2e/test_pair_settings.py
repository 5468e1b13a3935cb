"""The pair's own settings end to end: schedule, depth, topics, and the `with` option."""

from __future__ import annotations

import pytest

from bot.app import CloserBot
from bot.core.models import Category
from bot.storage import instances, pairs
from tests.e2e.harness import Harness
from tests.e2e.test_pairing_couples import invite_and_accept

pytestmark = pytest.mark.e2e


async def test_schedule_change_tells_the_partner(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await invite_and_accept(harness, ada, sam)
    await harness.tick()
    ada.unread()
    reply = await (await sam.slash("pair schedule", time="07:15", cadence="weekly")).reply()
    assert reply.text.startswith("Done — new schedule saved.")
    await harness.tick()
    told = await ada.next_dm()
    assert told.text == "Sam moved your prompts: they now come once a week at 07:15."
    status = await (await ada.slash("pair status")).reply()
    assert "once a week at 07:15" in status.text


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "Tell me a new `time`, a new `cadence`, or both."),
        ({"time": "7"}, "Time must look like 19:30 (24-hour HH:MM), in your own time zone."),
        ({"cadence": "monthly"}, "Cadence must be daily, weekdays or weekly."),
    ],
)
async def test_schedule_bad_input(
    harness: Harness, bot: CloserBot, options: dict[str, str], expected: str
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await invite_and_accept(harness, ada, sam)
    reply = await (await ada.slash("pair schedule", **options)).reply()
    assert reply.ephemeral and reply.text == expected


async def test_depth_steps_back_without_saying_who(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await invite_and_accept(harness, ada, sam)
    pair = await pairs.couple_of(bot.db, harness.guild.id, ada.id)
    assert pair is not None
    from bot.core.models import Depth

    await pairs.set_depth(bot.db, pair.id, Depth.DEEP)
    await harness.tick()
    ada.unread(), sam.unread()
    reply = await (await ada.slash("pair depth", level="light")).reply()
    assert reply.text.startswith("Done — prompts will stay light")
    await harness.tick()
    assert not sam.unread(), "the partner is not told who stepped back"
    again = await (await sam.slash("pair depth", level="medium")).reply()
    assert again.text == "You're already at light; nothing to step back to."
    bad = await (await sam.slash("pair depth", level="deep")).reply()
    assert "only when you both say yes" in bad.text
    odd = await (await sam.slash("pair depth", level="abyssal")).reply()
    assert odd.text == "Depth can be light or medium."


async def test_going_deeper_needs_both(harness: Harness, bot: CloserBot) -> None:
    from bot.core.models import Depth

    ada, sam = harness.member("Ada"), harness.member("Sam")
    await invite_and_accept(harness, ada, sam)
    pair = await pairs.couple_of(bot.db, harness.guild.id, ada.id)
    assert pair is not None
    assert not await bot.services.pairs.vote_deeper(pair.id, ada.id, Depth.MEDIUM)
    assert (await pairs.get_pair(bot.db, pair.id)).depth is Depth.LIGHT  # type: ignore[union-attr]
    assert await bot.services.pairs.vote_deeper(pair.id, sam.id, Depth.MEDIUM)
    assert (await pairs.get_pair(bot.db, pair.id)).depth is Depth.MEDIUM  # type: ignore[union-attr]


async def test_muted_topics_are_never_sent(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await invite_and_accept(harness, ada, sam)
    keep = {Category.GRATITUDE, Category.HUMOR}
    for category in Category:
        if category not in keep:
            reply = await (
                await ada.slash("pair topics", category=category.value, on=False)
            ).reply()
            assert reply.text == f"{category.label} is muted for this pair."
    last = await (await ada.slash("pair topics", category="humor", on=False)).reply()
    assert last.text == f"{Category.HUMOR.label} is muted for this pair."
    final = await (await ada.slash("pair topics", category="gratitude", on=False)).reply()
    assert final.text == "That would mute every topic. Keep at least one on."
    pair = await pairs.couple_of(bot.db, harness.guild.id, ada.id)
    assert pair is not None
    for _ in range(6):
        await (await ada.slash("prompt now")).reply()
    history = await instances.pair_history(bot.db, pair.id)
    assert history and {h.category for h in history} == {Category.GRATITUDE}
    unknown = await (await ada.slash("pair topics", category="cooking", on=True)).reply()
    assert unknown.text.startswith("Pick a topic from the list:")


async def test_with_option_picks_the_pair(harness: Harness, bot: CloserBot) -> None:
    ada, sam, kim = harness.member("Ada"), harness.member("Sam"), harness.member("Kim")
    await invite_and_accept(harness, ada, sam)
    choices = await (await ada.autocomplete("pair status", "with", **{"with": ""})).choices()
    assert [c["name"] for c in choices] == ["Sam"]
    status = await (await ada.slash("pair status", **{"with": str(sam.id)})).reply()
    assert "You and Sam" in status.text
    wrong = await (await ada.slash("pair status", **{"with": str(kim.id)})).reply()
    assert wrong.text == "You're not paired with that member here right now."
    garbage = await (await ada.slash("pair status", **{"with": "not-a-person"})).reply()
    assert garbage.text == "Pick your partner from the list for the `with` option."


async def test_prompt_skip_closes_for_both(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await invite_and_accept(harness, ada, sam)
    nothing = await (await ada.slash("prompt skip")).reply()
    assert nothing.text == "There's no open prompt to skip right now."
    await (await ada.slash("prompt now")).reply()
    await harness.tick()
    ada.unread()
    dm = (sam.unread() or [await sam.next_dm()])[-1]
    skipped = await (await ada.slash("prompt skip")).reply()
    assert skipped.text == "Skipped for both of you. No questions asked."
    late = await (await sam.click(dm, "Later")).reply()
    assert late.text == "This prompt has closed, so it can't take answers any more."
