"""Give canonical columns their canonical types, and parse times into UTC instants.

Nothing is dropped here: values that cannot be converted become NULL and a boolean
``_bad_<column>`` flag marks them, so that :mod:`journeylib.io` can count and report them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from . import localtime
from .backend import backend_of, epoch_us_to_time
from .cleaning import DataError, Finding
from .decimals import read_number_text
from .ordered import epoch_us
from .schema import CANONICAL, EVENT_TIME_TYPE, PLACEHOLDERS

#: Epoch units, as the factor that turns one unit into microseconds.
EPOCH_UNITS: dict[str, float] = {"s": 1e6, "ms": 1e3, "us": 1.0, "ns": 1e-3}
_UNIT_NAMES = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}
_NUMERIC_TEXT = r"^\s*-?[0-9]+(\.[0-9]+)?\s*$"
#: A time written with its own offset or zone: "...10:00:00+01:00", "...10:00-0800",
#: "...10:00:00.5 +01", or ending in a letter ("...Z", "... UTC", "... Europe/Berlin").
_OFFSET_AT_END = r"([0-9]:[0-9]{2}(\.[0-9]+)?\s*[+-][0-9]{2}(:?[0-9]{2})?|[A-Za-z])$"
#: How many values the epoch unit is inferred from: the magnitudes of the units lie a factor
#: of 1000 apart, so a million values tell them apart as surely as 100 million, in a
#: hundredth of the time.
UNIT_SAMPLE = 1_000_000


def infer_epoch_unit(median_abs: float) -> str:
    """Guess an epoch's unit from the magnitude of its typical value.

    Present-day instants are about 1.7e9 s, 1.7e12 ms, 1.7e15 µs and 1.7e18 ns, so the
    thresholds 1e11, 1e14 and 1e17 separate the units for any date from 1973 to 5138.
    """
    if median_abs < 1e11:
        return "s"
    if median_abs < 1e14:
        return "ms"
    if median_abs < 1e17:
        return "us"
    return "ns"


def epoch_to_time(value: ir.NumericValue, unit: str) -> ir.TimestampValue:
    """An epoch number in ``unit`` as a UTC timestamp, exact to the microsecond."""
    if unit not in EPOCH_UNITS:
        raise ValueError(f"time_unit must be one of {sorted(EPOCH_UNITS)}, not {unit!r}")
    factor = EPOCH_UNITS[unit]
    if value.type().is_integer() and factor >= 1:
        micros = value.cast("int64") * int(factor)
    elif value.type().is_integer():
        micros = value.cast("int64") // int(round(1 / factor))
    else:
        micros = (value.cast("float64") * factor).round().cast("int64")
    fast = epoch_us_to_time(micros)
    if fast is not None:
        return fast
    # whole seconds plus microseconds: every backend converts seconds (Spark only those); the
    # rest from the floor division, so that it is never negative (``%`` takes the dividend's
    # sign: -1 us would become 1 s early)
    seconds = micros // 1_000_000
    rest = micros - seconds * 1_000_000
    stamp = seconds.as_timestamp("s") + rest.as_interval("us")
    return stamp.cast(EVENT_TIME_TYPE)


@dataclass
class ParsedTime:
    """A time column read as UTC instants, with how it was read.

    ``naive`` marks the values read from a wall-clock time without an offset (text without
    one, a timestamp or date without a zone); ``repeated`` and ``skipped`` those that fall in
    an hour a daylight-saving change repeats or skips (only with a ``timezone``).
    """

    value: ir.TimestampValue
    notes: list[Finding]
    naive: ir.BooleanValue = field(default_factory=lambda: ibis.literal(False))
    repeated: ir.BooleanValue = field(default_factory=lambda: ibis.literal(False))
    skipped: ir.BooleanValue = field(default_factory=lambda: ibis.literal(False))


def parse_time(
    table: ir.Table,
    column: str,
    *,
    unit: str | None,
    source: str,
    timezone: ZoneInfo | None = None,
) -> ParsedTime:
    """Parse ``table[column]`` into a UTC timestamp and say how it was read.

    Timestamps with a zone are converted to UTC; text is read as ISO 8601 with or without an
    offset, or as an epoch when every value is a number; numbers are epochs in ``unit``
    (``"s"``, ``"ms"``, ``"us"``, ``"ns"``), inferred from their magnitude when ``unit`` is
    None (the median magnitude of the first :data:`UNIT_SAMPLE` values the engine reads).
    Wall-clock times without an offset (such text, timestamps without a zone, dates at
    midnight) are read in ``timezone`` (:mod:`journeylib.localtime`), or as UTC when it is
    None (on Spark, whose TIMESTAMP is an instant, typed timestamps are never wall-clock
    times). Unparseable values become NULL.
    """
    col = table[column]
    kind = col.type()
    if kind.is_timestamp() and (kind.timezone is not None or backend_of(col) == "spark"):
        # Spark's TIMESTAMP is an instant, which ibis reports without a zone
        return ParsedTime(col.cast(EVENT_TIME_TYPE), [_note(column, "converted to UTC")])
    if kind.is_timestamp() or kind.is_date():
        wall = col.cast("timestamp") if kind.is_date() else col
        return _wall_clock(table, wall.cast(EVENT_TIME_TYPE), col.notnull(), timezone)
    if kind.is_numeric():
        return ParsedTime(*_epoch(col, col, unit=unit, column=column))
    if kind.is_string():
        text = col.strip()
        if _all_numeric_text(table, text):
            number = (
                text.try_cast("int64") if _no_decimals(table, text) else text.try_cast("float64")
            )
            return ParsedTime(*_epoch(col, number, unit=unit, column=column))
        parsed = ibis.coalesce(
            text.try_cast(EVENT_TIME_TYPE), _offset_attached(text).try_cast(EVENT_TIME_TYPE)
        )
        naive = parsed.notnull() & ~text.re_search(_OFFSET_AT_END)
        read = _wall_clock(table, parsed, naive, timezone)
        read.notes.append(_note(column, "ISO 8601 text, with or without an offset", "format"))
        return read
    raise DataError(f"{source}: column '{column}' has type {kind}, which is not a time")


def _note(column: str, how: str, what: str = "zone") -> Finding:
    return Finding(f"time {what}", column, 0, "noted", how)


def _wall_clock(
    table: ir.Table, stamp: ir.TimestampValue, naive: ir.BooleanValue, timezone: ZoneInfo | None
) -> ParsedTime:
    """``stamp`` (wall-clock times written as UTC where ``naive``) read in ``timezone``."""
    if timezone is None:
        return ParsedTime(stamp, [], naive)
    wall = epoch_us(stamp)
    span = table.aggregate(lo=wall.min(where=naive), hi=wall.max(where=naive)).to_pandas()
    lo, hi = span.lo.iloc[0], span.hi.iloc[0]
    if pd.isna(lo):  # no naive value: nothing to convert
        return ParsedTime(stamp, [], naive)
    first, changes = localtime.transitions(timezone, int(lo), int(hi))
    utc = epoch_to_time(localtime.wall_to_utc_us(wall, first, changes), "us")
    repeated, skipped = localtime.dst_flags(wall, changes)
    value = ibis.ifelse(naive, utc, stamp)
    return ParsedTime(value, [], naive, naive & repeated, naive & skipped)


def _epoch(
    col: ir.Value, number: ir.NumericValue, *, unit: str | None, column: str
) -> tuple[ir.TimestampValue, list[Finding]]:
    if unit is None:
        sample = number.name("_v").as_table().limit(UNIT_SAMPLE)
        median = sample._v.abs().approx_median().to_pandas()
        unit = infer_epoch_unit(float(median) if median == median and median is not None else 0.0)
        how = f"epoch {_UNIT_NAMES[unit]} (inferred from magnitude; pass time_unit= to override)"
    else:
        how = f"epoch {_UNIT_NAMES.get(unit, unit)} (time_unit={unit!r})"
    return epoch_to_time(number, unit), [Finding("time format", column, 0, "noted", how)]


def _offset_attached(text: ir.StringValue) -> ir.StringValue:
    """``"2024-03-04 10:00:00 +0100"`` (Shopify's exports) as ``"...10:00:00+0100"``.

    An offset after a space is not ISO 8601 and the engines' casts reject it; attached, it
    parses. Only the values the plain cast could not read are rewritten (``coalesce``).
    """
    cases = []
    for width, pattern in ((5, r"\s[+-][0-9]{4}$"), (6, r"\s[+-][0-9]{2}:[0-9]{2}$")):
        head = text.substr(0, text.length() - width).rstrip()
        cases.append((text.re_search(pattern), head + text.right(width)))
    return ibis.cases(*cases, else_=text)


def _all_numeric_text(table: ir.Table, text: ir.StringValue) -> bool:
    nonblank = text.notnull() & (text != "")
    stats = table.aggregate(
        n=nonblank.sum(), numeric=(nonblank & text.re_search(_NUMERIC_TEXT)).sum()
    ).to_pandas()
    n, numeric = int(stats.n.fillna(0).iloc[0]), int(stats.numeric.fillna(0).iloc[0])
    return n > 0 and numeric == n


def _no_decimals(table: ir.Table, text: ir.StringValue) -> bool:
    return not bool(table.aggregate(x=text.contains(".").any()).to_pandas().x.iloc[0])


def clean_text(col: ir.Value) -> ir.StringValue:
    """A column as trimmed text, empty strings as NULL; whole floats lose their ``.0``."""
    kind = col.type()
    if kind.is_floating():
        whole = col.notnull() & (col == col.round())
        return ibis.ifelse(whole, col.cast("int64").cast("string"), col.cast("string"))
    if kind.is_integer():  # digits with an optional minus: never padded, never empty
        return col.cast("string")
    return col.cast("string").strip().nullif("")


def text_absent(col: ir.Value) -> ir.BooleanValue:
    """Whether :func:`clean_text` of ``col`` is NULL (NULL, empty or only whitespace), tested
    without building the cleaned text: cheaper where only presence matters."""
    kind = col.type()
    if kind.is_string():
        return col.isnull() | (col.strip() == "")
    if kind.is_numeric():  # floats and integers always print digits
        return col.isnull()
    return clean_text(col).isnull()


def is_placeholder(col: ir.Value) -> ir.BooleanValue:
    """Whether a value is a spelling of "no value" (:data:`~journeylib.schema.PLACEHOLDERS`,
    any case, surrounding spaces ignored); only text can be one."""
    if not col.type().is_string():
        return ibis.literal(False)
    return col.strip().lower().isin(PLACEHOLDERS).fill_null(False)


def to_canonical_type(
    col: ir.Value, name: str, *, style: str | None = None
) -> tuple[ir.Value, ir.BooleanValue | None]:
    """Cast ``col`` to the canonical type of ``name``.

    Returns the converted column and, for text converted to numbers, a flag that is true where
    a non-empty value could not be converted (None when nothing can fail). ``style``: how
    text numbers are written (:func:`journeylib.decimals.number_styles`; None: a plain cast).
    """
    target = CANONICAL[name]
    if target.is_string():
        return clean_text(col), None
    kind = col.type()
    if kind.is_numeric():
        return _numeric(col, target), None
    if kind.is_string():
        text = col.strip().nullif("")
        number = text.try_cast("float64") if style is None else read_number_text(text, style)[0]
        value = _numeric(number, target)
        return value, text.notnull() & value.isnull()
    if kind.is_boolean():
        return col.cast("int64").cast(target), None
    return col.try_cast(target), col.notnull() & col.try_cast(target).isnull()


def _numeric(value: ir.NumericValue, target: dt.DataType) -> ir.NumericValue:
    if target.is_integer() and value.type().is_floating():
        return ibis.ifelse(value == value.round(), value.cast(target), ibis.null(target))
    return value.cast(target)
