"""Property tests for circle pairing (bot.core.pairing).

The repeat-bound checker is also run against a naive shuffle pairing, to show it catches the kind
of schedule the real algorithm must avoid.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from itertools import combinations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.pairing import Group, PairingHistory, form_round, updated_history

PairingFn = Callable[[Sequence[int], PairingHistory, int, int], list[Group]]

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=-(2**40), max_value=2**40)


# --- helpers -----------------------------------------------------------------------------------


def simulate(
    pairing: PairingFn, rosters: Sequence[Sequence[int]], seed: int, first_round: int = 1
) -> list[list[Group]]:
    """Run one round per roster, feeding each round's groups back into the history."""
    history = PairingHistory()
    rounds: list[list[Group]] = []
    for offset, roster in enumerate(rosters):
        round_no = first_round + offset
        groups = pairing(roster, history, round_no, seed)
        rounds.append(groups)
        history = updated_history(history, groups, round_no)
    return rounds


def repeat_violations(
    rounds: Sequence[Sequence[Group]], window: int
) -> list[tuple[frozenset[int], int, int]]:
    """Pairs that share a group twice less than `window` rounds apart: (pair, earlier, later)."""
    last: dict[frozenset[int], int] = {}
    found: list[tuple[frozenset[int], int, int]] = []
    for i, groups in enumerate(rounds):
        for group in groups:
            for a, b in combinations(group, 2):
                key = frozenset((a, b))
                if key in last and i - last[key] < window:
                    found.append((key, last[key], i))
                last[key] = i
    return found


def assert_partition(groups: Sequence[Group], roster: Sequence[int]) -> None:
    members = sorted(set(roster))
    if len(members) < 2:
        assert groups == [], "a lone member has nobody to meet"
        return
    flat = sorted(m for g in groups for m in g)
    assert flat == members, "every active member is in exactly one group"
    sizes = sorted(len(g) for g in groups)
    if len(members) % 2 == 0:
        assert set(sizes) == {2}
    else:
        assert sizes.count(3) == 1 and set(sizes) <= {2, 3}


def naive_shuffle_pairing(
    members: Sequence[int], history: PairingHistory, round_no: int, seed: int
) -> list[Group]:
    """What a first attempt looks like: shuffle, pair neighbours, ignore history."""
    order = sorted(members)
    random.Random(seed * 1_000_003 + round_no).shuffle(order)
    groups: list[Group] = [tuple(order[i : i + 2]) for i in range(0, len(order) - 1, 2)]
    if len(order) % 2 == 1 and groups:
        groups[-1] = (*groups[-1], order[-1])
    return groups


# --- examples ----------------------------------------------------------------------------------


def test_tiny_circles() -> None:
    empty = PairingHistory()
    assert form_round([], empty, 1, 0) == []
    assert form_round([7], empty, 1, 0) == []
    assert form_round([9, 7], empty, 1, 0) == [(7, 9)]
    assert form_round([3, 1, 2], empty, 1, 0) == [(1, 2, 3)]


def test_duplicate_ids_count_once() -> None:
    groups = form_round([1, 2, 2, 3, 4], PairingHistory(), 1, 5)
    assert_partition(groups, [1, 2, 3, 4])


def test_four_members_cycle_through_all_three_matchings() -> None:
    rounds = simulate(form_round, [[1, 2, 3, 4]] * 3, seed=11)
    pairs = {frozenset(g) for groups in rounds for g in groups}
    assert len(pairs) == 6  # every pair exactly once in N - 1 = 3 rounds


def test_updated_history_records_meetings_and_trios() -> None:
    h = updated_history(PairingHistory(), [(1, 2), (3, 4, 5)], 7)
    assert h.last_met[frozenset((1, 2))] == 7
    assert h.last_met[frozenset((3, 5))] == 7
    assert h.trio_rounds == {3: 1, 4: 1, 5: 1}
    assert h.last_trio == {3: 7, 4: 7, 5: 7}


def test_thousand_members_is_fast() -> None:
    import time

    members = list(range(1000))
    history = PairingHistory()
    for round_no in range(1, 4):
        start = time.perf_counter()
        groups = form_round(members, history, round_no, 42)
        assert time.perf_counter() - start < 0.5
        history = updated_history(history, groups, round_no)


# --- invariants --------------------------------------------------------------------------------


@FAST
@given(
    members=st.lists(st.integers(min_value=0, max_value=10**6), max_size=60, unique=True),
    seed=seeds,
    round_no=st.integers(min_value=0, max_value=10**4),
    data=st.data(),
)
def test_partition_determinism_and_order_independence(
    members: list[int], seed: int, round_no: int, data: st.DataObject
) -> None:
    # Some random past meetings among (a superset of) the members.
    pool = [*members, 10**7, 10**7 + 1]
    met = data.draw(
        st.lists(st.tuples(st.sampled_from(pool), st.sampled_from(pool)), max_size=80),
        label="met",
    )
    last_met = {frozenset(p): (i % max(1, round_no)) for i, p in enumerate(met) if p[0] != p[1]}
    history = PairingHistory(last_met=last_met)

    groups = form_round(members, history, round_no, seed)
    assert_partition(groups, members)
    assert form_round(members, history, round_no, seed) == groups

    shuffled = list(members)
    random.Random(seed).shuffle(shuffled)
    reordered = PairingHistory(last_met=dict(reversed(list(last_met.items()))))
    assert form_round(shuffled, reordered, round_no, seed) == groups


@FAST
@given(half=st.integers(min_value=1, max_value=20), seed=seeds, start=st.integers(0, 500))
def test_no_repeat_within_n_minus_1_rounds_even_churn_free(
    half: int, seed: int, start: int
) -> None:
    n = 2 * half
    members = random.Random(seed).sample(range(10**6), n)
    # Two full cycles plus a bit: the bound must hold across cycle boundaries too.
    rounds = simulate(form_round, [members] * (2 * (n - 1) + 2), seed, first_round=start)
    for groups in rounds:
        assert_partition(groups, members)
    assert repeat_violations(rounds, window=n - 1) == []


@FAST
@given(half=st.integers(min_value=2, max_value=19), seed=seeds)
def test_trio_seat_rotates_odd_churn_free(half: int, seed: int) -> None:
    n = 2 * half + 1
    members = list(range(100, 100 + n))
    rounds = simulate(form_round, [members] * (n + 3), seed)
    counts = dict.fromkeys(members, 0)
    for groups in rounds:
        assert_partition(groups, members)
        for g in groups:
            if len(g) == 3:
                for m in g:
                    counts[m] += 1
        # Nobody gets a second trio before everyone has had a first (and so on): the counts
        # never drift more than one apart.
        assert max(counts.values()) - min(counts.values()) <= 1


@FAST
@given(n=st.integers(min_value=4, max_value=40), seed=seeds)
def test_churn_keeps_invariants(n: int, seed: int) -> None:
    rng = random.Random(seed)
    roster = list(range(n))
    next_id = n
    rosters: list[list[int]] = []
    for _ in range(12):
        leave = rng.randint(0, max(1, len(roster) // 5))
        join = rng.randint(0, max(1, n // 5))
        rng.shuffle(roster)
        roster = roster[leave:] + list(range(next_id, next_id + join))
        next_id += join
        rosters.append(sorted(roster))

    rounds = simulate(form_round, rosters, seed)
    always = set(rosters[0]).intersection(*rosters)
    counts = dict.fromkeys(always, 0)
    history = PairingHistory()
    for round_no, (roster, groups) in enumerate(zip(rosters, rounds, strict=True), start=1):
        assert_partition(groups, roster)
        assert form_round(roster, history, round_no, seed) == groups  # deterministic under churn
        assert_no_improving_swap(groups, history, round_no, len(set(roster)))
        history = updated_history(history, groups, round_no)
        for g in groups:
            if len(g) == 3:
                for m in always.intersection(g):
                    counts[m] += 1
        if counts:
            # Trio fairness among members present throughout.
            assert max(counts.values()) - min(counts.values()) <= 1


def assert_no_improving_swap(
    groups: Sequence[Group], history: PairingHistory, round_no: int, n: int
) -> None:
    """No two pairs can swap partners to cut (repeats inside the N-1 window, repeats at all).

    This is the "nobody meets an old partner while a fresh one is free" rule made checkable: if
    a and b met before while c and d (another pair) could give both a fresher partner, the
    round is not even locally optimal.
    """

    def badness(a: int, b: int) -> tuple[int, int]:
        when = history.last_met.get(frozenset((a, b)))
        if when is None:
            return (0, 0)
        return (1 if round_no - when < n - 1 else 0, 1)

    def total(*pairs: tuple[int, int]) -> tuple[int, int]:
        scores = [badness(a, b) for a, b in pairs]
        return (sum(s[0] for s in scores), sum(s[1] for s in scores))

    pairs = [(g[0], g[1]) for g in groups if len(g) == 2]
    for (a, b), (c, d) in combinations(pairs, 2):
        now = total((a, b), (c, d))
        if now == (0, 0):
            continue
        assert total((a, c), (b, d)) >= now, f"swap {a, b} {c, d} -> {a, c} {b, d}"
        assert total((a, d), (b, c)) >= now, f"swap {a, b} {c, d} -> {a, d} {b, c}"


@FAST
@given(half=st.integers(min_value=3, max_value=12), seed=seeds, new=st.integers(1, 3))
def test_late_joiners_meet_never_met_members_first(half: int, seed: int, new: int) -> None:
    veterans = list(range(2 * half))
    returner = 500
    newcomers = list(range(1000, 1000 + new))
    # The returner plays two rounds, leaves while the veterans complete a full cycle (so every
    # veteran pair has met recently), then comes back with some brand-new members.
    rosters = [[*veterans, returner]] * 2 + [veterans] * (2 * half - 1)
    rounds = simulate(form_round, rosters, seed)
    history = PairingHistory()
    for round_no, groups in enumerate(rounds, start=1):
        history = updated_history(history, groups, round_no)
    met_by_returner = {m for m in veterans if frozenset((m, returner)) in history.last_met}
    assert len(met_by_returner) < len(veterans)

    groups = form_round([*veterans, returner, *newcomers], history, len(rounds) + 1, seed)
    group_of = {m: g for g in groups for m in g}
    assert not met_by_returner.intersection(group_of[returner])
    for m in newcomers:
        assert all(frozenset((m, o)) not in history.last_met for o in group_of[m] if o != m)


# --- the checker has teeth ---------------------------------------------------------------------


@FAST
@given(half=st.integers(min_value=4, max_value=20), seed=seeds)
def test_naive_shuffle_violates_the_repeat_bound(half: int, seed: int) -> None:
    n = 2 * half
    rounds = simulate(naive_shuffle_pairing, [list(range(n))] * (n - 1), seed)
    for groups in rounds:
        assert_partition(groups, list(range(n)))  # it does form valid rounds...
    assert repeat_violations(rounds, window=n - 1)  # ...but repeats partners within N - 1


def test_checker_flags_a_planted_repeat() -> None:
    rounds: list[list[Group]] = [[(1, 2), (3, 4)], [(1, 3), (2, 4)], [(1, 2), (3, 4)]]
    assert repeat_violations(rounds, window=3) == [
        (frozenset((1, 2)), 0, 2),
        (frozenset((3, 4)), 0, 2),
    ]
    assert repeat_violations(rounds, window=2) == []
