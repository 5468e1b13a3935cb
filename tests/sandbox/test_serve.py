"""`python -m bot sandbox serve` runs the local Discord alone and says how to reach it."""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp

from bot.sandbox.payloads import bot_id_of_token


async def test_serve_prints_what_a_bot_needs_and_answers_it() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "serve", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        found: dict[str, str] = {}
        while "Guild" not in found:
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            assert line, "serve exited before printing the guild"
            key, _, value = line.strip().partition(":")
            found[key] = value.strip()
        rest, gateway, token = found["REST"], found["Gateway"], found["Bot token"]
        guild_id = found["Guild"].split("(")[1].split(")")[0]
        headers = {"Authorization": f"Bot {token}"}
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{rest}/users/@me", headers=headers) as me:
                assert me.status == 200
                assert int((await me.json())["id"]) == bot_id_of_token(token)
            async with http.ws_connect(gateway) as ws:
                await ws.receive_json()
                await ws.send_str(json.dumps({"op": 2, "d": {"token": token, "intents": 1}}))
                ready = await asyncio.wait_for(ws.receive_json(), 5)
                assert ready["t"] == "READY"
                assert [g["id"] for g in ready["d"]["guilds"]] == [guild_id]
    finally:
        proc.terminate()
        await proc.wait()
