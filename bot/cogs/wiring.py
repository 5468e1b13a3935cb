"""The cog layer's half of the wiring, loaded as the first extension.

`bot.app` builds the services and names cogs only as extension strings, so every cog can import
its `CloserBot` type without an import cycle. What the bot needs from discord.py-facing code is
handed over here: the view builder the outbox sends buttons with, the button handlers, and the
"Delete everything" confirmation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.cogs.closer import confirm_forget
from bot.cogs.components import build_view
from bot.cogs.handlers import Handlers

if TYPE_CHECKING:
    from bot.app import CloserBot


async def setup(bot: CloserBot) -> None:
    bot.port.views = build_view
    bot.handlers = Handlers(bot)
    bot.confirm_handlers["forget"] = confirm_forget
