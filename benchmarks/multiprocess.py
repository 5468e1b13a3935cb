"""Three bot processes on one PostgreSQL database, 20,000 members due at once.

Run from the repo root: ``.venv/bin/python benchmarks/multiprocess.py [--members 20000]
[--processes 3] [--shards 3] [--rate 50] [--database-url postgresql://…]``. Without
``--database-url`` it starts a private PostgreSQL server (``tests/pg_cluster.py``) and throws it
away afterwards; a given database must be empty.

Setup: the sandbox (in this process) answers at most ``--rate`` REST requests a second, shared
by every process (one bot token, as on Discord). ``--processes`` real OS processes
(``python -m bot run``) share ``--shards`` shards (``SHARD_COUNT``/``SHARD_IDS``), one server
per shard. Once every shard is connected, ``--members`` members (couples spread over the
servers, DM channels known, as after a first round) are written in one transaction with every
schedule due now, followed by a NOTIFY: every process wakes, one takes the lead and produces and
sends; the others serve their shards and stand by.

Measured from that commit to the last prompt the sandbox stored:

* ``throughput_ratio``: prompts delivered per second divided by ``--rate`` (target ≥ 0.9);
  ``send_phase_ratio``: the same from the first prompt sent (without materialising).
* ``rest_calls_per_second`` / ``rest_ratio``: every REST call any process made in that window.
* ``duplicates``: DMs beyond the one prompt each member is due (target 0); ``lost``: members
  with no DM at the end (target 0); ``nonce_resends``: sends that repeated a nonce
  (absorbed by Discord's nonce check, so not duplicates, but reported).
* ``leaders``: the processes seen holding the lead during the fan-out (normally one);
  ``cpu_seconds``: user+system CPU each process used (where the time went).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
import _multiproc as mp
import asyncpg

from bot.sandbox.server import Sandbox


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a live process, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    return await mp.in_world(args, "closer-multiprocess-", _run)


async def _run(
    sandbox: Sandbox, url: str, folder: Path, args: argparse.Namespace
) -> dict[str, Any]:
    guilds = mp.guilds_one_per_shard(sandbox, args.shards)
    count = args.members - args.members % 2
    people = [sandbox.add_user(f"m{i}", guilds[(i // 2) % len(guilds)]) for i in range(count)]
    couples = list(zip(people[0::2], people[1::2], strict=True))
    channels = {u.id: sandbox.dm_channel_for(u.id) for u in people}
    await mp.migrate(url, folder)
    fleet = mp.Fleet(sandbox, url, folder, args.shards)
    fleet.build(args.processes, args.profile)
    await fleet.start_all()
    try:
        if not await fleet.wait_connected():
            raise RuntimeError(f"not every shard connected; logs in {folder}")
        # discord.py reports ready a moment after READY (it waits for the servers to stream in).
        await asyncio.sleep(3)
        print(
            f"{args.processes} processes, shards "
            + ", ".join(f"{p.name}={p.shard_ids}" for p in fleet.procs)
            + f"; seeding {len(couples)} couples ({count} members) due now"
        )
        return await _measure(sandbox, fleet, url, people, couples, channels, guilds, args)
    finally:
        await fleet.stop_all()
        if args.keep_logs:
            for p in fleet.procs:
                print(f"--- {p.name} log ---\n{p.log_path.read_text()[-4000:]}")


async def _measure(
    sandbox: Sandbox,
    fleet: mp.Fleet,
    url: str,
    people: list[Any],
    couples: list[Any],
    channels: dict[int, int],
    guilds: list[Any],
    args: argparse.Namespace,
) -> dict[str, Any]:
    cpu_before = {p.name: cpu_seconds(p.proc.pid) if p.proc else None for p in fleet.procs}
    cpu_before["sandbox"] = cpu_seconds(os.getpid())
    before = len(sandbox.requests)
    global_429s = sandbox.global_429s
    seed_started = time.monotonic()
    await mp.seed_due_couples(url, guilds, couples, channels, datetime.now(UTC))
    t0 = time.monotonic()
    print(f"seeded in {t0 - seed_started:.1f}s; fan-out starts")

    watch = await asyncpg.connect(url)
    leaders: Counter[str] = Counter()
    ids = [u.id for u in people]
    deadline = t0 + args.members / args.rate * 1.6 + 60
    reported = t0
    try:
        while True:
            have = sum(1 for uid in ids if sandbox.inboxes.get(uid))
            name = await mp.leader_name(watch)
            if name is not None:
                leaders[name] += 1
            now = time.monotonic()
            if have >= len(ids) or now > deadline:
                break
            if now - reported >= 15:
                print(f"  … {have}/{len(ids)} members reached after {now - t0:.0f}s")
                reported = now
            await asyncio.sleep(0.5)
        # Anything still in flight lands; then the books are read.
        await asyncio.sleep(2)
        statuses = {
            str(r["status"]): int(r["n"])
            for r in await watch.fetch("SELECT status, count(*) AS n FROM deliveries GROUP BY 1")
        }
    finally:
        await watch.close()
    cpu = {
        p.name: round((cpu_seconds(p.proc.pid) or 0) - (cpu_before[p.name] or 0), 1)
        for p in fleet.procs
        if p.proc is not None
    }
    cpu["sandbox"] = round((cpu_seconds(os.getpid()) or 0) - (cpu_before["sandbox"] or 0), 1)

    made = sandbox.requests[before:]
    sends = [
        r
        for r in made
        if f"{r.method} {r.route}" == common.SEND_ROUTE and r.status == 200 and r.at >= t0
    ]
    t_first = min((r.at for r in sends), default=t0)
    t_last = max((r.at for r in sends), default=time.monotonic())
    elapsed = t_last - t0
    in_window = [r for r in made if t0 <= r.at <= t_last]
    nonces = Counter(str((r.json or {}).get("nonce")) for r in sends if isinstance(r.json, dict))
    # Only prompts are due in this run (no answers, so no reveals or nudges): each member's
    # inbox must hold exactly one DM. Any second DM counts as a duplicate, whatever it is.
    held = [len(sandbox.inboxes.get(u.id, ())) for u in people]
    prompts = sum(min(n, 1) for n in held)
    lost = sum(1 for n in held if n == 0)
    duplicates = sum(n - 1 for n in held if n > 1)
    result: dict[str, Any] = {
        "benchmark": "multiprocess",
        "members": len(people),
        "processes": args.processes,
        "shards": args.shards,
        "rate": args.rate,
        "prompts_delivered": prompts,
        "lost": lost,
        "duplicates": duplicates,
        "nonce_resends": sum(n - 1 for n in nonces.values() if n > 1),
        "fanout_seconds": round(elapsed, 2),
        "materialise_seconds": round(t_first - t0, 2),
        "prompts_per_second": round(prompts / elapsed, 2) if elapsed > 0 else None,
        "throughput_ratio": round(prompts / elapsed / args.rate, 4) if elapsed > 0 else None,
        "send_phase_ratio": (
            round(prompts / (t_last - t_first) / args.rate, 4) if t_last > t_first else None
        ),
        "rest_calls": len(in_window),
        "rest_calls_per_second": round(len(in_window) / elapsed, 2) if elapsed > 0 else None,
        "rest_ratio": round(len(in_window) / elapsed / args.rate, 4) if elapsed > 0 else None,
        "global_429s": sandbox.global_429s - global_429s,
        "leaders": dict(leaders),
        "cpu_seconds": cpu,
        "delivery_rows": statuses,
    }
    result["targets_met"] = bool(
        lost == 0 and duplicates == 0 and (result["throughput_ratio"] or 0) >= 0.9
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mp.fleet_arguments(parser, members=20_000)
    parser.add_argument(
        "--profile", type=Path, default=None, help="write each process's cProfile stats here"
    )
    parser.add_argument("--keep-logs", action="store_true", help="print each process's log tail")
    args = parser.parse_args()
    common.quiet_logging()
    result = asyncio.run(run(args))
    print(
        f"{result['prompts_delivered']} prompts in {result['fanout_seconds']}s "
        f"({result['prompts_per_second']}/s, ratio {result['throughput_ratio']}); "
        f"{result['rest_calls_per_second']} REST calls/s; lost={result['lost']} "
        f"duplicates={result['duplicates']}; leaders {result['leaders']}"
    )
    common.emit(result)


if __name__ == "__main__":
    main()
