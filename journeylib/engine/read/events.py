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
from .coerce import parse_time, text_absent
from .controls import strip_controls
from .duplicates import duplicate_purchases, duplicate_rows
from .duplicates import release as _release
from .flags import Note, dst_notes, naive_note, typed_values
from .mapping import rename_to_canonical, resolve_mapping
from .removals import (
    kept_user_keys,
    malformed_lines,
    per_user_counts,
    removal_counts,
    removal_findings,
)
from .timerange import MAX_AHEAD, MIN_TIME, Bound, TimeRange

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

Source = str | os.PathLike | pd.DataFrame | ir.Table

#: Removal reason of a repeated purchase (the codes and their checks:
#: :data:`journeylib.engine.read.removals.REASONS`).
_DUPLICATE_PURCHASE = 6


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
    per_user = per_user_counts(flagged, flags, placeholders=not allow_missing_user).cache()
    counts = removal_counts(per_user, flags)
    findings = [malformed_lines(raw), *removal_findings(flagged, raw, counts, flags), *time_notes]
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
    keys = kept_user_keys(per_user).cache()
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
