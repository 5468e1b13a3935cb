"""Following up gently, end to end: the activity check-in, going quiet (each choice and the 7-day
default), /closer history paging, and the depth-ladder offer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import CloserBot
from bot.cogs.components import NOT_FOR_YOU
from bot.core.models import Category
from bot.sandbox.driver import Member, Reply
from bot.storage import pairs
from bot.ui import messages
from tests.e2e.answers_helpers import (
    ACTIVITY,
    OTHER_QUESTIONS,
    QUESTION,
    answer_by_modal,
    answer_everything,
    at,
    is_prompt,
    labels,
    only_categories,
    seed_pair,
    send_prompt,
)
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def roomy_dm_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests live through days of driven clock in a second of real time, so Discord's
    real-time 5-per-5 s DM bucket would stall them; 429 handling is test_delivery's subject."""
    from bot.sandbox.limits import RouteBuckets

    monkeypatch.setitem(RouteBuckets.LIMITS, "POST /channels/{channel_id}/messages", (500, 5.0))


PACE_CHANGED = messages.pace_changed_message()["content"]


async def test_activity_check_in_comes_next_morning_and_reveals_like_a_question(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    activity_id = await send_prompt(harness, pair_id, ACTIVITY)  # Monday 08:00
    dm_a, dm_s = await ada.next_dm(), await sam.next_dm()
    await (await ada.click(dm_a, "We did it")).reply()
    await (await sam.click(dm_s, "Not this time")).reply()
    follow_up = bot.library.prompt(ACTIVITY).follow_up  # type: ignore[union-attr]
    assert follow_up
    harness.clock.set(at(1, 9, 59))
    await harness.tick()
    await ada.no_dm(0.05), await sam.no_dm(0.05)
    harness.clock.set(at(1, 10, 0, 30))
    await harness.tick()
    check_a, check_s = await ada.next_dm(), await sam.next_dm()
    for check in (check_a, check_s):
        assert labels(check) == {"Answer", "Skip", "Later"}
        assert check.embeds[0]["description"] == f"*How did it go?*\n\n{follow_up}"
    row = await bot.db.fetchone(
        "SELECT kind, text FROM prompt_instances WHERE slot_key = ?", (f"checkin:{activity_id}",)
    )
    assert row is not None and tuple(row) == ("question", follow_up)
    # Only once, however often the producer runs.
    await harness.tick()
    await ada.no_dm(0.05)
    modal = await (await ada.click(check_a, "Answer")).modal()
    assert follow_up.startswith(modal["components"][0]["components"][0]["label"].rstrip("…"))
    await answer_by_modal(ada, check_a, "We talked about moving to the coast.")
    await sam.send_dm("Mostly about the neighbours' cat.")
    await sam.next_dm()
    await harness.tick()
    reveal_a, reveal_s = await ada.next_dm(), await sam.next_dm()
    assert follow_up in reveal_a.text and "neighbours' cat" in reveal_a.text
    assert "moving to the coast" in reveal_s.text


async def test_no_check_in_when_nobody_did_the_activity(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    await send_prompt(harness, pair_id, ACTIVITY)
    dm_a, dm_s = await ada.next_dm(), await sam.next_dm()
    await (await ada.click(dm_a, "Not this time")).reply()
    await (await sam.click(dm_s, "Not this time")).reply()
    harness.clock.set(at(1, 12))
    await harness.tick()
    await ada.no_dm(0.05), await sam.no_dm(0.05)


# Going quiet ----------------------------------------------------------------------------------


async def _quiet_sam(harness: Harness, bot: CloserBot) -> tuple[Member, Member, int, Reply]:
    """Ada answers everything, Sam nothing, until Closer asks Sam about their pace."""
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam], scheduled=True)
    # Questions only, so the count is about daily prompts (activities add check-ins).
    await only_categories(bot, pair_id, {Category.CURIOSITY, Category.FEELINGS})
    prompts_to_sam = 0
    for day in range(8):
        harness.clock.set(at(day, 19))
        await harness.tick()
        await answer_everything(bot, ada.id)
        got = sam.unread()
        asks = [r for r in got if "How would you like your prompts?" in r.text]
        prompts_to_sam += sum(1 for r in got if is_prompt(r))
        if asks:
            assert prompts_to_sam == 3, prompts_to_sam
            assert day == 3
            assert {"Weekly instead", "Pause two weeks", "Keep going"} == labels(asks[0])
            assert "Ada will only hear that the pace changed" in asks[0].text
            pace = await bot.db.fetchval(
                "SELECT pace FROM pair_members WHERE pair_id = ? AND user_id = ?",
                (pair_id, sam.id),
            )
            assert pace == "held"
            ada.unread()
            return ada, sam, pair_id, asks[0]
    raise AssertionError("Sam was never asked about their pace")


def kept(reply: Reply) -> bool:
    """The note that an answer stays private because the partner was held back."""
    return "stays just with you" in reply.text


async def _prompts_for(member: Member) -> int:
    return sum(1 for r in member.unread() if is_prompt(r))


async def test_going_quiet_holds_prompts_and_asks_once(harness: Harness, bot: CloserBot) -> None:
    ada, sam, _, _ = await _quiet_sam(harness, bot)
    for day in (4, 5, 6):
        harness.clock.set(at(day, 19))
        await harness.tick()
        await answer_everything(bot, ada.id)
    got = sam.unread()
    assert not [r for r in got if is_prompt(r)]  # held: no new prompts
    assert not [r for r in got if "How would you like" in r.text]  # asked once
    assert await _prompts_for(ada) == 3  # Ada's prompts keep coming
    assert PACE_CHANGED not in [r.text for r in ada.dms()]  # nothing said while only held


async def test_weekly_instead_sends_sam_one_prompt_a_week(harness: Harness, bot: CloserBot) -> None:
    ada, sam, _, ask = await _quiet_sam(harness, bot)
    chosen = await (await sam.click(ask, "Weekly instead")).reply()
    assert chosen.ephemeral and chosen.text == messages.PACE_CHOSEN["weekly"]
    await harness.tick()
    told = [r for r in ada.unread() if not kept(r)]
    assert [r.text for r in told] == [PACE_CHANGED] and "Sam" not in told[0].text
    # Sam's last prompt was day 2; the next comes a week after it, on day 9.
    for day in range(4, 9):
        harness.clock.set(at(day, 19))
        await harness.tick()
    assert await _prompts_for(sam) == 0
    harness.clock.set(at(9, 19))
    await harness.tick()
    assert await _prompts_for(sam) == 1


async def test_pause_two_weeks_pauses_the_pair_and_tells_ada_only_the_pace_changed(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, pair_id, ask = await _quiet_sam(harness, bot)
    chosen = await (await sam.click(ask, "Pause two weeks")).reply()
    assert chosen.text == messages.PACE_CHOSEN["pause"]
    pair = await pairs.get_pair(bot.db, pair_id)
    assert pair is not None and pair.status == "paused"
    assert pair.paused_until == harness.clock.now() + timedelta(days=14)
    await harness.tick()
    assert [r.text for r in ada.unread() if not kept(r)] == [PACE_CHANGED]
    harness.clock.set(at(10, 19))
    await harness.tick()
    assert await _prompts_for(ada) == 0 and await _prompts_for(sam) == 0


async def test_keep_going_resumes_and_changes_nothing_for_ada(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, _, ask = await _quiet_sam(harness, bot)
    chosen = await (await sam.click(ask, "Keep going")).reply()
    assert chosen.text == messages.PACE_CHOSEN["keep"]
    # Only Sam may answer Sam's question.
    assert (await (await ada.click(ask, "Keep going")).reply()).text == NOT_FOR_YOU
    harness.clock.set(at(4, 19))
    await harness.tick()
    assert await _prompts_for(sam) == 1  # the very next slot, not held again straight away
    assert PACE_CHANGED not in [r.text for r in ada.unread()]


async def test_no_choice_in_seven_days_means_weekly(harness: Harness, bot: CloserBot) -> None:
    ada, sam, pair_id, _ = await _quiet_sam(harness, bot)
    harness.clock.set(at(10, 18, 59))  # asked on day 3 at 19:00
    await harness.tick()
    assert messages.pace_default_message()["content"] not in [r.text for r in sam.unread()]
    harness.clock.set(at(10, 19, 1))
    await harness.tick()
    assert messages.pace_default_message()["content"] in [r.text for r in sam.unread()]
    assert PACE_CHANGED in [r.text for r in ada.unread()]
    pace = await bot.db.fetchval(
        "SELECT pace FROM pair_members WHERE pair_id = ? AND user_id = ?", (pair_id, sam.id)
    )
    assert pace == "weekly"


# History ----------------------------------------------------------------------------------------


async def test_history_pages_through_own_and_revealed_answers_only(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, eve = harness.member("Ada"), harness.member("Sam"), harness.member("Eve")
    pair_id = await seed_pair(harness, [ada, sam])
    ids = []
    for n, prompt_id in enumerate((QUESTION, *OTHER_QUESTIONS[:6])):
        instance_id = await send_prompt(harness, pair_id, prompt_id)
        ids.append(instance_id)
        await bot.services.answers.submit(instance_id, ada.id, f"ada-answer-{n}")
        if n < 6:
            await bot.services.answers.submit(instance_id, sam.id, f"sam-answer-{n}")
        harness.clock.advance(timedelta(minutes=1))
    page1 = await (await ada.slash("closer history")).reply()
    assert page1.ephemeral
    entries = page1.embeds
    assert len(entries) == 5 and entries[-1]["footer"]["text"] == "Page 1 of 2"
    # Newest first; the newest is unrevealed (Sam hasn't answered), so only Ada's own shows.
    assert "ada-answer-6" in entries[0]["description"]
    assert "sam-answer" not in entries[0]["description"]
    assert "sam-answer-5" in entries[1]["description"]
    assert "ada-answer-5" in entries[1]["description"]
    page2 = await (await ada.click(page1, "Next")).reply()
    assert page2.embeds[-1]["footer"]["text"] == "Page 2 of 2"
    assert len(page2.embeds) == 2
    assert "sam-answer-0" in page2.embeds[1]["description"]
    back = await (await ada.click(page2, "Prev")).reply()
    assert back.embeds[-1]["footer"]["text"] == "Page 1 of 2"
    assert (await (await eve.click(page1, "Next")).reply()).text == NOT_FOR_YOU
    # Sam's view: never Ada's answer to the prompt Sam has not answered.
    sam_page = await (await sam.slash("closer history")).reply()
    assert "ada-answer-6" not in sam_page.text and "ada-answer-5" in sam_page.text
    eve_page = await (await eve.slash("closer history")).reply()
    assert "ada-answer" not in eve_page.text and eve_page.text.startswith("Nothing here yet")


# Depth ladder -----------------------------------------------------------------------------------


async def test_five_reveals_at_a_tier_bring_one_offer_to_go_deeper(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    for n, prompt_id in enumerate((QUESTION, *OTHER_QUESTIONS[:5])):
        instance_id = await send_prompt(harness, pair_id, prompt_id)
        await bot.services.answers.submit(instance_id, ada.id, "a")
        await bot.services.answers.submit(instance_id, sam.id, "b")
        await harness.tick()
        offers = [r for r in ada.unread() if "Go a little deeper?" in r.text]
        sam.unread()
        assert len(offers) == (1 if n == 4 else 0), n
        if offers:
            offer = offers[0]
    moved = await (await ada.click(offer, "Yes, a little deeper")).reply()
    assert "partner says yes too" in moved.text


async def test_a_held_partner_never_keeps_the_others_answer_waiting(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, pair_id, _ = await _quiet_sam(harness, bot)
    # Held, Sam gets nothing; Ada's answers are not left hanging for an answer that won't come.
    for day in (4, 5):
        harness.clock.set(at(day, 19))
        await harness.tick()
        await answer_everything(bot, ada.id)
        await harness.tick()
    kept_back = [r for r in ada.unread() if kept(r)]
    # Day 3's (Sam was held that evening) and days 4 and 5.
    assert len(kept_back) == 3
    assert all("Sam" not in r.text and "pace" not in r.text for r in kept_back)
    # Prompts Sam did receive stay open for him; the ones held back from him are closed.
    rows = await bot.db.fetchall(
        "SELECT i.status FROM prompt_instances i JOIN instance_members im "
        "ON im.instance_id = i.id AND im.user_id = ? WHERE i.pair_id = ? AND im.state = 'held'",
        (sam.id, pair_id),
    )
    assert len(rows) == 3 and {r[0] for r in rows} == {"closed"}
    # On demand too: /prompt now from Ada does not reach Sam while held.
    await bot.services.prompt_commands.send_now(
        (await pairs.get_pair(bot.db, pair_id)),
        requested_by=ada.id,  # type: ignore[arg-type]
    )
    await harness.tick()
    assert not [r for r in sam.unread() if is_prompt(r)]
    assert len([r for r in ada.unread() if is_prompt(r)]) == 1
