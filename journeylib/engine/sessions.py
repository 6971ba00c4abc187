"""Sessions: split each user's events into visits, and describe each visit.

A session is identified by (``user_id``, ``session_id``): sources such as GA4 reuse session
ids across users, so ``session_id`` alone is never used as a key.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from .cleaning import Finding, append_findings
from .durations import parse_duration
from .eventlog import EventLog
from .ordered import first_in_order
from .read.events import as_eventlog
from .schema import PURCHASE, ROW_ID, SESSION_KEY, USER_KEY

SESSION_COLUMNS = ("user_id", "session_id")
OFFSITE = "events outside sessions"
#: ``session_key = user_key * SESSIONS_PER_USER + session number``.
SESSIONS_PER_USER = 2**32


def _order(t: ir.Table) -> list[ir.Value]:
    return [t.event_time, t[ROW_ID]]


def gap_session_numbers(table: ir.Table, gap_us: int) -> ir.Table:
    """``row_id`` -> ``session_number`` under the inactivity rule, as a narrow table.

    A gap longer than ``gap_us`` microseconds between consecutive events of a user (in
    (event_time, row_id) order) starts a session; sessions are numbered from 1 per user. Only
    the three columns the rule needs go through the two window passes: sorting narrow rows is
    several times faster than sorting the whole event table.
    """
    user = USER_KEY if USER_KEY in table.columns else "user_id"
    narrow = table.select(user, "event_time", ROW_ID)
    window = ibis.window(group_by=narrow[user], order_by=_order(narrow))
    previous = narrow.event_time.lag().over(window)
    gap = narrow.event_time.delta(previous, unit="microsecond")
    flagged = narrow.mutate(_starts=(previous.isnull() | (gap > gap_us)).cast("int64"))
    number = flagged._starts.cumsum(group_by=flagged[user], order_by=_order(flagged))
    return flagged.select(ROW_ID, session_number=number)


def with_gap_sessions(table: ir.Table, gap_us: int, *, name: str = "session_id") -> ir.Table:
    """Add column ``name`` with ids ``"<user_id>:<n>"`` from :func:`gap_session_numbers`.

    With ``name="session_id"`` and a ``user_key`` column, also ``session_key``: ``user_key *
    2**32 + n``, an integer unique per session that sorts like (user, session number)
    (exact for up to 2**31 users with up to 2**32 sessions each).
    """
    numbers = gap_session_numbers(table, gap_us)
    joined = table.join(numbers, ROW_ID)
    n = joined.session_number
    added = {name: joined.user_id.concat(":", n.cast("string"))}
    if name == "session_id" and USER_KEY in joined.columns:
        added[SESSION_KEY] = joined[USER_KEY].cast("int64") * SESSIONS_PER_USER + n
    return joined.mutate(**added).drop("session_number")


def sessionize(
    events: EventLog | pd.DataFrame, gap: str | pd.Timedelta = "30min", *, recompute: bool = False
) -> EventLog:
    """Give every event a ``session_id``.

    Parameters
    ----------
    events
        The event log.
    gap
        Inactivity that ends a session: a gap *longer* than this between two consecutive
        events of a user starts a new session (a gap of exactly ``gap`` does not).
    recompute
        Ignore the source's session ids (kept as ``source_session_id``) and split on the gap.

    Returns
    -------
    EventLog
        The same events with ``session_id`` (text). Source session ids are kept as they are;
        events without one (off-site events such as e-mail opens or refunds) stay outside
        any session and are counted in the cleaning report; ``recompute=True`` puts every
        event in a gap-rule session. Gap-rule sessions also get ``session_key`` (int64,
        unique per session, ``user_key * 2**32 + n`` for the user's ``n``-th session): engine
        code partitions and compares sessions by it, as by ``user_key`` for users.
    """
    log = as_eventlog(events)
    gap_us = int(parse_duration(gap, name="gap").total_seconds() * 1_000_000)
    if gap_us <= 0:
        raise ValueError(f"gap must be positive, got {gap!r}")
    table = log.table
    if log.has("session_id") and not recompute:
        missing = int(table.session_id.isnull().sum().to_pandas() or 0)
        if missing == 0 or any(log.cleaning.check == OFFSITE):
            return log
        note = Finding(OFFSITE, "session_id", missing, "kept", "not part of any visit")
        return log.replace(cleaning=append_findings(log.cleaning, [note]))
    if log.has("session_id"):
        table = table.rename(source_session_id="session_id")
    if SESSION_KEY in table.columns:
        table = table.drop(SESSION_KEY)
    return log.replace(table=with_gap_sessions(table, gap_us).cache())


def session_table(events: EventLog) -> ir.Table:
    """One row per session as an ibis expression (see :func:`sessions` for the columns)."""
    t = events.table.filter(events.table.session_id.notnull())
    order = _order(t)
    aggs = {
        "start": t.event_time.min(),
        "end": t.event_time.max(),
        "events": t.count(),
        "converted": (t.event == PURCHASE).any(),
        "first_row": t[ROW_ID].min(),
    }
    for col in ("channel", "device", "campaign", "page_type"):
        if col in t.columns:
            name = "landing_page_type" if col == "page_type" else col
            aggs[name] = first_in_order(t[col], order, include_null=False)
    if "revenue" in t.columns:
        aggs["revenue"] = t.revenue.sum(where=t.event == PURCHASE).fill_null(0.0)
    s = t.group_by(SESSION_COLUMNS).aggregate(**aggs)
    s = s.mutate(duration_seconds=s.end.delta(s.start, unit="microsecond") / 1e6)
    number = ibis.row_number().over(group_by=s.user_id, order_by=[s.start, s.first_row]) + 1
    return s.mutate(session_number=number).drop("first_row")


def sessions(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """One row per session.

    Returns
    -------
    DataFrame, one row per (user_id, session_id) (events without a session are left out), with
    ``user_id``, ``session_id``, ``session_number`` (1 = the user's first),
    ``start``, ``end``, ``duration_seconds``, ``events``, ``channel``, ``device``,
    ``campaign``, ``landing_page_type`` (first non-null value in the session, for the columns
    the log has), ``converted`` (a purchase in the session) and ``revenue`` (purchase revenue
    in the session), ordered by user and start. Sessionizes first when needed.
    """
    log = as_eventlog(events)
    if not log.has("session_id"):
        log = sessionize(log)
    table = session_table(log).order_by(["user_id", "start", "session_number"])
    return table.to_pandas()
