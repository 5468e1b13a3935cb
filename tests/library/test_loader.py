"""A valid library loads into the domain dataclasses; line lookup survives awkward TOML."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import (
    EVERYONE,
    Category,
    Challenge,
    ChallengeDay,
    Depth,
    Kind,
    Library,
    Prompt,
    Relationship,
)
from bot.library.loader import library_counts, load_library
from bot.library.problems import LibraryError, Problem
from bot.library.toml_lines import index_lines, line_of
from tests.library.builders import ACTIVITY, COUPLE, base_pack, problems, prompt_toml, write

CHALLENGES = """\
[[challenge]]
id = "laugh-week"
name = "Laugh Week"
audience = ["partners"]
intro = "Five small laughs."
closing = "Keep laughing."

[[challenge.day]]
title = "A memory"
prompt = "humor.funniest-memory"

[[challenge.day]]
title = "Draw"
prompt = "humor.blind-drawing"

[[challenge.day]]
title = "Nicknames"
prompt = "humor.pet-names"
stand_in = "humor.funniest-memory"

[[challenge.day]]
title = "Anything funny"
category = "humor"

[[challenge.day]]
title = "Something a bit more"
category = "humor"
depth = "medium"
"""


def test_valid_library_loads_into_dataclasses(root: Path) -> None:
    curiosity = prompt_toml(
        id="curiosity.first-job",
        category="curiosity",
        depth="deep",
        kind="reflection",
        text="What did your first job teach you that you still use?",
    )
    files = {"humor.toml": base_pack(), "curiosity.toml": curiosity, "challenges.toml": CHALLENGES}
    library = load_library(write(root, files))

    assert isinstance(library, Library)
    # Packs load in file-name order, prompts in file order.
    assert [p.id for p in library.prompts] == [
        "curiosity.first-job",
        "humor.funniest-memory",
        "humor.blind-drawing",
        "humor.pet-names",
    ]
    assert library.prompt("humor.blind-drawing") == Prompt(
        id="humor.blind-drawing",
        category=Category.HUMOR,
        depth=Depth.LIGHT,
        kind=Kind.ACTIVITY,
        audience=EVERYONE,
        text=str(ACTIVITY["text"]),
        minutes=15,
        follow_up="Whose drawing got the bigger laugh?",
    )
    couple = library.prompt("humor.pet-names")
    assert couple is not None
    assert couple.audience == {Relationship.PARTNERS}
    assert (couple.minutes, couple.follow_up) == (None, None)
    assert couple.text == COUPLE["text"]

    assert library.challenges == (
        Challenge(
            id="laugh-week",
            name="Laugh Week",
            intro="Five small laughs.",
            closing="Keep laughing.",
            audience=frozenset({Relationship.PARTNERS}),
            days=(
                ChallengeDay(day=1, title="A memory", prompt_id="humor.funniest-memory"),
                ChallengeDay(day=2, title="Draw", prompt_id="humor.blind-drawing"),
                ChallengeDay(
                    day=3,
                    title="Nicknames",
                    prompt_id="humor.pet-names",
                    stand_in_id="humor.funniest-memory",
                ),
                ChallengeDay(
                    day=4, title="Anything funny", category=Category.HUMOR, depth=Depth.LIGHT
                ),
                ChallengeDay(
                    day=5,
                    title="Something a bit more",
                    category=Category.HUMOR,
                    depth=Depth.MEDIUM,
                ),
            ),
        ),
    )


def test_challenges_file_is_optional(root: Path) -> None:
    library = load_library(write(root, {"humor.toml": base_pack()}))
    assert (len(library.prompts), library.challenges) == (3, ())


def test_non_toml_files_are_ignored(root: Path) -> None:
    files = {"humor.toml": base_pack(), "README.md": "# notes\n[[prompt]]\n"}
    assert len(load_library(write(root, files)).prompts) == 3


def test_library_counts(root: Path) -> None:
    library = load_library(write(root, {"humor.toml": base_pack(), "challenges.toml": CHALLENGES}))
    counts = library_counts(library)
    assert counts.by_category[Category.HUMOR] == {Depth.LIGHT: 2, Depth.MEDIUM: 1, Depth.DEEP: 0}
    assert counts.by_category[Category.REPAIR] == {Depth.LIGHT: 0, Depth.MEDIUM: 0, Depth.DEEP: 0}
    assert (counts.prompts, counts.categories, counts.activities, counts.challenges) == (3, 1, 1, 1)


def test_problem_and_error_formatting() -> None:
    late = Problem("prompts/b.toml", 3, "text is empty")
    early = Problem("prompts/a.toml", 9, "missing field 'text'")
    error = LibraryError([late, early])
    assert str(late) == "prompts/b.toml:3: text is empty"
    assert error.problems == [early, late]
    assert str(error) == "prompts/a.toml:9: missing field 'text'\nprompts/b.toml:3: text is empty"


def test_comments_blank_lines_and_multiline_strings_keep_lines_right(root: Path) -> None:
    text = '''# Humor pack
# [[prompt]] in a comment is not a table

[[prompt]]   # the first one
id = "humor.funniest-memory"
"category" = "humor"
depth = "light"
kind = "question"
audience = ["partners", "friends"]
text = """
[[prompt]]
depth = "nope"
"""

[[prompt]]
id = "humor.second"
category = "humor"
depth="light"
kind = "question"
audience = [
  "partners",
  "friends",
]
text = """What is a joke you still remember from childhood?"""
follow_up = "x"
'''
    assert problems(root, {"humor.toml": text}) == [
        "prompts/humor.toml:25: 'follow_up' is only for activities, not a question"
    ]


def test_line_of_falls_back_to_the_nearest_table() -> None:
    tree = index_lines('top = 1\n\n[[challenge]]\nid = "a"\n\n[[challenge.day]]\ntitle = "t"\n')
    assert line_of(tree, ("top",)) == 1
    assert line_of(tree, ("challenge", 0, "id")) == 4
    assert line_of(tree, ("challenge", 0, "name")) == 3
    assert line_of(tree, ("challenge", 0, "day", 0, "title")) == 7
    assert line_of(tree, ("challenge", 0, "day", 0, "prompt")) == 6
    assert line_of(tree, ("challenge", 0, "day", 5, "prompt")) == 6
    assert line_of(tree, ("missing",)) == 1
