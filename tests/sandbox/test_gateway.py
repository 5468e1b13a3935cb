"""The sandbox gateway speaks Discord's protocol, not just what discord.py tolerates.

Compression, frame types, close codes and sharding are checked on a raw socket, then a sharded
discord.py client (two shards) logs in as a bot would.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from bot.sandbox.driver import Member
from bot.sandbox.gateway import shard_of
from bot.sandbox.payloads import bot_id_of_token
from bot.sandbox.server import Sandbox

SYNC_FLUSH = b"\x00\x00\xff\xff"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox()
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()


class Socket:
    """A raw gateway connection that reads either text frames or one zlib stream."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, *, zlib_stream: bool) -> None:
        self.ws = ws
        self.inflate = zlib.decompressobj() if zlib_stream else None
        self.kinds: list[aiohttp.WSMsgType] = []

    async def receive(self) -> dict[str, Any]:
        msg = await asyncio.wait_for(self.ws.receive(), 2)
        self.kinds.append(msg.type)
        if msg.type == aiohttp.WSMsgType.BINARY:
            assert self.inflate is not None, "binary frame on an uncompressed connection"
            assert msg.data.endswith(SYNC_FLUSH), "each zlib-stream message ends in a sync flush"
            frame: dict[str, Any] = json.loads(self.inflate.decompress(msg.data))
            return frame
        assert msg.type == aiohttp.WSMsgType.TEXT, f"unexpected {msg.type}: {msg.data!r}"
        assert self.inflate is None, "text frame on a connection that asked for zlib-stream"
        text_frame: dict[str, Any] = json.loads(msg.data)
        return text_frame

    async def until(self, event: str) -> dict[str, Any]:
        while True:
            frame = await self.receive()
            if frame.get("t") == event:
                return frame

    async def close_code(self) -> int | None:
        msg = await asyncio.wait_for(self.ws.receive(), 2)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg
        return self.ws.close_code


async def identify(
    http: aiohttp.ClientSession,
    sb: Sandbox,
    *,
    compress: bool = False,
    binary: bool = False,
    token: str | None = None,
    shard: list[int] | None = None,
) -> tuple[aiohttp.ClientWebSocketResponse, Socket]:
    url = sb.gateway_url + "?v=10&encoding=json" + ("&compress=zlib-stream" if compress else "")
    ws = await http.ws_connect(url)
    sock = Socket(ws, zlib_stream=compress)
    assert (await sock.receive())["op"] == 10
    data: dict[str, Any] = {"token": token or sb.bot_token, "intents": 1, "properties": {}}
    if shard is not None:
        data["shard"] = shard
    payload = json.dumps({"op": 2, "d": data})
    if binary:
        await ws.send_bytes(payload.encode())
    else:
        await ws.send_str(payload)
    return ws, sock


def test_the_token_carries_the_bot_id_as_discords_do(sandbox: Sandbox) -> None:
    assert len(sandbox.bot_token.split(".")) == 3
    assert bot_id_of_token(sandbox.bot_token) == sandbox.application_id


async def test_zlib_stream_when_asked_text_otherwise_and_binary_identify(sandbox: Sandbox) -> None:
    sandbox.add_guild()
    async with aiohttp.ClientSession() as http:
        ws, sock = await identify(http, sandbox, compress=True, binary=True)
        ready = await sock.receive()
        assert ready["t"] == "READY" and ready["d"]["user"]["mfa_enabled"] is False
        assert (await sock.receive())["t"] == "GUILD_CREATE"
        assert set(sock.kinds) == {aiohttp.WSMsgType.BINARY}
        await ws.close()
        ws, sock = await identify(http, sandbox)
        assert (await sock.receive())["t"] == "READY"
        assert set(sock.kinds) == {aiohttp.WSMsgType.TEXT}
        await ws.close()


async def test_close_codes_for_bad_payloads_and_bad_tokens(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(sandbox.gateway_url)
        await ws.receive()
        await ws.send_str("{not json")
        assert await Socket(ws, zlib_stream=False).close_code() == 4002
        _, sock = await identify(http, sandbox, token=sandbox.bot_token + "x")
        assert await sock.close_code() == 4004


async def test_each_guild_goes_to_one_shard_and_dms_to_shard_zero(sandbox: Sandbox) -> None:
    sandbox.guilds_per_shard = 3
    guilds = [sandbox.add_guild(f"Server {i}") for i in range(4)]
    ada = Member(sandbox, sandbox.add_user("Ada", guilds[0]), guilds[0])
    async with aiohttp.ClientSession() as http:
        gateway_bot = await http.get(
            f"{sandbox.api_base}/gateway/bot", headers={"Authorization": f"Bot {sandbox.bot_token}"}
        )
        assert (await gateway_bot.json())["shards"] == 2
        _, unsharded = await identify(http, sandbox)
        assert await unsharded.close_code() == 4011
        seen: dict[int, list[str]] = {}
        socks = []
        for shard_id in (0, 1):
            _, sock = await identify(http, sandbox, shard=[shard_id, 2])
            ready = await sock.receive()
            assert ready["d"]["shard"] == [shard_id, 2]
            seen[shard_id] = [g["id"] for g in ready["d"]["guilds"]]
            socks.append(sock)
        for shard_id, ids in seen.items():
            assert all(shard_of(int(g), 2) == shard_id for g in ids)
        assert sorted(seen[0] + seen[1]) == sorted(str(g.id) for g in guilds)
        assert seen[0] and seen[1]
        await ada.send_dm("hello")
        assert (await socks[0].until("MESSAGE_CREATE"))["d"]["content"] == "hello"
        record, payload = ada._base_payload(3, in_dm=True)
        payload["data"] = {"custom_id": "x", "component_type": 2}
        await ada._fire(record, payload)
        assert (await socks[0].until("INTERACTION_CREATE"))["d"]["id"] == str(record.id)
    one = next(s for s in sandbox.gateway.sessions.values() if s.shard == (1, 2))
    assert {f["t"] for f in one.backlog} == {"READY", "GUILD_CREATE"}


class QuickShards(discord.AutoShardedClient):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py's documented hook; its default waits 5 s between shards for Discord's
        # identify limit, which the sandbox does not enforce.
        return None


async def test_a_sharded_discord_py_client_sees_each_guild_once(sandbox: Sandbox) -> None:
    sandbox.guilds_per_shard = 4
    guilds = [sandbox.add_guild(f"Server {i}") for i in range(6)]
    ada = Member(sandbox, sandbox.add_user("Ada", guilds[0]), guilds[0])
    sandbox.configure_discord_py()
    client = QuickShards(intents=discord.Intents.default(), shard_count=2, guild_ready_timeout=0.1)
    creates: list[tuple[int | None, int]] = []
    ready, dm_seen = asyncio.Event(), asyncio.Event()

    @client.event
    async def on_guild_available(guild: discord.Guild) -> None:
        creates.append((guild.shard_id, guild.id))

    @client.event
    async def on_ready() -> None:
        ready.set()

    @client.event
    async def on_message(message: discord.Message) -> None:
        if isinstance(message.channel, discord.DMChannel) and message.content == "hello":
            dm_seen.set()

    task = asyncio.create_task(client.start(sandbox.bot_token))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        assert sorted(g for _, g in creates) == sorted(g.id for g in guilds)
        assert all(shard == shard_of(g, 2) for shard, g in creates)
        assert {shard for shard, _ in creates} == {0, 1}
        sessions = sandbox.gateway.live_sessions
        assert sorted(s.shard for s in sessions) == [(0, 2), (1, 2)]
        await ada.send_dm("hello")
        await asyncio.wait_for(dm_seen.wait(), 5)
        shard_zero = next(s for s in sessions if s.shard == (0, 2))
        shard_one = next(s for s in sessions if s.shard == (1, 2))
        assert shard_zero.backlog[-1]["t"] == "MESSAGE_CREATE"
        assert all(f["t"] != "MESSAGE_CREATE" for f in shard_one.backlog)
    finally:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)
