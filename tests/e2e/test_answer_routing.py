"""Answers go where the member meant them (issue: the wrong-partner reveal).

Ada is in a couple pair with Sam and a circle pair with Lee at once. A plain DM is never
guessed onto one of her prompts; a Discord reply answers the prompt it replies to; a reply to a
reminder or a reveal maps to the prompt it is about; every confirmation names the partner.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import CloserBot
from bot.cogs.dms import CHOICE_TTL
from bot.core.models import PairKind
from bot.sandbox.driver import Member, Reply, walk_components
from bot.services.answers import EMPTY, REVEALED
from bot.ui import messages
from tests.e2e.answers_helpers import OTHER_QUESTIONS, QUESTION, seed_pair, send_prompt
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e

TENDER = "I still think about the night you sat with me in the hospital corridor."


def buttons(reply: Reply) -> list[str]:
    return [str(c.get("label")) for c in walk_components(reply.components) if c.get("type") == 2]


async def answers_of(bot: CloserBot, user_id: int) -> dict[int, str]:
    rows = await bot.db.fetchall(
        "SELECT instance_id, text FROM answers WHERE user_id = ?", (user_id,)
    )
    return {int(r[0]): str(r[1]) for r in rows}


async def two_pairs(harness: Harness) -> tuple[Member, Member, Member, int, int, Reply, Reply]:
    """Ada with Sam (couple) and with Lee (circle); Lee has already answered the circle prompt."""
    ada, sam, lee = harness.member("Ada"), harness.member("Sam"), harness.member("Lee")
    couple = await seed_pair(harness, [ada, sam])
    circle = await seed_pair(harness, [ada, lee], kind=PairKind.CIRCLE)
    couple_instance = await send_prompt(harness, couple, QUESTION)
    prompt_sam = await ada.next_dm()
    await sam.next_dm()
    circle_instance = await send_prompt(harness, circle, OTHER_QUESTIONS[0])
    prompt_lee = await ada.next_dm()
    await lee.next_dm()
    await lee.send_dm("Lee: the smell of my first bike shop.")
    assert (await lee.next_dm()).text.startswith("Saved for Ada.")
    del couple_instance, circle_instance
    return ada, sam, lee, couple, circle, prompt_sam, prompt_lee


async def test_a_plain_dm_with_two_prompts_open_is_never_guessed(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, lee, _, _, _, _ = await two_pairs(harness)
    await ada.send_dm(TENDER)
    ask = await ada.next_dm()
    assert ask.text == messages.which_prompt_text(2)
    choices = buttons(ask)
    assert len(choices) == 2
    assert any(c.startswith("For Sam: Which smell") for c in choices), choices
    assert any(c.startswith("For Lee: ") for c in choices), choices
    # Nothing is saved or revealed until Ada picks.
    assert await answers_of(bot, ada.id) == {}
    await harness.tick()
    await lee.no_dm(0.05)
    await sam.no_dm(0.05)

    picked = await (await ada.click(ask, next(c for c in choices if "Sam" in c))).reply()
    assert picked.text == "Saved for Sam. You'll see their answer once they've answered too."
    assert list((await answers_of(bot, ada.id)).values()) == [TENDER]
    await harness.tick()
    # Lee, who had answered the other prompt, never sees words meant for Sam.
    await lee.no_dm(0.05)
    assert not any(TENDER in r.text for r in lee.dms())


async def test_a_discord_reply_answers_the_prompt_it_replies_to(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, lee, _, _, prompt_sam, prompt_lee = await two_pairs(harness)
    await ada.send_dm("Fresh paint, my grandad's shed.", reply_to=prompt_lee.message_id)
    await harness.tick()
    # The confirmation and Lee's answer, in whichever order the sender and the reply raced.
    got = [(await ada.next_dm()).text for _ in range(2)]
    assert any(t.startswith("Saved for Lee. You've both answered") for t in got), got
    assert any("Lee: the smell of my first bike shop." in t for t in got), got
    reveal = await lee.next_dm()
    assert "Fresh paint, my grandad's shed." in reveal.text
    await sam.no_dm(0.05)

    # The couple prompt is now the only one open: a reply to it, or a plain DM, goes there.
    await ada.send_dm(TENDER, reply_to=prompt_sam.message_id)
    assert (await ada.next_dm()).text.startswith("Saved for Sam.")
    assert TENDER in (await answers_of(bot, ada.id)).values()
    assert not any(TENDER in r.text for r in lee.dms())


async def test_a_reply_to_a_reveal_or_a_reminder_maps_to_its_prompt(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, lee, _, _, prompt_sam, prompt_lee = await two_pairs(harness)
    # A reminder (Later) is a copy of the prompt: a reply to it answers that prompt.
    later = await (await ada.click(prompt_sam, "Later")).reply()
    assert later.text == messages.LATER_TEXT
    await harness.advance(timedelta(hours=3, minutes=1))
    reminder = await ada.next_dm()
    assert reminder.message_id != prompt_sam.message_id
    await ada.send_dm("Cinnamon — my mum's kitchen.", reply_to=reminder.message_id)
    assert (await ada.next_dm()).text.startswith("Saved for Sam.")

    await ada.send_dm("Wet leaves in autumn.", reply_to=prompt_lee.message_id)
    await harness.tick()
    got = [await ada.next_dm() for _ in range(2)]
    reveal_for_ada = next(r for r in got if "Lee wrote" in r.text)
    await lee.next_dm()
    # A reply to the reveal is about a prompt that can no longer change: refused, never moved
    # onto the couple prompt that is still open.
    before = await answers_of(bot, ada.id)
    await ada.send_dm("Oh that's lovely!", reply_to=reveal_for_ada.message_id)
    assert (await ada.next_dm()).text == REVEALED
    assert await answers_of(bot, ada.id) == before
    await sam.no_dm(0.05)


async def test_the_which_one_question_expires_and_saves_nothing(
    harness: Harness, bot: CloserBot
) -> None:
    ada, _, lee, _, _, _, _ = await two_pairs(harness)
    await ada.send_dm(TENDER)
    ask = await ada.next_dm()
    await harness.advance(CHOICE_TTL + timedelta(minutes=1))
    late = await (await ada.click(ask, buttons(ask)[1])).reply()
    assert late.text.startswith("That question has expired, so nothing was saved.")
    assert await answers_of(bot, ada.id) == {}
    await lee.no_dm(0.05)


async def test_the_which_one_buttons_act_only_for_the_member(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, _, _, _, _, _ = await two_pairs(harness)
    await ada.send_dm(TENDER)
    ask = await ada.next_dm()
    stolen = await (await sam.click(ask, buttons(ask)[0])).reply()
    assert stolen.ephemeral and "someone else" in stolen.text
    assert await answers_of(bot, ada.id) == {}
    assert await answers_of(bot, sam.id) == {}


@pytest.mark.parametrize("blank", ["\u200b\u200b", " \u200d\ufeff ", "\u2060"])
async def test_invisible_answers_are_refused(harness: Harness, bot: CloserBot, blank: str) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    await send_prompt(harness, pair_id, QUESTION)
    await ada.next_dm()
    await ada.send_dm(blank)
    assert (await ada.next_dm()).text == EMPTY
    assert await answers_of(bot, ada.id) == {}


async def test_a_long_answer_arrives_whole(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    await send_prompt(harness, pair_id, QUESTION)
    await ada.next_dm(), await sam.next_dm()
    long_answer = " ".join(f"word{i:04d}" for i in range(222))[:1990] + " — end."
    assert 1900 < len(long_answer) <= 2000
    await ada.send_dm(long_answer)
    await ada.next_dm()
    await sam.send_dm("Short and sweet.")
    await sam.next_dm()
    await harness.tick()
    reveal = await sam.next_dm()
    assert long_answer in reveal.text
