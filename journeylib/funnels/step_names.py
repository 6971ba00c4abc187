"""Which event names a log has, and the closest ones to a name it lacks.

:func:`journeylib.funnel` warns when a step matches no event (a misspelt ``purchse`` would
otherwise give a silent 0 %), and the funnel controls in JupyterLab offer the log's own names
and say which names come closest to a misspelt one.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence

import pandas as pd

from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog
from .steps import Step

__all__ = ["closest_names", "event_names", "unknown_step_message", "warn_unknown_steps"]


def event_names(events: EventLog | pd.DataFrame) -> list[str]:
    """The distinct event names of the log, most frequent first (ties by name).

    One aggregate query; only the names and their counts come back.
    """
    t = as_eventlog(events).table
    counts = t.group_by("event").aggregate(n=t.count()).to_pandas()
    counts = counts.dropna(subset=["event"]).sort_values(["n", "event"], ascending=[False, True])
    return [str(e) for e in counts.event]


def closest_names(name: str, names: Sequence[str], *, n: int = 3) -> list[str]:
    """Up to ``n`` of ``names`` spelt most like ``name`` (case ignored); if none is close,
    the first ``n`` of ``names`` (the most frequent, as :func:`event_names` orders them)."""
    lower = {str(x).lower(): str(x) for x in reversed(names)}
    close = difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=0.6)
    return [lower[c] for c in close] or [str(x) for x in names[:n]]


def unknown_step_message(step: str, names: Sequence[str], *, spelt: str | None = None) -> str:
    """One sentence: ``step`` matches no event; the event names of the log spelt closest to
    ``spelt`` (default ``step``)."""
    close = ", ".join(repr(c) for c in closest_names(spelt or step, names))
    if not names:
        return f"step {step!r} matches no event: the log has no events"
    return f"step {step!r} matches no event in the log; closest event names: {close}"


def warn_unknown_steps(
    events: EventLog | pd.DataFrame, steps: Sequence[Step], *, stacklevel: int = 3
) -> list[str]:
    """Warn (``UserWarning``) for each step none of whose event names is in the log.

    Returns the messages (empty when every step names an event of the log). Property
    conditions are not checked: a step whose event exists counts as known.
    """
    names = event_names(events)
    present = set(names)
    messages = [
        unknown_step_message(step.name, names, spelt=step.events[0])
        for step in steps
        if not present.intersection(step.events)
    ]
    for message in messages:
        warnings.warn(f"funnel {message}", UserWarning, stacklevel=stacklevel)
    return messages
