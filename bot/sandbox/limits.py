"""Discord's speed limits and the faults the sandbox can inject.

The sandbox is strict where a bot could be sloppy: a global per-second budget, per-route buckets
announced in `X-RateLimit-*` headers, and real 429s with `retry_after` and a `Via` header (without
it discord.py takes a 429 for a Cloudflare ban).
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class Faults:
    """Knobs a test turns to make the sandbox misbehave like the real thing on a bad day."""

    server_error_rate: float = 0.0  # share of REST requests answered 5xx before being applied
    lost_response_rate: float = 0.0  # share applied, then answered 5xx (the response was "lost")
    rate_limit_storm: float = 0.0  # share of REST requests answered with a spurious 429
    storm_retry_after: float = 0.05
    seed: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - fault injection, not security

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate


class GlobalLimit:
    """A sliding one-second window: at most `per_second` requests in any second."""

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._stamps: deque[float] = deque()

    def try_acquire(self, now: float | None = None) -> float:
        """0 when admitted; otherwise how many seconds until a slot frees."""
        now = time.monotonic() if now is None else now
        window = 1.0
        while self._stamps and now - self._stamps[0] >= window:
            self._stamps.popleft()
        if len(self._stamps) < math.floor(self.per_second):
            self._stamps.append(now)
            return 0.0
        return max(0.001, window - (now - self._stamps[0]))


@dataclass
class Bucket:
    limit: int
    per: float
    remaining: int
    reset_at: float
    name: str


class RouteBuckets:
    """Per-route, per-major-parameter buckets, announced the way Discord does."""

    # Discord's buckets are not documented as numbers; these are the ones commonly observed.
    LIMITS: ClassVar[dict[str, tuple[int, float]]] = {
        "POST /channels/{channel_id}/messages": (5, 5.0),
        "PATCH /channels/{channel_id}/messages/{message_id}": (5, 5.0),
        "POST /users/@me/channels": (10, 1.0),
    }
    DEFAULT = (50, 1.0)

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def take(self, route: str, major: str, now: float | None = None) -> tuple[Bucket, float]:
        """Charge one request. Returns the bucket and 0, or seconds to wait when it is empty."""
        now = time.monotonic() if now is None else now
        limit, per = self.LIMITS.get(route, self.DEFAULT)
        key = (route, major)
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.reset_at:
            name = f"{abs(hash(route)) & 0xFFFFFFFF:08x}"
            bucket = Bucket(limit, per, limit, now + per, name)
            self._buckets[key] = bucket
        if bucket.remaining <= 0:
            return bucket, max(0.001, bucket.reset_at - now)
        bucket.remaining -= 1
        return bucket, 0.0

    @staticmethod
    def headers(bucket: Bucket, now: float | None = None) -> dict[str, str]:
        now = time.monotonic() if now is None else now
        reset_after = max(0.0, bucket.reset_at - now)
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(0, bucket.remaining)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket.name,
        }
