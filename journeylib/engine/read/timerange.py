"""The plausible range of event times: what :func:`journeylib.read_events` keeps.

A time before the shop could have had a web log (default: before 1990) or well after the
moment of reading (default: more than a day after it) is a bad value (a clock reset to
1970, a ``9999-12-31`` placeholder, an epoch in the wrong unit), not an event: its row is
removed and counted, so that one such value cannot make the report's week 9999-W51.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..schema import EVENT_TIME_TYPE

#: Default earliest plausible event time.
MIN_TIME = "1990-01-01"
#: Default latest plausible event time: this long after the moment of reading.
MAX_AHEAD = pd.Timedelta(days=1)

Bound = str | pd.Timestamp | pd.Timedelta | None


@dataclass(frozen=True)
class TimeRange:
    """Earliest and latest plausible event times (UTC; None: no bound on that side)."""

    lo: pd.Timestamp | None
    hi: pd.Timestamp | None

    @classmethod
    def of(cls, min_time: Bound = MIN_TIME, max_time: Bound = MAX_AHEAD) -> TimeRange:
        """The range from ``read_events``' parameters: a time (text or Timestamp; naive is
        UTC), a Timedelta (that long after now: ``max_time`` only), or None (no bound)."""
        if isinstance(min_time, pd.Timedelta):
            raise ValueError("min_time must be a time (e.g. '1990-01-01') or None")
        lo, hi = _utc(min_time), _utc(max_time)
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError(f"min_time ({lo}) must be before max_time ({hi})")
        return cls(lo, hi)

    def outside(self, value: ir.TimestampValue) -> ir.BooleanValue:
        """Whether each (non-NULL) time lies before ``lo`` or after ``hi``."""
        out = ibis.literal(False)
        if self.lo is not None:
            out = out | (value < ibis.literal(self.lo, EVENT_TIME_TYPE))
        if self.hi is not None:
            out = out | (value > ibis.literal(self.hi, EVENT_TIME_TYPE))
        return out.fill_null(False)

    def describe(self) -> str:
        """The range in words, for the cleaning report."""
        lo = "any time" if self.lo is None else f"{self.lo:%Y-%m-%d %H:%M} UTC"
        hi = "any time" if self.hi is None else f"{self.hi:%Y-%m-%d %H:%M} UTC"
        return f"outside {lo} to {hi} (min_time=, max_time=)"


def _utc(bound: Bound) -> pd.Timestamp | None:
    if bound is None:
        return None
    if isinstance(bound, pd.Timedelta):
        return pd.Timestamp.now(tz="UTC").floor("s") + bound
    stamp = pd.Timestamp(bound)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")
