"""Periods: ISO weeks and date ranges, in UTC."""

from __future__ import annotations

import re

import pandas as pd

from .eventlog import EventLog
from .read.events import as_eventlog

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def iso_week_bounds(week: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``"2024-W23"`` -> (Monday 00:00 UTC, the next Monday 00:00 UTC): a half-open range."""
    match = _WEEK.match(week.strip())
    if not match:
        raise ValueError(f"week must look like '2024-W23', got {week!r}")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        start = pd.Timestamp.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"{week!r} is not an ISO week: {exc}") from exc
    start = start.tz_localize("UTC")
    return start, start + pd.Timedelta(days=7)


def week_of(ts: pd.Timestamp) -> str:
    """The ISO week containing ``ts``, as ``"YYYY-Www"``."""
    year, week, _ = pd.Timestamp(ts).isocalendar()
    return f"{year}-W{week:02d}"


def weeks_between(first: str, last: str) -> list[str]:
    """All ISO weeks from ``first`` to ``last`` inclusive (``"2024-W20".."2024-W23"``)."""
    start, _ = iso_week_bounds(first)
    end, _ = iso_week_bounds(last)
    if end < start:
        raise ValueError(f"{last} is before {first}")
    days = pd.date_range(start, end, freq="7D")
    return [week_of(d) for d in days]


def data_period(events: EventLog | pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last event time of the log, in UTC (NaT for an empty log)."""
    t = as_eventlog(events).table
    row = t.aggregate(first=t.event_time.min(), last=t.event_time.max()).to_pandas().iloc[0]
    return _utc(row["first"]), _utc(row["last"])


def _utc(value: object) -> pd.Timestamp:
    """A time as a UTC-aware timestamp: Spark returns times without a zone (its session runs
    in UTC), DuckDB with one; compared with :func:`iso_week_bounds`, both must be aware."""
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return ts
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def last_complete_week(events: EventLog | pd.DataFrame) -> str:
    """The last ISO week the data covers completely.

    The week of the last event counts as complete when that event falls on its Sunday (the
    log runs to the week's last day); otherwise the week before it is taken, unless the log
    starts after that week ended (a log of a few days): then no week is complete and the
    week of the last event, the only one with data, is returned.
    """
    first, last = data_period(events)
    if pd.isna(last):
        raise ValueError("the event log is empty: there is no complete week")
    if last.day_of_week == 6:
        return week_of(last)
    before = week_of(last - pd.Timedelta(days=7))
    return week_of(last) if iso_week_bounds(before)[1] <= first else before


def filter_period(
    events: EventLog | pd.DataFrame,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    week: str | None = None,
) -> EventLog:
    """Events with ``start <= event_time < end`` (or within ISO ``week``); naive times are UTC."""
    log = as_eventlog(events)
    if week:
        start, end = iso_week_bounds(week)
    t = log.table
    if start is not None:
        t = t.filter(t.event_time >= _utc(start))
    if end is not None:
        t = t.filter(t.event_time < _utc(end))
    return log.replace(table=t)


def _utc(value: str | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
