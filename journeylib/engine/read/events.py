"""Read event logs and order tables into an :class:`~journeylib.engine.eventlog.EventLog`.

``read_events`` reads any event log (a shop's export, the generic user/event/timestamp log
of path-analytics tools, a DataFrame); ``read_ga4`` maps a flattened GA4 export onto it;
``read_orders`` turns an order-line table into purchase and refund events. All three map
columns, type them, remove what cannot be used and say so in the cleaning report.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pandas as pd

from ..backend import resolve_backend
from ..cleaning import DataError, Finding, raise_if_strict, report_frame
from ..eventlog import EventLog
from ..schema import REFUND, REQUIRED, ROW_ID, USER_KEY
from . import derived, file_times, formats, localtime, sources, vocabulary
from . import files as opening
from .coerce import is_placeholder, parse_time, text_absent
from .controls import strip_controls
from .duplicates import duplicate_purchases, duplicate_rows
from .duplicates import release as _release
from .flags import Note, dst_notes, naive_note, typed_values
from .mapping import rename_to_canonical, resolve_mapping
from .timerange import MAX_AHEAD, MIN_TIME, Bound, TimeRange

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

Source = str | os.PathLike | pd.DataFrame | ir.Table

#: The removal checks, in the order a row is assigned to one (a row counts once): check,
#: column, action, and the column whose source value the examples show. A placeholder user
#: id is found on the distinct user ids instead (:func:`_per_user_counts`), after these.
_REASONS: dict[int, tuple[str, str, str, str | None]] = {
    1: ("missing user id", "user_id", "removed", None),
    2: ("missing event name", "event", "removed", None),
    3: ("missing event time", "event_time", "removed", None),
    4: ("unparseable event time", "event_time", "removed", "_time_source"),
    7: ("event time outside plausible range", "event_time", "removed", "_time_source"),
    5: ("exact duplicate row", "(all)", "removed", None),
    6: ("duplicate purchase", "order_id", "removed", "order_id"),
}
_DUPLICATE_PURCHASE = 6
_PLACEHOLDER = ("placeholder user id", "user_id", "removed")


#: Flag of refund rows whose revenue was positive (made negative by :func:`_flag`).
_REFUND_FLAG = "_refund_positive"


def read_events(
    source: Source,
    *,
    columns: Mapping[str, str] | None = None,
    strict: bool = False,
    time_unit: str | None = None,
    backend: BaseBackend | str | None = None,
    timezone: str | None = None,
    encoding: str = "utf-8",
    min_time: Bound = MIN_TIME,
    max_time: Bound = MAX_AHEAD,
    event_names: str | Mapping[str, str] | None = "auto",
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
        Raise :class:`~journeylib.engine.cleaning.DataError` instead of removing bad rows.
    time_unit
        Unit of epoch-number times (``"s"``, ``"ms"``, ``"us"``, ``"ns"``); inferred from the
        magnitude when None, and the inference is reported.
    backend
        ibis backend (``journeylib.connect("spark")``) or name (``"duckdb"``, ``"spark"``) to
        read onto (default: the in-process DuckDB; an ibis table stays on its own backend).
        Every analysis of the returned log runs there.
    timezone
        IANA zone name ("Europe/Berlin") of times written without an offset (text without
        one, timestamps without a zone, dates): they are read as wall-clock times there and
        converted to UTC (:mod:`journeylib.engine.read.localtime`: an hour repeated when clocks go
        back is read as its first occurrence; a time in the hour skipped when they go forward
        with the offset before the change, 02:30 as 03:30 summer time). Times with an
        offset, zone-aware timestamps and epoch numbers are instants already and are not
        changed. None: such times are taken as UTC, and the report counts them. An unknown
        name is a ValueError.
    encoding
        Text encoding of CSV files (``"latin-1"``, ``"cp1252"``, ...; default UTF-8). A file
        that is not in it is a :class:`~journeylib.engine.cleaning.DataError` saying where.
    min_time, max_time
        The plausible range of event times: rows with a time before ``min_time`` (default
        1990-01-01) or after ``max_time`` (a time, or a Timedelta after the moment of
        reading: default one day) are removed and counted (:mod:`journeylib.engine.read.timerange`).
        None: no bound on that side.
    event_names
        How to read event names (:mod:`journeylib.engine.read.vocabulary`). ``"auto"``: GA4's names
        and their spelling variants (``"Add To Cart"``, ``"addToCart"``) are GA4's names,
        and the names of a well-known vocabulary (Segment's "Product Viewed", Snowplow's,
        REES46's ``view``/``cart``, Retailrocket's ``addtocart``/``transaction``, ...) are
        read as GA4's when the log shows that vocabulary unambiguously; spellings of one
        unknown name that differ in case or surrounding spaces become one. A dict
        ``{source name: name}`` reads those names as given, the rest as ``"auto"``. None:
        names are kept as they are. Each renamed name is a line of the cleaning report, and
        the source's names stay in a ``source_event`` column.

    Returns
    -------
    EventLog
        Canonical columns (``user_id``, ``event``, ``event_time`` in UTC, optional ones),
        the source's extra columns and ``row_id``; ``.cleaning`` says what was removed:
        malformed CSV lines, rows without user id (missing, or a placeholder such as
        "null", "undefined", "(not set)": :data:`~journeylib.engine.schema.PLACEHOLDERS`), event
        name or parseable time, exact duplicates (the first copy is kept), purchases that
        repeat an earlier purchase of the same user and ``order_id`` (the first in time is
        kept; purchases without an order id are never merged), numbers that could not be
        read (set to NULL), and what was read under a rule: times without an offset, text
        numbers with a decimal comma or thousands separators
        (:mod:`journeylib.engine.read.decimals`), ``refund`` rows with a positive ``revenue``
        (negated: refunds carry negative revenue, so that net revenue is the sum).
    """
    return read_source_table(
        source,
        columns,
        strict=strict,
        time_unit=time_unit,
        backend=backend,
        timezone=timezone,
        encoding=encoding,
        times=TimeRange.of(min_time, max_time),
        event_names=event_names,
    )


def as_eventlog(events: EventLog | pd.DataFrame) -> EventLog:
    """Pass an :class:`EventLog` through; read a DataFrame with :func:`read_events`."""
    if isinstance(events, EventLog):
        return events
    if isinstance(events, pd.DataFrame):
        return read_events(events)
    raise TypeError(f"expected an EventLog or a pandas DataFrame, got {type(events).__name__}")


def read_source_table(source: Source, columns: Mapping[str, str] | None, **options) -> EventLog:
    """:func:`_read_source`, with an engine's error on a damaged Parquet file turned into a
    DataError naming the file (:func:`journeylib.engine.read.files.named_errors`)."""
    files = _local_files(source) if isinstance(source, str | os.PathLike) else []
    with opening.named_errors(files):
        return _read_source(source, columns, **options)


def _local_files(source: str | os.PathLike) -> list[str]:
    try:
        return sources.expand_paths(source)
    except DataError:  # a remote path (Spark) or none: the read says so
        return []


def _read_source(
    source: Source,
    columns: Mapping[str, str] | None,
    *,
    strict: bool,
    time_unit: str | None,
    backend: BaseBackend | str | None,
    required: Sequence[str] = REQUIRED,
    allow_missing_user: bool = False,
    timezone: str | None = None,
    encoding: str = "utf-8",
    times: TimeRange | None = None,
    event_names: str | Mapping[str, str] | None = "auto",
) -> EventLog:
    times = TimeRange.of() if times is None else times
    zone = None if timezone is None else localtime.zone(timezone)
    if isinstance(source, ir.Table) and backend is None:
        backend = source._find_backend(use_default=True)
    con = resolve_backend(backend)
    loaded = source if isinstance(source, sources.RawSource) else None  # read_ga4's, flattened
    label = loaded.label if loaded else _label(source)
    if loaded:
        present = list(loaded.table.columns)
    else:
        present = sources.peek_columns(source, con, encoding=encoding)
    mapping, notes = resolve_mapping(present, columns, source=label, required=required)
    # every canonical column read from CSV as text: ids keep their zeros ("007"), and numbers
    # are read by journeylib's rules (a decimal-comma export's "1.000" is a thousand)
    raw = loaded or sources.load(
        source, con, string_columns=list(mapping.values()), encoding=encoding
    )
    raw.table = file_times.readable_times(raw.table)
    table = rename_to_canonical(raw.table, mapping)
    dups = duplicate_rows(table)  # copies of the source's values
    table, control = strip_controls(table)  # before names are compared or counted
    table, renamed = vocabulary.read_event_names(table, event_names)
    flagged, flags, time_notes = _flag(
        table,
        raw,
        dups,
        time_unit=time_unit,
        zone=zone,
        allow_missing_user=allow_missing_user,
        times=times,
    )
    flags += [control] if control else []
    flagged, purchases = _flag_duplicate_purchases(flagged)
    per_user = _per_user_counts(flagged, flags, placeholders=not allow_missing_user).cache()
    counts = _counts(per_user, flags)
    findings = [_malformed_lines(raw), *_findings(flagged, raw, counts, flags), *time_notes]
    findings += formats.number_formats(flagged)
    if int(counts["r7"]) > 0:  # say which range, when it removed rows
        findings.append(Finding("plausible time range", "event_time", 0, "noted", times.describe()))
    if allow_missing_user:
        findings = [f for f in findings if f.column != "user_id"]
    findings = [
        Finding("rows read", "(all)", int(counts["rows"]) + raw.bad_count, "read"),
        *findings,
        *raw.notes,
        *notes,
        *renamed,
        Finding("rows kept", "(all)", int(counts["kept"]), "kept"),
    ]
    raise_if_strict(raw.label, findings, strict=strict)
    _raise_if_nothing_kept(raw.label, findings, read=int(counts["rows"]), kept=int(counts["kept"]))
    cleaned = flagged.filter(flagged._reason == 0).drop(*_helper_columns(flagged))
    keys = _user_keys(per_user).cache()
    # every kept row with a user id has a key: an inner join, unless user ids may be missing
    how = "left" if allow_missing_user else "inner"
    cleaned = cleaned.join(keys, "user_id", how=how).select(*cleaned.columns, USER_KEY).cache()
    cleaned, priced = derived.revenue_from_prices(cleaned)
    findings[-1:-1] = priced  # before "rows kept"
    for table in (keys, per_user, dups, purchases):
        if table is not None:
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
    zone: ZoneInfo | None,
    allow_missing_user: bool,
    times: TimeRange,
) -> tuple[ir.Table, list[Note], list[Finding]]:
    """Type the canonical columns and flag each row's removal reason (``_reason``, lazily).

    Returns the flagged table, the flags counted among kept rows (:class:`Note`: numbers
    that could not be read, numbers read in a locale's style, times without an offset,
    refunds with positive revenue) and the notes on how times were read.
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
        _user_source=table.user_id.cast("string"),
        **absent,
    )
    parsed = parse_time(table, "event_time", unit=time_unit, source=raw.label, timezone=zone)
    # a missing time is reason 3 first; a present one that converts to NULL is unparseable
    # (text that is no time, an epoch number too large for any date)
    unparsed = parsed.value.isnull()
    typed = {
        "event_time": parsed.value,
        "_time_unparsed": unparsed,
        "_time_implausible": times.outside(parsed.value),
        "_time_naive": parsed.naive,
    }
    notes = [naive_note(zone)]
    if zone is not None:
        typed |= {"_time_repeated": parsed.repeated, "_time_skipped": parsed.skipped}
        notes += dst_notes()
    number_typed, number_notes = typed_values(table, null_placeholders=allow_missing_user)
    table = table.mutate(**typed, **number_typed)
    notes += number_notes
    if "revenue" in table.columns and "event" in table.columns:
        # refunds carry negative revenue (net revenue = sum); exports (GA4, Shopify) often
        # write the amount refunded as a positive number: made negative, and counted
        positive = ((table.event == REFUND) & (table.revenue > 0)).fill_null(False)
        revenue = ibis.ifelse(positive, -table.revenue, table.revenue)
        table = table.mutate(revenue=revenue, **{_REFUND_FLAG: positive})
        notes.append(Note(_REFUND_FLAG, "refund with positive revenue", "revenue", "negated"))
    table = table.mutate(_reason=_reason(table, allow_missing_user))
    return table, notes, parsed.notes


def _flag_duplicate_purchases(t: ir.Table) -> tuple[ir.Table, ir.Table | None]:
    """Give reason :data:`_DUPLICATE_PURCHASE` to purchases that repeat an earlier purchase
    of the same user and order id
    (:func:`~journeylib.engine.read.duplicates.duplicate_purchases`)."""
    dups = duplicate_purchases(t)
    if dups is None:
        return t, None
    repeat = (t._reason == 0) & t[ROW_ID].isin(dups[ROW_ID])
    reason = ibis.ifelse(repeat, ibis.literal(_DUPLICATE_PURCHASE, "int8"), t._reason)
    return t.mutate(_reason=reason.cast("int8")), dups


def _reason(t: ir.Table, allow_missing_user: bool) -> ir.IntegerValue:
    required_event = t._event_absent if "event" in t.columns else ibis.literal(False)
    missing_user = ibis.literal(False) if allow_missing_user else t._user_id_absent
    return ibis.cases(
        (missing_user, 1),
        (required_event, 2),
        (t._time_missing, 3),
        (t._time_unparsed, 4),
        (t._time_implausible, 7),
        (t._duplicate, 5),
        else_=0,
    ).cast("int8")


def _per_user_counts(t: ir.Table, notes: list[Note], *, placeholders: bool) -> ir.Table:
    """How many rows each ``user_id`` has per removal reason (``_reason``) and noted flags:
    ``_n``, in one pass over the flagged rows (one group per user and reason, nearly
    always one per user; a single count, so the groups stay narrow), and whether the user
    id is a placeholder (``_placeholder``, tested once per user, not once per row; always
    False unless ``placeholders``). Summed, the report's counts (:func:`_counts`); its users
    with kept rows, the users :func:`_user_keys` numbers, so that reading does not group the
    rows by user a second time."""
    p = t.group_by(["user_id", "_reason", *(n.flag for n in notes)]).aggregate(_n=t.count())
    return p.mutate(_placeholder=is_placeholder(p.user_id) if placeholders else False)


def _counts(per_user: ir.Table, notes: list[Note]) -> pd.Series:
    """The report's counts (``rows``, ``kept``, ``r<k>``, ``placeholder`` and each noted flag
    among the kept rows): :func:`_per_user_counts` summed. A row of a placeholder user id
    is not kept."""
    p = per_user
    kept = (p._reason == 0) & ~p._placeholder
    sums = {f"r{k}": p._n.sum(where=p._reason == k) for k in _REASONS}
    sums |= {n.flag: p._n.sum(where=p[n.flag] & kept) for n in notes}
    sums |= {"placeholder": p._n.sum(where=(p._reason == 0) & p._placeholder)}
    sums |= {"rows": p._n.sum(), "kept": p._n.sum(where=kept)}
    return p.aggregate(**sums).to_pandas().iloc[0].fillna(0).astype(int)


def _user_keys(per_user: ir.Table) -> ir.Table:
    """``user_id`` -> ``user_key`` (0, 1, ... in user_id order) for the users with kept rows,
    as :func:`with_user_key` numbers them."""
    p = per_user
    kept = (p._reason == 0) & p.user_id.notnull() & ~p._placeholder
    users = p.filter(kept).select("user_id").distinct()
    number = ibis.row_number().over(order_by=users.user_id).cast("int64")
    return users.mutate(**{USER_KEY: number})


def _findings(
    t: ir.Table, raw: sources.RawSource, counts: pd.Series, notes: list[Note]
) -> list[Finding]:
    findings = []
    for k, (check, column, action, value) in _REASONS.items():
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


def _malformed_lines(raw: sources.RawSource) -> Finding:
    shown = [f"{os.path.basename(f)} line {n}: {text!r}" for f, n, text in raw.bad_lines[:5]]
    return Finding("malformed CSV line", "(all)", raw.bad_count, "removed", "; ".join(shown))
