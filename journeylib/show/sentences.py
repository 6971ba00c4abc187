"""Findings as the pages show them: a titled list of plain sentences, escaped and redacted."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from IPython.display import Markdown

from ..engine.privacy import redact
from .inert import markdown_text


def as_markdown(sentences: Sequence[str], *, title: str = "Findings") -> Markdown:
    """A Markdown bullet list of ``sentences`` under a bold ``title``, all shown as plain text.

    Sentences and title may quote data values: they are escaped for HTML and Markdown
    (:func:`journeylib.show.inert.markdown_text`), so a name like ``[x](javascript:...)`` or
    ``**x**`` shows as typed. E-mail addresses quoted from the data are replaced by
    pseudonyms (:func:`journeylib.engine.privacy.redact`).
    """
    items = "\n".join(f"- {markdown_text(redact(s))}" for s in sentences)
    return Markdown(f"**{markdown_text(redact(title))}**\n\n{items}")


def pct(x: float) -> str:
    """A share as findings sentences quote it: one decimal (``0.1234`` -> ``12.3%``), ``n/a``
    when missing. Tables format shares with :func:`journeylib.show.display.percent` instead."""
    return "n/a" if pd.isna(x) else f"{x:.1%}"
