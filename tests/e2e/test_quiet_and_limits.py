"""Quiet hours are a window with no DMs of any kind, and on-demand prompts can't flood anyone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import CloserBot
from bot.services.prompting import NOW_PER_DAY
from tests.e2e.answers_helpers import QUESTION, seed_pair, send_prompt
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


async def test_a_reveal_waits_out_quiet_hours_and_follows_a_change(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    await send_prompt(harness, pair_id, QUESTION)
    await ada.next_dm(), await sam.next_dm()
    await ada.send_dm("Lilac, my first garden.")
    await ada.next_dm()
    # Ada goes quiet from 08:00 to 18:00 (it is 08:00 UTC, her zone is UTC).
    await (await ada.slash("closer quiet-hours", start="08:00", end="18:00")).reply()
    await sam.send_dm("Sea salt, always.")
    await sam.next_dm()
    await harness.tick()
    await sam.next_dm()  # Sam is not quiet: his reveal comes now
    await ada.no_dm(0.05)  # Ada's waits
    await harness.advance(timedelta(hours=2))
    await ada.no_dm(0.05)
    # Switching quiet hours off re-times what was waiting: it arrives at the next tick.
    await (await ada.slash("closer quiet-hours", start="00:00", end="00:00")).reply()
    await harness.tick()
    reveal = await ada.next_dm()
    assert "Sea salt, always." in reveal.text


async def test_prompt_now_waits_for_a_partner_in_quiet_hours_and_says_when(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await seed_pair(harness, [ada, sam])
    await (await sam.slash("closer quiet-hours", start="07:00", end="12:00")).reply()
    reply = await (await ada.slash("prompt now")).reply()
    ends = int(datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp())
    assert f"Sam is in quiet hours, so it reaches them at <t:{ends}:t>" in reply.text
    await harness.tick()
    assert len(ada.unread()) == 1
    await sam.no_dm(0.05)
    harness.clock.set(datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC))
    await harness.tick()
    assert len(sam.unread()) == 1


async def test_prompt_now_is_limited_per_local_day(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await seed_pair(harness, [ada, sam])
    for _ in range(NOW_PER_DAY):
        ok = await (await ada.slash("prompt now")).reply()
        assert ok.text.startswith("On its way")
    refused = await (await sam.slash("prompt now")).reply()
    midnight = int(datetime(2026, 3, 3, 0, 0, tzinfo=UTC).timestamp())
    assert refused.ephemeral
    assert refused.text == (
        f"That's {NOW_PER_DAY} extra prompts for this pair today, the most there can be. You "
        f"can ask again from <t:{midnight}:t> (your time); your usual prompt still comes as "
        "planned."
    )
    count = await bot.db.fetchval("SELECT count(*) FROM prompt_instances")
    assert count == NOW_PER_DAY
    harness.clock.set(datetime(2026, 3, 3, 0, 0, 30, tzinfo=UTC))
    again = await (await sam.slash("prompt now")).reply()
    assert again.text.startswith("On its way")


async def test_quiet_hours_longer_than_twenty_hours_are_refused(
    harness: Harness, bot: CloserBot
) -> None:
    ada = harness.member("Ada")
    refused = await (await ada.slash("closer quiet-hours", start="02:01", end="02:00")).reply()
    assert refused.ephemeral and refused.text.startswith("Quiet hours can be up to 20 hours")
    member = await bot.db.fetchone("SELECT quiet_start FROM members WHERE user_id = ?", (ada.id,))
    assert member is None or member[0] is None
