"""Every row accounted for: the rows read are the rows kept plus the rows each check removed.

The cleaning report of :func:`journeylib.read_events` (and of ``read_orders``,
``read_ga4``) opens with "rows read" (every record of the source, malformed CSV lines
included) and closes the reading with "rows kept"; every line in between whose action removes
rows ("removed"; "set aside" for order lines without a customer) counts rows that are not
kept, each row once, under the first check it failed. :func:`tally` adds them up, and
:func:`unaccounted` is zero for every source, kind and backend (the tests check it on dirty
files generated at random).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: Actions of report lines whose rows left the log.
REMOVING = ("removed", "set aside")


@dataclass(frozen=True)
class Tally:
    """Rows read, kept and removed (the sum of every removing line) according to a report."""

    read: int
    kept: int
    removed: int

    @property
    def unaccounted(self) -> int:
        """Rows read that are neither kept nor removed by a check (0 when all is told)."""
        return self.read - self.kept - self.removed


def tally(report: pd.DataFrame) -> Tally:
    """Add up a cleaning report (columns ``check``, ``rows``, ``action``)."""
    rows = report.rows.astype("int64")
    read = int(rows[report.check == "rows read"].sum())
    kept = int(rows[report.check == "rows kept"].sum())
    removed = int(rows[report.action.isin(REMOVING)].sum())
    return Tally(read, kept, removed)


def unaccounted(report: pd.DataFrame) -> int:
    """Rows read that a report neither keeps nor removes: 0 for every report of a read."""
    return tally(report).unaccounted


def set_aside(report: pd.DataFrame, rows: int) -> pd.DataFrame:
    """``report`` (not modified) with ``rows`` fewer "rows kept": rows the reading kept and a
    later step set aside, on a "set aside" line of their own."""
    out = report.copy()
    out.loc[out.check == "rows kept", "rows"] -= rows
    return out
