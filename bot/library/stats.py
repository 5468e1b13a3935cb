"""`prompts stats`: what each relationship kind can receive, by depth and by kind, so a pack
author sees the gaps (a kind with few deep prompts, a category a circle never gets)."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bot.core.models import Category, Depth, Kind, Library, Relationship
from bot.core.prompts import selectable_kind
from bot.library.check import EXIT_INVALID, EXIT_OK
from bot.library.loader import LibraryError, load_library

_WIDTH = max(len(k.value) for k in Kind) + 2


def run_stats(directory: Path, out: TextIO, err: TextIO) -> int:
    try:
        library = load_library(directory)
    except LibraryError as exc:
        for problem in exc.problems:
            err.write(f"{problem}\n")
        err.write(f"the library in {directory} has problems; `prompts check` lists them\n")
        return EXIT_INVALID
    out.write(format_stats(library))
    return EXIT_OK


def format_stats(library: Library) -> str:
    blocks = [_block(library, kind) for kind in Relationship]
    waiting = [k.value for k in Kind if not selectable_kind(k)]
    if waiting:
        blocks.append(f"not sent yet (no DM interaction): {', '.join(waiting)}\n")
    return "\n".join(blocks)


def _block(library: Library, relationship: Relationship) -> str:
    mine = [p for p in library.prompts if relationship in p.audience]
    lines = [f"{relationship.value}: {len(mine)} prompts"]
    lines.append(_row("", [d.value for d in Depth] + ["total"]))
    for kind in Kind:
        cells = [sum(1 for p in mine if p.kind is kind and p.depth is d) for d in Depth]
        lines.append(_row(kind.value, [str(n) for n in [*cells, sum(cells)]]))
    totals = [sum(1 for p in mine if p.depth is d) for d in Depth]
    lines.append(_row("all", [str(n) for n in [*totals, len(mine)]]))
    no_light = [
        c.value
        for c in Category
        if c is not Category.VULNERABILITY  # medium or deep by design, so never a gap
        and not any(p.category is c and p.depth is Depth.LIGHT for p in mine)
    ]
    if no_light:
        lines.append(f"  no light prompts in: {', '.join(no_light)}")
    return "\n".join(lines) + "\n"


def _row(label: str, cells: list[str]) -> str:
    return "  " + label.ljust(_WIDTH) + "".join(f"{c:>8}" for c in cells)
