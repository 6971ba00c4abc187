"""The "Appendix for analysts" at the end of a page: material a reviewer does not need first.

Model diagnostics, parameter tables, fit warnings and checks against the synthetic shop's
planted truths are collected while a notebook runs and shown together by its last cell,
after the findings, charts and tables a reviewer reads::

    from . import appendix

    appendix.note("The BG/NBD fit stopped before converging; its numbers are rough.")
    appendix.add("Model parameters", params_frame)   # a DataFrame, Styler, text or sentences
    ...
    appendix.show()                                   # last cell: the section, or nothing

A page with charts for analysts calls ``appendix.show(always=True)`` and draws them in the
cells after it.

The collection belongs to the kernel (one page per kernel); :func:`reset` empties it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["HEADING", "Item", "add", "clear", "items", "note", "notes", "reset", "show", "to_html"]

HEADING = "Appendix for analysts"


@dataclass(frozen=True)
class Item:
    """One entry: a title and what it shows (text, sentences, a DataFrame or a Styler)."""

    title: str
    content: Any


_ITEMS: list[Item] = []
_NOTES: list[str] = []


def add(title: str, content: Any) -> None:
    """Add an entry under ``title``: text, a list of sentences, a DataFrame or a Styler.

    Empty content (None, an empty list or frame) adds nothing.
    """
    if content is None or (isinstance(content, Sequence | pd.DataFrame) and len(content) == 0):
        return
    _ITEMS.append(Item(title, content))


def note(text: str) -> None:
    """Add one line (a fit warning, a caveat) to the appendix's notes; repeats are kept once."""
    text = " ".join(str(text).split())
    if text and text not in _NOTES:
        _NOTES.append(text)


def items() -> list[Item]:
    """The entries collected so far, in order."""
    return list(_ITEMS)


def notes() -> list[str]:
    """The one-line notes collected so far, in order."""
    return list(_NOTES)


def reset() -> None:
    """Forget every entry and note (a new page)."""
    _ITEMS.clear()
    _NOTES.clear()


clear = reset


def _content_html(item: Item) -> str:
    from . import tables

    content = item.content
    if isinstance(content, pd.DataFrame):
        content = tables.styled(content, caption=item.title)
    if hasattr(content, "to_html"):  # a Styler
        if getattr(content, "caption", None) is None:
            content = content.set_caption(html.escape(item.title))
        return content.to_html()
    if isinstance(content, str):
        return f"<p>{html.escape(content)}</p>"
    return "<ul>" + "".join(f"<li>{html.escape(str(s))}</li>" for s in content) + "</ul>"


def to_html(*, always: bool = False) -> str:
    """The appendix as HTML (empty text when nothing was collected, unless ``always``)."""
    if not _ITEMS and not _NOTES and not always:
        return ""
    parts = [f"<h2>{HEADING}</h2>"]
    parts.append(
        "<p>For analysts checking the numbers above: how the models fit and what was assumed."
        " A reviewer can stop before this section.</p>"
    )
    if _NOTES:
        parts.append("<h3>Notes</h3><ul>")
        parts += [f"<li>{html.escape(n)}</li>" for n in _NOTES]
        parts.append("</ul>")
    for item in _ITEMS:
        styled = isinstance(item.content, pd.DataFrame) or hasattr(item.content, "to_html")
        if not styled:  # tables carry their title as caption
            parts.append(f"<h3>{html.escape(item.title)}</h3>")
        parts.append(_content_html(item))
    return "\n".join(parts)


def show(*, always: bool = False) -> Any:
    """The appendix for the notebook's last cell: an HTML display object, or None if empty.

    ``always=True`` shows the heading even when nothing was collected: for a page whose
    later cells show more analyst material (model checks drawn as charts) under it.
    """
    body = to_html(always=always)
    if not body:
        return None
    from IPython.display import HTML

    return HTML(body)
