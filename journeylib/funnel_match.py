"""The funnel engine: match steps to events as ibis expressions (one join and one aggregate per
step, as-of style) and give each attempt the time it reached every step.

Private machinery behind :func:`journeylib.funnel` and the drop-off analyses; see
:func:`journeylib.funnel` for the conventions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from .eventlog import EventLog
from .ordered import first_in_order
from .schema import ROW_ID, USER_KEY
from .steps import Step


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
            aggs[c] = first_in_order(t[c.removeprefix("first_")], order, include_null=False)
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
            **{ROW_ID: first_in_order(c[ROW_ID], order)},
            **{col: first_in_order(c[col], order) for col in carry},
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
    aggs = {f"T{k}": j.ct.min(), f"R{k}": first_in_order(j.cr, order)}
    if spec.order == "strict":
        aggs[f"P{k}"] = first_in_order(j.cp, order)
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
