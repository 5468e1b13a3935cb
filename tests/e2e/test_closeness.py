"""The closeness check-in end to end: the scheduled DM with its picture and buttons, a private
save (the partner receives nothing), /closer insights' picture matching the stored check-ins,
the switch, circles' first rounds, and admin stats that need five members."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.app import CloserBot
from bot.cogs.components import NOT_FOR_YOU
from bot.core.models import PairKind
from bot.sandbox.driver import Member, Reply
from bot.storage import closeness as store
from bot.storage.db import new_id
from bot.ui import closeness_messages as copy
from bot.ui import pictures
from tests.e2e.answers_helpers import at, labels, seed_pair
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e

SCORES = {"1", "2", "3", "4", "5", "6", "7"}


@pytest.fixture(autouse=True)
def roomy_dm_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.sandbox.limits import RouteBuckets

    monkeypatch.setitem(RouteBuckets.LIMITS, "POST /channels/{channel_id}/messages", (500, 5.0))


def checkins_in(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if any(f.get("filename") == copy.SCALE_FILE for f in r.files)]


async def scores_of(bot: CloserBot, user_id: int) -> list[int | None]:
    return [c.score for c in await store.checkins_of(bot.db, user_id)]


async def test_the_scheduled_check_in_is_private_and_insights_draw_it(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    pair_id = await seed_pair(harness, [ada, sam])
    # Not before four weeks of the pair.
    harness.clock.set(at(27, 19, 0))
    await harness.tick()
    assert checkins_in(ada.unread()) == [] and checkins_in(sam.unread()) == []
    # Day 28 at the pair's prompt time (19:00).
    harness.clock.set(at(28, 18, 59))
    await harness.tick()
    harness.clock.set(at(28, 19, 0, 30))
    await harness.tick()
    (dm_a,) = checkins_in(ada.unread())
    (dm_s,) = checkins_in(sam.unread())
    assert dm_a.content.startswith("**How close do you feel to Sam right now?**")
    assert dm_s.content.startswith("**How close do you feel to Ada right now?**")
    assert copy.SCALE_ALT in dm_a.content  # the picture, in words too
    assert dm_a.files[0]["data"] == pictures.closeness_scale()
    assert labels(dm_a) == SCORES | {"Skip"}
    # Only once per four weeks, however often the producer runs.
    harness.clock.set(at(29, 19, 0, 30))
    await harness.tick()
    assert checkins_in(ada.unread()) == []

    # Someone else's button does nothing for them.
    stolen = await (await sam.click(dm_a, "2")).reply()
    assert stolen.text == NOT_FOR_YOU
    saved = await (await ada.click(dm_a, "6")).reply()
    assert saved.content == copy.saved_text(["Sam"], replaced=False)
    assert saved.components == []
    assert await scores_of(bot, ada.id) == [6]
    assert await scores_of(bot, sam.id) == []
    await sam.no_dm(0.1)  # the partner hears nothing about it

    # A second check-in four weeks later; Sam skips his.
    harness.clock.set(at(56, 19, 0, 30))
    await harness.tick()
    (dm_a2,) = checkins_in(ada.unread())
    (dm_s2,) = checkins_in(sam.unread())
    await (await ada.click(dm_a2, "4")).reply()
    skipped = await (await sam.click(dm_s2, "Skip")).reply()
    assert skipped.content == copy.SKIPPED_TEXT
    assert await scores_of(bot, sam.id) == [None]

    insights = await (await ada.slash("closer insights")).reply()
    assert insights.ephemeral
    assert "With Sam:" in insights.text and "6 → 4" in insights.text
    (picture,) = insights.files
    stored = await store.checkins_of(bot.db, ada.id)
    expected = pictures.trend(
        [pictures.Series("With Sam", tuple((c.created_at, c.score or 0) for c in stored))]
    )
    got = Image.open(io.BytesIO(picture["data"]))
    assert got.format == "PNG"
    assert got.tobytes() == Image.open(io.BytesIO(expected)).tobytes()
    # Sam skipped: nothing to draw, and nothing of Ada's.
    nothing = await (await sam.slash("closer insights")).reply()
    assert nothing.text == copy.NO_INSIGHTS_TEXT and nothing.files == []
    assert pair_id


async def test_checkin_on_demand_and_switching_scheduled_ones_off(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await seed_pair(harness, [ada, sam])
    ask = await (await ada.slash("closer checkin")).reply()
    assert ask.ephemeral and ask.files[0]["filename"] == copy.SCALE_FILE
    assert labels(ask) == SCORES | {"Skip", "Turn scheduled check-ins off"}
    off = await (await ada.click(ask, "Turn scheduled check-ins off")).reply()
    assert off.text == copy.OFF_TEXT
    await (await ada.click(ask, "3")).reply()
    # Changing one's mind the same evening replaces the answer rather than adding one.
    again = await (await ada.slash("closer checkin")).reply()
    assert "Turn them on" in labels(again)
    changed = await (await ada.click(again, "5")).reply()
    assert changed.content == copy.CHANGED_TEXT
    assert await scores_of(bot, ada.id) == [5]
    harness.clock.set(at(28, 19, 0, 30))
    await harness.tick()
    assert checkins_in(ada.unread()) == []  # switched off
    assert len(checkins_in(sam.unread())) == 1


async def test_circle_pairs_wait_for_their_second_round_together(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    circle_id = await make_circle(bot, harness, [ada, sam])
    await seed_pair(harness, [ada, sam], kind=PairKind.CIRCLE, circle_id=circle_id)
    first = await (await ada.slash("closer checkin")).reply()
    assert first.text == copy.NOT_YET_TEXT
    async with bot.db.transaction() as conn:
        await conn.execute("UPDATE pairs SET status = 'ended'")
    harness.clock.set(at(14, 9, 0))
    await seed_pair(harness, [ada, sam], kind=PairKind.CIRCLE, circle_id=circle_id)
    second = await (await ada.slash("closer checkin")).reply()
    assert "How close do you feel to Sam" in second.text


async def make_circle(bot: CloserBot, harness: Harness, people: list[Member]) -> int:
    now = harness.clock.now()
    async with bot.db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO circles (guild_id, name, name_key, cadence, weekday, local_time, "
            "timezone, anchor_date, seed, created_by, created_at) "
            "VALUES (?, 'Book Club', 'book club', 'biweekly', 0, '19:00', 'UTC', ?, 1, ?, ?) "
            "RETURNING id",
            (harness.guild.id, now.date().isoformat(), people[0].id, now.isoformat()),
        )
        return await new_id(cur)


async def test_admin_stats_need_five_members(harness: Harness, bot: CloserBot) -> None:
    boss = harness.member("Boss", manage_guild=True)
    people = [harness.member(f"M{i}") for i in range(10)]
    pairs = [await seed_pair(harness, people[i : i + 2]) for i in range(0, 10, 2)]
    now = harness.clock.now()

    async def check_in(person: Member, pair_id: int, score: int) -> None:
        await store.record(
            bot.db,
            pair_id=pair_id,
            user_id=person.id,
            guild_id=harness.guild.id,
            score=score,
            now=now,
            same_since=now,
        )

    # Four members, however many check-ins: nothing to show.
    for i, person in enumerate(people[:4]):
        await check_in(person, pairs[i // 2], 5 + i % 2)
    reply = await (await boss.slash("closer-admin stats")).reply()
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields[copy.STATS_NAME] == copy.NOT_ENOUGH_TEXT
    await check_in(people[4], pairs[2], 7)
    reply = await (await boss.slash("closer-admin stats")).reply()
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    shown = fields[copy.STATS_NAME]
    assert shown.startswith("1: 0 · 2: 0 · 3: 0 · 4: 0 · 5: 2 · 6: 2 · 7: 1")
    assert "Average 5.8 of 7 from 5 members." in shown
    for person in people:
        assert person.name not in reply.text


async def test_quiet_hours_and_pauses_are_respected(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await seed_pair(harness, [ada, sam])
    await (await ada.slash("closer quiet-hours", start="18:00", end="21:00")).reply()
    harness.clock.set(at(20, 8, 0))
    await (await sam.slash("pair pause", days=30)).reply()
    harness.clock.set(at(28, 19, 0, 30))
    await harness.tick()
    assert checkins_in(ada.unread()) == [] and checkins_in(sam.unread()) == []
    # The pause ends on day 50: this period's check-in is still owed, at the next prompt time.
    harness.clock.set(at(50, 8, 0, 30))
    await harness.tick()
    harness.clock.set(at(50, 19, 0, 30))
    await harness.tick()
    assert len(checkins_in(sam.unread())) == 1
    assert checkins_in(ada.unread()) == []  # her quiet hours run until 21:00
    harness.clock.set(at(50, 21, 0, 30))
    await harness.tick()
    assert len(checkins_in(ada.unread())) == 1


async def test_a_circle_pair_is_asked_in_a_later_round_on_the_relationship_s_clock(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    circle_id = await make_circle(bot, harness, [ada, sam])
    await seed_pair(harness, [ada, sam], kind=PairKind.CIRCLE, circle_id=circle_id)
    harness.clock.set(at(13, 19, 0, 30))
    await harness.tick()
    assert checkins_in(ada.unread()) == []  # a first round together: never
    async with bot.db.transaction() as conn:
        await conn.execute("UPDATE pairs SET status = 'ended'")
    # Paired again in a round on day 29: four weeks since they first met in the circle.
    harness.clock.set(at(29, 12, 0))
    await seed_pair(harness, [ada, sam], kind=PairKind.CIRCLE, circle_id=circle_id)
    harness.clock.set(at(29, 19, 0, 30))
    await harness.tick()
    (dm,) = checkins_in(ada.unread())
    assert "How close do you feel to Sam" in dm.text
    assert len(checkins_in(sam.unread())) == 1


async def test_a_check_in_queued_before_a_pause_is_not_sent_during_it(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await seed_pair(harness, [ada, sam])
    harness.clock.set(at(28, 8, 0, 30))
    await harness.tick()  # the period began at 08:00: both check-ins are queued for 19:00
    queued = "SELECT count(*) FROM deliveries WHERE kind = 'closeness' AND status = ?"
    assert await bot.db.fetchval(queued, ("pending",)) == 2
    harness.clock.set(at(28, 12, 0))
    await (await sam.slash("pair pause", days=3)).reply()
    harness.clock.set(at(28, 19, 0, 30))
    await harness.tick()
    assert checkins_in(ada.unread()) == [] and checkins_in(sam.unread()) == []
    assert await bot.db.fetchval(queued, ("skipped",)) == 2
