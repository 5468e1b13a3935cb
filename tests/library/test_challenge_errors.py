"""One broken challenges.toml per kind of challenge problem.

With CHALLENGE's five keys the header is line 1; day n's header is on line 8 + 4 * (n - 1) and
its two keys follow it (see builders.challenge_toml).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import prompts as prompts_module
from bot.core.models import Category, Depth, Relationship
from bot.library.loader import load_library
from tests.library.builders import (
    CATEGORY_DAY,
    CHALLENGE,
    COUPLE,
    PROMPT,
    Fields,
    base_pack,
    challenge_toml,
    pack,
    problems,
    prompt_toml,
    write,
)

FIVE_DAYS: list[Fields] = [CATEGORY_DAY] * 5


def check(root: Path, challenges: str) -> list[str]:
    return problems(root, {"humor.toml": base_pack(), "challenges.toml": challenges})


def test_missing_challenge_field(root: Path) -> None:
    assert check(root, challenge_toml(FIVE_DAYS, closing=None)) == [
        "prompts/challenges.toml:1: missing field 'closing'"
    ]


def test_unknown_challenge_and_day_fields(root: Path) -> None:
    days: list[Fields] = [{**CATEGORY_DAY, "tittle": "x"}, *FIVE_DAYS[1:]]
    assert check(root, challenge_toml(days, colour="blue")) == [
        "prompts/challenges.toml:7: unknown field 'colour'",
        "prompts/challenges.toml:12: unknown field 'tittle'",
    ]


def test_day_missing_title(root: Path) -> None:
    days: list[Fields] = [*FIVE_DAYS[:2], {"category": "humor"}, *FIVE_DAYS[3:]]
    assert check(root, challenge_toml(days)) == [
        "prompts/challenges.toml:16: missing field 'title'"
    ]


def test_too_few_days(root: Path) -> None:
    assert check(root, challenge_toml(FIVE_DAYS[:4])) == [
        "prompts/challenges.toml:1: challenge has 4 days; it needs 5 to 7"
    ]


def test_too_many_days(root: Path) -> None:
    assert check(root, challenge_toml([CATEGORY_DAY] * 8)) == [
        "prompts/challenges.toml:1: challenge has 8 days; it needs 5 to 7"
    ]


def test_no_days(root: Path) -> None:
    assert check(root, challenge_toml([])) == [
        "prompts/challenges.toml:1: challenge has 0 days; it needs 5 to 7"
    ]


def test_day_with_both_prompt_and_category(root: Path) -> None:
    both = {**CATEGORY_DAY, "prompt": "humor.funniest-memory"}
    assert check(root, challenge_toml([both, *FIVE_DAYS[1:]])) == [
        "prompts/challenges.toml:8: day 1 has both 'prompt' and 'category'; use one"
    ]


def test_day_with_neither_prompt_nor_category(root: Path) -> None:
    days: list[Fields] = [*FIVE_DAYS[:4], {"title": "Free day"}]
    assert check(root, challenge_toml(days)) == [
        "prompts/challenges.toml:24: day 5 needs a 'prompt' or a 'category'"
    ]


def test_day_pointing_at_a_missing_prompt(root: Path) -> None:
    days: list[Fields] = [{"title": "Gone", "prompt": "humor.no-such-thing"}, *FIVE_DAYS[1:]]
    assert check(root, challenge_toml(days)) == [
        "prompts/challenges.toml:10: day 1: unknown prompt 'humor.no-such-thing'"
    ]


def test_day_unknown_category(root: Path) -> None:
    days: list[Fields] = [{"title": "Odd", "category": "jokes"}, *FIVE_DAYS[1:]]
    message = (
        "unknown category 'jokes' (allowed: quality_time, curiosity, gratitude, feelings, repair, "
        "humor, tech_free, new_things, support, vulnerability, first_impressions, plans, "
        "disagreement, cared_for, memory_lane, long_distance, family, milestones)"
    )
    assert check(root, challenge_toml(days)) == [f"prompts/challenges.toml:10: {message}"]


def test_day_unknown_depth(root: Path) -> None:
    days: list[Fields] = [*FIVE_DAYS[:1], {**CATEGORY_DAY, "depth": "abyss"}, *FIVE_DAYS[2:]]
    assert check(root, challenge_toml(days)) == [
        "prompts/challenges.toml:15: unknown depth 'abyss' (allowed: light, medium, deep)"
    ]


def test_depth_without_category(root: Path) -> None:
    day = {"title": "A memory", "prompt": "humor.funniest-memory", "depth": "light"}
    assert check(root, challenge_toml([day, *FIVE_DAYS[1:]])) == [
        "prompts/challenges.toml:11: day 1: 'depth' only goes with 'category'"
    ]


def test_category_day_with_no_prompts_to_offer(root: Path) -> None:
    days: list[Fields] = [{"title": "Feelings", "category": "feelings"}, *FIVE_DAYS[1:]]
    assert check(root, challenge_toml(days)) == [
        "prompts/challenges.toml:10: day 1: no light prompts in 'feelings' "
        "for partners, friends, family, circle"
    ]


def test_category_day_needs_light_prompts_for_every_kind_of_the_week(root: Path) -> None:
    support = prompt_toml(
        COUPLE,
        id="support.hold-hands",
        category="support",
        depth="light",
        text="After a hard day, would holding hands for a minute help you settle?",
    )
    days: list[Fields] = [*FIVE_DAYS[:4], {"title": "Support", "category": "support"}]
    files = {"humor.toml": base_pack(), "support.toml": support}
    assert problems(root, {**files, "challenges.toml": challenge_toml(days)}) == [
        "prompts/challenges.toml:26: day 5: no light prompts in 'support' "
        "for friends, family, circle"
    ]
    partners_week = challenge_toml(days, audience=["partners"])
    library = load_library(write(root, {**files, "challenges.toml": partners_week}))
    assert library.challenges[0].days[4].category is Category.SUPPORT
    assert library.challenges[0].audience == {Relationship.PARTNERS}


def test_category_day_only_medium_prompts_is_refused(root: Path) -> None:
    """Medium prompts don't reach a new pair, so a day naming only them can't be delivered."""
    medium = prompt_toml(
        PROMPT,
        id="support.medium-only",
        category="support",
        depth="medium",
        text="What kind of help is hardest for you to accept?",
    )
    days: list[Fields] = [*FIVE_DAYS[:4], {"title": "Support", "category": "support"}]
    files = {"humor.toml": base_pack(), "support.toml": medium}
    assert problems(root, {**files, "challenges.toml": challenge_toml(days)}) == [
        "prompts/challenges.toml:26: day 5: no light prompts in 'support' "
        "for partners, friends, family, circle"
    ]


def test_deeper_category_day_may_use_lighter_prompts(root: Path) -> None:
    days: list[Fields] = [
        {"title": "Deep laughs", "category": "humor", "depth": "deep"},
        *FIVE_DAYS[1:],
    ]
    files = {"humor.toml": base_pack(), "challenges.toml": challenge_toml(days)}
    assert load_library(write(root, files)).challenges[0].days[0].depth is Depth.DEEP


def test_duplicate_challenge_id(root: Path) -> None:
    text = challenge_toml(FIVE_DAYS) + "\n" + challenge_toml(FIVE_DAYS)
    # The second challenge starts on line 28 (first one: 6 lines + 5 days of 4).
    assert check(root, text) == [
        "prompts/challenges.toml:29: duplicate challenge id 'laugh-week' "
        "(first at prompts/challenges.toml:2)"
    ]


def test_invalid_challenge_id(root: Path) -> None:
    assert check(root, challenge_toml(FIVE_DAYS, id="Laugh Week")) == [
        "prompts/challenges.toml:2: invalid challenge id 'Laugh Week': use a-z, 0-9, - and _"
    ]


def test_partners_prompt_in_a_week_for_everyone(root: Path) -> None:
    days: list[Fields] = [
        {"title": "Nicknames", "prompt": "humor.pet-names", "stand_in": "humor.light-partners"},
        *FIVE_DAYS[1:],
    ]
    light = prompt_toml(
        COUPLE, id="humor.light-partners", depth="light", text="Which song makes you both dance?"
    )
    files = {"humor.toml": pack(base_pack(), light), "challenges.toml": challenge_toml(days)}
    assert problems(root, files) == [
        "prompts/challenges.toml:10: day 1: 'humor.pet-names' is not for friends, family, "
        "circle, who this week is for",
        "prompts/challenges.toml:11: day 1: stand-in 'humor.light-partners' is not for "
        "friends, family, circle, who this week is for",
    ]


def test_partners_prompt_with_a_light_stand_in_in_a_partners_week_is_fine(root: Path) -> None:
    days: list[Fields] = [
        {"title": "Nicknames", "prompt": "humor.pet-names", "stand_in": "humor.funniest-memory"},
        *FIVE_DAYS[1:],
    ]
    week = challenge_toml(days, audience=["partners"])
    library = load_library(write(root, {"humor.toml": base_pack(), "challenges.toml": week}))
    day = library.challenges[0].days[0]
    assert (day.prompt_id, day.stand_in_id) == ("humor.pet-names", "humor.funniest-memory")


def test_a_medium_prompt_day_needs_a_stand_in(root: Path) -> None:
    days: list[Fields] = [{"title": "Nicknames", "prompt": "humor.pet-names"}, *FIVE_DAYS[1:]]
    week = challenge_toml(days, audience=["partners"])
    assert check(root, week) == [
        "prompts/challenges.toml:10: day 1: 'humor.pet-names' is medium, so a new pair can't "
        'get it yet; add stand_in = "<a light humor prompt id>" that fits the title'
    ]


@pytest.mark.parametrize(
    ("stand_in", "extra", "message"),
    [
        ("humor.nowhere", "", "day 1: unknown stand-in 'humor.nowhere'"),
        (
            "support.light-one",
            "support",
            "day 1: stand-in 'support.light-one' is support, not humor",
        ),
        (
            "humor.medium-one",
            "medium",
            "day 1: stand-in 'humor.medium-one' must be light, not medium",
        ),
        ("humor.pick-one", "pick", "day 1: stand-in 'humor.pick-one' must be light, not pick"),
    ],
)
def test_stand_in_must_be_a_known_light_prompt_of_the_same_category(
    root: Path, stand_in: str, extra: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pick is a kind Closer can switch off; with it off, a pick can't stand in.
    monkeypatch.setattr(prompts_module, "GUESS_AND_PICK_ENABLED", False)
    others = {
        "support": prompt_toml(
            PROMPT, id="support.light-one", category="support", text="What small thing cheers you?"
        ),
        "medium": prompt_toml(
            PROMPT,
            id="humor.medium-one",
            depth="medium",
            text="Who is the funniest person you know?",
        ),
        "pick": prompt_toml(
            PROMPT,
            id="humor.pick-one",
            kind="pick",
            text="Which would you rather watch tonight?",
            options=["A comedy", "A cartoon"],
        ),
    }
    days: list[Fields] = [
        {"title": "Nicknames", "prompt": "humor.pet-names", "stand_in": stand_in},
        *FIVE_DAYS[1:],
    ]
    files = {
        "humor.toml": pack(base_pack(), others.get(extra, "")),
        "challenges.toml": challenge_toml(days, audience=["partners"]),
    }
    assert problems(root, files) == [f"prompts/challenges.toml:11: {message}"]


def test_stand_in_only_goes_with_a_prompt(root: Path) -> None:
    days: list[Fields] = [{**CATEGORY_DAY, "stand_in": "humor.funniest-memory"}, *FIVE_DAYS[1:]]
    assert check(root, challenge_toml(days)) == [
        "prompts/challenges.toml:11: day 1: 'stand_in' only goes with 'prompt'"
    ]


def test_a_pick_prompt_day_needs_a_stand_in_while_picks_are_switched_off(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pick = prompt_toml(
        PROMPT,
        id="humor.pick-one",
        kind="pick",
        text="Which would you rather watch tonight?",
        options=["A comedy", "A cartoon"],
    )
    days: list[Fields] = [{"title": "Choose", "prompt": "humor.pick-one"}, *FIVE_DAYS[1:]]
    files = {"humor.toml": pack(base_pack(), pick), "challenges.toml": challenge_toml(days)}
    # Picks are sent: a light pick is a day on its own.
    assert load_library(write(root, files)).challenges[0].days[0].prompt_id == "humor.pick-one"
    monkeypatch.setattr(prompts_module, "GUESS_AND_PICK_ENABLED", False)
    assert problems(root, files) == [
        "prompts/challenges.toml:10: day 1: 'humor.pick-one' is a pick, so a new pair can't "
        'get it yet; add stand_in = "<a light humor prompt id>" that fits the title'
    ]


@pytest.mark.parametrize(
    ("audience", "message"),
    [
        ([], "audience is empty; list at least one of: partners, friends, family, circle"),
        (["friends", "friends"], "audience lists friends more than once"),
        ("any", 'audience\' must be a list, e.g. ["partners", "friends"]'),
    ],
)
def test_challenge_audience_is_a_list_of_kinds(root: Path, audience: object, message: str) -> None:
    text = challenge_toml(FIVE_DAYS, audience=audience)
    assert [p.split(": ", 1)[1].lstrip("'") for p in check(root, text)] == [message.lstrip("'")]


def test_challenge_problems_are_all_reported(root: Path) -> None:
    # Days of an invalid challenge are still validated; cross-checks need a valid challenge.
    days: list[Fields] = [
        {"title": "Gone", "prompt": "humor.missing"},
        {"title": "Free day"},
        {**CATEGORY_DAY, "depth": "abyss"},
    ]
    text = pack(challenge_toml(days, audience=["pals"]), challenge_toml(FIVE_DAYS, intro=" "))
    assert check(root, text) == [
        "prompts/challenges.toml:4: unknown audience 'pals' "
        "(allowed: partners, friends, family, circle)",
        "prompts/challenges.toml:18: unknown depth 'abyss' (allowed: light, medium, deep)",
        "prompts/challenges.toml:24: intro is empty",
    ]


def test_unchanged_base_challenge_is_valid(root: Path) -> None:
    files = {"humor.toml": base_pack(), "challenges.toml": challenge_toml(FIVE_DAYS)}
    assert load_library(write(root, files)).challenges[0].id == CHALLENGE["id"]
