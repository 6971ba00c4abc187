"""Order-sensitive aggregates that every backend can run.

``value.first(order_by=...)`` is DuckDB's (and BigQuery's) ordered aggregate; Spark SQL has
none, and ibis refuses to compile it there. :func:`first_in_order` keeps the ordered
aggregate where it exists (DuckDB plans are unchanged) and otherwise writes the same thing as
``min_by(value, struct(keys...))``: the value on the row with the smallest key tuple, which is
the first row in key order because structs compare field by field.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from .backend import backend_name

#: Backends without ordered aggregates (``first(order_by=...)``, ``group_concat(order_by=...)``).
NO_ORDERED_AGGREGATES = frozenset({"spark"})


def _backend_of(value: ir.Value) -> str | None:
    try:
        return backend_name(value._find_backend())
    except Exception:  # an unbound expression (compiled for BigQuery, say)
        return None


def first_in_order(
    value: ir.Value,
    order: ir.Value | Sequence[ir.Value],
    *,
    include_null: bool = True,
    where: ir.BooleanValue | None = None,
) -> ir.Scalar:
    """The value of the first row in ``order`` (ascending keys), optionally skipping NULLs.

    Parameters
    ----------
    value
        The column to take the value from.
    order
        One key or several (ascending; ties broken by the next key).
    include_null
        ``False``: the first non-NULL value (``first(..., include_null=False)``).
    where
        Only rows where this holds count.

    Returns
    -------
    A scalar aggregate expression, the same on every backend.
    """
    keys = [order] if isinstance(order, ir.Value) else list(order)
    if _backend_of(value) not in NO_ORDERED_AGGREGATES:
        return value.first(order_by=keys, include_null=include_null, where=where)
    cond = where
    if not include_null:
        cond = value.notnull() if cond is None else cond & value.notnull()
    key = keys[0] if len(keys) == 1 else ibis.struct({f"k{i}": k for i, k in enumerate(keys)})
    return value.argmin(key, where=cond)
