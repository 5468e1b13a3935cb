"""Answering end to end: modal and DM answers, the reveal, replacing, trios, skip, Later, the one
gentle nudge, and every kind of bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import CloserBot
from bot.cogs.components import NOT_FOR_YOU
from bot.cogs.dms import NOTHING_OPEN, ONLY_ATTACHMENT
from bot.core.models import PairKind
from bot.sandbox.driver import walk_components
from bot.services.answers import CLOSED, REVEALED
from bot.storage import instances
from bot.ui import messages
from tests.e2e.answers_helpers import (
    QUESTION,
    answer_by_modal,
    at,
    is_prompt,
    labels,
    seed_pair,
    send_prompt,
)
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


async def test_modal_and_dm_answers_reveal_only_after_both_and_can_be_replaced(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    instance_id = await send_prompt(harness, pair_id, QUESTION)
    dm_a, dm_s = await ada.next_dm(), await sam.next_dm()
    assert is_prompt(dm_a) and is_prompt(dm_s)

    saved = await answer_by_modal(ada, dm_a, "Cut grass: summer at my gran's.")
    assert saved.ephemeral
    assert saved.text == "Saved for Sam. You'll see their answer once they've answered too."
    assert labels(saved) == {"Edit"}
    await harness.tick()
    await ada.no_dm(0.05), await sam.no_dm(0.05)  # nothing is revealed with one answer

    # A plain DM never silently overwrites: Ada is asked first, and replaces on purpose.
    await ada.send_dm("Sun cream. Every beach holiday at once.")
    ask = await ada.next_dm()
    assert ask.text == messages.which_prompt_text(1)
    replace = [c.get("label", "") for c in walk_components(ask.components) if c.get("type") == 2]
    assert len(replace) == 1 and replace[0].startswith("Replace my answer for Sam:")
    updated = await (await ada.click(ask, replace[0])).reply()
    assert updated.text == (
        "Updated your answer for Sam. You can change it until they've answered too."
    )

    await sam.send_dm("Bread baking — the bakery under my first flat.")
    await harness.tick()
    # The reply and the reveal go out at once (the answer wakes the sender), in either order.
    saved_s, reveal_s = sorted(
        [await sam.next_dm(), await sam.next_dm()], key=lambda m: not m.text.startswith("Saved")
    )
    assert saved_s.text == (
        "Saved for Ada. You've both answered — I've sent you each other's answers."
    )
    reveal_a = await ada.next_dm()
    assert "Bread baking — the bakery under my first flat." in reveal_a.text
    assert "Sam wrote" in reveal_a.text and "Ada wrote" not in reveal_a.text
    assert "Sun cream. Every beach holiday at once." in reveal_s.text
    assert "Cut grass" not in reveal_s.text  # the replaced answer is gone
    instance = await instances.get_instance(bot.db, instance_id)
    assert instance is not None and instance.status == "revealed"

    # The prompt has closed: its buttons and a further DM no longer take answers.
    closed = await (await ada.click(dm_a, "Answer")).reply()
    assert closed.ephemeral and closed.text == REVEALED
    skipped = await (await sam.click(dm_s, "Skip")).reply()
    assert skipped.text == CLOSED
    await ada.send_dm("One more thing")
    assert (await ada.next_dm()).text == NOTHING_OPEN


async def test_a_trio_reveals_to_everyone_once_all_three_answered(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, lee = harness.member("Ada"), harness.member("Sam"), harness.member("Lee")
    pair_id = await seed_pair(harness, [ada, sam, lee], kind=PairKind.CIRCLE)
    await send_prompt(harness, pair_id, QUESTION)
    dms = {m.name: await m.next_dm() for m in (ada, sam, lee)}
    await ada.send_dm("Ada: pine needles")
    await ada.next_dm()
    second = await answer_by_modal(sam, dms["Sam"], "Sam: woodsmoke")
    assert second.text == messages.answer_saved_text(["Ada", "Lee"], False, False)
    await harness.tick()
    await ada.no_dm(0.05)
    await lee.send_dm("Lee: rain on hot tarmac")
    await lee.next_dm()
    await harness.tick()
    for member, own in ((ada, "Ada:"), (sam, "Sam:"), (lee, "Lee:")):
        reveal = await member.next_dm()
        others = {"Ada:", "Sam:", "Lee:"} - {own}
        assert all(o in reveal.text for o in others), reveal.text
        assert own not in reveal.text


async def test_skip_keeps_the_other_answer_private(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    await send_prompt(harness, pair_id, QUESTION)
    dm_a, dm_s = await ada.next_dm(), await sam.next_dm()
    await answer_by_modal(ada, dm_a, "Oranges at Christmas")
    skipped = await (await sam.click(dm_s, "Skip")).reply()
    assert skipped.ephemeral and skipped.text == messages.SKIPPED_TEXT
    await harness.tick()
    notice = await ada.next_dm()
    assert notice.text.startswith("Sam passed on this one, so your answer stays private.")
    await sam.no_dm(0.05)
    assert not any("Oranges" in r.text for r in sam.dms())


async def test_later_brings_the_prompt_back_once_after_three_hours(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    await send_prompt(harness, pair_id, QUESTION)
    dm_s = await sam.next_dm()
    ada.unread()
    first = await (await sam.click(dm_s, "Later")).reply()
    assert first.ephemeral and first.text == messages.LATER_TEXT
    again = await (await sam.click(dm_s, "Later")).reply()
    assert again.text == messages.LATER_AGAIN_TEXT
    harness.clock.advance(timedelta(hours=2, minutes=59))
    await harness.tick()
    await sam.no_dm(0.05)
    harness.clock.advance(timedelta(minutes=2))
    await harness.tick()
    back = await sam.next_dm()
    assert is_prompt(back) and back.embeds[0]["description"] == dm_s.embeds[0]["description"]
    # Later on the returned copy does not bring it back a second time.
    assert (await (await sam.click(back, "Later")).reply()).text == messages.LATER_AGAIN_TEXT
    harness.clock.advance(timedelta(hours=6))
    await harness.tick()
    assert not [r for r in sam.unread() if is_prompt(r)]


async def test_one_gentle_nudge_names_a_partner_who_answered_and_never_repeats(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    await send_prompt(harness, pair_id, QUESTION)  # Monday 08:00
    dm_a = await ada.next_dm()
    await sam.next_dm()
    await answer_by_modal(ada, dm_a, "Lavender")
    harness.clock.set(at(1, 7, 59))
    await harness.tick()
    await sam.no_dm(0.05)
    harness.clock.set(at(1, 8, 1))
    await harness.tick()
    nudge = await sam.next_dm()
    assert nudge.content == "Ada has answered — yours is here whenever you're ready."
    assert labels(nudge) == {"Answer"}
    assert "Lavender" not in nudge.text  # the nudge says that she answered, never what
    await ada.no_dm(0.05)  # Ada answered: nothing to nudge her about
    for day in (2, 3, 4):
        harness.clock.set(at(day, 9))
        await harness.tick()
    await sam.no_dm(0.05)
    # The nudge's own button answers the same prompt, and the reveal follows.
    await answer_by_modal(sam, nudge, "Fresh paint")
    await harness.tick()
    assert "Fresh paint" in (await ada.next_dm()).text


async def test_nudge_without_answers_waits_out_quiet_hours_and_skips_activities(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    instance_id = await send_prompt(harness, pair_id, QUESTION)  # Monday 08:00
    await ada.next_dm(), await sam.next_dm()
    await (await sam.slash("closer quiet-hours", start="07:00", end="09:30")).reply()
    harness.clock.set(at(1, 8, 1))
    await harness.tick()
    nudge_a = await ada.next_dm()
    assert nudge_a.content == "No rush — today's question is still here if you'd like it."
    await sam.no_dm(0.05)  # 08:01 is inside Sam's quiet hours
    harness.clock.set(at(1, 9, 31))
    await harness.tick()
    assert (await sam.next_dm()).content == nudge_a.content
    rows = await bot.db.fetchall(
        "SELECT nudged_at FROM instance_members WHERE instance_id = ?", (instance_id,)
    )
    assert all(r[0] is not None for r in rows)
    # An activity gets the next-day check-in instead of a nudge.
    from tests.e2e.answers_helpers import ACTIVITY

    activity = await send_prompt(harness, pair_id, ACTIVITY)
    ada.unread(), sam.unread()
    harness.clock.set(at(2, 12))
    await harness.tick()
    assert not await bot.db.fetchval(
        "SELECT count(*) FROM deliveries WHERE kind = 'nudge' AND instance_id = ?", (activity,)
    )


# Bad input ---------------------------------------------------------------------------------


async def test_bad_answers_are_refused_kindly(harness: Harness, bot: CloserBot) -> None:
    ada, sam, eve = harness.member("Ada"), harness.member("Sam"), harness.member("Eve")
    pair_id = await seed_pair(harness, [ada, sam])
    instance_id = await send_prompt(harness, pair_id, QUESTION)
    dm_a = await ada.next_dm()
    modal = await (await ada.click(dm_a, "Answer")).modal()

    too_long = await (await ada.submit_modal(modal, {"answer": "x" * 2001})).reply()
    assert too_long.ephemeral
    assert too_long.text == (
        "That's 2001 characters; answers can be up to 2000. Could you trim it a little?"
    )
    blank = await (await ada.submit_modal(modal, {"answer": "   "})).reply()
    assert blank.text == "An empty answer can't be saved. Write a few words, or press Skip."
    await ada.send_dm("", attachments=1)
    assert (await ada.next_dm()).text == ONLY_ATTACHMENT

    # Someone else pressing Ada's button, or submitting a modal made out for Ada.
    stolen = await (await eve.click(dm_a, "Answer")).reply()
    assert stolen.ephemeral and stolen.text == NOT_FOR_YOU
    forged = {
        "custom_id": f"closer:answer:{instance_id}:{ada.id}",
        "components": modal["components"],
    }
    refused = await (await eve.submit_modal(forged, {"answer": "I'm Ada, honest"})).reply()
    assert refused.text == NOT_FOR_YOU
    # …or a modal in her own name for an instance of a pair she is not in.
    own_name = {**forged, "custom_id": f"closer:answer:{instance_id}:{eve.id}"}
    not_hers = await (await eve.submit_modal(own_name, {"answer": "Let me in"})).reply()
    assert not_hers.text == "That prompt isn't one of yours."

    assert await bot.db.fetchval("SELECT count(*) FROM answers") == 0
    # A valid answer still works after all that.
    ok = await (await ada.submit_modal(modal, {"answer": "y" * 2000})).reply()
    assert ok.text.startswith("Saved for ")


async def test_no_reminder_for_someone_who_chose_a_slower_pace(
    harness: Harness, bot: CloserBot
) -> None:
    from bot.storage import followups

    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    await send_prompt(harness, pair_id, QUESTION)
    dm_a = await ada.next_dm()
    await sam.next_dm()
    async with bot.db.transaction() as conn:
        await followups.set_pace(conn, pair_id, sam.id, "weekly", harness.clock.now())
    await answer_by_modal(ada, dm_a, "Lavender")
    harness.clock.set(at(1, 8, 1))
    await harness.tick()
    await sam.no_dm(0.05)
    harness.clock.set(at(2, 9))
    await harness.tick()
    await sam.no_dm(0.05)
