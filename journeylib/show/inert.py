"""Text from the data made inert: no markup, no link, no formula, wherever it is shown.

A shop's names (channels, categories, products, campaigns, event names) are typed by people
and tools journeylib does not control. Before such text reaches a page it passes through
here, at the one place where it becomes Markdown or HTML
(:func:`journeylib.overview.findings.as_markdown`,
:func:`journeylib.show.tables.styled`, the notes shown in notebooks), and before it reaches a CSV
through :func:`journeylib.show.exports.write_csv`.

- :func:`markdown_text`: HTML *and* Markdown special characters escaped, so that
  ``[ch](javascript:alert(1))``, ``**bold**``, ``a | b`` tables, backticks, ``<http://x>``
  and bare URLs (``http://x``, ``www.x``) show as typed, never as links, emphasis or tables.
- :func:`spreadsheet_cell`: OWASP's rule against formula injection: a cell starting with
  ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'``.
"""

from __future__ import annotations

import html
import re

__all__ = ["FORMULA_START", "markdown_text", "spreadsheet_cell"]

# ASCII punctuation Markdown (CommonMark, GFM, MathJax in JupyterLab) gives a meaning to
# anywhere in a line; a backslash makes each literal. < > & become entities (html.escape).
_INLINE = re.compile(r"([\\`*_\[\]|~$!@{}])")
# ... and what only counts at the start of a line: headings, quotes, list markers, rules.
_LINE_START = re.compile(r"^(\s*)([#>+\-=])|^(\s*\d+)([.)])(?=\s|$)")
# GFM turns bare URLs into links: break the scheme's "://" and "www." (shown unchanged).
_BARE_URL = re.compile(r"(?i)(?<=[a-z])(:)(?=//)|(?<=\bwww)(\.)")
_NEWLINES = re.compile(r"[\r\n\u2028\u2029]+")

#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def markdown_text(text: object) -> str:
    """``text`` as Markdown that shows exactly this text: no markup, link, table or maths.

    HTML special characters become entities; Markdown punctuation is backslash-escaped;
    a block marker at the start (``#``, ``>``, ``-``, ``1.``) is escaped; the ``://`` of a
    URL and the dot of ``www.`` are escaped, so no renderer makes them a link; line breaks
    become spaces (a sentence stays one list item). The rendered text reads as the input.

    Parameters
    ----------
    text : object
        Any value; ``str(text)`` is escaped.

    Returns
    -------
    str
        Markdown source, safe inside a paragraph, a list item or a table cell.

    Examples
    --------
    ``markdown_text("**top** [ch](javascript:x)")`` gives
    ``\\*\\*top\\*\\* \\[ch\\](javascript:x)``, which renders as ``**top** [ch](javascript:x)``.
    """
    out = _NEWLINES.sub(" ", str(text))
    out = html.escape(out, quote=False)
    out = _INLINE.sub(r"\\\1", out)
    out = _BARE_URL.sub(r"\\\1\2", out)
    return _LINE_START.sub(r"\1\3\\\2\4", out)


def spreadsheet_cell(value: object) -> object:
    """``value``, with a leading ``'`` when it is text a spreadsheet would run as a formula.

    Text starting with one of :data:`FORMULA_START` (``=``, ``+``, ``-``, ``@``, tab, carriage
    return) gets a ``'`` in front (OWASP's advice); numbers and other values are returned
    unchanged, so a negative number stays a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
