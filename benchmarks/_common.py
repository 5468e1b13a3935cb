"""What the delivery benchmarks share: the sandbox plus the real bot in one event loop.

A trimmed copy of `tests/e2e/harness.py` (benchmarks must not import from `tests/`): start the
bot against a `Sandbox`, crash it the way a killed process dies, seed many couples directly in
storage, and read back what members actually received.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.app import CloserBot  # noqa: E402
from bot.core.cadence import next_slot, parse_hhmm, parse_zone  # noqa: E402
from bot.core.models import Cadence, Library, PairKind  # noqa: E402
from bot.library.loader import load_library  # noqa: E402
from bot.playground.world import World  # noqa: E402
from bot.sandbox.payloads import SandboxUser  # noqa: E402
from bot.sandbox.server import Sandbox  # noqa: E402
from bot.storage import members as member_store  # noqa: E402
from bot.storage import outbox as outbox_store  # noqa: E402
from bot.storage import pairs as pair_store  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.timecodec import to_db  # noqa: E402

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, as in the e2e harness

# The two REST routes a prompt delivery may use; everything else is commands or start-up.
SEND_ROUTE = "POST /channels/{channel_id}/messages"
OPEN_DM_ROUTE = "POST /users/@me/channels"
DELIVERY_ROUTES = frozenset({SEND_ROUTE, OPEN_DM_ROUTE})

# A prompt DM carries Answer + Skip (a question) or We did it + Not this time (an activity);
# a nudge or reveal about the same instance carries only some of these.
_PROMPT_BUTTON = re.compile(r"^closer:prompt:(answer|skip|done|notnow):(\d+):(\d+)$")
_PROMPT_SETS = ({"answer", "skip"}, {"done", "notnow"})


def quiet_logging() -> None:
    """Only errors reach stderr: retries and reconnects are expected noise in a benchmark."""
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)


def library() -> Library:
    return load_library(REPO / "prompts")


def emit(result: dict[str, Any]) -> None:
    """The one machine-readable line every benchmark ends with."""
    print(json.dumps(result, sort_keys=False), flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation): p99 of 200 samples is the 198th smallest."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


async def wait_until(condition: Callable[[], bool], limit: float, poll: float = 0.02) -> bool:
    """Poll `condition` until it holds (True) or `limit` seconds pass (False)."""
    for _ in range(max(1, math.ceil(limit / poll))):
        if condition():
            return True
        await asyncio.sleep(poll)
    return condition()


class BotRunner(World):
    """The sandbox world (local Discord + real bot + driven clock) with benchmark helpers."""

    def add_users(self, prefix: str, count: int) -> list[SandboxUser]:
        return [self.sandbox.add_user(f"{prefix}{i}", self.guild) for i in range(count)]

    async def start(self, ready_within: float = 15.0) -> CloserBot:
        return await self.start_bot(ready_within=ready_within)

    async def crash(self) -> None:
        """Stop like a killed process: no goodbye, no lease release, the gateway just drops."""
        if self.bot is not None:
            await self.crash_bot()

    async def stop(self) -> None:
        await self.stop_bot()


async def seed_couples(
    db: Database,
    guild_id: int,
    couples: Iterable[tuple[SandboxUser, SandboxUser]],
    *,
    now: datetime,
    local_time: str = "09:00",
    zone: str = "UTC",
) -> list[int]:
    """Couples made directly in storage, in two transactions (the e2e harness does one pair at
    a time, far too slow for thousands). Every member uses `zone`, no quiet hours."""
    couples = list(couples)
    at, tz = parse_hhmm(local_time), parse_zone(zone)
    slot = next_slot(now, at, tz, Cadence.DAILY, now.date())
    pair_ids: list[int] = []
    async with db.transaction() as conn:
        await conn.executemany(
            member_store.UPSERT_SQL,
            [(u.id, u.name, to_db(now), to_db(now)) for couple in couples for u in couple],
        )
        for a, b in couples:
            pair_id = await pair_store.insert_pair(
                conn,
                guild_id=guild_id,
                kind=PairKind.COUPLE,
                member_ids=(a.id, b.id),
                local_time=local_time,
                cadence=Cadence.DAILY,
                anchor=now.date(),
                seed=7,
                now=now,
            )
            pair_ids.append(pair_id)
    async with db.transaction() as conn:
        for pair_id, (a, b) in zip(pair_ids, couples, strict=True):
            for user in (a, b):
                await outbox_store.upsert_schedule(conn, pair_id, user.id, slot.due, slot.day)
    return pair_ids


async def prefill_dm_channels(db: Database, sandbox: Sandbox, users: Iterable[SandboxUser]) -> int:
    """A warm DM-channel cache, as after a first round: each member's channel id is stored."""
    count = 0
    for user in users:
        await member_store.set_dm_channel(db, user.id, sandbox.dm_channel_for(user.id))
        count += 1
    return count


def prompt_copies(sandbox: Sandbox, user_id: int) -> Counter[int]:
    """How many prompt DMs the member holds per prompt instance (read from their buttons)."""
    copies: Counter[int] = Counter()
    for message in sandbox.inboxes.get(user_id, []):
        actions: dict[int, set[str]] = {}
        for row in message.get("components") or []:
            for c in row.get("components") or []:
                m = _PROMPT_BUTTON.match(str(c.get("custom_id", "")))
                if m and int(m[3]) == user_id:
                    actions.setdefault(int(m[2]), set()).add(m[1])
        for instance_id, seen in actions.items():
            if any(wanted <= seen for wanted in _PROMPT_SETS):
                copies[instance_id] += 1
    return copies


def prompt_dm_count(sandbox: Sandbox, users: Iterable[SandboxUser]) -> int:
    return sum(sum(prompt_copies(sandbox, u.id).values()) for u in users)


def day_at(day: date, hhmm: str, seconds: int = 30) -> datetime:
    at = parse_hhmm(hhmm)
    return datetime(day.year, day.month, day.day, at.hour, at.minute, seconds, tzinfo=UTC)
