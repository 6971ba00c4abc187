"""Wall-clock times of a named time zone as UTC instants, in ibis expressions.

Exports written by shop systems and spreadsheets often carry local times without an offset
("2024-03-31 02:30:00" in Berlin). :func:`journeylib.read_events` with ``timezone=`` reads
them here. The zone's UTC offsets come from Python's IANA database (:mod:`zoneinfo`); the
conversion itself is plain integer arithmetic on microseconds (one comparison per offset
change in the log's span), so it runs the same on DuckDB and Spark and compiles to
BigQuery, and gives the same answer on each of them.

Daylight-saving rule (as Python's ``zoneinfo`` with ``fold=0`` and ``java.time``):

- a wall-clock time that occurs twice (the hour repeated when clocks go back) is read as
  its first occurrence, with the offset in force before the change (summer time);
- a wall-clock time that never occurs (the hour skipped when clocks go forward) is read
  with the offset in force before the change, i.e. as if the clock had not yet jumped:
  02:30 in Berlin on the last Sunday of March is 01:30 UTC (03:30 summer time).

Both are counted (see :func:`dst_flags`) so that the cleaning report names them.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

_US = 1_000_000
#: Offsets are looked up for wall-clock times in these years (earlier or later times use
#: the offset of the nearest end): transitions are found day by day, so a wider span costs
#: a longer scan.
_YEARS = (1900, 2200)


@dataclass(frozen=True)
class Transition:
    """One change of a zone's UTC offset: at UTC instant ``at_us`` (microseconds since the
    epoch) the offset goes from ``before_s`` to ``after_s`` seconds east of UTC."""

    at_us: int
    before_s: int
    after_s: int

    @property
    def switch_us(self) -> int:
        """The first wall-clock time (as microseconds) read with the new offset: the later
        of the change's two wall-clock readings (see the module's daylight-saving rule)."""
        return self.at_us + max(self.before_s, self.after_s) * _US

    @property
    def gap_us(self) -> tuple[int, int]:
        """The wall-clock interval [start, end) this change skips or repeats."""
        low, high = sorted((self.before_s, self.after_s))
        return self.at_us + low * _US, self.at_us + high * _US


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` ("Europe/Berlin"); a ValueError naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(
            f"timezone={name!r} is not an IANA time zone name (e.g. 'Europe/Berlin', "
            "'America/New_York', 'UTC')"
        ) from exc


def _offset_s(tz: ZoneInfo, utc_s: int) -> int:
    stamp = _dt.datetime.fromtimestamp(utc_s, tz=_dt.UTC).astimezone(tz)
    return int(stamp.utcoffset().total_seconds())


def transitions(tz: ZoneInfo, start_us: int, end_us: int) -> tuple[int, list[Transition]]:
    """The offset in force at ``start_us`` and the changes up to ``end_us`` (UTC instants).

    Offsets are sampled once a day and each change is narrowed to the second by bisection;
    a change undone within the same day (none in the IANA database since 1900 that a shop
    log would meet) would be missed.
    """
    lo, hi = (pd.Timestamp(f"{y}-01-01", tz="UTC").value // 1000 for y in _YEARS)
    start_s = int(min(max(start_us, lo), hi) // _US) - 2 * 86_400
    end_s = int(min(max(end_us, lo), hi) // _US) + 2 * 86_400
    days = np.arange(start_s, end_s + 86_400, 86_400)
    local = pd.DatetimeIndex(pd.to_datetime(days, unit="s", utc=True)).tz_convert(tz.key)
    offsets = (local.tz_localize(None) - local.tz_convert("UTC").tz_localize(None)).total_seconds()
    offsets = offsets.to_numpy().astype("int64")
    changed = np.flatnonzero(np.diff(offsets) != 0)
    found = [_bisect(tz, int(days[i]), int(days[i + 1])) for i in changed]
    return int(offsets[0]), found


def _bisect(tz: ZoneInfo, lo_s: int, hi_s: int) -> Transition:
    before, after = _offset_s(tz, lo_s), _offset_s(tz, hi_s)
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if _offset_s(tz, mid) == before:
            lo_s = mid
        else:
            hi_s = mid
    return Transition(at_us=hi_s * _US, before_s=before, after_s=after)


def wall_to_utc_us(
    wall_us: ir.IntegerValue, first_offset_s: int, changes: list[Transition]
) -> ir.IntegerValue:
    """UTC microseconds of wall-clock microseconds ``wall_us`` (a wall-clock time written as
    if it were UTC): minus the offset in force, chosen by the module's daylight-saving rule."""
    if not changes:
        return wall_us - first_offset_s * _US
    offsets = [first_offset_s, *(c.after_s for c in changes)]
    branches = [
        (wall_us < c.switch_us, wall_us - o * _US)
        for c, o in zip(changes, offsets[:-1], strict=True)
    ]
    return ibis.cases(*branches, else_=wall_us - offsets[-1] * _US)


def dst_flags(
    wall_us: ir.IntegerValue, changes: list[Transition]
) -> tuple[ir.BooleanValue, ir.BooleanValue]:
    """Whether each wall-clock time is ambiguous (in an hour repeated when clocks go back)
    and whether it never occurs (in an hour skipped when clocks go forward)."""
    repeated = [c.gap_us for c in changes if c.after_s < c.before_s]
    skipped = [c.gap_us for c in changes if c.after_s > c.before_s]
    return _within(wall_us, repeated), _within(wall_us, skipped)


def _within(value: ir.IntegerValue, spans: list[tuple[int, int]]) -> ir.BooleanValue:
    out = ibis.literal(False)
    for start, end in spans:
        out = out | ((value >= start) & (value < end))
    return out.fill_null(False)
