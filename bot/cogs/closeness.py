"""`/closer checkin`, `/closer insights` and the check-in's buttons (thin: the service decides).

The buttons are `DynamicItem`s like every persistent button: the custom_id carries the choice,
the pair and the member it was sent to, so a check-in DM from weeks ago still works after a
restart, and a press by anyone else is refused.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ext import commands

from bot.cogs.interact import _guard, _run, closer
from bot.ui import closeness_messages as copy
from bot.ui import custom_ids as ids
from bot.ui import pictures
from bot.ui.payload import ViewSpec

if TYPE_CHECKING:
    from bot.compose import Services


class ClosenessButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=ids.ClosenessId.template(),
):
    LABELS: ClassVar[dict[str, str]] = {
        "skip": "Skip",
        "off": "Turn scheduled check-ins off",
        "on": "Turn them on",
    }

    def __init__(self, choice: ids.ClosenessChoice, pair_id: int, user_id: int) -> None:
        self.choice, self.pair_id, self.user_id = choice, pair_id, user_id
        super().__init__(
            discord.ui.Button(
                label=self.LABELS.get(choice, choice),
                style=discord.ButtonStyle.primary
                if choice.isdigit()
                else discord.ButtonStyle.secondary,
                custom_id=ids.ClosenessId(choice, pair_id, user_id).encode(),
                # Seven numbers on one line reads as a scale; Skip and the switch go below.
                row=0 if choice in "1234" else 1 if choice.isdigit() else 2,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ClosenessButton:
        parsed = ids.ClosenessId.from_match(match)
        return cls(parsed.choice, parsed.pair, parsed.user)

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(interaction, pressed(interaction, self.choice, self.pair_id))


async def pressed(interaction: discord.Interaction, choice: str, pair_id: int) -> None:
    service = closer(interaction).services.closeness
    user_id = interaction.user.id
    if choice in ("off", "on"):
        text = await service.switch(user_id, choice == "on")
        await interaction.response.send_message(text, ephemeral=True)
        return
    score = None if choice == "skip" else int(choice)
    text = await service.answer(pair_id, user_id, score)
    # The buttons go, so the answer reads as given; /closer checkin can change it later.
    await interaction.response.edit_message(content=text, view=None)


def closeness_view(spec: ViewSpec) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    pair, user = int(spec.get("pair", 0)), int(spec.get("user", 0))
    for choice in ("1", "2", "3", "4", "5", "6", "7", "skip"):
        view.add_item(ClosenessButton(choice, pair, user))
    switch = spec.get("switch")
    if switch in ("off", "on"):
        view.add_item(ClosenessButton("on" if switch == "on" else "off", pair, user))
    return view


def scale_attachment() -> discord.File:
    return discord.File(
        io.BytesIO(pictures.closeness_scale()), filename=copy.SCALE_FILE, description=copy.SCALE_ALT
    )


async def checkin(services: Services, interaction: discord.Interaction, pair: Any) -> None:
    """`/closer checkin`: the check-in now, only for the member (ephemeral)."""
    payload = await services.closeness.ask(pair, interaction.user.id)
    view = closeness_view(payload["view"])
    await interaction.followup.send(
        payload["content"], file=scale_attachment(), view=view, ephemeral=True
    )
    view.stop()


async def insights(services: Services, interaction: discord.Interaction) -> None:
    """`/closer insights`: your own trend, in words and as a picture (ephemeral)."""
    shown = await services.closeness.insights(interaction.user.id)
    if not shown.series:
        await interaction.followup.send(shown.text, ephemeral=True)
        return
    image = pictures.trend([pictures.Series(title, points) for title, points in shown.series])
    await interaction.followup.send(
        shown.text,
        file=discord.File(
            io.BytesIO(image),
            filename=copy.INSIGHTS_FILE,
            description="Your closeness check-ins over time, one chart per pair.",
        ),
        ephemeral=True,
    )


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(ClosenessButton)
