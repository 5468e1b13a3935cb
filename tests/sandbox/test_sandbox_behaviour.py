"""The local Discord is strict where a bot can get things wrong; these check that it is."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.sandbox.limits import GlobalLimit, RouteBuckets
from bot.sandbox.server import INTERACTION_DEADLINE, Sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox(global_rate=5)
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()


def auth(sb: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Bot {sb.bot_token}"}


async def test_json_answers_have_exactly_application_json(sandbox: Sandbox) -> None:
    url = f"{sandbox.api_base}/users/@me"
    async with aiohttp.ClientSession() as http, http.get(url, headers=auth(sandbox)) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"


async def test_wrong_token_is_401(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": "Bot nope"}
        async with http.get(f"{sandbox.api_base}/users/@me", headers=headers) as resp:
            assert resp.status == 401


async def test_closed_dms_are_403_50007_and_nonces_deduplicate(sandbox: Sandbox) -> None:
    guild = sandbox.add_guild()
    sam = sandbox.add_user("Sam", guild)
    channel = sandbox.dm_channel_for(sam.id)
    url = f"{sandbox.api_base}/channels/{channel}/messages"
    body = {"content": "hi", "nonce": "closer-1", "enforce_nonce": True}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body, headers=auth(sandbox)) as first:
            one = await first.json()
        async with http.post(url, json=body, headers=auth(sandbox)) as again:
            two = await again.json()
        assert one["id"] == two["id"], "the same nonce returns the first message"
        assert len(sandbox.inboxes[sam.id]) == 1
        too_long = {"content": "hi", "nonce": "x" * 26}
        async with http.post(url, json=too_long, headers=auth(sandbox)) as refused:
            assert refused.status == 400 and (await refused.json())["code"] == 50035
        sam.dms_closed = True
        async with http.post(url, json={"content": "hi"}, headers=auth(sandbox)) as closed:
            assert closed.status == 403 and (await closed.json())["code"] == 50007


async def test_the_global_limit_answers_429_with_via_and_retry_after(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(8):
            async with http.get(f"{sandbox.api_base}/users/@me", headers=auth(sandbox)) as resp:
                statuses.append(resp.status)
                if resp.status == 429:
                    body = await resp.json()
                    assert resp.headers["Via"] and body["retry_after"] > 0 and body["global"]
        assert statuses.count(200) == 5 and 429 in statuses


async def test_an_interaction_answered_after_three_seconds_is_10062(sandbox: Sandbox) -> None:
    from bot.sandbox.driver import Member

    guild = sandbox.add_guild()
    ada = Member(sandbox, sandbox.add_user("Ada", guild), guild)
    record, _ = ada._base_payload(2, in_dm=False)
    sandbox.register_interaction(record)
    record.created -= INTERACTION_DEADLINE + 0.1  # as if it had been waiting too long
    url = f"{sandbox.api_base}/interactions/{record.id}/{record.token}/callback"
    async with aiohttp.ClientSession() as http, http.post(url, json={"type": 5}) as resp:
        assert resp.status == 404 and (await resp.json())["code"] == 10062
    assert record.response_type is None


async def test_a_callback_is_204_unless_the_client_asks_for_the_response(
    sandbox: Sandbox,
) -> None:
    from bot.sandbox.driver import Member

    guild = sandbox.add_guild()
    ada = Member(sandbox, sandbox.add_user("Ada", guild), guild)
    answers = []
    async with aiohttp.ClientSession() as http:
        for query in ("", "?with_response=true"):
            record, _ = ada._base_payload(2, in_dm=False)
            sandbox.register_interaction(record)
            url = f"{sandbox.api_base}/interactions/{record.id}/{record.token}/callback{query}"
            body = {"type": 4, "data": {"content": "hi", "components": [_ROW]}}
            async with http.post(url, json=body) as resp:
                answers.append((resp.status, await resp.read()))
    assert answers[0] == (204, b"")
    status, raw = answers[1]
    assert status == 200
    message = json.loads(raw)["resource"]["message"]
    # Discord numbers the components it was sent without ids.
    assert [message["components"][0]["id"], message["components"][0]["components"][0]["id"]] == [
        1,
        2,
    ]


_ROW = {"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go"}]}


def test_route_buckets_and_the_global_window() -> None:
    limit = GlobalLimit(2)
    assert limit.try_acquire(0.0) == 0 and limit.try_acquire(0.1) == 0
    assert limit.try_acquire(0.2) > 0
    assert limit.try_acquire(1.05) == 0
    buckets = RouteBuckets()
    route = "POST /channels/{channel_id}/messages"
    waits = [buckets.take(route, "1", now=0.0)[1] for _ in range(6)]
    assert waits[:5] == [0.0] * 5 and waits[5] > 0
    assert buckets.take(route, "2", now=0.0)[1] == 0.0, "buckets are per channel"


async def test_gateway_resume_replays_what_was_missed(sandbox: Sandbox) -> None:
    sandbox.add_guild()
    async with aiohttp.ClientSession() as http, http.ws_connect(sandbox.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": sandbox.bot_token}})
        ready = await ws.receive_json()
        assert ready["t"] == "READY"
        session, seq = ready["d"]["session_id"], ready["s"]
        await ws.receive_json()  # GUILD_CREATE
    # While disconnected an event happens; a RESUME gets it, then RESUMED.
    await sandbox.gateway.dispatch("MESSAGE_CREATE", {"id": "1"})
    async with aiohttp.ClientSession() as http, http.ws_connect(sandbox.gateway_url) as ws:
        await ws.receive_json()
        resume = {"session_id": session, "seq": seq, "token": sandbox.bot_token}
        await ws.send_json({"op": 6, "d": resume})
        frames = [await asyncio.wait_for(ws.receive_json(), 2) for _ in range(3)]
        assert [f.get("t") for f in frames] == ["GUILD_CREATE", "MESSAGE_CREATE", "RESUMED"]


async def test_a_file_over_the_upload_limit_is_413_40005_and_eleven_files_are_refused(
    sandbox: Sandbox,
) -> None:
    guild = sandbox.add_guild()
    sam = sandbox.add_user("Sam", guild)
    url = f"{sandbox.api_base}/channels/{sandbox.dm_channel_for(sam.id)}/messages"
    sandbox.attachment_size_limit = 1000

    def form(*sizes: int) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("payload_json", '{"content": "your export"}')
        for n, size in enumerate(sizes):
            data.add_field(f"files[{n}]", b"x" * size, filename=f"part{n}.json")
        return data

    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=form(1000, 1000), headers=auth(sandbox)) as fits:
            assert fits.status == 200
        async with http.post(url, data=form(10, 1001), headers=auth(sandbox)) as big:
            assert big.status == 413 and (await big.json())["code"] == 40005
        async with http.post(url, data=form(*[10] * 11), headers=auth(sandbox)) as many:
            assert many.status == 400 and (await many.json())["code"] == 50035
    assert len(sandbox.inboxes[sam.id]) == 1
