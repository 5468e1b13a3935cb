"""A message as data: what the outbox stores in a delivery row and turns into a Discord message.

Views are stored as a small spec (`{"kind": "prompt", ...}`) rather than components, so a message
queued before an upgrade still gets the buttons the running code knows how to handle. In code a
spec is one frozen dataclass per kind (`ViewSpec`); `stored` writes the JSON form the delivery
row keeps, and `parse_view` reads it back, forgiving as it always was: a missing field reads as
its old default and an unknown kind as no buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, ClassVar, Literal, TypedDict, cast, get_args, get_origin, get_type_hints

from bot.ui.custom_ids import DeeperDepth, RelationshipKind

Switch = Literal["off", "on"]


def _unknown_reads_as(value: str) -> dict[str, str]:
    """What a stored value outside a field's `Literal` reads as (a row that predates a check)."""
    return {"unknown": value}


@dataclass(frozen=True, slots=True)
class _View:
    """Every spec names the member the buttons are for; the rest depends on the kind."""

    KIND: ClassVar[str]
    user: int


@dataclass(frozen=True, slots=True)
class _InstanceView(_View):
    instance: int


@dataclass(frozen=True, slots=True)
class _PairView(_View):
    pair: int


@dataclass(frozen=True, slots=True)
class PromptView(_InstanceView):
    """A prompt: Answer / Skip / Later (an activity: We did it / Not this time / Later)."""

    KIND: ClassVar[str] = "prompt"
    activity: bool
    feelings: bool  # the feelings menu under the buttons
    start: bool = False  # a timed together-activity: a Start button before the usual ones
    options: tuple[str, ...] = ()  # a pick prompt: the choices its menu offers, in order


@dataclass(frozen=True, slots=True)
class AnswerView(_InstanceView):
    """A nudge: Answer alone."""

    KIND: ClassVar[str] = "answer"


@dataclass(frozen=True, slots=True)
class SavedView(_InstanceView):
    """After a save: Edit until the reveal; a reflection also gets Share."""

    KIND: ClassVar[str] = "saved"
    reflection: bool = False


@dataclass(frozen=True, slots=True)
class ShareView(_InstanceView):
    """Share alone (written by earlier versions; still read)."""

    KIND: ClassVar[str] = "share"


@dataclass(frozen=True, slots=True)
class StartView(_InstanceView):
    """Start alone (written by earlier versions; still read)."""

    KIND: ClassVar[str] = "start"


@dataclass(frozen=True, slots=True)
class InviteView(_View):
    KIND: ClassVar[str] = "invite"
    invite: int


@dataclass(frozen=True, slots=True)
class DeeperView(_PairView):
    """The offer to go a little deeper, to `depth`."""

    KIND: ClassVar[str] = "deeper"
    depth: DeeperDepth = field(metadata=_unknown_reads_as("medium"))


@dataclass(frozen=True, slots=True)
class RelationshipView(_PairView):
    """A proposed change of relationship kind: who asked, and the kind they proposed."""

    KIND: ClassVar[str] = "relationship"
    proposer: int
    relationship: RelationshipKind = field(metadata=_unknown_reads_as("friends"))


@dataclass(frozen=True, slots=True)
class PaceView(_PairView):
    """The going-quiet question: Weekly instead / Pause two weeks / Keep going."""

    KIND: ClassVar[str] = "pace"


@dataclass(frozen=True, slots=True)
class ClosenessView(_PairView):
    """The closeness check-in; `switch` offers to turn scheduled check-ins "off" or "on"."""

    KIND: ClassVar[str] = "closeness"
    switch: Switch | None = None


ViewSpec = (
    PromptView
    | AnswerView
    | SavedView
    | ShareView
    | StartView
    | InviteView
    | DeeperView
    | RelationshipView
    | PaceView
    | ClosenessView
)

KINDS: dict[str, type[ViewSpec]] = {
    cls.KIND: cls
    for cls in (
        PromptView,
        AnswerView,
        SavedView,
        ShareView,
        StartView,
        InviteView,
        DeeperView,
        RelationshipView,
        PaceView,
        ClosenessView,
    )
}


_HINTS = {kind: get_type_hints(cls) for kind, cls in KINDS.items()}


class StoredView(TypedDict, total=False):
    """A `ViewSpec` as the delivery row stores it: its kind, then its fields by name."""

    kind: str
    user: int
    instance: int
    invite: int
    pair: int
    depth: str
    activity: bool
    feelings: bool
    start: bool
    reflection: bool
    switch: str
    proposer: int
    relationship: str
    options: list[str]


def stored(spec: ViewSpec) -> StoredView:
    """The JSON form: "kind", then each field; one left at its default is left out, as the rows
    written before these classes did."""
    data: dict[str, Any] = {"kind": spec.KIND}
    for f in fields(spec):
        value = getattr(spec, f.name)
        if f.default is not MISSING and value == f.default:
            continue
        data[f.name] = list(value) if isinstance(value, tuple) else value
    return cast(StoredView, data)  # the keys are StoredView's: a spec's field names


def parse_view(data: Mapping[str, Any]) -> ViewSpec | None:
    """A stored spec, or None for a kind this version does not know (no buttons, as before).

    Forgiving, as the reads before these classes were: a missing number reads as 0, a missing
    flag as False, and a word outside its field's choices as the field's fallback."""
    cls = KINDS.get(str(data.get("kind")))
    if cls is None:
        return None
    hints = _HINTS[cls.KIND]
    return cls(**{f.name: _read(hints[f.name], f, data.get(f.name)) for f in fields(cls)})


def _read(hint: Any, spec_field: Field[Any], value: object) -> Any:
    if hint is int:
        return 0 if value is None else int(cast(Any, value))
    if hint is bool:
        return bool(value)
    if get_origin(hint) is tuple:
        return tuple(str(o) for o in cast(Any, value) or ())
    choices = [a for a in get_args(hint) if a is not type(None)]
    if len(choices) == 1 and get_origin(choices[0]) is Literal:  # `Switch | None`
        choices = list(get_args(choices[0]))
    fallback = spec_field.metadata.get("unknown", spec_field.default)
    return value if value in choices else fallback


class FileSpec(TypedDict, total=False):
    """A picture to attach, drawn when the message is sent (see `bot.ui.pictures`)."""

    filename: str
    draw: str  # closeness_scale | card | feelings_wheel
    alt: str  # what it shows, in words; also said in the message itself
    data: dict[str, Any]


class MessagePayload(TypedDict, total=False):
    content: str
    embed: dict[str, Any]
    # Several embeds in one message, when one would cut words short (an embed's description
    # holds 4,096 characters and a message's embeds 6,000 in all).
    embeds: list[dict[str, Any]]
    view: StoredView
    files: list[FileSpec]


def view_of(message: MessagePayload) -> ViewSpec | None:
    """The buttons a message carries, if any."""
    view = message.get("view")
    return None if view is None else parse_view(view)


ACCENT = 0xE8A87C


def embed(
    title: str | None,
    description: str,
    *,
    footer: str | None = None,
    fields: list[tuple[str, str]] | None = None,
    author: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "rich", "description": description, "color": ACCENT}
    if title:
        data["title"] = title
    if footer:
        data["footer"] = {"text": footer}
    if fields:
        data["fields"] = [{"name": n, "value": v, "inline": False} for n, v in fields]
    if author:
        data["author"] = {"name": author}
    return data
