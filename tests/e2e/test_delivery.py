"""Scheduled delivery end to end: local times, quiet hours, closed DMs, 429s, 5xx, crashes."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import CloserBot
from bot.sandbox.driver import Member, Reply
from tests.e2e.harness import Harness
from tests.e2e.test_pairing_couples import invite_and_accept

pytestmark = pytest.mark.e2e


def prompt_dms(member: Member) -> list[Reply]:
    return [r for r in member.dms() if r.embeds and "Answer" in _labels(r) | {"We did it"}]


def _labels(reply: Reply) -> set[str]:
    from bot.sandbox.driver import walk_components

    return {str(c.get("label")) for c in walk_components(reply.components) if c.get("type") == 2}


def is_prompt(reply: Reply) -> bool:
    labels = _labels(reply)
    return {"Answer", "Skip", "Later"} <= labels or {"We did it", "Not this time"} <= labels


async def test_prompt_now_reaches_both_with_buttons_and_one_call_each(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await invite_and_accept(harness, ada, sam)
    await harness.tick()
    ada.unread(), sam.unread()
    reply = await (await ada.slash("prompt now")).reply()
    assert reply.text.startswith("On its way")
    await harness.tick()
    first_a, first_s = await ada.next_dm(), await sam.next_dm()
    assert is_prompt(first_a) and is_prompt(first_s)
    assert first_a.embeds[0]["description"] == first_s.embeds[0]["description"]
    assert "Only Sam will see your answer" in first_a.text or "Sam" in first_a.text
    # Warm DM-channel cache: the next prompt costs exactly one REST call per member.
    before = len(harness.sandbox.requests)
    await (await ada.slash("prompt now")).reply()
    await harness.tick()
    await ada.next_dm(), await sam.next_dm()
    made = [f"{r.method} {r.route}" for r in harness.sandbox.requests[before:]]
    assert made.count("POST /channels/{channel_id}/messages") == 2
    assert "POST /users/@me/channels" not in made


async def test_scheduled_prompt_arrives_at_each_members_local_time(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await (await ada.slash("closer timezone", zone="Europe/Berlin")).reply()
    await (await sam.slash("closer timezone", zone="America/New_York")).reply()
    await invite_and_accept(harness, ada, sam, time="19:00")
    await harness.tick()
    ada.unread(), sam.unread()
    # Start: Monday 2026-03-02 08:00 UTC. Ada's 19:00 CET is 18:00 UTC; Sam's 19:00 EST 00:00 UTC.
    harness.clock.set(datetime(2026, 3, 2, 17, 59, tzinfo=UTC))
    await harness.tick()
    assert not ada.unread() and not sam.unread()
    harness.clock.set(datetime(2026, 3, 2, 18, 0, 30, tzinfo=UTC))
    await harness.tick()
    got = ada.unread()
    assert len(got) == 1 and is_prompt(got[0])
    assert not sam.unread()
    harness.clock.set(datetime(2026, 3, 3, 0, 0, 30, tzinfo=UTC))
    await harness.tick()
    got_sam = sam.unread()
    assert len(got_sam) == 1 and is_prompt(got_sam[0])
    # Same prompt for both partners.
    assert got_sam[0].embeds[0]["description"] == got[0].embeds[0]["description"]
    # Ticking again sends nothing twice.
    await harness.tick()
    assert not ada.unread() and not sam.unread()


async def test_quiet_hours_hold_a_prompt_until_they_end(harness: Harness, bot: CloserBot) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    reply = await (await sam.slash("closer quiet-hours", start="22:00", end="07:30")).reply()
    assert "22:00–07:30" in reply.text
    await invite_and_accept(harness, ada, sam, time="23:00")
    await harness.tick()
    ada.unread(), sam.unread()
    harness.clock.set(datetime(2026, 3, 2, 23, 0, 30, tzinfo=UTC))
    await harness.tick()
    assert len(ada.unread()) == 1
    assert not sam.unread()
    harness.clock.set(datetime(2026, 3, 3, 7, 29, tzinfo=UTC))
    await harness.tick()
    assert not sam.unread()
    harness.clock.set(datetime(2026, 3, 3, 7, 30, 30, tzinfo=UTC))
    await harness.tick()
    assert len(sam.unread()) == 1


@pytest.mark.parametrize(("start", "end"), [("25:00", "07:00"), ("22:00", "soon"), ("", "07:00")])
async def test_quiet_hours_bad_input(
    harness: Harness, bot: CloserBot, start: str, end: str
) -> None:
    ada = harness.member("Ada")
    reply = await (await ada.slash("closer quiet-hours", start=start, end=end)).reply()
    assert reply.ephemeral and reply.text.startswith("Time must look like 19:30")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "", "x" * 200])
async def test_timezone_bad_input(harness: Harness, bot: CloserBot, zone: str) -> None:
    ada = harness.member("Ada")
    reply = await (await ada.slash("closer timezone", zone=zone)).reply()
    assert reply.ephemeral and reply.text.startswith("Unknown time zone")


async def test_timezone_autocomplete(harness: Harness, bot: CloserBot) -> None:
    ada = harness.member("Ada")
    choices = await (await ada.autocomplete("closer timezone", "zone", zone="berl")).choices()
    assert choices[0]["value"] == "Europe/Berlin"


async def test_closed_dms_mark_the_member_unreachable_until_they_return(
    harness: Harness, bot: CloserBot
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await invite_and_accept(harness, ada, sam)
    await harness.tick()
    ada.unread(), sam.unread()
    sam.close_dms()
    await (await ada.slash("prompt now")).reply()
    await harness.tick()
    assert len(ada.unread()) == 1
    assert not sam.unread()
    refused = [r for r in harness.sandbox.requests if r.status == 403]
    status = await (await ada.slash("pair status")).reply()
    assert "I can't reach Sam by DM right now" in status.text
    # No more attempts while unreachable: another prompt costs Sam nothing.
    await (await ada.slash("prompt now")).reply()
    await harness.tick()
    assert [r for r in harness.sandbox.requests if r.status == 403] == refused
    # Sam comes back (any interaction) and opens DMs: prompts flow again.
    sam.close_dms(False)
    await (await sam.slash("closer timezone", zone="UTC")).reply()
    await (await ada.slash("prompt now")).reply()
    await harness.tick()
    assert len(sam.unread()) == 1


async def _many_couples(harness: Harness, count: int) -> list[Member]:
    people: list[Member] = []
    for i in range(count):
        a, b = harness.member(f"A{i}"), harness.member(f"B{i}")
        await harness.seed_couple(a, b, local_time="09:00")
        people += [a, b]
    return people


def copies_per_member(harness: Harness, people: list[Member]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for m in people:
        counts[m.id] = sum(1 for r in m.dms() if is_prompt(r))
    return counts


async def test_a_429_storm_delays_but_loses_and_doubles_nothing(harness: Harness) -> None:
    await harness.start_bot()
    people = await _many_couples(harness, 6)
    # High enough that discord.py's own five attempts run out: the outbox must retry too.
    harness.sandbox.faults.rate_limit_storm = 0.75
    harness.clock.set(datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC))
    await harness.tick()
    for _ in range(20):
        if all(v == 1 for v in copies_per_member(harness, people).values()):
            break
        harness.clock.advance(timedelta(minutes=1))
        await harness.tick()
    harness.sandbox.faults.rate_limit_storm = 0.0
    assert harness.sandbox.route_429s > 0
    assert set(copies_per_member(harness, people).values()) == {1}


async def test_ten_percent_5xx_loses_and_doubles_nothing(harness: Harness) -> None:
    await harness.start_bot()
    people = await _many_couples(harness, 10)
    harness.sandbox.faults.server_error_rate = 0.1
    harness.sandbox.faults.lost_response_rate = 0.1
    harness.clock.set(datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC))
    await harness.tick()
    for _ in range(30):
        if all(v >= 1 for v in copies_per_member(harness, people).values()):
            break
        harness.clock.advance(timedelta(minutes=2))
        await harness.tick()
    harness.sandbox.faults.server_error_rate = 0.0
    harness.sandbox.faults.lost_response_rate = 0.0
    assert set(copies_per_member(harness, people).values()) == {1}
    assert any(r.status >= 500 for r in harness.sandbox.requests)


async def test_a_crash_mid_fan_out_leaves_exactly_one_copy_each(harness: Harness) -> None:
    bot = await harness.start_bot()
    people = await _many_couples(harness, 15)
    # Warm the DM cache so every send is one call; then let 10 sends through and freeze.
    harness.clock.set(datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC))
    real_send = bot.port.send
    sent = 0
    frozen = asyncio.Event()

    async def send_then_die(*args: object, **kwargs: object) -> object:
        nonlocal sent
        result = await real_send(*args, **kwargs)  # type: ignore[arg-type]
        sent += 1
        if sent >= 10:
            frozen.set()
            await asyncio.Event().wait()  # Discord has the message; we never record it
        return result

    bot.port.send = send_then_die  # type: ignore[method-assign]
    tick = asyncio.create_task(bot.ticker.run_once())
    await asyncio.wait_for(frozen.wait(), 10)
    await harness.crash_bot(tick)
    delivered_before = sum(copies_per_member(harness, people).values())
    assert 10 <= delivered_before < len(people)
    # A new process on the same database; leases run out and the outbox resumes.
    await harness.start_bot()
    harness.clock.advance(timedelta(minutes=3))
    await harness.tick()
    counts = copies_per_member(harness, people)
    assert set(counts.values()) == {1}, counts


async def test_downtime_skips_what_is_too_late_and_coalesces_missed_slots(
    harness: Harness,
) -> None:
    await harness.start_bot()
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await harness.seed_couple(ada, sam, local_time="09:00")
    await harness.stop_bot()
    # Down over Monday's 09:00 slot until 13:00: four hours late is too late; nothing is sent.
    harness.clock.set(datetime(2026, 3, 2, 13, 0, tzinfo=UTC))
    await harness.start_bot()
    await harness.tick()
    assert not [r for r in ada.dms() if is_prompt(r)]
    assert not [r for r in sam.dms() if is_prompt(r)]
    await harness.stop_bot()
    # Down for three more days; back at 10:30 on Thursday: only Thursday's slot, once.
    harness.clock.set(datetime(2026, 3, 5, 10, 30, tzinfo=UTC))
    await harness.start_bot()
    await harness.tick()
    await harness.tick()
    assert len([r for r in ada.dms() if is_prompt(r)]) == 1
    assert len([r for r in sam.dms() if is_prompt(r)]) == 1
    sent = await harness.running().db.fetchval(
        "SELECT count(*) FROM deliveries WHERE kind = 'prompt' AND status = 'sent'"
    )
    assert sent == 2
