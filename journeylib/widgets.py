"""Interactive controls for analysts in JupyterLab; the HTML report shows the static view.

In a report run (``JOURNEYLIB_REPORT=1``, set by the report runner) no widget is created, so
no widget placeholder reaches the HTML.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def in_report() -> bool:
    """Whether the notebook runs inside the weekly report runner."""
    return os.environ.get("JOURNEYLIB_REPORT") == "1"


def explore(draw: Callable[..., Any], **controls: Any) -> Any:
    """Redraw ``draw(**values)`` whenever a control changes (``ipywidgets.interactive``).

    ``controls`` are ipywidgets or the abbreviations ``interact`` accepts (a list of options,
    a (min, max) tuple...). Returns the widget, or None in a report run.
    """
    if in_report():
        return None
    import ipywidgets

    return ipywidgets.interactive(draw, **controls)
