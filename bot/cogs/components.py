"""Persistent buttons: every custom_id carries what it acts on and whom it was sent to.

discord.py routes them by pattern (`DynamicItem`), so a button on a message sent last month, or
before a restart, still works; and a press by anyone but the intended member is refused.
Modal submissions are routed the same way by `on_interaction`, so an answer typed across a
restart is not lost.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar, cast

import discord
from discord.ext import commands

from bot.cogs.errors import reply_ephemeral
from bot.cogs.interact import NOT_FOR_YOU as NOT_FOR_YOU
from bot.cogs.interact import _guard, _run, closer
from bot.core.models import Depth, Relationship
from bot.ui.payload import ViewSpec

if TYPE_CHECKING:
    from bot.app import CloserBot

log = logging.getLogger(__name__)

ANSWER_MODAL = re.compile(
    r"^closer:answer:(?P<instance>\d+):(?P<user>\d+)(?::(?P<feeling>[a-z]+))?$"
)
PICK_MODAL = re.compile(r"^closer:pickwhy:(?P<instance>\d+):(?P<user>\d+):(?P<option>\d)$")


class InviteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"closer:invite:(?P<action>accept|decline):(?P<invite>\d+):(?P<user>\d+)",
):
    def __init__(self, action: str, invite_id: int, user_id: int) -> None:
        self.action, self.invite_id, self.user_id = action, invite_id, user_id
        super().__init__(
            discord.ui.Button(
                label="Accept" if action == "accept" else "Decline",
                style=discord.ButtonStyle.success
                if action == "accept"
                else discord.ButtonStyle.secondary,
                custom_id=f"closer:invite:{action}:{invite_id}:{user_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> InviteButton:
        return cls(match["action"], int(match["invite"]), int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(
                interaction,
                closer(interaction).handlers.invite(interaction, self.action, self.invite_id),
            )


class PromptButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"closer:prompt:(?P<action>answer|edit|skip|later|done|notnow|share|start):(?P<instance>\d+):(?P<user>\d+)",
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

    def __init__(self, action: str, instance_id: int, user_id: int) -> None:
        self.action, self.instance_id, self.user_id = action, instance_id, user_id
        label, style = self.LABELS[action]
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                custom_id=f"closer:prompt:{action}:{instance_id}:{user_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PromptButton:
        return cls(match["action"], int(match["instance"]), int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(
                interaction,
                closer(interaction).handlers.prompt(interaction, self.action, self.instance_id),
            )


class FeelingSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"closer:feeling:(?P<instance>\d+):(?P<user>\d+)",
):
    def __init__(
        self, instance_id: int, user_id: int, options: list[discord.SelectOption] | None = None
    ) -> None:
        self.instance_id, self.user_id = instance_id, user_id
        super().__init__(
            discord.ui.Select(
                placeholder="Pick a feeling word (optional)",
                custom_id=f"closer:feeling:{instance_id}:{user_id}",
                options=options or [discord.SelectOption(label="calm", value="calm")],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FeelingSelect:
        return cls(int(match["instance"]), int(match["user"]))

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
    template=r"closer:pick:(?P<instance>\d+):(?P<user>\d+)",
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
                custom_id=f"closer:pick:{instance_id}:{user_id}",
                options=choices,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PickSelect:
        return cls(int(match["instance"]), int(match["user"]))

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
    template=r"closer:deeper:(?P<action>yes|no):(?P<pair>\d+):(?P<user>\d+):(?P<depth>medium|deep)",
):
    def __init__(self, action: str, pair_id: int, user_id: int, depth: str) -> None:
        self.action, self.pair_id, self.user_id, self.depth = action, pair_id, user_id, depth
        super().__init__(
            discord.ui.Button(
                label="Yes, a little deeper" if action == "yes" else "Not yet",
                style=discord.ButtonStyle.primary
                if action == "yes"
                else discord.ButtonStyle.secondary,
                custom_id=f"closer:deeper:{action}:{pair_id}:{user_id}:{depth}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DeeperButton:
        return cls(match["action"], int(match["pair"]), int(match["user"]), match["depth"])

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
    template=r"closer:relationship:(?P<action>accept|decline):(?P<pair>\d+):(?P<proposer>\d+):(?P<kind>partners|friends|family):(?P<user>\d+)",
):
    """Accept / Decline on a proposed change of relationship kind, like an invite's."""

    def __init__(self, action: str, pair_id: int, proposer_id: int, kind: str, user_id: int):
        self.action, self.pair_id, self.proposer_id = action, pair_id, proposer_id
        self.kind, self.user_id = kind, user_id
        super().__init__(
            discord.ui.Button(
                label="Accept" if action == "accept" else "Decline",
                style=discord.ButtonStyle.success
                if action == "accept"
                else discord.ButtonStyle.secondary,
                custom_id=f"closer:relationship:{action}:{pair_id}:{proposer_id}:{kind}:{user_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RelationshipButton:
        return cls(
            match["action"],
            int(match["pair"]),
            int(match["proposer"]),
            match["kind"],
            int(match["user"]),
        )

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
    template=r"closer:confirm:(?P<what>end|forget|replace):(?P<answer>yes|no):(?P<target>\d+):(?P<user>\d+)(?::(?P<extra>[a-z0-9_-]+))?",
):
    def __init__(self, what: str, answer: str, target: int, user_id: int, extra: str = "") -> None:
        self.what, self.answer, self.target, self.user_id, self.extra = (
            what,
            answer,
            target,
            user_id,
            extra,
        )
        labels = {"end": "End the pair", "forget": "Delete everything", "replace": "Replace it"}
        suffix = f":{extra}" if extra else ""
        super().__init__(
            discord.ui.Button(
                label=labels[what] if answer == "yes" else "Cancel",
                style=discord.ButtonStyle.danger
                if answer == "yes"
                else discord.ButtonStyle.secondary,
                custom_id=f"closer:confirm:{what}:{answer}:{target}:{user_id}{suffix}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ConfirmButton:
        return cls(
            match["what"],
            match["answer"],
            int(match["target"]),
            int(match["user"]),
            match["extra"] or "",
        )

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
    template=r"closer:pace:(?P<choice>weekly|pause|keep):(?P<pair>\d+):(?P<user>\d+)",
):
    """The going-quiet question: Weekly instead / Pause two weeks / Keep going."""

    LABELS: ClassVar[dict[str, tuple[str, discord.ButtonStyle]]] = {
        "weekly": ("Weekly instead", discord.ButtonStyle.primary),
        "pause": ("Pause two weeks", discord.ButtonStyle.secondary),
        "keep": ("Keep going", discord.ButtonStyle.secondary),
    }

    def __init__(self, choice: str, pair_id: int, user_id: int) -> None:
        self.choice, self.pair_id, self.user_id = choice, pair_id, user_id
        label, style = self.LABELS[choice]
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=f"closer:pace:{choice}:{pair_id}:{user_id}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PaceButton:
        return cls(match["choice"], int(match["pair"]), int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(
                interaction,
                closer(interaction).handlers.pace(interaction, self.choice, self.pair_id),
            )


class HistoryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"closer:history:(?P<direction>prev|next):(?P<page>\d+):(?P<user>\d+)",
):
    """Prev/Next on /closer history; the custom_id carries the page it leads to."""

    def __init__(self, direction: str, page: int, user_id: int, disabled: bool = False) -> None:
        self.direction, self.page, self.user_id = direction, page, user_id
        super().__init__(
            discord.ui.Button(
                label="Prev" if direction == "prev" else "Next",
                style=discord.ButtonStyle.secondary,
                custom_id=f"closer:history:{direction}:{page}:{user_id}",
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> HistoryButton:
        return cls(match["direction"], int(match["page"]), int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if await _guard(interaction, self.user_id):
            await _run(interaction, closer(interaction).handlers.history(interaction, self.page))


class ChooseButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"closer:choose:(?P<message>\d+):(?P<instance>\d+):(?P<user>\d+):(?P<until>\d+)",
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
                custom_id=f"closer:choose:{message_id}:{instance_id}:{user_id}:{until}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ChooseButton:
        return cls(
            int(match["message"]), int(match["instance"]), int(match["user"]), int(match["until"])
        )

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
        actions = (
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
        pair, depth = int(spec.get("pair", 0)), str(spec.get("depth", "medium"))
        view.add_item(DeeperButton("yes", pair, user, depth))
        view.add_item(DeeperButton("no", pair, user, depth))
    elif kind == "relationship":
        pair, proposer = int(spec.get("pair", 0)), int(spec.get("proposer", 0))
        chosen = str(spec.get("relationship", "friends"))
        for action in ("accept", "decline"):
            view.add_item(RelationshipButton(action, pair, proposer, chosen, user))
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


def confirm_view(what: str, target: int, user_id: int, extra: str = "") -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ConfirmButton(what, "yes", target, user_id, extra))
    view.add_item(ConfirmButton(what, "no", target, user_id, extra))
    return view


class Components(commands.Cog):
    """Routes modal submissions by custom_id, like the buttons, so they survive restarts."""

    def __init__(self, bot: CloserBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data = cast(dict[str, Any], interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        pick = PICK_MODAL.match(custom_id)
        if pick is not None:
            if await _guard(interaction, int(pick["user"])):
                await _run(
                    interaction,
                    self.bot.handlers.pick_submitted(
                        interaction,
                        int(pick["instance"]),
                        int(pick["option"]),
                        modal_value(data, "why"),
                    ),
                )
            return
        match = ANSWER_MODAL.match(custom_id)
        if match is None:
            return
        if not await _guard(interaction, int(match["user"])):
            return
        text = modal_value(data, "answer")
        guess = modal_value(data, "guess") if has_input(data, "guess") else None
        await _run(
            interaction,
            self.bot.handlers.answer_submitted(
                interaction, int(match["instance"]), text, match["feeling"], guess
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


async def setup(bot: CloserBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    await bot.add_cog(Components(bot))
