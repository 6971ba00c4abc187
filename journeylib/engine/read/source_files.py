"""What both engines' source adapters know of a source: its kind, its files, its CSV delimiter.

:mod:`journeylib.engine.read.sources` (DuckDB) and :mod:`journeylib.engine.read.spark` read
through these, so that a file is recognised, listed and named the same way on either engine.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from ..cleaning import DataError, Finding
from ..schema import ROW_ID, SESSION_KEY, USER_KEY

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


def table_label(table: ir.Table) -> str:
    """The table's name, or ``"<table>"`` for an expression without one."""
    try:
        return table.get_name()
    except Exception:  # a filtered or joined expression has no name
        return "<table>"


def source_kind(path: str) -> str:
    name = path.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    raise DataError(f"{path}: unknown file type; journeylib reads .csv, .csv.gz and .parquet")


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
        Finding(
            "mixed value types", str(c), _non_text(frame[c]), "read as text", value_kinds(frame[c])
        )
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


def value_kinds(values: pd.Series) -> str:
    kinds = values[values.notna()].map(lambda v: type(v).__name__).value_counts()
    return ", ".join(f"{n:,} {kind}" for kind, n in kinds.items())


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


def null_columns_as_text(data: pa.Table) -> pa.Table:
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


def rename_reserved(data: pa.Table) -> pa.Table:
    """Columns named like the engine's own (``row_id``, ``user_key``, ``session_key``) get a
    ``_source`` suffix.

    This lets a frame that came out of an EventLog be read again.
    """
    names = [f"{n}_source" if n in RESERVED else n for n in data.schema.names]
    return data.rename_columns(names)
