"""Bounce rate: the share of visits that end without a second interaction.

A bounce is a session with at most one event once the session bookkeeping events that
analytics tags send by themselves (:data:`BOOKKEEPING`: ``session_start``, ``first_visit``,
``user_engagement``) are left out: a landing page view and nothing else, or not even that.
This is Universal Analytics' bounce (one interaction hit), not GA4's "not engaged" session,
which needs a duration journeylib's logs do not carry reliably.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis.expr.types as ir
import pandas as pd

from . import cohorts as cal
from .eventlog import EventLog
from .intervals import wilson
from .ordered import first_in_order
from .read.events import as_eventlog
from .schema import ROW_ID
from .sessions import sessionize

__all__ = ["BOOKKEEPING", "bounce_rate", "bounce_rate_of", "bounce_rates", "counted_events"]

#: Events a tag sends by itself at the start of a visit: they are not an interaction.
BOOKKEEPING = ("session_start", "first_visit", "user_engagement")
#: Session attributes ``by`` can name, with the column whose first value in the session
#: they take.
ATTRIBUTES = {"channel": "channel", "device": "device", "landing_page_type": "page_type"}


def counted_events(t: ir.Table) -> ir.IntegerScalar:
    """Aggregate: the events of a group that count towards a bounce (bookkeeping left out)."""
    return (~t.event.isin(BOOKKEEPING)).sum()


def bounce_rate(events: EventLog | pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Sessions, bounces and bounce rate, overall or per session attribute.

    Parameters
    ----------
    events
        The event log (sessionized first when it has no ``session_id``); events outside
        sessions (e-mail opens, refunds) are left out.
    by
        ``"channel"``, ``"device"`` or ``"landing_page_type"`` (the first non-NULL value of
        ``channel``, ``device`` or ``page_type`` in the session, as
        :func:`journeylib.sessions`), any other column (its first non-NULL value in the
        session), or None for one row. NULL is ``"(none)"``.

    Returns
    -------
    DataFrame
        One row per ``by`` value (most sessions first; one row without ``by``): ``sessions``,
        ``bounces``, ``bounce_rate`` (bounces / sessions) and its 95 % Wilson interval
        ``bounce_rate_low``, ``bounce_rate_high``.

    Examples
    --------
    A session of ``session_start, page_view`` is a bounce; ``session_start, page_view,
    view_item`` is not.
    """
    return bounce_rates(events, [by] if by is not None else [])[by]


def bounce_rates(events: EventLog | pd.DataFrame, by: Sequence[str]) -> dict:
    """:func:`bounce_rate` for each of ``by`` (key None: overall when ``by`` is empty), from
    one pass over the sessions: counts per combination of the attributes, summed per
    attribute."""
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    t = log.table
    t = t.filter(t.session_id.notnull())
    order = [t.event_time, t[ROW_ID]]
    aggs = {"_kept": counted_events(t)}
    for name in by:
        column = ATTRIBUTES.get(name, name)
        if column not in t.columns:
            raise ValueError(f"the log has no {column!r} column for a bounce rate by {name}")
        aggs[name] = first_in_order(t[column].cast("string"), order, include_null=False)
    per = t.group_by([cal.user_column(t), "session_id"]).aggregate(**aggs)
    keys = [per[name].fill_null("(none)").name(name) for name in by]
    counts = {"sessions": per.count(), "bounces": (per._kept <= 1).sum()}
    combos = per.group_by(keys) if keys else per
    combos = combos.aggregate(**counts).to_pandas()
    if not by:
        return {None: bounce_rate_of(combos)}
    out = {}
    for name in by:
        one = combos.groupby(name, as_index=False)[["sessions", "bounces"]].sum()
        one = one.sort_values(["sessions", name], ascending=[False, True], ignore_index=True)
        out[name] = bounce_rate_of(one)
    return out


def bounce_rate_of(out: pd.DataFrame) -> pd.DataFrame:
    """``out`` (``sessions``, ``bounces`` counts) with ``bounce_rate`` and its Wilson interval."""
    out = out.copy()
    for col in ("sessions", "bounces"):
        out[col] = out[col].fillna(0).astype("int64")
    out["bounce_rate"] = out.bounces / out.sessions.where(out.sessions > 0)
    out["bounce_rate_low"], out["bounce_rate_high"] = wilson(out.bounces, out.sessions)
    return out
