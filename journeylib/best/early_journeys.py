"""Every user's early journey: what the best-customer analyses read.

:func:`prepared_journeys` gives the log they share (sessionized, with a user key, the optional
columns they read added as NULLs where absent); :func:`horizon_events` cuts each user's events
at a horizon; :func:`user_items` and :func:`early_items` turn them into the single features
and ordered steps that :func:`~journeylib.best.patterns.early_patterns` counts and
:func:`~journeylib.best.patterns.matches` looks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from ..engine.durations import parse_duration
from ..engine.eventlog import EventLog
from ..engine.ordered import first_in_order, last_in_order
from ..engine.read.events import as_eventlog, with_user_key
from ..engine.schema import OPTIONAL, ROW_ID, USER_KEY
from ..engine.sessions import sessionize

#: Events that carry no behaviour of their own (a page view is described by its page type).
BOOKKEEPING = ("session_start", "first_visit", "user_engagement", "page_view")
#: Optional columns the best-customer analyses read; absent ones are added as NULLs.
_USED = ("channel", "device", "page_type", "product_id", "category", "revenue")


@dataclass(frozen=True)
class EarlyItems:
    """What every user did before the horizon (see :func:`early_items`)."""

    items: ir.Table
    steps: ir.Table
    horizon: str | int


def early_items(
    events: EventLog | pd.DataFrame, *, horizon: str | int = "first_session"
) -> EarlyItems:
    """Every user's early journey, read once: the input of
    :func:`~journeylib.best.patterns.early_patterns` and :func:`~journeylib.best.patterns.matches`
    (pass it as their ``items``, with the same events and horizon).

    Returns an :class:`EarlyItems`: ``items`` and ``steps`` as in :func:`user_items`, held by
    the engine (computed once), and the ``horizon``.
    """
    return EarlyItems(*user_items(prepared_journeys(events), horizon), horizon=horizon)


def items_of(
    log: EventLog, horizon: str | int, items: EarlyItems | None
) -> tuple[ir.Table, ir.Table]:
    """The (items, steps) of :func:`user_items` for ``horizon``: from ``items`` when given
    (they must be for the same horizon), else read from ``log``."""
    if items is None:
        return user_items(log, horizon)
    if str(items.horizon) != str(horizon):
        raise ValueError(f"items are for horizon {items.horizon!r}, not {horizon!r}")
    return items.items, items.steps


def prepared_journeys(events: EventLog | pd.DataFrame) -> EventLog:
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    if not log.has(USER_KEY):
        log = log.replace(table=with_user_key(log.table))
    missing = {c: ibis.null(OPTIONAL[c]) for c in _USED if not log.has(c)}
    return log.replace(table=log.table.mutate(**missing)) if missing else log


def best_ids(best: pd.DataFrame | Iterable[str]) -> list[str]:
    """User ids from a :func:`best_customers` frame or any iterable of ids."""
    if isinstance(best, pd.DataFrame):
        return best["user_id"].astype(str).tolist()
    return [str(u) for u in best]


def horizon_events(log: EventLog, horizon: str | int) -> ir.Table:
    """The events of each user before ``horizon`` (see :func:`early_patterns`)."""
    t = log.table
    on_site = t.filter(t.session_id.notnull())
    if horizon == "first_session":
        order = [on_site.event_time, on_site[ROW_ID]]
        first = on_site.group_by(USER_KEY).aggregate(
            _first_session=first_in_order(on_site.session_id, order, include_null=False)
        )
        joined = on_site.join(first, USER_KEY)
        return joined.filter(joined.session_id == joined._first_session).drop("_first_session")
    if isinstance(horizon, int | np.integer):
        narrow = t.select(USER_KEY, "event_time", ROW_ID)
        order = [narrow.event_time, narrow[ROW_ID]]
        number = ibis.row_number().over(group_by=narrow[USER_KEY], order_by=order)
        keep = narrow.mutate(_n=number).filter(lambda s: s._n < int(horizon)).select(ROW_ID)
        return t.join(keep, ROW_ID)
    span = parse_duration(horizon, name="horizon", hint="or an int (10) for the first 10 events")
    start = on_site.group_by(USER_KEY).aggregate(_start=on_site.event_time.min())
    joined = t.join(start, USER_KEY)
    inside = (joined.event_time >= joined._start) & (joined.event_time < joined._start + span)
    return joined.filter(inside).drop("_start")


def _step(t: ir.Table) -> ir.StringValue:
    """The step an event stands for: ``page: <type>``, ``event: <name>`` or NULL."""
    page = ibis.literal("page: ").concat(t.page_type) if "page_type" in t.columns else None
    cases = [(t.event.isin(BOOKKEEPING[:-1]), ibis.null("string"))]
    if page is not None:
        cases.append(((t.event == "page_view") & t.page_type.notnull(), page))
    cases.append((t.event == "page_view", ibis.null("string")))
    return ibis.cases(*cases, else_=ibis.literal("event: ").concat(t.event))


def user_items(log: EventLog, horizon: str | int) -> tuple[ir.Table, ir.Table]:
    """Single features per user before ``horizon``, and the steps with their first/last place.

    Returns two ibis tables: items (``user_key``, ``item``), distinct; steps (``user_key``,
    ``item``, ``first_time``, ``first_row``, ``last_time``, ``last_row``).
    """
    h = horizon_events(log, horizon)
    h = h.mutate(_item=_step(h))
    # the early events, once: the items and steps below (and every count over them) read it
    used = [c for c in ("event", "session_id", "channel", "device", "page_type") if c in h.columns]
    h = h.select(USER_KEY, "event_time", ROW_ID, "_item", *used).cache()
    order = [h.event_time, h[ROW_ID]]
    firsts = {}
    for col in ("channel", "device"):
        if col in h.columns:
            on = h.session_id.notnull()
            firsts[col] = first_in_order(h[col], order, include_null=False, where=on)
    if "page_type" in h.columns:
        view = h.event == "page_view"
        firsts["page_type"] = first_in_order(h.page_type, order, include_null=False, where=view)
    items = [_steps_distinct(h)]
    if firsts:
        per_user = h.group_by(USER_KEY).aggregate(**firsts)
        labels = {"channel": "first channel", "device": "first device", "page_type": "landing page"}
        for col in firsts:
            f = per_user.filter(per_user[col].notnull())
            items.append(f.select(USER_KEY, item=ibis.literal(f"{labels[col]}: ").concat(f[col])))
    s = h.filter(h._item.notnull())
    steps = s.group_by([USER_KEY, s._item.name("item")]).aggregate(
        first_time=s.event_time.min(),
        first_row=first_in_order(s[ROW_ID], [s.event_time, s[ROW_ID]], include_null=False),
        last_time=s.event_time.max(),
        last_row=last_in_order(s[ROW_ID], [s.event_time, s[ROW_ID]], include_null=False),
    )
    return ibis.union(*items, distinct=True).cache(), steps


def _steps_distinct(h: ir.Table) -> ir.Table:
    s = h.filter(h._item.notnull())
    return s.select(USER_KEY, item=s._item).distinct()


def column_or_null(t: ir.Table, name: str, dtype: str = "string") -> ir.Value:
    """Column ``name`` of ``t``, or a NULL of ``dtype`` when ``t`` has none."""
    return t[name] if name in t.columns else ibis.literal(None, dtype)
