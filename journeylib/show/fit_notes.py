"""Warnings of model fitting as plain lines for the page, never as stderr.

A model that did not converge, or whose parameters sit at the edge of their space, is worth a
line where the reader looks at the model (a note under the model comparison, the appendix for
analysts), not a pink stderr box in JupyterLab that the report then drops. :func:`collect`
catches the warnings journeylib raises inside a block and keeps one line per distinct
message; :func:`notes_markdown` shows them.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from IPython.display import Markdown

from .inert import markdown_text

__all__ = ["collect", "notes_markdown"]


def _ours(caught: warnings.WarningMessage) -> bool:
    return str(getattr(caught.category, "__module__", "")).startswith("journeylib")


@contextmanager
def collect() -> Iterator[list[str]]:
    """Catch journeylib's warnings raised in the block as plain lines (filled on exit).

    Each distinct message gives one line, with ``(N times)`` when it came more than once
    (bootstrap refits); other libraries' warnings are passed on unchanged.
    """
    lines: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield lines
    counts = Counter(" ".join(str(w.message).split()) for w in caught if _ours(w))
    lines += [m if n == 1 else f"{m} ({n} times)" for m, n in counts.items()]
    for w in caught:
        if not _ours(w):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def notes_markdown(lines: Sequence[str], *, title: str) -> Markdown | None:
    """The ``lines`` as a titled Markdown list (escaped, one line each), or None if none."""
    if not lines:
        return None
    items = "\n".join(f"- {markdown_text(line)}" for line in lines)
    return Markdown(f"**{markdown_text(title)}**\n\n{items}")
