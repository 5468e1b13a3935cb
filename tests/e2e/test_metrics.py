"""METRICS_PORT: the real bot in the sandbox, scraped over HTTP as Prometheus would."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bot.health import heartbeat_path
from bot.storage import members, outbox
from tests.e2e.harness import Harness
from tests.e2e.test_one_process import finish
from tests.e2e.test_operations import cli_env, run_cli
from tests.e2e.test_pairing_couples import invite_and_accept

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def health(port: int) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status


async def test_metrics_move_with_sends_commands_and_429s(harness: Harness) -> None:
    port = free_port()
    await harness.start_bot(metrics_port=port)
    ada, sam = harness.member("Ada"), harness.member("Sam")
    await invite_and_accept(harness, ada, sam)
    await harness.tick()
    before = await scrape(port)
    assert before[("closer_interactions_total", (("command", "pair invite"), ("outcome", "ok")))]
    accept = (("command", "closer:invite:accept"), ("outcome", "received"))
    assert before[("closer_interactions_total", accept)] == 1

    # Every REST call in this stretch meets a 429 once in a while; discord.py waits them out.
    harness.sandbox.faults.rate_limit_storm = 0.4
    route_429s = harness.sandbox.route_429s
    await (await ada.slash("prompt now")).reply()
    await harness.tick()
    await ada.next_dm(), await sam.next_dm()
    harness.sandbox.faults.rate_limit_storm = 0.0
    after = await scrape(port)

    sent = ("closer_deliveries_total", (("kind", "prompt"), ("outcome", "sent")))
    assert after[sent] - before.get(sent, 0) == 2
    prompt_now = ("closer_interactions_total", (("command", "prompt now"), ("outcome", "ok")))
    assert after[prompt_now] == 1
    seen_429 = harness.sandbox.route_429s - route_429s
    assert seen_429 > 0
    assert after[("closer_discord_429_total", ())] - before[("closer_discord_429_total", ())] == (
        seen_429
    )
    assert (
        after[("closer_tick_duration_seconds_count", ())]
        > before[("closer_tick_duration_seconds_count", ())]
    )
    assert after[("closer_gateway_connected", (("shard", "0"),))] == 1
    assert ("closer_gateway_latency_seconds", (("shard", "0"),)) in after


async def test_queue_depth_and_age_are_sampled_each_tick(harness: Harness) -> None:
    port = free_port()
    bot = await harness.start_bot(metrics_port=port)
    ada = harness.member("Ada")
    await harness.tick()
    now = harness.clock.now()
    await members.upsert_member(bot.db, ada.id, ada.name, now)
    late = outbox.notices([ada.id], "probe", {"content": "Hello."}, now - timedelta(minutes=5))
    await outbox.enqueue(bot.db, late, now)
    await harness.tick()
    sampled = await scrape(port)
    assert sampled[("closer_outbox_due", ())] == 1
    assert sampled[("closer_outbox_oldest_due_age_seconds", ())] == 300
    assert (await ada.next_dm()).text == "Hello."
    notice = ("closer_deliveries_total", (("kind", "notice"), ("outcome", "sent")))
    assert sampled[notice] == 1
    await harness.tick()
    emptied = await scrape(port)
    assert emptied[("closer_outbox_due", ())] == 0
    assert emptied[("closer_outbox_oldest_due_age_seconds", ())] == 0


async def test_healthz_needs_the_gateway_and_a_recent_tick(harness: Harness) -> None:
    port = free_port()
    await harness.start_bot(metrics_port=port)
    await harness.tick()
    assert await health(port) == 200
    heartbeat_path(harness.db_path).unlink()  # as if no tick had run for a long while
    assert await health(port) == 503
    await harness.tick()
    assert await health(port) == 200
    await harness.stop_bot()
    with pytest.raises(aiohttp.ClientConnectionError):
        await health(port)


async def test_each_bot_counts_in_a_registry_of_its_own(harness: Harness) -> None:
    first = await harness.start_bot(metrics_port=free_port())
    assert first.metrics.registry is not REGISTRY
    await harness.stop_bot()
    # A second bot in the same process registers the same names without a clash, from zero.
    second = await harness.start_bot(metrics_port=free_port())
    assert second.metrics.registry is not first.metrics.registry
    assert REGISTRY.get_sample_value("closer_deliveries_total") is None


async def test_a_metrics_port_in_use_stops_run_with_one_line(
    harness: Harness, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        env = cli_env(harness, DISCORD_TOKEN=harness.sandbox.bot_token, METRICS_PORT=str(port))
        proc = await run_cli("run", env=env, cwd=tmp_path)
        _, err = await finish(proc)
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(f"error: METRICS_PORT: cannot listen on 127.0.0.1:{port}")
    )
