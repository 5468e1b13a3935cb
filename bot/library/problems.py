"""What the loader reports: every problem at once, each pinned to a file and line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class LibraryError(Exception):
    """The prompt library is invalid; `problems` lists all of them, sorted by file then line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        # Stable sort keeps discovery order for problems on the same line.
        self.problems: list[Problem] = sorted(problems, key=lambda p: (p.file, p.line))
        super().__init__("\n".join(str(p) for p in self.problems))
