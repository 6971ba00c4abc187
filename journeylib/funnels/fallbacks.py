"""What a log may lack for a funnel, and what to use instead: steps no event of the log
matches, and segment columns a split needs and the log does not have."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..engine.cleaning import NotComputable
from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog
from .derived import DERIVED
from .steps import StepSpec, as_steps


def split_source(log: EventLog, col: str) -> str | None:
    """The column a split by ``col`` needs and the log lacks (None: it can split)."""
    if col in log.table.columns or col == "cohort":
        return None
    # a derived split reads its source column: first_device reads device
    source = col.removeprefix("first_") if col in DERIVED else col
    return None if source in log.table.columns else source


def can_split(events: EventLog | pd.DataFrame, by: str) -> bool:
    """Whether the log has what a split by ``by`` reads (``first_device`` reads ``device``)."""
    return split_source(as_eventlog(events), by) is None


def usable_split(
    events: EventLog | pd.DataFrame, by: str, *, fallbacks: Sequence[str] = ("first_channel",)
) -> tuple[str, str]:
    """``by`` if the log can split a funnel by it, else the first of ``fallbacks`` it can
    (``"cohort"`` always can), and a sentence saying so (``""`` when ``by`` is used).

    For notebooks whose default split (``device``) a third-party log may not have.
    """
    log = as_eventlog(events)
    missing = split_source(log, by)
    if missing is None:
        return by, ""
    chosen = next(c for c in [*fallbacks, "cohort"] if split_source(log, c) is None)
    return chosen, f"The log has no {missing!r} column: the funnel is split by {chosen} instead."


def present_steps(
    events: EventLog | pd.DataFrame, steps: Sequence[StepSpec]
) -> tuple[list[StepSpec], str]:
    """The ``steps`` that match at least one event of the log, and a sentence naming the
    others (``""`` when every step matches).

    A third-party log rarely has every event of a default funnel (no ``session_start``
    outside GA4, no ``begin_checkout`` in a one-page checkout): a step no event matches makes
    every later step 0 and its drop 100 %, a finding about the log's vocabulary, not about
    customers. Steps whose property columns the log lacks match nothing.

    Raises
    ------
    NotComputable
        When fewer than two steps match: there is no funnel to show.
    """
    log = as_eventlog(events)
    t = log.table
    parsed = as_steps(steps)
    names = {}
    for i, step in enumerate(parsed):
        if all(c in t.columns for c in step.where):
            names[f"s{i}"] = step.matches(t).sum()
    counts = t.aggregate(**names).to_pandas().iloc[0].fillna(0) if names else pd.Series()
    keep = [i for i in range(len(parsed)) if counts.get(f"s{i}", 0) > 0]
    absent = [parsed[i].name for i in range(len(parsed)) if i not in keep]
    if len(keep) < 2:
        raise NotComputable(
            f"the log has events for {len(keep)} of the funnel steps "
            f"({', '.join(p.name for p in parsed)}): a funnel needs two"
        )
    if not absent:
        return list(steps), ""
    note = (
        f"The log has no {', '.join(absent)} events: the funnel runs through "
        f"{', '.join(parsed[i].name for i in keep)}."
    )
    return [steps[i] for i in keep], note
