"""Alternative text for every chart a notebook shows, taken from the figure itself.

:func:`install` makes IPython attach ``{"alt": ...}`` metadata to each matplotlib figure's
PNG output; the report's HTML template (:mod:`journeylib.report.html`) writes it into the
``<img alt="...">`` attribute. The text names the chart's title(s) and axis labels, which
journeylib's plots always set (with units), e.g. ``"Chart: Events and active users per day.
Horizontal axis: day (UTC); vertical axis: count per day."``.

The report runner installs it in every kernel it starts; in JupyterLab it does nothing
unless called.
"""

from __future__ import annotations

from typing import Any

__all__ = ["describe", "install"]

_MARK = "_journeylib_alt"


def describe(fig: Any) -> str:
    """One sentence describing ``fig`` (a matplotlib Figure) from its titles and axis labels.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    str
        ``"Chart: <titles>. Horizontal axis: <x label>; vertical axis: <y label>."``, each
        part only when the figure has it; ``"Chart without a title."`` when it has none.
    """
    titles, xlabels, ylabels = [], [], []
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        titles.append(suptitle.get_text())
    for ax in fig.get_axes():
        if not ax.get_visible() or ax.get_label() == "<colorbar>":
            continue
        titles.extend(t for t in (ax.get_title(loc) for loc in ("left", "center", "right")) if t)
        xlabels.append(ax.get_xlabel())
        ylabels.append(ax.get_ylabel())
    parts = [f"Chart: {'; '.join(_unique(titles))}." if titles else "Chart without a title."]
    axes = []
    if any(xlabels):
        axes.append(f"horizontal axis: {', '.join(_unique(xlabels))}")
    if any(ylabels):
        axes.append(f"vertical axis: {', '.join(_unique(ylabels))}")
    if axes:
        text = "; ".join(axes)
        parts.append(f"{text[0].upper()}{text[1:]}.")
    return " ".join(parts)


def _unique(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t))


def _wrap(formatter: Any) -> Any:
    """``formatter`` (Figure -> PNG) returning ``(png, {"alt": describe(fig)})``."""

    def png_with_alt(fig: Any, *args: Any, **kwargs: Any) -> Any:
        data = formatter(fig, *args, **kwargs)
        if data is None or isinstance(data, tuple):
            return data
        return data, {"alt": describe(fig)}

    setattr(png_with_alt, _MARK, True)
    return png_with_alt


def _ensure(shell: Any) -> None:
    """Wrap the current Figure PNG formatter unless it is wrapped already."""
    from matplotlib.figure import Figure

    png = shell.display_formatter.formatters["image/png"]
    current = png.lookup_by_type(Figure) if Figure in png.type_printers else None
    if current is not None and not getattr(current, _MARK, False):
        png.for_type(Figure, _wrap(current))


def install() -> bool:
    """Attach alt text to the PNG of every figure displayed in this IPython kernel.

    The backend is loaded first (the inline backend registers its own PNG formatter when it
    loads); should it be reconfigured later, the wrapper is re-applied after every cell.

    Returns
    -------
    bool
        True when running under IPython (installed), False otherwise (nothing done).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    import matplotlib
    import matplotlib.pyplot as plt

    # Load the backend now (the inline backend registers its PNG formatter as it loads), so
    # that a plt.show() in the first plotting cell already finds the wrapper.
    plt.switch_backend(matplotlib.get_backend())
    if not getattr(shell, _MARK, False):
        # post_execute callbacks run in registration order: this one was registered before
        # the inline backend's flush_figures, which shows the cell's figures.
        shell.events.register("post_execute", lambda: _ensure(shell))
        setattr(shell, _MARK, True)
    _ensure(shell)
    return True
