"""A second Discord client, hikari, unmodified, logs in to the sandbox and talks to a member.

Closer uses discord.py; a sandbox shaped to what discord.py tolerates would pass its own tests and
still not be Discord. hikari reads the bot id from the token, asks for a zlib stream, sends binary
frames and parses every object strictly, so it fails where the sandbox is not Discord-shaped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import hikari
import pytest

from bot.sandbox.driver import Member
from bot.sandbox.payloads import SandboxGuild
from bot.sandbox.server import Sandbox
from tests.contract.openapi import ContractValidator, spec_path


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox()
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()


class HikariBot:
    """A few lines of an ordinary hikari bot: /hello, a DM with a button, and its click."""

    def __init__(self, sandbox: Sandbox, guild: SandboxGuild) -> None:
        self.bot = hikari.GatewayBot(
            sandbox.bot_token,
            rest_url=sandbox.api_base,
            banner=None,
            suppress_optimization_warning=True,
        )
        self.guild = guild
        self.errors: list[BaseException] = []
        self.bot.subscribe(hikari.StartedEvent, self.on_started)
        self.bot.subscribe(hikari.InteractionCreateEvent, self.on_interaction)
        self.commands_ready = asyncio.Event()

    async def on_started(self, event: hikari.StartedEvent) -> None:
        app = await self.bot.rest.fetch_application()
        hello = self.bot.rest.slash_command_builder("hello", "Say hello")
        await self.bot.rest.set_application_commands(app.id, [hello], guild=self.guild.id)
        self.commands_ready.set()

    async def on_interaction(self, event: hikari.InteractionCreateEvent) -> None:
        try:
            await self._handle(event.interaction)
        except BaseException as exc:
            self.errors.append(exc)
            raise

    async def _handle(self, interaction: hikari.PartialInteraction) -> None:
        if isinstance(interaction, hikari.CommandInteraction):
            await interaction.create_initial_response(
                hikari.ResponseType.MESSAGE_CREATE,
                f"Hello, {interaction.user.global_name}!",
                flags=hikari.MessageFlag.EPHEMERAL,
            )
            row = self.bot.rest.build_message_action_row().add_interactive_button(
                hikari.ButtonStyle.PRIMARY, "wave", label="Wave back"
            )
            dm = await self.bot.rest.create_dm_channel(interaction.user)
            await dm.send("Press the button to wave.", component=row)
        elif isinstance(interaction, hikari.ComponentInteraction):
            await interaction.create_initial_response(
                hikari.ResponseType.MESSAGE_UPDATE, f"{interaction.user.username} waved back."
            )

    async def start(self) -> None:
        await asyncio.wait_for(self.bot.start(check_for_updates=False), 10)
        await asyncio.wait_for(self.commands_ready.wait(), 5)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.bot.close()


async def test_an_unmodified_hikari_bot_answers_a_member(sandbox: Sandbox) -> None:
    guild = sandbox.add_guild("Harbour Lights")
    ada = Member(sandbox, sandbox.add_user("Ada", guild), guild)
    client = HikariBot(sandbox, guild)
    try:
        await client.start()
        assert client.bot.get_me() is not None
        assert client.bot.get_me().id == sandbox.application_id  # type: ignore[union-attr]
        assert client.bot.cache.get_guild(guild.id) is not None

        reply = await (await ada.slash("hello")).reply()
        assert reply.ephemeral and reply.text == "Hello, Ada!"

        dm = await ada.next_dm()
        assert dm.text == "Press the button to wave."
        clicked = await (await ada.click(dm, "Wave back")).reply()
        assert clicked.text == "ada waved back."
        assert not client.errors
    finally:
        await client.close()
    # Every answer hikari got is one Discord's spec allows.
    validator = ContractValidator.from_file(spec_path(), strict_snowflakes=True)
    problems = [
        p
        for r in sandbox.requests
        for p in validator.validate_response(
            r.method, r.path, r.status, r.response, r.response_content_type
        )
    ]
    assert not problems, "\n".join(problems)
