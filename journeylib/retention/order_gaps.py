"""Time between orders: how long until a first-time buyer orders again, and between later orders.

The engine numbers each buyer's purchases (a window over purchases only) and returns small
count tables; the Kaplan-Meier estimate of the time to the second order runs in pandas on
them. Buyers who have not ordered again by the end of the data are right-censored there:
they count as "not yet" for as long as they were watched, and no longer (a plain share of
buyers with a second order would understate how many reorder, most for the newest buyers).

Days are whole days: a gap of 30.2 days counts as 31 ("within 30 days" means at most 30
days), a buyer watched for 30.8 days without a second order is censored at 30.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from ..engine import cohorts as cal
from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.ordered import epoch_us
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE, ROW_ID

__all__ = ["OrderGaps", "kaplan_meier", "time_between_orders"]

DAYS = (30, 60, 90, 180)
ALL = "(all)"
_Z = stats.norm.ppf(0.975)


@dataclass(frozen=True)
class OrderGaps:
    """Results of :func:`time_between_orders`.

    Attributes
    ----------
    gaps : DataFrame
        ``gap`` ("first to second order" or "between later orders"), ``days`` (whole days),
        ``orders``: the observed gaps, counted per day.
    summary : DataFrame
        Per ``gap``: ``orders``, ``median_days``, ``p25_days``, ``p75_days`` (observed gaps).
    curve : DataFrame
        The Kaplan-Meier curve of the share of first-time buyers who have ordered again by
        day ``days``, per ``by`` value (and ``"(all)"``): ``share``, ``share_low``,
        ``share_high`` (95 %), ``at_risk``, ``reordered`` (second orders that day).
    within : DataFrame
        The curve read at 30, 60, 90, 180 days: ``by``, ``days``, ``buyers``, ``share``,
        ``share_low``, ``share_high``.
    by : str
        The split (``"first_channel"``), or ``""``.
    """

    gaps: pd.DataFrame
    summary: pd.DataFrame
    curve: pd.DataFrame
    within: pd.DataFrame
    by: str


def _orders(log: EventLog) -> ibis.Table:
    """Purchases with ``n`` (1 = the buyer's first) and ``gap_us`` since the previous one."""
    t = log.table
    key = cal.user_column(t)
    p = t.filter(t.event == PURCHASE).select(key, "event_time", ROW_ID)
    p = p.mutate(us=epoch_us(p.event_time))
    w = ibis.window(group_by=p[key], order_by=[p.us, p[ROW_ID]])
    n = ibis.row_number().over(w) + 1
    return p.mutate(n=n, gap_us=p.us - p.us.lag().over(w))


def _whole_days(us: ibis.Value, *, up: bool) -> ibis.Value:
    """Microseconds as whole days, rounded up (gaps) or down (time watched)."""
    return ((us + (cal.US_PER_DAY - 1 if up else 0)) // cal.US_PER_DAY).cast("int64")


def kaplan_meier(frame: pd.DataFrame) -> pd.DataFrame:
    """Kaplan-Meier share with an event by each day, from counts of (``days``, ``event``).

    ``frame`` has ``days`` (whole days), ``event`` (True: the event happened that day;
    False: censored that day, still at risk on it) and ``n`` (how many). Uses statsmodels'
    ``SurvfuncRight`` on the counts expanded to one row each (its weighted form gives no
    Greenwood standard errors). Returns ``days``, ``share`` (1 - S(days)), ``share_low``,
    ``share_high`` (95 % pointwise, log-log transformed), ``at_risk``, ``reordered``.
    """
    cols = ["days", "share", "share_low", "share_high", "at_risk", "reordered"]
    if frame.empty or not frame.event.any():
        return pd.DataFrame(columns=cols)
    reps = frame.n.to_numpy(dtype=int)
    days = np.repeat(frame.days.to_numpy(dtype=float), reps)
    status = np.repeat(frame.event.to_numpy(dtype=float), reps)
    fit = SurvfuncRight(days, status)
    s, se = fit.surv_prob, fit.surv_prob_se
    with np.errstate(divide="ignore", invalid="ignore"):
        half = _Z * se / (s * np.abs(np.log(s)))
        low_s = np.exp(-np.exp(np.log(-np.log(s)) + half))
        high_s = np.exp(-np.exp(np.log(-np.log(s)) - half))
    low_s = np.where(np.isfinite(low_s), low_s, s)
    high_s = np.where(np.isfinite(high_s), high_s, s)
    return pd.DataFrame(
        {
            "days": fit.surv_times.astype(int),
            "share": 1 - s,
            "share_low": 1 - high_s,
            "share_high": 1 - low_s,
            "at_risk": fit.n_risk.astype(int),
            "reordered": fit.n_events.astype(int),
        }
    )[cols]


def _at(curve: pd.DataFrame, days: Sequence[int]) -> pd.DataFrame:
    """The step curve read at ``days`` (0 before its first step)."""
    pos = np.searchsorted(curve.days.to_numpy(), np.asarray(days), side="right") - 1
    out = pd.DataFrame({"days": list(days)})
    for col in ("share", "share_low", "share_high"):
        values = curve[col].to_numpy(dtype=float)
        out[col] = np.where(pos >= 0, values[np.maximum(pos, 0)] if len(values) else 0.0, 0.0)
    return out


def time_between_orders(
    events: EventLog | pd.DataFrame,
    *,
    by: str | None = "first_channel",
    days: Sequence[int] = DAYS,
) -> OrderGaps:
    """Days from the first to the second order and between later orders.

    Parameters
    ----------
    events
        The event log (``purchase`` events are orders).
    by
        One Kaplan-Meier curve per value of this split besides all buyers:
        ``"first_channel"`` (default; the first non-NULL channel of the user's events),
        ``"first_device"``, or None. A log without the column gets the overall curve only.
    days
        Where :attr:`OrderGaps.within` reads the curve.

    Returns
    -------
    OrderGaps
        ``gaps``, ``summary``, ``curve``, ``within`` (see :class:`OrderGaps`). The end of the
        data is the last event of the log; buyers without a second order by then are
        censored there.
    """
    log = as_eventlog(events)
    t = log.table
    key = cal.user_column(t)
    orders = _orders(log)
    end_us = int(t.aggregate(m=epoch_us(t.event_time).max()).to_pandas().m.iloc[0] or 0)
    later = orders.filter(orders.n >= 2)
    kind = ibis.ifelse(later.n == 2, "first to second order", "between later orders")
    gaps = later.group_by([kind.name("gap"), _whole_days(later.gap_us, up=True).name("days")])
    gaps = gaps.aggregate(orders=later.count()).to_pandas()
    if gaps.empty and orders.count().to_pandas() == 0:
        raise NotComputable("the log has no purchase events")
    buyers = orders.group_by(key).aggregate(
        first=orders.us.min(where=orders.n == 1), second=orders.us.min(where=orders.n == 2)
    )
    split = ""
    if by is not None:
        try:
            column, _ = cal.derived_source(log, by)
        except NotComputable:
            column = None
        if column is not None:
            firsts = cal.first_values(t, [column], buyers).rename(_by=column)
            buyers = buyers.join(firsts, key, how="left")
            split = by
    event = buyers.second.notnull()
    span = ibis.ifelse(event, buyers.second - buyers.first, end_us - buyers.first)
    d = ibis.ifelse(event, _whole_days(span, up=True), _whole_days(span, up=False))
    keys = [d.name("days"), event.name("event")]
    if split:
        keys.append(buyers._by.fill_null("(none)").name("by"))
    counts = buyers.group_by(keys).aggregate(n=buyers.count()).to_pandas()
    if not split:
        counts["by"] = ALL
    return _results(gaps, counts, split, days)


def _results(gaps: pd.DataFrame, counts: pd.DataFrame, split: str, days) -> OrderGaps:
    gaps = gaps.sort_values(["gap", "days"], ascending=[False, True], ignore_index=True)
    gaps["orders"] = gaps.orders.astype("int64")
    rows = []
    for gap, g in gaps.groupby("gap", sort=False):
        every = np.repeat(g.days.to_numpy(dtype=float), g.orders.to_numpy())  # one per order
        q = np.percentile(every, [25, 50, 75])
        rows.append((gap, len(every), q[1], q[0], q[2]))
    cols = ["gap", "orders", "median_days", "p25_days", "p75_days"]
    summary = pd.DataFrame(rows, columns=cols)
    groups = [(ALL, counts.groupby(["days", "event"], as_index=False).n.sum())]
    if split:
        groups += list(counts.groupby("by"))
    curves, within = [], []
    for value, frame in groups:
        curve = kaplan_meier(frame).assign(by=value)
        curves.append(curve)
        read = _at(curve, days).assign(by=value, buyers=int(frame.n.sum()))
        within.append(read)
    curve = pd.concat(curves, ignore_index=True)
    within = pd.concat(within, ignore_index=True)
    within = within[["by", "days", "buyers", "share", "share_low", "share_high"]]
    curve = curve[["by", *[c for c in curve.columns if c != "by"]]]
    return OrderGaps(gaps=gaps, summary=summary, curve=curve, within=within, by=split)
