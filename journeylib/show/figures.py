"""What every chart of journeylib shares: the seaborn theme, a new or given Axes, tick labels.

Each plot function of an analysis folder takes a tidy frame, draws on the ``ax`` it is given
(or a new one from :func:`axes_for`) with a title and axis labels with units, and returns the
Axes. Static PNGs only: they survive nbconvert's HTML export. Importing this module sets
seaborn's theme (white grid, notebook context) for every chart the notebooks draw.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

sns.set_theme(style="whitegrid", context="notebook")


def axes_for(ax: Axes | None, size: tuple[float, float] = (9, 4)) -> Axes:
    """``ax``, or the Axes of a new figure of ``size`` inches (constrained layout)."""
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def thousands_ticks(ax: Axes, axis: str = "y") -> None:
    """Tick labels of ``axis`` as whole numbers with thousands separators (12,500)."""
    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def label_bars(ax: Axes, labels, *, fontsize: int = 9) -> None:
    """Write ``labels`` (one per bar, in drawing order) at the end of horizontal bars."""
    for patch, text in zip(ax.patches, labels, strict=False):
        y = patch.get_y() + patch.get_height() / 2
        ax.annotate(text, (patch.get_width(), y), va="center", fontsize=fontsize)
