"""What every notebook does first: read the log named by its parameters, pick the week.

A report run reads and sessionizes the event log once, and maps its journey stages
(:func:`prepare`, called by :func:`journeylib.report.run_report`), into a run-scoped folder
(a DuckDB database file, or Parquet on Spark) plus the cleaning report of the original read,
and passes that folder to every notebook as ``prepared_dir``; :func:`load` then only attaches
the prepared log. A notebook run on its own (JupyterLab)
reads ``data_path`` itself.

In a notebook, :func:`load` also makes analyses that cannot run on the chosen backend show a
one-line note instead of failing the notebook (:func:`show_unsupported_as_notes`).

The prepared log lives in :mod:`journeylib.report.prepared`, the notes in
:mod:`journeylib.report.notes`; their names are handed on from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.periods import iso_week_bounds, last_complete_week
from ..engine.read.spec import parse_spec
from ..show.page_settings import configure
from .notes import not_computable_note, show_unsupported_as_notes, unsupported_note
from .prepared import (
    PREPARED_DUCKDB,
    PREPARED_EVENTS,
    PREPARED_META,
    prepare,
    read_log,
    read_prepared,
)
from .week_check import check_week

__all__ = [
    "PREPARED_DUCKDB",
    "PREPARED_EVENTS",
    "PREPARED_META",
    "ReportInput",
    "load",
    "prepare",
    "read_log",
    "read_prepared",
    "not_computable_note",
    "show_unsupported_as_notes",
    "unsupported_note",
]


@dataclass(frozen=True)
class ReportInput:
    """The sessionized event log and the ISO week a notebook reports on."""

    events: EventLog
    week: str
    start: pd.Timestamp
    end: pd.Timestamp


def load(
    data_path: str,
    *,
    columns_json: str = "",
    week: str = "",
    backend: str = "duckdb",
    prepared_dir: str = "",
) -> ReportInput:
    """The sessionized log and the ISO week of a notebook's parameters.

    Parameters
    ----------
    data_path : str
        Event log to read when ``prepared_dir`` is empty.
    columns_json : str
        JSON text of the column mapping (flat, or the full form of
        :mod:`journeylib.engine.read.spec`), or ``""`` for canonical names.
    week : str
        ISO week, e.g. ``"2024-W23"``; ``""`` means the last complete ISO week in the data.
    backend : str
        ``"duckdb"`` (default) or ``"spark"`` (:func:`journeylib.connect`).
    prepared_dir : str
        Folder written by :func:`prepare` (the report runner passes one per run): read it
        instead of reading and sessionizing ``data_path`` again.

    Returns
    -------
    ReportInput
        ``events`` (sessionized :class:`~journeylib.engine.eventlog.EventLog` whose ``cleaning`` is
        the report of the original read), ``week``, and the week's ``start`` and ``end``.
    """
    show_unsupported_as_notes(backend=backend)
    columns = json.loads(columns_json) if columns_json.strip() else None
    configure(currency=parse_spec(columns).currency)  # money on this page: the log's symbol
    if prepared_dir:
        events = read_prepared(prepared_dir, backend=backend)
    else:
        events = read_log(data_path, columns=columns, backend=backend)
    week = week or last_complete_week(events)
    start, end = iso_week_bounds(week)
    check_week(events, week, start, end)
    return ReportInput(events=events, week=week, start=start, end=end)
