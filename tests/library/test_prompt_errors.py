"""One broken pack per kind of prompt problem, asserting the exact `file:line: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.library.loader import LibraryError, load_library
from tests.library.builders import ACTIVITY, PROMPT, pack, problems, prompt_toml, write

CATEGORIES = (
    "quality_time, curiosity, gratitude, feelings, repair, humor, tech_free, new_things, "
    "support, vulnerability, first_impressions, plans, disagreement, cared_for, memory_lane, "
    "long_distance, family, milestones"
)


def test_toml_syntax_error_reports_its_line(root: Path) -> None:
    text = '[[prompt]]\nid = "humor.x"\ncategory = "humor"\ndepth = light\n'
    assert problems(root, {"humor.toml": text}) == [
        "prompts/humor.toml:4: invalid TOML: invalid value"
    ]


def test_toml_error_at_end_of_document_points_at_last_line(root: Path) -> None:
    text = prompt_toml() + 'follow_up = "never closed\n'
    assert problems(root, {"humor.toml": text}) == [
        "prompts/humor.toml:8: invalid TOML: illegal character '\\n'"
    ]


def test_missing_field_points_at_table_header(root: Path) -> None:
    text = pack(prompt_toml(), prompt_toml(ACTIVITY, text=None))
    assert problems(root, {"humor.toml": text}) == ["prompts/humor.toml:9: missing field 'text'"]


def test_misspelt_field_is_unknown_and_the_real_one_missing(root: Path) -> None:
    text = prompt_toml(category=None, catgory="humor")
    assert problems(root, {"humor.toml": text}) == [
        "prompts/humor.toml:1: missing field 'category'",
        "prompts/humor.toml:7: unknown field 'catgory'",
    ]


def test_unknown_table(root: Path) -> None:
    text = prompt_toml().replace("[[prompt]]", "[[prompts]]")
    assert problems(root, {"humor.toml": text}) == ["prompts/humor.toml:1: unknown table 'prompts'"]


def test_wrong_type(root: Path) -> None:
    text = prompt_toml(ACTIVITY, minutes="20")
    assert problems(root, {"humor.toml": text}) == [
        "prompts/humor.toml:8: 'minutes' must be a whole number"
    ]


def test_unknown_category_lists_allowed_values(root: Path) -> None:
    text = prompt_toml(category="humour")
    assert problems(root, {"humor.toml": text}) == [
        f"prompts/humor.toml:3: unknown category 'humour' (allowed: {CATEGORIES})"
    ]


@pytest.mark.parametrize(
    ("key", "line", "allowed"),
    [
        ("depth", 4, "light, medium, deep"),
        ("kind", 5, "question, activity, reflection, guess, pick"),
        ("audience", 6, "partners, friends, family, circle"),
    ],
)
def test_unknown_enum_value(root: Path, key: str, line: int, allowed: str) -> None:
    value: object = ["partners", "sometimes"] if key == "audience" else "sometimes"
    text = prompt_toml(PROMPT, **{key: value})
    assert problems(root, {"humor.toml": text}) == [
        f"prompts/humor.toml:{line}: unknown {key} 'sometimes' (allowed: {allowed})"
    ]


def test_duplicate_id_across_files_is_reported_at_the_second(root: Path) -> None:
    other = prompt_toml(text="Which comedian could always make your family laugh together?")
    assert problems(root, {"humor.toml": prompt_toml(), "more_humor.toml": other}) == [
        "prompts/more_humor.toml:2: duplicate id 'humor.funniest-memory' "
        "(first at prompts/humor.toml:2)"
    ]


@pytest.mark.parametrize(
    "bad_id", ["Humor.Loud", "humor", "humor.", "humor.two words", "humor.x_y"]
)
def test_invalid_id_format(root: Path, bad_id: str) -> None:
    assert problems(root, {"humor.toml": prompt_toml(id=bad_id)}) == [
        f"prompts/humor.toml:2: invalid id '{bad_id}': use <category>.<slug>, slug of a-z 0-9 -"
    ]


def test_id_category_must_match_prompt_category(root: Path) -> None:
    assert problems(root, {"humor.toml": prompt_toml(id="curiosity.school-laughs")}) == [
        "prompts/humor.toml:2: id 'curiosity.school-laughs' must start with 'humor.'"
    ]


def test_blank_text(root: Path) -> None:
    assert problems(root, {"humor.toml": prompt_toml(text="  \t ")}) == [
        "prompts/humor.toml:7: text is empty"
    ]


def test_text_longer_than_300_characters(root: Path) -> None:
    assert problems(root, {"humor.toml": prompt_toml(text="ha " * 104)}) == [
        "prompts/humor.toml:7: text is 312 characters; the limit is 300"
    ]


def test_text_of_exactly_300_characters_is_fine(root: Path) -> None:
    directory = write(root, {"humor.toml": prompt_toml(text="a" * 300)})
    assert load_library(directory).prompts[0].text == "a" * 300


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("minutes", "missing field 'minutes' (required for activities)"),
        ("follow_up", "missing field 'follow_up' (required for activities)"),
    ],
)
def test_activity_needs_minutes_and_follow_up(root: Path, missing: str, message: str) -> None:
    text = prompt_toml(ACTIVITY, **{missing: None})
    assert problems(root, {"humor.toml": text}) == [f"prompts/humor.toml:1: {message}"]


@pytest.mark.parametrize("minutes", [4, 121, 0])
def test_activity_minutes_out_of_range(root: Path, minutes: int) -> None:
    text = prompt_toml(ACTIVITY, minutes=minutes)
    assert problems(root, {"humor.toml": text}) == [
        f"prompts/humor.toml:8: minutes is {minutes}; it must be 5 to 120"
    ]


def test_activity_follow_up_must_not_be_blank(root: Path) -> None:
    text = prompt_toml(ACTIVITY, follow_up="")
    assert problems(root, {"humor.toml": text}) == ["prompts/humor.toml:9: follow_up is empty"]


def test_minutes_and_follow_up_only_on_activities(root: Path) -> None:
    text = prompt_toml(kind="reflection", minutes=10, follow_up="How was it?")
    assert problems(root, {"humor.toml": text}) == [
        "prompts/humor.toml:8: 'minutes' is only for activities, not a reflection",
        "prompts/humor.toml:9: 'follow_up' is only for activities, not a reflection",
    ]


def test_vulnerability_is_never_light(root: Path) -> None:
    text = prompt_toml(
        id="vulnerability.small-worry",
        category="vulnerability",
        text="What is a small worry you have not said out loud yet?",
    )
    assert problems(root, {"vulnerability.toml": text}) == [
        "prompts/vulnerability.toml:4: vulnerability prompts must be medium or deep, not light"
    ]


def test_identical_text_after_normalisation(root: Path) -> None:
    first = prompt_toml(text="What's your favourite song right now?")
    second = prompt_toml(id="humor.song", text="  whats YOUR favourite song, right now ")
    assert problems(root, {"humor.toml": pack(first, second)}) == [
        "prompts/humor.toml:15: text duplicates 'humor.funniest-memory' (prompts/humor.toml:7)"
    ]


def test_near_duplicate_text_is_reported_at_the_later_prompt(root: Path) -> None:
    # 9 shared words out of 11 distinct: Jaccard 0.82.
    first = prompt_toml(text="What is one small thing that made you smile today?")
    second = prompt_toml(
        id="humor.laugh", text="What is one small thing that made you laugh today?"
    )
    assert problems(root, {"humor.toml": pack(first, second)}) == [
        "prompts/humor.toml:15: text is 81% similar to 'humor.funniest-memory' "
        "(prompts/humor.toml:7)"
    ]


def test_near_duplicates_are_found_across_files(root: Path) -> None:
    first = prompt_toml(text="What is one small thing that made you smile today?")
    second = prompt_toml(
        PROMPT,
        id="curiosity.smile",
        category="curiosity",
        text="What is one small thing that made you smile today?!",
    )
    assert problems(root, {"humor.toml": first, "curiosity.toml": second}) == [
        "prompts/humor.toml:7: text duplicates 'curiosity.smile' (prompts/curiosity.toml:7)"
    ]


def test_pack_without_prompts(root: Path) -> None:
    assert problems(root, {"humor.toml": "# nothing yet\n"}) == [
        "prompts/humor.toml:1: no [[prompt]] tables in this file"
    ]


def test_empty_directory(root: Path) -> None:
    assert problems(root, {}) == ["prompts:0: no prompt packs (*.toml) found"]


def test_missing_directory(root: Path) -> None:
    with pytest.raises(LibraryError) as caught:
        load_library(Path("nowhere"))
    assert [str(p) for p in caught.value.problems] == ["nowhere:0: not a directory"]


def test_not_utf8(root: Path) -> None:
    directory = root / "prompts"
    directory.mkdir()
    (directory / "humor.toml").write_bytes(prompt_toml().encode() + b'\nx = "\xff"\n')
    assert problems(root, {}) == ["prompts/humor.toml:9: file is not UTF-8"]


def test_every_problem_is_reported_sorted_by_file_then_line(root: Path) -> None:
    humor = pack(
        prompt_toml(depth="shallow"),
        prompt_toml(ACTIVITY, minutes=200, audience=None),
    )
    curiosity = prompt_toml(
        id="curiosity.x", category="curiosity", kind="chat", text="Where did you grow up?"
    )
    assert problems(root, {"humor.toml": humor, "curiosity.toml": curiosity}) == [
        "prompts/curiosity.toml:5: unknown kind 'chat' "
        "(allowed: question, activity, reflection, guess, pick)",
        "prompts/humor.toml:4: unknown depth 'shallow' (allowed: light, medium, deep)",
        "prompts/humor.toml:9: missing field 'audience'",
    ]


# The new format (issue 13): audiences, pick options, guess depth, any pack file name --------


@pytest.mark.parametrize(
    ("audience", "message"),
    [
        ([], "audience is empty; list at least one of: partners, friends, family, circle"),
        (["circle", "family", "circle"], "audience lists circle more than once"),
        ("any", '\'audience\' must be a list, e.g. ["partners", "friends"]'),
    ],
)
def test_audience_is_a_list_of_distinct_kinds(root: Path, audience: object, message: str) -> None:
    assert problems(root, {"humor.toml": prompt_toml(audience=audience)}) == [
        f"prompts/humor.toml:6: {message}"
    ]


PICK: dict[str, object] = {
    **PROMPT,
    "id": "humor.sunrise-or-sunset",
    "kind": "pick",
    "text": "Which would you rather wake up to?",
    "options": ["Sunrise", "Sunset"],
}


def test_a_valid_pick_keeps_its_options_in_order(root: Path) -> None:
    library = load_library(write(root, {"humor.toml": prompt_toml(PICK)}))
    assert library.prompts[0].options == ("Sunrise", "Sunset")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (None, "prompts/humor.toml:1: missing field 'options' (required for pick prompts)"),
        (["Only one"], "prompts/humor.toml:8: pick has 1 options; it needs 2 to 4"),
        (["A", "B", "C", "D", "E"], "prompts/humor.toml:8: pick has 5 options; it needs 2 to 4"),
        (["Tea", "tea "], "prompts/humor.toml:8: option 'tea ' appears twice"),
        (["Tea", " "], "prompts/humor.toml:8: an option is empty"),
        (
            ["Tea", "x" * 61],
            "prompts/humor.toml:8: option 'xxxxxxxxxxxxxxxxxxxx…' is 61 characters; "
            "the limit is 60",
        ),
        ("Tea, coffee", 'prompts/humor.toml:8: \'options\' must be a list, e.g. ["Tea", "Coffee"]'),
    ],
)
def test_pick_options_rules(root: Path, options: object, message: str) -> None:
    assert problems(root, {"humor.toml": prompt_toml(PICK, options=options)}) == [message]


def test_pick_option_of_exactly_60_characters_is_fine(root: Path) -> None:
    text = prompt_toml(PICK, options=["Tea", "x" * 60])
    assert load_library(write(root, {"humor.toml": text})).prompts[0].options[1] == "x" * 60


def test_options_only_on_pick_prompts(root: Path) -> None:
    assert problems(root, {"humor.toml": prompt_toml(options=["Tea", "Coffee"])}) == [
        "prompts/humor.toml:8: 'options' is only for pick prompts, not a question"
    ]


def test_guess_is_light_or_medium_only(root: Path) -> None:
    guess = {**PROMPT, "kind": "guess", "text": "What is your go-to comfort food?"}
    assert load_library(write(root, {"humor.toml": prompt_toml(guess, depth="medium")}))
    assert problems(root, {"humor.toml": prompt_toml(guess, depth="deep")}) == [
        "prompts/humor.toml:4: guess prompts are light or medium, not deep"
    ]


def test_any_file_name_but_challenges_may_hold_prompts(root: Path) -> None:
    files = {"for-circles.toml": prompt_toml(), "zz_more.toml": prompt_toml(ACTIVITY)}
    library = load_library(write(root, files))
    assert sorted(p.id for p in library.prompts) == ["humor.blind-drawing", "humor.funniest-memory"]


def test_new_categories_load_and_the_id_prefix_must_match(root: Path) -> None:
    fresh = prompt_toml(
        id="first_impressions.first-thing-noticed",
        category="first_impressions",
        text="What's one small thing you noticed about this server when you joined?",
    )
    library = load_library(write(root, {"mixed.toml": fresh}))
    assert library.prompts[0].category.label == "First impressions"
    wrong = prompt_toml(id="plans.first-thing", category="first_impressions")
    assert problems(root, {"mixed.toml": wrong}) == [
        "prompts/mixed.toml:2: id 'plans.first-thing' must start with 'first_impressions.'"
    ]
