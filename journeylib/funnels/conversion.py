"""Funnels: how many get from step to step, who drops where, and how long it takes.

Conventions follow the product-analytics tools analysts know (Mixpanel, Amplitude, GA4
funnel explorations); every choice is spelled out in :func:`funnel`'s docstring. The matching
runs as ibis expressions (one join and one aggregate per step, "as-of" style): no Python loop
over users, and only the small result comes back as pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats

from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog
from ..engine.schema import ROW_ID, USER_KEY
from .match import reach_rows, reached_steps
from .spec import FunnelSpec, Window, funnel_defaults, funnel_spec
from .step_names import warn_unknown_steps
from .steps import StepSpec


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
        the period first (``journeylib.engine.periods.filter_period``).
    steps
        Each step is an event name (``"purchase"``), a list of alternatives
        (``["view_cart", "begin_checkout"]``), an event with property conditions
        (``("page_view", {"page_type": "reviews"})``) or a :class:`~journeylib.funnels.steps.Step`.
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
        the window's end still counts. ``None``: no limit. A pandas Timedelta string with a
        unit (``"7D"``, ``"30min"``); a bare number (``"3"``) raises a ``ValueError``.
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

    A step none of whose event names is in the log gives a ``UserWarning`` naming the step
    and the log's event names spelt closest to it (a misspelt step would count 0).

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
    spec = funnel_spec(
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
    warn_unknown_steps(log, spec.steps)
    frame = _summarise(reach_rows(log, spec), spec)
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
    spec = funnel_spec(log, steps, **funnel_defaults(options))
    warn_unknown_steps(log, spec.steps)
    r = reached_steps(log, spec, rows=True)
    k = len(spec.steps)
    done = sum(r[f"T{i}"].notnull().cast("int64") for i in range(1, k + 1))
    anchors = log.table.select(ROW_ID, "user_id", "event_time")
    out = r.join(anchors, r.a_id == anchors[ROW_ID]).select(
        "user_id",
        *spec.by,
        started_at=anchors.event_time,
        steps_reached=done,
        converted=r[f"T{k}"].notnull(),
        _us=r[f"T{k}"] - r.T1,
    )
    df = out.order_by(["user_id", "started_at"]).to_pandas()
    df["time_to_convert"] = pd.to_timedelta(df.pop("_us"), unit="us")
    df["started_at"] = pd.to_datetime(df.started_at, utc=True)
    return df


def attempt_table(
    events: EventLog | pd.DataFrame,
    steps: Sequence[StepSpec],
    *,
    rows: bool = False,
    **options: Any,
) -> ir.Table:
    """Every attempt with the time it reached each step, as one ibis expression (not run).

    The building block of analyses that need the attempts themselves rather than their
    counts (correlation with finishing, paths of drop-outs, trends by entry period). Same
    options as :func:`funnel`, except ``open_funnel``.

    Returns
    -------
    ibis Table, one row per attempt: ``user_key`` (and ``session_id`` with
    ``count="sessions"``), the ``by`` columns (their values on the step-1 event),
    ``T1`` .. ``TK`` (integer microseconds since 1970 when the step was reached, NULL when
    not) and, with ``rows``, ``R1`` .. ``RK`` (the ``row_id`` of each matched event).
    """
    log = as_eventlog(events)
    if options.get("open_funnel"):
        raise ValueError("attempt_table does not support open funnels")
    spec = funnel_spec(log, steps, **funnel_defaults(options))
    r = reached_steps(log, spec, rows=rows)
    k = len(spec.steps)
    keys = [USER_KEY, *(["session_id"] if spec.count == "sessions" else [])]
    cols = [*keys, *spec.by, *(f"T{i}" for i in range(1, k + 1))]
    cols += [f"R{i}" for i in range(1, k + 1)] if rows else []
    return r.select(*dict.fromkeys(cols))


# --------------------------------------------------------------------------- summary


def _summary_query(rows: ir.Table, spec: FunnelSpec) -> ir.Table:
    """The one query behind :func:`funnel`, from :func:`reach_rows`: a row per segment and
    step ``k`` with ``count``, ``start`` and ``prev`` (median microseconds from the start
    and from the previous step)."""
    keys = [*(rows[c] for c in spec.by), rows.k]
    return rows.group_by(keys).aggregate(
        count=rows.k.count(), start=rows.D.median(), prev=rows.Q.median()
    )


def _summarise(rows: ir.Table, spec: FunnelSpec) -> pd.DataFrame:
    """Run the summary query, then build the long frame with numpy (segments x steps)."""
    long = _summary_query(rows, spec).to_pandas()
    k_max = len(spec.steps)
    if spec.by:
        groups = long.groupby(spec.by, sort=True, dropna=False)
        segment, n = groups.ngroup().to_numpy(), groups.ngroups
        keys = groups.size().reset_index()[spec.by]
    else:
        segment, n, keys = np.zeros(len(long), dtype="int64"), 1, None
    at = (segment, long.k.to_numpy(dtype="int64") - 1)
    counts = np.zeros((n, k_max), dtype="int64")
    counts[at] = long["count"].to_numpy(dtype="int64")
    start, prev = np.full((n, k_max), np.nan), np.full((n, k_max), np.nan)
    start[at], prev[at] = _floats(long.start), _floats(long.prev)
    # step 1 is the start: no time from a previous step, zero from the start
    start[:, 0] = np.where(counts[:, 0] > 0, 0.0, np.nan)
    prev[:, 0] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = counts / counts[:, :1]
        step_conversion = np.full(counts.shape, np.nan)
        step_conversion[:, 1:] = counts[:, 1:] / counts[:, :-1]
    drop_off = np.full(counts.shape, np.nan)
    drop_off[:, 1:] = counts[:, :-1] - counts[:, 1:]
    frame = pd.DataFrame({c: np.repeat(keys[c].to_numpy(), k_max) for c in spec.by})
    frame["step_index"] = np.tile(np.arange(1, k_max + 1), n)
    frame["step"] = np.tile(np.array([s.name for s in spec.steps], dtype=object), n)
    frame["count"] = counts.ravel()
    frame["conversion"] = conversion.ravel()
    frame["step_conversion"] = step_conversion.ravel()
    frame["drop_off"] = drop_off.ravel()
    frame["median_time_from_previous"] = pd.to_timedelta(prev.ravel(), unit="us")
    frame["median_time_from_start"] = pd.to_timedelta(start.ravel(), unit="us")
    return frame


def _floats(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype="float64", na_value=np.nan)


def _finish(frame: pd.DataFrame, spec: FunnelSpec) -> pd.DataFrame:
    """Segment labels as strings (``"(none)"`` for missing), rows in segment then step
    order, and the chi-square columns with ``by``."""
    by = spec.by
    if not by:
        return frame
    frame[by] = frame[by].astype("string").fillna("(none)")
    frame = frame.sort_values([*by, "step_index"], ignore_index=True)
    return frame.merge(_chi2(frame, by), on="step_index", how="left")


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
