"""Custom ids: one definition per kind, so ids on old messages keep routing after an upgrade."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cogs.closeness import ClosenessButton
from bot.cogs.components import DYNAMIC_ITEMS
from bot.ui import custom_ids as ids

SNOWFLAKE = 1234567890123456789  # 19 digits, as Discord's ids are today
BIGGEST = 10**19 - 1

# Ids exactly as the f-strings before `bot.ui.custom_ids` built them: buttons already sent carry
# these, so each must still parse to the same thing and encode back byte for byte.
TODAY: list[tuple[str, ids.CustomId]] = [
    (f"closer:invite:accept:12:{SNOWFLAKE}", ids.InviteId("accept", 12, SNOWFLAKE)),
    (f"closer:invite:decline:12:{SNOWFLAKE}", ids.InviteId("decline", 12, SNOWFLAKE)),
    (f"closer:prompt:answer:345:{SNOWFLAKE}", ids.PromptId("answer", 345, SNOWFLAKE)),
    (f"closer:prompt:notnow:345:{SNOWFLAKE}", ids.PromptId("notnow", 345, SNOWFLAKE)),
    (f"closer:feeling:345:{SNOWFLAKE}", ids.FeelingId(345, SNOWFLAKE)),
    (f"closer:pick:345:{SNOWFLAKE}", ids.PickId(345, SNOWFLAKE)),
    (f"closer:deeper:yes:7:{SNOWFLAKE}:deep", ids.DeeperId("yes", 7, SNOWFLAKE, "deep")),
    (
        f"closer:relationship:decline:7:{SNOWFLAKE - 1}:family:{SNOWFLAKE}",
        ids.RelationshipId("decline", 7, SNOWFLAKE - 1, "family", SNOWFLAKE),
    ),
    (f"closer:confirm:forget:no:0:{SNOWFLAKE}", ids.ConfirmId("forget", "no", 0, SNOWFLAKE)),
    (
        f"closer:confirm:replace:yes:3:{SNOWFLAKE}:p_quality-time-week",
        ids.ConfirmId("replace", "yes", 3, SNOWFLAKE, "p_quality-time-week"),
    ),
    (f"closer:pace:pause:7:{SNOWFLAKE}", ids.PaceId("pause", 7, SNOWFLAKE)),
    (f"closer:history:prev:0:{SNOWFLAKE}", ids.HistoryId("prev", 0, SNOWFLAKE)),
    (
        f"closer:choose:{SNOWFLAKE}:345:{SNOWFLAKE - 2}:1764403200",
        ids.ChooseId(SNOWFLAKE, 345, SNOWFLAKE - 2, 1764403200),
    ),
    (f"closer:closeness:7:9:{SNOWFLAKE}", ids.ClosenessId("7", 9, SNOWFLAKE)),
    (f"closer:closeness:off:9:{SNOWFLAKE}", ids.ClosenessId("off", 9, SNOWFLAKE)),
    (f"closer:answer:5:{SNOWFLAKE}", ids.AnswerModalId(5, SNOWFLAKE)),
    (f"closer:answer:5:{SNOWFLAKE}:calm", ids.AnswerModalId(5, SNOWFLAKE, "calm")),
    (f"closer:pickwhy:5:{SNOWFLAKE}:3", ids.PickWhyId(5, SNOWFLAKE, 3)),
]

ROUTED = (*DYNAMIC_ITEMS, ClosenessButton)


@pytest.mark.parametrize(("text", "expected"), TODAY, ids=[t for t, _ in TODAY])
def test_todays_ids_parse_and_encode_byte_for_byte(text: str, expected: ids.CustomId) -> None:
    assert type(expected).parse(text) == expected
    assert expected.encode() == text


@pytest.mark.parametrize(("text", "expected"), TODAY, ids=[t for t, _ in TODAY])
def test_todays_ids_route_to_exactly_one_kind(text: str, expected: ids.CustomId) -> None:
    assert [k for k in ids.ALL_KINDS if k.parse(text) is not None] == [type(expected)]
    # discord.py full-matches each DynamicItem's template: modals are routed by parse instead.
    routed = [c for c in ROUTED if c.__discord_ui_compiled_template__.fullmatch(text)]
    if type(expected) in (ids.AnswerModalId, ids.PickWhyId):
        assert routed == []
    else:
        assert len(routed) == 1


def test_every_button_routes_by_its_kinds_template() -> None:
    templates = {c.__discord_ui_compiled_template__.pattern for c in ROUTED}
    kinds = {k.template() for k in ids.ALL_KINDS if k not in (ids.AnswerModalId, ids.PickWhyId)}
    assert templates == kinds


ints = st.integers(min_value=0, max_value=BIGGEST)


def literal(alias: Any) -> st.SearchStrategy[Any]:
    return st.from_type(alias)


STRATEGIES: dict[type[ids.CustomId], st.SearchStrategy[ids.CustomId]] = {
    ids.InviteId: st.builds(ids.InviteId, literal(ids.InviteAction), ints, ints),
    ids.PromptId: st.builds(ids.PromptId, literal(ids.PromptAction), ints, ints),
    ids.FeelingId: st.builds(ids.FeelingId, ints, ints),
    ids.PickId: st.builds(ids.PickId, ints, ints),
    ids.DeeperId: st.builds(ids.DeeperId, literal(ids.YesNo), ints, ints, literal(ids.DeeperDepth)),
    ids.RelationshipId: st.builds(
        ids.RelationshipId,
        literal(ids.InviteAction),
        ints,
        ints,
        literal(ids.RelationshipKind),
        ints,
    ),
    ids.ConfirmId: st.builds(
        ids.ConfirmId,
        literal(ids.ConfirmWhat),
        literal(ids.YesNo),
        ints,
        ints,
        st.from_regex(r"[a-z0-9_-]{0,33}", fullmatch=True),
    ),
    ids.PaceId: st.builds(ids.PaceId, literal(ids.PaceChoice), ints, ints),
    ids.HistoryId: st.builds(ids.HistoryId, literal(ids.HistoryDirection), ints, ints),
    ids.ChooseId: st.builds(ids.ChooseId, ints, ints, ints, ints),
    ids.ClosenessId: st.builds(ids.ClosenessId, literal(ids.ClosenessChoice), ints, ints),
    ids.AnswerModalId: st.builds(
        ids.AnswerModalId, ints, ints, st.none() | st.from_regex(r"[a-z]{1,20}", fullmatch=True)
    ),
    ids.PickWhyId: st.builds(ids.PickWhyId, ints, ints, st.integers(0, 9)),
}


def test_every_kind_has_a_strategy() -> None:
    assert set(STRATEGIES) == set(ids.ALL_KINDS)


@given(st.one_of(*STRATEGIES.values()))
def test_round_trip(value: ids.CustomId) -> None:
    text = value.encode()
    assert len(text) <= ids.MAX_LENGTH
    assert type(value).parse(text) == value
    assert [k for k in ids.ALL_KINDS if k.parse(text) is not None] == [type(value)]


# The longest id each kind makes: every number 19 digits, every choice its longest word.
LONGEST: list[ids.CustomId] = [
    ids.InviteId("decline", BIGGEST, BIGGEST),
    ids.PromptId("notnow", BIGGEST, BIGGEST),
    ids.FeelingId(BIGGEST, BIGGEST),
    ids.PickId(BIGGEST, BIGGEST),
    ids.DeeperId("yes", BIGGEST, BIGGEST, "medium"),
    ids.RelationshipId("decline", BIGGEST, BIGGEST, "partners", BIGGEST),
    ids.ConfirmId("replace", "yes", BIGGEST, BIGGEST, "p_" + "x" * 31),
    ids.PaceId("weekly", BIGGEST, BIGGEST),
    ids.HistoryId("prev", BIGGEST, BIGGEST),
    ids.ChooseId(BIGGEST, BIGGEST, BIGGEST, BIGGEST),
    ids.ClosenessId("skip", BIGGEST, BIGGEST),
    ids.AnswerModalId(BIGGEST, BIGGEST, "disappointed"),
    ids.PickWhyId(BIGGEST, BIGGEST, 9),
]


@pytest.mark.parametrize("value", LONGEST, ids=lambda v: type(v).__name__)
def test_ids_with_19_digit_snowflakes_fit_discords_limit(value: ids.CustomId) -> None:
    assert len(value.encode()) <= ids.MAX_LENGTH


def test_every_kind_has_a_longest_case() -> None:
    assert {type(v) for v in LONGEST} == set(ids.ALL_KINDS)


def test_every_themed_week_fits_its_replace_confirmation() -> None:
    # The challenge cog puts "p_<theme id>" / "c_<theme id>" in a confirm id's extra part.
    table = tomllib.loads((Path(__file__).parents[2] / "prompts" / "challenges.toml").read_text())
    themes = [str(entry["id"]) for entry in table["challenge"]]
    assert themes
    for theme in themes:
        for extra in (f"p_{theme}", f"c_{theme}"):
            text = ids.ConfirmId("replace", "yes", BIGGEST, BIGGEST, extra).encode()
            assert ids.ConfirmId.parse(text) == ids.ConfirmId(
                "replace", "yes", BIGGEST, BIGGEST, extra
            )


GOOD = f"closer:prompt:answer:345:{SNOWFLAKE}"
BAD = [
    "",
    f"closr:prompt:answer:345:{SNOWFLAKE}",  # wrong prefix
    f"other:prompt:answer:345:{SNOWFLAKE}",
    f"closer:prompts:answer:345:{SNOWFLAKE}",  # wrong kind
    f"closer:prompt:answer:34a:{SNOWFLAKE}",  # non-digits
    f"closer:prompt:answer:-345:{SNOWFLAKE}",
    f"closer:prompt:answer::{SNOWFLAKE}",
    f"closer:prompt:answer:\u0663\u0664:{SNOWFLAKE}",  # digits, but not ASCII ones
    f"closer:prompt:dance:345:{SNOWFLAKE}",  # unknown action
    f"closer:prompt:Answer:345:{SNOWFLAKE}",
    f"closer:prompt:answer:345:{SNOWFLAKE}:9",  # extra parts
    f"closer:prompt:answer:345:{SNOWFLAKE}:",
    f"closer:prompt:answer:345:{SNOWFLAKE}\n",
    f" closer:prompt:answer:345:{SNOWFLAKE}",
    "closer:prompt:answer:345",  # missing part
    "closer:prompt:answer:345:" + "1" * 80,  # over 100 characters
]


def test_the_good_id_parses() -> None:
    assert ids.PromptId.parse(GOOD) == ids.PromptId("answer", 345, SNOWFLAKE)


@pytest.mark.parametrize("text", BAD)
def test_bad_ids_are_refused_by_every_kind(text: str) -> None:
    assert [k for k in ids.ALL_KINDS if k.parse(text) is not None] == []


@pytest.mark.parametrize(
    "text",
    [
        f"closer:confirm:end:yes:1:{SNOWFLAKE}:Bad",  # extra outside its alphabet
        f"closer:confirm:end:maybe:1:{SNOWFLAKE}",
        f"closer:answer:5:{SNOWFLAKE}:calm:calm",
        f"closer:answer:5:{SNOWFLAKE}:",
        f"closer:pickwhy:5:{SNOWFLAKE}:10",  # one digit only
        f"closer:closeness:8:9:{SNOWFLAKE}",
        f"closer:deeper:yes:7:{SNOWFLAKE}:light",
        f"closer:relationship:accept:7:1:circle:{SNOWFLAKE}",
    ],
)
def test_bad_optional_and_bounded_parts_are_refused(text: str) -> None:
    assert [k for k in ids.ALL_KINDS if k.parse(text) is not None] == []


@pytest.mark.parametrize(
    "value",
    [
        ids.PromptId("dance", 1, 2),  # type: ignore[arg-type]
        ids.PromptId("answer", -1, 2),
        ids.PickWhyId(1, 2, 10),
        ids.AnswerModalId(1, 2, "Calm!"),
        ids.ConfirmId("end", "yes", 1, 2, "a:b"),
        ids.ChooseId(10**30, 10**30, 10**30, 10**30),  # over 100 characters
    ],
    ids=repr,
)
def test_encode_refuses_what_parse_would_not_read_back(value: ids.CustomId) -> None:
    with pytest.raises(ValueError, match="custom_id"):
        value.encode()
