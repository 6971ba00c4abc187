"""Interactive controls for analysts in JupyterLab; the HTML report shows the static view.

In a report run (``JOURNEYLIB_REPORT=1``, set by the report runner) no widget is created, so
no widget placeholder reaches the HTML.

Controls forgive: text boxes and sliders apply on Enter or when they lose focus (not on every
keystroke), and a value the analysis cannot use (a blank box, a misspelt step, a window
without a unit) shows one line in plain words under the controls, saying which value, why
and what would do, never a traceback. Warnings of journeylib's analyses (a model fit that did
not converge) show the same way, one line each.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "BadInput", "explore", "forgiving", "in_report", "show_line", "step_picker", "with_step_picker",
]  # fmt: skip


class BadInput(ValueError):
    """A control's value the analysis cannot use; its message is the one line shown."""


def in_report() -> bool:
    """Whether the notebook runs inside the weekly report runner."""
    return os.environ.get("JOURNEYLIB_REPORT") == "1"


def show_line(text: str) -> None:
    """Show ``text`` as one plain line (under the controls, in a widget's output)."""
    line = " ".join(str(text).split())
    print(line[:1].upper() + line[1:])


def _from_journeylib(caught: warnings.WarningMessage) -> bool:
    module = getattr(caught.category, "__module__", "") or ""
    return module.startswith("journeylib") or "journeylib" in str(caught.filename)


def forgiving(draw: Callable[..., Any]) -> Callable[..., Any]:
    """``draw`` that shows a bad value as one line instead of raising.

    A ``ValueError`` raised by ``draw`` (journeylib's :class:`~journeylib.DataError`,
    :class:`~journeylib.NotComputable` and :class:`BadInput` are ones) is shown with
    :func:`show_line` and the call returns None; warnings raised by journeylib inside
    ``draw`` are shown as one line each; any other error is a bug and raises as usual.
    The signature is ``draw``'s (``ipywidgets.interactive`` reads it).
    """

    @functools.wraps(draw)
    def redraw(*args: Any, **values: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = draw(*args, **values)
            except ValueError as exc:
                result = None
                show_line(str(exc))
        for w in caught:
            if _from_journeylib(w):
                show_line(str(w.message))
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return result

    return redraw


def explore(draw: Callable[..., Any], **controls: Any) -> Any:
    """Redraw ``draw(**values)`` whenever a control changes (``ipywidgets.interactive``).

    ``controls`` are ipywidgets or the abbreviations ``interact`` accepts (a list of options,
    a (min, max) tuple...); a parameter of ``draw`` with a text default and no control gets
    a text box. Text boxes and sliders apply on Enter or focus loss; bad values show one line
    (:func:`forgiving`). Returns the widget, or None in a report run; its ``redraw``
    attribute is the forgiving ``draw``.
    """
    if in_report():
        return None
    import ipywidgets

    redraw = forgiving(draw)
    widget = ipywidgets.interactive(redraw, **controls)
    for control in widget.kwargs_widgets:
        if hasattr(control, "continuous_update"):
            control.continuous_update = False
        if isinstance(control, ipywidgets.Text):
            control.layout.width = "min(100%, 56em)"
            control.style.description_width = "initial"
    widget.redraw = redraw
    return widget


def with_step_picker(widget: Any, names: Sequence[str]) -> Any:
    """``widget`` (from :func:`explore`, its first control the steps' text box) with a
    :func:`step_picker` of ``names`` beside that box."""
    box = widget.kwargs_widgets[0]
    widget.children = (box, step_picker(names, box), *widget.children[1:])
    return widget


def step_picker(names: Sequence[str], target: Any, *, description: str = "add step") -> Any:
    """A dropdown of the log's event ``names``; picking one appends it to the text box
    ``target`` (comma-separated steps), which then applies as on Enter."""
    import ipywidgets

    blank = "(pick an event)"
    picker = ipywidgets.Dropdown(options=[blank, *names], value=blank, description=description)

    def append(change: dict) -> None:
        if change["new"] in (blank, None):
            return
        current = [s.strip() for s in str(target.value).split(",") if s.strip()]
        target.value = ", ".join([*current, change["new"]])
        picker.value = blank

    picker.observe(append, names="value")
    return picker
