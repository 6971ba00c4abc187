"""Give canonical columns their canonical types, and parse times into UTC instants.

Nothing is dropped here: values that cannot be converted become NULL and a boolean
``_bad_<column>`` flag marks them, so that :mod:`journeylib.engine.read.events` can count and
report them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from ..backend import backend_of, epoch_us_to_time
from ..cleaning import DataError, Finding
from ..ordered import epoch_us
from ..schema import CANONICAL, EVENT_TIME_TYPE, PLACEHOLDERS
from . import localtime
from .decimals import read_number_text

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


#: The largest epoch read, in microseconds (about the year 148,000; 2**62): beyond it the
#: engines' 64-bit arithmetic would overflow, and the time is NULL (unparseable).
_MAX_MICROS = float(2**62)


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
    limit = _MAX_MICROS / factor  # beyond it, NULL: no overflow error on one absurd value
    if value.type().is_integer():
        whole = value.cast("int64")
        if limit < 2**63:  # nanoseconds: every int64 is a date
            most = int(limit)
            whole = ibis.ifelse((whole <= most) & (whole >= -most), whole, ibis.null("int64"))
        micros = whole * int(factor) if factor >= 1 else whole // int(round(1 / factor))
    else:
        real = value.cast("float64")
        real = ibis.ifelse(real.abs() <= limit, real, ibis.null("float64"))
        micros = (real * factor).round().cast("int64")
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
    midnight) are read in ``timezone`` (:mod:`journeylib.engine.read.localtime`), or as UTC when it
    is None (on Spark, whose TIMESTAMP is an instant, typed timestamps are never wall-clock
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
        stamp, how = _epoch(col, unit=unit)
        return ParsedTime(stamp, [Finding("time format", column, 0, "noted", how)])
    if kind.is_string():
        return _text_time(table, col.strip(), unit=unit, column=column, timezone=timezone)
    raise DataError(f"{source}: column '{column}' has type {kind}, which is not a time")


def _text_time(
    table: ir.Table,
    text: ir.StringValue,
    *,
    unit: str | None,
    column: str,
    timezone: ZoneInfo | None,
) -> ParsedTime:
    """Text times read by what most of their values are (:class:`TextTimes`): epoch numbers
    (the odd ISO 8601 text among them read as such), or ISO 8601 text (the odd number among
    them an epoch in ``unit``, or in the one unit its magnitude fits)."""
    kinds = TextTimes.count(table, text, unit=unit)
    numeric = text.re_search(_NUMERIC_TEXT)
    iso = _iso_text(text)
    if kinds.epochs:
        exact = _no_decimals(table, text, numeric)
        number = text.try_cast("int64") if exact else text.try_cast("float64")
        if kinds.numbers < kinds.nonblank:
            number = ibis.ifelse(numeric, number, ibis.null(number.type()))
        stamp, how = _epoch(number, unit=unit)
        if kinds.numbers == kinds.nonblank:  # only numbers: no text to test row by row
            return ParsedTime(stamp, [_format_note(column, how, kinds)])
        naive = ~numeric & iso.notnull() & ~text.re_search(_OFFSET_AT_END)
        parsed = ibis.ifelse(numeric, stamp, iso)
    else:
        how = "ISO 8601 text, with or without an offset"
        naive = iso.notnull() & ~text.re_search(_OFFSET_AT_END)
        parsed = iso
        if kinds.numbers:
            number = text.try_cast("float64")
            stray = _epoch(number, unit=unit)[0] if unit else _fitting_epoch(number)
            naive = naive & ~numeric
            parsed = ibis.ifelse(numeric, stray, iso)
    read = _wall_clock(table, parsed, naive, timezone)
    read.notes.append(_format_note(column, how, kinds))
    return read


@dataclass(frozen=True)
class TextTimes:
    """How many values of a text time column are present (``nonblank``), whole or decimal
    numbers (``numbers``; ``fitting``: those whose magnitude fits one epoch unit, or all of
    them with a ``time_unit``) and ISO 8601 text (``iso``, among the values that are not
    numbers).

    ``epochs``: whether the numbers dominate (more than half the present values), so the
    column is read as epoch numbers; otherwise it is read as ISO 8601 text.
    """

    nonblank: int
    numbers: int
    iso: int
    fitting: int

    @classmethod
    def count(cls, table: ir.Table, text: ir.StringValue, *, unit: str | None) -> TextTimes:
        """Count the kinds of ``text`` (trimmed) in one pass over ``table``."""
        present = text.notnull() & (text != "")
        numeric = present & text.re_search(_NUMERIC_TEXT)
        iso = present & ~numeric & _iso_text(text).notnull()
        fits = numeric if unit else numeric & _fits_a_unit(text.try_cast("float64"))
        got = table.aggregate(
            n=present.sum(), num=numeric.sum(), iso=iso.sum(), fit=fits.fill_null(False).sum()
        ).to_pandas()
        n, num, iso_n, fit = (int(got[c].fillna(0).iloc[0]) for c in ("n", "num", "iso", "fit"))
        return cls(n, num, iso_n, fit)

    @property
    def epochs(self) -> bool:
        return self.numbers * 2 > self.nonblank

    @property
    def neither(self) -> int:
        """Values that are neither numbers nor ISO 8601 text: unparseable."""
        return self.nonblank - self.numbers - self.iso


def _format_note(column: str, how: str, kinds: TextTimes) -> Finding:
    """The "time format" line: the reading chosen, and how many values followed it (its
    ``rows``), out of how many, and what became of the others."""
    followed = kinds.numbers if kinds.epochs else kinds.iso
    parts = [f"{how}: {followed:,} of {kinds.nonblank:,} values"]
    if kinds.epochs and kinds.iso:
        parts.append(f"{kinds.iso:,} ISO 8601 text read as such")
    if not kinds.epochs and kinds.numbers:
        parts.append(f"{kinds.fitting:,} of {_count(kinds.numbers, 'number')} read as epochs")
        if kinds.fitting < kinds.numbers:
            misfits = kinds.numbers - kinds.fitting
            parts.append(f"{misfits:,} fitting no epoch unit (unparseable)")
    if kinds.neither:
        parts.append(f"{kinds.neither:,} neither a number nor ISO 8601 text (unparseable)")
    return Finding("time format", column, followed, "noted", "; ".join(parts))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _iso_text(text: ir.StringValue) -> ir.TimestampValue:
    """ISO 8601 text (trimmed) as a timestamp: with or without an offset (attached or after
    a space); NULL where the text is not one."""
    return ibis.coalesce(
        text.try_cast(EVENT_TIME_TYPE), _offset_attached(text).try_cast(EVENT_TIME_TYPE)
    )


#: Plausible epoch times for reading a stray number by its magnitude: 1973 to 5138 (the
#: range in which :func:`infer_epoch_unit` separates the units), in microseconds.
_FIT_US = (1e14, 1e17)


def _fitting_epoch(number: ir.FloatingValue) -> ir.TimestampValue:
    """Each number as an epoch in the one unit that puts it between 1973 and 5138 (the units
    are a factor of 1000 apart, so at most one does); NULL when none does."""
    cases = [(_fits(number, factor), epoch_to_time(number, u)) for u, factor in EPOCH_UNITS.items()]
    return ibis.cases(*cases, else_=ibis.null(EVENT_TIME_TYPE))


def _fits(number: ir.FloatingValue, factor: float) -> ir.BooleanValue:
    lo, hi = _FIT_US
    micros = number.abs() * factor
    return (micros >= lo) & (micros < hi)


def _fits_a_unit(number: ir.FloatingValue) -> ir.BooleanValue:
    lo, hi = _FIT_US
    return (number.abs() >= lo / EPOCH_UNITS["s"]) & (number.abs() < hi / EPOCH_UNITS["ns"])


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


def _epoch(number: ir.NumericValue, *, unit: str | None) -> tuple[ir.TimestampValue, str]:
    """Epoch numbers as UTC instants in ``unit`` (inferred from their median magnitude when
    None), and how they were read, for the report."""
    if unit is None:
        sample = number.name("_v").as_table().limit(UNIT_SAMPLE)
        median = sample._v.abs().approx_median().to_pandas()
        unit = infer_epoch_unit(float(median) if median == median and median is not None else 0.0)
        how = f"epoch {_UNIT_NAMES[unit]} (inferred from magnitude; pass time_unit= to override)"
    else:
        how = f"epoch {_UNIT_NAMES.get(unit, unit)} (time_unit={unit!r})"
    return epoch_to_time(number, unit), how


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


def _no_decimals(table: ir.Table, text: ir.StringValue, numeric: ir.BooleanValue) -> bool:
    """Whether no number of ``text`` has decimals (so all are read exactly, as integers)."""
    has_point = (numeric & text.contains(".")).fill_null(False)
    return not bool(table.aggregate(x=has_point.any()).to_pandas().x.iloc[0])


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
    """Whether a value is a spelling of "no value" (:data:`~journeylib.engine.schema.PLACEHOLDERS`,
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
    text numbers are written (:func:`journeylib.engine.read.decimals.number_styles`; None: a plain
    cast).
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
