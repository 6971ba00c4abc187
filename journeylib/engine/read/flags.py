"""The flags :func:`journeylib.read_events` counts among the kept rows, and the typed columns
that carry them.

Each :class:`Note` is a boolean column of the flagged table and one line of the cleaning
report: numbers that could not be read, text numbers read under the decimal-comma or
thousands-separator rule (:mod:`journeylib.engine.read.decimals`), times without an offset and
those in
an hour a daylight-saving change repeats or skips (:mod:`journeylib.engine.read.localtime`).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from ..schema import CANONICAL
from . import decimals
from .coerce import is_placeholder, to_canonical_type


@dataclass(frozen=True)
class Note:
    """A flag column counted among the kept rows, reported as one line (check, column,
    action; examples show the source value of column ``value``); an ``optional`` line is
    left out of the report when no row has the flag."""

    flag: str
    check: str
    column: str
    action: str
    value: str | None = None
    optional: bool = False


def typed_values(
    table: ir.Table, *, null_placeholders: bool = False
) -> tuple[dict[str, ir.Value], list[Note]]:
    """The canonical columns other than ``event_time`` in their canonical types (with
    ``null_placeholders``, a user id that is a placeholder becomes NULL: an order line
    without customer), with the flags of the numbers that could not be read and of the text
    numbers read in a locale's style (:mod:`journeylib.engine.read.decimals`)."""
    present = [n for n in CANONICAL if n in table.columns and n != "event_time"]
    text_numbers = [n for n in present if CANONICAL[n].is_numeric() and _is_text(table[n])]
    styles = decimals.number_styles(table, text_numbers)
    typed: dict[str, ir.Value] = {}
    notes: list[Note] = []
    for name in present:
        typed[name], bad = to_canonical_type(table[name], name, style=styles.get(name))
        if bad is not None:
            typed[f"_bad_{name}"] = bad
            typed[f"_source_{name}"] = table[name]  # the unreadable value, for the report
            unreadable = f"unreadable {name}"
            notes.append(Note(f"_bad_{name}", unreadable, name, "set to null", f"_source_{name}"))
        if name in styles:
            text = table[name].strip().nullif("")
            typed[f"_local_{name}"] = decimals.read_number_text(text, styles[name])[1]
            notes.append(local_note(name, styles[name]))
    if null_placeholders and "user_id" in typed:
        placeholder = is_placeholder(table.user_id)
        typed["user_id"] = ibis.ifelse(placeholder, ibis.null("string"), typed["user_id"])
    return typed, notes


def _is_text(col: ir.Value) -> bool:
    return col.type().is_string()


def local_note(name: str, style: str) -> Note:
    """The line of text numbers in column ``name`` read in ``style`` (a thousands-separator
    line only when some value had one)."""
    if style == decimals.COMMA:
        action = "read with ',' as decimal mark, '.' as thousands separator"
        return Note(f"_local_{name}", "decimal comma", name, action, f"_source_{name}")
    action = "read with ',' as thousands separator"
    return Note(f"_local_{name}", "thousands separator", name, action, f"_source_{name}", True)


def naive_note(zone: ZoneInfo | None) -> Note:
    """The line of times without an offset: taken as UTC without ``zone`` (shown only when
    some time had no offset), else read there."""
    if zone is None:  # a line only when some time had no offset
        action = "read as UTC (pass timezone= if they are local times)"
        check = "time without offset"
        return Note("_time_naive", check, "event_time", action, "_time_source", optional=True)
    action = f"read as {zone.key} time, converted to UTC"
    return Note("_time_naive", "time without offset", "event_time", action, "_time_source")


def dst_notes() -> list[Note]:
    """The lines of wall-clock times a daylight-saving change repeats or skips (with a
    ``timezone`` only), read by the rule of :mod:`journeylib.engine.read.localtime`."""
    return [
        Note(
            "_time_repeated",
            "time in the hour repeated when clocks go back",
            "event_time",
            "read as its first occurrence (the offset before the change)",
            "_time_source",
        ),
        Note(
            "_time_skipped",
            "time in the hour skipped when clocks go forward",
            "event_time",
            "read with the offset before the change (as if the clock had not yet jumped)",
            "_time_source",
        ),
    ]
