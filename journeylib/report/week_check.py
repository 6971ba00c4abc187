"""Whether a report week lies in the log's period, said in words (for
:func:`journeylib.report.notebook.load`).
"""

from __future__ import annotations

import pandas as pd

from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.periods import data_period


def check_week(events: EventLog, week: str, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """A week the log does not reach: before it, :class:`NotComputable` (shown as a note,
    and the notebook's cells are skipped); after it, a note that the week has no events."""
    first, last = data_period(events)
    if pd.isna(first):
        return
    if end <= first:
        raise NotComputable(
            f"week {week} ends before the log's first event ({first:%Y-%m-%d}): there is "
            "nothing to report; pick a week from the data's period"
        )
    if start > last:
        _show_note(
            f"*Week {week} starts after the log's last event ({last:%Y-%m-%d}): its own "
            "numbers are zero; the analyses of the whole period show the data up to then.*"
        )


def _show_note(markdown: str) -> None:
    """Show a Markdown line in a notebook; outside IPython, warn."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython comes with every notebook kernel
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Markdown(markdown))
    else:
        import warnings

        warnings.warn(markdown.strip("*"), stacklevel=3)
