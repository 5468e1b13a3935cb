"""Benchmark a fan-out: many pairs due at the same instant, through a rate-limited sandbox.

Run from the repo root: ``.venv/bin/python benchmarks/fanout.py [--members 2000] [--rate 50]``.

Setup: ``--members`` members (``members / 2`` couples, seeded directly in storage) all due at
09:00 UTC, plus a few other couples due in the evening whose members run slash commands. The
sandbox answers at most ``--rate`` REST requests a second (Discord's global limit, 50). The DM
channel cache is warm: each member's channel id is already stored, as after a first round
(``--cold`` skips that, to see what a first round costs).

Measured, over one fan-out (one outbox tick, woken at 09:00:30):

* ``rest_calls_per_prompt``: requests the bot made on the two delivery routes (open a DM, send
  a message), 429s and 5xx included, divided by prompts delivered. 1.0 is the floor.
* ``throughput_ratio``: prompts delivered per second, from the wake-up (so materialising the
  due rows counts) to the last prompt the sandbox stored, divided by ``--rate``.
* ``interaction_ack_p99_ms``: p99 of the time from INTERACTION_CREATE to the bot's callback for
  ``/closer help`` (answered at once) and ``/pair status`` (deferred, then a follow-up), fired by
  other members a few times a second during the whole fan-out.

The bot's own send limiter runs at ``bot.app.SEND_RATE`` (45 req/s). ``--send-rate`` overrides
it for this run, to measure what a limiter that follows the real limit would give.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

import bot.app
from bot.sandbox.driver import InteractionHandle, Member
from bot.sandbox.payloads import SandboxUser
from bot.sandbox.server import Sandbox

TALKERS = 20  # members (10 couples, due in the evening) who run slash commands meanwhile
COMMANDS_PER_SECOND = 4.0
DEADLINE = 150.0  # seconds; the fan-out must be over well before the 3-minute budget


@dataclass
class CommandLoad:
    """Slash commands fired at a steady pace by members outside the fan-out."""

    sandbox: Sandbox
    members: list[Member]
    handles: list[tuple[str, InteractionHandle]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        replies: list[asyncio.Task[None]] = []
        i = 0
        while not stop.is_set():
            member = self.members[i % len(self.members)]
            name = "closer help" if i % 2 == 0 else "pair status"
            handle = await member.slash(name)
            self.handles.append((name, handle))
            replies.append(asyncio.create_task(self._check(name, handle)))
            i += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1 / COMMANDS_PER_SECOND)
        await asyncio.gather(*replies)

    async def _check(self, name: str, handle: InteractionHandle) -> None:
        """The member must see a real answer, not just an acknowledgement."""
        try:
            reply = await handle.reply(timeout=30)
        except AssertionError as exc:
            self.failures.append(f"/{name}: {exc}")
            return
        if not reply.ephemeral or not reply.text:
            self.failures.append(f"/{name}: unexpected reply {reply.text[:80]!r}")

    def latencies_ms(self) -> list[float]:
        return [h.ack_latency * 1000 for _, h in self.handles if h.ack_latency is not None]


async def run(members: int, rate: float, send_rate: float | None, cold: bool) -> dict[str, Any]:
    if send_rate is not None:
        # Read by CloserBot._build_services when it builds the port's limiter.
        bot.app.SEND_RATE = send_rate
    lib = common.library()
    sandbox = Sandbox(global_rate=rate)
    await sandbox.start()
    tmp = tempfile.TemporaryDirectory(prefix="closer-fanout-")
    runner = common.BotRunner(sandbox, lib, Path(tmp.name) / "closer.db")
    try:
        return await _measure(runner, members, rate, cold)
    finally:
        await runner.stop()
        await sandbox.stop()
        tmp.cleanup()


async def _measure(
    runner: common.BotRunner, members: int, rate: float, cold: bool
) -> dict[str, Any]:
    sandbox = runner.sandbox
    closer = await runner.start()
    now = runner.clock.now()

    started = time.perf_counter()
    people = runner.add_users("m", members - members % 2)
    couples = list(zip(people[0::2], people[1::2], strict=True))
    await common.seed_couples(closer.db, runner.guild.id, couples, now=now, local_time="09:00")
    talkers = runner.add_users("t", TALKERS)
    await common.seed_couples(
        closer.db,
        runner.guild.id,
        zip(talkers[0::2], talkers[1::2], strict=True),
        now=now,
        local_time="21:00",
    )
    if not cold:
        await common.prefill_dm_channels(closer.db, sandbox, people)
    print(
        f"seeded {len(couples)} couples ({len(people)} members) + {TALKERS} talkers "
        f"in {time.perf_counter() - started:.1f}s; DM cache {'cold' if cold else 'warm'}"
    )

    load = CommandLoad(sandbox, [Member(sandbox, u, runner.guild) for u in talkers])
    runner.clock.set(common.day_at(now.date(), "09:00"))
    before = len(sandbox.requests)
    global_429s, route_429s = sandbox.global_429s, sandbox.route_429s
    stop = asyncio.Event()
    commands = asyncio.create_task(load.run(stop))
    await asyncio.sleep(0.5)  # commands already flowing when the fan-out starts

    t0 = time.monotonic()
    closer.ticker.wake()
    delivered = await _wait_for_inboxes(sandbox, people, len(people), DEADLINE)
    stop.set()
    await commands
    await _wait_idle(closer)

    made = sandbox.requests[before:]
    sends_ok = [r for r in made if f"{r.method} {r.route}" == common.SEND_ROUTE and r.status == 200]
    t_last = max((r.at for r in sends_ok if r.at >= t0), default=time.monotonic())
    t_first = min((r.at for r in sends_ok if r.at >= t0), default=t0)
    delivery_calls = [r for r in made if f"{r.method} {r.route}" in common.DELIVERY_ROUTES]
    elapsed = t_last - t0
    latencies = load.latencies_ms()
    prompts = common.prompt_dm_count(sandbox, people)
    duplicates = sum(
        n - 1 for u in people for n in common.prompt_copies(sandbox, u.id).values() if n > 1
    )
    result: dict[str, Any] = {
        "benchmark": "fanout",
        "members": len(people),
        "rate": rate,
        "bot_send_rate": bot.app.SEND_RATE,
        "dm_cache": "cold" if cold else "warm",
        "prompts_delivered": prompts,
        "duplicates": duplicates,
        "rest_calls_per_prompt": round(len(delivery_calls) / max(1, prompts), 4),
        "rest_calls_all_routes": len(made),
        "fanout_seconds": round(elapsed, 3),
        "materialise_seconds": round(t_first - t0, 3),
        "prompts_per_second": round(prompts / elapsed, 2) if elapsed > 0 else None,
        "throughput_ratio": round(prompts / elapsed / rate, 4) if elapsed > 0 else None,
        # The same, from the first prompt sent: the sender alone, without materialising.
        "send_phase_ratio": (
            round(prompts / (t_last - t_first) / rate, 4) if t_last > t_first else None
        ),
        "global_429s": sandbox.global_429s - global_429s,
        "route_429s": sandbox.route_429s - route_429s,
        "interactions": len(latencies),
        "interaction_failures": len(load.failures),
        "interaction_ack_p50_ms": round(common.percentile(latencies, 50), 1),
        "interaction_ack_p99_ms": round(common.percentile(latencies, 99), 1),
        "interaction_ack_max_ms": round(max(latencies, default=float("nan")), 1),
    }
    result["targets_met"] = bool(
        delivered == len(people)
        and duplicates == 0
        and not load.failures
        and result["rest_calls_per_prompt"] <= 1.02
        and (result["throughput_ratio"] or 0) >= 0.9
        and result["interaction_ack_p99_ms"] < 500
    )
    for failure in load.failures[:5]:
        print(f"  command failed: {failure}")
    return result


async def _wait_for_inboxes(
    sandbox: Sandbox, users: list[SandboxUser], expected: int, deadline: float
) -> int:
    """Poll the members' inboxes until each holds a DM (or the deadline passes)."""
    ids = [u.id for u in users]
    end = time.monotonic() + deadline
    reported = time.monotonic()
    while True:
        have = sum(1 for uid in ids if sandbox.inboxes.get(uid))
        if have >= expected or time.monotonic() > end:
            return have
        if time.monotonic() - reported >= 10:
            print(f"  … {have}/{expected} members reached")
            reported = time.monotonic()
        await asyncio.sleep(0.02)


async def _wait_idle(closer: bot.app.CloserBot) -> None:
    await common.wait_until(lambda: not closer.ticker.busy, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="sandbox global limit, req/s")
    parser.add_argument(
        "--send-rate",
        type=float,
        default=None,
        help=f"override the bot's limiter (default: bot.app.SEND_RATE = {bot.app.SEND_RATE})",
    )
    parser.add_argument("--cold", action="store_true", help="no DM channel ids stored up front")
    args = parser.parse_args()
    common.quiet_logging()
    result = asyncio.run(run(args.members, args.rate, args.send_rate, args.cold))
    print(
        f"{result['prompts_delivered']} prompts in {result['fanout_seconds']}s "
        f"({result['prompts_per_second']}/s, ratio {result['throughput_ratio']}); "
        f"{result['rest_calls_per_prompt']} REST calls/prompt; "
        f"ack p99 {result['interaction_ack_p99_ms']} ms over {result['interactions']} commands; "
        f"429s global={result['global_429s']} route={result['route_429s']}"
    )
    common.emit(result)


if __name__ == "__main__":
    main()
