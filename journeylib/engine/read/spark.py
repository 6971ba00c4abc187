"""Source adapter for Spark: bring files or a DataFrame onto a Spark backend as-is.

The Spark twin of :mod:`journeylib.engine.read.sources` (the only other module that knows file
formats). Spark reads the files itself (Parquet and CSV; a file, a folder or a glob, local or on any
file system Spark can reach), so the data never passes through pandas. ``row_id`` is the
record's position in the source, across files in sorted order, as on DuckDB:

- Parquet: Spark's ``_metadata.row_index`` plus the number of rows of the files before;
- CSV: Spark numbers rows per partition (``monotonically_increasing_id``); a file split is read
  by one partition in order, so (file, split start, id) gives the source order, and a small
  table of split offsets turns it into a position.

CSV lines Spark cannot parse (``PERMISSIVE`` mode with a corrupt-record column) are counted
and removed. Spark and Arrow disagree on what is malformed: Spark fills a line with too few
fields with NULLs and drops surplus fields, and flags a line only when a value does not fit
its column's type; Arrow (DuckDB path) rejects any line whose field count differs from the
header. Spark does not report line numbers: a malformed line's number is its record number
plus 2 (exact unless quoted fields span lines), and ``row_id`` keeps a gap where it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd
import pyarrow as pa
from ibis.backends import BaseBackend

from ..backend import spark_session
from ..cleaning import DataError
from ..schema import ROW_ID
from . import file_times
from . import files as opening
from .source_files import (
    CSV_SUFFIXES,
    RESERVED,
    RawSource,
    csv_delimiter,
    expand_paths,
    frame_to_arrow,
    null_columns_as_text,
    rename_reserved,
    source_kind,
)

_FILE, _BLOCK, _MONO, _CORRUPT = "_jl_file", "_jl_block", "_jl_mono", "_jl_corrupt"


def load(
    source: str | os.PathLike | pd.DataFrame,
    con: BaseBackend,
    *,
    string_columns: Iterable[str] = (),
    encoding: str = "utf-8",
) -> RawSource:
    """Load ``source`` onto the Spark backend ``con`` with a ``row_id`` column.

    Same contract as :func:`journeylib.engine.read.sources.load`. Local files are checked first as
    on DuckDB: a Parquet file's footer, and the first megabyte of a CSV file for its encoding
    (Spark itself would read bytes that are not text as replacement characters).
    """
    spark = spark_session(con)
    if isinstance(source, pd.DataFrame):
        return _load_dataframe(source, con, spark)
    label = os.fspath(source)
    paths, kind = files_and_kind(label)
    local = [_local(p) for p in paths if is_local(p)]
    if kind == "parquet":
        for path in local:
            opening.parquet_rows(path, local)
        return _load_parquet(spark, con, paths, label)
    for path in local:
        opening.check_encoding(path, encoding, local)
    return _load_csv(spark, con, paths, label, set(string_columns), encoding)


def is_local(source: str) -> bool:
    """Whether ``source`` names local files (no URI scheme such as ``s3a://`` or ``hdfs://``)."""
    scheme = urlparse(source).scheme
    return scheme in ("", "file") or len(scheme) == 1  # "C:" on Windows


def files_and_kind(source: str) -> tuple[list[str], str]:
    """The files to hand to Spark and their format (``"parquet"`` or ``"csv"``).

    Local paths are expanded as on DuckDB (same files, same order); a remote path is handed to
    Spark as it is, its format taken from its suffix (Parquet unless it names CSV).
    """
    if is_local(source):
        files = expand_paths(source)
        kinds = {source_kind(f) for f in files}
        if len(kinds) != 1:
            raise DataError(f"{source}: mixes CSV and Parquet files; use one format")
        return [os.path.abspath(f) for f in files], kinds.pop()
    kind = "csv" if source.lower().rstrip("/*").endswith(CSV_SUFFIXES) else "parquet"
    return [source], kind


def peek_columns(source: str, con: BaseBackend) -> list[str]:
    """Column names of a remote source, from Spark's reading of its schema."""
    paths, kind = files_and_kind(source)
    reader = spark_session(con).read
    if kind == "parquet":
        return list(reader.parquet(*paths).columns)
    return list(reader.options(header=True, sep=_sep(paths[0])).csv(paths).columns)


def _local(path: str) -> str:
    parsed = urlparse(path)
    return unquote(parsed.path) if parsed.scheme == "file" else path


def _view(con: BaseBackend, df: Any, prefix: str) -> Any:
    import ibis

    name = ibis.util.gen_name(prefix)
    df.createOrReplaceTempView(name)
    return con.table(name)


def _load_dataframe(frame: pd.DataFrame, con: BaseBackend, spark: Any) -> RawSource:
    data, notes = frame_to_arrow(frame)
    data = null_columns_as_text(rename_reserved(data))
    data = data.append_column(ROW_ID, pa.array(np.arange(len(frame), dtype="int64")))
    rows = data.to_pandas()
    for name, column in zip(data.column_names, data.columns, strict=True):
        # missing values as None: from to_pandas() Spark would store a missing text as the
        # string "NaN" and a missing float as NaN, and refuse an integer column with gaps
        if column.null_count and not pa.types.is_timestamp(column.type):
            rows[name] = pd.Series(column.to_pylist(), dtype=object)
    df = spark.createDataFrame(rows, schema=_spark_schema(data.schema)).cache()
    return RawSource(table=_view(con, df, "jl_source"), label="<DataFrame>", notes=notes)


def _spark_schema(schema: pa.Schema) -> Any:
    import ibis
    from ibis.backends.pyspark.datatypes import PySparkSchema

    return PySparkSchema.from_ibis(ibis.Schema.from_pyarrow(schema))


def _offsets(counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows per (file, ...) in source order, with the number of rows before each."""
    counts = counts.assign(_path=counts[_FILE].map(_local)).sort_values(["_path", *keys[1:]])
    counts["_offset"] = counts["n"].cumsum() - counts["n"]
    return counts.reset_index(drop=True)


def _file_offsets(table: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    first = table.groupby("_path", sort=True)["_offset"].min()
    return list(first.index), first.to_numpy(dtype="int64")


def _load_parquet(spark: Any, con: BaseBackend, paths: list[str], label: str) -> Any:
    from pyspark.sql import functions as F

    df = file_times.read_spark_parquet(spark, paths)
    df = _rename_reserved(df).select(
        "*",
        F.col("_metadata.file_path").alias(_FILE),
        F.col("_metadata.row_index").alias("_jl_index"),
    )
    counts = df.groupBy(_FILE).agg(F.count(F.lit(1)).alias("n")).toPandas()
    table = _offsets(counts, [_FILE])
    starts = spark.createDataFrame(table[[_FILE, "_offset"]])
    joined = df.join(F.broadcast(starts), _FILE)
    out = joined.withColumn(ROW_ID, (F.col("_offset") + F.col("_jl_index")).cast("long"))
    out = out.drop(_FILE, "_jl_index", "_offset").cache()
    files, offsets = _file_offsets(table)
    return RawSource(_view(con, out, "jl_source"), label, files, offsets, kind="parquet")


def _rename_reserved(df: Any) -> Any:
    for name in RESERVED:
        if name in df.columns:
            df = df.withColumnRenamed(name, f"{name}_source")
    return df


def _sep(path: str) -> str:
    """The field separator: of the header line for a local file (``;`` in decimal-comma
    exports, as :func:`journeylib.engine.read.sources.csv_delimiter` finds it on DuckDB), else tab
    for ``.tsv`` and a comma."""
    if is_local(path):
        return csv_delimiter(_local(path))
    return "\t" if ".tsv" in path.lower() else ","


def _csv_schema(spark: Any, paths: list[str], strings: set[str], encoding: str) -> Any:
    """Spark's inferred schema, with ids and times as text and 64-bit integers (as Arrow)."""
    from pyspark.sql import types as T

    reader = spark.read.options(
        header=True, sep=_sep(paths[0]), inferSchema=True, encoding=encoding
    )
    fields = []
    for f in reader.csv(paths).schema.fields:
        kind = f.dataType
        if f.name in strings:
            kind = T.StringType()
        elif isinstance(kind, T.IntegerType):
            kind = T.LongType()
        fields.append(T.StructField(f.name, kind, True))
    return T.StructType([*fields, T.StructField(_CORRUPT, T.StringType(), True)])


def _load_csv(
    spark: Any, con: BaseBackend, paths: list[str], label: str, strings: set[str], encoding: str
) -> Any:
    from pyspark.sql import functions as F

    charset = opening.spark_encoding(encoding)
    reader = spark.read.options(
        header=True,
        sep=_sep(paths[0]),
        mode="PERMISSIVE",
        columnNameOfCorruptRecord=_CORRUPT,
        encoding=charset,
    )
    schema = _csv_schema(spark, paths, strings, charset)
    df = _rename_reserved(reader.schema(schema).csv(paths))
    df = df.select(
        "*",
        F.col("_metadata.file_path").alias(_FILE),
        F.col("_metadata.file_block_start").alias(_BLOCK),
        F.monotonically_increasing_id().alias(_MONO),
    ).cache()  # the ids must not change between the two uses below
    blocks = df.groupBy(_FILE, _BLOCK).agg(F.count(F.lit(1)).alias("n"), F.min(_MONO).alias("m0"))
    table = _offsets(blocks.toPandas(), [_FILE, _BLOCK])
    starts = spark.createDataFrame(table[[_FILE, _BLOCK, "_offset", "m0"]])
    joined = df.join(F.broadcast(starts), [_FILE, _BLOCK])
    rid = (F.col("_offset") + F.col(_MONO) - F.col("m0")).cast("long")
    numbered = joined.withColumn(ROW_ID, rid).drop(_BLOCK, _MONO, "_offset", "m0").cache()
    files, offsets = _file_offsets(table)
    bad = numbered.filter(F.col(_CORRUPT).isNotNull())
    n_bad = bad.count()
    shown = bad.orderBy(ROW_ID).select(ROW_ID, _FILE, _CORRUPT).limit(5).toPandas()
    examples = [
        (_local(f), int(r - offsets[files.index(_local(f))]) + 2, str(text)[:200])
        for r, f, text in shown.itertuples(index=False)
    ]
    good = numbered.filter(F.col(_CORRUPT).isNull()).drop(_CORRUPT, _FILE)
    return RawSource(
        _view(con, good, "jl_source"),
        label,
        files,
        offsets,
        examples,
        kind="csv-numbered",
        n_bad_lines=n_bad,
    )
