"""Read event logs and order tables into an :class:`~journeylib.eventlog.EventLog`.

``read_events`` reads any event log (a shop's export, the generic user/event/timestamp log
of path-analytics tools, a DataFrame); ``read_ga4`` maps a flattened GA4 export onto it;
``read_orders`` turns an order-line table into purchase and refund events. All three map
columns, type them, remove what cannot be used and say so in the cleaning report.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd

from . import sources
from .backend import backend_of, resolve_backend
from .cleaning import DataError, Finding, raise_if_strict, report_frame
from .coerce import parse_time, text_absent, to_canonical_type
from .eventlog import EventLog
from .mapping import rename_to_canonical, resolve_mapping
from .schema import CANONICAL, REFUND, REQUIRED, ROW_ID, USER_KEY

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

Source = str | os.PathLike | pd.DataFrame | ir.Table

#: The removal checks, in the order a row is assigned to one (a row counts once).
_REASONS: dict[int, tuple[str, str, str]] = {
    1: ("missing user id", "user_id", "removed"),
    2: ("missing event name", "event", "removed"),
    3: ("missing event time", "event_time", "removed"),
    4: ("unparseable event time", "event_time", "removed"),
    5: ("exact duplicate row", "(all)", "removed"),
}


#: Flag of refund rows whose revenue was positive (made negative by :func:`_flag`).
_REFUND_FLAG = "_refund_positive"


def read_events(
    source: Source,
    *,
    columns: Mapping[str, str] | None = None,
    strict: bool = False,
    time_unit: str | None = None,
    backend: BaseBackend | str | None = None,
) -> EventLog:
    """Read, map, type and clean an event log.

    Parameters
    ----------
    source
        A path to a CSV (optionally ``.gz``) or Parquet file, a folder or glob of them, a
        pandas DataFrame, or an ibis table already on a backend (a BigQuery GA4 export, a
        Spark table). The source is never modified.
    columns
        Canonical name -> source name, e.g. ``{"user_id": "user_pseudo_id", "event":
        "event_name", "event_time": "event_timestamp"}``. Canonical names already present are
        used as they are; a few common spellings ("customer_id", "timestamp", ...) are
        recognised and the guess is reported.
    strict
        Raise :class:`~journeylib.cleaning.DataError` instead of removing bad rows.
    time_unit
        Unit of epoch-number times (``"s"``, ``"ms"``, ``"us"``, ``"ns"``); inferred from the
        magnitude when None, and the inference is reported.
    backend
        ibis backend (``journeylib.connect("spark")``) or name (``"duckdb"``, ``"spark"``) to
        read onto (default: the in-process DuckDB; an ibis table stays on its own backend).
        Every analysis of the returned log runs there.

    Returns
    -------
    EventLog
        Canonical columns (``user_id``, ``event``, ``event_time`` in UTC, optional ones),
        the source's extra columns and ``row_id``; ``.cleaning`` says what was removed:
        malformed CSV lines, rows without user id, event name or parseable time, exact
        duplicates (the first copy is kept), numbers that could not be read (set to NULL),
        and ``refund`` rows with a positive ``revenue`` (negated: refunds carry negative
        revenue, so that net revenue is the sum).
    """
    return _read(source, columns, strict=strict, time_unit=time_unit, backend=backend)


def as_eventlog(events: EventLog | pd.DataFrame) -> EventLog:
    """Pass an :class:`EventLog` through; read a DataFrame with :func:`read_events`."""
    if isinstance(events, EventLog):
        return events
    if isinstance(events, pd.DataFrame):
        return read_events(events)
    raise TypeError(f"expected an EventLog or a pandas DataFrame, got {type(events).__name__}")


def _read(
    source: Source,
    columns: Mapping[str, str] | None,
    *,
    strict: bool,
    time_unit: str | None,
    backend: BaseBackend | str | None,
    required: Sequence[str] = REQUIRED,
    allow_missing_user: bool = False,
) -> EventLog:
    if isinstance(source, ir.Table) and backend is None:
        backend = source._find_backend(use_default=True)
    con = resolve_backend(backend)
    label = _label(source)
    mapping, notes = resolve_mapping(
        sources.peek_columns(source, con), columns, source=label, required=required
    )
    text_cols = [src for canon, src in mapping.items() if CANONICAL[canon].is_string()]
    raw = sources.load(source, con, string_columns=[*text_cols, mapping["event_time"]])
    table = rename_to_canonical(raw.table, mapping)
    dups = duplicate_rows(table)
    flagged, bad_flags, time_notes = _flag(
        table, raw, dups, time_unit=time_unit, allow_missing_user=allow_missing_user
    )
    per_user = _per_user_counts(flagged, bad_flags).cache()
    counts = _counts(per_user, bad_flags)
    findings = [_malformed_lines(raw), *_findings(flagged, raw, counts, bad_flags), *time_notes]
    if allow_missing_user:
        findings = [f for f in findings if f.column != "user_id"]
    findings = [
        Finding("rows read", "(all)", int(counts["rows"]) + raw.bad_count, "read"),
        *findings,
        *notes,
        Finding("rows kept", "(all)", int(counts["kept"]), "kept"),
    ]
    raise_if_strict(raw.label, findings, strict=strict)
    _raise_if_nothing_kept(raw.label, findings, read=int(counts["rows"]), kept=int(counts["kept"]))
    cleaned = flagged.filter(flagged._reason == 0).drop(*_helper_columns(flagged))
    keys = _user_keys(per_user).cache()
    # every kept row with a user id has a key: an inner join, unless user ids may be missing
    how = "left" if allow_missing_user else "inner"
    cleaned = cleaned.join(keys, "user_id", how=how).select(*cleaned.columns, USER_KEY).cache()
    for table in (keys, per_user, dups):
        _release(table)
    return EventLog(table=cleaned, cleaning=report_frame(findings), columns=mapping, source=label)


def _raise_if_nothing_kept(label: str, findings: list[Finding], *, read: int, kept: int) -> None:
    """A log whose every row was removed is not an empty log: say why, as strict mode does
    (every analysis would otherwise report an empty shop, or "no complete week")."""
    if read == 0 or kept > 0:
        return
    lines = [
        f"- {f.check} in column '{f.column}': {f.rows:,} rows (e.g. {f.examples})"
        for f in findings
        if f.rows > 0 and f.action == "removed"
    ]
    raise DataError(
        f"{label}: none of its {read:,} rows can be used:\n" + "\n".join(lines) + "\n"
        "Map the right columns with columns=..., or fix the source (times as ISO 8601)."
    )


def _label(source: Source) -> str:
    if isinstance(source, pd.DataFrame):
        return "<DataFrame>"
    if isinstance(source, ir.Table):
        return sources.table_label(source)
    return os.fspath(source)


def with_user_key(table: ir.Table) -> ir.Table:
    """Add ``user_key``: a dense integer per ``user_id`` (0, 1, ... in user_id order).

    Windows partitioned by an integer sort several times faster than by text, so the engine
    partitions by ``user_key``; ``user_id`` stays the name people see.
    """
    users = table.select("user_id").distinct()
    number = ibis.row_number().over(order_by=users.user_id).cast("int64")
    keys = users.filter(users.user_id.notnull()).mutate(**{USER_KEY: number})
    return table.left_join(keys, "user_id").select(*table.columns, USER_KEY)


def _helper_columns(table: ir.Table) -> list[str]:
    return [c for c in table.columns if c.startswith("_")]


def _flag(
    table: ir.Table,
    raw: sources.RawSource,
    dups: ir.Table | None,
    *,
    time_unit: str | None,
    allow_missing_user: bool,
) -> tuple[ir.Table, list[str], list[Finding]]:
    """Type the canonical columns and flag each row's removal reason (``_reason``, lazily).

    Returns the flagged table, the names of its ``_bad_<column>`` flags (numbers that could
    not be read) and of the refunds-with-positive-revenue flag, and the notes on how times
    were read.
    """
    time_col = table.event_time
    if time_col.type().is_string():
        time_text = time_col.strip()
        time_missing = time_text.isnull() | (time_text == "")
    else:  # a typed time is missing only when NULL (no need to print every value)
        time_missing = time_col.isnull()
    duplicate = ibis.literal(False) if dups is None else table[ROW_ID].isin(dups[ROW_ID])
    # presence tested on the source values: the same rows as testing the typed values for
    # NULL, without typing them twice (once for the test, once for the column)
    absent = {f"_{c}_absent": text_absent(table[c]) for c in ("user_id", "event") if c in table}
    table = table.mutate(
        _duplicate=duplicate,
        _time_missing=time_missing,
        _time_source=time_col.cast("string"),  # the unparseable value, for the report
        **absent,
    )
    event_time, time_notes = parse_time(table, "event_time", unit=time_unit, source=raw.label)
    # only text can fail to parse: numbers and timestamps convert whenever they are present
    unparsed = event_time.isnull() if time_col.type().is_string() else ibis.literal(False)
    typed, bad_flags = {"event_time": event_time, "_time_unparsed": unparsed}, {}
    for name in CANONICAL:
        if name in table.columns and name != "event_time":
            typed[name], bad = to_canonical_type(table[name], name)
            if bad is not None:
                bad_flags[f"_bad_{name}"] = bad
                typed[f"_source_{name}"] = table[name]  # the unreadable value, for the report
    table = table.mutate(**typed, **bad_flags)
    if "revenue" in table.columns and "event" in table.columns:
        # refunds carry negative revenue (net revenue = sum); exports (GA4, Shopify) often
        # write the amount refunded as a positive number: made negative, and counted
        positive = ((table.event == REFUND) & (table.revenue > 0)).fill_null(False)
        revenue = ibis.ifelse(positive, -table.revenue, table.revenue)
        table = table.mutate(revenue=revenue, **{_REFUND_FLAG: positive})
        bad_flags[_REFUND_FLAG] = positive
    table = table.mutate(_reason=_reason(table, allow_missing_user))
    return table, list(bad_flags), time_notes


def duplicate_rows(table: ir.Table) -> ir.Table | None:
    """``row_id`` of every row that repeats an earlier row exactly (all source columns equal).

    Returns a small cached table, or None when no row repeats another. The repeated values
    of a hash of each row are found first (one narrow pass, :func:`_repeated_hashes`; rows
    with different hashes differ, so only rows whose hash repeats can be duplicates, and
    these are usually none). Only the rows of
    repeated hashes are then compared on every column (NULLs compare equal), so a hash
    collision never removes a row; the first copy (lowest ``row_id``) is not returned. The
    caller releases the table (:func:`_release`).
    """
    cols = [c for c in table.columns if c != ROW_ID]
    row_hash = ibis.struct({c: table[c] for c in cols}).hash()
    repeated = _repeated_hashes(table.select(_h=row_hash)).cache()
    if int(repeated.count().to_pandas()) == 0:
        _release(repeated)
        return None
    cand = table.filter(row_hash.isin(repeated._h))
    groups = cand.group_by(cols).aggregate(_first=cand[ROW_ID].min(), _n=cand.count())
    groups = groups.filter(groups._n > 1)
    on = [cand[c].identical_to(groups[c]) for c in cols]
    joined = cand.join(groups, on)
    dups = joined.filter(joined[ROW_ID] != joined._first).select(ROW_ID).cache()
    _release(repeated)
    return dups


def _repeated_hashes(hashes: ir.Table) -> ir.Table:
    """The values of column ``_h`` that occur more than once.

    On DuckDB by sorting them and comparing neighbours: a sort of 8-byte integers runs in
    memory where a hash table of every distinct row (one group per row) spills, 1.5 times
    faster at 100M rows. Elsewhere (Spark, where a window without partitions runs on one
    task) by grouping.
    """
    if backend_of(hashes) == "duckdb":
        previous = hashes._h.lag().over(order_by=hashes._h)
        return hashes.filter(hashes._h == previous).select("_h").distinct()
    counted = hashes.group_by("_h").aggregate(_n=hashes.count())
    return counted.filter(counted._n > 1).select("_h")


def _reason(t: ir.Table, allow_missing_user: bool) -> ir.IntegerValue:
    required_event = t._event_absent if "event" in t.columns else ibis.literal(False)
    missing_user = ibis.literal(False) if allow_missing_user else t._user_id_absent
    return ibis.cases(
        (missing_user, 1),
        (required_event, 2),
        (t._time_missing, 3),
        (t._time_unparsed, 4),
        (t._duplicate, 5),
        else_=0,
    ).cast("int8")


def _per_user_counts(t: ir.Table, bad_flags: list[str]) -> ir.Table:
    """How many rows each ``user_id`` has per removal reason (``_reason``) and ``_bad_``
    flags: ``_n``, in one pass over the flagged rows (one group per user and reason, nearly
    always one per user; a single count, so the groups stay narrow). Summed, the report's
    counts (:func:`_counts`); its users with kept rows, the users :func:`_user_keys` numbers,
    so that reading does not group the rows by user a second time."""
    return t.group_by(["user_id", "_reason", *bad_flags]).aggregate(_n=t.count())


def _counts(per_user: ir.Table, bad_flags: list[str]) -> pd.Series:
    """The report's counts (``rows``, ``kept``, ``r<k>`` and each ``_bad_`` flag among the
    kept rows): :func:`_per_user_counts` summed."""
    p = per_user
    sums = {f"r{k}": p._n.sum(where=p._reason == k) for k in _REASONS}
    sums |= {name: p._n.sum(where=p[name] & (p._reason == 0)) for name in bad_flags}
    sums |= {"rows": p._n.sum(), "kept": p._n.sum(where=p._reason == 0)}
    return p.aggregate(**sums).to_pandas().iloc[0].fillna(0).astype(int)


def _user_keys(per_user: ir.Table) -> ir.Table:
    """``user_id`` -> ``user_key`` (0, 1, ... in user_id order) for the users with kept rows,
    as :func:`with_user_key` numbers them."""
    p = per_user
    users = p.filter((p._reason == 0) & p.user_id.notnull()).select("user_id").distinct()
    number = ibis.row_number().over(order_by=users.user_id).cast("int64")
    return users.mutate(**{USER_KEY: number})


def _findings(
    t: ir.Table, raw: sources.RawSource, counts: pd.Series, bad_flags: list[str]
) -> list[Finding]:
    findings = []
    for k, (check, column, action) in _REASONS.items():
        if column == "event" and "event" not in t.columns:
            continue
        n = int(counts[f"r{k}"])
        value = "_time_source" if check == "unparseable event time" else None
        examples = _examples(t, t._reason == k, raw, n, value=value)
        findings.append(Finding(check, column, n, action, examples))
    for name in bad_flags:
        column = name.removeprefix("_bad_")
        n = int(counts[name])
        cond = t[name] & (t._reason == 0)
        if name == _REFUND_FLAG:
            ex = _examples(t, cond, raw, n)
            findings.append(Finding("refund with positive revenue", "revenue", n, "negated", ex))
            continue
        ex = _examples(t, cond, raw, n, value=f"_source_{column}")
        findings.append(Finding(f"unreadable {column}", column, n, "set to null", ex))
    return findings


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


def _malformed_lines(raw: sources.RawSource) -> Finding:
    shown = [f"{os.path.basename(f)} line {n}: {text!r}" for f, n, text in raw.bad_lines[:5]]
    return Finding("malformed CSV line", "(all)", raw.bad_count, "removed", "; ".join(shown))


def _release(table: ir.Table) -> None:
    """Drop a cached intermediate table now instead of at garbage collection."""
    release = getattr(table, "release", None)
    if callable(release):
        release()
