"""What operators can graph: Prometheus instruments for one bot, in a registry of its own.

A registry per bot (not prometheus-client's global default) keeps several bots in one process
(tests, the sandbox) from colliding on metric names. Nothing here knows Discord or SQL: the bot
feeds it outcomes and samples; `bot.metrics_http` serves it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.deliveries = Counter(
            "closer_deliveries",
            "Outbox deliveries by kind and outcome (sent, skipped, unreachable, retry, failed, "
            "quiet).",
            ["kind", "outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "closer_discord_429",
            "HTTP 429 responses seen from Discord (discord.py retries them itself).",
            registry=r,
        )
        self.queue_depth = Gauge(
            "closer_outbox_due", "Deliveries due and not yet sent, sampled each tick.", registry=r
        )
        self.oldest_due_age = Gauge(
            "closer_outbox_oldest_due_age_seconds",
            "How long the oldest due delivery has waited, sampled each tick (0 when none).",
            registry=r,
        )
        self.sender = Gauge(
            "closer_outbox_sender",
            "1 while this process produces and sends the outbox's work (always, on SQLite; on "
            "PostgreSQL, the one process holding the lead), 0 while another does.",
            registry=r,
        )
        self.tick_seconds = Histogram(
            "closer_tick_duration_seconds",
            "How long one outbox tick took.",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=r,
        )
        self.gateway_latency = Gauge(
            "closer_gateway_latency_seconds",
            "Heartbeat round trip per shard (absent until the first heartbeat).",
            ["shard"],
            registry=r,
        )
        self.gateway_connected = Gauge(
            "closer_gateway_connected",
            "1 while the shard's gateway is open.",
            ["shard"],
            registry=r,
        )
        self.interactions = Counter(
            "closer_interactions",
            "Interactions by command (or component) and outcome.",
            ["command", "outcome"],
            registry=r,
        )

    def delivered(self, kind: str, outcome: str) -> None:
        self.deliveries.labels(kind=kind, outcome=outcome).inc()

    def interaction(self, command: str, outcome: str) -> None:
        self.interactions.labels(command=command, outcome=outcome).inc()

    def backlog(self, depth: int, oldest_due: datetime | None, now: datetime) -> None:
        self.queue_depth.set(depth)
        age = (now - oldest_due).total_seconds() if oldest_due is not None else 0.0
        self.oldest_due_age.set(max(age, 0.0))

    def shards(self, states: Iterable[tuple[int, float, bool]]) -> None:
        """(shard id, latency in seconds, connected) for each shard this process runs."""
        for shard_id, latency, connected in states:
            label = str(shard_id)
            self.gateway_connected.labels(shard=label).set(1 if connected else 0)
            # discord.py reports inf before the first heartbeat ack; Prometheus would store it,
            # but a graph of inf is useless, so leave the last real value instead.
            if latency != float("inf"):
                self.gateway_latency.labels(shard=label).set(latency)

    def count_429s(self, trace: aiohttp.TraceConfig) -> None:
        """Counts 429s on the wire, including those discord.py quietly waits out and retries.

        discord.py takes one TraceConfig, so this joins the one the bot already has."""

        async def on_end(
            session: aiohttp.ClientSession,
            context: object,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            if params.response.status == 429:
                self.rate_limited.inc()

        trace.on_request_end.append(on_end)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
