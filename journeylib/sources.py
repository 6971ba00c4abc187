"""Source adapters: bring a file, a glob of files or a DataFrame onto a backend as-is.

This is the only engine module that knows file formats. It adds ``row_id`` (the position of
each record in the source, across files in sorted order) and collects CSV lines that could not
be parsed, so that :mod:`journeylib.io` can count them. Nothing here changes a value.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from ibis.backends import BaseBackend

from . import opening
from .backend import is_spark
from .cleaning import DataError, Finding
from .schema import ROW_ID, SESSION_KEY, USER_KEY

RESERVED = (ROW_ID, USER_KEY, SESSION_KEY)

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass
class RawSource:
    """A source loaded onto a backend, before mapping, typing and cleaning.

    ``files`` and ``offsets`` let a ``row_id`` be turned back into "file, row N" for
    the cleaning report; ``bad_lines`` holds (file, line number, text) of unparseable CSV lines.
    """

    table: ir.Table
    label: str
    files: list[str] = field(default_factory=list)
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype="int64"))
    bad_lines: list[tuple[str, int | None, str]] = field(default_factory=list)
    kind: str = "dataframe"
    n_bad_lines: int | None = None
    notes: list[Finding] = field(default_factory=list)

    @property
    def bad_count(self) -> int:
        """How many source lines could not be parsed (``bad_lines`` may hold only examples)."""
        return len(self.bad_lines) if self.n_bad_lines is None else self.n_bad_lines

    def describe_rows(self, row_ids: Iterable[int]) -> str:
        """Human-readable positions, e.g. ``"events.csv line 5, events.csv line 9"``."""
        out = []
        for rid in row_ids:
            if not self.files:
                out.append(f"row {int(rid) + 1}")
                continue
            i = int(np.searchsorted(self.offsets, rid, side="right") - 1)
            local = int(rid - self.offsets[i])
            name = os.path.basename(self.files[i])
            if self.kind == "csv-numbered":  # malformed lines kept their record numbers
                out.append(f"{name} line {local + 2}")
            elif self.kind == "csv":
                bad_here = [n for f, n, _ in self.bad_lines if f == self.files[i]]
                out.append(f"{name} line {int(kept_lines(np.array([local]), bad_here)[0])}")
            else:
                out.append(f"{name} row {local + 1}")
        return ", ".join(out)


def expand_paths(source: str | os.PathLike) -> list[str]:
    """The sorted list of files a path, folder or glob names; an error when there is none."""
    text = os.fspath(source)
    if os.path.isdir(text):
        files = sorted(
            str(p) for p in Path(text).iterdir() if p.name.endswith(CSV_SUFFIXES + PARQUET_SUFFIXES)
        )
    elif glob.has_magic(text):
        files = sorted(glob.glob(text))
    else:
        files = [text] if os.path.exists(text) else []
    if not files:
        raise DataError(f"{text}: no such file (or the glob/folder matches no CSV/Parquet file)")
    return files


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
        from . import sources_spark

        return sources_spark.load(source, con, string_columns=string_columns, encoding=encoding)
    if isinstance(source, pd.DataFrame):
        return _load_dataframe(source, con)
    files = expand_paths(source)
    label = os.fspath(source)
    kinds = {_kind(f) for f in files}
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


def table_label(table: ir.Table) -> str:
    """The table's name, or ``"<table>"`` for an expression without one."""
    try:
        return table.get_name()
    except Exception:  # a filtered or joined expression has no name
        return "<table>"


def _kind(path: str) -> str:
    name = path.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    raise DataError(f"{path}: unknown file type; journeylib reads .csv, .csv.gz and .parquet")


def _load_dataframe(frame: pd.DataFrame, con: BaseBackend) -> RawSource:
    data, notes = frame_to_arrow(frame)
    data = _null_columns_as_text(_rename_reserved(data))
    data = data.append_column(ROW_ID, pa.array(np.arange(len(frame), dtype="int64")))
    table = _to_backend(con, data)
    return RawSource(table=table, label="<DataFrame>", notes=notes)


def frame_to_arrow(frame: pd.DataFrame) -> tuple[pa.Table, list[Finding]]:
    """``frame`` as an Arrow table (the frame is not modified); a column of mixed Python types
    (``user_id`` with ints and strings, ``revenue`` with floats and ``"n/a"``) is read as text,
    and a noted finding per such column says so."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False), []
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    mixed = [c for c in frame.columns if frame[c].dtype == object and not _arrow_column(frame[c])]
    if not mixed:  # not a mixed-type column: say what Arrow said
        try:
            pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise DataError(f"<DataFrame>: cannot be read: {exc}") from exc
    text = frame.assign(**{str(c): frame[c].astype("string") for c in mixed})
    notes = [
        Finding("mixed value types", str(c), _non_text(frame[c]), "read as text", _kinds(frame[c]))
        for c in mixed
    ]
    return pa.Table.from_pandas(text, preserve_index=False), notes


def _arrow_column(values: pd.Series) -> bool:
    try:
        pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return False
    return True


def _non_text(values: pd.Series) -> int:
    """How many present values of an object column are not text."""
    present = values.notna()
    return int((present & ~values.map(type).eq(str)).sum())


def _kinds(values: pd.Series) -> str:
    kinds = values[values.notna()].map(lambda v: type(v).__name__).value_counts()
    return ", ".join(f"{n:,} {kind}" for kind, n in kinds.items())


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
    data = _null_columns_as_text(_rename_reserved(data))
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


#: Field separators a CSV export may use: spreadsheet exports in locales with a decimal
#: comma write ``;``, some tools ``|`` or tabs.
DELIMITERS = (",", ";", "\t", "|")


def csv_delimiter(path: str) -> str:
    """The field separator of a CSV file: tab for ``.tsv``, else the candidate of
    :data:`DELIMITERS` found most often in the header line (a comma on a tie or none).

    A ``;``-separated export read with commas is one column named ``"user_id;event;..."``,
    and every required column looks missing.
    """
    if ".tsv" in path.lower():
        return "\t"
    try:
        with pa.input_stream(path, compression="detect") as stream:
            head = stream.read(1 << 16).decode("utf-8", errors="replace")
    except (OSError, pa.ArrowInvalid):
        return ","  # the read itself reports the problem
    header = head.splitlines()[0] if head else ""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # first candidate wins ties: the comma
    return best if counts[best] > 0 else ","


def kept_lines(record_index: np.ndarray, bad_line_numbers: Iterable[int]) -> np.ndarray:
    """Map positions of parsed CSV records to file line numbers, skipping bad lines.

    Record ``k`` (0-based, header excluded) sits on line ``k + 2`` plus one for every
    unparseable line before it.
    """
    bad = np.sort(np.fromiter((b for b in bad_line_numbers if b is not None), dtype="int64"))
    shifted = bad - np.arange(len(bad))
    base = np.asarray(record_index, dtype="int64") + 2
    return base + np.searchsorted(shifted, base, side="right")


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
        from . import sources_spark

        if not sources_spark.is_local(os.fspath(source)):
            return sources_spark.peek_columns(os.fspath(source), con)
    files = expand_paths(source)
    first = files[0]
    if _kind(first) == "parquet":
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


def _null_columns_as_text(data: pa.Table) -> pa.Table:
    """Columns with no value at all (Arrow type null) become text: DuckDB cannot store them."""
    for i, f in enumerate(data.schema):
        if pa.types.is_null(f.type):
            data = data.set_column(i, f.name, pa.nulls(data.num_rows, pa.string()))
        elif pa.types.is_nested(f.type) and _text_for_null(f.type) != f.type:
            # a nested field with no value (a GA4 export's float_value read from pandas)
            data = data.set_column(i, f.name, data.column(i).cast(_text_for_null(f.type)))
    return data


def _text_for_null(kind: pa.DataType) -> pa.DataType:
    """``kind`` with every null type inside it (struct fields, list values) made text."""
    if pa.types.is_null(kind):
        return pa.string()
    if pa.types.is_struct(kind):
        return pa.struct([f.with_type(_text_for_null(f.type)) for f in kind])
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pa.list_(_text_for_null(kind.value_type))
    return kind


def _rename_reserved(data: pa.Table) -> pa.Table:
    """Columns named like the engine's own (``row_id``, ``user_key``, ``session_key``) get a
    ``_source`` suffix.

    This lets a frame that came out of an EventLog be read again.
    """
    names = [f"{n}_source" if n in RESERVED else n for n in data.schema.names]
    return data.rename_columns(names)


def _to_backend(con: BaseBackend, data: pa.Table) -> ir.Table:
    """Copy an Arrow table into a temporary table on ``con``.

    Goes through ``ibis.memtable``: with ibis 12 and sqlglot 30, ``create_table`` given a raw
    Arrow table or DataFrame emits an invalid ``DROP VIEW IF EXISTS`` on DuckDB.
    """
    return con.create_table(ibis.util.gen_name("jl_source"), ibis.memtable(data), temp=True)
