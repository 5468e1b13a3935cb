"""Operating Closer: backups while it writes, tokens kept out of logs, clean shutdown on SIGTERM,
and `close()` in the middle of a fan-out."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import logs
from bot.sandbox.driver import Member
from bot.storage.db import open_database
from tests.e2e.harness import Harness
from tests.e2e.test_delivery import _many_couples, copies_per_member
from tests.e2e.test_pairing_couples import invite_and_accept

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def discord_shaped_token(application_id: int) -> str:
    """Looks like a real bot token (base64 id . timestamp . HMAC), so TOKEN_PATTERN applies."""
    head = base64.urlsafe_b64encode(str(application_id).encode()).decode().rstrip("=")
    return f"{head}.GhQx2a.{'Zk9' * 9}Tq_Wm-Lp3sVb7"


def cli_env(harness: Harness, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "DATABASE_PATH": str(harness.db_path),
            "DISCORD_API_BASE_URL": harness.sandbox.api_base,
            "DISCORD_GATEWAY_URL": harness.sandbox.gateway_url,
            "DEV_GUILD_ID": str(harness.guild.id),
            "PROMPTS_DIR": str(REPO / "prompts"),
            "LOG_LEVEL": "INFO",
        }
    )
    env.update(extra)
    return env


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    # A subprocess, not main(): the sandbox must keep serving in this event loop meanwhile.
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


# Backups --------------------------------------------------------------------------------------
@pytest.mark.sqlite_only  # PostgreSQL is backed up with pg_dump
async def test_backup_of_a_database_being_written_is_consistent(
    harness: Harness, tmp_path: Path
) -> None:
    bot = await harness.start_bot()
    await _many_couples(harness, 5)
    stop = asyncio.Event()

    async def keep_writing() -> int:
        # Outbox rows, committed one transaction at a time, as a busy bot would.
        written = 0
        while not stop.is_set():
            async with bot.db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO deliveries (dedupe_key, channel_id, kind, payload, due_at, "
                    "status, created_at) VALUES (?, 1, 'load', '{}', ?, 'skipped', ?)",
                    (f"load:{written}", "2026-03-02T08:00:00+00:00", "2026-03-02T08:00:00+00:00"),
                )
            written += 1
            await asyncio.sleep(0)
        return written

    writer = asyncio.create_task(keep_writing())
    await asyncio.sleep(0.05)
    target = tmp_path / "backups" / "closer-copy.db"
    proc = await run_cli("backup", str(target), env=cli_env(harness), cwd=tmp_path)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    stop.set()
    written = await writer
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == f"Backed up {harness.db_path} to {target}"
    assert written > 0
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT COUNT(*) FROM pairs").fetchone()[0] == 5
        copied = copy.execute("SELECT COUNT(*) FROM deliveries WHERE kind = 'load'").fetchone()[0]
        # A snapshot of some moment during the writes: every row it has is whole.
        assert 0 < copied <= written
        keys = {r[0] for r in copy.execute("SELECT dedupe_key FROM deliveries WHERE kind = 'load'")}
        assert keys == {f"load:{i}" for i in range(copied)}
    finally:
        copy.close()


# Logs -----------------------------------------------------------------------------------------
@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Closer's own log configuration, at DEBUG for every logger including discord.py's."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("discord").level)
    stream = io.StringIO()
    logs.configure("DEBUG", stream)
    logging.getLogger("discord").setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        logging.getLogger("discord").setLevel(saved[2])


async def test_the_token_never_reaches_a_log_line(harness: Harness) -> None:
    token = discord_shaped_token(harness.sandbox.application_id)
    harness.sandbox.bot_token = token  # the sandbox now only accepts this token
    with captured_logs() as stream:
        logs.register_secret(token)  # as `python -m bot run` does
        bot = await harness.start_bot()
        ada, sam = harness.member("Ada"), harness.member("Sam")
        await invite_and_accept(harness, ada, sam)
        await (await ada.slash("prompt now")).reply()
        await harness.tick()
        # Faults make discord.py log its retries and rate limits.
        harness.sandbox.faults.rate_limit_storm = 0.3
        await (await ada.slash("closer help")).reply()
        harness.sandbox.faults.rate_limit_storm = 0.0

        # Bugs that put the token into an exception: the command error handler, the outbox and
        # discord.py's own "Ignoring exception" handler all log tracebacks.
        async def leaky(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"connection string had {token}")

        bot.members.set_timezone = leaky  # type: ignore[method-assign]
        crashed = await (await ada.slash("closer timezone", zone="UTC")).reply()
        assert crashed.text.startswith("Something went wrong on our side")
        real_send = bot.port.send
        bot.port.send = leaky  # type: ignore[method-assign]
        await (await ada.slash("prompt now")).reply()
        await harness.tick()
        bot.port.send = real_send  # type: ignore[method-assign]
        bot.add_listener(leaky, "on_message")
        await sam.send_dm("hello")
        await sam.next_dm()
        await asyncio.sleep(0.1)
        await harness.stop_bot()
    text = stream.getvalue()
    assert token not in text
    for part in token.split("."):
        assert part not in text  # not even a piece of it
    # The leaks above really reached the log, redacted; and discord.py's lines were captured.
    assert text.count("[redacted]") >= 3
    assert "discord.http" in text and "discord.gateway" in text


async def test_a_token_shaped_string_is_redacted_even_if_never_registered() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.RedactingFormatter())
    log = logging.getLogger("tests.token")
    log.addHandler(handler)
    try:
        log.warning("token=%s", discord_shaped_token(1575240680983232527))
    finally:
        log.removeHandler(handler)
    assert "[redacted-token]" in stream.getvalue()


# Shutdown -------------------------------------------------------------------------------------
async def test_sigterm_stops_the_bot_cleanly(harness: Harness, tmp_path: Path) -> None:
    env = cli_env(harness, DISCORD_TOKEN=harness.sandbox.bot_token)
    proc = await run_cli("run", env=env, cwd=tmp_path)
    ada = harness.member("Ada")
    try:
        for _ in range(300):  # the CLI needs a second or two to import and connect
            synced = harness.guild.id in harness.sandbox.guild_commands
            if synced and harness.sandbox.gateway.live_sessions:
                break
            await asyncio.sleep(0.05)
        reply = await (await ada.slash("closer help")).reply(timeout=10)
        assert "How Closer works" in reply.text
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 15)
    finally:
        if proc.returncode is None:  # never leave a bot running behind a failed test
            proc.kill()
            await proc.communicate()
    stderr = err.decode()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and " ERROR " not in stderr, stderr
    assert harness.sandbox.bot_token not in stderr + out.decode()


async def test_close_during_a_fan_out_strands_and_loses_nothing(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await harness.start_bot()
    people: list[Member] = await _many_couples(harness, 10)
    harness.clock.set(datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC))
    real_send = bot.port.send
    started = asyncio.Event()
    sent = 0

    async def slow_send(*args: Any, **kwargs: Any) -> Any:
        nonlocal sent
        result = await real_send(*args, **kwargs)
        sent += 1
        if sent >= 3:
            started.set()
        await asyncio.sleep(0.02)
        return result

    bot.port.send = slow_send  # type: ignore[method-assign]
    tick = asyncio.create_task(bot.ticker.run_once())
    await asyncio.wait_for(started.wait(), 10)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        await harness.stop_bot()  # SIGTERM's path: CloserBot.close()
        await tick
    # The in-flight tick finished before storage closed: no send or bookkeeping failed.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    db = await open_database(harness.db_path, harness.database_url)
    try:
        statuses = {
            str(r[0]): int(r[1])
            for r in await db.fetchall(
                "SELECT status, COUNT(*) FROM deliveries WHERE kind = 'prompt' GROUP BY status"
            )
        }
    finally:
        await db.close()
    assert "sending" not in statuses, statuses
    # Whatever was not sent is still pending, and a restart sends it exactly once.
    await harness.start_bot()
    harness.clock.advance(timedelta(minutes=1))
    await harness.tick()
    assert set(copies_per_member(harness, people).values()) == {1}
