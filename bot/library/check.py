"""`prompts check`: validate a prompts directory and print its problems or a summary of counts."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bot.core.models import Category, Depth
from bot.library.loader import LibraryCounts, LibraryError, library_counts, load_library

EXIT_OK = 0
EXIT_INVALID = 2


def run_check(directory: Path, out: TextIO, err: TextIO) -> int:
    try:
        library = load_library(directory)
    except LibraryError as exc:
        for problem in exc.problems:
            err.write(f"{problem}\n")
        count = len(exc.problems)
        err.write(f"{count} problem{'' if count == 1 else 's'} in {directory}\n")
        return EXIT_INVALID
    out.write(format_counts(library_counts(library)))
    return EXIT_OK


def format_counts(counts: LibraryCounts) -> str:
    width = max(len(c.value) for c in Category)
    header = ["category".ljust(width), *(f"{d.value:>6}" for d in Depth), f"{'total':>6}"]
    lines = ["  ".join(header)]
    totals = dict.fromkeys(Depth, 0)
    for category in Category:
        row = counts.by_category.get(category, {})
        cells = [row.get(d, 0) for d in Depth]
        for depth, n in zip(Depth, cells, strict=True):
            totals[depth] += n
        lines.append(_row(category.value, width, [*cells, sum(cells)]))
    lines.append(_row("all", width, [*totals.values(), sum(totals.values())]))
    lines.append(
        f"prompts {counts.prompts}, categories {counts.categories}, "
        f"activities {counts.activities}, challenges {counts.challenges}"
    )
    return "\n".join(lines) + "\n"


def _row(label: str, width: int, numbers: list[int]) -> str:
    return "  ".join([label.ljust(width), *(f"{n:>6}" for n in numbers)])
