"""Times of every Parquet/Arrow type made readable: any unit, with or without a zone.

DuckDB reads most Parquet time types (seconds to nanoseconds, with or without a zone) as
timestamps ibis knows; a time with a zone in nanoseconds (pandas' default for zone-aware
times, ``timestamp[ns, tz=UTC]``) it reads as ``TIMESTAMPTZ_NS``, a type ibis knows only by
name. Such columns become UTC timestamps in microseconds (journeylib's resolution): the
same instants, the nanoseconds dropped. Spark refuses nanosecond Parquet times unless told to
read them as numbers: :func:`read_spark_parquet` does, and turns them back into times.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import EVENT_TIME_TYPE


def readable_times(table: ir.Table) -> ir.Table:
    """``table`` with every column of a time type ibis does not know cast to a UTC
    timestamp (:data:`~journeylib.engine.schema.EVENT_TIME_TYPE`); unchanged when there is none."""
    casts = {
        name: table[name].cast(EVENT_TIME_TYPE)
        for name, kind in table.schema().items()
        if is_unknown_time(kind)
    }
    return table.mutate(**casts) if casts else table


def is_unknown_time(kind) -> bool:
    """Whether an ibis type is one ibis knows only by its backend name and that name is a
    timestamp's (DuckDB's ``TIMESTAMPTZ_NS``, ``TIMESTAMP WITH TIME ZONE`` variants)."""
    if not kind.is_unknown():
        return False
    return "TIMESTAMP" in str(getattr(kind, "raw_type", "")).upper()


#: Spark's switch that reads Parquet nanosecond times (which it otherwise refuses: "Illegal
#: Parquet type: INT64 (TIMESTAMP(NANOS,true))") as their epoch number.
SPARK_NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"


def nanosecond_columns(path: str) -> list[str]:
    """The top-level columns of a local Parquet file whose type is a time in nanoseconds
    ([] when the file cannot be read here, e.g. a remote path)."""
    parsed = urlparse(path)
    try:
        schema = pq.read_schema(unquote(parsed.path) if parsed.scheme == "file" else path)
    except (OSError, pa.ArrowInvalid):
        return []
    return [f.name for f in schema if pa.types.is_timestamp(f.type) and f.type.unit == "ns"]


def read_spark_parquet(spark: Any, paths: list[str]) -> Any:
    """``spark.read.parquet(*paths)`` that also reads nanosecond times: they are read as
    their epoch number (:data:`SPARK_NANOS_AS_LONG`, set on the session from then on) and
    turned into Spark timestamps, floored to the microsecond as DuckDB does."""
    nanos = nanosecond_columns(paths[0]) if paths else []
    if not nanos:
        return spark.read.parquet(*paths)
    from pyspark.sql import functions as F

    spark.conf.set(SPARK_NANOS_AS_LONG, "true")
    df = spark.read.parquet(*paths)
    micros = {c: F.expr(f"timestamp_micros(div(`{c}` - pmod(`{c}`, 1000), 1000))") for c in nanos}
    return df.withColumns(micros)
