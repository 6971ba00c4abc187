"""Validation errors and the cleaning report.

The cleaning report is a tidy DataFrame with one row per check: what was checked, in which
column, how many rows were affected, what was done with them and up to five example rows.
Rows are never dropped silently: whatever :func:`journeylib.read_events` removes or changes
is counted here, and ``strict=True`` turns every non-zero count into a :class:`DataError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

REPORT_COLUMNS = ["check", "column", "rows", "action", "examples"]
MAX_EXAMPLES = 5
#: Actions that change or remove nothing: counts (``"read"``, ``"kept"``), notes, and values
#: read under a stated rule (an action starting with ``"read "``: times without an offset,
#: decimal commas). ``strict=True`` raises for every other action with rows.
INFORMATIONAL = ("read", "kept", "noted")


class DataError(ValueError):
    """Bad input data: names the source, the column, how many rows and an example."""


class NotComputable(ValueError):
    """A valid log that cannot support an analysis: an optional column it needs is absent,
    it has no purchases, or too few customers for a model. The message says why in words;
    a notebook shows it as a note instead of failing (:mod:`journeylib.report.notebook`)."""


@dataclass(frozen=True)
class Finding:
    """One line of the cleaning report."""

    check: str
    column: str
    rows: int
    action: str
    examples: str = ""


def report_frame(findings: Sequence[Finding]) -> pd.DataFrame:
    """Turn findings into the cleaning-report DataFrame (columns: ``REPORT_COLUMNS``)."""
    frame = pd.DataFrame([f.__dict__ for f in findings], columns=REPORT_COLUMNS)
    return frame.astype({"rows": "int64"})


def empty_report() -> pd.DataFrame:
    """A cleaning report with no rows (for sources that needed no cleaning)."""
    return report_frame([])


def raise_if_strict(source: str, findings: Sequence[Finding], *, strict: bool) -> None:
    """Raise a :class:`DataError` listing every finding with rows that removed or changed
    data (not :data:`INFORMATIONAL`) when ``strict`` is set."""
    problems = [f for f in findings if f.rows > 0 and not _informational(f.action)]
    if not strict or not problems:
        return
    lines = [
        f"- {f.check} in column '{f.column}': {f.rows:,} rows (e.g. {f.examples})" for f in problems
    ]
    raise DataError(
        f"{source}: strict=True and the data needs cleaning:\n"
        + "\n".join(lines)
        + "\nFix the source, or read it with strict=False to remove and count these rows."
    )


def _informational(action: str) -> bool:
    return action in INFORMATIONAL or action.startswith("read ")


def missing_columns_error(source: str, missing: Sequence[str], present: Sequence[str]) -> DataError:
    """The error for a source that lacks required columns after mapping."""
    return DataError(
        f"{source}: missing required column(s) {', '.join(repr(m) for m in missing)}; "
        f"the source has columns {list(present)}. Map your names with "
        f"columns={{'user_id': ..., 'event': ..., 'event_time': ...}}."
    )


def append_findings(report: pd.DataFrame, findings: Sequence[Finding]) -> pd.DataFrame:
    """Return ``report`` with ``findings`` appended (the input is not modified)."""
    extra = report_frame(findings)
    if report.empty:
        return extra
    return pd.concat([report, extra], ignore_index=True)
