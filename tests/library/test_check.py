"""`run_check`: exit codes and what it prints."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.library.check import run_check
from bot.library.stats import run_stats
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
    assert len(lines) == 21  # header, eighteen categories, totals row, summary


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


def test_stats_show_what_each_relationship_kind_can_receive(root: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_stats(write(root, {"humor.toml": base_pack()}), out, err) == 0
    assert err.getvalue() == ""
    blocks = out.getvalue().split("\n\n")
    # base_pack: a light question and a light activity for everyone, a medium partners-only one.
    partners = blocks[0].splitlines()
    assert partners[0] == "partners: 3 prompts"
    assert partners[1].split() == ["light", "medium", "deep", "total"]
    rows = {line.split()[0]: line.split()[1:] for line in partners[2:] if line.startswith("  ")}
    assert rows["question"] == ["1", "1", "0", "2"]
    assert rows["activity"] == ["1", "0", "0", "1"]
    assert rows["pick"] == ["0", "0", "0", "0"]
    assert rows["all"] == ["2", "1", "0", "3"]
    for block, kind in zip(blocks[1:4], ("friends", "family", "circle"), strict=True):
        lines = block.splitlines()
        assert lines[0] == f"{kind}: 2 prompts"
        assert {line.split()[0]: line.split()[1:] for line in lines[2:]}["question"] == [
            "1",
            "0",
            "0",
            "1",
        ]
    assert "no light prompts in: quality_time, curiosity" in blocks[0]
    assert "vulnerability" not in blocks[0]  # never light by design, so not a gap
    assert "not sent yet" not in out.getvalue()  # every kind has its DM interaction now


def test_stats_of_an_invalid_library_exit_2(root: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_stats(write(root, {"humor.toml": prompt_toml(audience=[])}), out, err) == 2
    assert out.getvalue() == ""
    assert err.getvalue().splitlines()[0] == (
        "prompts/humor.toml:6: audience is empty; list at least one of: "
        "partners, friends, family, circle"
    )


def test_the_command_line_runs_check_and_stats(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    directory = str(write(root, {"humor.toml": base_pack()}))
    assert main(["prompts", "stats", directory]) == 0
    assert capsys.readouterr().out.startswith("partners: 3 prompts\n")
    assert main(["prompts", "check", directory]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("prompts 3,")
