"""Calendar periods and per-user first values for the retention analyses.

Periods are counted as integers so that every backend computes them the same way, by integer
arithmetic on microseconds since 1970 (UTC): a day is ``epoch_us // 86,400,000,000``; an ISO
week (Monday to Sunday) is ``(day + 3) // 7`` (1970-01-01 was a Thursday); a month is
``year * 12 + month - 1`` of the date 1970-01-01 + day days (a plain ``DATE``: no time zone
rules are consulted). :func:`period_start` turns a
period number back into its first instant.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .cleaning import NotComputable
from .eventlog import EventLog
from .ordered import epoch_us, first_in_order
from .schema import ROW_ID, USER_KEY

UNITS = ("day", "week", "month")
US_PER_DAY = 86_400_000_000
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def check_unit(unit: str, what: str) -> str:
    """``unit`` if it is a period unit, else a ValueError naming ``what`` and the choices."""
    if unit not in UNITS:
        raise ValueError(f"{what} must be one of {UNITS}, got {unit!r}")
    return unit


def user_column(t: ir.Table) -> str:
    """The column that tells users apart: the dense ``user_key`` when there, else ``user_id``."""
    return USER_KEY if USER_KEY in t.columns else "user_id"


def day_number(time: ir.TimestampValue) -> ir.IntegerValue:
    """Days since 1970-01-01 (UTC) of an instant, as an integer."""
    return epoch_us(time) // US_PER_DAY


def period_number(day: ir.IntegerValue, unit: str) -> ir.IntegerValue:
    """The number of the ``unit`` (day, ISO week, month) that contains ``day``."""
    if unit == "day":
        return day
    if unit == "week":
        return (day + 3) // 7
    date = ibis.date(1970, 1, 1) + day.as_interval("D")  # a DATE: no time zone, no ICU
    return date.year() * 12 + date.month() - 1


def period_start(number: int | np.integer, unit: str) -> pd.Timestamp:
    """The first instant (UTC) of period ``number`` of ``unit`` (see :func:`period_number`)."""
    n = int(number)
    if unit == "day":
        return _EPOCH + pd.Timedelta(days=n)
    if unit == "week":
        return _EPOCH + pd.Timedelta(days=7 * n - 3)
    return pd.Timestamp(year=n // 12, month=n % 12 + 1, day=1, tz="UTC")


def period_of(ts: pd.Timestamp, unit: str) -> int:
    """The number of the ``unit`` containing the instant ``ts`` (the pandas mirror)."""
    ts = pd.Timestamp(ts)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if unit == "month":
        return ts.year * 12 + ts.month - 1
    day = (ts - _EPOCH) // pd.Timedelta(days=1)
    return day if unit == "day" else (day + 3) // 7


def data_end_day(t: ir.Table) -> int | None:
    """The day after the last event's UTC day (a period ending there has ended); None if empty.

    As for :func:`journeylib.engine.periods.last_complete_week`, a log whose last event falls on a
    period's last day covers that period.
    """
    last = t.aggregate(last=day_number(t.event_time).max()).to_pandas()["last"].iloc[0]
    return None if pd.isna(last) else int(last) + 1


def is_complete(number: int, unit: str, end_day: int) -> bool:
    """Whether period ``number`` of ``unit`` ended by ``end_day`` (days since 1970)."""
    end = period_start(number + 1, unit)
    return (end - _EPOCH) // pd.Timedelta(days=1) <= end_day


def event_filter(t: ir.Table, event: str | Sequence[str] | None) -> ir.BooleanValue | None:
    """Rows of ``event`` (a name or several); None for every event."""
    if event is None:
        return None
    names = [event] if isinstance(event, str) else list(event)
    return t.event.isin(names)


def derived_source(log: EventLog, by: str) -> tuple[str, bool]:
    """The column a split ``by`` reads and whether it is the user's first value of it.

    ``first_channel``, ``first_device`` (any ``first_<column>`` that is not itself a column):
    the first non-NULL value over all the user's events; any other column: its value on the
    event the analysis starts from. Raises :class:`NotComputable` when the log lacks it.
    """
    if log.has(by):
        return by, False
    column = by.removeprefix("first_")
    if column != by and log.has(column):
        return column, True
    raise NotComputable(f"the log has no {column!r} column to split by {by}")


def first_values(t: ir.Table, columns: Sequence[str], users: ir.Table | None = None) -> ir.Table:
    """Per user (:func:`user_column`), the first non-NULL value of each of ``columns``.

    In (``event_time``, ``row_id``) order over all the user's events; ``users`` (a table with
    the user column) restricts the work to those users first. NULL where a user has none.
    """
    key = user_column(t)
    if users is not None:
        t = t.semi_join(users.select(key).distinct(), key)
    order = [t.event_time, t[ROW_ID]]
    aggs = {c: first_in_order(t[c].cast("string"), order, include_null=False) for c in columns}
    return t.group_by(key).aggregate(**aggs)
