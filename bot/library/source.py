"""A validated entry together with where it came from, so later checks can point back at it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.library.problems import Problem
from bot.library.toml_lines import Loc, TableNode, line_of

E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Source:
    label: str
    tree: TableNode

    def problem(self, loc: Loc, message: str) -> Problem:
        return Problem(self.label, line_of(self.tree, loc), message)


@dataclass(frozen=True, slots=True)
class Located(Generic[E]):
    entry: E
    source: Source
    loc: Loc

    def line(self, key: str | None = None) -> int:
        return line_of(self.source.tree, self._path(key))

    def where(self, key: str | None = None) -> str:
        return f"{self.source.label}:{self.line(key)}"

    def problem(self, key: str | None, message: str) -> Problem:
        return self.source.problem(self._path(key), message)

    def _path(self, key: str | None) -> Loc:
        return self.loc if key is None else (*self.loc, key)
