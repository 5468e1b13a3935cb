"""`/closer checkin`, `/closer insights` and the check-in's buttons (thin: the service decides).

The buttons are `DynamicItem`s like every persistent button: the custom_id carries the choice,
the pair and the member it was sent to, so a check-in DM from weeks ago still works after a
restart, and a press by anyone else is refused.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ext import commands

from bot.cogs.interact import closer
from bot.cogs.persistent import Persistent, as_view
from bot.ui import closeness_messages as copy
from bot.ui import custom_ids as ids
from bot.ui import pictures
from bot.ui.payload import ClosenessView, view_of

if TYPE_CHECKING:
    from bot.compose import Services


class ClosenessButton(
    Persistent[discord.ui.Button[Any], ids.ClosenessId], custom_id=ids.ClosenessId
):
    LABELS: ClassVar[dict[str, str]] = {
        "skip": "Skip",
        "off": "Turn scheduled check-ins off",
        "on": "Turn them on",
    }

    def component(self) -> discord.ui.Button[Any]:
        choice = self.custom.choice
        return discord.ui.Button(
            label=self.LABELS.get(choice, choice),
            style=discord.ButtonStyle.primary
            if choice.isdigit()
            else discord.ButtonStyle.secondary,
            custom_id=self.custom.encode(),
            # Seven numbers on one line reads as a scale; Skip and the switch go below.
            row=0 if choice in "1234" else 1 if choice.isdigit() else 2,
        )

    async def pressed(self, interaction: discord.Interaction) -> None:
        await pressed(interaction, self.custom.choice, self.custom.pair)


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


SCALE: tuple[ids.ClosenessChoice, ...] = ("1", "2", "3", "4", "5", "6", "7", "skip")


def closeness_items(spec: ClosenessView) -> list[discord.ui.Item[Any]]:
    """Buttons 1–7 and Skip, and the switch for scheduled check-ins when the spec offers it."""
    choices = [*SCALE, spec.switch] if spec.switch is not None else SCALE
    return [ClosenessButton(ids.ClosenessId(c, spec.pair, spec.user)) for c in choices]


def scale_attachment() -> discord.File:
    return discord.File(
        io.BytesIO(pictures.closeness_scale()), filename=copy.SCALE_FILE, description=copy.SCALE_ALT
    )


async def checkin(services: Services, interaction: discord.Interaction, pair: Any) -> None:
    """`/closer checkin`: the check-in now, only for the member (ephemeral)."""
    payload = await services.closeness.ask(pair, interaction.user.id)
    spec = view_of(payload)
    view = as_view(*(closeness_items(spec) if isinstance(spec, ClosenessView) else ()))
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
