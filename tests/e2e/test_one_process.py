"""One Closer per database file: a second `python -m bot run` on it is refused in one line, and
the lock follows the bot through crashes and restarts inside the sandbox."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.core.models import Library
from bot.playground.world import World
from bot.storage.lock import AlreadyRunning
from tests.e2e.harness import Harness
from tests.e2e.test_operations import cli_env, run_cli

# The SQLite file's lock; PostgreSQL admits several processes (tests/storage/test_postgres.py).
pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]


async def finish(proc: asyncio.subprocess.Process, within: float = 30) -> tuple[str, str]:
    try:
        out, err = await asyncio.wait_for(proc.communicate(), within)
    finally:
        if proc.returncode is None:  # never leave a bot running behind a failed test
            proc.kill()
            await proc.communicate()
    return out.decode(), err.decode()


def refusal(err: str) -> str:
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert [line for line in lines if line.startswith("error:")] == [lines[-1]], err
    return lines[-1]


async def test_a_second_closer_on_the_same_database_exits_2_with_one_line(
    harness: Harness, tmp_path: Path
) -> None:
    env = cli_env(harness, DISCORD_TOKEN=harness.sandbox.bot_token)
    first = await run_cli("run", env=env, cwd=tmp_path)
    try:
        for _ in range(300):  # the CLI needs a second or two to import and connect
            if harness.sandbox.gateway.live_sessions:
                break
            await asyncio.sleep(0.05)
        assert harness.sandbox.gateway.live_sessions, "the first Closer never connected"
        second = await run_cli("run", env=env, cwd=tmp_path)
        out, err = await finish(second)
        assert second.returncode == 2, err
        assert refusal(err) == (
            f"error: another Closer is running on {harness.db_path} (pid {first.pid}); "
            "stop it first"
        )
        assert len(harness.sandbox.gateway.live_sessions) == 1  # it never even connected
        assert harness.sandbox.bot_token not in out + err
        first.send_signal(signal.SIGTERM)
        await finish(first, 15)
    finally:
        if first.returncode is None:
            first.kill()
            await first.communicate()
    assert first.returncode == 0
    # The first one's exit let go of the file: a bot in this process can take it now.
    await harness.start_bot()


async def test_the_lock_follows_the_bot_through_crash_and_restart(
    harness: Harness, library: Library
) -> None:
    await harness.start_bot()
    # A second bot on the same file, in the same process, is refused before it opens it.
    twin = World(harness.sandbox, library, harness.db_path, harness.clock.now())
    with pytest.raises(AlreadyRunning):
        await twin.start_bot()
    await harness.crash_bot()
    await harness.start_bot()  # the crashed bot's lock died with it
    with pytest.raises(AlreadyRunning):
        await twin.start_bot()
    await harness.stop_bot()
    await twin.start_bot()  # a clean stop lets go too
    await twin.stop_bot()
