"""Journey mapping: how people travel through stages, touchpoints and channels.

Answers docs/domain.md's "the five stages" (each stage influences whether the next is reached; a
journey is not a straight line) and "behaviour on site" (each session is a touchpoint):

* :func:`transitions`: which step follows which (the transition matrix of path analytics);
* :func:`step_matrix`: where users are at their 1st, 2nd, ... step;
* :func:`~journeylib.journey.stage_view.stage_view`: per stage, reach, conversion onward, time
  to the next stage, top touchpoints and channels, overall or by monthly acquisition cohort;
* :func:`~journeylib.journey.way_to_purchase.purchase_paths` and
  :func:`~journeylib.journey.way_to_purchase.time_to_first_purchase`: the way to the first order
  (both handed on from here, with :func:`steps`, as the names of the flat layout's module).

Steps (the convention, since path-analytics tools differ): at ``level="event"`` every event is
a step; at ``"page_type"`` every page view (events with a ``page_type``); at ``"stage"`` and
``"channel"`` a step is a *run*: consecutive events with the same stage or channel are one step,
so a step is a change of stage or channel. Events whose value at the level is NULL (unmapped
stages, refunds without a channel) are left out. Order is (``event_time``, ``row_id``).

The pseudo states that open and close a journey in :func:`transitions` are ``"(start)"`` and
``"(end)"``: parenthesised so that a real state called ``start`` or ``end`` (an event, a
channel) stays apart from them.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.schema import ROW_ID
from ..engine.sequences import (
    END,
    ENDED,
    ENDED_APART,
    START,
    journey_window,
    level_log,
    steps,
    user_key_of,
)
from .stage_view import stage_view
from .way_to_purchase import purchase_paths, time_to_first_purchase

#: Logs with more events than this are counted in stages (:func:`_staged_table`).
STAGED_ABOVE = 20_000_000


def _names(log: EventLog, level: str) -> ir.Table:
    """The states at ``level`` with their codes (1, 2, ... in the states' order, so that every
    evaluation of the table gives the same codes)."""
    t = log.table
    names = t.select(state=t[level].cast("string")).distinct()
    code = ibis.row_number().over(order_by=names.state) + 1
    return names.mutate(_code=code.cast("int64"))


def _edge_stream(log: EventLog, level: str, within: str, names: ir.Table) -> ir.Table:
    """Every step with its incoming edge, from one window pass.

    Columns: the user key, ``frm`` (the previous step's code, 0 for ``"(start)"``), ``to``,
    ``seconds`` (NULL on a journey's first step), ``is_first``, ``is_last`` (no next step).
    """
    s = steps(log, level=level, within=within)
    key = user_key_of(s)
    s = s.join(names, "state")
    w = journey_window(s, within)
    prev_code = s._code.lag().over(w)
    gap = s.event_time.delta(s.event_time.lag().over(w), unit="microsecond")
    return s.select(
        key,
        frm=prev_code.fill_null(0),
        to=s._code,
        # NULL on a journey's first step: there is no previous time. A double before the
        # division, as Spark would divide into a decimal (and store one in the staged path)
        seconds=gap.cast("float64") / 1e6,
        is_first=prev_code.isnull(),
        is_last=s._code.lead().over(w).isnull(),
    )


def _all_edges(edges: ir.Table, add_start_end: bool) -> ir.Table:
    """The edges to count (user key, ``frm``, ``to``, ``seconds``): each step's incoming
    edge, and the ``"(end)"`` edge after each journey's last step (or, without start and
    end, the inner edges only)."""
    key = edges.columns[0]
    if not add_start_end:
        return edges.filter(~edges.is_first).drop("is_first", "is_last")
    # typed as the stream's own columns: a stored stream has the engine's types (Spark stores
    # the codes as int32 and the seconds as a decimal), and a union needs equal schemas
    end = edges.filter(edges.is_last).select(
        key,
        frm=edges.to,
        to=ibis.literal(-1).cast(edges.to.type()),
        seconds=ibis.null(edges.seconds.type()),
    )
    return edges.drop("is_first", "is_last").union(end, distinct=False)


def transition_table(
    events: EventLog | pd.DataFrame,
    *,
    level: str = "event",
    within: str = "session",
    add_start_end: bool = True,
) -> ir.Table:
    """The (from, to) counts of :func:`transitions` as one ibis expression.

    One window pass over each journey (a session: the user's events with one session id,
    partitioned by ``session_key``, or by user key and ``session_id``; or a user) in
    (``event_time``, ``row_id``) order gives every step its incoming edge (from the previous
    step, or from ``"(start)"``) and marks the journey's last step, whose ``"(end)"`` edge
    is added by a union over the same window output (a cross join with a two-row table
    instead was about 10% slower at 1M events). States travel through the window and the
    aggregation as small integer codes (0 for ``"(start)"``, -1 for ``"(end)"``), named again
    at the end: sorting, hashing and counting distinct users per edge on integers is several
    times cheaper than on text.
    """
    log = level_log(events, level)
    names = _names(log, level)
    edges = _edge_stream(log, level, within, names)
    inner = _all_edges(edges, add_start_end)
    counts = inner.group_by(["frm", "to"]).aggregate(
        transitions=inner.count(),
        users=inner[edges.columns[0]].nunique(),
        median_seconds=inner.seconds.median(),
        p90_seconds=inner.seconds.quantile(0.9),
    )
    return _named(counts, names)


def _staged_table(log: EventLog, level: str, within: str, add_start_end: bool) -> pd.DataFrame:
    """:func:`transition_table`'s result for a large log, in three queries.

    The edge stream is stored once (a temporary table, released at the end); the counts and
    distinct users, then the exact median and p90 of the inner edges, are two aggregates over
    it. In one query the window's sort, the distinct-user hash table and the quantiles' values
    are all held at once: at 100M events under a 6 GB limit DuckDB then spills the quantile
    states again and again (tens of GB of temporary files) or runs out of memory. Apart, each
    fits. Same numbers as the one query (the same aggregates on the same edges).
    """
    names = _names(log, level).cache()
    stored = _edge_stream(log, level, within, names).cache()
    try:
        key = stored.columns[0]
        inner = _all_edges(stored, add_start_end)
        counts = inner.group_by(["frm", "to"]).aggregate(
            transitions=inner.count(), users=inner[key].nunique()
        )
        timed = stored.filter(stored.seconds.notnull())
        times = timed.group_by(["frm", "to"]).aggregate(
            median_seconds=timed.seconds.median(), p90_seconds=timed.seconds.quantile(0.9)
        )
        out = _named(counts, names).to_pandas()
        q = _named(times, names).to_pandas()
    finally:
        stored.release()
        names.release()
    return out.merge(q, on=["frm", "to"], how="left")


def _named(counts: ir.Table, names: ir.Table) -> ir.Table:
    """Replace the state codes in ``frm`` and ``to`` by the states' names; the other columns
    of ``counts`` follow as they are."""
    frm = names.select(_f=names._code, _fn=names.state)
    to = names.select(_t=names._code, _tn=names.state)
    j = counts.left_join(frm, counts.frm == frm._f).left_join(to, counts.to == to._t)
    return j.select(
        frm=ibis.cases((j.frm == 0, ibis.literal(START)), else_=j._fn),
        to=ibis.cases((j.to == -1, ibis.literal(END)), else_=j._tn),
        **{c: j[c] for c in counts.columns if c not in ("frm", "to")},
    )


def transitions(
    events: EventLog | pd.DataFrame,
    *,
    level: str = "event",
    within: str = "session",
    add_start_end: bool = True,
) -> pd.DataFrame:
    """Which step follows which: the transition matrix in long form.

    Parameters
    ----------
    events
        The event log (sessionized for ``within="session"``).
    level
        ``"event"``, ``"stage"``, ``"channel"`` or ``"page_type"``: what a step is (see the
        module docstring: stage and channel steps are runs of equal values).
    within
        ``"session"``: journeys are visits, keyed by (user, ``session_id``); off-site events
        with a NULL ``session_id`` (e-mail opens, refunds) are left out. ``"user"``: one
        journey per user over the whole log, off-site events included.
    add_start_end
        Add a ``"(start)"`` state before each journey's first step and an ``"(end)"`` state
        after its last (in parentheses, so that they never merge with real states called
        ``start`` or ``end``; :data:`START` and :data:`END`).

    Returns
    -------
    DataFrame, one row per (from, to) pair: ``from``, ``to``, ``transitions`` (count),
    ``probability`` (transitions / all transitions out of ``from``), ``users`` (distinct
    users with the pair), ``median_seconds`` and ``p90_seconds`` (time between the two steps;
    NULL for start and end edges). Sorted by ``from`` then most frequent first.

    Notes
    -----
    Medians and p90s are exact (linear interpolation between the two nearest values). Logs of
    more than :data:`STAGED_ABOVE` events are counted in stages (the edges stored once, then
    counts and quantiles apart) so that a log larger than memory completes by spilling.
    """
    log = level_log(events, level)
    if int(log.table.count().to_pandas()) > STAGED_ABOVE:
        out = _staged_table(log, level, within, add_start_end)
    else:
        out = transition_table(log, level=level, within=within, add_start_end=add_start_end)
        out = out.to_pandas()
    out = out.rename(columns={"frm": "from"})
    out["transitions"] = out.transitions.astype("int64")
    out["users"] = out.users.astype("int64")
    out["probability"] = out.transitions / out.groupby("from").transitions.transform("sum")
    cols = [
        "from",
        "to",
        "transitions",
        "probability",
        "users",
        "median_seconds",
        "p90_seconds",
    ]
    out = out.sort_values(["from", "transitions", "to"], ascending=[True, False, True])
    return out[cols].reset_index(drop=True)


def step_matrix(
    events: EventLog | pd.DataFrame, *, max_steps: int = 10, level: str = "event"
) -> pd.DataFrame:
    """Share of users in each state at each step number of their journey (one per user).

    Every user with at least one step at ``level`` is counted at every step from 1 to
    ``max_steps``: in the state of that step, or in ``"ended"`` once the journey is over
    (``"(ended)"`` when a real state is called ``ended``, so the two never merge).

    Returns
    -------
    DataFrame: ``step`` (1-based), ``state``, ``users``, ``share`` (users / users with a
    journey; each step's shares sum to 1). Sorted by step, then most users first.
    """
    if max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps}")
    s = steps(events, level=level, within="user")
    key = user_key_of(s)
    number = ibis.row_number().over(group_by=s[key], order_by=[s.event_time, s[ROW_ID]]) + 1
    numbered = s.mutate(step=number)
    kept = numbered.filter(numbered.step <= max_steps)
    counts = kept.group_by(["step", "state"]).aggregate(users=kept.count()).to_pandas()
    in_step = counts.groupby("step").users.sum().reindex(range(1, max_steps + 1), fill_value=0)
    # every user with a journey has a first step: the users at step 1 are all of them (no
    # second query over the steps for a distinct count)
    total = int(in_step.iloc[0])
    label = ENDED_APART if (counts.state == ENDED).any() else ENDED
    ended = pd.DataFrame({"step": in_step.index, "state": label, "users": total - in_step.values})
    out = pd.concat([counts, ended[ended.users > 0]], ignore_index=True)
    out["step"] = out.step.astype("int64")
    out["users"] = out.users.astype("int64")
    out["share"] = out.users / total if total else float("nan")
    return out.sort_values(["step", "users"], ascending=[True, False]).reset_index(drop=True)


__all__ = [
    "purchase_paths",
    "stage_view",
    "step_matrix",
    "steps",
    "time_to_first_purchase",
    "transition_table",
    "transitions",
]
