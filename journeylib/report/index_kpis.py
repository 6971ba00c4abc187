"""The index KPIs a report run stores for a week: computed from the log, never raising, as JSON."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping

from ..engine.eventlog import EventLog

__all__ = ["compute_kpis", "timed_kpis"]


def compute_kpis(
    data: str | os.PathLike[str] | EventLog,
    week: str,
    *,
    columns: Mapping[str, str] | None = None,
    backend: str = "duckdb",
) -> tuple[dict | None, str]:
    """The index KPIs of ``week`` (:func:`journeylib.report.kpis.week_kpis`), never raising.

    ``data`` is an event log path (read with ``columns`` on ``backend``) or a sessionized
    :class:`~journeylib.engine.eventlog.EventLog` already read.

    Returns
    -------
    (dict or None, str)
        The KPIs with NaN written as None (valid JSON), and "" — or None and the error text.
    """
    try:
        from .kpis import week_kpis
        from .prepared import read_log

        if not isinstance(data, EventLog):
            mapping = dict(columns) if columns else None
            data = read_log(data, columns=mapping, backend=backend)
        kpis = week_kpis(data, week)
    except Exception as exc:  # the notebooks still run; the index says why KPIs are missing
        return None, f"{type(exc).__name__}: {exc}"
    return {kpi: _json_ready(entry) for kpi, entry in kpis.items()}, ""


def _json_ready(entry: Mapping) -> dict:
    """``entry`` with NaN written as None, in nested mappings too (valid JSON)."""
    return {
        k: _json_ready(v)
        if isinstance(v, Mapping)
        else None
        if isinstance(v, float) and math.isnan(v)
        else v
        for k, v in entry.items()
    }


def timed_kpis(log: EventLog, week: str) -> tuple[dict | None, str, float]:
    start = time.perf_counter()
    kpis, error = compute_kpis(log, week)
    return kpis, error, round(time.perf_counter() - start, 2)
