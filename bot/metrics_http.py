"""`/metrics` (Prometheus text) and `/healthz` on METRICS_PORT, beside the bot in its loop."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from bot.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)


class MetricsPortError(Exception):
    """METRICS_PORT cannot be listened on; the message is one line for the operator."""


class MetricsServer:
    def __init__(
        self,
        metrics: Metrics,
        host: str,
        port: int,
        *,
        healthy: Callable[[], bool],
        refresh: Callable[[], None],
    ) -> None:
        self._metrics = metrics
        self._host = host
        self._port = port
        self._healthy = healthy
        # Gauges that are cheap to read live (gateway state) are refreshed per scrape.
        self._refresh = refresh
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._serve_metrics)
        app.router.add_get("/healthz", self._serve_health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError as exc:
            await runner.cleanup()
            raise MetricsPortError(
                f"METRICS_PORT: cannot listen on {self._host}:{self._port}: {exc.strerror or exc}"
            ) from None
        self._runner = runner
        log.info("metrics on http://%s:%d/metrics", self._host, self._port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _serve_metrics(self, request: web.Request) -> web.Response:
        self._refresh()
        return web.Response(body=self._metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    async def _serve_health(self, request: web.Request) -> web.Response:
        if self._healthy():
            return web.Response(text="ok\n")
        return web.Response(status=503, text="not connected or not ticking\n")
