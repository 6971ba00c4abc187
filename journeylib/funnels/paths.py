"""Paths around any event: what people do after a start event, before an end event, between
the two, or after dropping out of a funnel (the "paths" of PostHog, Amplitude and Mixpanel).

A path is a journey's sequence of *nodes*: at ``level="event"`` a node is an event, page
views named by their page type (``page_view: product``) when the log has one; at
``"page_type"``, ``"stage"`` or ``"channel"`` as in :func:`journeylib.journey.steps`. Path
cleaning maps nodes to groups (every product page as one node), then repeats are collapsed
(``view_item > view_item`` is one ``view_item``). Everything up to the per-path counts runs
as one ibis query; only the table of distinct paths comes back as pandas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.ordered import concat_in_order, first_in_order
from ..engine.read.events import as_eventlog
from ..engine.schema import ROW_ID, SESSION_KEY, USER_KEY
from ..engine.sequences import END, LEVELS, START, WITHIN
from ..engine.sequences import steps as journey_steps
from ..engine.sessions import sessionize
from .conversion import attempt_table
from .steps import StepSpec

#: The node between the first nodes and the end event of a path too long to show whole.
GAP = "…"
SEP = " > "


def paths(
    events: EventLog | pd.DataFrame,
    *,
    start: str | None = None,
    end: str | None = None,
    steps: int = 5,
    level: str = "event",
    within: str = "session",
    drop_offs_of: tuple | None = None,
    clean: Mapping[str, str] | None = None,
    collapse_repeats: bool = True,
    dropouts: ir.Table | None = None,
) -> pd.DataFrame:
    """The most common paths of up to ``steps`` nodes after ``start``, before ``end``, or
    between both.

    Parameters
    ----------
    events
        The event log (sessionized here when ``within="session"`` and it has no sessions).
    start
        A node (after cleaning): each journey's path begins at its first ``start``. None:
        at the journey's first node (or, with only ``end``, as far back as ``steps`` allows).
    end
        A node: the path ends at the journey's first ``end`` (after ``start``); journeys
        without one are left out. With ``start`` too, a path longer than ``steps`` shows its
        first ``steps - 1`` nodes, ``"…"`` and ``end``.
    steps
        The most nodes a path shows (2 or more).
    level
        ``"event"`` (default), ``"page_type"``, ``"stage"`` or ``"channel"``.
    within
        ``"session"`` (a journey is a visit) or ``"user"`` (all of a user's events).
    drop_offs_of
        ``(steps, k)`` or ``(steps, k, options)``: only the attempts of that funnel
        (:func:`journeylib.funnel` ``options``, default one attempt per user) that reached
        step ``k`` and not ``k + 1``, followed from their step-``k`` event.
    clean
        Path cleaning: ``{pattern: group}``, in order; a node matching a pattern as a whole
        (a regular expression, so a plain name matches only itself) becomes ``group``.
    collapse_repeats
        One node for consecutive equal nodes (after cleaning).
    dropouts
        :func:`journeylib.funnels.abandonment.dropouts` of the same log and the funnel of
        ``drop_offs_of``, when already found: the drop-outs are read from it instead of
        matching the funnel again.

    Returns
    -------
    DataFrame, one row per distinct path, most frequent first: ``path`` (nodes joined by
    ``" > "``; ``"(end)"`` after a path that reaches the journey's end, ``"(start)"``
    before one (ending at ``end``) that reaches back to its start), ``steps`` (nodes shown,
    markers not counted), ``journeys`` (sessions or users following it), ``users`` and
    ``share`` (of all journeys shown).

    Examples
    --------
    >>> paths(log, start="add_to_cart", steps=4)  # doctest: +SKIP
    >>> paths(log, drop_offs_of=(["view_item", "add_to_cart", "purchase"], 2))  # doctest: +SKIP
    """
    if steps < 2:
        raise ValueError(f"a path needs at least 2 steps, got {steps}")
    if within not in WITHIN:
        raise ValueError(f"within must be one of {WITHIN}, got {within!r}")
    if drop_offs_of is not None and start is not None:
        raise ValueError("drop_offs_of starts the paths at the drop-off: no start with it")
    log = as_eventlog(events)
    if within == "session" and not log.has("session_id"):
        log = sessionize(log)
    s = cleaned_nodes(log, level=level, within=within, clean=clean)
    keys = _journey_keys(s, within)
    if drop_offs_of is not None:
        anchors = _drop_off_anchors(log, within, *drop_offs_of, found=dropouts)
        s = _after(s, anchors, keys)
    elif start is not None:
        s = _after(s, _first(s, s.state == start, keys), keys)
    if end is not None:
        s = _before(s, _first(s, s.state == end, keys, "_e"), keys)
    if collapse_repeats:
        w = ibis.window(group_by=[s[k] for k in keys], order_by=[s.event_time, s[ROW_ID]])
        previous = s.state.lag().over(w)
        s = s.mutate(_new=previous.isnull() | (previous != s.state))
        s = s.filter(s._new).drop("_new")
    if end is None:
        mode = "forward"
    else:
        mode = "backward" if start is None and drop_offs_of is None else "between"
    return _finish(_path_counts(s, keys, steps, mode).to_pandas(), mode)


def cleaned_nodes(
    log: EventLog,
    *,
    level: str = "event",
    within: str = "session",
    clean: Mapping[str, str] | None = None,
) -> ir.Table:
    """Every journey step as a node after path cleaning (ibis table).

    Columns: ``user_id``, ``user_key``, ``part`` (the session, ``""`` within users),
    ``event_time``, ``row_id``, ``state`` (the node). See :func:`paths`.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    if level == "event" and log.has("page_type"):
        t = log.table
        page = ibis.literal("page_view: ").concat(t.page_type)
        named = ibis.ifelse((t.event == "page_view") & t.page_type.notnull(), page, t.event)
        log = log.replace(table=t.mutate(event=named))
    s = journey_steps(log, level=level, within=within)
    if not clean:
        return s
    cases = []
    for pattern, group in clean.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(
                f"path cleaning: {pattern!r} is not a regular expression: {exc}"
            ) from None
        cases.append((s.state.re_search(f"^(?:{pattern})$"), ibis.literal(str(group))))
    return s.mutate(state=ibis.cases(*cases, else_=s.state))


def _journey_keys(s: ir.Table, within: str) -> list[str]:
    """The columns that identify a journey: the user key within users; within sessions the
    session alone when it is an integer key (unique in the log: one integer partitions
    faster), else the user key and the session."""
    if within == "user":
        return [USER_KEY]
    return ["part"] if s.part.type().is_integer() else [USER_KEY, "part"]


def _first(s: ir.Table, cond: ir.BooleanValue, keys: list[str], p: str = "_a") -> ir.Table:
    """Per journey, the time and row of its first node where ``cond`` holds: ``keys``,
    ``{p}_t``, ``{p}_r``."""
    hit = s.filter(cond)
    order = [hit.event_time, hit[ROW_ID]]
    return hit.group_by(keys).aggregate(
        **{f"{p}_t": hit.event_time.min(), f"{p}_r": first_in_order(hit[ROW_ID], order)}
    )


def _after(s: ir.Table, anchors: ir.Table, keys: list[str]) -> ir.Table:
    """The nodes of journeys with an anchor, from the anchor on (ties broken by row)."""
    j = s.join(anchors.select(*keys, "_a_t", "_a_r"), keys)
    after = (j.event_time > j._a_t) | ((j.event_time == j._a_t) & (j[ROW_ID] >= j._a_r))
    return j.filter(after).drop("_a_t", "_a_r")


def _before(s: ir.Table, ends: ir.Table, keys: list[str]) -> ir.Table:
    """The nodes of journeys with an end node, up to and including it."""
    j = s.join(ends, keys)
    before = (j.event_time < j._e_t) | ((j.event_time == j._e_t) & (j[ROW_ID] <= j._e_r))
    return j.filter(before).drop("_e_t", "_e_r")


def _drop_off_anchors(
    log: EventLog,
    within: str,
    steps: Sequence[StepSpec],
    k: int,
    options: Mapping[str, Any] | None = None,
    *,
    found: ir.Table | None = None,
) -> ir.Table:
    """The step-``k`` event of each attempt that reached step ``k`` and not ``k + 1``, with
    its journey: ``user_key``, ``part``, ``_a_t``, ``_a_r``; read from ``found`` (the
    funnel's :func:`journeylib.funnels.abandonment.dropouts`) when given."""
    if not 1 <= k < len(steps):
        raise ValueError(f"drop_offs_of: k must be between 1 and {len(steps) - 1}, got {k}")
    if found is not None:
        d = found.filter(found.step_index == k)
        part = d.session if within == "session" else ibis.literal("")
        return d.select(USER_KEY, part=part, _a_t=d.step_time, _a_r=d.step_row)
    a = attempt_table(log, steps, rows=True, **dict(options or {}))
    a = a.filter(a[f"T{k}"].notnull() & a[f"T{k + 1}"].isnull())
    t = log.table
    part = ibis.literal("")
    if within == "session":
        part = t[SESSION_KEY] if SESSION_KEY in t.columns else t.session_id
    rows = t.select(USER_KEY, part=part, _a_t=t.event_time, _a_r=t[ROW_ID])
    j = rows.join(a.select(_r=a[f"R{k}"]), rows._a_r == a[f"R{k}"])
    return j.select(USER_KEY, "part", "_a_t", "_a_r")


def _path_counts(s: ir.Table, keys: list[str], steps: int, mode: str) -> ir.Table:
    """Journeys and users per (``path``, ``steps``, ``more``): ``more`` is whether the
    journey had nodes beyond those shown. ``mode``: ``"forward"`` (the first ``steps``
    nodes), ``"backward"`` (the last ``steps``), ``"between"`` (the first ``steps - 1`` and
    the last)."""
    back = mode == "backward"
    order = [s.event_time.desc(), s[ROW_ID].desc()] if back else [s.event_time, s[ROW_ID]]
    journey = [s[k] for k in keys]
    s = s.mutate(
        _n=ibis.row_number().over(ibis.window(group_by=journey, order_by=order)),
        _len=s[ROW_ID].count().over(ibis.window(group_by=journey)),
    )
    if mode == "between":
        s = s.filter((s._n < steps - 1) | (s._n == s._len - 1))
    else:
        s = s.filter(s._n < steps)
    per = s.group_by(keys).aggregate(
        path=concat_in_order(s.state, [s.event_time, s[ROW_ID]], SEP),
        steps=s.count(),
        more=s._len.max() > s.count(),
        _user=s[USER_KEY].min(),
    )
    return per.group_by(["path", "steps", "more"]).aggregate(
        journeys=per.count(), users=per._user.nunique()
    )


def _finish(t: pd.DataFrame, mode: str) -> pd.DataFrame:
    """Markers and shares on the counted paths: ``"…"`` before the end node of a path with
    nodes left out, ``"(start)"``/``"(end)"`` where the path reaches the journey's start or
    end."""
    t = t.astype({"journeys": "int64", "users": "int64", "steps": "int64"})
    more = t["more"].astype(bool)
    if mode == "between":
        head, _, last = t.path.str.rpartition(SEP).T.to_numpy()
        t["path"] = t.path.where(~more, pd.Series(head, index=t.index) + SEP + GAP + SEP + last)
    elif mode == "backward":
        t["path"] = t.path.where(more, START + SEP + t.path)
    else:
        t["path"] = t.path.where(more, t.path + SEP + END)
    t["share"] = t.journeys / t.journeys.sum() if len(t) else pd.Series(dtype=float)
    t = t.sort_values(["journeys", "path"], ascending=[False, True], ignore_index=True)
    return t[["path", "steps", "journeys", "users", "share"]]


__all__ = ["GAP", "cleaned_nodes", "paths"]
