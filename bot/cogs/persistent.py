"""The base of every persistent button and menu: built from its custom id, routed back by it.

A subclass names its id kind (`custom_id=ids.InviteId`), says what the component looks like
(`component`) and what a press does (`pressed`). discord.py rebuilds the item from the id's own
pattern when a press arrives, so a button sent weeks ago, or before a restart, still works; a
press by anyone but the member the id names is refused before `pressed` runs.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar, cast

import discord

from bot.cogs.interact import _guard, _run
from bot.ui import custom_ids as ids


class _ForMember(Protocol):
    @property
    def user(self) -> int: ...

    def encode(self) -> str: ...


V = TypeVar("V", bound=discord.ui.Item[Any])
C = TypeVar("C", bound=_ForMember)

_NEVER = r"(?!)"  # the base itself routes nothing; each subclass gets its id kind's template


class Persistent(discord.ui.DynamicItem[V], Generic[V, C], template=_NEVER):
    _ID: ClassVar[type[ids.CustomId]]

    def __init_subclass__(cls, *, custom_id: type[ids.CustomId]) -> None:
        super().__init_subclass__(template=custom_id.template())
        cls._ID = custom_id

    def __init__(self, custom: C) -> None:
        self.custom = custom
        super().__init__(self.component())

    def component(self) -> V:
        raise NotImplementedError

    async def pressed(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(cast(C, cls._ID.from_match(match)))

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.custom.user):
            await _run(interaction, self.pressed(interaction))


def as_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A view of persistent items: no timeout, since the items, not the view, handle presses."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view
