"""Order-sensitive aggregates that every backend can run.

``value.first(order_by=...)`` is DuckDB's (and BigQuery's) ordered aggregate; Spark SQL has
none, and ibis refuses to compile it there. :func:`first_in_order` keeps the ordered
aggregate where it exists (DuckDB plans are unchanged) and otherwise writes the same thing as
``min_by(value, struct(keys...))``: the value on the row with the smallest key tuple, which is
the first row in key order because structs compare field by field. :func:`last_in_order`
is its mirror (``max_by``), and :func:`concat_in_order` joins a column's values in key order
(``group_concat(order_by=...)``; on Spark a sorted ``collect_list`` of structs).

:func:`epoch_us` gives an instant as integer microseconds since 1970 on every backend, so
that order keys, windows and durations can be plain integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.rules as rlz
import ibis.expr.types as ir
from ibis.backends.sql.compilers.base import SQLGlotCompiler
from ibis.backends.sql.compilers.duckdb import DuckDBCompiler

from .backend import backend_of

#: Backends without ordered aggregates (``first(order_by=...)``, ``group_concat(order_by=...)``).
NO_ORDERED_AGGREGATES = frozenset({"spark"})


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
    return _pick(value, order, last=False, include_null=include_null, where=where)


def last_in_order(
    value: ir.Value,
    order: ir.Value | Sequence[ir.Value],
    *,
    include_null: bool = True,
    where: ir.BooleanValue | None = None,
) -> ir.Scalar:
    """The value of the last row in ``order`` (the largest key tuple); see :func:`first_in_order`.

    Written as ``first(order_by=<keys descending>)`` where ordered aggregates exist, and as
    ``max_by(value, struct(keys...))`` on Spark.
    """
    return _pick(value, order, last=True, include_null=include_null, where=where)


def _pick(
    value: ir.Value,
    order: ir.Value | Sequence[ir.Value],
    *,
    last: bool,
    include_null: bool,
    where: ir.BooleanValue | None,
) -> ir.Scalar:
    """The first (or ``last``) row's value: ordered ``first`` or ``min_by``/``max_by``."""
    keys = [order] if isinstance(order, ir.Value) else list(order)
    if backend_of(value) not in NO_ORDERED_AGGREGATES:
        by = [k.desc() for k in keys] if last else keys
        return value.first(order_by=by, include_null=include_null, where=where)
    cond = where
    if not include_null:
        cond = value.notnull() if cond is None else cond & value.notnull()
    pick = value.argmax if last else value.argmin
    return pick(_key(keys), where=cond)


def concat_in_order(
    value: ir.StringValue,
    order: ir.Value | Sequence[ir.Value],
    sep: str,
    *,
    where: ir.BooleanValue | None = None,
) -> ir.StringScalar:
    """The non-NULL values joined by ``sep`` in ``order`` (ascending keys); NULL when none.

    ``group_concat(sep, order_by=...)`` where ordered aggregates exist (DuckDB's
    ``string_agg``, BigQuery's ``STRING_AGG ... ORDER BY``). Spark has no ordered string
    aggregate: there the rows are collected as structs ``(keys..., value)``, the array is
    sorted (structs compare field by field, so by the keys) and its values joined
    (``array_join(transform(array_sort(collect_list(...)), ...))``), all inside Spark.
    """
    keys = [order] if isinstance(order, ir.Value) else list(order)
    if backend_of(value) not in NO_ORDERED_AGGREGATES:
        return value.group_concat(sep, order_by=keys, where=where)
    cond = value.notnull() if where is None else where & value.notnull()
    fields = {f"k{i}": k for i, k in enumerate(keys)} | {"v": value}
    rows = ibis.struct(fields).collect(where=cond)
    return rows.sort().map(lambda row: row.v).join(sep)


def _key(keys: list[ir.Value]) -> ir.Value:
    return keys[0] if len(keys) == 1 else ibis.struct({f"k{i}": k for i, k in enumerate(keys)})


class EpochMicros(ops.Value):
    """Microseconds since 1970-01-01 UTC of a timestamp, as int64."""

    arg: ops.Value[dt.Timestamp]
    dtype = dt.int64
    shape = rlz.shape_like("arg")


# Spark SQL (3.1+) and BigQuery spell it UNIX_MICROS, DuckDB EPOCH_US.
SQLGlotCompiler.visit_EpochMicros = lambda self, op, *, arg: self.f.unix_micros(arg)
DuckDBCompiler.visit_EpochMicros = lambda self, op, *, arg: self.f.epoch_us(arg)


def epoch_us(value: ir.TimestampValue) -> ir.IntegerValue:
    """``value`` as integer microseconds since 1970-01-01 UTC (exact; NULL stays NULL).

    Comparing, adding a window to, or subtracting these integers is cheaper than the same on
    time-zone-aware timestamps (DuckDB does interval arithmetic and ``date_diff`` on them
    through its calendar), and means the same on every backend.
    """
    return EpochMicros(value).to_expr()
