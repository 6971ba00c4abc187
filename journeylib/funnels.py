"""Funnels: how many get from step to step, who drops where, and how long it takes.

Conventions follow the product-analytics tools analysts know (Mixpanel, Amplitude, GA4
funnel explorations); every choice is spelled out in :func:`funnel`'s docstring. The matching
runs as ibis expressions (one join and one aggregate per step, "as-of" style): no Python loop
over users, and only the small result comes back as pandas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats

from .eventlog import EventLog
from .io import as_eventlog
from .schema import ROW_ID, USER_KEY
from .steps import Step, StepSpec, as_step, as_steps

ORDERS = ("ordered", "strict", "any")
COUNTS = ("users", "sessions", "totals")
Window = str | pd.Timedelta | None


@dataclass(frozen=True)
class Exclusion:
    """Attempts with a ``step`` event strictly between steps ``after`` and ``before`` (1-based)
    never reach step ``before``."""

    step: Step
    after: int
    before: int


@dataclass(frozen=True)
class _Spec:
    steps: list[Step]
    order: str
    window_us: int | None
    step_windows_us: list[int | None]
    count: str
    by: list[str]
    exclude: list[Exclusion]
    hold: str | None
    open_funnel: bool


def funnel(
    events: EventLog | pd.DataFrame,
    steps: Sequence[StepSpec],
    *,
    order: str = "ordered",
    window: Window = None,
    step_windows: Sequence[Window] | None = None,
    count: str = "users",
    by: str | Sequence[str] | None = None,
    exclude: Sequence[Any] | None = None,
    hold_constant: str | None = None,
    open_funnel: bool = False,
) -> pd.DataFrame:
    """How many users (sessions, attempts) reach each step of a funnel.

    Parameters
    ----------
    events
        The event log (an ``EventLog`` or a DataFrame in the canonical schema). Filter it to
        the period first (``journeylib.periods.filter_period``).
    steps
        Each step is an event name (``"purchase"``), a list of alternatives
        (``["view_cart", "begin_checkout"]``), an event with property conditions
        (``("page_view", {"page_type": "reviews"})``) or a :class:`~journeylib.steps.Step`.
    order
        ``"ordered"`` (default): steps in this order, other events may come between.
        ``"strict"``: each step is the user's very next event after the previous step, in
        (event_time, row_id) order (every event counts as "other", off-site ones too).
        ``"any"``: the first step-1 event starts the attempt, the other steps happen at least
        once after it, in any order (one event may satisfy several steps); a step is reached
        when all steps up to it are done, at the latest of their times.
        In ordered mode a step's event counts when its time is at or after the time the
        previous step was matched (ties count as in order; one event never fills two steps),
        and the earliest qualifying event (by time, then row) is matched: a greedy match.
    window
        Conversion window from the attempt's first step-1 event (Mixpanel's convention: the
        user's first step-1 event in the period starts the only attempt); an event exactly at
        the window's end still counts. ``None``: no limit. Any pandas Timedelta string
        (``"7D"``, ``"30min"``).
    step_windows
        One window per step after the first (``len(steps) - 1`` values, ``None`` = no limit),
        each measured from the previous step's matched event (GA4's "within"); not with
        ``order="any"``.
    count
        ``"users"`` (distinct users; one attempt each), ``"sessions"`` (the funnel must be
        completed inside one session; each session's first step-1 event starts its attempt;
        events without a session are ignored), ``"totals"`` (every step-1 event starts its own
        attempt; attempts are independent, so one later event may complete several).
    by
        Segment column(s) of the log (``channel``, ``device``, ``variant``...) taken from
        the step-1 event, or ``"first_channel"``, ``"first_device"``, ``"cohort"`` (month of
        the user's first event), derived per user. One funnel per segment, and a chi-square
        test per step of whether segments convert differently from the previous step.
    exclude
        Exclusions ``(step, after, before)``: an attempt with such an event strictly between
        the matched events of steps ``after`` and ``before`` (1-based) stops before step
        ``before``. ``step`` is written like a funnel step.
    hold_constant
        A column that must keep the step-1 event's value on every later step (e.g.
        ``"device"``); nulls never match.
    open_funnel
        GA4's open funnel: an attempt may also start at any later step (its first event of
        that step), and continues in order from there; a unit counts at a step when any of
        its entries reaches it, so counts may rise along the funnel. Times are the shortest
        over entries.

    Returns
    -------
    DataFrame, one row per segment and step: the ``by`` columns, ``step_index`` (1-based),
    ``step`` (label), ``count``, ``conversion`` (count / step-1 count), ``step_conversion``
    (count / previous step's count), ``drop_off`` (previous count - count),
    ``median_time_from_previous`` and ``median_time_from_start`` (Timedelta, over units that
    reached the step), and with ``by``: ``chi2`` and ``p_value`` (segments x reached / not
    among those at the previous step; NaN at step 1).
    """
    log = as_eventlog(events)
    spec = _spec(
        log,
        steps,
        order,
        window,
        step_windows,
        count,
        by,
        exclude,
        hold_constant,
        open_funnel,
    )
    reached = _reached(log, spec)
    frame = _summarise(reached, spec)
    return _finish(frame, spec)


def funnel_times(
    events: EventLog | pd.DataFrame, steps: Sequence[StepSpec], **options: Any
) -> pd.DataFrame:
    """Each attempt's progress and time to convert (same options as :func:`funnel`).

    Returns
    -------
    DataFrame, one row per attempt (per user with ``count="users"``): ``user_id``, the ``by``
    columns, ``started_at`` (the step-1 event's time), ``steps_reached`` (how many
    steps were done, 1 to K), ``converted`` (reached the last step) and ``time_to_convert``
    (Timedelta
    from step 1 to the last step; NaT when not converted). Not for open funnels.
    """
    log = as_eventlog(events)
    if options.get("open_funnel"):
        raise ValueError("funnel_times does not support open funnels")
    spec = _spec(log, steps, **_defaults(options))
    r = _reached(log, spec)
    k = len(spec.steps)
    done = sum(r[f"T{i}"].notnull().cast("int64") for i in range(1, k + 1))
    users = log.table.select(ROW_ID, "user_id")
    out = r.join(users, r.a_id == users[ROW_ID]).select(
        "user_id",
        *spec.by,
        started_at=r.T1,
        steps_reached=done,
        converted=r[f"T{k}"].notnull(),
        _us=r[f"T{k}"].delta(r.T1, unit="microsecond"),
    )
    df = out.order_by(["user_id", "started_at"]).to_pandas()
    df["time_to_convert"] = pd.to_timedelta(df.pop("_us"), unit="us")
    df["started_at"] = pd.to_datetime(df.started_at, utc=True)
    return df


def _defaults(options: Mapping[str, Any]) -> dict[str, Any]:
    base = dict.fromkeys(("window", "step_windows", "by", "exclude", "hold_constant"))
    base |= {"order": "ordered", "count": "users", "open_funnel": False}
    unknown = set(options) - set(base)
    if unknown:
        raise TypeError(f"unknown funnel options {sorted(unknown)}")
    return base | dict(options)


# --------------------------------------------------------------------------- specification


def _us(value: Window) -> int | None:
    if value is None:
        return None
    us = int(pd.Timedelta(value).total_seconds() * 1_000_000)
    if us < 0:
        raise ValueError(f"a window cannot be negative, got {value!r}")
    return us


def _spec(
    log,
    steps,
    order,
    window,
    step_windows,
    count,
    by,
    exclude,
    hold_constant,
    open_funnel,
) -> _Spec:
    parsed = as_steps(steps)
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if count not in COUNTS:
        raise ValueError(f"count must be one of {COUNTS}, got {count!r}")
    if count == "sessions" and not log.has("session_id"):
        raise ValueError("count='sessions' needs a session_id column: run sessionize first")
    sw = [None] * (len(parsed) - 1) if step_windows is None else list(step_windows)
    if len(sw) != len(parsed) - 1:
        raise ValueError(f"step_windows needs {len(parsed) - 1} values, one per step after 1")
    if order == "any" and any(w is not None for w in sw):
        raise ValueError("step_windows measure from the previous step: not with order='any'")
    by_cols = [by] if isinstance(by, str) else list(by or [])
    for col in [*by_cols, *([hold_constant] if hold_constant else [])]:
        if col not in log.table.columns and col not in _DERIVED:
            raise ValueError(f"the log has no column {col!r}")
    return _Spec(
        parsed,
        order,
        _us(window),
        [_us(w) for w in sw],
        count,
        by_cols,
        [_exclusion(x, len(parsed)) for x in exclude or []],
        hold_constant,
        bool(open_funnel),
    )


def _exclusion(x: Any, n_steps: int) -> Exclusion:
    if isinstance(x, Exclusion):
        ex = x
    else:
        step, after, before = x
        ex = Exclusion(as_step(step), int(after), int(before))
    if not 1 <= ex.after < ex.before <= n_steps:
        raise ValueError(
            f"exclusion between steps {ex.after} and {ex.before}: need "
            f"1 <= after < before <= {n_steps}"
        )
    return ex


# --------------------------------------------------------------------------- matching

_DERIVED = ("first_channel", "first_device", "cohort")


def _with_derived(t: ir.Table, cols: Sequence[str]) -> ir.Table:
    """Add per-user ``first_channel``/``first_device`` (first non-null) and ``cohort``."""
    wanted = [c for c in cols if c in _DERIVED and c not in t.columns]
    if not wanted:
        return t
    order = [t.event_time, t[ROW_ID]]
    aggs = {}
    for c in wanted:
        if c == "cohort":
            aggs[c] = t.event_time.min().strftime("%Y-%m")
        else:
            aggs[c] = t[c.removeprefix("first_")].first(order_by=order, include_null=False)
    per_user = t.group_by(USER_KEY).aggregate(**aggs)
    return t.join(per_user, USER_KEY)


def _narrow(log: EventLog, spec: _Spec) -> ir.Table:
    """Only the columns matching needs, one flag per step/exclusion, only flagged rows."""
    t = _with_derived(log.table, spec.by)
    keep = [USER_KEY, "event_time", ROW_ID, *spec.by]
    if spec.count == "sessions":
        keep.append("session_id")
    if spec.hold and spec.hold not in keep:
        keep.append(spec.hold)
    flags = {f"s{i}": s.matches(t) for i, s in enumerate(spec.steps, 1)}
    flags |= {f"x{i}": x.step.matches(t) for i, x in enumerate(spec.exclude, 1)}
    n = t.select(*dict.fromkeys(keep), **flags)
    if spec.order == "strict":
        w = ibis.window(group_by=n[USER_KEY], order_by=[n.event_time, n[ROW_ID]])
        n = n.mutate(pos=ibis.row_number().over(w))
    if spec.count == "sessions":
        n = n.filter(n.session_id.notnull())
    any_flag = ibis.or_(*[n[f] for f in flags])
    return n.filter(any_flag)


def _unit_keys(spec: _Spec) -> list[str]:
    return [USER_KEY, "session_id"] if spec.count == "sessions" else [USER_KEY]


def _entries(n: ir.Table, spec: _Spec, s: int) -> ir.Table:
    """Attempts starting at step ``s``: one per unit (its earliest step-``s`` event) or, for
    ``count="totals"``, one per step-``s`` event. Columns: unit keys, ``a_id`` (the anchor's
    row_id), ``A`` (its time), the ``by`` columns, ``H`` (held value), ``T{s}``, ``R{s}``,
    ``P{s}``."""
    c = n.filter(n[f"s{s}"])
    carry = [
        *spec.by,
        *([spec.hold] if spec.hold else []),
        *(["pos"] if spec.order == "strict" else []),
    ]
    carry = list(dict.fromkeys(carry))
    keys = _unit_keys(spec)
    if spec.count != "totals":
        order = [c.event_time, c[ROW_ID]]
        c = c.group_by(keys).aggregate(
            event_time=c.event_time.min(),
            **{ROW_ID: c[ROW_ID].first(order_by=order)},
            **{col: c[col].first(order_by=order) for col in carry},
        )
    cols = {k: c[k] for k in keys}
    cols |= {col: c[col] for col in spec.by}
    cols |= {
        "a_id": c[ROW_ID],
        "A": c.event_time,
        f"T{s}": c.event_time,
        f"R{s}": c[ROW_ID],
    }
    if spec.hold:
        cols["H"] = c[spec.hold]
    if spec.order == "strict":
        cols[f"P{s}"] = c.pos
    return c.select(**cols)


def _candidates(n: ir.Table, spec: _Spec, k: int) -> ir.Table:
    c = n.filter(n[f"s{k}"])
    cols = {"cu": c[USER_KEY], "ct": c.event_time, "cr": c[ROW_ID]}
    if spec.count == "sessions":
        cols["cs"] = c.session_id
    if spec.hold:
        cols["ch"] = c[spec.hold]
    if spec.order == "strict":
        cols["cp"] = c.pos
    return c.select(**cols)


def _step(state: ir.Table, n: ir.Table, spec: _Spec, s: int, k: int) -> ir.Table:
    """Match step ``k`` for every live attempt of ``state`` (entered at step ``s``)."""
    prev = s if spec.order == "any" else k - 1
    live = state.filter(state[f"T{prev}"].notnull())
    c = _candidates(n, spec, k)
    on = [live[USER_KEY] == c.cu]
    if spec.count == "sessions":
        on.append(live.session_id == c.cs)
    if spec.order == "strict":
        on.append(c.cp == live[f"P{k - 1}"] + 1)
    on.append(c.ct >= live[f"T{prev}"])
    if spec.order == "ordered":
        on += [
            c.cr != live[f"R{j}"]
            for j in range(s, k)
            if spec.steps[j - 1].may_overlap(spec.steps[k - 1])
        ]
    if spec.window_us is not None:
        on.append(c.ct <= live.A + ibis.interval(spec.window_us, unit="us"))
    w = spec.step_windows_us[k - 2] if k >= 2 else None
    if w is not None:
        on.append(c.ct <= live[f"T{k - 1}"] + ibis.interval(w, unit="us"))
    if spec.hold:
        on.append(c.ch == live.H)
    j = live.join(c, on)
    order = [j.ct, j.cr]
    aggs = {f"T{k}": j.ct.min(), f"R{k}": j.cr.first(order_by=order)}
    if spec.order == "strict":
        aggs[f"P{k}"] = j.cp.first(order_by=order)
    found = j.group_by(a_id=j.a_id).aggregate(**aggs).rename(_a="a_id")
    out = state.left_join(found, state.a_id == found._a)
    return out.drop("_a")


def _attempts(n: ir.Table, spec: _Spec, s: int) -> ir.Table:
    """Attempts entering at step ``s`` with ``T{k}`` = time step ``k`` was reached (null: not
    reached), for k >= s."""
    state = _entries(n, spec, s)
    for k in range(s + 1, len(spec.steps) + 1):
        state = _step(state, n, spec, s, k)
    if spec.order == "any":
        state = _completion(state, s, len(spec.steps))
    return _apply_exclusions(state, n, spec, s)


def _completion(state: ir.Table, s: int, k_max: int) -> ir.Table:
    """Any order: step k is reached when steps s..k are all done, at the latest time."""
    done = {}
    prev = state[f"T{s}"]
    for k in range(s + 1, k_max + 1):
        t = state[f"T{k}"]
        prev = ibis.ifelse(prev.notnull() & t.notnull(), ibis.greatest(prev, t), ibis.null())
        done[f"T{k}"] = prev
    return state.mutate(**done)


def _apply_exclusions(state: ir.Table, n: ir.Table, spec: _Spec, s: int) -> ir.Table:
    for i, ex in enumerate(spec.exclude, 1):
        if ex.after < s:
            continue
        x = n.filter(n[f"x{i}"])
        x = x.select(
            xu=x[USER_KEY],
            xt=x.event_time,
            **({"xs": x.session_id} if spec.count == "sessions" else {}),
        )
        a, b = state[f"T{ex.after}"], state[f"T{ex.before}"]
        live = state.filter(a.notnull() & b.notnull())
        on = [
            live[USER_KEY] == x.xu,
            x.xt > live[f"T{ex.after}"],
            x.xt < live[f"T{ex.before}"],
        ]
        if spec.count == "sessions":
            on.append(live.session_id == x.xs)
        hit = live.join(x, on).select(_hit=live.a_id).distinct()
        state = state.left_join(hit, state.a_id == hit._hit)
        cut = state._hit.notnull()
        state = state.mutate(
            **{
                f"T{k}": ibis.ifelse(cut, ibis.null(), state[f"T{k}"])
                for k in range(ex.before, len(spec.steps) + 1)
            }
        ).drop("_hit")
    return state


def _reached(log: EventLog, spec: _Spec) -> ir.Table:
    """Per attempt (per unit for open funnels): ``T1..TK`` reached times, ``D{k}``
    microseconds from the start and ``Q{k}`` from the previous step."""
    n = _narrow(log, spec)
    k_max = len(spec.steps)
    if not spec.open_funnel:
        a = _attempts(n, spec, 1)
        return a.mutate(**_durations(a, k_max, 1))
    parts = []
    for s in range(1, k_max + 1):
        a = _attempts(n, spec, s)
        nulls = {f"T{k}": ibis.null().cast(a[f"T{s}"].type()) for k in range(1, s)}
        a = a.mutate(**nulls)
        a = a.mutate(**_durations(a, k_max, s))
        keep = [*_unit_keys(spec), "a_id", *spec.by]
        keep += [f"{p}{k}" for k in range(1, k_max + 1) for p in "TDQ"]
        parts.append(a.select(*dict.fromkeys(keep)))
    u = ibis.union(*parts)
    group = ["a_id"] if spec.count == "totals" else _unit_keys(spec)
    aggs = {f"{p}{k}": u[f"{p}{k}"].min() for k in range(1, k_max + 1) for p in "TDQ"}
    return u.group_by([*group, *spec.by]).aggregate(**aggs)


def _durations(a: ir.Table, k_max: int, s: int) -> dict[str, ir.Value]:
    out = {}
    for k in range(1, k_max + 1):
        t = a[f"T{k}"]
        out[f"D{k}"] = t.delta(a.A, unit="microsecond") if k >= s else ibis.null("int64")
        prev = a[f"T{k - 1}"] if k > s else None
        out[f"Q{k}"] = t.delta(prev, unit="microsecond") if prev is not None else ibis.null("int64")
    return out


# --------------------------------------------------------------------------- summary


def _summarise(reached: ir.Table, spec: _Spec) -> pd.DataFrame:
    aggs = {}
    for k in range(1, len(spec.steps) + 1):
        t = reached[f"T{k}"]
        aggs[f"count_{k}"] = t.notnull().sum()
        aggs[f"start_{k}"] = reached[f"D{k}"].median()
        aggs[f"prev_{k}"] = reached[f"Q{k}"].median()
    if spec.by:
        g = reached.group_by([reached[c] for c in spec.by]).aggregate(**aggs)
        wide = g.order_by(spec.by).to_pandas()
    else:
        wide = reached.aggregate(**aggs).to_pandas()
    long = []
    for k, step in enumerate(spec.steps, 1):
        part = wide[spec.by].copy()
        part["step_index"] = k
        part["step"] = step.name
        part["count"] = wide[f"count_{k}"].fillna(0).astype("int64")
        part["median_time_from_previous"] = pd.to_timedelta(wide[f"prev_{k}"], unit="us")
        part["median_time_from_start"] = pd.to_timedelta(wide[f"start_{k}"], unit="us")
        long.append(part)
    return pd.concat(long, ignore_index=True)


def _finish(frame: pd.DataFrame, spec: _Spec) -> pd.DataFrame:
    by = spec.by
    keys = frame[by].astype("string").fillna("(none)") if by else None
    if by:
        frame[by] = keys
    groups = frame.groupby(by, sort=False, dropna=False) if by else None
    first = groups["count"].transform("first") if by else frame["count"].iloc[0]
    prev = groups["count"].shift(1) if by else frame["count"].shift(1)
    frame["conversion"] = frame["count"] / first
    frame["step_conversion"] = frame["count"] / prev
    frame["drop_off"] = prev - frame["count"]
    frame.loc[frame.step_index == 1, ["step_conversion", "drop_off"]] = np.nan
    cols = [
        *by,
        "step_index",
        "step",
        "count",
        "conversion",
        "step_conversion",
        "drop_off",
        "median_time_from_previous",
        "median_time_from_start",
    ]
    frame = frame[cols].sort_values([*by, "step_index"], ignore_index=True)
    if by:
        frame = frame.merge(_chi2(frame, by), on="step_index", how="left")
    return frame


def _chi2(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per step >= 2: chi-square test of segments x (reached, lost) among those at the
    previous step."""
    rows = []
    for k, part in frame[frame.step_index > 1].groupby("step_index"):
        lost = part.drop_off.clip(lower=0).to_numpy()
        table = np.column_stack([part["count"].to_numpy(), lost])
        table = table[table.sum(axis=1) > 0]
        ok = len(table) > 1 and (table.sum(axis=0) > 0).all()
        chi2, p = stats.chi2_contingency(table)[:2] if ok else (np.nan, np.nan)
        rows.append({"step_index": k, "chi2": float(chi2), "p_value": float(p)})
    return pd.DataFrame(rows, columns=["step_index", "chi2", "p_value"])
