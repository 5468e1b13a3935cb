"""`run_check`: exit codes and what it prints."""

from __future__ import annotations

import io
from pathlib import Path

from bot.library.check import run_check
from tests.library.builders import ACTIVITY, base_pack, prompt_toml, write


def test_valid_library_prints_counts_and_exits_0(root: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_check(write(root, {"humor.toml": base_pack()}), out, err) == 0
    assert err.getvalue() == ""
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["category", "light", "medium", "deep", "total"]
    rows = {line.split()[0]: line.split()[1:] for line in lines}
    assert rows["humor"] == ["2", "1", "0", "3"]
    assert rows["repair"] == ["0", "0", "0", "0"]
    assert lines[-2].split() == ["all", "2", "1", "0", "3"]
    assert lines[-1] == "prompts 3, categories 1, activities 1, challenges 0"
    assert len(lines) == 13  # header, ten categories, totals row, summary


def test_invalid_library_prints_problems_and_exits_2(root: Path) -> None:
    text = "\n".join([prompt_toml(text=""), prompt_toml(ACTIVITY, minutes=3)])
    out, err = io.StringIO(), io.StringIO()
    assert run_check(write(root, {"humor.toml": text}), out, err) == 2
    assert out.getvalue() == ""
    assert err.getvalue().splitlines() == [
        "prompts/humor.toml:7: text is empty",
        "prompts/humor.toml:16: minutes is 3; it must be 5 to 120",
        "2 problems in prompts",
    ]


def test_missing_directory_exits_2(root: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_check(Path("nowhere"), out, err) == 2
    assert err.getvalue().splitlines() == ["nowhere:0: not a directory", "1 problem in nowhere"]
