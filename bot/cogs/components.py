"""Persistent buttons: every custom_id carries what it acts on and whom it was sent to.

discord.py routes them by pattern (`DynamicItem`, through the `Persistent` base), so a button
on a message sent last month, or before a restart, still works; and a press by anyone but the
intended member is refused.
Modal submissions are routed the same way by `on_interaction`, so an answer typed across a
restart is not lost.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, assert_never, cast

import discord
from discord.ext import commands

from bot.cogs.closeness import closeness_items
from bot.cogs.interact import NOT_FOR_YOU as NOT_FOR_YOU
from bot.cogs.interact import _guard, _run, closer
from bot.cogs.persistent import Persistent, as_view
from bot.core.models import Depth, Relationship
from bot.errors import UserFacingError
from bot.ui import custom_ids as ids
from bot.ui import payload as views
from bot.ui.payload import MessagePayload, ViewSpec, view_of

log = logging.getLogger(__name__)


Button = discord.ui.Button[Any]
Select = discord.ui.Select[Any]
GREY = discord.ButtonStyle.secondary


def _button(label: str, style: discord.ButtonStyle, custom: str) -> Button:
    return discord.ui.Button(label=label, style=style, custom_id=custom)


def _yes_no(yes: bool, label: str, no: str, style: discord.ButtonStyle, custom: str) -> Button:
    """The pair of buttons most offers are: a coloured yes, a grey no."""
    return _button(label, style, custom) if yes else _button(no, GREY, custom)


def _accept_decline(action: str, custom: str) -> Button:
    """Accept / Decline, the pair of buttons on an invite and on a proposed relationship."""
    return _yes_no(action == "accept", "Accept", "Decline", discord.ButtonStyle.success, custom)


def _picked(interaction: discord.Interaction) -> str | None:
    """The first value a menu submitted, if any."""
    data = cast(dict[str, Any], interaction.data or {})
    values = [str(v) for v in data.get("values", [])]
    return values[0] if values else None


class InviteButton(Persistent[Button, ids.InviteId], custom_id=ids.InviteId):
    def component(self) -> Button:
        return _accept_decline(self.custom.action, self.custom.encode())

    async def pressed(self, interaction: discord.Interaction) -> None:
        c = self.custom
        await closer(interaction).handlers.invite(interaction, c.action, c.invite)


class PromptButton(Persistent[Button, ids.PromptId], custom_id=ids.PromptId):
    LABELS: ClassVar[dict[str, tuple[str, discord.ButtonStyle]]] = {
        "answer": ("Answer", discord.ButtonStyle.primary),
        "edit": ("Edit", discord.ButtonStyle.secondary),
        "skip": ("Skip", discord.ButtonStyle.secondary),
        "later": ("Later", discord.ButtonStyle.secondary),
        "done": ("We did it", discord.ButtonStyle.success),
        "notnow": ("Not this time", discord.ButtonStyle.secondary),
        "share": ("Share", discord.ButtonStyle.primary),
        "start": ("Start", discord.ButtonStyle.success),
    }

    def component(self) -> Button:
        return _button(*self.LABELS[self.custom.action], self.custom.encode())

    async def pressed(self, interaction: discord.Interaction) -> None:
        c = self.custom
        await closer(interaction).handlers.prompt(interaction, c.action, c.instance)


class FeelingSelect(Persistent[Select, ids.FeelingId], custom_id=ids.FeelingId):
    def __init__(
        self, custom: ids.FeelingId, options: list[discord.SelectOption] | None = None
    ) -> None:
        self.options = options or [discord.SelectOption(label="calm", value="calm")]
        super().__init__(custom)

    def component(self) -> Select:
        return discord.ui.Select(
            placeholder="Pick a feeling word (optional)",
            custom_id=self.custom.encode(),
            options=self.options,
        )

    async def pressed(self, interaction: discord.Interaction) -> None:
        await closer(interaction).handlers.prompt(
            interaction, "answer", self.custom.instance, _picked(interaction)
        )


class PickSelect(Persistent[Select, ids.PickId], custom_id=ids.PickId):
    """A pick prompt's menu, right on the prompt: each option's value is its position."""

    def __init__(self, custom: ids.PickId, options: list[str] | None = None) -> None:
        self.options = options or ["Pick"]
        super().__init__(custom)

    def component(self) -> Select:
        return discord.ui.Select(
            placeholder="Pick one",
            custom_id=self.custom.encode(),
            options=[
                discord.SelectOption(label=label[:100], value=str(i))
                for i, label in enumerate(self.options)
            ],
        )

    async def pressed(self, interaction: discord.Interaction) -> None:
        value = _picked(interaction)
        if value is None or not (value.isascii() and value.isdigit()):
            raise UserFacingError("Please pick one of the options.")
        await closer(interaction).handlers.picked(interaction, self.custom.instance, int(value))


class DeeperButton(Persistent[Button, ids.DeeperId], custom_id=ids.DeeperId):
    def component(self) -> Button:
        yes = self.custom.action == "yes"
        return _yes_no(
            yes,
            "Yes, a little deeper",
            "Not yet",
            discord.ButtonStyle.primary,
            self.custom.encode(),
        )

    async def pressed(self, interaction: discord.Interaction) -> None:
        c = self.custom
        await closer(interaction).handlers.deeper(
            interaction, c.action == "yes", c.pair, Depth(c.depth)
        )


class RelationshipButton(Persistent[Button, ids.RelationshipId], custom_id=ids.RelationshipId):
    """Accept / Decline on a proposed change of relationship kind, like an invite's."""

    def component(self) -> Button:
        return _accept_decline(self.custom.action, self.custom.encode())

    async def pressed(self, interaction: discord.Interaction) -> None:
        c = self.custom
        await closer(interaction).handlers.relationship(
            interaction, c.action == "accept", c.pair, c.proposer, Relationship(c.kind)
        )


class ConfirmButton(Persistent[Button, ids.ConfirmId], custom_id=ids.ConfirmId):
    LABELS: ClassVar[dict[str, str]] = {
        "end": "End the pair",
        "forget": "Delete everything",
        "replace": "Replace it",
    }

    def component(self) -> Button:
        c = self.custom
        yes = c.answer == "yes"
        return _yes_no(yes, self.LABELS[c.what], "Cancel", discord.ButtonStyle.danger, c.encode())

    async def pressed(self, interaction: discord.Interaction) -> None:
        c = self.custom
        await closer(interaction).handlers.confirm(
            interaction, c.what, c.answer == "yes", c.target, c.extra
        )


class PaceButton(Persistent[Button, ids.PaceId], custom_id=ids.PaceId):
    """The going-quiet question: Weekly instead / Pause two weeks / Keep going."""

    LABELS: ClassVar[dict[str, tuple[str, discord.ButtonStyle]]] = {
        "weekly": ("Weekly instead", discord.ButtonStyle.primary),
        "pause": ("Pause two weeks", discord.ButtonStyle.secondary),
        "keep": ("Keep going", discord.ButtonStyle.secondary),
    }

    def component(self) -> Button:
        return _button(*self.LABELS[self.custom.choice], self.custom.encode())

    async def pressed(self, interaction: discord.Interaction) -> None:
        c = self.custom
        await closer(interaction).handlers.pace(interaction, c.choice, c.pair)


class HistoryButton(Persistent[Button, ids.HistoryId], custom_id=ids.HistoryId):
    """Prev/Next on /closer history; the custom_id carries the page it leads to."""

    def __init__(self, custom: ids.HistoryId, disabled: bool = False) -> None:
        self.disabled = disabled
        super().__init__(custom)

    def component(self) -> Button:
        return discord.ui.Button(
            label="Prev" if self.custom.direction == "prev" else "Next",
            style=discord.ButtonStyle.secondary,
            custom_id=self.custom.encode(),
            disabled=self.disabled,
        )

    async def pressed(self, interaction: discord.Interaction) -> None:
        await closer(interaction).handlers.history(interaction, self.custom.page)


class ChooseButton(Persistent[Button, ids.ChooseId], custom_id=ids.ChooseId):
    """ "Which prompt is this for?": one button per candidate. It carries the id of the member's
    own DM, not its words: nothing is stored until they pick, and the text is read back from
    Discord then. `until` (Unix seconds) is when the question expires."""

    def __init__(self, custom: ids.ChooseId, label: str = "Pick") -> None:
        self.label = label
        super().__init__(custom)

    def component(self) -> Button:
        return discord.ui.Button(
            label=self.label[:80],
            style=discord.ButtonStyle.primary,
            custom_id=self.custom.encode(),
        )

    async def pressed(self, interaction: discord.Interaction) -> None:
        c = self.custom
        await closer(interaction).handlers.choose(interaction, c.message, c.instance, c.until)


def history_view(page: int, pages: int, user_id: int) -> discord.ui.View | None:
    if pages <= 1:
        return None
    return as_view(
        HistoryButton(ids.HistoryId("prev", page - 1, user_id), disabled=page <= 1),
        HistoryButton(ids.HistoryId("next", page + 1, user_id), disabled=page >= pages),
    )


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    InviteButton,
    PromptButton,
    FeelingSelect,
    PickSelect,
    DeeperButton,
    RelationshipButton,
    ConfirmButton,
    PaceButton,
    HistoryButton,
    ChooseButton,
)


def _prompt_items(spec: views.PromptView) -> list[discord.ui.Item[Any]]:
    instance, user = spec.instance, spec.user
    actions: list[ids.PromptAction] = (
        ["done", "notnow", "later"] if spec.activity else ["answer", "skip", "later"]
    )
    if spec.start:
        actions = ["start", *actions]  # a timed together-activity (themed weeks)
    items: list[discord.ui.Item[Any]] = []
    if spec.options:
        actions = ["skip", "later"]  # a pick is answered from its menu, not a form
        items.append(PickSelect(ids.PickId(instance, user), list(spec.options)))
    items += [PromptButton(ids.PromptId(action, instance, user)) for action in actions]
    if spec.feelings:
        from bot.ui.feelings import feeling_options

        items.append(FeelingSelect(ids.FeelingId(instance, user), feeling_options()))
    return items


def _items(spec: ViewSpec) -> list[discord.ui.Item[Any]]:
    """The components for one view spec, in the order members see them."""
    user = spec.user
    match spec:
        case views.PromptView():
            return _prompt_items(spec)
        case views.AnswerView():
            return [PromptButton(ids.PromptId("answer", spec.instance, user))]
        case views.ShareView():
            return [PromptButton(ids.PromptId("share", spec.instance, user))]
        case views.StartView():
            return [PromptButton(ids.PromptId("start", spec.instance, user))]
        case views.SavedView():
            # After a save: change it until the reveal; a reflection can also be shared.
            shown: list[ids.PromptAction] = ["edit", "share"] if spec.reflection else ["edit"]
            return [PromptButton(ids.PromptId(a, spec.instance, user)) for a in shown]
        case views.InviteView():
            return [
                InviteButton(ids.InviteId(action, spec.invite, user))
                for action in ids.INVITE_ACTIONS
            ]
        case views.DeeperView():
            return [
                DeeperButton(ids.DeeperId(answer, spec.pair, user, spec.depth)) for answer in YES_NO
            ]
        case views.RelationshipView():
            return [
                RelationshipButton(
                    ids.RelationshipId(answer, spec.pair, spec.proposer, spec.relationship, user)
                )
                for answer in ids.INVITE_ACTIONS
            ]
        case views.PaceView():
            return [PaceButton(ids.PaceId(choice, spec.pair, user)) for choice in PACE_CHOICES]
        case views.ClosenessView():
            return closeness_items(spec)
        case _:
            assert_never(spec)


PACE_CHOICES: tuple[ids.PaceChoice, ...] = ("weekly", "pause", "keep")


def build_view(spec: ViewSpec) -> discord.ui.View:
    """The buttons for a message's view spec (see `bot.ui.payload.ViewSpec`)."""
    return as_view(*_items(spec))


def stored_view(message: MessagePayload) -> discord.ui.View | None:
    """The buttons a built or stored message carries, if any."""
    spec = view_of(message)
    return None if spec is None else build_view(spec)


def confirm_view(
    what: ids.ConfirmWhat, target: int, user_id: int, extra: str = ""
) -> discord.ui.View:
    return as_view(
        *(ConfirmButton(ids.ConfirmId(what, answer, target, user_id, extra)) for answer in YES_NO)
    )


YES_NO: tuple[ids.YesNo, ...] = ("yes", "no")


class Components(commands.Cog):
    """Routes modal submissions by custom_id, like the buttons, so they survive restarts."""

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data = cast(dict[str, Any], interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        pick = ids.PickWhyId.parse(custom_id)
        if pick is not None:
            if await _guard(interaction, pick.user):
                await _run(
                    interaction,
                    closer(interaction).handlers.pick_submitted(
                        interaction,
                        pick.instance,
                        pick.option,
                        modal_value(data, "why"),
                    ),
                )
            return
        match = ids.AnswerModalId.parse(custom_id)
        if match is None:
            return
        if not await _guard(interaction, match.user):
            return
        text = modal_value(data, "answer")
        guess = modal_value(data, "guess") if has_input(data, "guess") else None
        await _run(
            interaction,
            closer(interaction).handlers.answer_submitted(
                interaction, match.instance, text, match.feeling, guess
            ),
        )


def _find_input(data: dict[str, Any], custom_id: str) -> dict[str, Any] | None:
    stack: list[Any] = list(data.get("components") or [])
    while stack:
        component = stack.pop()
        if not isinstance(component, dict):
            continue
        if component.get("custom_id") == custom_id:
            return component
        stack.extend(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            stack.append(component["component"])
    return None


def modal_value(data: dict[str, Any], custom_id: str) -> str:
    """A text input's value from a modal submission (action-row or label layout)."""
    component = _find_input(data, custom_id)
    return str(component.get("value") or "") if component is not None else ""


def has_input(data: dict[str, Any], custom_id: str) -> bool:
    """Whether the submitted form had this field (a guess form has "guess"; others don't)."""
    return _find_input(data, custom_id) is not None


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(Components())
