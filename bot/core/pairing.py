"""Forming one round of groups for a circle (the Donut-style "meet someone new" rotation).

Pure: no I/O, no Discord, no clock. The result depends only on the arguments, so the service can
re-run a round and get the same groups, and tests can explore it freely.

Algorithm (why it looks like this):

* Candidates are built and the cheapest wins; ties go to the schedule candidate.

  1. A round-robin (circle-method) schedule over a canonical order of the members: their sorted
     ids shuffled with the circle's ``seed``. The order depends only on the member *set* and the
     seed, so every round of an unchanged circle lands on the same schedule, and the step to use
     is the one after the step the latest round used (read back from the history by a majority
     vote of its pairs). A full cycle of ``N - 1`` steps meets every pair exactly once: the only
     way to guarantee "no repeat within ``N - 1`` rounds"; greedy or random matchings paint
     themselves into a corner in the last rounds of a cycle. For an odd count the schedule has
     an empty seat, and the trio is grafted on: one scheduled pair plus a third member, moving
     as few scheduled pairs as possible.
  2. A schedule-free matching, for when members come and go or the history was written by some
     other schedule: greedy, most-constrained member first.

  Both then go through pair and trio exchanges (2-opt) while an exchange lowers the cost.

* The cost of a group sums its member pairs: 0 for a pair that never met; otherwise a repeat cost,
  plus a much larger cost if the pair met within the last ``N - 1`` rounds, plus a recency term.
  So a round first minimises repeats inside the round-robin window, then repeats at all, then
  spreads what remains towards the pairs that met longest ago. In a churn-free even circle the
  schedule costs 0 for its first cycle and afterwards has every pair at the oldest possible age,
  so nothing can beat it and the tie rule keeps it: the ``N - 1`` bound holds exactly.

* With an odd count one trio is formed from the members who have been in the fewest trios
  (newcomers and returners count as the continuing minimum, so they are not sent to the trio
  round after round), oldest last trio first. Exchanges only move a trio seat between members
  with the same count, so counts never drift more than one apart.

Determinism: ties are broken by orders derived from sorted ids and ``random.Random`` seeded with a
string (string seeds are hashed with SHA-512: stable across processes and Python versions).
``seed`` should be fixed per circle; a new seed each round still gives valid groups but loses the
schedule, and with it the bound.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Group = tuple[int, ...]

# A pair that met before costs at least this much, more than any sum of recency terms in a round,
# so the number of repeats is minimised before their recency is.
_REPEAT_COST = 10**12
# A repeat inside the round-robin window (met fewer than N - 1 rounds ago) costs more than any
# number of older repeats: those are what the no-repeat bound counts, and trading one fresh pair
# for an in-window repeat elsewhere is a bad deal over the following rounds.
_IN_WINDOW_COST = 10**18
# Recency term: RECENCY // age. Met last round costs most; halves at two rounds ago, and so on.
_RECENCY_COST = 10**6
# Sort key for "never been in a trio": older than any real round number.
_NEVER = -(2**62)
# Bound on exchange passes. Each pass that changes something strictly lowers an integer cost, so
# the loop ends anyway; the cap only limits the work on adversarial histories.
_MAX_PASSES = 50
# How many pool candidates to inspect when filling a trio seat; keeps large circles fast.
_TRIO_SCAN = 64


@dataclass(frozen=True)
class PairingHistory:
    """What the database remembers about past rounds of one circle.

    ``last_met`` maps an unordered member pair to the last round number they shared a group;
    ``trio_rounds`` counts each member's trios; ``last_trio`` is the last round they were in one.
    """

    last_met: Mapping[frozenset[int], int] = field(default_factory=dict)
    trio_rounds: Mapping[int, int] = field(default_factory=dict)
    last_trio: Mapping[int, int] = field(default_factory=dict)


def form_round(
    members: Sequence[int], history: PairingHistory, round_no: int, seed: int
) -> list[Group]:
    """Split `members` into groups of two (plus one trio if the count is odd) for `round_no`.

    Groups are sorted tuples, and the list is sorted, so equal inputs give equal outputs whatever
    the order of `members`. Duplicated ids are counted once.
    """
    ids = sorted(set(members))
    if len(ids) < 2:
        return []
    if len(ids) <= 3:
        return [tuple(ids)]

    costs = _CostTable(ids, history, round_no)
    order = _canonical_order(ids, seed)
    seats = _TrioSeats(order, costs, history)
    best: list[list[int]] | None = None
    best_cost = 0
    for step in _schedule_steps(order, costs, round_no):
        candidate = _from_schedule(order, step, costs, seats)
        cost = _total(candidate, costs)
        if best is None or cost < best_cost:
            best, best_cost = candidate, cost
    assert best is not None  # noqa: S101 - _schedule_steps always yields a step
    if best_cost > 0:  # nothing beats a round of first meetings
        greedy = _greedy(ids, costs, seats, round_no, seed)
        # Strictly better only: ties keep the schedule, which is what keeps the bound exact.
        if _total(greedy, costs) < best_cost:
            best = greedy
    return sorted(tuple(sorted(g)) for g in best)


def updated_history(
    history: PairingHistory, groups: Iterable[Sequence[int]], round_no: int
) -> PairingHistory:
    """The history after `groups` met in `round_no` (what the service would store)."""
    last_met = dict(history.last_met)
    trio_rounds = dict(history.trio_rounds)
    last_trio = dict(history.last_trio)
    for group in groups:
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                last_met[frozenset((a, b))] = round_no
        if len(group) == 3:
            for m in group:
                trio_rounds[m] = trio_rounds.get(m, 0) + 1
                last_trio[m] = round_no
    return PairingHistory(last_met=last_met, trio_rounds=trio_rounds, last_trio=last_trio)


class _CostTable:
    """Pair costs restricted to the members present this round."""

    def __init__(self, ids: Sequence[int], history: PairingHistory, round_no: int) -> None:
        present = set(ids)
        self.round_no = round_no
        self.window = len(ids) - 1
        self.met: dict[int, dict[int, int]] = {m: {} for m in ids}
        # The most recent round in the whole history and who met in it: members present now
        # who were in that round are "continuing" (trio fairness is judged among them), and
        # the pairs among present members tell which schedule step that round used.
        self.latest_round: int | None = None
        latest: list[frozenset[int]] = []
        for pair, when in history.last_met.items():
            if len(pair) != 2:
                continue
            if self.latest_round is None or when > self.latest_round:
                self.latest_round = when
                latest = []
            if when == self.latest_round:
                latest.append(pair)
            a, b = pair
            if a in present and b in present:
                self.met[a][b] = when
                self.met[b][a] = when
        self.continuing = {m for pair in latest for m in pair if m in present}
        self.latest_pairs = [(a, b) for a, b in latest if a in present and b in present]

    def pair(self, a: int, b: int) -> int:
        when = self.met[a].get(b)
        if when is None:
            return 0
        age = max(1, self.round_no - when)
        cost = _REPEAT_COST + _RECENCY_COST // age
        if age < self.window:
            cost += _IN_WINDOW_COST
        return cost

    def group(self, g: Sequence[int]) -> int:
        if len(g) == 2:
            return self.pair(g[0], g[1])
        total = 0
        for i, a in enumerate(g):
            for b in g[i + 1 :]:
                total += self.pair(a, b)
        return total


def _canonical_order(ids: Sequence[int], seed: int) -> list[int]:
    # Depends on the member set and seed only (not the round), so an unchanged circle keeps one
    # schedule across rounds.
    order = sorted(ids)
    # Reproducibility is the point here, not unpredictability.
    random.Random(f"closer-pairing-order:{seed}").shuffle(order)  # noqa: S311
    return order


def _schedule_pairs(slots: int, step: int) -> list[tuple[int, int]]:
    """Circle method over seat positions 0..slots-1 (`slots` even): seat 0 stays put.

    With rest = seats 1..slots-1 (m = slots - 1, odd), step k pairs seat 0 with rest[k] and
    rest[k+i] with rest[k-i]; a pair {p, q} of the rest meets only at the step with
    2k = p + q (mod m), so m consecutive steps meet every pair exactly once.
    """
    m = slots - 1
    k = step % m
    pairs = [(0, 1 + k)]
    for i in range(1, m // 2 + 1):
        pairs.append((1 + (k + i) % m, 1 + (k - i) % m))
    return pairs


def _step_of(p: int, q: int, m: int) -> int:
    """The schedule step at which seats p and q meet (inverse of `_schedule_pairs`)."""
    if p == 0 or q == 0:
        return max(p, q) - 1
    return ((p - 1 + q - 1) * ((m + 1) // 2)) % m


def _schedule_steps(order: Sequence[int], costs: _CostTable, round_no: int) -> list[int]:
    """Schedule steps worth trying: the one after the step the last round used, then one keyed
    on the round number.

    The last step is read back from the groups of the latest round (a majority vote, because a
    trio or a repaired pair is off-schedule), so skipped or renumbered rounds do not matter.
    """
    slots = len(order) + len(order) % 2
    m = slots - 1
    seat = {member: i for i, member in enumerate(order)}
    votes: dict[int, int] = {}
    for a, b in costs.latest_pairs:
        k = _step_of(seat[a], seat[b], m)
        votes[k] = votes.get(k, 0) + 1
    steps: list[int] = []
    if votes:
        last = min(votes, key=lambda k: (-votes[k], k))
        steps.append((last + 1) % m)
    if round_no % m not in steps:
        steps.append(round_no % m)
    return steps


def _from_schedule(
    order: Sequence[int], step: int, costs: _CostTable, seats: _TrioSeats
) -> list[list[int]]:
    """The schedule's groups for `step`; for an odd count, with a trio grafted on cheaply."""
    n = len(order)
    slots = n + n % 2
    pairs = _schedule_pairs(slots, step)
    if n % 2 == 0:
        groups = [[order[p], order[q]] for p, q in pairs]
    else:
        groups = _graft_trio(order, pairs, costs, seats)
    _improve(groups, costs, seats.cls)
    return groups


def _graft_trio(
    order: Sequence[int], pairs: list[tuple[int, int]], costs: _CostTable, seats: _TrioSeats
) -> list[list[int]]:
    """Odd count: seat n is empty, so its partner (the "bye") is unpaired this step.

    The trio is one scheduled pair plus a third member w; w's scheduled partner then pairs with
    the bye (if w is the bye, nothing else moves). That keeps every other scheduled pair intact.
    Only members allowed a trio seat are considered, and the cheapest such graft wins.
    """
    n = len(order)
    partner: dict[int, int] = {}
    for p, q in pairs:
        partner[p] = q
        partner[q] = p
    bye = partner[n]
    seat = {member: i for i, member in enumerate(order)}
    allowed = [seat[m] for m in seats.allowed()]
    allowed_set = set(allowed)
    mandatory = {seat[m] for m in seats.mandatory}
    thirds = ([bye] if bye in allowed_set else []) + allowed[:_TRIO_SCAN]

    best: tuple[int, int, int] | None = None
    best_cost = 0
    for p, q in pairs:
        if n in (p, q) or p not in allowed_set or q not in allowed_set:
            continue
        for w in thirds:
            if w in (p, q) or not mandatory <= {p, q, w}:
                continue
            cost = costs.group([order[p], order[q], order[w]])
            if w != bye:
                cost += costs.pair(order[bye], order[partner[w]])
            if best is None or cost < best_cost:
                best, best_cost = (p, q, w), cost
                if cost == 0:
                    break
        if best is not None and best_cost == 0:
            break
    # If no scheduled pair fits the trio seats, pick the trio freely and re-pair its orphans.
    trio = [seat[m] for m in seats.choose(costs)] if best is None else list(best)
    in_trio = set(trio)
    groups: list[list[int]] = [[order[s] for s in trio]]
    orphans: list[int] = []
    for p, q in pairs:
        if p in in_trio or q in in_trio or n in (p, q):
            orphans.extend(s for s in (p, q) if s not in in_trio and s != n)
        else:
            groups.append([order[p], order[q]])
    groups.extend(_greedy_pairs([order[s] for s in orphans], costs))
    return groups


def _total(groups: Iterable[Sequence[int]], costs: _CostTable) -> int:
    return sum(costs.group(g) for g in groups)


def _greedy(
    ids: Sequence[int], costs: _CostTable, seats: _TrioSeats, round_no: int, seed: int
) -> list[list[int]]:
    """Schedule-free candidate: most-constrained-first greedy matching, then exchanges."""
    rng = random.Random(f"closer-pairing-round:{seed}:{round_no}")  # noqa: S311
    order = list(ids)
    rng.shuffle(order)
    groups: list[list[int]] = []
    if len(order) % 2 == 1:
        trio = seats.choose(costs)
        groups.append(trio)
        chosen = set(trio)
        order = [m for m in order if m not in chosen]
    groups.extend(_greedy_pairs(order, costs))
    _improve(groups, costs, seats.cls)
    return groups


class _TrioSeats:
    """Who may take a trio seat this round, so the seat rotates fairly.

    Effective trio count: members who missed rounds (newcomers, returners) are lifted to the
    minimum among continuing members, so they are not sent to the trio round after round to
    "catch up". The trio must hold everyone whose count is below the third-lowest count
    (`mandatory`), and the rest comes from those at exactly that count (`pool`), oldest last
    trio first. Choosing only from there keeps every count within one of the others.
    """

    def __init__(self, order: Sequence[int], costs: _CostTable, history: PairingHistory) -> None:
        floor = min((history.trio_rounds.get(m, 0) for m in costs.continuing), default=0)
        self.cls = {m: max(history.trio_rounds.get(m, 0), floor) for m in order}
        # Stable sort: the seeded order breaks the remaining ties.
        ranked = sorted(order, key=lambda m: (self.cls[m], history.last_trio.get(m, _NEVER)))
        cutoff = self.cls[ranked[2]] if len(ranked) >= 3 else 0
        self.mandatory = [m for m in ranked if self.cls[m] < cutoff]
        self.pool = [m for m in ranked if self.cls[m] == cutoff]

    def allowed(self) -> list[int]:
        return self.mandatory + self.pool

    def choose(self, costs: _CostTable) -> list[int]:
        trio = list(self.mandatory)
        while len(trio) < 3:
            # Fill each seat with whoever adds the least cost, scanning a bounded prefix.
            best: int | None = None
            best_cost = 0
            for m in self.pool[:_TRIO_SCAN]:
                if m in trio:
                    continue
                added = sum(costs.pair(m, t) for t in trio)
                if best is None or added < best_cost:
                    best, best_cost = m, added
                    if added == 0:
                        break
            assert best is not None  # noqa: S101 - the pool holds at least 3 - len(trio)
            trio.append(best)
        return trio


def _greedy_pairs(order: Sequence[int], costs: _CostTable) -> list[list[int]]:
    # Most-met members first: they have the fewest fresh partners left, so they choose first.
    remaining = sorted(order, key=lambda m: -len(costs.met[m]))
    pairs: list[list[int]] = []
    while remaining:
        a = remaining.pop(0)
        best_i = 0
        best_cost = -1
        for i, b in enumerate(remaining):
            c = costs.pair(a, b)
            if best_cost < 0 or c < best_cost:
                best_i, best_cost = i, c
                if c == 0:
                    break
        pairs.append([a, remaining.pop(best_i)])
    return pairs


def _improve(groups: list[list[int]], costs: _CostTable, trio_class: Mapping[int, int]) -> None:
    """Exchange members between two groups while that lowers the total cost (2-opt)."""
    for _ in range(_MAX_PASSES):
        changed = False
        for i in range(len(groups)):
            if costs.group(groups[i]) == 0:
                continue
            for j in range(len(groups)):
                if i == j:
                    continue
                better = _best_exchange(groups[i], groups[j], costs, trio_class)
                if better is not None:
                    groups[i], groups[j] = better
                    changed = True
                    if costs.group(groups[i]) == 0:
                        break
        if not changed:
            return


def _best_exchange(
    g: list[int], h: list[int], costs: _CostTable, trio_class: Mapping[int, int]
) -> tuple[list[int], list[int]] | None:
    current = costs.group(g) + costs.group(h)
    best: tuple[list[int], list[int]] | None = None
    best_cost = current
    for new_g, new_h in _exchanges(g, h, trio_class):
        cost = costs.group(new_g) + costs.group(new_h)
        if cost < best_cost:
            best, best_cost = (new_g, new_h), cost
    return best


def _exchanges(
    g: list[int], h: list[int], trio_class: Mapping[int, int]
) -> Iterable[tuple[list[int], list[int]]]:
    if len(g) == 2 and len(h) == 2:
        a, b = g
        c, d = h
        yield [a, c], [b, d]
        yield [a, d], [b, c]
        return
    trio, pair, trio_first = (g, h, True) if len(g) == 3 else (h, g, False)
    for t in trio:
        for w in pair:
            # Only hand a trio seat to someone with the same trio count, so rotation stays fair.
            if trio_class[w] != trio_class[t]:
                continue
            new_trio = [w if x == t else x for x in trio]
            new_pair = [t if y == w else y for y in pair]
            yield (new_trio, new_pair) if trio_first else (new_pair, new_trio)
