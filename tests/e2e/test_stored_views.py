"""A message queued by an older version still gets working buttons after an upgrade.

The delivery row keeps a view spec as JSON; this one is written as the code before the typed
view specs wrote it, straight into the outbox, and delivered by the running bot.
"""

from __future__ import annotations

import json

import pytest

from bot.app import CloserBot
from bot.storage import outbox
from tests.e2e.answers_helpers import QUESTION, answer_by_modal, seed_pair, send_prompt
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


async def test_a_nudge_stored_by_older_code_still_answers(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    instance_id = await send_prompt(harness, pair_id, QUESTION)
    ada.unread(), sam.unread()
    row = (
        '{"content": "No rush \\u2014 it is still here.", '
        f'"view": {{"kind": "answer", "instance": {instance_id}, "user": {ada.id}}}}}'
    )
    now = harness.clock.now()
    queued = outbox.NewDelivery(
        "old-nudge",
        "nudge",
        now,
        user_id=ada.id,
        pair_id=pair_id,
        instance_id=instance_id,
        payload=json.loads(row),
    )
    await outbox.enqueue(bot.db, [queued], now)
    await harness.tick()
    dm = await ada.next_dm()
    assert dm.text.startswith("No rush")
    assert dm.custom_ids() == [f"closer:prompt:answer:{instance_id}:{ada.id}"]
    saved = await answer_by_modal(ada, dm, "Tea, always.")
    assert saved.text.startswith("Saved for Sam")
