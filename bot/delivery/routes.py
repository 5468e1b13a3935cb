"""Pacing one Discord route by what its own responses say, and keeping discord.py's books cheap.

Opening DM channels has its own bucket (10 a second on the sandbox; Discord does not document
the number, it announces it in `X-RateLimit-*` headers). Handing discord.py a whole batch of
opens at once made its per-bucket queue the bottleneck: after the first second the waiters
woke one refresh at a time and opens ran at 4/s instead of 10/s. The gate below admits only as
many opens as the last response said are left, and waits for the announced reset otherwise, so
discord.py's queue never fills.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord.http
from multidict import CIMultiDictProxy

OPEN_DM_PATH = "/users/@me/channels"


class RouteGate:
    """Admit requests on one route within the budget its latest response announced."""

    def __init__(self) -> None:
        self.limit = 1  # until Discord tells us: one at a time, as discord.py would
        self.remaining = 1
        self.reset_at = 0.0
        self.in_flight = 0
        self.waits = 0  # how often a request had to wait for the bucket (for benchmarks)
        self._changed = asyncio.Event()

    def _available(self, now: float) -> int:
        if self.reset_at and now >= self.reset_at:
            self.remaining = self.limit
            self.reset_at = 0.0
        return self.remaining - self.in_flight

    async def enter(self) -> None:
        waited = False
        while True:
            now = time.monotonic()
            if self._available(now) > 0:
                self.in_flight += 1
                return
            if not waited:
                self.waits += 1
                waited = True
            self._changed.clear()
            timeout = max(0.001, self.reset_at - now) if self.reset_at else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    def leave(self) -> None:
        self.in_flight -= 1
        self._changed.set()

    def observe(self, headers: CIMultiDictProxy[str] | dict[str, str]) -> None:
        """Take the bucket's state from a response (429s included)."""
        try:
            limit = int(headers["X-RateLimit-Limit"])
            remaining = int(headers["X-RateLimit-Remaining"])
            reset_after = float(headers["X-RateLimit-Reset-After"])
        except (KeyError, ValueError):
            return
        # The response counted this request already; those still in flight are not in it yet,
        # which `_available` accounts for by subtracting them.
        self.limit = max(1, limit)
        self.remaining = max(0, remaining)
        self.reset_at = time.monotonic() + max(0.0, reset_after)
        self._changed.set()


class RouteWatch:
    """Feeds response headers of the DM-open route to its gate, through aiohttp's tracing."""

    def __init__(self) -> None:
        self.open_dm = RouteGate()

    def trace_config(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()
        config.on_request_end.append(self._on_end)
        return config

    async def _on_end(
        self, _session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: Any
    ) -> None:
        if params.method == "POST" and params.url.path.endswith(OPEN_DM_PATH):
            self.open_dm.observe(params.response.headers)


class SweepingHTTPClient(discord.http.HTTPClient):
    """discord.py's client, sweeping its rate-limit records in amortised time.

    It keeps one record per bucket and channel, and once there are 256 it scans them all for
    expired ones every time a record is added. Each new DM channel adds one, so a fan-out to
    thousands of new members spent more than half of `channel.send` in that scan. Sweeping
    only when the table has doubled since the last sweep keeps the same bound on idle records.
    """

    _sweep_at = 256

    def _try_clear_expired_ratelimits(self) -> None:
        if len(self._buckets) < self._sweep_at:
            return
        super()._try_clear_expired_ratelimits()
        self._sweep_at = max(256, 2 * len(self._buckets))


def sweep_cheaply(client: discord.Client) -> None:
    """Give a client the amortised sweep (discord.py builds its HTTP client itself)."""
    if type(client.http) is discord.http.HTTPClient:
        client.http.__class__ = SweepingHTTPClient
