"""Control characters in names: removed from the text, and the rows counted.

A NUL byte or another control character (``\\x00``-``\\x1f``, ``\\x7f``) inside an event name, a
user id or a channel is an export glitch, never part of the name: ``"page\\x00_view"`` is
``page_view``, and left in it would make a second event (or a second customer) that no one can
see on a page. The canonical text columns (:data:`~journeylib.engine.schema.CANONICAL`) lose them;
the source's other columns are passed through as they are.
"""

from __future__ import annotations

import functools
import operator

import ibis
import ibis.expr.types as ir

from ..schema import CANONICAL
from .flags import Note

#: Control characters: C0 (tab and line breaks included) and DEL.
CONTROL = r"[\x00-\x1f\x7f]"

_FLAG, _SOURCE = "_control", "_control_source"

#: The line of the cleaning report: rows with a control character in a name.
NOTE = Note(
    _FLAG, "control characters in names", "(text)", "characters removed", _SOURCE, optional=True
)


def strip_controls(table: ir.Table) -> tuple[ir.Table, Note | None]:
    """``table`` with control characters removed from its canonical text columns, flagged
    (``_control``: some name of the row had one; ``_control_source``: the first such value,
    as it was), and the note that counts them (None when no such column is text)."""
    names = [
        c for c in CANONICAL if CANONICAL[c].is_string() and c in table.columns and _text(table[c])
    ]
    if not names:
        return table, None
    has = {c: table[c].re_search(CONTROL).fill_null(False) for c in names}
    cleaned = {c: ibis.ifelse(has[c], table[c].re_replace(CONTROL, ""), table[c]) for c in names}
    first = ibis.cases(*((has[c], table[c]) for c in names), else_=ibis.null("string"))
    flag = functools.reduce(operator.or_, has.values())
    return table.mutate(**cleaned, **{_FLAG: flag, _SOURCE: first}), NOTE


def _text(col: ir.Value) -> bool:
    return col.type().is_string()
