"""Journey mapping: how people travel through stages, touchpoints and channels.

Answers docs/domain.md's "the five stages" (each stage influences whether the next is reached; a
journey is not a straight line) and "behaviour on site" (each session is a touchpoint):

* :func:`transitions`: which step follows which (the transition matrix of path analytics);
* :func:`step_matrix`: where users are at their 1st, 2nd, ... step;
* :func:`stage_view`: per stage, reach, conversion onward, time to the next stage, top
  touchpoints and channels, overall or by monthly acquisition cohort;
* :func:`purchase_paths` and :func:`time_to_first_purchase`: the way to the first order.

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

from ..engine.backend import engine_guard
from ..engine.eventlog import EventLog
from ..engine.schema import ROW_ID
from ..engine.sequences import (
    END,
    ENDED,
    ENDED_APART,
    RUN_LEVELS,
    START,
    journey_window,
    level_log,
    steps,
    user_key_of,
)
from ..engine.stages import STAGES, first_purchases, user_stage_table

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


def _cohorts(log: EventLog, by_cohort: bool) -> ir.Table | None:
    """Each user's acquisition month (the user key, ``cohort``); None for one cohort, "all"."""
    if not by_cohort:
        return None
    t = log.table
    key = user_key_of(t)
    first = t.group_by(key).aggregate(_first=t.event_time.min())
    return first.select(key, cohort=first._first.strftime("%Y-%m"))


def _stage_numbers(log: EventLog, cohorts: ir.Table | None) -> pd.DataFrame:
    key = user_key_of(log.table)
    users = user_stage_table(log, by=key)
    if cohorts is None:
        u = users.filter(users[key].notnull()).mutate(cohort=ibis.literal("all"))
    else:
        u = users.join(cohorts, key)
    rank = u.stage_reached.substitute({s: i for i, s in enumerate(STAGES)}, else_=-1)
    aggs: dict[str, ir.Value] = {}
    for i, s in enumerate(STAGES):
        aggs[f"reached_{i}"] = (rank >= i).sum()
        if i + 1 < len(STAGES):
            here, nxt = u[f"entered_{s.lower()}"], u[f"entered_{STAGES[i + 1].lower()}"]
            aggs[f"days_{i}"] = (nxt.delta(here, unit="second") / 86400).median()
    wide = u.group_by("cohort").aggregate(**aggs).to_pandas()
    rows = []
    for i, s in enumerate(STAGES):
        part = wide[["cohort", f"reached_{i}"]].rename(columns={f"reached_{i}": "reached"})
        part = part.assign(stage=s, order=i)
        part["median_days_to_next"] = wide.get(f"days_{i}", float("nan"))
        rows.append(part)
    out = pd.concat(rows, ignore_index=True).sort_values(["cohort", "order"])
    nxt = out.groupby("cohort").reached.shift(-1)
    out["conversion_to_next"] = (nxt / out.reached.where(out.reached > 0)).astype("float64")
    return out


def _top(frame: pd.DataFrame, what: str, top: int) -> pd.DataFrame:
    frame = frame.sort_values(["cohort", "stage", "n", what], ascending=[True, True, False, True])
    frame["share"] = frame.n / frame.groupby(["cohort", "stage"]).n.transform("sum")
    head = frame.groupby(["cohort", "stage"]).head(top)
    text = head[what].astype(str) + " (" + (100 * head.share).round().astype(int).astype(str)
    label = (text + "%)").groupby([head.cohort, head.stage]).agg(", ".join)
    return label.rename(f"top_{what}s").reset_index()


def _touch_counts(log: EventLog, cohorts: ir.Table | None) -> pd.DataFrame:
    """Events per (``cohort``, ``stage``, ``touchpoint``, ``channel``) in one pass over the log
    (small: the touchpoint and channel tallies of :func:`stage_view` are its sums).

    ``cohorts`` None: one cohort, ``"all"`` (every event of a user, as the join would keep).
    """
    t = log.table
    if cohorts is None:
        t = t.filter(t.user_id.notnull()).mutate(cohort=ibis.literal("all"))
    else:
        t = t.join(cohorts, user_key_of(t))
    t = t.filter(t.stage.notnull())
    touch = t.event
    if log.has("page_type"):
        touch = ibis.ifelse(t.page_type.notnull(), "page:" + t.page_type, t.event)
    channel = t.channel if log.has("channel") else ibis.null("string")
    keys = ["cohort", "stage", touch.name("touchpoint"), channel.name("channel")]
    return t.group_by(keys).aggregate(n=t.count()).to_pandas()


def stage_view(
    events: EventLog | pd.DataFrame, *, by_cohort: bool = False, top: int = 3
) -> pd.DataFrame:
    """The journey map: one row per stage (per monthly acquisition cohort when asked).

    Parameters
    ----------
    events
        The event log.
    by_cohort
        Split by acquisition cohort: the UTC month (``"2024-03"``) of the user's first event.
    top
        How many touchpoints and channels to list per stage.

    Returns
    -------
    DataFrame: ``cohort`` (``"all"`` unless ``by_cohort``), ``stage``, ``reached`` (users
    whose furthest stage is this one or later), ``share_reached`` (of the cohort's users),
    ``conversion_to_next`` (``reached`` of the next stage / ``reached``),
    ``median_days_to_next`` (median over users with both stages of the days from first
    entering this stage to first entering the next), ``top_touchpoints`` (events in the stage
    by count, page views named ``page:<page_type>``, with their share of the stage's events)
    and ``top_channels`` (the same for the events' channel).
    """
    log = level_log(events, "stage")
    cohorts = _cohorts(log, by_cohort)
    out = _stage_numbers(log, cohorts)
    users = out[out.order == 0].set_index("cohort").reached
    out["share_reached"] = out.reached / out.cohort.map(users).where(lambda x: x > 0)
    counts = _touch_counts(log, cohorts)
    keys = ["cohort", "stage", "touchpoint"]
    tp = counts.groupby(keys, dropna=False, sort=False).n.sum().reset_index()
    merged = out.merge(_top(tp, "touchpoint", top), on=["cohort", "stage"], how="left")
    if log.has("channel"):
        ch = counts[counts.channel.notna()]
        chan = ch.groupby(["cohort", "stage", "channel"], sort=False).n.sum().reset_index()
        merged = merged.merge(_top(chan, "channel", top), on=["cohort", "stage"], how="left")
    cols = ["cohort", "stage", "reached", "share_reached", "conversion_to_next"]
    cols += ["median_days_to_next", "top_touchpoints", "top_channels"]
    merged["reached"] = merged.reached.astype("int64")
    return merged.reindex(columns=cols).reset_index(drop=True)


def _before_first_purchase(s: ir.Table, log: EventLog) -> ir.Table:
    fp = first_purchases(log.table)
    j = s.join(fp, "user_id")
    keep = (j.event_time < j._fp_time) | ((j.event_time == j._fp_time) & (j[ROW_ID] <= j._fp_row))
    return j.filter(keep)


def _buyers_way(log: EventLog) -> EventLog:
    """The buyers' events up to and including their first purchase (with ``_fp_time`` and
    ``_fp_row``), as a log.

    Steps computed on it are the steps of the whole log cut at the first purchase: a step's
    previous step comes before it, so it is in the same prefix. The prefix is a small part of
    a real log, so the window that finds the steps sorts far fewer rows.
    """
    return log.replace(table=_before_first_purchase(log.table, log))


@engine_guard
def purchase_paths(
    events: EventLog | pd.DataFrame, *, level: str = "stage", top: int = 10
) -> pd.DataFrame:
    """The most common paths up to (and including the step of) each buyer's first purchase.

    A path is the buyer's sequence of steps at ``level`` (``"stage"`` or ``"channel"``; runs
    of equal values are one step) from the first event to the first purchase, across
    sessions and off-site events.

    Returns
    -------
    DataFrame of the ``top`` paths: ``path`` (steps joined by ``" > "``), ``buyers``,
    ``share`` (of all buyers), ``steps`` (path length).
    """
    if level not in RUN_LEVELS:
        raise ValueError(f"level must be one of {RUN_LEVELS}, got {level!r}")
    from ..engine.ordered import concat_in_order  # (Spark has no ordered group_concat)

    log = level_log(events, level)
    s = steps(_buyers_way(log), level=level, within="user")
    key = user_key_of(s)
    per_buyer = s.group_by(key).aggregate(
        path=concat_in_order(s.state, [s.event_time, s[ROW_ID]], " > "),
        steps=s.count(),
    )
    agg = per_buyer.group_by(["path", "steps"]).aggregate(buyers=per_buyer.count())
    out = agg.to_pandas()
    out["buyers"] = out.buyers.astype("int64")
    out["share"] = out.buyers / out.buyers.sum() if len(out) else float("nan")
    out = out.sort_values(["buyers", "path"], ascending=[False, True]).head(top)
    return out[["path", "buyers", "share", "steps"]].reset_index(drop=True)


def time_to_first_purchase(events: EventLog | pd.DataFrame) -> pd.DataFrame:
    """How long the way to the first order is: steps, events, sessions and days, per buyer.

    Returns
    -------
    DataFrame, one row per measure: ``measure`` (``"stages passed"``, ``"channel steps"``
    (runs of one channel: one more than the changes of channel), ``"events"``,
    ``"sessions"`` (visits up to and including the purchase visit), ``"days"`` (first event
    to first purchase)), ``buyers``, ``mean``, ``median``, ``p90``. All counts run up to and
    include the first purchase.
    """
    log = level_log(events, "stage")
    way = _buyers_way(log)
    t = way.table
    key = user_key_of(t)
    per = t.group_by(key).aggregate(
        events=t.count(),
        sessions=t.session_id.nunique() if log.has("session_id") else t.count(),
        days=(t._fp_time.max().delta(t.event_time.min(), unit="second") / 86400),
    )
    measures = {"events": "events", "sessions": "sessions", "days": "days"}
    names = {"stage": "stages passed", "channel": "channel steps"}
    for level, name in names.items():
        if level == "stage" or log.has(level):
            s = steps(way, level=level, within="user")
            n = s.group_by(key).aggregate(**{f"_{level}": s.count()})
            per = per.left_join(n, per[key] == n[key]).select(per, n[f"_{level}"])
            measures[name] = f"_{level}"
    aggs = {}
    for i, col in enumerate(measures.values()):
        value = per[col].fill_null(0)
        aggs |= {f"mean_{i}": value.mean(), f"median_{i}": value.median()}
        aggs[f"p90_{i}"] = value.quantile(0.9)
    row = per.aggregate(buyers=per.count(), **aggs).to_pandas().iloc[0]
    order = ["stages passed", "channel steps", "events", "sessions", "days"]
    frame = pd.DataFrame(
        {
            "measure": list(measures),
            "buyers": int(row.buyers),
            "mean": [row[f"mean_{i}"] for i in range(len(measures))],
            "median": [row[f"median_{i}"] for i in range(len(measures))],
            "p90": [row[f"p90_{i}"] for i in range(len(measures))],
        }
    )
    frame["measure"] = pd.Categorical(frame.measure, [m for m in order if m in measures])
    return frame.sort_values("measure").assign(measure=lambda f: f.measure.astype(str))


__all__ = [
    "purchase_paths",
    "stage_view",
    "step_matrix",
    "steps",
    "time_to_first_purchase",
    "transition_table",
    "transitions",
]
