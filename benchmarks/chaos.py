"""Chaos: abrupt stops and restarts in the middle of fan-outs, with 5xx and 429s injected.

Run from the repo root:
``.venv/bin/python benchmarks/chaos.py [--members 400] [--days 5] [--crashes 4]``.

Setup: ``--members`` members (couples, seeded in storage), a daily prompt at 09:00 UTC. Each
simulated day wakes the outbox at 09:00:30 and, while it sends, kills the bot ``--crashes``
times the way a killed process dies (ticker halted, tasks cancelled, HTTP and database closed
without releasing leases, gateway dropped). Most kills come after a random number of prompts
reached members; one in four after a random short delay instead, which can land while the due
rows are still being materialised. A new bot then starts on the same database and sandbox, the
fake clock moves past the two-minute lease, and the outbox resumes. After the day's last kill
the outbox ticks (one fake minute apart, for retry backoff) until no row is pending.

The sandbox answers ``--server-errors`` of REST requests with a 503 before applying them,
``--lost-responses`` with a 502 after applying them, and ``--storm`` with a spurious 429.
Faults are off while a bot logs in (its start-up calls are not what is under test).

Members never press a button, so between days each member's open prompt is marked answered
in storage: otherwise the product's going-quiet rule (three unanswered prompts hold the slot)
and its nudges would rightly change what arrives.

Judged only from what members hold in the sandbox (never from the bot's own records):
``lost`` = member-days without that day's prompt, ``duplicates`` = extra copies of a prompt
instance in one member's DMs. Both must be 0; ``deliveries_checked`` = members x days.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

from bot.delivery.outbox import LEASE
from bot.sandbox.limits import Faults
from bot.sandbox.payloads import SandboxUser
from bot.sandbox.server import Sandbox
from bot.storage.timecodec import to_db

SEED = 20260302
CRASH_WAIT = 8.0  # real seconds a kill waits for its trigger before firing anyway
SETTLE_TICKS = 90  # fake minutes the outbox gets, after the last kill, to finish the day


class Chaos:
    def __init__(
        self,
        runner: common.BotRunner,
        people: list[SandboxUser],
        rates: tuple[float, float, float],
        seed: int,
    ) -> None:
        self.runner = runner
        self.people = people
        self.faults = runner.sandbox.faults
        self.rates = rates  # 5xx before applying, 5xx after applying, spurious 429
        self.rng = random.Random(seed)
        self.restarts = 0
        self.kill_points: Counter[str] = Counter()

    def faults_on(self, on: bool) -> None:
        rates = self.rates if on else (0.0, 0.0, 0.0)
        (
            self.faults.server_error_rate,
            self.faults.lost_response_rate,
            self.faults.rate_limit_storm,
        ) = rates

    def reached(self) -> int:
        return sum(len(self.runner.sandbox.inboxes.get(u.id, ())) for u in self.people)

    async def restart(self) -> None:
        """Kill the bot mid-work, start a new one, move past the lease and resume sending."""
        await self.runner.crash()
        self.restarts += 1
        self.faults_on(False)
        closer = await self.runner.start()
        self.faults_on(True)
        self.runner.clock.advance(LEASE + timedelta(minutes=1))
        closer.ticker.wake()

    async def kill_during_fanout(self) -> None:
        """Wait for the kill point (k more prompts delivered, or a short random delay)."""
        if self.rng.random() < 0.25:
            self.kill_points["after_delay"] += 1
            await asyncio.sleep(self.rng.uniform(0.0, 0.4))
        else:
            self.kill_points["after_sends"] += 1
            target = self.reached() + self.rng.randint(5, 70)
            await common.wait_until(lambda: self.reached() >= target, CRASH_WAIT, poll=0.005)
        await self.restart()

    async def settle(self) -> int:
        """Tick, a fake minute apart, until nothing is pending or leased. Returns ticks run."""
        closer = self.runner.running()
        for n in range(1, SETTLE_TICKS + 1):
            await common.wait_until(lambda: not closer.ticker.busy, 30)
            await closer.ticker.run_once()
            await common.wait_until(lambda: not closer.ticker.busy, 30)
            open_rows = await closer.db.fetchval(
                "SELECT count(*) FROM deliveries WHERE status = 'pending'"
            )
            if not open_rows:
                return n
            self.runner.clock.advance(timedelta(minutes=1))
        return SETTLE_TICKS

    async def everyone_answers(self) -> None:
        """Setup between days: as if each member answered (keeps going-quiet and nudges out)."""
        closer = self.runner.running()
        async with closer.db.transaction() as conn:
            await conn.execute(
                "UPDATE instance_members SET state = 'answered', updated_at = ? "
                "WHERE state = 'open'",
                (to_db(self.runner.clock.now()),),
            )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    lib = common.library()
    sandbox = Sandbox(global_rate=args.rate, faults=Faults(seed=SEED))
    await sandbox.start()
    tmp = tempfile.TemporaryDirectory(prefix="closer-chaos-")
    runner = common.BotRunner(sandbox, lib, Path(tmp.name) / "closer.db")
    try:
        return await _run(runner, args)
    finally:
        await runner.stop()
        await sandbox.stop()
        tmp.cleanup()


async def _run(runner: common.BotRunner, args: argparse.Namespace) -> dict[str, Any]:
    sandbox = runner.sandbox
    closer = await runner.start()
    people = runner.add_users("c", args.members - args.members % 2)
    couples = list(zip(people[0::2], people[1::2], strict=True))
    start = runner.clock.now()
    await common.seed_couples(closer.db, runner.guild.id, couples, now=start, local_time="09:00")
    # Warm DM-channel cache, as in fanout.py: a cold first day is capped by Discord's 10/s
    # bucket on opening DMs, which only makes the run longer, not harsher.
    await common.prefill_dm_channels(closer.db, sandbox, people)
    rates = (args.server_errors, args.lost_responses, args.storm)
    chaos = Chaos(runner, people, rates, SEED)
    chaos.faults_on(True)
    print(
        f"{len(couples)} couples, {args.days} days, {args.crashes} kills a day; faults: "
        f"5xx {args.server_errors:.0%}, lost responses {args.lost_responses:.0%}, "
        f"429 storm {args.storm:.0%}"
    )

    started = time.monotonic()
    settle_ticks = 0
    for day in range(args.days):
        runner.clock.set(common.day_at(start.date() + timedelta(days=day), "09:00"))
        runner.running().ticker.wake()
        day_started = time.monotonic()
        for _ in range(args.crashes):
            await chaos.kill_during_fanout()
        killed = time.monotonic()
        settle_ticks += await chaos.settle()
        await chaos.everyone_answers()
        print(
            f"day {day + 1}: {chaos.restarts} restarts so far, {chaos.reached()} DMs held; "
            f"kills {killed - day_started:.1f}s, settle {time.monotonic() - killed:.1f}s"
        )
    chaos.faults_on(False)

    expected_days = args.days
    lost = duplicates = checked = 0
    partner_mismatch = 0
    for a, b in couples:
        copies = {u.id: common.prompt_copies(sandbox, u.id) for u in (a, b)}
        for counts in copies.values():
            checked += expected_days
            lost += max(0, expected_days - len(counts))
            duplicates += sum(n - 1 for n in counts.values() if n > 1)
        if set(copies[a.id]) != set(copies[b.id]):
            partner_mismatch += 1
    rows = await runner.running().db.fetchall(
        "SELECT status, count(*) AS n FROM deliveries GROUP BY status"
    )
    statuses = {str(r["status"]): int(r["n"]) for r in rows}
    made = sandbox.requests
    result: dict[str, Any] = {
        "benchmark": "chaos",
        "members": len(people),
        "days": args.days,
        "restarts": chaos.restarts,
        "kill_points": dict(chaos.kill_points),
        "deliveries_checked": checked,
        "lost": lost,
        "duplicates": duplicates,
        "partner_instance_mismatches": partner_mismatch,
        "delivery_rows": statuses,
        "injected_5xx": sum(1 for r in made if r.status >= 500),
        "injected_429s": sandbox.route_429s,
        "global_429s": sandbox.global_429s,
        "settle_ticks": settle_ticks,
        "seconds": round(time.monotonic() - started, 1),
    }
    result["targets_met"] = bool(
        lost == 0 and duplicates == 0 and chaos.restarts >= 20 and checked >= 2000
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--crashes", type=int, default=4, help="kills per day")
    parser.add_argument("--rate", type=float, default=50.0, help="sandbox global limit, req/s")
    parser.add_argument("--server-errors", type=float, default=0.05)
    parser.add_argument("--lost-responses", type=float, default=0.05)
    parser.add_argument("--storm", type=float, default=0.05)
    args = parser.parse_args()
    common.quiet_logging()
    result = asyncio.run(run(args))
    print(
        f"{result['deliveries_checked']} member-days checked after {result['restarts']} "
        f"restarts: lost={result['lost']} duplicates={result['duplicates']}"
    )
    common.emit(result)


if __name__ == "__main__":
    main()
