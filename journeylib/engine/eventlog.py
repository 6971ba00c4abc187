"""EventLog: the cleaned event table every analysis takes.

An :class:`EventLog` bundles the ibis table (lazy, living on a backend), the cleaning report
that says what was removed or changed on the way in, and the column mapping used to read it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from .cleaning import empty_report
from .schema import ROW_ID

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend


@dataclass(frozen=True)
class EventLog:
    """A cleaned event log in the canonical schema.

    Attributes
    ----------
    table
        ibis table with the canonical columns (``user_id``, ``event``, ``event_time`` and
        whichever optional ones the source had), extra source columns, and ``row_id`` (the
        source order, used to break ties).
    cleaning
        The cleaning report: one row per check (``check``, ``column``, ``rows``, ``action``,
        ``examples``).
    columns
        Mapping canonical name -> source name that was used.
    source
        A short description of where the events came from (path or ``"<DataFrame>"``).
    """

    table: ir.Table
    cleaning: pd.DataFrame = field(default_factory=empty_report)
    columns: Mapping[str, str] = field(default_factory=dict)
    source: str = "<DataFrame>"

    @property
    def backend(self) -> BaseBackend:
        """The ibis backend the table lives on."""
        return self.table._find_backend(use_default=True)

    def has(self, column: str) -> bool:
        """Whether the log has ``column``."""
        return column in self.table.columns

    def replace(self, **changes: Any) -> EventLog:
        """A copy with some attributes changed (``table=...``, ``cleaning=...``)."""
        return dataclasses.replace(self, **changes)

    def to_pandas(self, *, limit: int | None = None) -> pd.DataFrame:
        """The events as a pandas DataFrame, in (user_id, event_time, row_id) order."""
        ordered = self.table.order_by(["user_id", "event_time", ROW_ID])
        return ordered.to_pandas(limit=limit)

    def __len__(self) -> int:
        return int(self.table.count().execute())

    def __repr__(self) -> str:
        cols = ", ".join(self.table.columns)
        return f"EventLog(source={self.source!r}, columns=[{cols}])"
