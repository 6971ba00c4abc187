"""The funnel explorer of notebook 02: steps, window, order, segment and count as controls.

The steps box takes comma-separated event names (a dropdown beside it offers the log's own
names); the window needs a unit. A blank box, a step no event has or a window without a unit
shows one line under the controls (:func:`journeylib.show.widgets.forgiving`), never a traceback
and never a silent 0 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engine.durations import parse_duration
from ..engine.eventlog import EventLog
from ..engine.read.events import as_eventlog
from ..show.widgets import BadInput, explore, in_report, with_step_picker
from .step_names import event_names, unknown_step_message

__all__ = ["checked_steps", "checked_window", "explore_funnel", "funnel_redraw"]


def checked_steps(text: str, names: Sequence[str]) -> list[str]:
    """The comma-separated steps of ``text``, each an event name among ``names``.

    Raises
    ------
    BadInput
        When ``text`` is blank, or a step is not an event of the log (naming it and the
        closest event names).
    """
    steps = [s.strip() for s in str(text).split(",") if s.strip()]
    if not steps:
        example = ", ".join(names[:3]) or "session_start, purchase"
        raise BadInput(
            f"steps is blank: type event names separated by commas (e.g. {example}), "
            "or pick them from 'add step'"
        )
    known = set(names)
    unknown = [unknown_step_message(s, names) for s in steps if s not in known]
    if unknown:
        raise BadInput("; ".join(unknown))
    return steps


def checked_window(text: str) -> str | None:
    """``text`` as a funnel window: None when blank (no limit), else a duration with a unit.

    Raises
    ------
    BadInput
        For a number without a unit or text that is not a duration (with the hint).
    """
    text = str(text).strip()
    if not text:
        return None
    try:
        parse_duration(text, name="window")
    except ValueError as exc:
        raise BadInput(f"{exc} (or leave it blank for no limit)") from None
    return text


def funnel_redraw(events: EventLog, names: Sequence[str]):
    """The draw function of :func:`explore_funnel` over ``events`` (checks, then the chart)."""
    import matplotlib.pyplot as plt

    from .conversion import funnel
    from .plots import funnel_chart, segment_funnels

    def draw(
        steps: str = "",
        window: str = "7D",
        order: str = "ordered",
        segment: str = "(none)",
        count: str = "sessions",
    ) -> None:
        chosen, span = checked_steps(steps, names), checked_window(window)
        opts = {"window": span, "order": order, "count": count}
        if segment == "(none)":
            funnel_chart(funnel(events, chosen, **opts))
        else:
            segment_funnels(funnel(events, chosen, by=segment, **opts), by=segment)
        plt.show()

    return draw


def explore_funnel(events: Any, steps: list, *, segments: list[str]) -> Any:
    """A widget: steps (comma-separated, or picked from the log's event names), window,
    order and segment; the funnel redraws. None in a report run."""
    if in_report():
        return None
    import ipywidgets

    log = as_eventlog(events)
    names = event_names(log)
    widget = explore(
        funnel_redraw(log, names),
        steps=ipywidgets.Text(value=", ".join(map(str, steps)), description="steps"),
        window=ipywidgets.Text(value="7D", description="window"),
        order=["ordered", "strict", "any"],
        segment=["(none)", *segments],
        count=["users", "sessions", "totals"],
    )
    return with_step_picker(widget, names)
