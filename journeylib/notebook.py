"""What every notebook does first: read the log named by its parameters, pick the week."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from .eventlog import EventLog
from .io import read_events
from .periods import iso_week_bounds, last_complete_week
from .sessions import sessionize


@dataclass(frozen=True)
class ReportInput:
    """The sessionized event log and the ISO week a notebook reports on."""

    events: EventLog
    week: str
    start: pd.Timestamp
    end: pd.Timestamp


def load(data_path: str, *, columns_json: str = "", week: str = "") -> ReportInput:
    """Read ``data_path`` (with the JSON column mapping, if any), sessionize it, pick the week.

    ``week`` ``""`` means the last complete ISO week in the data.
    """
    columns = json.loads(columns_json) if columns_json.strip() else None
    events = sessionize(read_events(data_path, columns=columns))
    week = week or last_complete_week(events)
    start, end = iso_week_bounds(week)
    return ReportInput(events=events, week=week, start=start, end=end)
