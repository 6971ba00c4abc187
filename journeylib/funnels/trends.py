"""Funnel trends: conversion by the period people entered the funnel, with Wilson intervals.

Mixpanel's and PostHog's "funnel trends": is this week's funnel better than last week's? Each
user is counted once per period: their first step-1 event in the period starts their attempt
for it, which may finish after the period ends (within the window). The matching is the
funnel's own (:func:`journeylib.funnels.attempt_table`), run once as an ibis query; only the
counts per period come back.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.intervals import wilson
from ..engine.ordered import first_in_order
from ..engine.read.events import as_eventlog
from ..engine.schema import ROW_ID, USER_KEY
from .conversion import attempt_table
from .spec import Window
from .steps import Step, StepSpec, as_steps

#: Period names and their pandas frequency (weeks are ISO weeks: Monday 00:00 UTC).
EVERY = {"day": "D", "week": "W-MON", "month": "MS"}
_ENTRY = "_trend_entry"


def funnel_trend(
    events: EventLog | pd.DataFrame,
    steps: Sequence[StepSpec],
    *,
    every: str = "week",
    window: Window = None,
    order: str = "ordered",
    between: tuple[int, int] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Conversion through a funnel per entry period (day, ISO week or month).

    Parameters
    ----------
    events
        The event log.
    steps
        The funnel, as in :func:`journeylib.funnel` (two steps or more).
    every
        ``"week"`` (ISO weeks, Monday 00:00 UTC), ``"day"`` or ``"month"``.
    window, order
        As in :func:`journeylib.funnel`, the window measured from each period's entry.
    between
        ``(i, j)``, 1-based steps: conversion from step ``i`` to step ``j`` among the
        period's entrants who reached step ``i``. Default: step 1 to the last step.
    start, end
        The first period shown is the one containing ``start``, the last the one
        containing ``end`` (exclusive; UTC); default the first and last entry. Periods
        without entrants are rows with ``entered`` 0 and NaN conversion. Events before
        ``start``'s period are not read.

    Returns
    -------
    DataFrame, one row per period in order: ``period`` (its first day, UTC), ``entered``
    (users with a step-1 event in the period), ``reached_from`` (of them, reaching step
    ``i``; ``entered`` by default), ``converted`` (reaching step ``j``), ``conversion``
    (converted / reached_from) and ``ci_low``/``ci_high`` (95 % Wilson interval).

    Examples
    --------
    >>> funnel_trend(log, ["view_item", "add_to_cart", "purchase"], window="7D")  # doctest: +SKIP
    """
    if every not in EVERY:
        raise ValueError(f"every must be one of {tuple(EVERY)}, got {every!r}")
    parsed = as_steps(steps)
    k = len(parsed)
    i, j = between or (1, k)
    if not 1 <= i < j <= k:
        raise ValueError(f"between must be two steps 1 <= i < j <= {k}, got {between!r}")
    log = as_eventlog(events)
    if start is not None:
        # an attempt reads no event before its entry: the earlier events are never needed
        first = _period_of(start, every).tz_localize("UTC")
        log = log.replace(table=log.table.filter(log.table.event_time >= first))
    counts = trend_counts(log, parsed, every, window, order, i, j).to_pandas()
    return _filled(counts, every, start, end)


def _unit(every: str) -> str:
    return {"day": "D", "week": "W", "month": "M"}[every]


def trend_counts(
    log: EventLog, steps: list[Step], every: str, window: Window, order: str, i: int, j: int
) -> ir.Table:
    """The one query behind :func:`funnel_trend`: per ``period``, ``entered``,
    ``reached_from`` and ``converted``.

    Step 1 matches only the first step-1 event of each (user, period) (a marked column
    added to the log), and every such event starts an attempt (``count="totals"``)."""
    t = log.table
    names = sorted({name for s in steps for name in s.events})
    if order != "strict":  # (strict counts every event as "other")
        t = t.filter(t.event.isin(names))  # the funnel reads only these: mark fewer rows
    t = t.mutate(_trend_period=t.event_time.truncate(_unit(every)))
    first = steps[0]
    hit = t.filter(first.matches(t))
    entry = hit.group_by([USER_KEY, "_trend_period"]).aggregate(
        _row=first_in_order(hit[ROW_ID], [hit.event_time, hit[ROW_ID]])
    )
    entry = entry.select("_row", _hit=ibis.literal(True))
    marked = t.left_join(entry, t[ROW_ID] == entry._row)
    marked = marked.select(*t.columns, **{_ENTRY: marked._hit.fill_null(False)})
    entry_step = Step(first.events, where={**first.where, _ENTRY: True}, label=first.name)
    funnel = [entry_step, *steps[1:]]
    opts = {"window": window, "order": order, "count": "totals", "by": ["_trend_period"]}
    a = attempt_table(log.replace(table=marked), funnel, **opts)
    return a.group_by(period=a._trend_period).aggregate(
        entered=a.count(),
        reached_from=a[f"T{i}"].notnull().sum(),
        converted=a[f"T{j}"].notnull().sum(),
    )


def _filled(counts: pd.DataFrame, every: str, start, end) -> pd.DataFrame:
    """Every period from the first to the last (or ``start``/``end``), empty ones as 0."""
    freq = EVERY[every]
    counts["period"] = pd.to_datetime(counts.period).dt.tz_localize(None)
    first = _period_of(start, every) if start is not None else counts.period.min()
    last = _period_of(pd.Timestamp(end) - pd.Timedelta(1, "us"), every) if end else None
    last = last if last is not None else counts.period.max()
    periods = pd.date_range(first, last, freq=freq) if pd.notna(first) else []
    out = pd.DataFrame({"period": pd.DatetimeIndex(periods)})
    out = out.merge(counts, on="period", how="left")
    for col in ("entered", "reached_from", "converted"):
        out[col] = out[col].fillna(0).astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["conversion"] = out.converted / out.reached_from.where(out.reached_from > 0)
    out["ci_low"], out["ci_high"] = wilson(out.converted, out.reached_from)
    out["period"] = out.period.dt.tz_localize("UTC")
    return out


def _period_of(ts, every: str) -> pd.Timestamp:
    """The first day of the period containing ``ts`` (naive UTC)."""
    ts = pd.Timestamp(ts)
    ts = ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts
    return ts.to_period({"day": "D", "week": "W-SUN", "month": "M"}[every]).start_time


def compare_last(trend: pd.DataFrame, *, before: int = 4) -> dict | None:
    """The last period of a :func:`funnel_trend` against the ``before`` periods before it,
    pooled: a two-proportion z-test with the Wald interval of the difference
    (:func:`journeylib.funnels.abtest.compare_proportions`).

    Returns None when either side has no one to convert; else a dict: ``period``,
    ``conversion`` and ``n`` (the last period), ``before_conversion`` and ``before_n``
    (pooled), ``difference`` (points as a share), ``low``, ``high`` (95 %), ``p_value``,
    ``periods_before`` (how many earlier periods there were, up to ``before``).
    """
    from .abtest import compare_proportions

    if len(trend) < 2:
        return None
    last, prior = trend.iloc[-1], trend.iloc[-1 - before : -1]
    n, x = int(last.reached_from), int(last.converted)
    n0, x0 = int(prior.reached_from.sum()), int(prior.converted.sum())
    if n == 0 or n0 == 0:
        return None
    table = pd.DataFrame({"variant": ["0 before", "1 last"], "n": [n0, n], "converted": [x0, x]})
    c = compare_proportions(table, control="0 before").comparison.iloc[0]
    return {
        "period": last.period,
        "conversion": x / n,
        "n": n,
        "before_conversion": x0 / n0,
        "before_n": n0,
        "difference": float(c.lift),
        "low": float(c.lift_low),
        "high": float(c.lift_high),
        "p_value": float(c.p_value),
        "periods_before": len(prior),
    }


__all__ = ["EVERY", "compare_last", "funnel_trend", "trend_counts"]
