"""Numbers written as text in a locale's style: decimal commas and thousands separators.

European exports (often ``;``-separated) write ``"12,50"`` and ``"1.234,50"``; US ones
``"1,234.50"``. A plain cast reads neither. :func:`number_styles` decides, per text column,
which convention it follows, and :func:`read_number_text` reads it so.

The rule (per column, over all its values):

- **decimal comma** when some value can only be a decimal-comma number (``"12,50"``,
  ``"0,99"``, ``"1.234,50"``, ``"1.234.567"``) and no value can only be a decimal-point one
  (``"12.50"``, ``"0.125"``, ``"1,234.50"``, ``"1,234,567"``); a column with neither kind of
  value follows the log's other numeric columns when they are decimal-comma and none is
  decimal-point. Its values are then read with ``,`` as the decimal mark and ``.`` as the
  thousands separator: ``"1.234,50"`` is 1234.5, ``"1,234"`` 1.234 and ``"1.234"`` 1234.
- **decimal point** otherwise (the default): ``,`` is a thousands separator where it groups
  digits in threes (``"1,234"`` and ``"1,234.50"`` are 1234 and 1234.5); other values with a
  comma stay unreadable.

A log whose only comma values are ``"1,234"``-like (one to three digits, a comma, three
digits) is ambiguous; it is read as thousands: an amount with exactly three decimals is
rare, and a decimal-comma export nearly always has a value with one or two decimals
(``"12,50"``) that settles it. Every value read differently from a plain cast is counted in
the cleaning report, with examples, under the convention chosen.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

#: Values only a decimal-comma locale writes.
COMMA_ONLY = (
    r"^-?([1-9][0-9]{0,2}(\.[0-9]{3})+,[0-9]+|[1-9][0-9]{0,2}(\.[0-9]{3}){2,}"
    r"|[0-9]+,([0-9]{1,2}|[0-9]{4,})|(0[0-9]*|[0-9]{4,}),[0-9]{3})$"
)
#: Values only a decimal-point locale writes.
POINT_ONLY = (
    r"^-?([1-9][0-9]{0,2}(,[0-9]{3})+\.[0-9]+|[1-9][0-9]{0,2}(,[0-9]{3}){2,}"
    r"|[0-9]+\.([0-9]{1,2}|[0-9]{4,})|(0[0-9]*|[0-9]{4,})\.[0-9]{3})$"
)
#: A decimal-comma number with optional '.' thousands separators.
COMMA_NUMBER = r"^-?([0-9]+|[1-9][0-9]{0,2}(\.[0-9]{3})+)(,[0-9]+)?$"
#: A decimal-point number with ',' thousands separators.
POINT_GROUPED = r"^-?[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]+)?$"

COMMA, POINT = "decimal comma", "decimal point"


def number_styles(table: ir.Table, columns: list[str]) -> dict[str, str]:
    """The convention of each text column of ``columns``: :data:`COMMA` or :data:`POINT`
    (one pass over the table for all of them).

    A column with a value only a decimal-comma locale writes, and none only a decimal-point
    locale writes, is :data:`COMMA`; a column with neither kind (only plain numbers and
    ``"1,234"``-like values) follows the log: :data:`COMMA` when another column is and no
    column has a decimal-point-only value (a log is exported in one locale, so ``"1.000"``
    next to ``"12,50"`` is a thousand). Every other column is :data:`POINT`.
    """
    if not columns:
        return {}
    sums = {}
    for i, c in enumerate(columns):
        text = table[c].strip()
        sums[f"c{i}"] = text.re_search(COMMA_ONLY).fill_null(False).any()
        sums[f"p{i}"] = text.re_search(POINT_ONLY).fill_null(False).any()
    got = table.aggregate(**sums).to_pandas().iloc[0].fillna(False)
    comma = {c: bool(got[f"c{i}"]) for i, c in enumerate(columns)}
    point = {c: bool(got[f"p{i}"]) for i, c in enumerate(columns)}
    log_comma = any(comma.values()) and not any(point.values())
    return {c: COMMA if (comma[c] or log_comma) and not point[c] else POINT for c in columns}


def read_number_text(text: ir.StringValue, style: str) -> tuple[ir.FloatingValue, ir.BooleanValue]:
    """``text`` (trimmed, empty as NULL) as float64 in ``style``, and a flag marking the
    values read differently from a plain cast (NULL where unreadable)."""
    if style == COMMA:
        local = text.re_search(COMMA_NUMBER) & (text.contains(",") | text.contains("."))
        converted = text.replace(".", "").replace(",", ".")
    else:
        local = text.re_search(POINT_GROUPED)
        converted = text.replace(",", "")
    local = local.fill_null(False)
    value = ibis.ifelse(local, converted, text).try_cast("float64")
    return value, local
