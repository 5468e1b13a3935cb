"""The baseline the fan-out is compared with: a plain discord.py bot, as many are written.

One APScheduler job per pair, all due at the same instant, each fetching its members and calling
`user.send`. No outbox, no limiter of its own: discord.py's rate-limit handling is all it has.
It logs in over REST only (no gateway), which is all sending needs, so it can share the sandbox
with Closer's own bot. "Warm" means it has DMed these members before: discord.py already holds
their DM channels, as it would after a first round.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.sandbox.payloads import SandboxUser, dm_channel_payload
from bot.sandbox.server import Sandbox

DELIVERY_ROUTES = frozenset({"POST /channels/{channel_id}/messages", "POST /users/@me/channels"})
TEXT = "Today's prompt: what is one small thing your partner did this week that you noticed?"


@dataclass
class PlainResult:
    members: int
    delivered: int
    seconds: float
    rest_calls: int
    delivery_calls: int
    global_429s: int
    route_429s: int

    @property
    def prompts_per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self, rate: float) -> dict[str, Any]:
        return {
            "members": self.members,
            "prompts_delivered": self.delivered,
            # discord.py gives up on a request after five 429s in a row; nothing retries it.
            "lost": self.members - self.delivered,
            "fanout_seconds": round(self.seconds, 3),
            "prompts_per_second": round(self.prompts_per_second, 2),
            "throughput_ratio": round(self.prompts_per_second / rate, 4),
            "rest_calls_per_prompt": round(self.rest_calls / max(1, self.delivered), 4),
            "delivery_calls_per_prompt": round(self.delivery_calls / max(1, self.delivered), 4),
            "global_429s": self.global_429s,
            "route_429s": self.route_429s,
        }


async def run_plain(
    sandbox: Sandbox, users: list[SandboxUser], *, cold: bool, deadline: float
) -> PlainResult:
    client = discord.Client(intents=discord.Intents.none())
    await client.login(sandbox.bot_token)
    try:
        if not cold:
            # As if it had DMed them before. discord.py keeps only the last 128 DM channels,
            # so with more members than that most sends still open a channel: that is what a
            # plain bot's "warm" cache is.
            state: Any = client._connection
            for user in users:
                state.add_dm_channel(dm_channel_payload(sandbox.dm_channel_for(user.id), user))
        return await _fan_out(client, sandbox, users, deadline)
    finally:
        await client.close()


async def _fan_out(
    client: discord.Client, sandbox: Sandbox, users: list[SandboxUser], deadline: float
) -> PlainResult:
    delivered = attempted = 0
    done = asyncio.Event()

    async def job(pair: tuple[SandboxUser, ...]) -> None:
        nonlocal delivered, attempted
        for member in pair:
            try:
                user = client.get_user(member.id) or await client.fetch_user(member.id)
                await user.send(TEXT)
            except discord.HTTPException:
                pass  # discord.py gave up (five 429s in a row); a plain bot has no retry
            else:
                delivered += 1
            finally:
                attempted += 1
                if attempted == len(users):
                    done.set()

    scheduler = AsyncIOScheduler(timezone=UTC)
    fire_at = datetime.now(UTC) + timedelta(seconds=0.5)
    for pair in zip(users[0::2], users[1::2], strict=True):
        scheduler.add_job(job, "date", run_date=fire_at, args=[pair], misfire_grace_time=None)
    before = len(sandbox.requests)
    g429, r429 = sandbox.global_429s, sandbox.route_429s
    scheduler.start()
    t0 = time.monotonic() + max(0.0, (fire_at - datetime.now(UTC)).total_seconds())
    try:
        await asyncio.wait_for(done.wait(), deadline)
    except TimeoutError:
        pass
    finally:
        scheduler.shutdown(wait=False)
    made = sandbox.requests[before:]
    sends = [
        r
        for r in made
        if f"{r.method} {r.route}" == "POST /channels/{channel_id}/messages" and r.status == 200
    ]
    t_last = max((r.at for r in sends), default=time.monotonic())
    return PlainResult(
        members=len(users),
        delivered=delivered,
        seconds=t_last - t0,
        rest_calls=len(made),
        delivery_calls=sum(1 for r in made if f"{r.method} {r.route}" in DELIVERY_ROUTES),
        global_429s=sandbox.global_429s - g429,
        route_429s=sandbox.route_429s - r429,
    )
