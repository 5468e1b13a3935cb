"""Privacy, end to end: an answer reaches its author's partners in that pair and nobody else,
whatever anyone else in the server, the circle, or an ended pair tries."""

from __future__ import annotations

import pytest

from bot.app import CloserBot
from bot.cogs.components import NOT_FOR_YOU
from bot.core.models import PairKind
from bot.sandbox.driver import DriverError
from bot.storage import pairs
from bot.storage.db import new_id
from bot.storage.timecodec import to_db
from tests.e2e.answers_helpers import (
    OTHER_QUESTIONS,
    QUESTION,
    answer_by_modal,
    seed_pair,
    send_prompt,
)
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e

SECRET = "I still keep the ticket stub from our first concert (privacy canary 7f3a)"


async def test_an_answer_reaches_only_the_partners_in_its_own_pair(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    eve, lee = harness.member("Eve"), harness.member("Lee")  # the same circle, another group
    kim = harness.member("Kim")  # Ada's partner in a pair that has ended
    now = harness.clock.now()
    async with bot.db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO circles (guild_id, name, name_key, cadence, weekday, local_time, "
            "timezone, anchor_date, seed, created_by, created_at) "
            "VALUES (?, 'Book club', 'book club', 'weekly', 0, '19:00', 'UTC', ?, 1, ?, ?) "
            "RETURNING id",
            (harness.guild.id, now.date().isoformat(), ada.id, to_db(now)),
        )
        circle_id = await new_id(cur)
    ended = await seed_pair(harness, [ada, kim])
    old_instance = await send_prompt(harness, ended, OTHER_QUESTIONS[0])
    await pairs.set_status(bot.db, ended, "ended", now)
    ours = await seed_pair(harness, [ada, sam], kind=PairKind.CIRCLE, circle_id=circle_id)
    theirs = await seed_pair(harness, [eve, lee], kind=PairKind.CIRCLE, circle_id=circle_id)
    instance_id = await send_prompt(harness, ours, QUESTION)
    await send_prompt(harness, theirs, QUESTION)
    for m in (ada, sam, eve, lee, kim):
        m.unread()
    dm_a = next(r for r in ada.dms() if r.custom_ids() and f":{instance_id}:" in r.custom_ids()[0])

    saved = await answer_by_modal(ada, dm_a, SECRET)
    assert saved.text.startswith("Saved for ")

    # Eve (same circle, other group) tries everything she can reach.
    assert (await (await eve.click(dm_a, "Answer")).reply()).text == NOT_FOR_YOU
    forged = {
        "custom_id": f"closer:answer:{instance_id}:{eve.id}",
        "components": [{"type": 1, "components": [{"type": 4, "custom_id": "answer"}]}],
    }
    refused = await (await eve.submit_modal(forged, {"answer": "let me see"})).reply()
    assert refused.text == "That prompt isn't one of yours."
    # A button id the message never carried is dropped by discord.py before any handler runs.
    for action in ("skip", "later", "share"):
        forged_id = f"closer:prompt:{action}:{instance_id}:{eve.id}"
        handle = await eve.click(dm_a, forged_id, forge=True)
        with pytest.raises(DriverError):
            await handle.acknowledged(timeout=0.2)
    await eve.send_dm("my own answer, for my own group")  # answers Eve's prompt, not Ada's
    await eve.next_dm()
    await lee.send_dm("Lee's answer")
    await lee.next_dm()
    # Kim, from the ended pair, forges an answer to today's prompt and to their old one.
    kim_forged = {**forged, "custom_id": f"closer:answer:{instance_id}:{kim.id}"}
    assert (await (await kim.submit_modal(kim_forged, {"answer": "x"})).reply()).text == (
        "That prompt isn't one of yours."
    )
    old = {**forged, "custom_id": f"closer:answer:{old_instance}:{kim.id}"}
    assert (await (await kim.submit_modal(old, {"answer": "x"})).reply()).text == (
        "This pair has ended, so the prompt is closed."
    )

    # Sam answers: the reveal goes to Sam (Ada's words) and Ada (Sam's words) only.
    await sam.send_dm("Sam's answer")
    await sam.next_dm()
    await harness.tick()
    assert SECRET in (await sam.next_dm()).text
    for m in (eve, lee, kim, ada):
        await (await m.slash("closer history")).reply()  # history is another way to read
    for m in (eve, lee, kim):
        seen = [r.text for r in m.dms()]
        seen += [
            str(rec.response_data or "") + str(rec.followups)
            for rec in harness.sandbox.interactions.values()
            if rec.user_id == m.id
        ]
        assert not any(SECRET in text for text in seen), m.name
    # Ada's own copy of the reveal carries Sam's answer, not her own words back.
    assert not any(SECRET in r.text for r in ada.dms())
