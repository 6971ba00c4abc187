"""Lifecycle: who is new, returning, resurrecting or gone dormant in each period.

PostHog's lifecycle insight on the event log, as one ibis window pass over the distinct
(user, active period) pairs. Statuses of a period p:

- ``new``: p is the user's first active period in the log;
- ``returning``: active in p and in p - 1;
- ``resurrecting``: active in p, not in p - 1, and not new;
- ``dormant``: active in p - 1, not in p (counted in p; PostHog draws it below zero).

The quick ratio of a period is (new + resurrecting) / dormant: above 1 the active base grows.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd

from ..engine import cohorts as cal
from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog

__all__ = ["STATUSES", "lifecycle"]

STATUSES = ("new", "returning", "resurrecting", "dormant")


def lifecycle(
    events: EventLog | pd.DataFrame,
    *,
    period: str = "week",
    event: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Users per lifecycle status and period, and the quick ratio.

    Parameters
    ----------
    events
        The event log.
    period
        ``"week"`` (ISO, from Monday; default), ``"month"`` or ``"day"``, in UTC.
    event
        What makes a user active in a period: any event (None), or these event names only
        (``"purchase"``: buying customers).

    Returns
    -------
    DataFrame
        One row per (``period``, ``status``) from the first to the last period of the log,
        statuses in the order new, returning, resurrecting, dormant: ``period`` (start of
        the period, UTC), ``status``, ``users`` (a count, dormant too), ``quick_ratio`` of
        the period ((new + resurrecting) / dormant; NaN without dormant users) and
        ``complete`` (the period had ended by the end of the data).

    Examples
    --------
    A user active in weeks 1, 2 and 4 of a five-week log is new in week 1, returning in
    week 2, dormant in week 3, resurrecting in week 4 and dormant again in week 5.
    """
    period = cal.check_unit(period, "period")
    log = as_eventlog(events)
    t = log.table
    span = t.aggregate(first=cal.day_number(t.event_time).min()).to_pandas()["first"].iloc[0]
    end_day = cal.data_end_day(t)
    if end_day is None or pd.isna(span):
        raise NotComputable("the event log is empty")
    first_p = cal.period_of(cal.period_start(int(span), "day"), period)
    last_p = cal.period_of(cal.period_start(end_day - 1, "day"), period)
    cond = cal.event_filter(t, event)
    active = t if cond is None else t.filter(cond)
    key = cal.user_column(t)
    p = cal.period_number(cal.day_number(active.event_time), period)
    pairs = active.select(active[key], p=p).distinct()
    w = ibis.window(group_by=pairs[key], order_by=pairs.p)
    prev, nxt = pairs.p.lag().over(w), pairs.p.lead().over(w)
    status = ibis.cases(
        (prev.isnull(), "new"), (prev == pairs.p - 1, "returning"), else_="resurrecting"
    )
    # a user is dormant in p + 1 when not active then (and p + 1 is inside the log)
    lapses = nxt.isnull() | (nxt > pairs.p + 1)
    flagged = pairs.mutate(status=status, lapse=lapses)
    active_counts = flagged.group_by(["p", "status"]).aggregate(users=flagged.count())
    gone = flagged.filter(flagged.lapse & (flagged.p < last_p))
    dormant_counts = gone.group_by((gone.p + 1).name("p")).aggregate(users=gone.count())
    counts = pd.concat(
        [active_counts.to_pandas(), dormant_counts.to_pandas().assign(status="dormant")],
        ignore_index=True,
    )
    return _frame(counts, first_p, last_p, period, end_day)


def _frame(counts: pd.DataFrame, first_p: int, last_p: int, unit: str, end_day: int):
    """Every (period, status) of the log's span with its count, quick ratio and completeness."""
    numbers = np.arange(first_p, last_p + 1)
    index = pd.MultiIndex.from_product([numbers, STATUSES], names=["p", "status"])
    users = counts.set_index(["p", "status"]).users.reindex(index, fill_value=0)
    out = users.astype("int64").reset_index()
    wide = users.unstack("status")
    quick = (wide["new"] + wide["resurrecting"]) / wide["dormant"].where(wide["dormant"] > 0)
    out["quick_ratio"] = out.p.map(quick)
    out["complete"] = out.p.map({n: cal.is_complete(n, unit, end_day) for n in numbers})
    out["period"] = out.p.map({n: cal.period_start(n, unit) for n in numbers})
    return out[["period", "status", "users", "quick_ratio", "complete"]]
