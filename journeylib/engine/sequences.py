"""Journeys as sequences of steps: the convention every path analysis follows.

Steps (the convention, since path-analytics tools differ): at ``level="event"`` every event is
a step; at ``"page_type"`` every page view (events with a ``page_type``); at ``"stage"`` and
``"channel"`` a step is a *run*: consecutive events with the same stage or channel are one step,
so a step is a change of stage or channel. Events whose value at the level is NULL (unmapped
stages, refunds without a channel) are left out. Order is (``event_time``, ``row_id``).

The pseudo states that open and close a journey are ``"(start)"`` and ``"(end)"``:
parenthesised so that a real state called ``start`` or ``end`` (an event, a channel) stays
apart from them.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from .eventlog import EventLog
from .read.events import as_eventlog
from .schema import ROW_ID, SESSION_KEY, USER_KEY
from .stages import map_stages

LEVELS = ("event", "stage", "channel", "page_type")


WITHIN = ("session", "user")


START, END, ENDED = "(start)", "(end)", "ended"


#: :func:`step_matrix`'s pseudo state when the log has a real state called "ended".
ENDED_APART = "(ended)"


RUN_LEVELS = ("stage", "channel")


def level_log(events: EventLog | pd.DataFrame, level: str) -> EventLog:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    log = as_eventlog(events)
    if level == "stage" and not log.has("stage"):
        log = map_stages(log)
    if not log.has(level):
        raise ValueError(f"the log has no {level!r} column; it has {log.table.columns}")
    return log


def user_key_of(t: ir.Table) -> str:
    return USER_KEY if USER_KEY in t.columns else "user_id"


def journey_window(s: ir.Table, within: str) -> Any:
    """The window over one journey's steps: a user's, or a session's (``session_key`` alone,
    which is unique in the log, or user key and ``session_id``), in (``event_time``,
    ``row_id``) order."""
    if within == "user":
        key = [s[user_key_of(s)]]
    else:
        key = [s.part] if s.part.type().is_integer() else [s[user_key_of(s)], s.part]
    return ibis.window(group_by=key, order_by=[s.event_time, s[ROW_ID]])


def steps(
    events: EventLog | pd.DataFrame, *, level: str = "event", within: str = "user"
) -> ir.Table:
    """The steps of every journey as a narrow ibis table (see the module docstring).

    Columns: ``user_id``, the user key, ``part`` (the session: ``session_key`` when the log
    has it (an integer sorts faster than text), else ``session_id``; ``""`` when
    ``within="user"``), ``event_time``, ``row_id``, ``state``. ``within="session"`` leaves out
    off-site events (NULL ``session_id``: e-mail opens, refunds), which belong to no visit;
    a session is all of a user's events with its session id (as in :func:`sessions`), and
    stage and channel runs end where the session does.
    """
    if within not in WITHIN:
        raise ValueError(f"within must be one of {WITHIN}, got {within!r}")
    log = level_log(events, level)
    t = log.table
    key = user_key_of(t)
    if within == "session":
        if not log.has("session_id"):
            raise ValueError("within='session' needs session ids: call journeylib.sessionize")
        t = t.filter(t.session_id.notnull())
        part = t[SESSION_KEY] if SESSION_KEY in t.columns else t.session_id
    else:
        part = ibis.literal("")
    s = t.select("user_id", key, "event_time", ROW_ID, part=part, state=t[level].cast("string"))
    s = s.filter(s.state.notnull())
    if level in RUN_LEVELS:
        previous = s.state.lag().over(journey_window(s, within))
        # the flag is a column first: filtering on window values directly is miscompiled
        # for Spark by ibis 12 (an unresolved column); DuckDB plans both the same way
        s = s.mutate(_run_start=previous.isnull() | (previous != s.state))
        s = s.filter(s._run_start).drop("_run_start")
    return s
