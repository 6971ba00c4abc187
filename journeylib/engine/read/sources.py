"""Source adapters: bring a file, a glob of files or a DataFrame onto a backend as-is.

This is the only engine module that knows file formats. It adds ``row_id`` (the position of
each record in the source, across files in sorted order) and collects CSV lines that could not
be parsed, so that :mod:`journeylib.engine.read.events` can count them. Nothing here changes a
value.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from ibis.backends import BaseBackend

from ..backend import is_spark
from ..cleaning import DataError
from ..schema import ROW_ID
from . import files as opening
from .source_files import (  # noqa: F401  (handed on: sources.RawSource, ...)
    CSV_SUFFIXES,
    DELIMITERS,
    PARQUET_SUFFIXES,
    RESERVED,
    RawSource,
    csv_delimiter,
    expand_paths,
    frame_to_arrow,
    kept_lines,
    null_columns_as_text,
    rename_reserved,
    source_kind,
    table_label,
    value_kinds,
)


def load(
    source: str | os.PathLike | pd.DataFrame,
    con: BaseBackend,
    *,
    string_columns: Iterable[str] = (),
    encoding: str = "utf-8",
) -> RawSource:
    """Load ``source`` onto ``con`` with a ``row_id`` column.

    Parameters
    ----------
    source
        A pandas DataFrame, or a path / folder / glob of CSV (optionally gzipped) or Parquet files.
    con
        The backend to load onto.
    string_columns
        Columns to read as text from CSV (ids and times, so that "007" stays "007").
    encoding
        Text encoding of CSV files; a file not in it is a DataError naming the line.
    """
    if isinstance(source, ir.Table):
        return load_table(source)
    if is_spark(con):
        from . import spark as sources_spark

        return sources_spark.load(source, con, string_columns=string_columns, encoding=encoding)
    if isinstance(source, pd.DataFrame):
        return _load_dataframe(source, con)
    files = expand_paths(source)
    label = os.fspath(source)
    kinds = {source_kind(f) for f in files}
    if len(kinds) != 1:
        raise DataError(f"{label}: mixes CSV and Parquet files ({files[:3]}...); use one format")
    if kinds == {"parquet"}:
        return _load_parquet(files, label, con)
    return _load_csv(files, label, con, set(string_columns), encoding)


def load_table(table: ir.Table) -> RawSource:
    """Use a table already on a backend (a BigQuery GA4 export, a Spark or DuckDB table).

    A warehouse table has no row order, so ``row_id`` numbers the rows in the order of all
    their columns: deterministic, and rows that tie on every column are identical anyway.
    """
    reserved = {f"{c}_source": c for c in RESERVED if c in table.columns}
    table = table.rename(reserved) if reserved else table
    number = ibis.row_number().over(order_by=[table[c] for c in table.columns])
    return RawSource(table=table.mutate(**{ROW_ID: number.cast("int64")}), label=table_label(table))


def _load_dataframe(frame: pd.DataFrame, con: BaseBackend) -> RawSource:
    data, notes = frame_to_arrow(frame)
    data = null_columns_as_text(rename_reserved(data))
    data = data.append_column(ROW_ID, pa.array(np.arange(len(frame), dtype="int64")))
    table = _to_backend(con, data)
    return RawSource(table=table, label="<DataFrame>", notes=notes)


def _load_parquet(files: list[str], label: str, con: BaseBackend) -> RawSource:
    counts = np.array([opening.parquet_rows(f, files) for f in files], dtype="int64")
    files = [os.path.abspath(f) for f in files]
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype("int64")
    raw = con.read_parquet(files, filename="_jl_file", file_row_number=True)
    reserved = {f"{c}_source": c for c in RESERVED if c in raw.columns}
    raw = raw.rename(reserved) if reserved else raw
    if len(files) == 1:
        table = raw.mutate(**{ROW_ID: raw.file_row_number.cast("int64")})
        return RawSource(
            table.drop("_jl_file", "file_row_number"), label, files, offsets, kind="parquet"
        )
    starts = ibis.memtable({"_jl_file": files, "_jl_offset": offsets.tolist()})
    joined = raw.join(starts, "_jl_file")
    table = joined.mutate(
        **{ROW_ID: (joined._jl_offset + joined.file_row_number).cast("int64")}
    ).drop("_jl_file", "_jl_offset", "file_row_number")
    if int(table.count().to_pandas()) != int(counts.sum()):
        raise DataError(f"{label}: could not number the rows of its {len(files)} Parquet files")
    return RawSource(table=table, label=label, files=files, offsets=offsets, kind="parquet")


def _load_csv(
    files: list[str], label: str, con: BaseBackend, strings: set[str], encoding: str
) -> RawSource:
    parts, bad = [], []
    for path in files:
        data, bad_here = _read_csv_file(path, strings, encoding, files)
        parts.append(data)
        bad.extend(bad_here)
    names = [p.schema.names for p in parts]
    for path, cols in zip(files, names, strict=True):
        if cols != names[0]:
            raise DataError(f"{path}: columns {cols} differ from {files[0]}'s {names[0]}")
    counts = np.array([p.num_rows for p in parts], dtype="int64")
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype("int64")
    data = pa.concat_tables(parts, promote_options="permissive")
    data = null_columns_as_text(rename_reserved(data))
    data = data.append_column(ROW_ID, pa.array(np.arange(data.num_rows, dtype="int64")))
    table = _to_backend(con, data)
    return RawSource(table, label, files, offsets, bad, kind="csv")


#: Arrow's CSV block size (bytes) when a field is longer than the default block (1 MB):
#: each read is tried again with the next size until the longest field fits.
BLOCK_SIZES = (1 << 20, 1 << 24, 1 << 28)


def _read_csv_file(
    path: str, strings: set[str], encoding: str = "utf-8", files: Iterable[str] = ()
) -> tuple[pa.Table, list]:
    """Read one CSV; unparseable lines are skipped and returned with their line numbers.

    A field longer than the reader's block is read with a larger block (up to 256 MB); a file
    that is not text in ``encoding`` is a DataError naming the line and the column."""
    files = list(files) or [path]
    opening.check_encoding(path, encoding, files)
    delimiter = csv_delimiter(path)
    bad: list[tuple[str, int | None, str]] = []
    block = BLOCK_SIZES[0]

    def keep_bad(row: pacsv.InvalidRow) -> str:
        bad.append((path, row.number, row.text[:200]))
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=threads, encoding=encoding, block_size=block
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=keep_bad),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in strings},
                strings_can_be_null=True,
                null_values=[""],  # "n/a", "NULL", ... stay text: counted where read
            ),
        )

    for block in BLOCK_SIZES:
        try:
            data = read(threads=True)
            if bad:  # line numbers are only known on a single-threaded read
                bad.clear()
                data = read(threads=False)
            return data, bad
        except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
            if "straddling" in str(exc) and block < BLOCK_SIZES[-1]:
                bad.clear()
                continue  # a field longer than the block: read again with a larger one
            if "UTF8" in str(exc) or isinstance(exc, UnicodeDecodeError):
                raise (
                    opening.encoding_error(path, encoding, files) or _csv_error(path, exc)
                ) from exc
            raise _csv_error(opening.where(path, files), exc) from exc
    raise AssertionError("unreachable")  # the last block size returns or raises


def _csv_error(name: str, exc: Exception) -> DataError:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "straddling" in reason:
        reason = f"a field is longer than {BLOCK_SIZES[-1] >> 20} MB"
    return DataError(f"{name}: cannot be read as CSV ({reason}).")


def peek_columns(
    source: str | os.PathLike | pd.DataFrame,
    con: BaseBackend | None = None,
    *,
    encoding: str = "utf-8",
) -> list[str]:
    """The column names of ``source`` (first file's header or schema), without reading rows.

    A path Spark reads from another file system (``s3a://``, ``hdfs://``) is asked of Spark.
    """
    if isinstance(source, pd.DataFrame | ir.Table):
        return [str(c) for c in source.columns]
    if con is not None and is_spark(con):
        from . import spark as sources_spark

        if not sources_spark.is_local(os.fspath(source)):
            return sources_spark.peek_columns(os.fspath(source), con)
    files = expand_paths(source)
    first = files[0]
    if source_kind(first) == "parquet":
        return list(opening.parquet_schema(first).names)
    opening.check_encoding(first, encoding, files)
    parse = pacsv.ParseOptions(delimiter=csv_delimiter(first), invalid_row_handler=lambda _: "skip")
    for block in (1 << 16, *BLOCK_SIZES[1:]):
        read = pacsv.ReadOptions(block_size=block, encoding=encoding)
        try:
            return list(pacsv.open_csv(first, parse_options=parse, read_options=read).schema.names)
        except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
            if "straddling" in str(exc) and block < BLOCK_SIZES[-1]:
                continue  # a long field in the first block: look at a larger one
            raise _csv_error(opening.where(first, files), exc) from exc
    raise AssertionError("unreachable")  # the last block size returns or raises


def _to_backend(con: BaseBackend, data: pa.Table) -> ir.Table:
    """Copy an Arrow table into a temporary table on ``con``.

    Goes through ``ibis.memtable``: with ibis 12 and sqlglot 30, ``create_table`` given a raw
    Arrow table or DataFrame emits an invalid ``DROP VIEW IF EXISTS`` on DuckDB.
    """
    return con.create_table(ibis.util.gen_name("jl_source"), ibis.memtable(data), temp=True)
