"""The funnel engine: match steps to events as ibis expressions (one join and one aggregate per
step, as-of style) and give each attempt the time it reached every step.

Private machinery behind :func:`journeylib.funnel` and the drop-off analyses; see
:func:`journeylib.funnel` for the conventions.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from ..engine.backend import backend_of
from ..engine.eventlog import EventLog
from ..engine.ordered import epoch_us, first_in_order
from ..engine.schema import ROW_ID, USER_KEY
from .derived import with_derived
from .spec import FunnelSpec
from .steps import Step

#: Internal columns of the narrowed log: the time (a timestamp, or integer microseconds with
#: ``epoch=True``), the event's code (its index among the names the funnel uses), for
#: ``order="strict"`` its position among all the user's events; and the name column of the
#: code table. Prefixed so that they cannot meet a column of the log.
T, CODE, POS, NAME = "_funnel_t", "_funnel_code", "_funnel_pos", "_funnel_event"


def _codes(spec: FunnelSpec) -> dict[str, int]:
    """Event name -> small integer, for every name a step or exclusion uses."""
    steps = [*spec.steps, *(x.step for x in spec.exclude)]
    return {name: i for i, name in enumerate(sorted({n for s in steps for n in s.events}))}


def _match(n: ir.Table, step: Step, spec: FunnelSpec) -> ir.BooleanValue:
    """``step``'s condition on the narrowed log: integer codes, not string comparisons."""
    codes = _codes(spec)
    ks = [codes[name] for name in step.events]
    cond = n[CODE] == ks[0] if len(ks) == 1 else n[CODE].isin(ks)
    where = step.where_matches(n)
    return cond if where is None else cond & where


def narrow_log(log: EventLog, spec: FunnelSpec, *, epoch: bool = False) -> ir.Table:
    """One pass over the log: only rows with an event name some step or exclusion uses, only
    the columns matching needs (the step conditions' among them), the event name turned into
    an integer code (``CODE``) and the time into ``T`` (integer microseconds with ``epoch``,
    else the timestamp)."""
    t = with_derived(log.table, spec.by)
    steps = [*spec.steps, *(x.step for x in spec.exclude)]
    for s in steps:
        s.check(t.columns)  # a missing property column fails here, naming the step
    if spec.order == "strict":
        # every event counts as "other": number them all before keeping the step events
        w = ibis.window(group_by=t[USER_KEY], order_by=[t.event_time, t[ROW_ID]])
        t = t.mutate(**{POS: ibis.row_number().over(w)})
    codes = _codes(spec)
    if backend_of(t.event) == "duckdb":
        # an inner join with the (name, code) table keeps the funnel's events and codes them
        # in one hash lookup per row: cheaper than IN plus CASE on every row
        table = _code_table(tuple(codes.items()))
        t = t.join(table, t.event == table[NAME])
        code = t[CODE]
    else:
        # elsewhere IN plus CASE: an in-memory table is a temporary view on Spark, which can
        # be gone before a cached expression built on it runs again
        t = t.filter(t.event.isin(list(codes)))
        code = t.event.cases(*codes.items())
    cols = {
        USER_KEY: t[USER_KEY],
        T: epoch_us(t.event_time) if epoch else t.event_time,
        ROW_ID: t[ROW_ID],
        CODE: code,
    }
    extra = [*spec.by, *(col for s in steps for col in s.where)]
    extra += ["session_id"] if spec.count == "sessions" else []
    extra += [spec.hold] if spec.hold else []
    cols |= {col: t[col] for col in extra}
    if spec.order == "strict":
        cols[POS] = t[POS]
    n = t.select(**cols)
    return n.filter(n.session_id.notnull()) if spec.count == "sessions" else n


def _code_table(codes: tuple[tuple[str, int], ...]) -> ir.Table:
    """The small (``NAME``, ``CODE``) table of event names and their codes.

    A new in-memory table per call: one shared across calls outlives the temporary view a
    backend registered it as (Spark then fails with ``TABLE_OR_VIEW_NOT_FOUND``)."""
    names, values = zip(*codes, strict=True)
    return ibis.memtable({NAME: list(names), CODE: list(values)})


def _plus(time: ir.Value, us: int) -> ir.Value:
    """``time`` plus ``us`` microseconds (integer times or timestamps)."""
    if time.type().is_integer():
        return time + us
    return time + ibis.interval(us, unit="us")


def _minus(a: ir.Value, b: ir.Value) -> ir.IntegerValue:
    """``a - b`` in microseconds (integer times or timestamps)."""
    if a.type().is_integer():
        return a - b
    return a.delta(b, unit="microsecond")


def _unit_keys(spec: FunnelSpec) -> list[str]:
    return [USER_KEY, "session_id"] if spec.count == "sessions" else [USER_KEY]


def _entries(
    n: ir.Table, spec: FunnelSpec, s: int, need_r: set[int], rows: bool, *, ids: bool = True
) -> ir.Table:
    """Attempts starting at step ``s``: one per unit (its earliest step-``s`` event) or, for
    ``count="totals"``, one per step-``s`` event. Columns: unit keys, ``a_id`` (the attempt's
    id: the anchor's row_id with ``rows`` or ``count="totals"``, else the user key or, per
    session, any row_id of the session; left out when not ``ids`` and the unit keys identify
    the attempt), ``A`` (the anchor's time), the ``by`` columns, ``H`` (held value), ``T{s}``,
    ``R{s}`` (when in ``need_r``), ``P{s}``."""
    c = n.filter(_match(n, spec.steps[s - 1], spec))
    keys = _unit_keys(spec)
    if spec.count != "totals":
        # the anchor's row_id and values need an ordered aggregate: only where asked for
        order = [c[T], c[ROW_ID]]
        carry = dict.fromkeys([*spec.by, *([spec.hold] if spec.hold else [])])
        aggs = {T: c[T].min()}
        if rows or s in need_r:
            aggs[ROW_ID] = first_in_order(c[ROW_ID], order)
        elif spec.count == "sessions" and ids:
            aggs[ROW_ID] = c[ROW_ID].min()  # a one-column id for the session
        aggs |= {col: first_in_order(c[col], order) for col in carry}
        if spec.order == "strict":
            aggs[POS] = c[POS].min()  # positions follow (event_time, row_id)
        c = c.group_by(keys).aggregate(**aggs)
    a_id = c[USER_KEY] if ROW_ID not in c.columns else c[ROW_ID]
    cols = {k: c[k] for k in keys}
    cols |= {col: c[col] for col in spec.by}
    if ids or spec.count == "totals":
        cols["a_id"] = a_id
    cols |= {"A": c[T], f"T{s}": c[T]}
    if s in need_r:
        cols[f"R{s}"] = c[ROW_ID]
    if spec.hold:
        cols["H"] = c[spec.hold]
    if spec.order == "strict":
        cols[f"P{s}"] = c[POS]
    return c.select(**cols)


def _candidates(n: ir.Table, spec: FunnelSpec, k: int, with_row: bool) -> ir.Table:
    c = n.filter(_match(n, spec.steps[k - 1], spec))
    cols = {"cu": c[USER_KEY], "ct": c[T]}
    if with_row:
        cols["cr"] = c[ROW_ID]
    if spec.count == "sessions":
        cols["cs"] = c.session_id
    if spec.hold:
        cols["ch"] = c[spec.hold]
    if spec.order == "strict":
        cols["cp"] = c[POS]
    return c.select(**cols)


def _row_steps(spec: FunnelSpec, s: int, rows: bool) -> set[int]:
    """Steps whose matched ``row_id`` (``R{k}``) is needed: all with ``rows``, else (ordered
    mode) those a later step could reuse an event of."""
    k_max = len(spec.steps)
    if rows:
        return set(range(s, k_max + 1))
    if spec.order != "ordered":
        return set()
    steps = spec.steps
    return {
        j
        for j in range(s, k_max + 1)
        if any(steps[j - 1].may_overlap(steps[k - 1]) for k in range(j + 1, k_max + 1))
    }


def _carried(spec: FunnelSpec, need_r: set[int], k: int) -> list[str]:
    """Columns a live attempt carries into the match of step ``k`` and later."""
    cols = ["a_id", *_unit_keys(spec)]
    if spec.window_us is not None:
        cols.append("A")
    if spec.hold:
        cols.append("H")
    cols += [f"R{j}" for j in sorted(need_r) if j < k]
    return cols


def _step(
    live: ir.Table,
    n: ir.Table,
    spec: FunnelSpec,
    s: int,
    k: int,
    need_r: set[int],
    keep: Sequence[str] = (),
) -> ir.Table:
    """Match step ``k`` for the attempts of ``live`` (entered at step ``s``): one row per
    attempt that reaches it, with the carried columns (and those of ``keep``), ``T{k}`` and,
    when needed, ``R{k}`` and ``P{k}``. ``live`` holds only attempts that reached the step
    matched from (the previous step; step ``s`` for ``order="any"``), so each step joins a
    shrinking table."""
    prev = s if spec.order == "any" else k - 1
    overlaps = [
        j
        for j in range(s, k)
        if spec.order == "ordered" and spec.steps[j - 1].may_overlap(spec.steps[k - 1])
    ]
    c = _candidates(n, spec, k, bool(overlaps) or k in need_r)
    on = [live[USER_KEY] == c.cu]
    if spec.count == "sessions":
        on.append(live.session_id == c.cs)
    if spec.order == "strict":
        on.append(c.cp == live[f"P{k - 1}"] + 1)
    on.append(c.ct >= live[f"T{prev}"])
    on += [c.cr != live[f"R{j}"] for j in overlaps]
    if spec.window_us is not None:
        on.append(c.ct <= _plus(live.A, spec.window_us))
    w = spec.step_windows_us[k - 2] if k >= 2 else None
    if w is not None:
        on.append(c.ct <= _plus(live[f"T{k - 1}"], w))
    if spec.hold:
        on.append(c.ch == live.H)
    j = live.join(c, on)
    carried = [col for col in dict.fromkeys([*_carried(spec, need_r, k), *keep]) if col in live]
    if spec.order == "strict":
        # (user, position) is unique: at most one candidate per attempt, no aggregate
        cols = {col: j[col] for col in carried} | {f"T{k}": j.ct, f"P{k}": j.cp}
        if k in need_r:
            cols[f"R{k}"] = j.cr
        return j.select(**cols)
    aggs = {f"T{k}": j.ct.min()}
    if k in need_r:
        aggs[f"R{k}"] = first_in_order(j.cr, [j.ct, j.cr])
    return j.group_by([j[col] for col in carried]).aggregate(**aggs)


def match_attempts(n: ir.Table, spec: FunnelSpec, s: int, *, rows: bool = True) -> ir.Table:
    """Attempts entering at step ``s`` with ``T{k}`` = time step ``k`` was reached (null: not
    reached), for k >= s, and ``R{k}`` its event's ``row_id`` (only ``R{s}`` unless ``rows``
    or a later step could reuse the event)."""
    need_r = _row_steps(spec, s, rows)
    state = _entries(n, spec, s, need_r, rows)
    # the filter keeps the semantics of "live" and makes the entries one shared subquery
    live, found = state.filter(state[f"T{s}"].notnull()), []
    for k in range(s + 1, len(spec.steps) + 1):
        f = _step(live, n, spec, s, k, need_r)
        found.append((f, [f"{p}{k}" for p in "TRP" if f"{p}{k}" in f.columns]))
        if spec.order != "any":
            live = f
    if found:
        # one flat chain of left joins back onto the entries, one projection
        joined = state
        for f, _ in found:
            joined = joined.left_join(f, state.a_id == f.a_id)
        state = joined.select(state, *(f[col] for f, cols in found for col in cols))
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


def _apply_exclusions(state: ir.Table, n: ir.Table, spec: FunnelSpec, s: int) -> ir.Table:
    for ex in spec.exclude:
        if ex.after < s:
            continue
        x = n.filter(_match(n, ex.step, spec))
        x = x.select(
            xu=x[USER_KEY],
            xt=x[T],
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


def reached_steps(log: EventLog, spec: FunnelSpec, *, rows: bool = False) -> ir.Table:
    """Per attempt (per unit for open funnels): ``T1..TK`` reached times (integer
    microseconds since 1970), ``D{k}`` microseconds from the start and ``Q{k}`` from the
    previous step (for k >= 2); ``a_id`` is the anchor event's row_id only with ``rows``
    (else just an attempt id)."""
    n = narrow_log(log, spec, epoch=True)
    k_max = len(spec.steps)
    if not spec.open_funnel:
        a = match_attempts(n, spec, 1, rows=rows)
        return a.mutate(**_durations(a, k_max, 1))
    parts = []
    for s in range(1, k_max + 1):
        a = match_attempts(n, spec, s, rows=rows)
        nulls = {f"T{k}": ibis.null("int64") for k in range(1, s)}
        a = a.mutate(**nulls)
        a = a.mutate(**_durations(a, k_max, s))
        keep = [*_unit_keys(spec), "a_id", *spec.by]
        keep += [f"T{k}" for k in range(1, k_max + 1)]
        keep += [f"{p}{k}" for k in range(2, k_max + 1) for p in "DQ"]
        parts.append(a.select(*dict.fromkeys(keep)))
    u = ibis.union(*parts)
    group = ["a_id"] if spec.count == "totals" else _unit_keys(spec)
    aggs = {f"T{k}": u[f"T{k}"].min() for k in range(1, k_max + 1)}
    aggs |= {f"{p}{k}": u[f"{p}{k}"].min() for k in range(2, k_max + 1) for p in "DQ"}
    return u.group_by([*group, *spec.by]).aggregate(**aggs)


def reach_rows(log: EventLog, spec: FunnelSpec) -> ir.Table:
    """One row per attempt and step it reached (per unit and step for open funnels): the
    ``by`` columns, ``k`` (1-based step), ``D`` and ``Q`` (microseconds from the start and
    from the previous step; ``Q`` is NULL at the entry step). What :func:`journeylib.funnel`
    summarises."""
    n = narrow_log(log, spec, epoch=True)
    group = ["a_id"] if spec.count == "totals" else _unit_keys(spec)
    keep = [*(group if spec.open_funnel else []), *spec.by]
    parts = [_rows_from(n, spec, s, keep) for s in _entry_steps(spec)]
    u = ibis.union(*parts) if len(parts) > 1 else parts[0]
    if not spec.open_funnel:
        return u
    return u.group_by([*keep, "k"]).aggregate(D=u.D.min(), Q=u.Q.min()).drop(*group)


def _entry_steps(spec: FunnelSpec) -> range:
    return range(1, len(spec.steps) + 1) if spec.open_funnel else range(1, 2)


def _rows_from(n: ir.Table, spec: FunnelSpec, s: int, keep: list[str]) -> ir.Table:
    """:func:`reach_rows` for the attempts entering at step ``s``. Ordered and strict
    funnels without exclusions take each step's rows straight from its match (the match
    carries the start and the previous step's time); the others unpivot the per-attempt
    table of :func:`match_attempts`."""
    k_max = len(spec.steps)
    zero, null = ibis.literal(0, "int64"), ibis.null("int64")
    if spec.order == "any" or any(x.after >= s for x in spec.exclude):
        a = match_attempts(n, spec, s, rows=False)
        a = a.mutate(**_durations(a, k_max, s))
        return ibis.union(
            *(
                a.filter(a[f"T{k}"].notnull()).select(
                    *keep,
                    k=ibis.literal(k, "int64"),
                    D=zero if k == s else a[f"D{k}"],
                    Q=null if k == s else a[f"Q{k}"],
                )
                for k in range(s, k_max + 1)
            )
        )
    need_r = _row_steps(spec, s, rows=False)
    # the unit keys identify an attempt (except for totals): no separate id to carry
    live = _entries(n, spec, s, need_r, rows=False, ids=False)
    parts = [live.select(*keep, k=ibis.literal(s, "int64"), D=zero, Q=null)]
    for k in range(s + 1, k_max + 1):
        live = _step(live, n, spec, s, k, need_r, keep=[*keep, "A", f"T{k - 1}"])
        t = live[f"T{k}"]
        parts.append(
            live.select(*keep, k=ibis.literal(k, "int64"), D=t - live.A, Q=t - live[f"T{k - 1}"])
        )
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def _durations(a: ir.Table, k_max: int, s: int) -> dict[str, ir.Value]:
    """``D{k}`` (from the attempt's start) and ``Q{k}`` (from the previous step), in
    microseconds, for k >= 2; NULL where the step is before the entry ``s``."""
    out = {}
    for k in range(2, k_max + 1):
        t = a[f"T{k}"] if k >= s else None
        out[f"D{k}"] = _minus(t, a.A) if k >= s else ibis.null("int64")
        out[f"Q{k}"] = _minus(t, a[f"T{k - 1}"]) if k > s else ibis.null("int64")
    return out
