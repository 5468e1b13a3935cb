"""Guess and pick prompts end to end: the two-field guess form and the pick menu, their reveals
(only once both answered), history, export and forget."""

from __future__ import annotations

import json

import pytest

from bot.app import CloserBot
from bot.core.models import PairKind
from bot.sandbox.driver import Member, Reply, walk_components
from bot.services.answers import GUESS_BY_FORM, PICK_BY_MENU
from bot.ui import trust
from tests.e2e.answers_helpers import labels, seed_pair, send_prompt
from tests.e2e.harness import Harness
from tests.e2e.trust_support import snapshot, traces

pytestmark = pytest.mark.e2e

GUESS = "curiosity.guess-comfort-food"
PICK = "curiosity.pick-sunrise-or-sunset"  # Sunrise | Sunset
PICK_FOUR = "curiosity.pick-free-week-where"  # Mountains | Seaside | A big city | ...

ADA_GUESS = "Cheese on toast, no question"


def _embed_by(reveal: Reply, author: str) -> dict[str, object]:
    for e in reveal.embeds:
        if (e.get("author") or {}).get("name") == author:
            return e
    raise AssertionError(f"no embed by {author!r}: {reveal.embeds}")


def _field(embed: dict[str, object]) -> tuple[str, str]:
    fields = embed.get("fields") or []
    assert isinstance(fields, list) and len(fields) == 1, embed
    return str(fields[0]["name"]), str(fields[0]["value"])


async def _guess(member: Member, dm: Reply, answer: str, guess: str) -> Reply:
    modal = await (await member.click(dm, "Answer")).modal()
    inputs = [c["custom_id"] for c in walk_components(modal["components"]) if c.get("type") == 4]
    assert inputs == ["answer", "guess"]
    return await (await member.submit_modal(modal, {"answer": answer, "guess": guess})).reply()


async def _pick(member: Member, dm: Reply, option: int, why: str = "") -> Reply:
    menu = next(i for i in dm.custom_ids() if i.startswith("closer:pick:"))
    modal = await (await member.click(dm, menu, values=[str(option)])).modal()
    return await (await member.submit_modal(modal, {"why": why})).reply()


async def test_guess_reveals_answers_and_guesses_side_by_side_then_history_export_forget(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    await send_prompt(harness, pair_id, GUESS)
    dm_a, dm_s = await ada.next_dm(), await sam.next_dm()
    assert {"Answer", "Skip", "Later"} <= labels(dm_a) and "guess what Sam" in dm_a.text

    # A Discord reply would carry only half of it: nothing is saved, and Ada is told how.
    await ada.send_dm("Ramen", reply_to=dm_a.message_id)
    assert (await ada.next_dm()).text == GUESS_BY_FORM
    assert await bot.db.fetchval("SELECT COUNT(*) FROM answers") == 0

    saved = await _guess(ada, dm_a, "Ramen with a soft egg", ADA_GUESS)
    assert saved.ephemeral and saved.text.startswith("Saved for Sam.")
    await harness.tick()
    await ada.no_dm(0.05), await sam.no_dm(0.05)  # nothing is revealed with one answer

    await _guess(sam, dm_s, "Cheese on toast", "Ramen, always ramen")
    await harness.tick()
    reveal_a, reveal_s = await ada.next_dm(), await sam.next_dm()
    # Each person's answer whole, with what the other guessed for them beside it.
    assert _embed_by(reveal_a, "You wrote")["description"] == "Ramen with a soft egg"
    assert _field(_embed_by(reveal_a, "You wrote")) == ("Sam guessed", "Ramen, always ramen")
    assert _embed_by(reveal_a, "Sam wrote")["description"] == "Cheese on toast"
    assert _field(_embed_by(reveal_a, "Sam wrote")) == ("You guessed", ADA_GUESS)
    assert _field(_embed_by(reveal_s, "Ada wrote")) == ("You guessed", "Ramen, always ramen")
    assert _field(_embed_by(reveal_s, "You wrote")) == ("Ada guessed", ADA_GUESS)

    history = await (await ada.slash("closer history")).reply()
    assert f"Ramen with a soft egg · guessed: {ADA_GUESS}" in history.text.replace("*", "")
    assert "Cheese on toast · guessed: Ramen, always ramen" in history.text.replace("*", "")

    export = await (await ada.slash("closer export")).reply()
    rows = json.loads(export.files[0]["data"])["tables"]["answers"]
    assert [(r["text"], r["guess"]) for r in rows] == [("Ramen with a soft egg", ADA_GUESS)]

    assert traces(await snapshot(bot.db), ada.id, [ADA_GUESS])  # the scan can find it
    ask = await (await ada.slash("closer forget")).reply()
    assert (await (await ada.click(ask, "Delete everything")).reply()).content == trust.FORGET_DONE
    assert traces(await snapshot(bot.db), ada.id, [ADA_GUESS]) == []


async def test_pick_from_the_menu_with_an_optional_why_reveals_match_or_not(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    await send_prompt(harness, pair_id, PICK)
    dm_a, dm_s = await ada.next_dm(), await sam.next_dm()
    assert labels(dm_a) == {"Skip", "Later"}  # the menu answers it, no form
    await ada.send_dm("Both, honestly", reply_to=dm_a.message_id)
    assert (await ada.next_dm()).text == PICK_BY_MENU

    saved = await _pick(ada, dm_a, 0, "Quiet coffee before anyone's up")
    assert saved.ephemeral and "choose again from the menu" in saved.text
    await harness.tick()
    await sam.no_dm(0.05)
    await _pick(sam, dm_s, 1)  # no why: that's fine
    await harness.tick()
    reveal_a, reveal_s = await ada.next_dm(), await sam.next_dm()
    assert reveal_a.content == "You picked Sunrise, Sam picked Sunset."
    assert reveal_s.content == "You picked Sunset, Ada picked Sunrise."
    assert _embed_by(reveal_s, "Ada wrote why")["description"] == "Quiet coffee before anyone's up"
    assert len(reveal_a.embeds) == 2  # Sam gave no why: the prompt and Ada's own why

    await send_prompt(harness, pair_id, PICK_FOUR)
    dm_a, dm_s = await ada.next_dm(), await sam.next_dm()
    await _pick(ada, dm_a, 1)
    await _pick(sam, dm_s, 1, "Salt air")
    await harness.tick()
    assert (await ada.next_dm()).content == "You both picked Seaside."
    assert (await sam.next_dm()).content == "You both picked Seaside."

    history = (await (await ada.slash("closer history")).reply()).text.replace("*", "")
    assert "You: Sunrise — Quiet coffee before anyone's up" in history
    assert "Sam: Sunset" in history and "Sam: Seaside — Salt air" in history


async def test_a_trio_guesses_once_for_the_others_and_sees_every_guess(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam, lee = harness.member("Ada"), harness.member("Sam"), harness.member("Lee")
    pair_id = await seed_pair(harness, [ada, sam, lee], kind=PairKind.CIRCLE)
    await send_prompt(harness, pair_id, GUESS)
    dms = {m.name: await m.next_dm() for m in (ada, sam, lee)}
    modal = await (await ada.click(dms["Ada"], "Answer")).modal()
    labels_ = [c.get("label") for c in walk_components(modal["components"]) if c.get("label")]
    assert "What would most of them say?" in labels_
    for m in (ada, sam, lee):
        await _guess(m, dms[m.name], f"{m.name}'s soup", f"{m.name} thinks: pasta")
    await harness.tick()
    reveal = await ada.next_dm()
    assert reveal.embeds[0]["title"] == "You've all answered — and guessed"
    assert _field(_embed_by(reveal, "You wrote")) == (
        "Your guess for the others",
        "Ada thinks: pasta",
    )
    assert _field(_embed_by(reveal, "Lee wrote")) == (
        "Lee's guess for the others",
        "Lee thinks: pasta",
    )
