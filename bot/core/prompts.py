"""Choosing the next prompt for a pair.

Pure and deterministic: no I/O, no clock, no global random state. The same library, context and
seed always give the same prompt, whatever order the library arrives in (it is sorted by id first).

Rules, strongest first. Hard rules are never relaxed; each soft rule gives way only when nothing
that satisfies it is left among the prompts the stronger rules allow.

1. Hard: only prompts whose `audience` lists the pair's relationship kind; only kinds Closer can
   deliver (see ``GUESS_AND_PICK_ENABLED``); never a muted category; never deeper than the
   pair's tier. What remains is the pair's *eligible pool*; empty pool -> ``None``.
2. An active challenge day comes first (see ``_from_challenge`` for its fallbacks).
3. No repeat before the pool is used up. The history is replayed against the current pool in
   cycles: a cycle ends when every pool prompt has been sent in it, and only prompts not yet sent
   in the current cycle are candidates. Replaying against the *current* pool means a pair that
   goes deeper gets all the newly unlocked prompts before any lighter prompt comes back.
4. Soft: avoid prompts a member already answered with an earlier partner. They wait until the
   end of each cycle, after every other candidate (a repeat for the whole pair is worse than a
   prompt that is new to one of them).
5. Soft: not the category of the previous prompt.
6. Balance: the category used least in the last 7 sent prompts. Ties among categories that
   appear in that window go to the one sent longest ago (this tie-break is what makes the
   guarantee hold: whenever at least 7 categories have candidates, any 7 consecutive picks use 7
   different categories). Ties among categories absent from the window go to a seeded draw
   weighted by how many prompts ago each was last sent, so the order varies but none starves.
7. Inside the chosen category: least recently sent first, measured in whole cycles (prompts whose
   last send is in an older cycle come first), so a new cycle starts with the longest-unseen
   prompts without replaying the last cycle in the same order.
8. Depth: among those, a seeded weighted draw where prompts at the pair's own tier weigh
   ``CURRENT_TIER_WEIGHT`` (3) and lighter ones 1, so a medium pair sees mostly, not only,
   medium prompts while light ones still turn up for breathing room.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.core.models import Category, ChallengeDay, Depth, Kind, Prompt, Relationship

BALANCE_WINDOW = 7
"""How many recent prompts the category balance looks at: one week of daily prompts."""

CURRENT_TIER_WEIGHT = 3.0
"""Draw weight of a prompt at the pair's own tier; lighter prompts weigh 1."""

LIGHTER_TIER_WEIGHT = 1.0

GUESS_AND_PICK_ENABLED = True
"""`guess` and `pick` prompts have their own DM interaction (a two-field form, a select menu on
the prompt). Turning this off keeps them loaded and validated but never chosen."""

DEEPER_OFFER_THRESHOLD = 5
"""Prompts answered together at a tier before Closer offers "Go a little deeper?"."""


class SentPrompt(NamedTuple):
    """One entry of a pair's history. The category travels with the id so that balance and the
    no-twice-in-a-row rule still see prompts that have since left the library or the pool."""

    prompt_id: str
    category: Category


@dataclass(frozen=True)
class SelectionContext:
    relationship: Relationship
    """What the two are to each other: a prompt must list it in its audience."""
    depth: Depth
    """The pair's tier: prompts of this tier or lighter."""
    muted: frozenset[Category] = frozenset()
    sent: Sequence[SentPrompt] = ()
    """This pair's history, oldest first."""
    answered_elsewhere: frozenset[str] = frozenset()
    """Prompt ids any member of this pair already answered with an earlier partner."""
    challenge_day: ChallengeDay | None = None
    """Today's plan when a themed week is running."""


def choose_prompt(prompts: Sequence[Prompt], ctx: SelectionContext, seed: int) -> Prompt | None:
    """The prompt to send next, or ``None`` when nothing is eligible (e.g. every category muted)."""
    library, pool = _library_and_pool(prompts, ctx)
    if not pool:
        return None
    if ctx.challenge_day is not None:
        planned = _from_challenge(library, pool, ctx, ctx.challenge_day, seed)
        if planned is not None:
            return planned
    return _pick(pool, ctx, seed, tier=ctx.depth, spread_categories=True)


def should_offer_deeper(
    depth: Depth, light_answered_together: int, threshold: int = DEEPER_OFFER_THRESHOLD
) -> bool:
    """Whether to offer "Go a little deeper?": the pair answered ``threshold`` prompts together at
    their current tier (``light_answered_together`` counts those) and a deeper tier exists."""
    return depth.deeper() is not None and light_answered_together >= threshold


def selectable_kind(kind: Kind) -> bool:
    """Whether selection may send prompts of this kind at all (the loader asks too, so that a
    themed week never counts on a prompt nobody can receive yet)."""
    return GUESS_AND_PICK_ENABLED or kind not in (Kind.GUESS, Kind.PICK)


class _Prepared:
    """A library sorted by id, and its pools by hard rules, for one immutable prompt tuple.

    Sorting the library and filtering it by the hard rules were four fifths of a choice, and
    both depend only on the tuple and on (pair kind, depth, muted topics), which a batch of due
    slots shares; so they are kept for the last tuple seen.
    """

    def __init__(self, prompts: tuple[Prompt, ...]) -> None:
        self.prompts = prompts
        self.library = _by_id(prompts)
        self.pools: dict[tuple[Relationship, Depth, frozenset[Category]], list[Prompt]] = {}

    def pool(self, ctx: SelectionContext) -> list[Prompt]:
        key = (ctx.relationship, ctx.depth, ctx.muted)
        pool = self.pools.get(key)
        if pool is None:
            if len(self.pools) >= 64:
                self.pools.clear()
            pool = self.pools[key] = [p for p in self.library.values() if _allowed(p, ctx)]
        return pool


_prepared: _Prepared | None = None


def _library_and_pool(
    prompts: Sequence[Prompt], ctx: SelectionContext
) -> tuple[dict[str, Prompt], list[Prompt]]:
    global _prepared
    if not isinstance(prompts, tuple):  # a list could change under a cache
        library = _by_id(prompts)
        return library, [p for p in library.values() if _allowed(p, ctx)]
    if _prepared is None or _prepared.prompts is not prompts:
        _prepared = _Prepared(prompts)
    # A copy: callers (and `_pick`) may filter it further but must not change the cached one.
    return _prepared.library, list(_prepared.pool(ctx))


def _by_id(prompts: Sequence[Prompt]) -> dict[str, Prompt]:
    """The library keyed by id, in id order, so the caller's ordering cannot leak into the result.

    Ids are unique in a valid library; if they are not, the full sort key still picks the same
    survivor whatever the input order.
    """
    library: dict[str, Prompt] = {}
    for p in sorted(prompts, key=_sort_key):
        library.setdefault(p.id, p)
    return library


def _sort_key(p: Prompt) -> tuple[str, str, str, str, tuple[str, ...], str, str, int]:
    return (
        p.id,
        p.category,
        p.depth,
        p.kind,
        tuple(sorted(p.audience)),
        p.text,
        p.follow_up or "",
        -1 if p.minutes is None else p.minutes,
    )


def _allowed(p: Prompt, ctx: SelectionContext) -> bool:
    """The hard rules: nothing outside the pair's relationship kind, nothing undeliverable."""
    if ctx.relationship not in p.audience or not selectable_kind(p.kind):
        return False
    if p.category in ctx.muted:
        return False
    return ctx.depth.allows(p.depth)


def _shallower(a: Depth, b: Depth) -> Depth:
    return a if a.rank <= b.rank else b


def _from_challenge(
    library: dict[str, Prompt],
    pool: list[Prompt],
    ctx: SelectionContext,
    day: ChallengeDay,
    seed: int,
) -> Prompt | None:
    """Today's challenge prompt, or ``None`` to fall back to normal selection.

    - A named prompt the pair may receive is used as is, even if sent or answered before: the plan
      is explicit and the pair opted into it.
    - A named prompt the pair may not receive (too deep, another relationship kind, a kind not yet
      deliverable) gives way to the day's declared stand-in, if the pair may receive that; the
      loader makes sure every week has one where a new pair would need it.
    - Otherwise the day keeps its theme: a prompt of its category at min(its depth, the pair's
      tier), chosen like any other.
    - A day naming a category picks within it at min(day depth, pair tier), default light as in
      the pack format, with the usual non-repeat and answered-elsewhere rules. The category rules
      (no twice in a row, balance) do not apply: a themed week repeats its theme on purpose.
    - The challenge only wins if the pair muted nothing it touches; a muted category, an unknown
      id without a category, or an empty category pool falls back to normal selection.
    """
    category: Category | None = None
    cap = ctx.depth
    planned = library.get(day.prompt_id) if day.prompt_id is not None else None
    if planned is not None:
        if planned.category in ctx.muted or (
            day.category is not None and day.category in ctx.muted
        ):
            return None
        if _allowed(planned, ctx):
            return planned
        stand_in = library.get(day.stand_in_id) if day.stand_in_id is not None else None
        if stand_in is not None and stand_in.category not in ctx.muted and _allowed(stand_in, ctx):
            return stand_in
        category = planned.category
        cap = _shallower(planned.depth, ctx.depth)
    elif day.category is not None:
        category = day.category
        cap = _shallower(day.depth or Depth.LIGHT, ctx.depth)
    if category is None or category in ctx.muted:
        return None
    themed = [p for p in pool if p.category == category and cap.allows(p.depth)]
    if not themed:
        return None
    return _pick(themed, ctx, seed, tier=cap, spread_categories=False)


def _pick(
    pool: list[Prompt], ctx: SelectionContext, seed: int, *, tier: Depth, spread_categories: bool
) -> Prompt:
    """Rules 3-8 of the module docstring over a non-empty pool sorted by id."""
    fresh, last_cycle = _current_cycle(pool, ctx.sent)
    candidates = [p for p in fresh if p.id not in ctx.answered_elsewhere] or fresh
    if spread_categories:
        category = _choose_category(sorted({p.category for p in candidates}), ctx.sent, seed)
        candidates = [p for p in candidates if p.category == category]
    oldest = min(last_cycle.get(p.id, -1) for p in candidates)
    candidates = [p for p in candidates if last_cycle.get(p.id, -1) == oldest]
    # max() keeps the first of equal keys; candidates are in id order, so ties stay deterministic.
    return max(candidates, key=lambda p: _weighted_key(seed, p, tier))


def _current_cycle(
    pool: list[Prompt], sent: Sequence[SentPrompt]
) -> tuple[list[Prompt], dict[str, int]]:
    """Replay the history against the pool: the prompts not yet sent in the current cycle, and
    for each pool prompt ever sent, the number of the cycle it was last sent in.

    Entries outside the pool (muted, too deep, retired) are skipped. A prompt sent twice in one
    cycle (a challenge may do that) simply counts once.
    """
    ids = {p.id for p in pool}
    used: set[str] = set()
    cycle = 0
    last_cycle: dict[str, int] = {}
    for entry in sent:
        prompt_id = entry.prompt_id
        if prompt_id not in ids:
            continue
        used.add(prompt_id)
        last_cycle[prompt_id] = cycle
        if len(used) == len(ids):
            used.clear()
            cycle += 1
    return [p for p in pool if p.id not in used], last_cycle


def _choose_category(categories: list[Category], sent: Sequence[SentPrompt], seed: int) -> Category:
    """Rules 5 and 6: not the previous category, least used in the window, then as described."""
    previous = sent[-1].category if sent else None
    counts = Counter(entry.category for entry in sent[-BALANCE_WINDOW:])
    # Where each candidate category was last sent; stop scanning once all are found.
    last_index: dict[Category, int] = {}
    missing = set(categories)
    for i in range(len(sent) - 1, -1, -1):
        category = sent[i].category
        last_index.setdefault(category, i)
        missing.discard(category)
        if not missing:
            break

    def key(category: Category) -> tuple[bool, int, float]:
        used = counts.get(category, 0)
        if used:
            # Inside the window, the category sent longest ago: this is what makes "7 different
            # categories in any 7 picks" hold when exactly 7 are available.
            return (category == previous, used, float(last_index[category]))
        # Outside the window a seeded draw, weighted by how long ago the category was last sent
        # (never sent: longest of all), so the order varies yet no category starves for long.
        age = len(sent) - last_index[category] if category in last_index else len(sent) + 1
        return (category == previous, 0, -math.log(_unit(seed, "category", category)) / age)

    return min(categories, key=key)


def _weighted_key(seed: int, p: Prompt, tier: Depth) -> float:
    """Weighted sampling without replacement (Efraimidis-Spirakis): the largest u ** (1 / w) wins,
    i.e. a prompt of weight w is as likely to win as w prompts of weight 1. Logs avoid underflow.
    """
    weight = CURRENT_TIER_WEIGHT if p.depth == tier else LIGHTER_TIER_WEIGHT
    return math.log(_unit(seed, "prompt", p.id)) / weight


def _unit(seed: int, *parts: str) -> float:
    """A uniform number in (0, 1] from the seed and a name. A keyed hash rather than
    ``random.Random`` so each prompt's draw depends only on (seed, id), not on what else is in
    the pool or in which order it was read, and Python's per-process string hashing never leaks in.
    """
    data = "\x1f".join((str(seed), *parts)).encode()
    digest = hashlib.blake2b(data, digest_size=8).digest()
    return (int.from_bytes(digest, "big") + 1) / 2.0**64
