"""Persistent buttons: every custom_id carries what it acts on and whom it was sent to.

discord.py routes them by pattern (`DynamicItem`), so a button on a message sent last month, or
before a restart, still works; and a press by anyone but the intended member is refused.
Modal submissions are routed the same way by `on_interaction`, so an answer typed across a
restart is not lost.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar, cast

import discord
from discord.ext import commands

from bot.cogs.errors import reply_ephemeral
from bot.cogs.interact import NOT_FOR_YOU as NOT_FOR_YOU
from bot.cogs.interact import _guard, _run, closer
from bot.core.models import Depth, Relationship
from bot.ui import custom_ids as ids
from bot.ui.payload import ViewSpec

log = logging.getLogger(__name__)


class InviteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=ids.InviteId.template(),
):
    def __init__(self, action: ids.InviteAction, invite_id: int, user_id: int) -> None:
        self.action, self.invite_id, self.user_id = action, invite_id, user_id
        super().__init__(
            discord.ui.Button(
                label="Accept" if action == "accept" else "Decline",
                style=discord.ButtonStyle.success
                if action == "accept"
                else discord.ButtonStyle.secondary,
                custom_id=ids.InviteId(action, invite_id, user_id).encode(),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> InviteButton:
        parsed = ids.InviteId.from_match(match)
        return cls(parsed.action, parsed.invite, parsed.user)

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(
                interaction,
                closer(interaction).handlers.invite(interaction, self.action, self.invite_id),
            )


class PromptButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=ids.PromptId.template(),
):
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

    def __init__(self, action: ids.PromptAction, instance_id: int, user_id: int) -> None:
        self.action, self.instance_id, self.user_id = action, instance_id, user_id
        label, style = self.LABELS[action]
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                custom_id=ids.PromptId(action, instance_id, user_id).encode(),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PromptButton:
        parsed = ids.PromptId.from_match(match)
        return cls(parsed.action, parsed.instance, parsed.user)

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(
                interaction,
                closer(interaction).handlers.prompt(interaction, self.action, self.instance_id),
            )


class FeelingSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=ids.FeelingId.template(),
):
    def __init__(
        self, instance_id: int, user_id: int, options: list[discord.SelectOption] | None = None
    ) -> None:
        self.instance_id, self.user_id = instance_id, user_id
        super().__init__(
            discord.ui.Select(
                placeholder="Pick a feeling word (optional)",
                custom_id=ids.FeelingId(instance_id, user_id).encode(),
                options=options or [discord.SelectOption(label="calm", value="calm")],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FeelingSelect:
        parsed = ids.FeelingId.from_match(match)
        return cls(parsed.instance, parsed.user)

    async def callback(self, interaction: discord.Interaction) -> None:
        if not await _guard(interaction, self.user_id):
            return
        data = cast(dict[str, Any], interaction.data or {})
        values = [str(v) for v in data.get("values", [])]
        feeling = values[0] if values else None
        await _run(
            interaction,
            closer(interaction).handlers.prompt(interaction, "answer", self.instance_id, feeling),
        )


class PickSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=ids.PickId.template(),
):
    """A pick prompt's menu, right on the prompt: each option's value is its position."""

    def __init__(self, instance_id: int, user_id: int, options: list[str] | None = None) -> None:
        self.instance_id, self.user_id = instance_id, user_id
        choices = [
            discord.SelectOption(label=label[:100], value=str(i))
            for i, label in enumerate(options or ["Pick"])
        ]
        super().__init__(
            discord.ui.Select(
                placeholder="Pick one",
                custom_id=ids.PickId(instance_id, user_id).encode(),
                options=choices,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PickSelect:
        parsed = ids.PickId.from_match(match)
        return cls(parsed.instance, parsed.user)

    async def callback(self, interaction: discord.Interaction) -> None:
        if not await _guard(interaction, self.user_id):
            return
        data = cast(dict[str, Any], interaction.data or {})
        values = [str(v) for v in data.get("values", [])]
        if not values or not values[0].isdigit():
            await reply_ephemeral(interaction, "Please pick one of the options.")
            return
        await _run(
            interaction,
            closer(interaction).handlers.picked(interaction, self.instance_id, int(values[0])),
        )


class DeeperButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=ids.DeeperId.template(),
):
    def __init__(
        self, action: ids.YesNo, pair_id: int, user_id: int, depth: ids.DeeperDepth
    ) -> None:
        self.action, self.pair_id, self.user_id, self.depth = action, pair_id, user_id, depth
        super().__init__(
            discord.ui.Button(
                label="Yes, a little deeper" if action == "yes" else "Not yet",
                style=discord.ButtonStyle.primary
                if action == "yes"
                else discord.ButtonStyle.secondary,
                custom_id=ids.DeeperId(action, pair_id, user_id, depth).encode(),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DeeperButton:
        parsed = ids.DeeperId.from_match(match)
        return cls(parsed.action, parsed.pair, parsed.user, parsed.depth)

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(
                interaction,
                closer(interaction).handlers.deeper(
                    interaction, self.action == "yes", self.pair_id, Depth(self.depth)
                ),
            )


class RelationshipButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=ids.RelationshipId.template(),
):
    """Accept / Decline on a proposed change of relationship kind, like an invite's."""

    def __init__(
        self,
        action: ids.InviteAction,
        pair_id: int,
        proposer_id: int,
        kind: ids.RelationshipKind,
        user_id: int,
    ):
        self.action, self.pair_id, self.proposer_id = action, pair_id, proposer_id
        self.kind, self.user_id = kind, user_id
        super().__init__(
            discord.ui.Button(
                label="Accept" if action == "accept" else "Decline",
                style=discord.ButtonStyle.success
                if action == "accept"
                else discord.ButtonStyle.secondary,
                custom_id=ids.RelationshipId(action, pair_id, proposer_id, kind, user_id).encode(),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RelationshipButton:
        parsed = ids.RelationshipId.from_match(match)
        return cls(parsed.action, parsed.pair, parsed.proposer, parsed.kind, parsed.user)

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(
                interaction,
                closer(interaction).handlers.relationship(
                    interaction,
                    self.action == "accept",
                    self.pair_id,
                    self.proposer_id,
                    Relationship(self.kind),
                ),
            )


class ConfirmButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=ids.ConfirmId.template(),
):
    def __init__(
        self, what: ids.ConfirmWhat, answer: ids.YesNo, target: int, user_id: int, extra: str = ""
    ) -> None:
        self.what, self.answer, self.target, self.user_id, self.extra = (
            what,
            answer,
            target,
            user_id,
            extra,
        )
        labels = {"end": "End the pair", "forget": "Delete everything", "replace": "Replace it"}
        super().__init__(
            discord.ui.Button(
                label=labels[what] if answer == "yes" else "Cancel",
                style=discord.ButtonStyle.danger
                if answer == "yes"
                else discord.ButtonStyle.secondary,
                custom_id=ids.ConfirmId(what, answer, target, user_id, extra).encode(),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ConfirmButton:
        parsed = ids.ConfirmId.from_match(match)
        return cls(parsed.what, parsed.answer, parsed.target, parsed.user, parsed.extra)

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(
                interaction,
                closer(interaction).handlers.confirm(
                    interaction, self.what, self.answer == "yes", self.target, self.extra
                ),
            )


class PaceButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=ids.PaceId.template(),
):
    """The going-quiet question: Weekly instead / Pause two weeks / Keep going."""

    LABELS: ClassVar[dict[str, tuple[str, discord.ButtonStyle]]] = {
        "weekly": ("Weekly instead", discord.ButtonStyle.primary),
        "pause": ("Pause two weeks", discord.ButtonStyle.secondary),
        "keep": ("Keep going", discord.ButtonStyle.secondary),
    }

    def __init__(self, choice: ids.PaceChoice, pair_id: int, user_id: int) -> None:
        self.choice, self.pair_id, self.user_id = choice, pair_id, user_id
        label, style = self.LABELS[choice]
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=ids.PaceId(choice, pair_id, user_id).encode()
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PaceButton:
        parsed = ids.PaceId.from_match(match)
        return cls(parsed.choice, parsed.pair, parsed.user)

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(
                interaction,
                closer(interaction).handlers.pace(interaction, self.choice, self.pair_id),
            )


class HistoryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=ids.HistoryId.template(),
):
    """Prev/Next on /closer history; the custom_id carries the page it leads to."""

    def __init__(
        self, direction: ids.HistoryDirection, page: int, user_id: int, disabled: bool = False
    ) -> None:
        self.direction, self.page, self.user_id = direction, page, user_id
        super().__init__(
            discord.ui.Button(
                label="Prev" if direction == "prev" else "Next",
                style=discord.ButtonStyle.secondary,
                custom_id=ids.HistoryId(direction, page, user_id).encode(),
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> HistoryButton:
        parsed = ids.HistoryId.from_match(match)
        return cls(parsed.direction, parsed.page, parsed.user)

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(interaction, closer(interaction).handlers.history(interaction, self.page))


class ChooseButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=ids.ChooseId.template(),
):
    """ "Which prompt is this for?": one button per candidate. It carries the id of the member's
    own DM, not its words: nothing is stored until they pick, and the text is read back from
    Discord then. `until` (Unix seconds) is when the question expires."""

    def __init__(
        self, message_id: int, instance_id: int, user_id: int, until: int, label: str = "Pick"
    ) -> None:
        self.message_id, self.instance_id = message_id, instance_id
        self.user_id, self.until = user_id, until
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary,
                custom_id=ids.ChooseId(message_id, instance_id, user_id, until).encode(),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ChooseButton:
        parsed = ids.ChooseId.from_match(match)
        return cls(parsed.message, parsed.instance, parsed.user, parsed.until)

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(
                interaction,
                closer(interaction).handlers.choose(
                    interaction, self.message_id, self.instance_id, self.until
                ),
            )


def history_view(page: int, pages: int, user_id: int) -> discord.ui.View | None:
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(HistoryButton("prev", page - 1, user_id, disabled=page <= 1))
    view.add_item(HistoryButton("next", page + 1, user_id, disabled=page >= pages))
    return view


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


def build_view(spec: ViewSpec) -> discord.ui.View | None:
    """The buttons for a stored message spec (see `bot.ui.payload.ViewSpec`)."""
    view = discord.ui.View(timeout=None)
    kind = spec.get("kind")
    user = int(spec.get("user", 0))
    if kind == "invite":
        invite = int(spec.get("invite", 0))
        view.add_item(InviteButton("accept", invite, user))
        view.add_item(InviteButton("decline", invite, user))
    elif kind == "prompt":
        instance = int(spec.get("instance", 0))
        actions: list[ids.PromptAction] = (
            ["done", "notnow", "later"] if spec.get("activity") else ["answer", "skip", "later"]
        )
        if spec.get("start"):
            actions = ["start", *actions]  # a timed together-activity (themed weeks)
        options = [str(o) for o in spec.get("options") or []]
        if options:
            actions = ["skip", "later"]  # a pick is answered from its menu, not a form
            view.add_item(PickSelect(instance, user, options))
        for action in actions:
            view.add_item(PromptButton(action, instance, user))
        if spec.get("feelings"):
            from bot.ui.feelings import feeling_options

            view.add_item(FeelingSelect(instance, user, feeling_options()))
    elif kind == "answer":
        view.add_item(PromptButton("answer", int(spec.get("instance", 0)), user))
    elif kind == "saved":
        # After a save: change it until the reveal; a reflection can also be shared.
        view.add_item(PromptButton("edit", int(spec.get("instance", 0)), user))
        if spec.get("reflection"):
            view.add_item(PromptButton("share", int(spec.get("instance", 0)), user))
    elif kind == "share":
        view.add_item(PromptButton("share", int(spec.get("instance", 0)), user))
    elif kind == "start":
        view.add_item(PromptButton("start", int(spec.get("instance", 0)), user))
    elif kind == "deeper":
        pair, depth = int(spec.get("pair", 0)), ids.one_of(ids.DEPTHS, spec.get("depth"), "medium")
        view.add_item(DeeperButton("yes", pair, user, depth))
        view.add_item(DeeperButton("no", pair, user, depth))
    elif kind == "relationship":
        pair, proposer = int(spec.get("pair", 0)), int(spec.get("proposer", 0))
        chosen = ids.one_of(ids.RELATIONSHIPS, spec.get("relationship"), "friends")
        for answer in ids.INVITE_ACTIONS:
            view.add_item(RelationshipButton(answer, pair, proposer, chosen, user))
    elif kind == "pace":
        pair = int(spec.get("pair", 0))
        for choice in ("weekly", "pause", "keep"):
            view.add_item(PaceButton(choice, pair, user))
    elif kind == "closeness":
        from bot.cogs.closeness import closeness_view

        return closeness_view(spec)
    else:
        return None
    return view


def confirm_view(
    what: ids.ConfirmWhat, target: int, user_id: int, extra: str = ""
) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ConfirmButton(what, "yes", target, user_id, extra))
    view.add_item(ConfirmButton(what, "no", target, user_id, extra))
    return view


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
