"""What goes with finishing a funnel, and what with dropping out (correlation analysis).

PostHog's "correlation analysis" and Amplitude's "Compass" answer the question a funnel chart
leaves open: *why* do some people finish and others drop? Every user who entered the funnel is
a success (reached the last step) or a failure; for each event they did on the way, and each
property value they had, a 2 x 2 table of successes and failures with and without it gives a
smoothed odds ratio, its interval and Fisher's exact test. The counting runs as two ibis
queries (the entrants: the funnel's own matching with their step-1 values, held by the
engine; then one join of the log with them); only the small table of counts per event and
property value comes back as pandas.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.exact_tests import bh_adjust, fisher_two_sided
from ..engine.ordered import epoch_us, first_in_order
from ..engine.read.events import as_eventlog
from ..engine.schema import ROW_ID, USER_KEY
from .conversion import attempt_table
from .spec import ORDERS, Window
from .steps import Step, StepSpec, as_step, as_steps

#: Properties of the visit or the user: read from the user's step-1 event. Any other column
#: (``page_type``, ``category``...) is a property of events: read from the counted events.
USER_PROPERTIES = (
    "channel",
    "device",
    "campaign",
    "variant",
    "first_channel",
    "first_device",
    "cohort",
)
#: A table is flagged when one side outnumbers the other this many times.
IMBALANCE = 10
#: Later than any event: a failure's counted events run to the end of the data without a window.
_NO_END = 2**62
_Z = 1.959963984540054  # the normal quantile of a 95 % interval
_COLUMNS = [
    "feature", "kind", "column", "value", "side", "successes", "failures", "success_share",
    "odds_ratio", "ci_low", "ci_high", "p_value", "q_value", "few_on_one_side",
]  # fmt: skip


def funnel_correlation(
    events: EventLog | pd.DataFrame,
    steps: Sequence[StepSpec],
    *,
    window: Window = None,
    order: str = "ordered",
    properties: Sequence[str] | None = None,
    min_users: float | None = None,
    top: int = 10,
    exclude: Sequence[StepSpec] | None = None,
) -> pd.DataFrame:
    """Which events and property values go with finishing a funnel, and which with dropping.

    Parameters
    ----------
    events
        The event log (filter it to the period first).
    steps
        The funnel, as in :func:`journeylib.funnel` (two steps or more).
    window, order
        As in :func:`journeylib.funnel` (one attempt per user, from their first step-1 event).
    properties
        Columns whose values are compared too. Those of :data:`USER_PROPERTIES` (``device``,
        ``channel``...) are taken from the user's step-1 event; any other (``page_type``) from
        the counted events, like an event.
    min_users
        Features done by fewer users (successes + failures) are left out; default
        ``min(25, 2 % of all entrants)``.
    top
        How many rows to keep on each side (the largest and the smallest odds ratios).
    exclude
        Events left out of the count besides the funnel's own steps (written like steps).

    Returns
    -------
    DataFrame, the ``top`` features going with finishing (``side == "finishing"``, odds ratio
    above 1, largest first) then the ``top`` going with dropping (below 1, smallest first):
    ``feature`` (the event, or ``"column = value"``), ``kind`` (``"event"``, ``"user
    property"``, ``"event property"``), ``column``, ``value``, ``side``, ``successes`` (s:
    entrants who finished and did it), ``failures`` (f), ``success_share`` (s / (s + f)),
    ``odds_ratio`` = ((s + 1)(F - f + 1)) / ((S - s + 1)(f + 1)) with S and F all successes
    and failures, ``ci_low`` and ``ci_high`` (95 %: Woolf's logit interval on the same
    smoothed counts), ``p_value`` (two-sided Fisher exact test, the smaller tail doubled),
    ``q_value`` (Benjamini-Hochberg over every feature kept) and ``few_on_one_side`` (S / F
    or F / S above 10: the odds ratios rest on few users). ``attrs`` holds ``successes``
    (S), ``failures`` (F) and ``min_users``.

    Conventions
    -----------
    Population: every user with a step-1 event. The events counted for a user are those at
    or after their first step-1 event and before the time they reached the last step
    (successes) or, for failures, up to the end of the window from step 1 (the end of the
    data without a window); events of the funnel's steps and of ``exclude`` are left out. A
    user counts once per feature however often they did it. A feature every entrant has
    (nobody to compare with) is left out.

    Raises
    ------
    NotComputable
        When no one entered, no one finished or everyone finished (nothing to compare), or
        when a property column is missing from the log.

    Examples
    --------
    >>> funnel_correlation(log, ["view_item", "add_to_cart", "purchase"],
    ...                    properties=["device", "channel"])  # doctest: +SKIP
    """
    log = as_eventlog(events)
    parsed = as_steps(steps)
    if len(parsed) < 2:
        raise ValueError("a funnel correlation needs two steps or more")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    props = list(dict.fromkeys(properties or []))
    on_entry = [p for p in props if p in USER_PROPERTIES]
    on_events = [p for p in props if p not in USER_PROPERTIES]
    for p in on_events:
        if p not in log.table.columns:
            raise NotComputable(f"the log has no {p!r} column to compare")
    skip = [*parsed, *(as_step(x) for x in exclude or [])]
    if all(p in log.table.columns for p in on_entry):
        entrants = attempt_table(log, parsed, window=window, order=order)
        entrants = with_entry_values(log, entrants, parsed[0], on_entry)
    else:  # derived columns (first_channel, cohort...) and the missing ones' message
        entrants = attempt_table(log, parsed, window=window, order=order, by=on_entry)
    # every kind of feature reads the entrants: found once, not once per kind, and held
    # with only the columns the counting reads
    unit = entry_spans(entrants, len(parsed), on_entry).cache()
    try:
        counts = feature_counts(log, unit, window, skip, on_entry, on_events).to_pandas()
    finally:
        unit.release()
    return _table(counts, min_users, top)


def with_entry_values(
    log: EventLog, entrants: ir.Table, first: Step, columns: Sequence[str]
) -> ir.Table:
    """``entrants`` (one row per user) with the values of ``columns`` on the user's first
    step-1 event (the first in the log's order among events at the same time): what
    ``attempt_table(..., by=columns)`` gives, in one aggregate per user that takes the values
    together (a struct) instead of one ordered aggregate per column."""
    if not columns:
        return entrants
    t = log.table
    c = t.filter(first.matches(t))
    values = ibis.struct({name: c[name] for name in columns})
    first_row = first_in_order(values, [epoch_us(c.event_time), c[ROW_ID]])
    v = c.group_by(_u=c[USER_KEY]).aggregate(_v=first_row)
    v = v.select("_u", **{name: v._v[name] for name in columns})
    return entrants.join(v, entrants[USER_KEY] == v._u).drop("_u")


def entry_spans(entrants: ir.Table, k: int, on_entry: Sequence[str]) -> ir.Table:
    """Each entrant as the counting reads them: ``user_key``, the ``on_entry`` values,
    ``_ok`` (finished), ``_t1`` (step-1 time) and ``_end`` (last-step time, NULL for a
    failure), from :func:`journeylib.funnels.attempt_table` of the ``k``-step funnel."""
    return entrants.select(
        USER_KEY, *on_entry, _ok=entrants[f"T{k}"].notnull(), _t1=entrants.T1,
        _end=entrants[f"T{k}"],
    )  # fmt: skip


def feature_counts(
    log: EventLog,
    unit: ir.Table,
    window: Window,
    skip: Sequence[Step],
    on_entry: Sequence[str],
    on_events: Sequence[str],
) -> ir.Table:
    """The one query behind :func:`funnel_correlation`: successes ``s`` and failures ``f``
    per (``kind``, ``column``, ``value``), and the totals as the row of kind ``"(all)"``.

    ``unit`` is :func:`entry_spans` of the funnel's entrants. Each kind of feature is counted
    apart (a user once per value, however often they did it), so that no distinct runs over
    the rows of every kind at once."""
    j = _counted_events(log, unit, window, skip, on_events)
    parts = [_count(j, "event", "event", j.event, per_user=True)]
    parts += [_count(j, "event property", p, j[p], per_user=True) for p in on_events]
    # the entrants are read once more, into one row per combination of their properties
    ok = unit._ok.cast("int64")
    counts = {"s": ok.sum(), "f": (1 - ok).sum()}
    combos = (
        unit.group_by(list(on_entry)).aggregate(**counts) if on_entry else unit.aggregate(**counts)
    )
    parts += [_sum_by(combos, p) for p in on_entry]
    totals = combos.aggregate(s=combos.s.sum().fill_null(0), f=combos.f.sum().fill_null(0))
    parts.append(_labelled(totals, "(all)", "", ibis.literal("")))
    return ibis.union(*parts, distinct=False)


def _counted_events(
    log: EventLog,
    unit: ir.Table,
    window: Window,
    skip: Sequence[Step],
    on_events: Sequence[str],
) -> ir.Table:
    """The events each entrant did on the way (``user_key``, ``_ok``, ``event``, the
    ``on_events`` columns): from their step-1 time up to their last-step time (successes) or
    to the end of the window (failures), without the funnel's steps and ``skip``."""
    t = log.table
    t = t.filter(~_any_of(t, skip))
    t = t.select(USER_KEY, "event", *on_events, _t=epoch_us(t.event_time))
    # the last counted instant per user, so that the join keeps only the counted events
    if window is None:
        failure_stop = ibis.literal(_NO_END, "int64")
    else:
        failure_stop = unit._t1 + int(pd.Timedelta(window).total_seconds() * 1_000_000)
    span = unit.select(
        _u=unit[USER_KEY], _ok=unit._ok, _t1=unit._t1,
        _stop=ibis.ifelse(unit._ok, unit._end - 1, failure_stop),
    )  # fmt: skip
    j = t.join(span, [t[USER_KEY] == span._u, t._t >= span._t1, t._t <= span._stop])
    return j.select(USER_KEY, "_ok", "event", *on_events)


def _any_of(t: ir.Table, steps: Sequence[Step]) -> ir.BooleanValue:
    """Whether a row is an event of one of ``steps`` (never NULL): one ``IN`` list for the
    steps named by event alone, their own conditions for the others."""
    plain = sorted({name for s in steps if not s.where for name in s.events})
    conds = [t.event.isin(plain)] if plain else []
    conds += [s.matches(t) for s in steps if s.where]
    return ibis.or_(*(c.fill_null(False) for c in conds))


def _count(t: ir.Table, kind: str, column: str, value: ir.Value, *, per_user: bool) -> ir.Table:
    """Successes ``s`` and failures ``f`` per non-NULL ``value`` of ``t`` (``per_user``: a
    user once per value, ``t`` having several rows per user), labelled with ``kind`` and
    ``column``."""
    rows = t.filter(value.notnull()).select(USER_KEY, "_ok", value=value.cast("string"))
    if per_user:
        rows = rows.distinct()
    ok = rows._ok.cast("int64")
    counts = rows.group_by("value").aggregate(s=ok.sum(), f=(1 - ok).sum())
    return _labelled(counts, kind, column, counts.value)


def _sum_by(combos: ir.Table, column: str) -> ir.Table:
    """The counts of each non-NULL value of the user property ``column``, from the counts
    per combination of user properties."""
    c = combos.filter(combos[column].notnull())
    c = c.group_by(value=c[column].cast("string")).aggregate(s=c.s.sum(), f=c.f.sum())
    return _labelled(c, "user property", column, c.value)


def _labelled(counts: ir.Table, kind: str, column: str, value: ir.Value) -> ir.Table:
    """``counts`` as rows of (``kind``, ``column``, ``value``, ``s``, ``f``)."""
    return counts.select(
        kind=ibis.literal(kind), column=ibis.literal(column), value=value, s=counts.s,
        f=counts.f,
    )  # fmt: skip


def _table(counts: pd.DataFrame, min_users: float | None, top: int) -> pd.DataFrame:
    """The statistics of each feature from the counts of :func:`feature_counts`."""
    counts = counts.astype({"s": "int64", "f": "int64"})
    total = counts[counts.kind == "(all)"]
    big_s = int(total.s.sum())
    big_f = int(total.f.sum())
    if big_s + big_f == 0:
        raise NotComputable("no one entered the funnel in the period: nothing to compare")
    if big_s == 0 or big_f == 0:
        who = "no one finished" if big_s == 0 else "everyone finished"
        raise NotComputable(
            f"{who} the funnel ({big_s + big_f:,} entered): there is no one to compare with"
        )
    cut = min(25.0, 0.02 * (big_s + big_f)) if min_users is None else float(min_users)
    everyone = (counts.s == big_s) & (counts.f == big_f)  # no one without it: no comparison
    t = counts[(counts.kind != "(all)") & (counts.s + counts.f >= cut) & ~everyone].copy()
    t = t.rename(columns={"s": "successes", "f": "failures"})
    stats = odds_ratio(t.successes, t.failures, big_s, big_f)
    t = t.assign(**stats)
    t["q_value"] = bh_adjust(t.p_value.to_numpy())
    t["success_share"] = t.successes / (t.successes + t.failures)
    t["side"] = np.select([t.odds_ratio > 1, t.odds_ratio < 1], ["finishing", "dropping"], "")
    t["feature"] = np.where(t.kind == "event", t.value, t.column + " = " + t.value)
    t["few_on_one_side"] = max(big_s / big_f, big_f / big_s) > IMBALANCE
    up = t[t.side == "finishing"].sort_values(["odds_ratio", "feature"], ascending=[False, True])
    down = t[t.side == "dropping"].sort_values(["odds_ratio", "feature"])
    out = pd.concat([up.head(top), down.head(top)], ignore_index=True)[_COLUMNS]
    out.attrs.update(successes=big_s, failures=big_f, min_users=cut)
    return out


def odds_ratio(s, f, big_s: int, big_f: int) -> dict[str, np.ndarray]:
    """Smoothed odds ratio of finishing with a feature, its 95 % interval and Fisher's p.

    ``s`` and ``f`` (arrays) successes and failures with the feature, among ``big_s`` and
    ``big_f`` in all. Every cell of the 2 x 2 table gets 1 added, so that a feature no failure
    (or no success) has still gets a finite ratio; the interval is Woolf's, on the log scale,
    from the same smoothed cells.

    Returns ``odds_ratio``, ``ci_low``, ``ci_high``, ``p_value`` (arrays).
    """
    s = np.asarray(s, dtype=float)
    f = np.asarray(f, dtype=float)
    cells = [s + 1, big_f - f + 1, big_s - s + 1, f + 1]
    ratio = (cells[0] * cells[1]) / (cells[2] * cells[3])
    se = np.sqrt(sum(1 / c for c in cells))
    p = fisher_two_sided(s, big_s + big_f, big_s, s + f)
    return {
        "odds_ratio": ratio,
        "ci_low": ratio * np.exp(-_Z * se),
        "ci_high": ratio * np.exp(_Z * se),
        "p_value": np.asarray(p, dtype=float),
    }


__all__ = [
    "USER_PROPERTIES", "entry_spans", "feature_counts", "funnel_correlation", "odds_ratio",
    "with_entry_values",
]  # fmt: skip
