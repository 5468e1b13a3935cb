"""Plain DMs to the bot: a text message answers the member's latest open prompt."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.errors import UserFacingError
from bot.ui import messages

if TYPE_CHECKING:
    from bot.app import CloserBot

log = logging.getLogger(__name__)

NOTHING_OPEN = (
    "Hi! I'm Closer. I send you and a partner small prompts; when one arrives, reply here or "
    "press Answer. Nothing is waiting for you right now — /closer help in a server says more."
)
ONLY_ATTACHMENT = (
    "I can only keep words for now, not files or pictures. Could you describe it in a sentence?"
)


class DirectMessages(commands.Cog):
    def __init__(self, bot: CloserBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is not None or message.author.bot:
            return
        if not isinstance(message.channel, discord.DMChannel | discord.PartialMessageable):
            return
        try:
            await self._handle(message)
        except UserFacingError as exc:
            await message.channel.send(exc.message)
        except Exception:
            log.exception("could not handle a DM", extra={"message_id": message.id})
            await message.channel.send(
                "Something went wrong on our side, sorry. Please try again soon."
            )

    async def _handle(self, message: discord.Message) -> None:
        user = message.author
        await self.bot.members.touch(user.id, user.display_name)
        text = message.content.strip()
        if not text:
            await message.channel.send(ONLY_ATTACHMENT if message.attachments else NOTHING_OPEN)
            return
        instance_id = await self.bot.answers.latest_open_for(user.id)
        if instance_id is None:
            await message.channel.send(NOTHING_OPEN)
            return
        result = await self.bot.answers.submit(instance_id, user.id, text)
        if result.kind.value == "reflection":
            await message.channel.send(messages.reflection_saved_text())
            return
        await message.channel.send(
            messages.answer_saved_text(result.partners, result.replaced, result.revealed)
        )


async def setup(bot: CloserBot) -> None:
    await bot.add_cog(DirectMessages(bot))
