"""What the multi-process benchmarks share: PostgreSQL, real bot processes and bulk seeding.

The sandbox runs in the benchmark's own event loop (so it can read every member's inbox); each
bot is a real OS process (`python -m bot run`) on one PostgreSQL database, with its own
`SHARD_IDS` out of `SHARD_COUNT`. A process is named in PostgreSQL by `application_name`
(`closer-bot-<n>`), which is how the benchmark finds the one that holds the lead (sends).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from _common import REPO

from bot.sandbox.gateway import shard_of
from bot.sandbox.payloads import SandboxGuild, SandboxUser
from bot.sandbox.server import Sandbox
from bot.storage.engines import open_database
from bot.storage.postgres import NEW_WORK_CHANNEL
from bot.storage.timecodec import to_db

# The advisory-lock key `PostgresDatabase.lead` holds (bot.storage.postgres._LEADER_LOCK): a
# bigint key shows in pg_locks as classid (high half) and objid (low half).
LEADER_LOCK = 0x6C656164
APP_NAME = "closer-bot-"
CHUNK = 5_000


@contextlib.asynccontextmanager
async def postgres(url: str | None) -> AsyncIterator[str]:
    """The given database URL, or a private throwaway server (tests/pg_cluster.py)."""
    if url:
        yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="closer-pg-bench-"))
    # As root the server runs as `postgres`, which must reach the folder inside this one.
    os.chmod(folder, 0o755)  # noqa: S103 - only a folder name, the data inside is private
    script = str(REPO / "tests" / "pg_cluster.py")
    started = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, script, "start", str(folder / "pg")],
        check=True,
        capture_output=True,
        text=True,
    )
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, script, "stop", str(folder / "pg")],
            check=False,
            capture_output=True,
        )
        with contextlib.suppress(OSError):
            await asyncio.to_thread(folder.rmdir)


def fleet_arguments(parser: argparse.ArgumentParser, members: int) -> None:
    """The options every multi-process benchmark takes: its fleet, the limit, the database."""
    parser.add_argument("--members", type=int, default=members)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--shards", type=int, default=3, help="SHARD_COUNT, split over processes")
    parser.add_argument("--rate", type=float, default=50.0, help="sandbox global limit, req/s")
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database")


Body = Callable[[Sandbox, str, Path, Any], Awaitable[dict[str, Any]]]


async def in_world(args: Any, prefix: str, body: Body) -> dict[str, Any]:
    """Run `body(sandbox, database_url, folder, args)` with the sandbox at `args.rate` req/s, a
    PostgreSQL database (`args.database_url` or a private server) and a scratch folder."""
    sandbox = Sandbox(global_rate=args.rate)
    await sandbox.start()
    try:
        async with postgres(args.database_url) as url:
            with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
                return await body(sandbox, url, Path(tmp), args)
    finally:
        await sandbox.stop()


def with_app_name(url: str, name: str) -> str:
    """The URL with `application_name` set (asyncpg passes unknown query keys to the server)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "application_name"]
    query.append(("application_name", name))
    return urlunsplit(parts._replace(query=urlencode(query, safe="/")))


async def migrate(url: str, folder: Path) -> None:
    """Create the schema before the bots start (each would do it, once, under a lock)."""
    db = await open_database(folder / "setup.db", url)
    await db.close()


def guilds_one_per_shard(sandbox: Sandbox, shards: int) -> list[SandboxGuild]:
    """A server on each shard, so every process has a server of its own to serve. Shard =
    `(id >> 22) % shards`, so each id is picked for its shard (the sandbox's own ids can cycle
    over fewer shards than asked for)."""
    stamp = sandbox.ids.next() >> 22
    guilds: list[SandboxGuild] = []
    for shard in range(shards):
        ms = stamp + 1 + (shard - stamp - 1) % shards
        stamp = ms
        guild = SandboxGuild(
            (ms << 22) | 1, f"Server {shard + 1}", sandbox.ids.next(), sandbox.owner.id
        )
        assert shard_of(guild.id, shards) == shard
        sandbox.guilds[guild.id] = guild
        guilds.append(guild)
    return guilds


@dataclass
class BotProcess:
    """One `python -m bot run` with its own shards, log file and heartbeat folder."""

    number: int
    shard_ids: str
    env: dict[str, str]
    log_path: Path
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0
    profile: Path | None = None  # cProfile output, written when the process stops cleanly

    @property
    def name(self) -> str:
        return f"{APP_NAME}{self.number}"

    async def start(self) -> None:
        self.starts += 1
        log = self.log_path.open("ab")
        try:
            profiler = ["-m", "cProfile", "-o", str(self.profile)] if self.profile else []
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                *profiler,
                "-m",
                "bot",
                "run",
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        finally:
            log.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    async def wait_dead(self) -> None:
        if self.proc is not None:
            await self.proc.wait()

    async def stop(self) -> None:
        """SIGTERM (a clean stop), SIGKILL if it takes too long."""
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.kill()
            await self.proc.wait()


@dataclass
class Fleet:
    """Several bot processes on one database, splitting `shard_count` shards."""

    sandbox: Sandbox
    url: str
    folder: Path
    shard_count: int
    procs: list[BotProcess] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)

    def build(self, processes: int, profile: Path | None = None) -> None:
        shards = [
            [s for s in range(self.shard_count) if s % processes == n] for n in range(processes)
        ]
        for n, mine in enumerate(shards):
            home = self.folder / f"bot{n}"
            home.mkdir(parents=True, exist_ok=True)
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": os.environ.get("HOME", str(home)),
                "PYTHONPATH": str(REPO),
                "DISCORD_TOKEN": self.sandbox.bot_token,
                "DISCORD_API_BASE_URL": self.sandbox.api_base,
                "DISCORD_GATEWAY_URL": self.sandbox.gateway_url,
                "DATABASE_URL": with_app_name(self.url, f"{APP_NAME}{n}"),
                "DATABASE_PATH": str(home / "closer.db"),
                "SHARD_COUNT": str(self.shard_count),
                "SHARD_IDS": ",".join(map(str, mine)),
                "LOG_LEVEL": "WARNING",
                **self.extra_env,
            }
            proc = BotProcess(n, env["SHARD_IDS"], env, home / "bot.log")
            if profile is not None:
                proc.profile = profile / f"{proc.name}.prof"
            self.procs.append(proc)

    async def start_all(self) -> None:
        for proc in self.procs:
            await proc.start()

    def connected_shards(self) -> set[int]:
        return {
            s.shard[0]
            for s in self.sandbox.gateway.sessions.values()
            if s.ws is not None and s.valid
        }

    async def wait_connected(self, limit: float = 60.0) -> bool:
        """Every shard has a live gateway connection (so every process ran its setup)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if len(self.connected_shards()) == self.shard_count:
                return True
            for proc in self.procs:
                if proc.proc is not None and proc.proc.returncode not in (None, -9):
                    raise RuntimeError(f"{proc.name} exited early; see {proc.log_path}")
            await asyncio.sleep(0.1)
        return False

    async def stop_all(self) -> None:
        await asyncio.gather(*(p.stop() for p in self.procs))

    def by_name(self, name: str | None) -> BotProcess | None:
        return next((p for p in self.procs if p.name == name), None)


async def leader_name(conn: Any) -> str | None:
    """The `application_name` of the connection holding the lead, if any."""
    value = await conn.fetchval(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 "
        # Advisory locks are per database: other tests' databases share the server.
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        LEADER_LOCK,
    )
    return None if value is None else str(value)


async def seed_due_couples(
    url: str,
    guilds: Sequence[SandboxGuild],
    couples: Sequence[tuple[SandboxUser, SandboxUser]],
    channels: dict[int, int],
    now: datetime,
) -> int:
    """Couples straight into the schema in one transaction (setup only, never how the bot
    writes): warm DM channels, every member's schedule due at `now`, then one NOTIFY so every
    process wakes as when any process queues work. Returns the pairs made."""
    local = now.strftime("%H:%M")
    due, day = to_db(now - timedelta(seconds=1)), now.date().isoformat()
    stamp = to_db(now)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            members = [
                (u.id, u.name, channels[u.id], stamp, stamp) for couple in couples for u in couple
            ]
            for i in range(0, len(members), CHUNK):
                await conn.executemany(
                    "INSERT INTO members (user_id, display_name, dm_channel_id, created_at, "
                    "updated_at) VALUES ($1, $2, $3, $4, $5)",
                    members[i : i + CHUNK],
                )
            # `seed` numbers the couples so their new ids can be read back in one query.
            pairs = [
                (guilds[n % len(guilds)].id, local, now.date().isoformat(), n, stamp)
                for n in range(len(couples))
            ]
            for i in range(0, len(pairs), CHUNK):
                await conn.executemany(
                    "INSERT INTO pairs (guild_id, kind, local_time, cadence, anchor_date, seed, "
                    "created_at) VALUES ($1, 'couple', $2, 'daily', $3, $4, $5)",
                    pairs[i : i + CHUNK],
                )
            ids = {
                int(r["seed"]): int(r["id"])
                for r in await conn.fetch("SELECT id, seed FROM pairs WHERE kind = 'couple'")
            }
            rows = [(ids[n], u.id) for n, couple in enumerate(couples) for u in couple]
            for i in range(0, len(rows), CHUNK):
                await conn.executemany(
                    "INSERT INTO pair_members (pair_id, user_id) VALUES ($1, $2)",
                    rows[i : i + CHUNK],
                )
                await conn.executemany(
                    "INSERT INTO schedules (pair_id, user_id, next_due_at, next_day) "
                    "VALUES ($1, $2, $3, $4)",
                    [(p, u, due, day) for p, u in rows[i : i + CHUNK]],
                )
            await conn.execute(f"NOTIFY {NEW_WORK_CHANNEL}")
    finally:
        await conn.close()
    return len(couples)


def spread(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = (
        ordered[len(ordered) // 2]
        if len(ordered) % 2
        else sum(ordered[len(ordered) // 2 - 1 : len(ordered) // 2 + 1]) / 2
    )
    return {"min": round(ordered[0], 2), "median": round(mid, 2), "max": round(ordered[-1], 2)}
