"""Headline KPIs of a report week, for the index page: this week, the week before, the trend.

The runner computes them once per week from the data (``week_kpis``) and stores them in the
week's ``status.json``, so the trend on ``reports/index.html`` accumulates across runs and
backfills (``journeylib report --weeks``). Conventions:

- sessions, bounce rate (sessions with at most one event besides tag bookkeeping / sessions,
  :func:`journeylib.bounce_rate`), conversion rate (sessions with a purchase / sessions), cart
  abandonment (sessions with an add-to-cart but no purchase / sessions with an add-to-cart)
  and average order value (purchase revenue / purchases) count what happened in the ISO week
  (Monday to Sunday, UTC), as :func:`journeylib.overview.weekly_kpis`;
- repeat rate (buyers with two or more purchases / buyers) and mean CLV (12-month BG/NBD and
  Gamma-Gamma value per buyer, :func:`journeylib.clv.customer_value`) are cumulative: the log
  up to the end of the week, as a customer base seen that Sunday night.

"The week before" is computed from the data the same way, so a change shows even on the
first run.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.periods import filter_period, iso_week_bounds
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE
from ..engine.sessions import sessionize

__all__ = ["KPIS", "kpi_history", "mean_clv", "repeat_rate", "week_kpis"]

#: Index KPIs in display order, with their unit ("count", "share" or "currency").
KPIS: dict[str, str] = {
    "sessions": "count",
    "bounce rate": "share",
    "conversion rate": "share",
    "cart abandonment": "share",
    "average order value": "currency",
    "repeat rate": "share",
    "mean CLV": "currency",
}
#: Weeks of KPIs the index draws from the log on every run (not only from stored weeks).
RECENT_WEEKS = 8
_WEEKLY = ("sessions", "bounce rate", "conversion rate", "cart abandonment", "average order value")


def repeat_rate(events: EventLog | pd.DataFrame) -> float:
    """Share of buyers with two or more purchases in ``events`` (NaN without buyers)."""
    t = as_eventlog(events).table
    pur = t.filter(t.event == PURCHASE)
    buys = pur.group_by("user_id").aggregate(n=pur.count())
    row = buys.aggregate(buyers=buys.count(), repeat=(buys.n >= 2).sum()).to_pandas().iloc[0]
    buyers = int(row.buyers)
    return float(row["repeat"]) / buyers if buyers else math.nan


def mean_clv(events: EventLog) -> float:
    """Mean 12-month CLV per buyer; NaN when the models cannot be fitted (too few buyers)."""
    from ..clv.value import customer_value

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence advice belongs in notebook 04
            value = customer_value(events)
    except Exception:  # a CLV model that cannot be fitted must not fail the weekly run
        return math.nan
    return float(value.clv.mean()) if len(value) else math.nan


def _as_of(log: EventLog, end: pd.Timestamp) -> dict[str, float]:
    upto = filter_period(log, end=end)
    return {"repeat rate": repeat_rate(upto), "mean CLV": mean_clv(upto)}


def week_kpis(events: EventLog | pd.DataFrame, week: str) -> dict[str, dict[str, float | str]]:
    """The index KPIs of ``week`` and of the week before, from the event log.

    Parameters
    ----------
    events : EventLog or DataFrame
        The whole event log (sessionized here if it is not yet).
    week : str
        ISO week, e.g. ``"2024-W23"``.

    Returns
    -------
    dict
        ``{kpi: {"value": float, "previous": float, "unit": str}}`` for each of :data:`KPIS`,
        in that order; NaN where a KPI is undefined (no sessions, no buyers). JSON-ready
        except for NaN, which :func:`json.dumps` writes as ``NaN``.
    """
    from ..overview.summary import weekly_kpis

    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    weekly = weekly_kpis(log, week).set_index("kpi")
    start, end = iso_week_bounds(week)
    now, before = _as_of(log, end), _as_of(log, start)
    out: dict[str, dict[str, float | str]] = {}
    for kpi, unit in KPIS.items():
        if kpi in _WEEKLY:
            value, previous = weekly.loc[kpi, "this_week"], weekly.loc[kpi, "previous_week"]
        else:
            value, previous = now[kpi], before[kpi]
        out[kpi] = {"value": float(value), "previous": float(previous), "unit": unit}
    for kpi, recent in _recent(log, week).items():
        out[kpi]["recent"] = recent
    return out


#: Columns of :func:`journeylib.show.story.weekly_numbers` behind the weekly KPIs.
_FROM_WEEKLY = {
    "sessions": "sessions",
    "bounce rate": "bounce rate",
    "conversion rate": "session conversion",
    "cart abandonment": "cart abandonment",
    "average order value": "average order value",
}


def _recent(log: EventLog, week: str, weeks: int = RECENT_WEEKS) -> dict[str, dict[str, float]]:
    """The KPIs of the ``weeks`` weeks up to ``week`` from the log (mean CLV left out: one
    model fit per week is too slow for the index), as ``{kpi: {week: value}}``."""
    from ..show.story import weekly_numbers

    numbers = weekly_numbers(log, week, weeks=weeks)
    out = {
        kpi: {w: float(v) for w, v in zip(numbers.week, numbers[col], strict=True)}
        for kpi, col in _FROM_WEEKLY.items()
    }
    ends = [start + pd.Timedelta(days=7) for start in numbers.start]
    out["repeat rate"] = {
        w: repeat_rate(filter_period(log, end=end))
        for w, end in zip(numbers.week, ends, strict=True)
    }
    return out


def kpi_history(statuses: Mapping[str, Mapping]) -> pd.DataFrame:
    """Tidy KPIs of every week that has them, from ``{week: status.json contents}``.

    A week's stored value comes first; weeks no run stored are filled from the ``recent``
    values the newest week's run drew from the log (the 8 weeks up to it), so the trend has
    8 points even after the first run.

    Returns
    -------
    DataFrame
        ``week``, ``kpi``, ``value``, ``unit``, sorted by week then :data:`KPIS` order;
        weeks without KPIs (a failed computation, an older run) are left out.
    """
    rows = [
        (week, kpi, _number(entry.get("value")), entry.get("unit", KPIS.get(kpi, "count")))
        for week, status in statuses.items()
        for kpi, entry in (status.get("kpis") or {}).items()
        if kpi in KPIS and isinstance(entry, Mapping)
    ]
    stored = {(week, kpi) for week, kpi, _, _ in rows}
    newest = statuses[max(statuses)] if statuses else {}
    for status in [newest]:  # the recent weeks the newest run drew from the log
        for kpi, entry in (status.get("kpis") or {}).items():
            if kpi not in KPIS or not isinstance(entry, Mapping):
                continue
            for week, value in (entry.get("recent") or {}).items():
                if (week, kpi) not in stored:
                    stored.add((week, kpi))
                    rows.append((week, kpi, _number(value), entry.get("unit", KPIS[kpi])))
    frame = pd.DataFrame(rows, columns=["week", "kpi", "value", "unit"])
    frame["_order"] = frame.kpi.map(list(KPIS).index)
    frame = frame.sort_values(["week", "_order"], ignore_index=True)
    return frame.drop(columns="_order")


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
