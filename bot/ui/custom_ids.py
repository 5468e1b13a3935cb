"""Every custom_id Closer puts on a button, menu or form: one frozen dataclass per kind.

A button on a message sent months ago still carries the id it was built with, so the format is a
contract with the past. Each kind's fields, in order, define both the string
(`closer:<KIND>:<field>:<field>…`) and the regex that reads it back, so the two cannot drift; and
`encode` refuses anything its own `parse` would not return unchanged.

Field types decide the pattern: `int` is ASCII digits, a `Literal` is its values, and
`Annotated[..., Pattern(...)]` spells anything else. A field with a default is an optional
trailing part, left out while empty.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar, Union, get_args, get_origin
from typing import get_type_hints as _hints

MAX_LENGTH = 100  # Discord refuses a longer custom_id
PREFIX = "closer"


@dataclass(frozen=True, slots=True)
class Pattern:
    """The regex one field's text must match (for fields whose type does not say it)."""

    regex: str


@dataclass(frozen=True, slots=True)
class _Part:
    name: str
    regex: str
    optional: bool
    default: object
    convert: Callable[[str], object]


@dataclass(frozen=True, slots=True)
class _Spec:
    parts: tuple[_Part, ...]
    template: str
    pattern: re.Pattern[str]


class CustomId:
    """Base of every kind; subclasses are frozen dataclasses with a `KIND`."""

    __slots__ = ()
    KIND: ClassVar[str]

    @classmethod
    def template(cls) -> str:
        """The regex a `DynamicItem` routes by (discord.py full-matches it)."""
        return _spec(cls).template

    @classmethod
    def parse(cls, custom_id: str) -> Self | None:
        if len(custom_id) > MAX_LENGTH:
            return None
        match = _spec(cls).pattern.fullmatch(custom_id)
        return None if match is None else cls.from_match(match)

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Self:
        """The id from a match of `template()` (what `DynamicItem.from_custom_id` receives)."""
        values: dict[str, Any] = {}
        for part in _spec(cls).parts:
            text = match[part.name]
            values[part.name] = part.default if text is None else part.convert(text)
        return cls(**values)

    def encode(self) -> str:
        words = [PREFIX, self.KIND]
        for part in _spec(type(self)).parts:
            value = getattr(self, part.name)
            if part.optional and value == part.default:
                continue
            words.append(str(value))
        text = ":".join(words)
        if self.parse(text) != self:
            raise ValueError(f"not a valid {self.KIND} custom_id: {text!r}")
        return text


def _field_part(name: str, hint: Any, default: object) -> _Part:
    regex: str | None = None
    if get_origin(hint) is Annotated:
        hint, *extras = get_args(hint)
        regex = next((e.regex for e in extras if isinstance(e, Pattern)), None)
    if get_origin(hint) in (Union, types.UnionType):
        hint = next(a for a in get_args(hint) if a is not type(None))
    convert: Callable[[str], object] = str
    if hint is int:
        convert = int
        regex = regex or "[0-9]+"
    elif get_origin(hint) is Literal:
        regex = regex or "|".join(re.escape(str(v)) for v in get_args(hint))
    if regex is None:
        raise TypeError(f"custom_id field {name!r} needs a Pattern")
    return _Part(name, regex, default is not MISSING, default, convert)


_SPECS: dict[type[CustomId], _Spec] = {}


def _spec(cls: type[CustomId]) -> _Spec:
    if cls not in _SPECS:
        _SPECS[cls] = _build_spec(cls)
    return _SPECS[cls]


def _build_spec(cls: type[CustomId]) -> _Spec:
    hints = _hints(cls, include_extras=True)
    parts = tuple(_field_part(f.name, hints[f.name], f.default) for f in fields(cls))  # type: ignore[arg-type]
    template = re.escape(f"{PREFIX}:{cls.KIND}")
    for part in parts:
        group = f":(?P<{part.name}>{part.regex})"
        template += f"(?:{group})?" if part.optional else group
    return _Spec(parts, template, re.compile(template))


InviteAction = Literal["accept", "decline"]
PromptAction = Literal["answer", "edit", "skip", "later", "done", "notnow", "share", "start"]
YesNo = Literal["yes", "no"]
DeeperDepth = Literal["medium", "deep"]
RelationshipKind = Literal["partners", "friends", "family"]
ConfirmWhat = Literal["end", "forget", "replace"]
PaceChoice = Literal["weekly", "pause", "keep"]
HistoryDirection = Literal["prev", "next"]
ClosenessChoice = Literal["1", "2", "3", "4", "5", "6", "7", "skip", "off", "on"]
INVITE_ACTIONS: tuple[InviteAction, ...] = get_args(InviteAction)
DEPTHS: tuple[DeeperDepth, ...] = get_args(DeeperDepth)
RELATIONSHIPS: tuple[RelationshipKind, ...] = get_args(RelationshipKind)


@dataclass(frozen=True, slots=True)
class InviteId(CustomId):
    KIND: ClassVar[str] = "invite"
    action: InviteAction
    invite: int
    user: int


@dataclass(frozen=True, slots=True)
class PromptId(CustomId):
    KIND: ClassVar[str] = "prompt"
    action: PromptAction
    instance: int
    user: int


@dataclass(frozen=True, slots=True)
class FeelingId(CustomId):
    KIND: ClassVar[str] = "feeling"
    instance: int
    user: int


@dataclass(frozen=True, slots=True)
class PickId(CustomId):
    KIND: ClassVar[str] = "pick"
    instance: int
    user: int


@dataclass(frozen=True, slots=True)
class DeeperId(CustomId):
    KIND: ClassVar[str] = "deeper"
    action: YesNo
    pair: int
    user: int
    depth: DeeperDepth


@dataclass(frozen=True, slots=True)
class RelationshipId(CustomId):
    KIND: ClassVar[str] = "relationship"
    action: InviteAction
    pair: int
    proposer: int
    kind: RelationshipKind
    user: int


@dataclass(frozen=True, slots=True)
class ConfirmId(CustomId):
    KIND: ClassVar[str] = "confirm"
    what: ConfirmWhat
    answer: YesNo
    target: int
    user: int
    extra: Annotated[str, Pattern("[a-z0-9_-]+")] = ""


@dataclass(frozen=True, slots=True)
class PaceId(CustomId):
    KIND: ClassVar[str] = "pace"
    choice: PaceChoice
    pair: int
    user: int


@dataclass(frozen=True, slots=True)
class HistoryId(CustomId):
    KIND: ClassVar[str] = "history"
    direction: HistoryDirection
    page: int
    user: int


@dataclass(frozen=True, slots=True)
class ChooseId(CustomId):
    """`until` is Unix seconds: when the "which prompt is this for?" question expires."""

    KIND: ClassVar[str] = "choose"
    message: int
    instance: int
    user: int
    until: int


@dataclass(frozen=True, slots=True)
class ClosenessId(CustomId):
    KIND: ClassVar[str] = "closeness"
    choice: ClosenessChoice
    pair: int
    user: int


@dataclass(frozen=True, slots=True)
class AnswerModalId(CustomId):
    """The answer form (and the guess form, which shares its route)."""

    KIND: ClassVar[str] = "answer"
    instance: int
    user: int
    feeling: Annotated[str | None, Pattern("[a-z]+")] = None


@dataclass(frozen=True, slots=True)
class PickWhyId(CustomId):
    """The "why?" form after a pick; `option` is the option's position (one digit)."""

    KIND: ClassVar[str] = "pickwhy"
    instance: int
    user: int
    option: Annotated[int, Pattern("[0-9]")]


ALL_KINDS: tuple[type[CustomId], ...] = (
    InviteId,
    PromptId,
    FeelingId,
    PickId,
    DeeperId,
    RelationshipId,
    ConfirmId,
    PaceId,
    HistoryId,
    ChooseId,
    ClosenessId,
    AnswerModalId,
    PickWhyId,
)


L = TypeVar("L", bound=str)


def one_of(options: tuple[L, ...], value: object, default: L) -> L:
    """`value` if it is one of `options` (say, from a stored view spec), else `default`."""
    return next((o for o in options if o == value), default)
