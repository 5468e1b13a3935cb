"""View specs: the typed union in code, the same JSON in the delivery row as before.

A message queued before an upgrade keeps its view spec as the older code wrote it; these are
such specs, byte for byte, and the buttons that code put on them.
"""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cogs.components import build_view, stored_view
from bot.ui import payload as p

U = 12  # the member the buttons are for

# (the JSON the delivery row holds, each action row's (custom_id, label or placeholder))
Rows = list[list[tuple[str, str]]]
OLD: list[tuple[str, Rows]] = [
    (
        f'{{"kind": "prompt", "instance": 345, "user": {U}, "activity": false, "feelings": false}}',
        [
            [
                (f"closer:prompt:answer:345:{U}", "Answer"),
                (f"closer:prompt:skip:345:{U}", "Skip"),
                (f"closer:prompt:later:345:{U}", "Later"),
            ]
        ],
    ),
    (
        f'{{"kind": "prompt", "instance": 345, "user": {U}, "activity": true, "feelings": false, '
        '"start": true}',
        [
            [
                (f"closer:prompt:start:345:{U}", "Start"),
                (f"closer:prompt:done:345:{U}", "We did it"),
                (f"closer:prompt:notnow:345:{U}", "Not this time"),
                (f"closer:prompt:later:345:{U}", "Later"),
            ]
        ],
    ),
    (
        f'{{"kind": "prompt", "instance": 345, "user": {U}, "activity": false, "feelings": true}}',
        [
            [
                (f"closer:prompt:answer:345:{U}", "Answer"),
                (f"closer:prompt:skip:345:{U}", "Skip"),
                (f"closer:prompt:later:345:{U}", "Later"),
            ],
            [(f"closer:feeling:345:{U}", "Pick a feeling word (optional)")],
        ],
    ),
    (
        f'{{"kind": "prompt", "instance": 345, "user": {U}, "activity": false, "feelings": false, '
        '"options": ["Tea", "Coffee"]}',
        [
            [(f"closer:pick:345:{U}", "Pick one")],
            [(f"closer:prompt:skip:345:{U}", "Skip"), (f"closer:prompt:later:345:{U}", "Later")],
        ],
    ),
    (
        f'{{"kind": "answer", "instance": 345, "user": {U}}}',
        [[(f"closer:prompt:answer:345:{U}", "Answer")]],
    ),
    (
        f'{{"kind": "saved", "instance": 345, "user": {U}, "reflection": true}}',
        [[(f"closer:prompt:edit:345:{U}", "Edit"), (f"closer:prompt:share:345:{U}", "Share")]],
    ),
    (
        f'{{"kind": "saved", "instance": 345, "user": {U}}}',
        [[(f"closer:prompt:edit:345:{U}", "Edit")]],
    ),
    (
        f'{{"kind": "share", "instance": 345, "user": {U}}}',
        [[(f"closer:prompt:share:345:{U}", "Share")]],
    ),
    (
        f'{{"kind": "start", "instance": 345, "user": {U}}}',
        [[(f"closer:prompt:start:345:{U}", "Start")]],
    ),
    (
        f'{{"kind": "invite", "invite": 9, "user": {U}}}',
        [[(f"closer:invite:accept:9:{U}", "Accept"), (f"closer:invite:decline:9:{U}", "Decline")]],
    ),
    (
        f'{{"kind": "deeper", "pair": 7, "user": {U}, "depth": "deep"}}',
        [
            [
                (f"closer:deeper:yes:7:{U}:deep", "Yes, a little deeper"),
                (f"closer:deeper:no:7:{U}:deep", "Not yet"),
            ]
        ],
    ),
    (
        f'{{"kind": "relationship", "pair": 7, "user": {U}, "proposer": 11, '
        '"relationship": "family"}',
        [
            [
                (f"closer:relationship:accept:7:11:family:{U}", "Accept"),
                (f"closer:relationship:decline:7:11:family:{U}", "Decline"),
            ]
        ],
    ),
    (
        f'{{"kind": "pace", "pair": 7, "user": {U}}}',
        [
            [
                (f"closer:pace:weekly:7:{U}", "Weekly instead"),
                (f"closer:pace:pause:7:{U}", "Pause two weeks"),
                (f"closer:pace:keep:7:{U}", "Keep going"),
            ]
        ],
    ),
    (
        f'{{"kind": "closeness", "pair": 7, "user": {U}, "switch": "on"}}',
        [
            [(f"closer:closeness:{n}:7:{U}", str(n)) for n in (1, 2, 3, 4)],
            [(f"closer:closeness:{n}:7:{U}", str(n)) for n in (5, 6, 7)],
            [
                (f"closer:closeness:skip:7:{U}", "Skip"),
                (f"closer:closeness:on:7:{U}", "Turn them on"),
            ],
        ],
    ),
    (
        f'{{"kind": "closeness", "pair": 7, "user": {U}}}',
        [
            [(f"closer:closeness:{n}:7:{U}", str(n)) for n in (1, 2, 3, 4)],
            [(f"closer:closeness:{n}:7:{U}", str(n)) for n in (5, 6, 7)],
            [(f"closer:closeness:skip:7:{U}", "Skip")],
        ],
    ),
]


def rows(view: Any) -> Rows:
    shown = [
        [(c["custom_id"], c.get("label") or c.get("placeholder")) for c in row["components"]]
        for row in view.to_components()
    ]
    view.stop()
    return shown


@pytest.mark.parametrize(("text", "expected"), OLD, ids=[t for t, _ in OLD])
async def test_a_spec_stored_by_older_code_gets_the_same_buttons(text: str, expected: Rows) -> None:
    message: p.MessagePayload = {"content": "hi", "view": json.loads(text)}
    assert rows(stored_view(message)) == expected


@pytest.mark.parametrize(("text", "expected"), OLD, ids=[t for t, _ in OLD])
def test_todays_specs_store_the_same_json_as_before(text: str, expected: Rows) -> None:
    spec = p.parse_view(json.loads(text))
    assert spec is not None
    assert p.stored(spec) == json.loads(text)


async def test_missing_or_unknown_fields_read_as_the_old_defaults() -> None:
    assert p.parse_view({"kind": "deeper", "pair": 7, "user": U}) == p.DeeperView(U, 7, "medium")
    assert p.parse_view(
        {"kind": "relationship", "pair": 7, "user": U, "proposer": 1, "relationship": "circle"}
    ) == p.RelationshipView(U, 7, 1, "friends")
    assert p.parse_view({"kind": "closeness", "pair": 7, "user": U, "switch": "sideways"}) == (
        p.ClosenessView(U, 7)
    )
    assert p.parse_view({"kind": "answer"}) == p.AnswerView(0, 0)


async def test_a_kind_this_version_does_not_know_has_no_buttons() -> None:
    assert p.parse_view({"kind": "tomorrow", "user": U}) is None
    assert p.parse_view({"user": U}) is None
    assert stored_view({"content": "hi", "view": {"kind": "tomorrow"}}) is None
    assert stored_view({"content": "no buttons"}) is None


ints = st.integers(min_value=0, max_value=10**19 - 1)
words = st.text(min_size=1, max_size=20)
SPECS: st.SearchStrategy[p.ViewSpec] = st.one_of(
    st.builds(
        p.PromptView,
        ints,
        ints,
        st.booleans(),
        st.booleans(),
        st.booleans(),
        st.lists(words, max_size=5).map(tuple),
    ),
    st.builds(p.AnswerView, ints, ints),
    st.builds(p.SavedView, ints, ints, st.booleans()),
    st.builds(p.ShareView, ints, ints),
    st.builds(p.StartView, ints, ints),
    st.builds(p.InviteView, ints, ints),
    st.builds(p.DeeperView, ints, ints, st.sampled_from(["medium", "deep"])),
    st.builds(
        p.RelationshipView, ints, ints, ints, st.sampled_from(["partners", "friends", "family"])
    ),
    st.builds(p.PaceView, ints, ints),
    st.builds(p.ClosenessView, ints, ints, st.sampled_from([None, "off", "on"])),
)


def test_every_kind_in_the_union_is_read_back_by_its_name() -> None:
    assert set(get_args(p.ViewSpec)) == set(p.KINDS.values())
    assert all(p.KINDS[cls.KIND] is cls for cls in get_args(p.ViewSpec))


@given(SPECS)
def test_a_spec_survives_the_delivery_row(spec: p.ViewSpec) -> None:
    row = json.dumps(p.stored(spec))
    assert p.parse_view(json.loads(row)) == spec


async def test_every_kind_has_buttons() -> None:
    for cls in p.KINDS.values():
        spec = p.parse_view({"kind": cls.KIND, "user": U})
        assert spec is not None
        assert rows(build_view(spec))
