"""Early-journey patterns that mark best customers (docs/domain.md, "the best-customer journey").

What did best customers do early, before anyone could know they would become best? Only
events before a *horizon* (the first session, the first days, or the first n events) are
looked at, so nothing leaks from the outcome. Three kinds of pattern are counted, vectorised
in ibis (self-joins on the user key, no loop over customers):

- single features: first channel, first device, landing page, each page type seen, each event
  done (``page: reviews``, ``event: add_to_cart``);
- pairs of them (``page: reviews + page: size_guide``);
- ordered sequences of two steps (``page: reviews → event: add_to_cart``: a ``reviews`` page
  view before an add-to-cart).

Redundancy is handled as in closed and productive rule mining: patterns that cover exactly the
same users are one row (the most specific one is shown, the others are listed), and a pattern
is *productive* when it raises the best-customer share significantly above each of its parts.
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy.stats import hypergeom

from ..engine.eventlog import EventLog
from ..engine.exact_tests import bh_adjust, fisher_two_sided
from ..engine.intervals import wilson
from ..engine.schema import PURCHASE, USER_KEY
from .early_journeys import (
    BOOKKEEPING,
    EarlyItems,
    best_ids,
    early_items,
    horizon_events,
    items_of,
    prepared_journeys,
    user_items,
)

_KIND_ORDER = {"single": 1, "pair": 2, "sequence": 3}


def early_patterns(
    events: EventLog | pd.DataFrame,
    best: pd.DataFrame | Iterable[str],
    *,
    horizon: str | int = "first_session",
    min_support: float = 0.05,
    population: str = "customers",
    alpha: float = 0.05,
    items: EarlyItems | None = None,
) -> pd.DataFrame:
    """Early-journey patterns ranked by how much likelier they make a best customer.

    Parameters
    ----------
    events
        The event log (sessionized when it has no ``session_id``).
    best
        The best customers: a frame with ``user_id`` (from :func:`best_customers`) or ids.
    horizon
        What counts as early: ``"first_session"`` (the user's first visit), a duration such
        as ``"7D"`` (events within that time of the first on-site event) or an int n (the
        user's first n events in (event_time, row_id) order). Events after it are never read.
    min_support
        Minimum share of the population showing a pattern (and not showing it).
    population
        ``"customers"`` (users with a purchase: best vs the other customers, the default) or
        ``"users"`` (everyone in the log).
    alpha
        Level for ``productive`` (on Benjamini-Hochberg adjusted p-values).
    items
        :func:`early_items` of the same events and horizon, when already computed (the
        early journeys are read once for this and :func:`~journeylib.best.on_the_path.on_the_path`).

    Returns
    -------
    DataFrame, one row per distinct pattern, ranked (``rank``): productive patterns first,
    then by ``lift``. Columns: ``pattern`` (label), ``kind`` (single, pair, sequence),
    ``item_a``, ``item_b``, ``users``, ``support`` (users / population), ``best_users``,
    ``p_best`` (P(best | pattern)), ``ci_low``/``ci_high`` (95 % Wilson interval of it),
    ``p_best_without`` (P(best | not pattern)), ``lift`` (their ratio), ``p_value`` (two-sided
    Fisher exact test, the smaller tail doubled), ``p_adjusted`` (Benjamini-Hochberg over all
    patterns), ``p_improvement`` (one-sided Fisher test that the pattern beats each of its
    parts within that part, the largest over its parts, BH-adjusted), ``productive``
    (``lift > 1`` and ``p_improvement < alpha``), ``same_users_as`` (patterns covering exactly
    the same users, folded into this row), ``horizon``, ``population``.
    """
    log = prepared_journeys(events)
    pop = _population(log, best, population)
    n_pop, n_best = _totals(pop)
    items, steps = items_of(log, horizon, items)
    items = items.join(pop, USER_KEY)
    steps = steps.join(pop, USER_KEY)
    low, high = min_support * n_pop, (1 - min_support) * n_pop
    counts = _count_patterns(items, steps, low, high)
    table = _score(counts, n_pop, n_best)
    table = _improvement(table, n_pop, n_best)
    table = _fold_equivalent(table)
    table["p_adjusted"] = bh_adjust(table.p_value.to_numpy())
    table["p_improvement"] = bh_adjust(table.p_improvement.to_numpy())
    table["productive"] = (table.lift > 1) & (table.p_improvement < alpha)
    table["horizon"], table["population"] = str(horizon), population
    return _ranked(table)


def _population(log: EventLog, best: pd.DataFrame | Iterable[str], population: str) -> ir.Table:
    """``user_key`` and ``best`` (int 0/1) for every user of the population."""
    t = log.table
    if population == "customers":
        users = t.filter(t.event == PURCHASE).select("user_id", USER_KEY).distinct()
    elif population == "users":
        users = t.select("user_id", USER_KEY).distinct()
    else:
        raise ValueError(f"population must be 'customers' or 'users', got {population!r}")
    ids = ibis.memtable({"user_id": best_ids(best)}, schema={"user_id": "string"})
    ids = ids.mutate(_b=ibis.literal(1))  # typed: no best customers is an empty string column
    joined = users.left_join(ids, "user_id")
    return joined.select(USER_KEY, best=joined._b.fill_null(0).cast("int64"))


def _totals(pop: ir.Table) -> tuple[int, int]:
    row = pop.aggregate(n=pop.count(), b=pop.best.sum()).to_pandas().iloc[0]
    return int(row.n), int(row.b or 0)


def _signature(t: ir.Table, keys: list[str]) -> ir.Table:
    """Counts per pattern plus a fingerprint of its user set (sums of user keys)."""
    k = t[USER_KEY].cast("int64")
    return t.group_by(keys).aggregate(
        users=t.count(), best_users=t.best.sum(), _s1=k.sum(), _s2=(k * k).sum()
    )


def _count_patterns(items: ir.Table, steps: ir.Table, low: float, high: float) -> pd.DataFrame:
    singles = _signature(items, ["item"]).to_pandas()
    singles = singles[(singles.users >= low) & (singles.users <= high)]
    frequent = singles.item.tolist()
    fi = items.filter(items.item.isin(frequent))
    a, b = fi.view(), fi.view()
    pairs = a.join(b, (a[USER_KEY] == b[USER_KEY]) & (a.item < b.item)).select(
        USER_KEY, "best", item_a=a.item, item_b=b.item
    )
    pairs = _signature(pairs, ["item_a", "item_b"]).to_pandas()
    fs = steps.filter(steps.item.isin(frequent))
    a, b = fs.view(), fs.view()
    before = (a.first_time < b.last_time) | (
        (a.first_time == b.last_time) & (a.first_row < b.last_row)
    )
    seqs = a.join(b, (a[USER_KEY] == b[USER_KEY]) & (a.item != b.item) & before).select(
        USER_KEY, "best", item_a=a.item, item_b=b.item
    )
    seqs = _signature(seqs, ["item_a", "item_b"]).to_pandas()
    frames = [
        singles.rename(columns={"item": "item_a"}).assign(item_b=None, kind="single"),
        pairs.assign(kind="pair"),
        seqs.assign(kind="sequence"),
    ]
    out = pd.concat(frames, ignore_index=True)
    out = out[(out.users >= low) & (out.users <= high)]
    out = out[~_landing_and_same_page(out)].reset_index(drop=True)
    joiner = out.kind.map({"single": "", "pair": " + ", "sequence": " → "})
    out["pattern"] = out.item_a + joiner + out.item_b.fillna("")
    return out


def _landing_and_same_page(t: pd.DataFrame) -> pd.Series:
    """Pairs of ``landing page: x`` and ``page: x`` (the landing view is a view of x)."""
    a = t.item_a.str.removeprefix("landing ")
    b = t.item_b.fillna("").str.removeprefix("landing ")
    return (t.kind == "pair") & (a == b)


def _score(t: pd.DataFrame, n_pop: int, n_best: int) -> pd.DataFrame:
    """Support, P(best | pattern) with a Wilson interval, lift and Fisher p-values."""
    t = t.copy()
    n, b = t.users.to_numpy(float), t.best_users.to_numpy(float)
    t["support"] = n / n_pop
    t["p_best"] = b / n
    t["ci_low"], t["ci_high"] = wilson(b, n)
    # a pattern every user has leaves nobody without it: NaN, not a warning
    with np.errstate(divide="ignore", invalid="ignore"):
        t["p_best_without"] = (n_best - b) / (n_pop - n)
        t["lift"] = t.p_best / t.p_best_without
    t["p_value"] = fisher_two_sided(b, n_pop, n_best, n)
    t["_group"] = t.groupby(["users", "best_users", "_s1", "_s2"]).ngroup()
    return t


def _fold_equivalent(t: pd.DataFrame) -> pd.DataFrame:
    """One row per set of patterns covering exactly the same users (the most specific kept).

    Among equally specific ones, the pattern whose parts on their own point most to best
    customers (the largest sum of single-feature lifts) is shown; the rest are listed in
    ``same_users_as``.
    """
    if t.empty:
        return t.assign(same_users_as=pd.Series(dtype=str))
    t = t.copy()
    single_lift = t[t.kind == "single"].set_index("item_a").lift
    parts = t.item_a.map(single_lift).fillna(0) + t.item_b.map(single_lift).fillna(0)
    t["_specific"], t["_parts"] = t.kind.map(_KIND_ORDER), parts
    t = t.sort_values(["_group", "_specific", "_parts", "pattern"], ascending=[1, 0, 0, 1])
    others = t.groupby("_group").pattern.agg(lambda p: "; ".join(p.iloc[1:]))
    t = t.drop_duplicates("_group").copy()
    t["same_users_as"] = t._group.map(others)
    return t.drop(columns=["_specific", "_parts"])


def _improvement(t: pd.DataFrame, n_pop: int, n_best: int) -> pd.DataFrame:
    """``p_improvement`` (raw): does the pattern beat the population and each of its parts?

    One-sided Fisher test of the pattern's best users within each part (a single feature of
    a pair or sequence, the unordered pair of a sequence) that covers other users too; the
    largest p-value counts. Computed before equivalent patterns are folded, so every part
    is there.
    """
    t = t.copy()
    whole = hypergeom.sf(t.best_users - 1, n_pop, n_best, t.users)
    parents = _parents(t)
    worst = pd.Series(whole, index=t.index)
    if not parents.empty:
        p = hypergeom.sf(
            parents.best_users - 1, parents.users_parent, parents.best_parent, parents.users
        )
        worst = pd.concat([worst, pd.Series(p, index=parents.index)]).groupby(level=0).max()
    t["p_improvement"] = worst.reindex(t.index).to_numpy()
    return t


def _parents(t: pd.DataFrame) -> pd.DataFrame:
    """Child rows (index kept) with the counts of each non-equivalent part they contain."""
    counts = ["users", "best_users", "_group"]
    single = t[t.kind == "single"].set_index("item_a")[counts].add_suffix("_p")
    pair = t[t.kind == "pair"].set_index(["item_a", "item_b"])[counts].add_suffix("_p")
    rows = []
    for part in ("item_a", "item_b"):
        rows.append(t[t.kind != "single"].join(single, on=part))
    seq = t[t.kind == "sequence"].copy()
    seq["_lo"] = seq[["item_a", "item_b"]].min(axis=1)
    seq["_hi"] = seq[["item_a", "item_b"]].max(axis=1)
    rows.append(seq.join(pair, on=["_lo", "_hi"]))
    out = pd.concat(rows).dropna(subset=["users_p"])
    out = out[out._group != out._group_p]
    return out.rename(columns={"users_p": "users_parent", "best_users_p": "best_parent"})


def _ranked(t: pd.DataFrame) -> pd.DataFrame:
    t = t.sort_values(["productive", "lift", "users", "pattern"], ascending=[0, 0, 0, 1])
    t = t.reset_index(drop=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    cols = [
        "rank", "pattern", "kind", "item_a", "item_b", "users", "support", "best_users",
        "p_best", "ci_low", "ci_high", "p_best_without", "lift", "p_value", "p_adjusted",
        "p_improvement", "productive", "same_users_as", "horizon", "population",
    ]  # fmt: skip
    return t[cols]


def matches(
    events: EventLog | pd.DataFrame,
    patterns: pd.DataFrame,
    *,
    horizon: str | int | None = None,
    items: EarlyItems | None = None,
) -> pd.DataFrame:
    """Which users show which of ``patterns`` (rows of :func:`early_patterns`) early.

    Returns ``user_id``, ``pattern`` (one row per user and matched pattern). The horizon is the
    one the patterns were found with unless given. ``items``: :func:`early_items` of the same
    events and horizon, when already computed.
    """
    log = prepared_journeys(events)
    if patterns.empty:
        return pd.DataFrame({"user_id": pd.Series(dtype=str), "pattern": pd.Series(dtype=str)})
    horizon = horizon if horizon is not None else _horizon_of(patterns)
    items, steps = items_of(log, horizon, items)
    wanted = pd.unique(patterns[["item_a", "item_b"]].stack().dropna())
    items = items.filter(items.item.isin(list(wanted))).to_pandas()
    steps = steps.filter(steps.item.isin(list(wanted))).to_pandas()
    found = [_match_kind(items, steps, patterns, kind) for kind in _KIND_ORDER]
    hits = pd.concat(found, ignore_index=True)
    users = log.table.select("user_id", USER_KEY).distinct().to_pandas()
    return hits.merge(users, on=USER_KEY)[["user_id", "pattern"]]


def _horizon_of(patterns: pd.DataFrame) -> str | int:
    h = str(patterns.horizon.iloc[0])
    return int(h) if h.isdigit() else h


def _match_kind(
    items: pd.DataFrame, steps: pd.DataFrame, patterns: pd.DataFrame, kind: str
) -> pd.DataFrame:
    p = patterns[patterns.kind == kind][["pattern", "item_a", "item_b"]]
    if kind == "single":
        return items.merge(p, left_on="item", right_on="item_a")[[USER_KEY, "pattern"]]
    src = items if kind == "pair" else steps
    a = src.merge(p, left_on="item", right_on="item_a")
    second = src.rename(columns=lambda c: c if c == USER_KEY else f"{c}_2")
    both = a.merge(second, left_on=[USER_KEY, "item_b"], right_on=[USER_KEY, "item_2"])
    if kind == "sequence":
        before = (both.first_time < both.last_time_2) | (
            (both.first_time == both.last_time_2) & (both.first_row < both.last_row_2)
        )
        both = both[before]
    return both[[USER_KEY, "pattern"]]


# the flat layout's module held the early journeys too: its names are handed on from here
__all__ = [
    "BOOKKEEPING",
    "EarlyItems",
    "best_ids",
    "early_items",
    "early_patterns",
    "horizon_events",
    "matches",
    "prepared_journeys",
    "user_items",
]
