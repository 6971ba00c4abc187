"""A week's ``status.json``: each notebook's result, the week's KPIs and the run's timings."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from .results import NotebookResult

__all__ = ["status_json"]


def status_json(
    week: str,
    data: Path | str,
    results: list[NotebookResult],
    kpis: tuple[dict | None, str, float],
    timings: Mapping[str, float],
    titles: Mapping[str, str] | None = None,
    currency: str | None = None,
) -> str:
    """The JSON text of a week's ``status.json`` (``titles``: each page's title by file;
    ``currency``: the symbol of the run's mapping, for the index's money)."""
    status = {
        "week": week,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data_path": str(data),
        "ok": all(result.ok for result in results),
        "notebooks": [
            {
                **asdict(result),
                "error_message": str(result.error or ""),
                "title": (titles or {}).get(result.html or "", ""),
            }
            for result in results
        ],
        "kpis": kpis[0],
        "kpi_error": kpis[1],
        "seconds": {**timings, "kpis": kpis[2]},
        "currency": currency,
    }
    return json.dumps(status, indent=2)
