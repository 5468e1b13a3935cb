"""Benchmark a fan-out: many pairs due at the same instant, through a rate-limited sandbox.

Run from the repo root: ``.venv/bin/python benchmarks/fanout.py [--members 2000] [--rate 50]
[--cold]``.

Setup: ``--members`` members (``members / 2`` couples, seeded directly in storage) all due at
09:00 UTC, plus a few other couples due in the evening whose members run slash commands. The
sandbox answers at most ``--rate`` REST requests a second (Discord's global limit, 50). The DM
channel cache is warm: each member's channel id is already stored, as after a first round.
``--cold`` skips that: every member is DMed for the first time (a big circle's first round, a
newly added server), so each prompt first opens a DM channel, whose route has its own bucket
(10 a second on the sandbox).

Measured, over one fan-out (one outbox tick, woken at 09:00:30):

* ``rest_calls_per_prompt``: requests the bot made on the two delivery routes (open a DM, send
  a message), 429s and 5xx included, divided by prompts delivered. 1.0 is the floor (2.0 cold).
* ``throughput_ratio``: prompts delivered per second, from the wake-up (so materialising the
  due rows counts) to the last prompt the sandbox stored, divided by ``--rate``.
* ``cold_ratio`` (cold only): prompts per second divided by what the DM-open bucket allows.
* ``interaction_ack_p99_ms``: p99 of the time from INTERACTION_CREATE to the bot's callback for
  ``/closer help`` (answered at once) and ``/pair status`` (deferred, then a follow-up), fired by
  other members a few times a second during the whole fan-out.
* ``limiter_waits``, ``dm_open_waits``, ``global_429s``, ``route_429s``: where the time went.
* ``plain``: the same fan-out, in the same run and sandbox, by a plain discord.py bot (one
  APScheduler job per pair calling ``user.send``; see ``plainbot.py``) to ``--baseline-members``
  other members, and ``vs_plain``: Closer's prompts per second divided by the plain bot's.
  ``--baseline-members 0`` skips it.

The bot's own send limiter runs at ``bot.app.SEND_RATE`` (50 req/s, never more than 50 in any
second). ``--send-rate`` overrides it for this run.
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
import plainbot

import bot.app
from bot.sandbox.driver import InteractionHandle, Member
from bot.sandbox.limits import RouteBuckets
from bot.sandbox.payloads import SandboxUser
from bot.sandbox.server import Sandbox

TALKERS = 20  # members (10 couples, due in the evening) who run slash commands meanwhile
COMMANDS_PER_SECOND = 4.0
DEADLINE = 150.0  # seconds; the fan-out must be over well before the 3-minute budget
# What the sandbox's DM-open bucket allows a second: the ceiling of a cold fan-out.
DM_OPEN_LIMIT, DM_OPEN_PER = RouteBuckets.LIMITS[common.OPEN_DM_ROUTE]
DM_OPENS_PER_SECOND = DM_OPEN_LIMIT / DM_OPEN_PER


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


async def run(
    members: int, rate: float, send_rate: float | None, cold: bool, baseline: int
) -> dict[str, Any]:
    if send_rate is not None:
        # Read by CloserBot._build_services when it builds the port's limiter.
        bot.app.SEND_RATE = send_rate
    lib = common.library()
    sandbox = Sandbox(global_rate=rate)
    await sandbox.start()
    tmp = tempfile.TemporaryDirectory(prefix="closer-fanout-")
    runner = common.BotRunner(sandbox, lib, Path(tmp.name) / "closer.db")
    try:
        result = await _measure(runner, members, rate, cold)
        if baseline:
            users = runner.add_users("plain", baseline - baseline % 2)
            print(f"plain discord.py bot: {len(users)} members, DM cache {_cache(cold)}")
            plain = await plainbot.run_plain(
                sandbox, users, cold=cold, deadline=_deadline(len(users), cold, plain=True)
            )
            result["plain"] = plain.as_dict(rate)
            result["vs_plain"] = (
                round(result["prompts_per_second"] / plain.prompts_per_second, 2)
                if plain.prompts_per_second and result["prompts_per_second"]
                else None
            )
        return result
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
    limiter_waits, open_waits = closer.limiter.waits, closer.route_watch.open_dm.waits
    stop = asyncio.Event()
    commands = asyncio.create_task(load.run(stop))
    await asyncio.sleep(0.5)  # commands already flowing when the fan-out starts

    t0 = time.monotonic()
    closer.ticker.wake()
    delivered = await _wait_for_inboxes(sandbox, people, len(people), _deadline(members, cold))
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
        "limiter_waits": closer.limiter.waits - limiter_waits,
        "dm_open_waits": closer.route_watch.open_dm.waits - open_waits,
        "interactions": len(latencies),
        "interaction_failures": len(load.failures),
        "interaction_ack_p50_ms": round(common.percentile(latencies, 50), 1),
        "interaction_ack_p99_ms": round(common.percentile(latencies, 99), 1),
        "interaction_ack_max_ms": round(max(latencies, default=float("nan")), 1),
    }
    pace_ok: bool
    if cold:
        result["dm_opens_per_second_allowed"] = DM_OPENS_PER_SECOND
        result["cold_ratio"] = round((result["prompts_per_second"] or 0) / DM_OPENS_PER_SECOND, 4)
        pace_ok = result["rest_calls_per_prompt"] <= 2.02 and result["cold_ratio"] >= 0.9
    else:
        pace_ok = (
            result["rest_calls_per_prompt"] <= 1.02 and (result["throughput_ratio"] or 0) >= 0.95
        )
    result["targets_met"] = bool(
        delivered == len(people)
        and duplicates == 0
        and not load.failures
        and pace_ok
        and result["interaction_ack_p99_ms"] < 500
    )
    for failure in load.failures[:5]:
        print(f"  command failed: {failure}")
    return result


def _cache(cold: bool) -> str:
    return "cold" if cold else "warm"


def _deadline(members: int, cold: bool, *, plain: bool = False) -> float:
    """Long enough for the pace being measured: a cold fan-out is bound by DM opens, and the
    plain bot may be several times slower than that."""
    if not cold and not plain:
        return DEADLINE
    return max(DEADLINE, 60 + members / DM_OPENS_PER_SECOND * (4 if plain else 2))


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
    parser.add_argument(
        "--baseline-members",
        type=int,
        default=400,
        help="members the plain discord.py bot DMs in the same run (0: skip the baseline)",
    )
    args = parser.parse_args()
    common.quiet_logging()
    result = asyncio.run(
        run(args.members, args.rate, args.send_rate, args.cold, args.baseline_members)
    )
    print(
        f"{result['prompts_delivered']} prompts in {result['fanout_seconds']}s "
        f"({result['prompts_per_second']}/s, ratio {result['throughput_ratio']}); "
        f"{result['rest_calls_per_prompt']} REST calls/prompt; "
        f"ack p99 {result['interaction_ack_p99_ms']} ms over {result['interactions']} commands; "
        f"429s global={result['global_429s']} route={result['route_429s']}"
    )
    if "plain" in result:
        plain = result["plain"]
        print(
            f"plain bot: {plain['prompts_delivered']} prompts at {plain['prompts_per_second']}/s "
            f"({plain['rest_calls_per_prompt']} REST calls/prompt); "
            f"Closer is {result['vs_plain']}x its pace"
        )
    common.emit(result)


if __name__ == "__main__":
    main()
