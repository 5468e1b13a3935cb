"""The shape of the TOML files, as pydantic models, and short messages for their errors.

Only structure and types live here; rules that span fields or files are in `rules.py`, where each
problem can point at the key it is about.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from pydantic_core import ErrorDetails

from bot.core.models import Category, Depth, Kind, Relationship
from bot.library.toml_lines import Loc

# Enums stay lax (a TOML string must become the enum); scalars are strict so that `minutes = "20"`
# or `text = 5` is an error instead of being coerced.
_Table = dict[str, object]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptEntry(_Model):
    id: StrictStr
    category: Category
    depth: Depth
    kind: Kind
    # A list, not a set: duplicates are reported by rules.py rather than silently merged.
    audience: list[Relationship]
    text: StrictStr
    minutes: StrictInt | None = None
    follow_up: StrictStr | None = None
    options: list[StrictStr] | None = None


class DayEntry(_Model):
    title: StrictStr
    prompt: StrictStr | None = None
    category: Category | None = None
    depth: Depth | None = None
    stand_in: StrictStr | None = None


class ChallengeEntry(_Model):
    id: StrictStr
    name: StrictStr
    audience: list[Relationship]
    intro: StrictStr
    closing: StrictStr
    # Days are validated one by one so a bad day does not hide problems in the others.
    day: list[_Table] = Field(default_factory=list)


class PackFile(_Model):
    prompt: list[_Table] = Field(default_factory=list)


class ChallengesFile(_Model):
    challenge: list[_Table] = Field(default_factory=list)


M = TypeVar("M", bound=BaseModel)

_ENUMS: dict[str, type[StrEnum]] = {
    "category": Category,
    "depth": Depth,
    "kind": Kind,
    "audience": Relationship,
}

# Keys whose value is a list of plain strings (every other list in the format holds tables).
_STRING_LISTS = {"audience": 'e.g. ["partners", "friends"]', "options": 'e.g. ["Tea", "Coffee"]'}


def validate(model: type[M], data: object) -> tuple[M | None, list[tuple[Loc, str]]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, [(tuple(e["loc"]), describe(e)) for e in exc.errors(include_url=False)]


def describe(error: ErrorDetails) -> str:
    names = [part for part in error["loc"] if isinstance(part, str)]
    name = names[-1] if names else "file"
    kind, value = error["type"], error["input"]
    if kind == "missing":
        return f"missing field '{name}'"
    if kind == "extra_forbidden":
        is_table = isinstance(value, dict) or (
            isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
        )
        return f"unknown {'table' if is_table else 'field'} '{name}'"
    if kind == "enum":
        allowed = ", ".join(e.value for e in _ENUMS[name]) if name in _ENUMS else "see README"
        return f"unknown {name} {show(value)} (allowed: {allowed})"
    if kind == "string_type":
        return f"'{name}' must be a string"
    if kind == "int_type":
        return f"'{name}' must be a whole number"
    if kind == "list_type":
        if name in _STRING_LISTS:
            return f"'{name}' must be a list, {_STRING_LISTS[name]}"
        return f"'{name}' must be a list of tables"
    if kind in ("dict_type", "model_type"):
        return f"'{name}' must be a table"
    message = error["msg"]
    return f"'{name}': {message[:1].lower()}{message[1:]}"


def show(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)
