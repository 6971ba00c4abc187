"""Navigation between the pages of a report week: tab titles and links, added after export.

Private to :mod:`journeylib.report`. Each page gets a tab title ("02 · Funnel drop-off,
2024-W52") and a bar at the top linking the index, the previous and the next page by their
titles; :func:`page_titles` gives the index its link texts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

__all__ = ["add_navigation", "page_title"]

_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<title>.*?</title>", re.IGNORECASE | re.DOTALL)
_BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)
_NAV_STYLE = (
    "<style>nav.jl-nav{font:14px system-ui,sans-serif;padding:.6em 1em;border-bottom:1px solid"
    " #ddd;display:flex;gap:1.5em;flex-wrap:wrap}nav.jl-nav a{color:#0550ae}</style>"
)


def page_title(page: Path) -> str:
    """The page's first heading as plain text (its file stem when it has none)."""
    text = page.read_text(encoding="utf-8")
    found = _H1.search(text)
    if not found:
        return page.stem
    title = html.unescape(_TAG.sub("", found.group(1))).replace("¶", "").strip()
    return " ".join(title.split()) or page.stem


def _link(page: Path | None, label: str, title: str | None = None) -> str:
    if page is None:
        return ""
    href = html.escape(quote(page.name) if title is not None else "../index.html", quote=True)
    text = f"{label}: {title}" if title is not None else label
    return f'<a href="{href}">{html.escape(text)}</a>'


def _with_nav(text: str, title: str, nav: str) -> str:
    """``text`` (a page) with its ``<title>`` replaced and ``nav`` first in its body."""
    text = _TITLE.sub(lambda _: title, text, count=1)
    return _BODY.sub(lambda m: m.group(0) + nav, text, count=1)


def add_navigation(pages: Sequence[Path], week: str) -> dict[str, str]:
    """Give each page of a week its tab title and links to the index, previous and next page.

    Parameters
    ----------
    pages : sequence of Path
        The week's HTML pages in reading order (in the week folder, beside which the index
        lives one level up).
    week : str
        The ISO week, shown in the tab title.

    Returns
    -------
    dict
        Title of each page by file name.
    """
    titles = {p.name: page_title(p) for p in pages}
    for i, page in enumerate(pages):
        before = pages[i - 1] if i > 0 else None
        after = pages[i + 1] if i + 1 < len(pages) else None
        links = [
            _link(page, "All reports"),
            _link(before, "Previous", titles[before.name] if before else None),
            _link(after, "Next", titles[after.name] if after else None),
        ]
        nav = f'{_NAV_STYLE}<nav class="jl-nav">{"".join(a for a in links if a)}</nav>'
        title = f"<title>{html.escape(titles[page.name])}, {html.escape(week)}</title>"
        page.write_text(_with_nav(page.read_text(encoding="utf-8"), title, nav), "utf-8")
    return titles
