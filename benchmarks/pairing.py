"""Benchmark circle pairing: repeats and time per round, with and without churn.

Run from the repo root: ``.venv/bin/python benchmarks/pairing.py``. Prints one line per case and,
last, one JSON line with every case.

Definitions, per case (one circle, ``ROUNDS`` consecutive rounds, fixed seed):

* A *meeting* is one unordered pair sharing a group in a round (a trio is three meetings).
* ``repeats``: meetings of a pair that already shared a group fewer than ``N - 1`` rounds before,
  with ``N`` the number of active members in the later round. This is the round-robin bound:
  an unchanged even circle can go ``N - 1`` rounds with no pair meeting twice, and no longer.
* ``repeats_with_fresh_option``: meetings of a pair that had met before (at any time) even though
  each of the two still had someone present they had never met. A diagnostic for "met an old
  partner while a new one was around"; not every such repeat is avoidable, since the fresh
  options may be needed elsewhere.
* ``lower_bound``: a lower bound on ``repeats`` for the case, or ``null`` where none is computed.
  Churn-free even: 0 (a round-robin schedule reaches it). Churn-free odd: split the rounds into
  consecutive windows of ``N - 1``; a window of ``w`` rounds holds ``w * (N + 3) / 2`` meetings
  (the trio adds two to the ``(N - 1) / 2`` groups) among only ``N * (N - 1) / 2`` pairs, so at
  least the difference are pairs seen earlier in the same window, i.e. repeats. For ``N = 5``
  the bound is exact instead: a dynamic programme over every legal round (any duo, the other
  three in the trio, trio counts never more than one apart) finds the true minimum. With churn
  the bound depends on who comes and goes, so it is ``null``.
* ``trio_spread``: the largest (max minus min trio count) seen after any round, among members
  present in every round; 1 or less means nobody had a second trio before everyone had a first.
* ``ms_mean`` / ``ms_max``: wall time of ``form_round`` per round (history bookkeeping excluded).

Churn: from the second round on, 10% of the members (at least one) leave and as many brand-new
members join, so the size stays ``N``.
"""

from __future__ import annotations

import json
import random
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.pairing import Group, PairingHistory, form_round, updated_history

SIZES = (4, 5, 9, 16, 31, 100, 1000)
ROUNDS = 20
SEED = 20240611
CHURN = 0.10


def odd_lower_bound(n: int, rounds: int) -> int:
    if n % 2 == 0:
        return 0
    pairs = n * (n - 1) // 2
    per_round = (n + 3) // 2
    total, left = 0, rounds
    while left > 0:
        window = min(left, n - 1)
        total += max(0, window * per_round - pairs)
        left -= window
    return total


def exact_lower_bound_5(rounds: int) -> int:
    """Fewest repeats any 5-member schedule can have (with fair trio rotation), by DP.

    State: each pair's rounds since it last met (capped at N - 1, which also means "never"),
    plus trio counts relative to the lowest. About a thousand states; runs in about a second.
    """
    n, window = 5, 4
    pairs = list(combinations(range(n), 2))
    index = {p: i for i, p in enumerate(pairs)}
    moves = []
    for duo in pairs:
        rest = [m for m in range(n) if m not in duo]
        moves.append((duo, [index[duo]] + [index[p] for p in combinations(rest, 2)]))
    states: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {
        (tuple([window] * len(pairs)), (0,) * n): 0
    }
    for _ in range(rounds):
        nxt: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}
        for (gaps, counts), cost in states.items():
            for duo, edges in moves:
                new_counts = [c + (m not in duo) for m, c in enumerate(counts)]
                if max(new_counts) - min(new_counts) > 1:
                    continue
                low = min(new_counts)
                new_cost = cost + sum(1 for e in edges if gaps[e] < window)
                new_gaps = [min(window, g + 1) for g in gaps]
                for e in edges:
                    new_gaps[e] = 1
                key = (tuple(new_gaps), tuple(c - low for c in new_counts))
                if nxt.get(key, new_cost + 1) > new_cost:
                    nxt[key] = new_cost
        states = nxt
    return min(states.values())


def lower_bound(n: int, rounds: int) -> int:
    if n == 5:
        return exact_lower_bound_5(rounds)
    return odd_lower_bound(n, rounds)


def run_case(n: int, churn: bool) -> dict[str, Any]:
    rng = random.Random(f"bench:{n}:{churn}")
    roster = list(range(n))
    next_id = n
    history = PairingHistory()
    repeats = 0
    stale = 0
    times: list[float] = []
    always = set(roster)
    trio_counts = dict.fromkeys(roster, 0)
    spread = 0

    for round_no in range(1, ROUNDS + 1):
        if churn and round_no > 1:
            k = max(1, round(len(roster) * CHURN))
            rng.shuffle(roster)
            roster = roster[k:] + list(range(next_id, next_id + k))
            next_id += k
            always &= set(roster)

        start = time.perf_counter()
        groups = form_round(roster, history, round_no, SEED)
        times.append((time.perf_counter() - start) * 1000)

        repeats += count_repeats(groups, history, round_no, len(roster))
        stale += count_stale(groups, history, roster)
        for g in groups:
            if len(g) == 3:
                for m in g:
                    if m in trio_counts:
                        trio_counts[m] += 1
        history = updated_history(history, groups, round_no)
        counts = [trio_counts[m] for m in always]
        if counts:
            spread = max(spread, max(counts) - min(counts))

    return {
        "size": n,
        "churn": churn,
        "rounds": ROUNDS,
        "repeats": repeats,
        "repeats_with_fresh_option": stale,
        "lower_bound": None if churn else lower_bound(n, ROUNDS),
        "trio_spread": spread,
        "ms_mean": round(sum(times) / len(times), 3),
        "ms_max": round(max(times), 3),
    }


def count_repeats(groups: list[Group], history: PairingHistory, round_no: int, n: int) -> int:
    found = 0
    for g in groups:
        for a, b in combinations(g, 2):
            when = history.last_met.get(frozenset((a, b)))
            if when is not None and round_no - when < n - 1:
                found += 1
    return found


def count_stale(groups: list[Group], history: PairingHistory, roster: list[int]) -> int:
    # Members with someone present they have never met: size of roster minus self minus met.
    present = set(roster)
    met_count = dict.fromkeys(present, 0)
    for pair in history.last_met:
        a, b = pair
        if a in present and b in present:
            met_count[a] += 1
            met_count[b] += 1
    has_fresh = {m for m in present if met_count[m] < len(present) - 1}
    found = 0
    for g in groups:
        for a, b in combinations(g, 2):
            if frozenset((a, b)) in history.last_met and a in has_fresh and b in has_fresh:
                found += 1
    return found


def main() -> None:
    cases: list[dict[str, Any]] = []
    for n in SIZES:
        for churn in (False, True):
            case = run_case(n, churn)
            cases.append(case)
            bound = "n/a" if case["lower_bound"] is None else case["lower_bound"]
            print(
                f"N={n:>4} churn={'yes' if churn else 'no ':3} "
                f"repeats={case['repeats']:>3} (lower bound {bound}) "
                f"fresh-option repeats={case['repeats_with_fresh_option']:>3} "
                f"trio spread={case['trio_spread']} "
                f"ms/round mean={case['ms_mean']:.2f} max={case['ms_max']:.2f}"
            )
    print(json.dumps({"benchmark": "pairing", "rounds": ROUNDS, "seed": SEED, "cases": cases}))


if __name__ == "__main__":
    main()
