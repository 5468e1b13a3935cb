""" "Not yet" on "Go a little deeper?" is an answer for now: the offer returns after four weeks,
only to whoever said not yet, and it points to /closer resources."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import CloserBot
from bot.core.models import Depth
from bot.sandbox.driver import Member, Reply
from bot.storage import pairs
from tests.e2e.answers_helpers import OTHER_QUESTIONS, QUESTION, seed_pair, send_prompt
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def roomy_dm_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Weeks of driven clock in a second of real time: Discord's real-time 5-per-5 s DM bucket
    would hold the offer back behind the prompts and reveals (429s are test_delivery's subject)."""
    from bot.sandbox.limits import RouteBuckets

    monkeypatch.setitem(RouteBuckets.LIMITS, "POST /channels/{channel_id}/messages", (500, 5.0))


async def reveal(harness: Harness, bot: CloserBot, pair_id: int, prompt_id: str) -> None:
    ada_id, sam_id = sorted((await pairs.get_pair(bot.db, pair_id)).member_ids)  # type: ignore[union-attr]
    instance_id = await send_prompt(harness, pair_id, prompt_id)
    await bot.services.answers.submit(instance_id, ada_id, "a")
    await bot.services.answers.submit(instance_id, sam_id, "b")
    await harness.tick()


def offers(member: Member) -> list[Reply]:
    return [r for r in member.unread() if "Go a little deeper?" in r.text]


async def test_not_yet_brings_the_offer_back_after_four_weeks(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    first, second, *rest = (QUESTION, *OTHER_QUESTIONS)
    for prompt_id in (first, second, *rest[:3]):
        await reveal(harness, bot, pair_id, prompt_id)
    offer_a, offer_s = offers(ada), offers(sam)
    assert len(offer_a) == 1 and len(offer_s) == 1
    assert "/closer resources" in offer_a[0].text
    assert "I'll ask again in about four weeks" in offer_a[0].text

    not_yet = await (await ada.click(offer_a[0], "Not yet")).reply()
    assert not_yet.content == (
        "No problem — you'll stay where you are. I'll ask again in about four weeks, and "
        "nobody else is told."
    )
    yes = await (await sam.click(offer_s[0], "Yes, a little deeper")).reply()
    assert "partner says yes too" in yes.text

    # More reveals soon after: no second offer for anyone.
    await reveal(harness, bot, pair_id, rest[3])
    assert offers(ada) == [] and offers(sam) == []

    # Four weeks on, the next reveal asks Ada again; Sam's yes still stands, so not Sam.
    harness.clock.advance(timedelta(weeks=4, hours=1))
    await reveal(harness, bot, pair_id, rest[4])
    again = offers(ada)
    assert len(again) == 1 and offers(sam) == []
    moved = await (await ada.click(again[0], "Yes, a little deeper")).reply()
    assert moved.content == "You're both in — deeper prompts from here on."
    pair = await pairs.get_pair(bot.db, pair_id)
    assert pair is not None and pair.depth is Depth.MEDIUM
