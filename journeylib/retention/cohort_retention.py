"""Cohort retention: of the people who started in a period, how many come back k periods later.

The cohort view of PostHog's retention insight and Mixpanel's and Amplitude's retention
charts, on the event log, as ibis expressions (the engine returns one small count table per
query). :func:`retention` gives one row per (cohort, period number); :func:`retention_curve`
averages complete cohorts into one curve per segment, with 95 % intervals.

Conventions (where the tools differ, the choice made):

- **Cohort**: the calendar period (UTC; ISO weeks start on Monday) of the user's first
  ``start_event``. Periods are calendar periods, not rolling 7- or 30-day windows from each
  user's own start (PostHog and Mixpanel offer both; calendar periods match a weekly report).
- **Period 0** is the cohort's own period: everybody is in it (rate 1).
- **mode="on"**: retained in period k = came back (a ``return_event``) in period k;
  **mode="on_or_after"**: in period k or any later period in the data (Mixpanel's default).
- **complete**: the period had ended by the end of the data (the day of the last event counts
  as covered, as for the report's last complete week); incomplete periods are kept and marked.
- **revenue**: cumulative net revenue (purchases minus refunds, as logged) of the cohort's
  members from the start of the cohort period to the end of period k; a refund lowers the
  period it happens in.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from ..engine import cohorts as cal
from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.intervals import wilson
from ..engine.ordered import first_in_order
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE, ROW_ID

__all__ = ["MODES", "retention", "retention_curve"]

MODES = ("on", "on_or_after")
MEASURES = ("users", "events")
_NONE = "(none)"


def _cohort_users(log: EventLog, start_event, by: str | None, cohort: str, period: str) -> ir.Table:
    """One row per user who has a start event: key, ``cohort``, ``origin`` (the period number,
    in the period unit, of the first start event) and ``by`` (text, "(none)" for NULL)."""
    t = log.table
    key = cal.user_column(t)
    cond = cal.event_filter(t, start_event)
    starts = t if cond is None else t.filter(cond)
    aggs = {"_first": cal.day_number(starts.event_time).min()}
    source, derived = cal.derived_source(log, by) if by else (None, False)
    if by and not derived:
        order = [starts.event_time, starts[ROW_ID]]
        aggs["_by"] = first_in_order(starts[source].cast("string"), order)
    users = starts.group_by(key).aggregate(**aggs)
    if derived:
        firsts = cal.first_values(t, [source], users)
        users = users.join(firsts, key, how="left").rename(_by=source)
    out = {
        "cohort": cal.period_number(users._first, cohort),
        "origin": cal.period_number(users._first, period),
    }
    if by:
        out["_by"] = users._by.fill_null(_NONE)
    return users.select(key, **out)


def _per_user_period(t: ir.Table, period: str, value: ir.Value | None = None) -> ir.Table:
    """(key, ``p``) with ``_n`` events (and ``_v`` = sum of ``value``) per user and period."""
    key = cal.user_column(t)
    p = cal.period_number(cal.day_number(t.event_time), period).name("p")
    aggs = {"_n": t.count()} if value is None else {"_v": value.sum()}
    return t.group_by([t[key], p]).aggregate(**aggs)


def _returns(
    log: EventLog, users: ir.Table, keys: list[str], return_event, period: str, mode: str, measure
) -> pd.DataFrame:
    """``keys`` + ``k`` + ``n``: returning users (or return events) per period number k.

    For ``mode="on_or_after"`` and users, each user is counted once, at their last period
    back: summed over k' >= k (by the caller, over the full grid) that gives "k or later"."""
    t = log.table
    cond = cal.event_filter(t, return_event)
    per = _per_user_period(t if cond is None else t.filter(cond), period)
    key = cal.user_column(t)
    j = per.join(users, key)
    j = j.mutate(k=j.p - j.origin)
    j = j.filter(j.k >= (0 if measure == "events" else 1))
    if mode == "on_or_after" and measure == "users":
        last = j.group_by([key, *keys]).aggregate(k=j.k.max())
        counts = last.group_by([*keys, "k"]).aggregate(n=last.count())
    else:
        n = j.count() if measure == "users" else j._n.sum()
        counts = j.group_by([*keys, "k"]).aggregate(n=n)
    return counts.to_pandas()


def _revenue(log: EventLog, users: ir.Table, keys: list[str], period: str) -> pd.DataFrame:
    """``keys`` + ``k`` + ``revenue``: net revenue of the cohort's members per period k >= 0."""
    t = log.table
    t = t.filter(t.revenue.notnull())
    per = _per_user_period(t, period, t.revenue)
    j = per.join(users, cal.user_column(log.table))
    j = j.mutate(k=j.p - j.origin)
    j = j.filter(j.k >= 0)
    return j.group_by([*keys, "k"]).aggregate(revenue=j._v.sum()).to_pandas()


def _grid(sizes: pd.DataFrame, cohort: str, period: str, end_day: int) -> pd.DataFrame:
    """Every (cohort[, by], k) from period 0 to the last period in the data, with ``complete``."""
    last = cal.period_of(cal.period_start(0, "day") + pd.Timedelta(days=end_day - 1), period)
    firsts = {c: cal.period_of(cal.period_start(c, cohort), period) for c in sizes.cohort.unique()}
    lasts = {
        c: cal.period_of(cal.period_start(c + 1, cohort) - pd.Timedelta(days=1), period)
        for c in sizes.cohort.unique()
    }
    n = np.maximum(last - sizes.cohort.map(firsts).to_numpy() + 1, 1)
    grid = sizes.loc[sizes.index.repeat(n)].reset_index(drop=True)
    grid["k"] = np.arange(len(grid)) - np.repeat(np.cumsum(n) - n, n)
    latest = (grid.cohort.map(lasts) + grid.k).to_numpy()  # the member who started last
    done = {p: cal.is_complete(p, period, end_day) for p in np.unique(latest)}
    grid["complete"] = [done[p] for p in latest]
    return grid


def retention(
    events: EventLog | pd.DataFrame,
    *,
    cohort: str = "month",
    period: str | None = None,
    start_event: str | Sequence[str] | None = None,
    return_event: str | Sequence[str] | None = None,
    mode: str = "on",
    by: str | None = None,
    measure: str = "users",
) -> pd.DataFrame:
    """Cohort retention: of each cohort, the share who came back k periods later.

    Parameters
    ----------
    events
        The event log.
    cohort
        ``"month"`` (default), ``"week"`` (ISO, from Monday) or ``"day"``: the calendar
        period, in UTC, of a user's first ``start_event`` is their cohort.
    period
        Unit of the period numbers k (default: the cohort's unit). With another unit, k counts
        from the period of each user's own first start event.
    start_event, return_event
        Event name(s) that put a user in a cohort and that count as coming back; None: any
        event. ``start_event="purchase", return_event="purchase"`` gives customer cohorts.
    mode
        ``"on"``: came back in period k; ``"on_or_after"``: in period k or later.
    by
        Split every cohort: a column's value on the user's first start event (``"device"``),
        or ``"first_channel"``/``"first_device"`` (first non-NULL value over all the user's
        events). NULL is ``"(none)"``.
    measure
        ``"users"`` (default) counts members who came back; ``"events"`` counts their return
        events (period 0 included: events in the cohort period), and ``rate`` is per member.

    Returns
    -------
    DataFrame
        One row per (``cohort``[, ``by``], ``period``), k = 0 up to the last period in the
        data: ``cohort`` (start of the cohort's period, UTC), the ``by`` column, ``period``
        (k), ``cohort_size``, ``retained``, ``rate`` (retained / cohort_size), ``complete``
        (period k had ended by the end of the data, for every member), and when the log has
        ``revenue``: ``revenue`` (cumulative net revenue of the members up to period k) and
        ``revenue_per_user``.

    Examples
    --------
    Three users start on day 0; one returns on day 1, one on day 5, one never:
    ``retention(log, cohort="day").rate`` is 1, 1/3, 0, 0, 0, 1/3; with
    ``mode="on_or_after"`` 1, 2/3, 1/3, 1/3, 1/3, 1/3.
    """
    cohort = cal.check_unit(cohort, "cohort")
    period = cal.check_unit(period or cohort, "period")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    log = as_eventlog(events)
    end_day = cal.data_end_day(log.table)
    if end_day is None:
        raise NotComputable("the event log is empty")
    users = _cohort_users(log, start_event, by, cohort, period)
    keys = ["cohort", "_by"] if by else ["cohort"]
    sizes = users.group_by(keys).aggregate(cohort_size=users.count()).to_pandas()
    if sizes.empty:
        raise NotComputable(f"no user has a {start_event!r} event to start a cohort")
    sizes = sizes.sort_values(keys, ignore_index=True)
    grid = _grid(sizes, cohort, period, end_day)
    back = _returns(log, users, keys, return_event, period, mode, measure)
    out = grid.merge(back, on=[*keys, "k"], how="left")
    out["retained"] = out.n.fillna(0).astype("int64")
    if mode == "on_or_after":  # in period k or later: the sum over k' >= k
        later = out.iloc[::-1].groupby(keys, sort=False).retained.cumsum()
        out["retained"] = later.iloc[::-1]
    if measure == "users":
        out.loc[out.k == 0, "retained"] = out.cohort_size
    out["rate"] = out.retained / out.cohort_size
    cols = [*keys, "k", "cohort_size", "retained", "rate", "complete"]
    if log.has("revenue"):
        money = _revenue(log, users, keys, period)
        out = out.merge(money, on=[*keys, "k"], how="left")
        out["revenue"] = out.revenue.fillna(0.0).astype(float)
        out["revenue"] = out.groupby(keys, sort=False).revenue.cumsum()
        out["revenue_per_user"] = out.revenue / out.cohort_size
        cols += ["revenue", "revenue_per_user"]
    out = out[cols].sort_values([*keys, "k"], ignore_index=True)
    out["cohort"] = [cal.period_start(c, cohort) for c in out.cohort]
    out["cohort_size"] = out.cohort_size.astype("int64")
    return out.rename(columns={"k": "period", "_by": by} if by else {"k": "period"})


def retention_curve(
    events: EventLog | pd.DataFrame,
    *,
    by: str | None = None,
    cohort: str = "month",
    period: str | None = None,
    start_event: str | Sequence[str] | None = PURCHASE,
    return_event: str | Sequence[str] | None = PURCHASE,
    mode: str = "on_or_after",
    table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The share of customers still buying k periods after their first order, with intervals.

    Averages the complete cohorts of :func:`retention`, weighted by cohort size: the pooled
    share ``sum(retained) / sum(cohort_size)`` over the cohorts whose period k had ended.

    Parameters
    ----------
    events
        The event log.
    by
        ``"first_channel"``, ``"first_device"`` or any split :func:`retention` takes: one
        curve per value. None: one curve.
    cohort, period, start_event, return_event, mode
        As for :func:`retention`; by default customer cohorts by month of the first order,
        and "still buying" = buys again in period k or later (``mode="on_or_after"``).
    table
        A :func:`retention` result to average instead of computing one (same ``by``).

    Returns
    -------
    DataFrame
        One row per ([``by``,] ``period``): ``cohorts`` (complete cohorts averaged),
        ``customers`` (their members), ``retained``, ``rate``, and ``rate_low``,
        ``rate_high``: the 95 % Wilson interval of the pooled share (customers independent).
    """
    if table is None:
        table = retention(
            events,
            cohort=cohort,
            period=period,
            start_event=start_event,
            return_event=return_event,
            mode=mode,
            by=by,
        )
    keys = [by, "period"] if by else ["period"]
    done = table[table.complete]
    out = done.groupby(keys, as_index=False).agg(
        cohorts=("cohort", "size"), customers=("cohort_size", "sum"), retained=("retained", "sum")
    )
    out["rate"] = out.retained / out.customers
    out["rate_low"], out["rate_high"] = wilson(out.retained, out.customers)
    return out.sort_values(keys, ignore_index=True)
