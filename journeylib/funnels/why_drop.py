"""Why people drop out of the main funnel: everything the "Why people drop" part of the funnel
page shows, computed once (:func:`analyze`), with the fallbacks for a log that cannot
support a part decided here.

Three parts: what goes with finishing and with dropping (:func:`journeylib.funnel_correlation`
with the visit's device and channel), where those who left at the biggest drop go
(:func:`journeylib.paths` of the drop-outs) and the weekly trend of conversion
(:func:`journeylib.funnel_trend`, this week against the four before).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog
from .abandonment import CHECKOUT
from .conversion import funnel
from .correlation import funnel_correlation
from .paths import paths
from .steps import StepSpec, as_step
from .trends import compare_last, funnel_trend

#: Properties compared when the log has them.
PROPERTIES = ("device", "channel")
#: Weeks the trend shows, and how many before this week it is compared with.
WEEKS, BEFORE = 12, 4
#: The one line of a report that leaves the part out.
LEFT_OUT = "Why people drop is left out of this report."
#: The line said when no one left the funnel part-way.
NO_DROPOUTS = "No one left the funnel part-way: there are no drop-outs to follow."


@dataclass
class WhyDrop:
    """What :func:`analyze` found. A part the log cannot support is None, and ``notes``
    says why in one line each."""

    correlation: pd.DataFrame | None
    dropouts: pd.DataFrame | None
    drop_step: tuple[str, str] | None
    trend: pd.DataFrame | None
    comparison: dict | None
    notes: list[str] = field(default_factory=list)

    @property
    def compared(self) -> bool:
        """Whether any event or property was compared: the chart and table have rows."""
        return self.correlation is not None and len(self.correlation) > 0

    @property
    def paths_differ(self) -> bool:
        """Whether the drop-outs took more than one path: a chart and a table of them say
        more than the one sentence of the findings."""
        return self.dropouts is not None and len(self.dropouts) > 1


def analyze(
    events: EventLog | pd.DataFrame,
    steps: Sequence[StepSpec],
    *,
    window: str | None = "7D",
    order: str = "ordered",
    count: str = "users",
    funnel_table: pd.DataFrame | None = None,
    dropouts: ir.Table | None = None,
    end: str | pd.Timestamp | None = None,
    path_steps: int = 5,
) -> WhyDrop:
    """The three parts of "Why people drop" for the funnel ``steps``.

    Parameters
    ----------
    events
        The event log of the period (sessionized).
    steps, window, order, count
        The funnel, as in :func:`journeylib.funnel`. The correlation is per user (one
        attempt each); the drop-out paths follow the funnel's own units (``count``).
    funnel_table
        :func:`journeylib.funnel` of the same steps and options, when already computed:
        the biggest drop is read from it.
    dropouts
        :func:`journeylib.funnels.abandonment.dropouts` of the same steps and options, when
        already found: the drop-out paths start from it.
    end
        End of the report week (exclusive): the trend's last week is the one before it.
    path_steps
        Nodes per drop-out path.

    Returns
    -------
    WhyDrop: ``correlation`` (the table, the checkout events on the way to a purchase left
    out: they say how people finish, not why), ``dropouts`` (paths of those who left at the
    biggest drop) with ``drop_step`` (the two step names), ``trend`` (the last
    :data:`WEEKS` weeks) and ``comparison`` (this week against the :data:`BEFORE` before),
    and ``notes`` (one line per part not computed). The sentences are
    :func:`journeylib.funnels.findings_why.why_findings`.
    """
    log = as_eventlog(events)
    names = [as_step(s).name for s in steps]
    out = WhyDrop(None, None, None, None, None)
    props = [p for p in PROPERTIES if p in log.table.columns]
    if len(props) < len(PROPERTIES):
        missing = " or ".join(p for p in PROPERTIES if p not in props)
        out.notes.append(f"The log has no {missing} column: those are not compared.")
    try:
        out.correlation = correlate(log, steps, window=window, order=order)
    except NotComputable as exc:
        out.notes.append(f"What goes with finishing is not computed: {exc}.")
    options: dict[str, Any] = {"window": window, "order": order, "count": count}
    f = funnel(log, steps, **options) if funnel_table is None else funnel_table
    k = biggest_drop(f)
    if k is None:
        out.notes.append(NO_DROPOUTS)
    else:
        out.drop_step = (names[k - 1], names[k])
        out.dropouts = paths(
            log, drop_offs_of=(steps, k, options), steps=path_steps, dropouts=dropouts
        )
    first = _weeks_before(end) if end is not None else None
    trend = funnel_trend(log, steps, window=window, order=order, start=first, end=end)
    out.trend = trend.tail(WEEKS).reset_index(drop=True)
    if out.trend.entered.sum() == 0:
        out.notes.append("No one entered the funnel in the last weeks: no trend to show.")
        out.trend = None
    else:
        out.comparison = compare_last(out.trend, before=BEFORE)
    return out


def correlate(
    log: EventLog, steps: Sequence[StepSpec], *, window: str | None, order: str = "ordered"
) -> pd.DataFrame:
    """:func:`journeylib.funnel_correlation` as the page runs it: with the
    :data:`PROPERTIES` the log has, the checkout events on the way to a purchase left out
    (they say how people finish, not why)."""
    props = [p for p in PROPERTIES if p in log.table.columns]
    return funnel_correlation(
        log, steps, window=window, order=order, properties=props, exclude=list(CHECKOUT)
    )


def left_out() -> WhyDrop:
    """A :class:`WhyDrop` with no part computed, for a report that leaves the part out."""
    return WhyDrop(None, None, None, None, None, notes=[LEFT_OUT])


def _weeks_before(end: str | pd.Timestamp) -> pd.Timestamp:
    """The start of the first of the :data:`WEEKS` weeks up to ``end`` (exclusive)."""
    end = pd.Timestamp(end)
    end = end.tz_localize("UTC") if end.tzinfo is None else end
    return end - pd.Timedelta(weeks=WEEKS)


def biggest_drop(f: pd.DataFrame) -> int | None:
    """The step (1-based) after which the largest share is lost; None when nobody drops."""
    later = f[(f.step_index > 1) & f.step_conversion.notna() & (f.drop_off > 0)]
    if later.empty:
        return None
    return int(later.loc[(1 - later.step_conversion).idxmax(), "step_index"]) - 1


__all__ = [
    "BEFORE", "LEFT_OUT", "NO_DROPOUTS", "PROPERTIES", "WEEKS", "WhyDrop", "analyze",
    "biggest_drop", "correlate", "left_out",
]  # fmt: skip
