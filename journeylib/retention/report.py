"""Everything notebook 05 shows about retention and lifecycle, computed once.

:func:`analyze` runs the cohort table, the retention curves by first channel and device, the
buying customers' weekly lifecycle and the time to the second order; a part the log cannot
support (no channel, no device, no revenue) is recorded, and asking for it raises
:class:`~journeylib.engine.cleaning.NotComputable` with the reason, so the notebook shows one line.
The findings and the planted-truth check live in :mod:`journeylib.retention.findings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.periods import iso_week_bounds
from ..engine.read.events import as_eventlog
from ..engine.schema import PURCHASE
from .cohort_retention import retention, retention_curve
from .lifecycle import lifecycle
from .order_gaps import OrderGaps, time_between_orders

__all__ = ["SPLITS", "RetentionReport", "analyze", "explore"]

#: Splits of the retention curves: the user's first channel and first device.
SPLITS = ("first_channel", "first_device")
#: Period at which curves are compared ("still buying k periods after the first order").
HORIZON = {"month": 3, "week": 13, "day": 90}
_ANY = "(any event)"


@dataclass(frozen=True)
class RetentionReport:
    """Tidy results of :func:`analyze`.

    Attributes
    ----------
    week, start, end
        The report week and its bounds (UTC).
    cohort, mode, start_event, return_event
        The options the cohort table was computed with.
    cohorts
        :func:`journeylib.retention` of the options.
    curves
        Split -> :func:`journeylib.retention_curve` (customers, ``on_or_after``).
    lifecycle
        :func:`journeylib.lifecycle` of buying customers per ISO week, up to the report week
        (the last ``weeks`` weeks).
    gaps
        :func:`journeylib.time_between_orders` by first channel, or None without purchases.
    missing
        Part -> why it could not be computed.
    """

    week: str
    start: pd.Timestamp
    end: pd.Timestamp
    cohort: str
    mode: str
    start_event: str | None
    return_event: str | None
    cohorts: pd.DataFrame
    curves: dict[str, pd.DataFrame]
    lifecycle: pd.DataFrame
    gaps: OrderGaps | None
    missing: dict[str, str] = field(default_factory=dict)

    def part(self, name: str):
        """The part ``name`` (``"revenue"``, a split, ``"gaps"``), or NotComputable saying why."""
        if name in self.missing:
            raise NotComputable(self.missing[name])
        if name == "revenue":
            return self.cohorts
        if name == "gaps":
            return self.gaps
        return self.curves[name]

    def at_horizon(self, by: str) -> pd.DataFrame:
        """The ``by`` curve read at :attr:`horizon`: one row per value (``period`` left out)."""
        curve = self.part(by)
        if curve.empty:
            return curve.drop(columns="period")
        k = min(self.horizon, int(curve.period.max()))
        return curve[curve.period == k].drop(columns="period").reset_index(drop=True)

    def reorder_shares(self) -> pd.DataFrame:
        """Share of first-time buyers who reordered within 30, 60, 90, 180 days, one row per
        first channel (``by``) and a column per horizon (``within 30 days``...)."""
        within = self.part("gaps").within
        wide = within.pivot(index="by", columns="days", values="share")
        return wide.rename(columns=lambda d: f"within {d} days").reset_index()

    @property
    def horizon(self) -> int:
        """The period at which retention curves are compared (3 months, 13 weeks, 90 days)."""
        return HORIZON[self.cohort]


def _event(name: str | None) -> str | None:
    return None if name in (None, "", _ANY) else name


def analyze(
    events: EventLog | pd.DataFrame,
    *,
    week: str,
    cohort: str = "month",
    mode: str = "on",
    start_event: str | None = PURCHASE,
    return_event: str | None = PURCHASE,
    splits: Sequence[str] = SPLITS,
    weeks: int = 26,
) -> RetentionReport:
    """Cohort retention, retention curves, lifecycle and time to the second order.

    Parameters
    ----------
    events
        The (sessionized or not) event log.
    week
        The report week (``"2024-W23"``): the lifecycle ends with it.
    cohort, mode, start_event, return_event
        Options of the cohort table (:func:`journeylib.retention`); ``"(any event)"`` or
        ``""`` mean any event. The curves are always customer curves (first order, orders).
    splits
        Splits of the retention curves.
    weeks
        Weeks of lifecycle kept, ending with the report week.

    Returns
    -------
    RetentionReport
    """
    log = as_eventlog(events)
    start, end = iso_week_bounds(week)
    start_event, return_event = _event(start_event), _event(return_event)
    missing: dict[str, str] = {}
    cohorts = retention(
        log, cohort=cohort, start_event=start_event, return_event=return_event, mode=mode
    )
    if "revenue_per_user" not in cohorts:
        missing["revenue"] = "the log has no revenue column"
    curves = {}
    for by in splits:
        try:
            curves[by] = retention_curve(log, by=by, cohort=cohort)
        except NotComputable as exc:
            missing[by] = str(exc)
    cycle = lifecycle(log, period="week", event=PURCHASE)
    cycle = cycle[(cycle.period < end) & (cycle.period >= start - pd.Timedelta(weeks=weeks - 1))]
    try:
        gaps = time_between_orders(log, by="first_channel")
    except NotComputable as exc:
        gaps, missing["gaps"] = None, str(exc)
    return RetentionReport(
        week=week,
        start=start,
        end=end,
        cohort=cohort,
        mode=mode,
        start_event=start_event,
        return_event=return_event,
        cohorts=cohorts,
        curves=curves,
        lifecycle=cycle.reset_index(drop=True),
        gaps=gaps,
        missing=missing,
    )


def explore(events: EventLog | pd.DataFrame, report: RetentionReport):
    """A widget: the cohort heatmap or curves for another cohort unit, mode, start and return
    event, or split (None in a report run)."""
    from ..show.widgets import explore as widget
    from ..show.widgets import in_report
    from . import plots

    if in_report():
        return None
    log = as_eventlog(events)
    t = log.table
    names = t.group_by("event").aggregate(n=t.count()).order_by(lambda s: s.n.desc()).limit(12)
    choices = [PURCHASE, _ANY, *[e for e in names.to_pandas().event if e != PURCHASE]]
    split_choices = ["(none)", *[s for s in SPLITS if s in report.curves]]

    def draw(
        cohort: str = report.cohort,
        mode: str = report.mode,
        start_event: str = report.start_event or _ANY,
        return_event: str = report.return_event or _ANY,
        split: str = "(none)",
    ):
        opts = {
            "cohort": cohort,
            "mode": mode,
            "start_event": _event(start_event),
            "return_event": _event(return_event),
        }
        if split == "(none)":
            return plots.cohort_heatmap(retention(log, **opts), unit=cohort)
        table = retention(log, by=split, **opts)
        return plots.retention_curves(retention_curve(log, by=split, table=table), by=split)

    return widget(
        draw,
        cohort=["month", "week"],
        mode=["on", "on_or_after"],
        start_event=choices,
        return_event=choices,
        split=split_choices,
    )
