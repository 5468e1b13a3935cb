"""`python -m bot sandbox serve`: the local Discord on its own, for any bot or tool to log in to.

It prints the REST and gateway URLs, a bot token and the server, then serves until stopped. The
bot is already in one server with a #general channel and a few members.
"""

from __future__ import annotations

import asyncio
from typing import TextIO

from bot.sandbox.server import Sandbox

MEMBERS = ("Ada", "Sam")


async def serve(
    out: TextIO, *, port: int = 0, guild_name: str = "Sandbox Server", stop: asyncio.Event | None
) -> None:
    sandbox = Sandbox()
    guild = sandbox.add_guild(guild_name)
    members = [sandbox.add_user(name, guild) for name in MEMBERS]
    await sandbox.start(port=port)
    lines = [
        "Local Discord is running.",
        f"  REST:        {sandbox.api_base}",
        f"  Gateway:     {sandbox.gateway_url}",
        f"  Bot token:   {sandbox.bot_token}",
        f"  Application: {sandbox.application_id}",
        f"  Guild:       {guild.name} ({guild.id}), #general ({guild.text_channel_id})",
        "  Members:     " + ", ".join(f"{m.name} ({m.id})" for m in members),
        "Closer against it:",
        f"  DISCORD_API_BASE_URL={sandbox.api_base} DISCORD_GATEWAY_URL={sandbox.gateway_url} "
        f"DISCORD_TOKEN={sandbox.bot_token} DEV_GUILD_ID={guild.id} python -m bot run",
        "Stop with Ctrl+C.",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await sandbox.stop()
