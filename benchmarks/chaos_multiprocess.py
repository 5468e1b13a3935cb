"""Chaos on PostgreSQL: several bot processes, the sending one killed (SIGKILL) mid fan-out.

Run from the repo root: ``.venv/bin/python benchmarks/chaos_multiprocess.py [--members 3000]
[--processes 3] [--kills 6] [--database-url postgresql://…]``. Without ``--database-url`` it
starts a private PostgreSQL server (``tests/pg_cluster.py``); a given database must be empty.

Setup as in ``multiprocess.py``: ``--processes`` real OS processes (``python -m bot run``) on
one database, splitting ``--shards`` shards, the sandbox (in this process) at ``--rate``
requests/s, and ``--members`` members (DM channels known) whose prompts all come due at once.
During the fan-out the process holding the lead (found through ``pg_locks``) is killed with
SIGKILL ``--kills`` times, each after a random 100–300 further prompts reached members (or
when no prompt arrived for ``STALL`` seconds) and once the process killed before is connected
again; each killed process is started again at once, as a supervisor would, and joins as a
follower. The process that takes over ends the leases of the rows the killed one had claimed
(``bot.storage.outbox.take_over_leases``) and sends them again with the same nonce.

Judged from what members hold in the sandbox, never from the bot's own records:

* ``lost``: members with no DM at the end (target 0); ``duplicates``: DMs beyond the one
  prompt each member is due (target 0); ``nonce_resends``: sends repeating an earlier nonce,
  which Discord's nonce check absorbs (rows a killed sender sent but had not marked yet).
* ``resume_seconds``: per kill, from SIGKILL to the next prompt any process delivered;
  ``resume_max_seconds`` is the figure judged (target < 10 s).
* ``tail_seconds``: from the last kill to the last prompt delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
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

from bot.delivery.outbox import LEASE
from bot.sandbox.server import Sandbox

SEED = 20260302
STALL = 15.0  # seconds without a new prompt before a kill fires anyway
RESUME_LIMIT = 60.0  # seconds a kill waits for sending to resume before giving up on it
READY_DELAY = 3.0  # discord.py's ready comes a moment after READY


async def run(args: argparse.Namespace) -> dict[str, Any]:
    return await mp.in_world(args, "closer-chaos-mp-", _run)


def _sent_since(sandbox: Sandbox, index: int) -> list[float]:
    return [
        r.at
        for r in sandbox.requests[index:]
        if f"{r.method} {r.route}" == common.SEND_ROUTE and r.status == 200
    ]


async def _wait_sends(
    sandbox: Sandbox, index: int, at_least: int, limit: float, poll: float = 0.05
) -> bool:
    """Wait until `at_least` prompts were sent from request `index` on (or `limit` seconds)."""
    return await common.wait_until(
        lambda: len(_sent_since(sandbox, index)) >= at_least, limit, poll=poll
    )


async def _run(
    sandbox: Sandbox, url: str, folder: Path, args: argparse.Namespace
) -> dict[str, Any]:
    rng = random.Random(SEED)
    guilds = mp.guilds_one_per_shard(sandbox, args.shards)
    count = args.members - args.members % 2
    people = [sandbox.add_user(f"m{i}", guilds[(i // 2) % len(guilds)]) for i in range(count)]
    couples = list(zip(people[0::2], people[1::2], strict=True))
    channels = {u.id: sandbox.dm_channel_for(u.id) for u in people}
    await mp.migrate(url, folder)
    fleet = mp.Fleet(sandbox, url, folder, args.shards)
    fleet.build(args.processes)
    await fleet.start_all()
    watch = await asyncpg.connect(url)
    try:
        if not await fleet.wait_connected():
            raise RuntimeError(f"not every shard connected; logs in {folder}")
        await asyncio.sleep(READY_DELAY)
        print(
            f"{args.processes} processes on {args.shards} shards; {len(couples)} couples "
            f"({count} members) due now; {args.kills} kills of the sender"
        )
        await mp.seed_due_couples(url, guilds, couples, channels, datetime.now(UTC))
        t0 = time.monotonic()
        resumes: list[float] = []
        killed: list[str] = []
        last_kill = t0
        for n in range(args.kills):
            target = len(_sent_since(sandbox, 0)) + rng.randint(100, 300)
            await _wait_sends(sandbox, 0, target, STALL)
            # The process restarted after the last kill is back first: a standby must be up
            # for a takeover within seconds (two failures in a row wait for a restart).
            if not await fleet.wait_connected():
                raise RuntimeError(f"a restarted process did not reconnect; logs in {folder}")
            await asyncio.sleep(READY_DELAY)
            name = await mp.leader_name(watch)
            proc = fleet.by_name(name)
            if proc is None:
                print(f"kill {n + 1}: nobody holds the lead; skipped")
                continue
            proc.kill()
            last_kill = time.monotonic()
            await proc.wait_dead()
            # Requests the dead process had already sent finish here; nothing newer is its.
            await asyncio.sleep(0.05)
            index = len(sandbox.requests)
            await proc.start()  # a supervisor brings it back; it joins as a follower
            resumed = await _wait_sends(sandbox, index, 1, RESUME_LIMIT, poll=0.01)
            after = _sent_since(sandbox, index)
            resume = after[0] - last_kill if resumed and after else float("inf")
            resumes.append(resume)
            killed.append(proc.name)
            taker = await mp.leader_name(watch)
            print(f"kill {n + 1}: {proc.name} killed; {taker} sends after {resume:.2f}s")
        deadline = last_kill + LEASE.total_seconds() + 60
        ids = [u.id for u in people]
        reported = time.monotonic()
        while time.monotonic() < deadline:
            have = sum(1 for uid in ids if sandbox.inboxes.get(uid))
            if have >= len(ids):
                break
            if time.monotonic() - reported >= 15:
                print(f"  … {have}/{len(ids)} members reached")
                reported = time.monotonic()
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)
        statuses = {
            str(r["status"]): int(r["n"])
            for r in await watch.fetch("SELECT status, count(*) AS n FROM deliveries GROUP BY 1")
        }
    finally:
        await watch.close()
        await fleet.stop_all()

    sends = [
        r
        for r in sandbox.requests
        if f"{r.method} {r.route}" == common.SEND_ROUTE and r.status == 200 and r.at >= t0
    ]
    nonces = Counter(str((r.json or {}).get("nonce")) for r in sends if isinstance(r.json, dict))
    held = [len(sandbox.inboxes.get(u.id, ())) for u in people]
    lost = sum(1 for n in held if n == 0)
    duplicates = sum(n - 1 for n in held if n > 1)
    t_last = max((r.at for r in sends), default=time.monotonic())
    result: dict[str, Any] = {
        "benchmark": "chaos_multiprocess",
        "members": len(people),
        "processes": args.processes,
        "shards": args.shards,
        "kills": len(resumes),
        "killed": killed,
        "lost": lost,
        "duplicates": duplicates,
        "nonce_resends": sum(n - 1 for n in nonces.values() if n > 1),
        "resume_seconds": [round(r, 2) for r in resumes],
        "resume_max_seconds": round(max(resumes), 2) if resumes else None,
        "resume_spread": mp.spread(resumes),
        "tail_seconds": round(t_last - last_kill, 1),
        "delivery_rows": statuses,
        "global_429s": sandbox.global_429s,
        "seconds": round(t_last - t0, 1),
    }
    result["targets_met"] = bool(
        lost == 0
        and duplicates == 0
        and resumes
        and len(resumes) == args.kills
        and max(resumes) < 10
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mp.fleet_arguments(parser, members=3000)
    parser.add_argument("--kills", type=int, default=6, help="times the sender is killed")
    args = parser.parse_args()
    common.quiet_logging()
    # A sender killed mid-upload leaves the sandbox a half-read request: expected here.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    result = asyncio.run(run(args))
    print(
        f"{result['kills']} kills: lost={result['lost']} duplicates={result['duplicates']}; "
        f"sending resumed after {result['resume_seconds']} s (max {result['resume_max_seconds']})"
    )
    common.emit(result)


if __name__ == "__main__":
    main()
