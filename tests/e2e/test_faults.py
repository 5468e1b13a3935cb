"""Discord on a bad day, end to end: dropped gateways, forced reconnects, invalid sessions, 5xx
and 429 storms during commands, and a database that cannot be opened. Nothing lost, nothing
doubled, and nothing in the logs that looks like a bug."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import CloserBot
from bot.cogs.errors import DISCORD_HICCUP, SOMETHING_WENT_WRONG
from bot.sandbox.driver import DriverError, Member, Reply
from tests.e2e.harness import Harness
from tests.e2e.test_operations import cli_env, run_cli
from tests.e2e.test_pairing_couples import invite_and_accept
from tests.e2e.trust_support import _buttons, wait_until

pytestmark = pytest.mark.e2e


def bug_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    """ERRORs and anything with a traceback: a fault Discord causes is a warning at most."""
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info is not None
    ]


@pytest.fixture(autouse=True)
def _warnings_and_up(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)


async def question_for_both(harness: Harness, a: Member, b: Member) -> Reply:
    """Pair them and deliver a question (not an activity); returns a's prompt DM."""
    await invite_and_accept(harness, a, b)
    await harness.tick()
    a.unread(), b.unread()
    for _ in range(8):
        await (await a.slash("prompt now")).reply()
        await harness.tick()
        prompt, _ = await a.next_dm(), await b.next_dm()
        # A question (revealed to the partner), not an activity or a private reflection.
        if "Answer" in {str(c.get("label")) for c in _buttons(prompt)} and (
            "will see your answer" in prompt.text
        ):
            return prompt
    raise AssertionError("no question prompt in 8 draws")


async def answers_of(bot: CloserBot, member: Member) -> list[str]:
    rows = await bot.db.fetchall("SELECT text FROM answers WHERE user_id = ?", (member.id,))
    return [str(r[0]) for r in rows]


# Gateway --------------------------------------------------------------------------------------
async def test_a_dropped_gateway_resumes_and_misses_nothing(
    harness: Harness, bot: CloserBot, caplog: pytest.LogCaptureFixture
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await question_for_both(harness, ada, sam)
    gateway = harness.sandbox.gateway
    resumes, identifies = gateway.resumes, gateway.identifies
    await gateway.drop()
    # Said while the socket is down: Discord keeps the events and replays them on RESUME.
    await ada.send_dm("the harbour at dusk")
    status = await sam.slash("pair status")
    ack = await ada.next_dm(timeout=10)
    assert ack.text.startswith("Saved for ")
    assert "You and Ada" in (await status.reply(timeout=10)).text
    assert gateway.resumes == resumes + 1 and gateway.identifies == identifies
    assert await answers_of(bot, ada) == ["the harbour at dusk"]
    # And it keeps going afterwards.
    await sam.send_dm("the kettle song")
    assert (await sam.next_dm()).text.startswith("Saved for ")
    assert bug_records(caplog) == []


async def test_a_forced_reconnect_resumes(
    harness: Harness, bot: CloserBot, caplog: pytest.LogCaptureFixture
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await question_for_both(harness, ada, sam)
    gateway = harness.sandbox.gateway
    resumes = gateway.resumes
    await gateway.request_reconnect()  # op 7
    await wait_until(lambda: _true(gateway.resumes > resumes), what="a RESUME")
    await ada.send_dm("a walk by the canal")
    assert (await ada.next_dm()).text.startswith("Saved for ")
    assert "You and Sam" in (await (await ada.slash("pair status")).reply()).text
    assert await answers_of(bot, ada) == ["a walk by the canal"]
    assert bug_records(caplog) == []


async def _true(value: bool) -> bool:
    return value


async def test_an_invalid_session_reidentifies_quickly_and_old_buttons_still_work(
    harness: Harness, bot: CloserBot, caplog: pytest.LogCaptureFixture
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    prompt = await question_for_both(harness, ada, sam)
    gateway = harness.sandbox.gateway
    identifies = gateway.identifies
    # Discord wants 5 s between IDENTIFYs and ours was a moment ago; pretend it was long ago,
    # as it would be in production, so the only wait left is discord.py's own.
    bot._last_identify = time.monotonic() - 60
    started = time.monotonic()
    await gateway.invalidate()  # op 9, not resumable
    await wait_until(
        lambda: _true(gateway.identifies > identifies and bool(gateway.live_sessions)),
        within=5,
        what="a fresh IDENTIFY",
    )
    # discord.py alone would sleep 5 s first; CloserBot.before_identify_hook skips that.
    assert time.monotonic() - started < 2
    await wait_until(lambda: _true(bot.is_ready()), what="READY")
    later = await (await ada.click(prompt, "Later")).reply()
    assert later.ephemeral
    assert "You and Sam" in (await (await ada.slash("pair status")).reply()).text
    await sam.send_dm("the first snow")
    assert (await sam.next_dm()).text.startswith("Saved for ")
    assert bug_records(caplog) == []


# REST faults during commands --------------------------------------------------------------------
async def persist(member: Member, path: str, **options: Any) -> tuple[Reply, int]:
    """Run a command the way a person does when Discord misbehaves: try again (up to 6 times)
    when nothing comes back or Discord had a hiccup. Returns the reply and the attempts."""
    for attempt in range(1, 7):
        handle = await member.slash(path, **options)
        try:
            reply = await handle.reply(timeout=2)
        except DriverError:
            continue  # the acknowledgement itself was lost: "The application did not respond"
        assert reply.ephemeral, (path, reply.text)
        if reply.content != DISCORD_HICCUP:
            return reply, attempt
    raise AssertionError(f"/{path} never got through")


async def settings_round(harness: Harness, people: list[Member]) -> dict[str, list[str]]:
    replies: dict[str, list[str]] = {}
    for m in people:
        got = [
            await persist(m, "closer timezone", zone="Europe/Berlin"),
            await persist(m, "closer quiet-hours", start="22:00", end="07:00"),
            await persist(m, "closer help"),
            await persist(m, "closer resources"),
            await persist(m, "pair status"),
        ]
        replies[m.name] = [r.text for r, _ in got]
    return replies


async def check_settings(bot: CloserBot, people: list[Member]) -> None:
    for m in people:
        row = await bot.db.fetchone(
            "SELECT timezone, quiet_start, quiet_end FROM members WHERE user_id = ?", (m.id,)
        )
        assert row is not None and tuple(row) == ("Europe/Berlin", "22:00", "07:00")


async def test_ten_percent_5xx_during_commands(
    harness: Harness, bot: CloserBot, caplog: pytest.LogCaptureFixture
) -> None:
    """discord.py retries a 5xx on interaction callbacks and follow-ups itself (after 1 s, 3 s),
    inside Discord's 3-second window; the outbox retries DMs with the same nonce. A 5xx that
    still reaches a command is answered with DISCORD_HICCUP and logged as a warning."""
    ada, sam = harness.member("Ada"), harness.member("Sam")
    people = [ada, sam, harness.member("Kit"), harness.member("Lou")]
    await question_for_both(harness, ada, sam)
    before = len(harness.sandbox.requests)
    harness.sandbox.faults.server_error_rate = 0.1

    def command_faults() -> int:
        return sum(
            1
            for r in harness.sandbox.requests[before:]
            if r.status == 503 and r.route.startswith(("/interactions/", "/webhooks/"))
        )

    # Rounds until the faults have hit commands a few times (10% is a dice roll per request).
    replies: dict[str, list[str]] = {}
    for _ in range(10):
        for name, texts in (await settings_round(harness, people)).items():
            replies.setdefault(name, []).extend(texts)
        if command_faults() >= 4:
            break
    assert command_faults() >= 4
    prompt_now, _ = await persist(ada, "prompt now")
    for _ in range(10):
        await harness.advance(timedelta(minutes=1))
    harness.sandbox.faults.server_error_rate = 0.0
    await harness.advance(timedelta(minutes=30))
    assert any(r.status == 503 for r in harness.sandbox.requests[before:])
    for texts in replies.values():
        assert all(SOMETHING_WENT_WRONG not in t for t in texts), texts
    await check_settings(bot, people)
    # Every queued DM arrived exactly once: outbox rows are all sent, one message per nonce.
    rows = await bot.db.fetchall("SELECT id, status FROM deliveries")
    assert {str(r[1]) for r in rows} == {"sent"}, [tuple(r) for r in rows]
    nonces = [
        m.get("nonce") for m in harness.sandbox.messages.values() if m.get("nonce") is not None
    ]
    assert len(nonces) == len(set(nonces)) == len(rows)
    assert prompt_now.text.startswith("On its way")
    assert bug_records(caplog) == []


async def test_a_429_storm_during_commands(
    harness: Harness, bot: CloserBot, caplog: pytest.LogCaptureFixture
) -> None:
    ada, sam = harness.member("Ada"), harness.member("Sam")
    people = [ada, sam, harness.member("Kit")]
    await question_for_both(harness, ada, sam)
    harness.sandbox.faults.rate_limit_storm = 0.3
    before = harness.sandbox.route_429s
    replies = await settings_round(harness, people)
    harness.sandbox.faults.rate_limit_storm = 0.0
    assert harness.sandbox.route_429s > before
    # 429s are waited out inside discord.py: every command got its real answer first time.
    for texts in replies.values():
        assert texts[0].startswith("Your time zone is now Europe/Berlin"), texts
        assert texts[1].startswith("Quiet hours set: 22:00–07:00"), texts
    await check_settings(bot, people)
    assert bug_records(caplog) == []


# Start-up -------------------------------------------------------------------------------------
async def test_an_unusable_database_path_is_one_clear_line_and_exit_2(
    harness: Harness, tmp_path: Path
) -> None:
    # As root, chmod cannot make a folder unwritable, and a read-only bind mount needs
    # privileges tests don't have; a path *under a regular file* fails for everyone.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = cli_env(
        harness,
        DISCORD_TOKEN=harness.sandbox.bot_token,
        DATABASE_PATH=str(blocker / "closer.db"),
    )
    proc = await run_cli("run", env=env, cwd=tmp_path)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.communicate()
    lines = err.decode().strip().splitlines()
    assert proc.returncode == 2
    assert "Traceback" not in err.decode()
    errors = [line for line in lines if line.startswith("error:")]
    assert errors == [lines[-1]]
    assert errors[0].startswith(f"error: cannot create the folder for {blocker / 'closer.db'}")
    assert harness.sandbox.bot_token not in err.decode() + out.decode()
