"""What reading a source removed and noted: counts per removal reason and per user, the
findings of the cleaning report with examples of the rows, and the users whose rows are kept.

:func:`journeylib.engine.read.events.read_events` flags each row's removal reason
(``_reason``, 0 for kept) and the notes of kept rows; this module counts them in one pass
per user and says where they are (file and line of up to five examples)."""

from __future__ import annotations

import os

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..cleaning import Finding
from ..schema import ROW_ID, USER_KEY
from . import sources
from .coerce import is_placeholder
from .flags import Note

#: The removal checks, in the order a row is assigned to one (a row counts once): check,
#: column, action, and the column whose source value the examples show. A placeholder user
#: id is found on the distinct user ids instead (:func:`per_user_counts`), after these.
REASONS: dict[int, tuple[str, str, str, str | None]] = {
    1: ("missing user id", "user_id", "removed", None),
    2: ("missing event name", "event", "removed", None),
    3: ("missing event time", "event_time", "removed", None),
    4: ("unparseable event time", "event_time", "removed", "_time_source"),
    7: ("event time outside plausible range", "event_time", "removed", "_time_source"),
    5: ("exact duplicate row", "(all)", "removed", None),
    6: ("duplicate purchase", "order_id", "removed", "order_id"),
}

_PLACEHOLDER = ("placeholder user id", "user_id", "removed")


def per_user_counts(t: ir.Table, notes: list[Note], *, placeholders: bool) -> ir.Table:
    """How many rows each ``user_id`` has per removal reason (``_reason``) and noted flags:
    ``_n``, in one pass over the flagged rows (one group per user and reason, nearly
    always one per user; a single count, so the groups stay narrow), and whether the user
    id is a placeholder (``_placeholder``, tested once per user, not once per row; always
    False unless ``placeholders``). Summed, the report's counts (:func:`removal_counts`); its users
    with kept rows, the users :func:`kept_user_keys` numbers, so that reading does not group the
    rows by user a second time."""
    p = t.group_by(["user_id", "_reason", *(n.flag for n in notes)]).aggregate(_n=t.count())
    return p.mutate(_placeholder=is_placeholder(p.user_id) if placeholders else False)


def removal_counts(per_user: ir.Table, notes: list[Note]) -> pd.Series:
    """The report's counts (``rows``, ``kept``, ``r<k>``, ``placeholder`` and each noted flag
    among the kept rows): :func:`per_user_counts` summed. A row of a placeholder user id
    is not kept."""
    p = per_user
    kept = (p._reason == 0) & ~p._placeholder
    sums = {f"r{k}": p._n.sum(where=p._reason == k) for k in REASONS}
    sums |= {n.flag: p._n.sum(where=p[n.flag] & kept) for n in notes}
    sums |= {"placeholder": p._n.sum(where=(p._reason == 0) & p._placeholder)}
    sums |= {"rows": p._n.sum(), "kept": p._n.sum(where=kept)}
    return p.aggregate(**sums).to_pandas().iloc[0].fillna(0).astype(int)


def kept_user_keys(per_user: ir.Table) -> ir.Table:
    """``user_id`` -> ``user_key`` (0, 1, ... in user_id order) for the users with kept rows,
    as :func:`~journeylib.engine.read.events.with_user_key` numbers them."""
    p = per_user
    kept = (p._reason == 0) & p.user_id.notnull() & ~p._placeholder
    users = p.filter(kept).select("user_id").distinct()
    number = ibis.row_number().over(order_by=users.user_id).cast("int64")
    return users.mutate(**{USER_KEY: number})


def removal_findings(
    t: ir.Table, raw: sources.RawSource, counts: pd.Series, notes: list[Note]
) -> list[Finding]:
    findings = []
    for k, (check, column, action, value) in REASONS.items():
        if column in ("event", "order_id") and column not in t.columns:
            continue
        n = int(counts[f"r{k}"])
        examples = _examples(t, t._reason == k, raw, n, value=value)
        findings.append(Finding(check, column, n, action, examples))
        if k == 1:
            findings.append(_placeholder_finding(t, raw, int(counts["placeholder"])))
    kept = t._reason == 0
    if int(counts["placeholder"]) > 0:  # examples of kept rows only (a row-wise test)
        kept = kept & ~is_placeholder(t.user_id)
    for note in notes:
        n = int(counts[note.flag])
        if note.optional and n == 0:
            continue
        ex = _examples(t, t[note.flag] & kept, raw, n, value=note.value)
        findings.append(Finding(note.check, note.column, n, note.action, ex))
    return findings


def _placeholder_finding(t: ir.Table, raw: sources.RawSource, n: int) -> Finding:
    cond = (t._reason == 0) & is_placeholder(t.user_id)
    check, column, action = _PLACEHOLDER
    return Finding(check, column, n, action, _examples(t, cond, raw, n, value="_user_source"))


def _examples(
    t: ir.Table, cond: ir.BooleanValue, raw: sources.RawSource, n: int, *, value: str | None = None
) -> str:
    """Up to five rows where ``cond`` holds, by position; with ``value`` (a column) also the
    source value each row had, e.g. ``"events.csv line 7 ('03/04/2024 10:00')"``."""
    if n == 0:
        return ""
    cols = [ROW_ID, *([value] if value else [])]
    rows = t.filter(cond).order_by(ROW_ID).limit(5).select(*cols).to_pandas()
    where = [raw.describe_rows([rid]) for rid in rows[ROW_ID]]
    if value:
        where = [f"{w} ({v!r})" for w, v in zip(where, rows[value], strict=True)]
    return ", ".join(where)


def malformed_lines(raw: sources.RawSource) -> Finding:
    shown = [f"{os.path.basename(f)} line {n}: {text!r}" for f, n, text in raw.bad_lines[:5]]
    return Finding("malformed CSV line", "(all)", raw.bad_count, "removed", "; ".join(shown))
