"""Readable ticks for an axis of durations in seconds: ``30 s``, ``1 min``, ``2 h``, ``3 days``
at round values picked from the axis' range, so that a chart of times that take seconds, minutes
or weeks shows several labelled ticks with their units."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.ticker import NullFormatter

__all__ = ["duration_tick_label", "duration_ticks", "tick_seconds"]

#: Seconds in each unit a tick can be labelled in, largest first.
_UNITS = (("days", 86_400), ("h", 3_600), ("min", 60), ("s", 1))

#: Round values per unit: (unit size in seconds, the coarse steps, the finer ones).
_ROUND = (
    (1, (1, 2, 5, 10, 15, 30), (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 30, 40, 50)),
    (60, (1, 2, 5, 10, 15, 30), (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 30, 40, 50)),
    (3_600, (1, 2, 3, 6, 12), (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20)),
    (86_400, (1, 2, 3, 7, 14, 30, 60, 90, 180, 365, 730, 1_825, 3_650),
     (1, 2, 3, 4, 5, 6, 7, 10, 14, 21, 30, 45, 60, 90, 120, 180, 270, 365, 730, 1_825, 3_650)),
)  # fmt: skip

#: Most ticks one axis shows.
MAX_TICKS = 8


def duration_tick_label(seconds: float) -> str:
    """A tick's text: the largest unit the value reaches, up to 3 significant digits.

    Examples
    --------
    >>> [duration_tick_label(s) for s in (30, 90, 7_200, 86_400, 604_800)]
    ['30 s', '1.5 min', '2 h', '1 day', '7 days']
    """
    unit, size = next(((u, n) for u, n in _UNITS if seconds >= n), _UNITS[-1])
    value = seconds / size
    text = f"{value:.3g}"
    return f"{text} {'day' if unit == 'days' and text == '1' else unit}"


def tick_seconds(low: float, high: float, *, most: int = MAX_TICKS) -> list[float]:
    """Round durations (seconds) between ``low`` and ``high`` to mark on a log-scale axis.

    The coarse round values (1, 2, 5, 10, 15, 30 s or min; 1, 2, 3, 6, 12 h; 1, 2, 3, 7, 14,
    30 ... days) in the range, or the finer ones when fewer than three coarse values fall in
    it; each kept one at least a ``most + 2``-th of the axis' log length after the one before,
    so that labels do not run together; every k-th when still more than ``most``; the range's
    ends and their geometric middle when not even two round values fall in it.

    Examples
    --------
    >>> tick_seconds(40, 1_000)
    [60, 120, 300, 600, 900]
    """
    coarse = sorted({size * m for size, steps, _ in _ROUND for m in steps})
    ticks = [t for t in coarse if low <= t <= high]
    if len(ticks) < 3:
        fine = sorted({size * m for size, _, steps in _ROUND for m in steps})
        ticks = [t for t in fine if low <= t <= high]
    ticks = _spaced(ticks, (high / low) ** (1 / (most + 2)) if low > 0 else 1.0)
    if len(ticks) > most:
        ticks = ticks[:: -(-len(ticks) // most)]
    if len(ticks) < 2 and 0 < low < high:
        ticks = [low, (low * high) ** 0.5, high]
    return ticks


def _spaced(ticks: list[float], ratio: float) -> list[float]:
    """``ticks`` (ascending) keeping each one at least ``ratio`` times the one kept before."""
    kept: list[float] = []
    for t in ticks:
        if not kept or t >= kept[-1] * ratio:
            kept.append(t)
    return kept


def duration_ticks(ax: Axes, axis: str = "x") -> Axes:
    """Mark the ``axis`` (``x`` or ``y``) of ``ax``, a log scale of durations in seconds, with
    :func:`tick_seconds` labelled by :func:`duration_tick_label`; minor ticks lose their
    numbers. Call it after drawing: the ticks are picked from the axis' limits, which stay."""
    low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
    low, high = sorted((low, high))
    ticks = tick_seconds(max(low, 1e-3), high)
    which = ax.xaxis if axis == "x" else ax.yaxis
    which.set_ticks(ticks, labels=[duration_tick_label(t) for t in ticks])
    which.set_minor_formatter(NullFormatter())
    (ax.set_xlim if axis == "x" else ax.set_ylim)(low, high)
    return ax
