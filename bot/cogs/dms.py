"""Plain DMs to the bot: a reply to a prompt answers it; otherwise the member is asked which.

A DM is never guessed onto one of several prompts: that is how an answer meant for one partner
could reach another. See `AnswerService.route_dm`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.cogs.components import ChooseButton, stored_view
from bot.cogs.interact import services_of
from bot.errors import UserFacingError
from bot.ui import messages
from bot.ui.custom_ids import ChooseId

if TYPE_CHECKING:
    from bot.compose import Services

log = logging.getLogger(__name__)

# How long "which prompt is this for?" stays answerable; after that the member just writes again.
CHOICE_TTL = timedelta(minutes=30)

NOTHING_OPEN = (
    "Hi! I'm Closer. I send you and a partner small prompts; when one arrives, reply here or "
    "press Answer. Nothing is waiting for you right now — /closer help in a server says more."
)
ONLY_ATTACHMENT = (
    "I can only keep words for now, not files or pictures. Could you describe it in a sentence?"
)


class DirectMessages(commands.Cog):
    def __init__(self, services: Services) -> None:
        self.services = services

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
        await self.services.members.touch(user.id, user.display_name)
        text = message.content.strip()
        if not text:
            await message.channel.send(ONLY_ATTACHMENT if message.attachments else NOTHING_OPEN)
            return
        reference = message.reference
        replied_to = reference.message_id if reference is not None else None
        route = await self.services.answers.route_dm(user.id, text, replied_to)
        if route is None:
            await message.channel.send(NOTHING_OPEN)
            return
        if route.saved is not None:
            payload = messages.saved_message(route.saved, user.id)
            view = stored_view(payload)
            await message.channel.send(
                payload.get("content", ""), view=view or discord.utils.MISSING
            )
            if view is not None:
                view.stop()
            return
        until = int((self.services.answers.now() + CHOICE_TTL).timestamp())
        view = discord.ui.View(timeout=None)
        for choice in route.choices:
            label = messages.choice_label(choice.partners, choice.opening, choice.answered)
            custom = ChooseId(message.id, choice.instance_id, user.id, until)
            view.add_item(ChooseButton(custom, label))
        await message.channel.send(messages.which_prompt_text(len(route.choices)), view=view)
        view.stop()


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(DirectMessages(services_of(bot)))
