"""The log of a report run, read and sessionized once, and written where every notebook reads it.

:func:`prepare` writes a run-scoped folder (a DuckDB database file, or Parquet on Spark, plus
the cleaning report of the original read); :func:`read_prepared` attaches it again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..engine.backend import is_spark, resolve_backend
from ..engine.cleaning import REPORT_COLUMNS, append_findings
from ..engine.eventlog import EventLog
from ..engine.read.spec import LogSpec, parse_spec, read_source
from ..engine.sessions import sessionize
from ..engine.stages import stage_expression, unstaged_events

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

__all__ = [
    "PREPARED_DUCKDB",
    "PREPARED_EVENTS",
    "PREPARED_META",
    "prepare",
    "read_log",
    "read_prepared",
]

#: File names inside a prepared folder: the sessionized events (a DuckDB database file when
#: prepared on DuckDB, Parquet on Spark), and what was read and cleaned.
PREPARED_EVENTS = "events.parquet"
PREPARED_DUCKDB = "events.duckdb"
PREPARED_META = "log.json"
_TABLE = "events"


def read_log(
    data_path: str | os.PathLike[str],
    *,
    columns: dict[str, Any] | LogSpec | None = None,
    backend: BaseBackend | str = "duckdb",
) -> EventLog:
    """Read ``data_path`` and sessionize it.

    ``columns`` is the column mapping, flat or in the full form naming the source's
    ``format`` (events, order lines, GA4), ``event_names`` and ``timezone``
    (:mod:`journeylib.engine.read.spec`); the reader it names reads the source.
    """
    return sessionize(read_source(os.fspath(data_path), parse_spec(columns), backend=backend))


def prepare(
    data_path: str | os.PathLike[str] | EventLog,
    folder: str | os.PathLike[str],
    *,
    columns: dict[str, str] | None = None,
    backend: BaseBackend | str = "duckdb",
) -> Path:
    """Read and sessionize the log once, and write it where every notebook of a run reads it.

    Parameters
    ----------
    data_path : path or EventLog
        The event log (as for :func:`journeylib.read_events`), or a log already read with
        :func:`read_log`.
    folder : path
        Created if missing; receives the sessionized events with ``row_id``,
        ``user_key`` and ``stage`` (:func:`journeylib.map_stages` with the default maps,
        unless the log has a ``stage`` already): on DuckDB a database file,
        :data:`PREPARED_DUCKDB`, that notebooks attach read-only (nothing to load, several
        kernels at once), on Spark Parquet part files, :data:`PREPARED_EVENTS`; and
        :data:`PREPARED_META` (JSON: the source, the column mapping and the cleaning report
        of the original read).
    columns : mapping or LogSpec, optional
        How to read the source (:func:`read_log`).
    backend : str or ibis backend
        ``"duckdb"`` (default) or ``"spark"``: the engine that reads and writes.

    Returns
    -------
    Path
        ``folder``, to pass to notebooks as ``prepared_dir`` (see :func:`load`).
    """
    log = (
        data_path
        if isinstance(data_path, EventLog)
        else read_log(data_path, columns=columns, backend=backend)
    )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    con, table = log.backend, _with_stages(log)
    cleaning = log.cleaning
    if not log.has("stage"):  # the same report line as map_stages gives
        cleaning = append_findings(cleaning, [unstaged_events(table)])
    if is_spark(con):
        con.to_parquet(table, folder / PREPARED_EVENTS)
    else:
        _write_duckdb(con, table, folder / PREPARED_DUCKDB)
    meta = {
        "source": log.source,
        "columns": dict(log.columns),
        "cleaning": json.loads(cleaning.to_json(orient="records")),
    }
    (folder / PREPARED_META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return folder


def _with_stages(log: EventLog) -> Any:
    """The log's table with the ``stage`` of :func:`journeylib.map_stages` (default maps).

    Computed while the prepared log is written, so the notebooks that need stages (journey
    map, overview) do not map them again: a stage depends only on the user's own events, so
    it stays right in any subset of whole users (a segment, an acquisition period).
    """
    if log.has("stage"):
        return log.table
    joined, stage = stage_expression(log.table)
    return joined.mutate(stage=stage).select(*log.table.columns, "stage")


def _write_duckdb(con: BaseBackend, table: Any, path: Path) -> None:
    """Write ``table`` as table ``events`` of a new DuckDB database file at ``path``."""
    import ibis

    alias = ibis.util.gen_name("jl_prepared")
    con.attach(str(path), name=alias)
    try:
        con.create_table(_TABLE, table, database=(alias, "main"))
    finally:
        con.detach(alias)


def read_prepared(
    folder: str | os.PathLike[str], *, backend: BaseBackend | str = "duckdb"
) -> EventLog:
    """The event log :func:`prepare` wrote to ``folder``, with its original cleaning report.

    On DuckDB the database file is attached read-only (nothing is loaded: analyses scan its
    compressed table, and several kernels can read it at once); Parquet (written on Spark)
    is read as it is.
    """
    import ibis

    folder = Path(folder)
    meta = json.loads((folder / PREPARED_META).read_text(encoding="utf-8"))
    con = resolve_backend(backend)
    if (folder / PREPARED_DUCKDB).exists() and not is_spark(con):
        alias = ibis.util.gen_name("jl_prepared")
        con.attach(str(folder / PREPARED_DUCKDB), name=alias, read_only=True)
        table = con.table(_TABLE, database=(alias, "main"))
    else:
        table = con.read_parquet(str(folder / PREPARED_EVENTS))
    cleaning = pd.DataFrame.from_records(meta["cleaning"], columns=list(REPORT_COLUMNS))
    cleaning = cleaning.astype({"rows": "int64"}).fillna({"examples": ""})
    return EventLog(table=table, cleaning=cleaning, columns=meta["columns"], source=meta["source"])
