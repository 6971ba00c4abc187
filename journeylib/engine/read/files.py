"""Files that cannot be read: a :class:`~journeylib.engine.cleaning.DataError` naming the file,
what is wrong in plain words and what to do, never a library's traceback.

- A Parquet file that is empty, cut short or not Parquet at all is found when its footer (the
  index Parquet keeps at its end) is read, before any row (:func:`parquet_rows`).
- A Parquet file whose data pages are damaged (zeroed or overwritten bytes) fails only when the
  engine reads those pages, in the middle of a query: :func:`named_errors` then checks each
  file of the source with Arrow and names the damaged one (only on that error path).
- A CSV file that is not in the expected text encoding (a Latin-1 export read as UTF-8) is
  named with the line, column and bytes where it stops being text, and the ``encoding=``
  to pass (:func:`check_encoding`, :func:`encoding_error`).
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.parquet as pq

from ..cleaning import DataError

#: How much of a CSV file the encoding check reads before the engine reads it all (DuckDB
#: reads every byte and reports any later fault the same way; Spark reads what follows with
#: replacement characters).
SNIFF_BYTES = 1 << 20
_AGAIN = "Export or copy it again"
_CHUNK = 1 << 24


def _again(files: Sequence[str]) -> str:
    return _AGAIN + (", or move it out of the folder." if len(files) > 1 else ".")


def where(path: str, files: Sequence[str]) -> str:
    """``path``, and which file of a folder or glob it is (``"b.parquet (file 2 of 3)"``)."""
    if len(files) <= 1:
        return path
    return f"{path} (file {list(files).index(path) + 1} of {len(files)})"


def parquet_rows(path: str, files: Sequence[str] = ()) -> int:
    """The number of rows of a Parquet file, from its footer; a DataError saying what is wrong
    when the file is empty, cut short or not Parquet."""
    name = where(path, files or [path])
    try:
        size = os.path.getsize(path)
        if size == 0:
            raise DataError(
                f"{name}: the file is empty (0 bytes), not a Parquet file. {_again(files)}"
            )
        return pq.ParquetFile(path).metadata.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"{name}: not a complete Parquet file ({size:,} bytes; its footer, the index Parquet "
            "writes at the end, is missing or damaged: a copy or download cut short, or not "
            f"Parquet at all). {_again(files)}"
        ) from exc


def parquet_schema(path: str) -> pa.Schema:
    """The schema of a Parquet file; the DataError of :func:`parquet_rows` when unreadable."""
    parquet_rows(path)
    return pq.read_schema(path)


def damaged_parquet(files: Sequence[str]) -> DataError | None:
    """The error for the first of ``files`` whose data Arrow cannot read, or None. Reads every
    page of every file, batch by batch: only on the error path of a read."""
    for path in files:
        try:
            for _ in pq.ParquetFile(path).iter_batches(batch_size=1 << 16):
                pass
        except (pa.ArrowException, OSError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return DataError(
                f"{where(path, files)}: part of its data is damaged and cannot be read "
                f"({reason}); the file was changed or cut after it was written. {_again(files)}"
            )
    return None


@contextmanager
def named_errors(files: Sequence[str]) -> Iterator[None]:
    """Run a read of ``files``; an error from the engine while it reads them becomes the
    DataError of the damaged Parquet file, when one of them is (otherwise it passes as it
    is). DataErrors pass through unchanged."""
    try:
        yield
    except DataError:
        raise
    except Exception as exc:
        parquet = [f for f in files if f.lower().endswith((".parquet", ".pq"))]
        local = [f for f in parquet if os.path.isfile(f)]
        broken = damaged_parquet(local) if local else None
        if broken is not None:
            raise broken from exc
        raise


def check_encoding(path: str, encoding: str, files: Sequence[str] = ()) -> None:
    """Raise the DataError of :func:`encoding_error` when the first :data:`SNIFF_BYTES` of a
    CSV file (decompressed) are not text in ``encoding``."""
    try:
        with pa.input_stream(path, compression="detect") as stream:
            head = stream.read(SNIFF_BYTES)
    except (OSError, pa.ArrowException):
        return  # the read itself reports the problem
    fault = _first_fault(head, encoding, complete=len(head) < SNIFF_BYTES)
    if fault is not None:
        raise _encoding_error(path, encoding, head, fault, files)


def encoding_error(path: str, encoding: str, files: Sequence[str] = ()) -> DataError | None:
    """The DataError for a CSV file that is not text in ``encoding``: the line, the column and
    the bytes where it stops, how they read in Latin-1/Windows-1252 and what to pass; None
    when the whole file decodes (the fault was something else)."""
    codec = _codec(encoding)
    lines, pending = 0, b""
    with pa.input_stream(path, compression="detect") as stream:
        while True:
            chunk = stream.read(_CHUNK)
            data = pending + chunk
            try:
                data.decode(codec)
            except UnicodeDecodeError as exc:
                cut = exc.reason == "unexpected end of data" and exc.start > len(data) - 4
                if len(chunk) == _CHUNK and cut:  # a character cut by the chunk's end
                    pending = data[exc.start :]
                    lines += data.count(b"\n", 0, exc.start)
                    continue
                return _encoding_error(path, encoding, data, exc.start, files, lines)
            if not chunk:
                return None
            lines += data.count(b"\n")
            pending = b""


#: The charsets Spark's CSV reader accepts (Spark 4), by Python's name for each.
_SPARK_CHARSETS = {
    "iso8859-1": "ISO-8859-1",
    "ascii": "US-ASCII",
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-be": "UTF-16BE",
    "utf-16-le": "UTF-16LE",
    "utf-32": "UTF-32",
}


def spark_encoding(encoding: str) -> str:
    """``encoding`` as the charset name Spark's CSV reader accepts (``"latin-1"`` is
    ``"ISO-8859-1"``); a ValueError naming the ones it reads for any other."""
    name = _codec(encoding)
    if name not in _SPARK_CHARSETS:
        known = ", ".join(_SPARK_CHARSETS.values())
        raise ValueError(
            f"encoding={encoding!r}: Spark reads CSV only in {known}; "
            "save the file in one of them, or read it on DuckDB"
        )
    return _SPARK_CHARSETS[name]


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError as exc:
        raise ValueError(f"encoding={encoding!r} is not a known text encoding") from exc


def _first_fault(data: bytes, encoding: str, *, complete: bool) -> int | None:
    """Offset of the first byte of ``data`` that is not text in ``encoding`` (a character cut
    at the end of an incomplete buffer is not a fault)."""
    try:
        data.decode(_codec(encoding))
    except UnicodeDecodeError as exc:
        if not complete and exc.reason == "unexpected end of data":
            return None
        return exc.start
    return None


def _encoding_error(
    path: str,
    encoding: str,
    data: bytes,
    offset: int,
    files: Sequence[str],
    lines_before: int = 0,
) -> DataError:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line_end = data.find(b"\n", offset)
    line = data[line_start : line_end if line_end >= 0 else len(data)]
    number = lines_before + data.count(b"\n", 0, offset) + 1
    bad = data[offset : offset + 4]
    header = _header(path, encoding)
    column = _column_at(header, line, offset - line_start)
    as_latin = line.decode("cp1252", errors="replace").strip()[:80]
    return DataError(
        f"{where(path, files or [path])}: not {encoding} text at line {number:,}{column} (bytes "
        f"{bad!r}; read as Latin-1 the line is {as_latin!r}). Pass the encoding the file was "
        'exported in: read_events(..., encoding="latin-1") (or "cp1252", ...); or save it '
        "as UTF-8."
    )


def _header(path: str, encoding: str) -> str:
    with pa.input_stream(path, compression="detect") as stream:
        head = stream.read(1 << 16)
    return head.split(b"\n", 1)[0].decode(_codec(encoding), errors="replace")


def _column_at(header: str, line: bytes, position: int) -> str:
    """``", column 'event'"``: the column whose field holds byte ``position`` of ``line``
    (fields split on the header's separator, quotes ignored), or ``""``."""
    seps = [s for s in (",", ";", "\t", "|") if s in header]
    if not seps:
        return ""
    sep = max(seps, key=header.count)
    index = line[:position].count(sep.encode())
    names = re.split(re.escape(sep), header)
    return f", column {names[index].strip()!r}" if index < len(names) else ""
