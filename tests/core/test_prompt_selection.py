"""Property tests for prompt selection (bot.core.prompts).

Libraries and histories are generated; selections are simulated the way the scheduler uses them,
each choice appended to the pair's history before the next one. The expected behaviour is written
here from the rules, not from the implementation: `_eligible` restates the hard rules and
`_assert_cycles` walks a run of picks checking non-repeat, answered-elsewhere and category rules.
"""

from __future__ import annotations

import statistics
import time
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.core import prompts as prompts_module
from bot.core.models import (
    EVERYONE,
    Audience,
    Category,
    ChallengeDay,
    Depth,
    Kind,
    Prompt,
    Relationship,
)
from bot.core.prompts import (
    SelectionContext,
    SentPrompt,
    choose_prompt,
    should_offer_deeper,
)

CATEGORIES = list(Category)
ANY: Audience = EVERYONE
COUPLE: Audience = frozenset({Relationship.PARTNERS})
# Audiences as packs write them: everyone, the chosen kinds, partners only, one odd mix.
AUDIENCES: list[Audience] = [
    ANY,
    frozenset({Relationship.PARTNERS, Relationship.FRIENDS, Relationship.FAMILY}),
    COUPLE,
    frozenset({Relationship.FRIENDS, Relationship.CIRCLE}),
]
DEPTHS = list(Depth)
PACKS_DIR = Path(__file__).resolve().parents[2] / "prompts"

# Each example simulates up to ~120 selections; keep the whole file well under 15 s.
FAST = settings(
    max_examples=45,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# ---------------------------------------------------------------- builders and strategies


def _prompt(i: int, category: Category, depth: Depth, audience: Audience, kind: Kind) -> Prompt:
    activity = kind == Kind.ACTIVITY
    return Prompt(
        id=f"{category.value}.p{i:03d}",
        category=category,
        depth=depth,
        kind=kind,
        audience=audience,
        text=f"Prompt {i}",
        minutes=20 if activity else None,
        follow_up="How did it go?" if activity else None,
    )


@st.composite
def libraries(draw: st.DrawFn, min_size: int = 1, max_size: int = 40) -> list[Prompt]:
    specs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(CATEGORIES),
                st.sampled_from(DEPTHS),
                st.one_of(
                    st.sampled_from(AUDIENCES),
                    st.frozensets(st.sampled_from(list(Relationship)), min_size=1),
                ),
                st.sampled_from(list(Kind)),
            ),
            min_size=min_size,
            max_size=max_size,
        )
    )
    return [_prompt(i, *spec) for i, spec in enumerate(specs)]


def _sent(p: Prompt) -> SentPrompt:
    return SentPrompt(p.id, p.category)


RETIRED = st.builds(
    SentPrompt,
    st.sampled_from(["retired.one", "retired.two", "retired.three"]),
    st.sampled_from(CATEGORIES),
)


@st.composite
def histories(draw: st.DrawFn, library: Sequence[Prompt], max_size: int = 30) -> list[SentPrompt]:
    entry = st.one_of(st.sampled_from(list(library)).map(_sent), RETIRED) if library else RETIRED
    return draw(st.lists(entry, max_size=max_size))


@st.composite
def contexts(
    draw: st.DrawFn,
    library: Sequence[Prompt],
    max_muted: int = 4,
    max_history: int = 30,
    max_answered: int = 15,
) -> SelectionContext:
    ids = sorted(p.id for p in library)
    answered = (
        draw(st.frozensets(st.sampled_from(ids), max_size=min(max_answered, len(ids) // 3)))
        if ids
        else frozenset[str]()
    )
    return SelectionContext(
        relationship=draw(st.sampled_from(list(Relationship))),
        depth=draw(st.sampled_from(DEPTHS)),
        muted=draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=max_muted)),
        sent=tuple(draw(histories(library, max_history))),
        answered_elsewhere=answered,
        challenge_day=None,
    )


SEEDS = st.integers(min_value=-(2**40), max_value=2**40)


def _deliverable(kind: Kind) -> bool:
    return prompts_module.GUESS_AND_PICK_ENABLED or kind not in (Kind.GUESS, Kind.PICK)


def _eligible(library: Sequence[Prompt], ctx: SelectionContext) -> list[Prompt]:
    """The hard rules, restated independently of the implementation."""
    return [
        p
        for p in library
        if ctx.relationship in p.audience
        and _deliverable(p.kind)
        and p.category not in ctx.muted
        and p.depth.rank <= ctx.depth.rank
    ]


def _simulate(
    library: Sequence[Prompt], ctx: SelectionContext, seed: int, steps: int
) -> list[Prompt]:
    """Consecutive slots: each pick is appended to the history, with a new seed per slot."""
    history = list(ctx.sent)
    picks: list[Prompt] = []
    for i in range(steps):
        p = choose_prompt(library, replace(ctx, sent=tuple(history)), seed + i)
        if p is None:
            break
        picks.append(p)
        history.append(_sent(p))
    return picks


def _assert_cycles(
    pool: Sequence[Prompt],
    answered_elsewhere: frozenset[str],
    used_in_cycle: set[str],
    previous: Category | None,
    picks: Sequence[Prompt],
) -> None:
    """Walk picks through the pool's cycles and check, at every step:

    - no repeat: the pick was not sent yet in the current cycle (a cycle ends once every pool
      prompt has been sent in it);
    - answered elsewhere: avoided while the cycle still has other candidates;
    - category: not the previous one whenever the remaining candidates span two categories.
    """
    pool_ids = {p.id for p in pool}
    used = set(used_in_cycle)
    for p in picks:
        assert p.id in pool_ids
        remaining = [q for q in pool if q.id not in used]
        assert p.id not in used, f"{p.id} repeated before the pool was used up"
        candidates = [q for q in remaining if q.id not in answered_elsewhere] or remaining
        assert p in candidates, f"{p.id} answered elsewhere while alternatives remained"
        if len({q.category for q in candidates}) >= 2:
            assert p.category != previous, f"{p.category} twice in a row"
        previous = p.category
        used.add(p.id)
        if used == pool_ids:
            used.clear()


# ---------------------------------------------------------------- hard rules


@FAST
@given(data=st.data(), seed=SEEDS)
def test_hard_rules_hold_over_many_picks(data: st.DataObject, seed: int) -> None:
    library = data.draw(libraries())
    ctx = data.draw(contexts(library))
    pool = _eligible(library, ctx)
    picks = _simulate(library, ctx, seed, 40)
    if not pool:
        assert picks == []
        return
    assert len(picks) == 40
    for p in picks:
        assert p in pool
        assert ctx.relationship in p.audience
        assert _deliverable(p.kind)
        assert ctx.depth.allows(p.depth)
        assert p.category not in ctx.muted


@FAST
@given(data=st.data(), seed=SEEDS)
def test_none_when_every_category_is_muted(data: st.DataObject, seed: int) -> None:
    library = data.draw(libraries())
    ctx = replace(data.draw(contexts(library)), muted=frozenset(Category))
    day = data.draw(
        st.builds(
            ChallengeDay,
            day=st.just(1),
            title=st.just("Day"),
            prompt_id=st.sampled_from([p.id for p in library]),
            category=st.sampled_from(CATEGORIES),
            depth=st.sampled_from(DEPTHS),
        )
    )
    assert choose_prompt(library, ctx, seed) is None
    assert choose_prompt(library, replace(ctx, challenge_day=day), seed) is None


def test_none_when_nothing_is_eligible() -> None:
    couple_only = [_prompt(0, Category.FEELINGS, Depth.LIGHT, COUPLE, Kind.QUESTION)]
    circle = SelectionContext(relationship=Relationship.CIRCLE, depth=Depth.DEEP)
    assert choose_prompt(couple_only, circle, 1) is None
    assert choose_prompt([], circle, 1) is None
    deep_only = [_prompt(0, Category.SUPPORT, Depth.DEEP, ANY, Kind.QUESTION)]
    assert choose_prompt(deep_only, replace(circle, depth=Depth.MEDIUM), 1) is None


# ---------------------------------------------------------------- cycles, answered elsewhere


@FAST
@given(data=st.data(), seed=SEEDS)
def test_no_repeat_until_the_pool_is_used_up(data: st.DataObject, seed: int) -> None:
    """History = noise and complete cycles, then a partial cycle. The picks must finish that
    cycle without repeats, then run two full cycles, each a permutation of the pool."""
    library = data.draw(libraries(max_size=30))
    ctx = data.draw(contexts(library, max_history=0))
    pool = _eligible(library, ctx)
    assume(pool)
    outside = [_sent(p) for p in library if p not in pool]
    noise = st.lists(st.one_of(st.sampled_from(outside), RETIRED) if outside else RETIRED)
    history: list[SentPrompt] = data.draw(noise, label="noise")
    for _ in range(data.draw(st.integers(0, 2), label="full cycles")):
        history += [_sent(p) for p in data.draw(st.permutations(pool))]
        history += data.draw(noise, label="noise")
    partial = data.draw(st.permutations(pool))[: data.draw(st.integers(0, len(pool) - 1))]
    history += [_sent(p) for p in partial]
    ctx = replace(ctx, sent=tuple(history))

    n, r = len(pool), len(pool) - len(partial)
    picks = _simulate(library, ctx, seed, r + 2 * n)
    assert len(picks) == r + 2 * n

    pool_ids = sorted(p.id for p in pool)
    finish, first, second = picks[:r], picks[r : r + n], picks[r + n :]
    assert sorted(p.id for p in partial + finish) == pool_ids
    assert sorted(p.id for p in first) == pool_ids
    assert sorted(p.id for p in second) == pool_ids
    previous = history[-1].category if history else None
    _assert_cycles(pool, ctx.answered_elsewhere, {p.id for p in partial}, previous, picks)


@FAST
@given(data=st.data(), seed=SEEDS)
def test_answered_elsewhere_avoided_while_alternatives_exist(
    data: st.DataObject, seed: int
) -> None:
    """With any history: while an eligible prompt nobody in the pair has seen exists, the pick is
    never one a member already answered with an earlier partner."""
    library = data.draw(libraries())
    ctx = data.draw(contexts(library))
    pool = _eligible(library, ctx)
    seen = {e.prompt_id for e in ctx.sent}
    for p in _simulate(library, ctx, seed, 30):
        unseen = [q for q in pool if q.id not in seen and q.id not in ctx.answered_elsewhere]
        if unseen:
            assert p.id not in ctx.answered_elsewhere
        seen.add(p.id)


# ---------------------------------------------------------------- category rules


@FAST
@given(data=st.data(), seed=SEEDS)
def test_no_category_twice_in_a_row_while_two_are_eligible(data: st.DataObject, seed: int) -> None:
    """With any history: prompts never sent to this pair (and not answered elsewhere) are always
    candidates, so if they span two categories the pick must change category."""
    library = data.draw(libraries())
    ctx = data.draw(contexts(library))
    pool = _eligible(library, ctx)
    history = list(ctx.sent)
    for p in _simulate(library, ctx, seed, 30):
        seen = {e.prompt_id for e in history}
        unseen = [q for q in pool if q.id not in seen and q.id not in ctx.answered_elsewhere]
        if history and len({q.category for q in unseen}) >= 2:
            assert p.category != history[-1].category
        history.append(_sent(p))


def test_single_eligible_category_repeats() -> None:
    """Everything else muted: the one category left is used day after day."""
    library = [_prompt(i, c, Depth.LIGHT, ANY, Kind.QUESTION) for i, c in enumerate(CATEGORIES * 3)]
    ctx = SelectionContext(
        relationship=Relationship.CIRCLE,
        depth=Depth.LIGHT,
        muted=frozenset(CATEGORIES) - {Category.HUMOR},
    )
    picks = _simulate(library, ctx, 7, 6)
    assert [p.category for p in picks] == [Category.HUMOR] * 6
    assert len({p.id for p in picks[:3]}) == 3


@st.composite
def balanced_libraries(draw: st.DrawFn) -> list[Prompt]:
    """At least 7 categories with plenty of prompts each, plus a few stragglers."""
    chosen = draw(st.lists(st.sampled_from(CATEGORIES), min_size=7, max_size=10, unique=True))
    specs: list[tuple[Category, Depth, Audience, Kind]] = []
    for category in chosen:
        for _ in range(draw(st.integers(9, 12))):
            specs.append((category, draw(st.sampled_from(DEPTHS)), ANY, Kind.QUESTION))
    return [_prompt(i, *spec) for i, spec in enumerate(specs)]


@FAST
@given(data=st.data(), seed=SEEDS)
def test_balance_no_category_twice_in_a_week(data: st.DataObject, seed: int) -> None:
    """Guarantee: while at least 7 categories have candidates, any 7 consecutive picks use 7
    different categories. Categories with 7 never-sent prompts keep a candidate for 7 picks."""
    library = data.draw(balanced_libraries())
    ctx = replace(
        data.draw(contexts(library, max_muted=0, max_history=10, max_answered=4)), depth=Depth.DEEP
    )
    seen = {e.prompt_id for e in ctx.sent}
    spare = Counter(
        p.category
        for p in _eligible(library, ctx)
        if p.id not in seen and p.id not in ctx.answered_elsewhere
    )
    assume(sum(1 for n in spare.values() if n >= 7) >= 7)
    picks = _simulate(library, ctx, seed, 7)
    assert len({p.category for p in picks}) == 7


@pytest.mark.parametrize("seed", [0, 1, 42, 2**31])
def test_balance_over_a_long_run(seed: int) -> None:
    """Ten categories of twenty prompts from an empty history: every 7-pick window is distinct,
    and over 100 picks no category is starved or overused."""
    library = [
        _prompt(i, CATEGORIES[i % 10], DEPTHS[i % 3], ANY, Kind.QUESTION) for i in range(200)
    ]
    ctx = SelectionContext(relationship=Relationship.PARTNERS, depth=Depth.DEEP)
    cats = [p.category for p in _simulate(library, ctx, seed, 100)]
    for i in range(len(cats) - 6):
        assert len(set(cats[i : i + 7])) == 7
    assert all(8 <= n <= 12 for n in Counter(cats).values()), Counter(cats)


# ---------------------------------------------------------------- depth


def test_current_tier_is_favoured_but_lighter_still_appears() -> None:
    library = [
        _prompt(i, CATEGORIES[i % 10], DEPTHS[(i // 10) % 2], ANY, Kind.QUESTION)
        for i in range(200)
    ]
    ctx = SelectionContext(relationship=Relationship.CIRCLE, depth=Depth.MEDIUM)
    depths = Counter(p.depth for p in _simulate(library, ctx, 3, 50))
    # Half the library is medium; with weight 3 about 3/4 of early picks should be medium.
    assert depths[Depth.MEDIUM] > 30
    assert depths[Depth.LIGHT] > 0


def test_going_deeper_unlocks_new_prompts_first() -> None:
    """A pair that sent every light prompt and moves to medium gets the medium ones next."""
    library = [
        _prompt(i, CATEGORIES[i % 5], DEPTHS[(i // 5) % 2], ANY, Kind.QUESTION) for i in range(40)
    ]
    lights = [p for p in library if p.depth == Depth.LIGHT]
    ctx = SelectionContext(
        relationship=Relationship.PARTNERS, depth=Depth.MEDIUM, sent=tuple(_sent(p) for p in lights)
    )
    picks = _simulate(library, ctx, 11, 20)
    assert all(p.depth == Depth.MEDIUM for p in picks)


# ---------------------------------------------------------------- challenges


def _normal(library: Sequence[Prompt], ctx: SelectionContext, seed: int) -> Prompt | None:
    return choose_prompt(library, replace(ctx, challenge_day=None), seed)


def _day(
    prompt_id: str | None = None,
    category: Category | None = None,
    depth: Depth | None = None,
    stand_in_id: str | None = None,
) -> ChallengeDay:
    return ChallengeDay(
        day=1,
        title="Today",
        prompt_id=prompt_id,
        category=category,
        depth=depth,
        stand_in_id=stand_in_id,
    )


@FAST
@given(data=st.data(), seed=SEEDS)
def test_challenge_day_by_id(data: st.DataObject, seed: int) -> None:
    library = data.draw(libraries())
    ctx = data.draw(contexts(library))
    planned = data.draw(st.sampled_from(library))
    ctx = replace(ctx, challenge_day=_day(prompt_id=planned.id))
    got = choose_prompt(library, ctx, seed)
    pool = _eligible(library, ctx)

    if planned.category in ctx.muted:
        # The challenge loses to a mute: normal selection.
        assert got == _normal(library, ctx, seed)
    elif planned in pool:
        # The plan wins, even over history and answered-elsewhere.
        assert got == planned
    else:
        # Too deep, or couple-only for a circle: the day's category at a depth the pair allows.
        cap = min(planned.depth, ctx.depth, key=lambda d: d.rank)
        themed = [p for p in pool if p.category == planned.category and cap.allows(p.depth)]
        if themed:
            assert got in themed
        else:
            assert got == _normal(library, ctx, seed)
        assert got != planned


@FAST
@given(data=st.data(), seed=SEEDS)
def test_challenge_day_by_category(data: st.DataObject, seed: int) -> None:
    library = data.draw(libraries())
    ctx = data.draw(contexts(library))
    category = data.draw(st.sampled_from(CATEGORIES))
    day_depth = data.draw(st.one_of(st.none(), st.sampled_from(DEPTHS)))
    # An id that is not in the library falls through to the day's category.
    unknown = data.draw(st.sampled_from([None, "retired.one"]))
    ctx = replace(ctx, challenge_day=_day(prompt_id=unknown, category=category, depth=day_depth))
    got = choose_prompt(library, ctx, seed)

    cap = min(day_depth or Depth.LIGHT, ctx.depth, key=lambda d: d.rank)
    themed = [p for p in _eligible(library, ctx) if p.category == category and cap.allows(p.depth)]
    if category in ctx.muted or not themed:
        assert got == _normal(library, ctx, seed)
    else:
        assert got in themed


@FAST
@given(data=st.data(), seed=SEEDS)
def test_challenge_category_days_do_not_repeat(data: st.DataObject, seed: int) -> None:
    """Several days of one category (a themed week) use each fitting prompt once before any
    comes back, and prefer those not answered elsewhere."""
    library = data.draw(libraries(min_size=5))
    ctx = data.draw(contexts(library, max_muted=0))
    pool = _eligible(library, ctx)
    assume(pool)
    category = data.draw(st.sampled_from(sorted({p.category for p in pool})))
    ctx = replace(ctx, challenge_day=_day(category=category, depth=Depth.DEEP))
    themed = [p for p in pool if p.category == category]
    themed_ids = {p.id for p in themed}
    # Start the theme's cycle clean: drop any earlier sends of these prompts.
    ctx = replace(ctx, sent=tuple(e for e in ctx.sent if e.prompt_id not in themed_ids))
    picks = _simulate(library, ctx, seed, 2 * len(themed))
    assert all(p.category == category for p in picks)
    assert sorted(p.id for p in picks[: len(themed)]) == sorted(themed_ids)
    fresh_first = [p.id in ctx.answered_elsewhere for p in picks[: len(themed)]]
    assert fresh_first == sorted(fresh_first)


def test_challenge_fallbacks_by_example() -> None:
    couple_only = _prompt(0, Category.QUALITY_TIME, Depth.LIGHT, COUPLE, Kind.QUESTION)
    too_deep = _prompt(1, Category.SUPPORT, Depth.DEEP, ANY, Kind.QUESTION)
    light_time = _prompt(2, Category.QUALITY_TIME, Depth.LIGHT, ANY, Kind.QUESTION)
    light_support = _prompt(3, Category.SUPPORT, Depth.LIGHT, ANY, Kind.QUESTION)
    humor = _prompt(4, Category.HUMOR, Depth.LIGHT, ANY, Kind.QUESTION)
    library = [couple_only, too_deep, light_time, light_support, humor]
    circle = SelectionContext(relationship=Relationship.CIRCLE, depth=Depth.LIGHT)

    def pick(ctx: SelectionContext, day: ChallengeDay) -> Prompt | None:
        return choose_prompt(library, replace(ctx, challenge_day=day), 5)

    assert pick(circle, _day(prompt_id=couple_only.id)) == light_time
    couple = replace(circle, relationship=Relationship.PARTNERS)
    assert pick(couple, _day(prompt_id=couple_only.id)) == couple_only
    assert pick(circle, _day(prompt_id=too_deep.id)) == light_support
    assert pick(replace(circle, depth=Depth.DEEP), _day(prompt_id=too_deep.id)) == too_deep
    muted = replace(circle, muted=frozenset({Category.SUPPORT}))
    assert pick(muted, _day(prompt_id=too_deep.id)) == _normal(library, muted, 5)
    assert pick(muted, _day(category=Category.SUPPORT)) == _normal(library, muted, 5)
    assert pick(circle, _day(category=Category.HUMOR)) == humor
    # Nothing in the category fits the pair: normal selection, not None.
    assert pick(circle, _day(category=Category.REPAIR)) == _normal(library, circle, 5)


def test_a_declared_stand_in_replaces_a_prompt_the_pair_cannot_get() -> None:
    deep = _prompt(0, Category.SUPPORT, Depth.DEEP, ANY, Kind.QUESTION)
    stand_in = _prompt(1, Category.SUPPORT, Depth.LIGHT, ANY, Kind.QUESTION)
    other = _prompt(2, Category.SUPPORT, Depth.LIGHT, ANY, Kind.QUESTION)
    partners = _prompt(3, Category.HUMOR, Depth.LIGHT, COUPLE, Kind.QUESTION)
    humor = _prompt(4, Category.HUMOR, Depth.LIGHT, ANY, Kind.QUESTION)
    library = [deep, stand_in, other, partners, humor]
    new_pair = SelectionContext(relationship=Relationship.FRIENDS, depth=Depth.LIGHT)
    for seed in range(10):
        day = _day(prompt_id=deep.id, stand_in_id=stand_in.id)
        assert choose_prompt(library, replace(new_pair, challenge_day=day), seed) == stand_in
        day = _day(prompt_id=partners.id, stand_in_id=humor.id)
        assert choose_prompt(library, replace(new_pair, challenge_day=day), seed) == humor
    deep_pair = replace(new_pair, depth=Depth.DEEP, challenge_day=_day(deep.id, None, None, "x"))
    assert choose_prompt(library, deep_pair, 1) == deep


@FAST
@given(data=st.data(), seed=SEEDS)
def test_friends_family_and_circles_never_get_a_prompt_outside_their_kind(
    data: st.DataObject, seed: int
) -> None:
    """Issue 13's promise, over whole runs of selection including themed-week days whose named
    prompts and stand-ins may be written for someone else."""
    library = data.draw(libraries(min_size=1, max_size=30))
    relationship = data.draw(
        st.sampled_from([Relationship.FRIENDS, Relationship.FAMILY, Relationship.CIRCLE])
    )
    ctx = replace(data.draw(contexts(library)), relationship=relationship)
    ids = [p.id for p in library]
    days = st.one_of(
        st.none(),
        st.builds(
            _day,
            prompt_id=st.sampled_from(ids),
            stand_in_id=st.one_of(st.none(), st.sampled_from(ids)),
        ),
        st.builds(_day, category=st.sampled_from(CATEGORIES), depth=st.sampled_from(DEPTHS)),
    )
    history = list(ctx.sent)
    for i in range(30):
        day = data.draw(days)
        p = choose_prompt(library, replace(ctx, sent=tuple(history), challenge_day=day), seed + i)
        if p is None:
            assert not _eligible(library, ctx)
            break
        assert relationship in p.audience, (relationship, p)
        assert _deliverable(p.kind)
        assert ctx.depth.allows(p.depth)
        assert p.category not in ctx.muted
        history.append(_sent(p))


def test_guess_and_pick_wait_behind_one_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    guess = _prompt(0, Category.HUMOR, Depth.LIGHT, ANY, Kind.GUESS)
    pick = _prompt(1, Category.CURIOSITY, Depth.LIGHT, ANY, Kind.PICK)
    ctx = SelectionContext(relationship=Relationship.PARTNERS, depth=Depth.LIGHT)
    monkeypatch.setattr(prompts_module, "GUESS_AND_PICK_ENABLED", False)
    assert choose_prompt([guess, pick], ctx, 3) is None
    monkeypatch.setattr(prompts_module, "GUESS_AND_PICK_ENABLED", True)
    assert {choose_prompt([guess, pick], ctx, seed) for seed in range(20)} == {guess, pick}


# ---------------------------------------------------------------- determinism


@FAST
@given(data=st.data(), seed=SEEDS)
def test_deterministic_and_independent_of_input_order(data: st.DataObject, seed: int) -> None:
    library = data.draw(libraries())
    ctx = data.draw(contexts(library))
    day = data.draw(
        st.one_of(
            st.none(),
            st.sampled_from(library).map(lambda p: _day(prompt_id=p.id)),
            st.sampled_from(CATEGORIES).map(lambda c: _day(category=c, depth=Depth.MEDIUM)),
        )
    )
    ctx = replace(ctx, challenge_day=day)
    shuffled = data.draw(st.permutations(library))
    first = choose_prompt(library, ctx, seed)
    assert choose_prompt(library, ctx, seed) == first
    assert choose_prompt(shuffled, ctx, seed) == first
    assert choose_prompt(tuple(reversed(library)), replace(ctx, sent=list(ctx.sent)), seed) == first


def test_seed_varies_the_choice() -> None:
    library = [_prompt(i, CATEGORIES[i % 10], Depth.LIGHT, ANY, Kind.QUESTION) for i in range(60)]
    ctx = SelectionContext(relationship=Relationship.PARTNERS, depth=Depth.LIGHT)
    assert len({choose_prompt(library, ctx, seed) for seed in range(30)}) > 5


# ---------------------------------------------------------------- depth ladder helper


def test_should_offer_deeper() -> None:
    assert not should_offer_deeper(Depth.LIGHT, 4)
    assert should_offer_deeper(Depth.LIGHT, 5)
    assert should_offer_deeper(Depth.MEDIUM, 9)
    assert not should_offer_deeper(Depth.DEEP, 50)
    assert should_offer_deeper(Depth.LIGHT, 2, threshold=2)


# ---------------------------------------------------------------- speed


def test_fast_on_a_full_library_and_long_history() -> None:
    library = [
        _prompt(i, CATEGORIES[i % 10], DEPTHS[i % 3], AUDIENCES[i % 4], Kind.QUESTION)
        for i in range(300)
    ]
    history = tuple(_sent(library[(i * 37) % 300]) for i in range(1000))
    ctx = SelectionContext(
        relationship=Relationship.PARTNERS,
        depth=Depth.DEEP,
        muted=frozenset({Category.HUMOR}),
        sent=history,
        answered_elsewhere=frozenset(p.id for p in library[::7]),
    )
    timings = []
    for seed in range(30):
        start = time.perf_counter()
        assert choose_prompt(library, ctx, seed) is not None
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.005


# ---------------------------------------------------------------- the real packs


def _load_packs() -> list[Prompt]:
    prompts: list[Prompt] = []
    for path in sorted(PACKS_DIR.glob("*.toml")):
        if path.name == "challenges.toml":
            continue
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        for raw in data.get("prompt", []):
            prompts.append(
                Prompt(
                    id=raw["id"],
                    category=Category(raw["category"]),
                    depth=Depth(raw["depth"]),
                    kind=Kind(raw["kind"]),
                    audience=frozenset(Relationship(a) for a in raw["audience"]),
                    text=raw["text"],
                    minutes=raw.get("minutes"),
                    follow_up=raw.get("follow_up"),
                )
            )
    return prompts


@pytest.mark.parametrize("relationship", list(Relationship))
@pytest.mark.parametrize("depth", DEPTHS)
def test_real_packs_200_selections(relationship: Relationship, depth: Depth) -> None:
    """Runs on prompts/*.toml once they exist. They are written in parallel, so a missing or
    half-written pack skips this test; the library loader's own tests judge the packs."""
    try:
        library = _load_packs()
    except (tomllib.TOMLDecodeError, KeyError, ValueError, TypeError) as exc:
        pytest.skip(f"prompt packs not loadable yet: {exc!r}")
    if not library:
        pytest.skip("no prompt packs yet")
    ctx = SelectionContext(relationship=relationship, depth=depth)
    pool = _eligible(library, ctx)
    picks = _simulate(library, ctx, 2024, 200)
    assert len(picks) == (200 if pool else 0)
    _assert_cycles(pool, frozenset(), set(), None, picks)
