"""HTML for the weekly report: notebooks as pages without code, and the index of weeks.

Private to :mod:`journeylib.report`, which re-exports :func:`export_html` and
:func:`write_index`.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "export_html",
    "readable",
    "with_csp",
    "write_atomic",
    "write_index",
]

_WEEK = re.compile(r"^\d{4}-W\d{2}$")
_HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell"}
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# The lab template with every script that loads from a CDN removed (require.js, MathJax,
# mermaid, the widget manager): reports open offline. Markdown maths shows as typed. Each PNG
# gets the alt text journeylib.show.figure_alt attached in the kernel (the chart's titles and axes).
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block html_head_js_requirejs %}{% endblock %}
{% block jupyter_widgets %}{% endblock %}
{% block html_head_js_mathjax %}{% endblock %}
{% block html_head_js_mermaidjs %}{% endblock %}
{% block data_png scoped %}
{%- set alt = output | get_metadata('alt', 'image/png') -%}
{%- if alt -%}
{{ super() | replace('<img ', '<img alt="' ~ (alt | escape_html) ~ '" ', 1) }}
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock data_png %}
"""


#: The Content-Security-Policy of every report page and the index. Pages carry no script (the
#: offline template drops them all), so none may run: not from elsewhere, not inline, not a
#: ``javascript:`` URL or an event-handler attribute that markup from data might carry. Images
#: and fonts only inline (``data:``), styles only the page's own; no connection, frame,
#: object, form or ``<base>``.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "font-src data:; base-uri 'none'; form-action 'none'"
)


def with_csp(page: str) -> str:
    """``page`` with :data:`CONTENT_SECURITY_POLICY` as a meta tag opening its head."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
    head = re.search(r"<head\b[^>]*>", page, flags=re.I)
    if head is None:
        raise ValueError("a report page without <head>: nowhere to put its security policy")
    return page[: head.end()] + "\n" + meta + page[head.end() :]


def readable(path: Path, mode: int) -> Path:
    """Set ``mode`` less the umask on ``path`` (tempfile makes files and folders private)."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(mode & ~umask)
    return path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(readable(Path(tmp), 0o666), path)


def _presentable(nb: Any) -> Any:
    """Copy of ``nb`` for readers: no parameter cells, stderr, widgets or hidden cells."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    nb.cells = [c for c in nb.cells if not _HIDDEN_TAGS & set(c.metadata.get("tags", []))]
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "remove-output" in cell.metadata.get("tags", []):
            cell.outputs = []
        cell.outputs = [o for o in cell.outputs if _shown(o)]
    return nb


def _shown(output: Any) -> bool:
    """False for stderr streams and for widgets (a static page cannot run them)."""
    if output.output_type == "stream":
        return output.get("name") != "stderr"
    return _WIDGET_VIEW not in output.get("data", {})


def export_html(executed: str | os.PathLike[str], html_path: str | os.PathLike[str]) -> Path:
    """Write an executed notebook as a self-contained HTML page without code.

    Parameters
    ----------
    executed : path
        An executed notebook.
    html_path : path
        The page to write.

    Returns
    -------
    Path
        ``html_path``.
    """
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        template_file="journeylib_offline.html.j2",
        extra_loaders=[DictLoader({"journeylib_offline.html.j2": _OFFLINE_TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    nb = _presentable(nbformat.read(executed, as_version=4))
    resources = {"metadata": {"name": Path(executed).stem, "path": str(Path(executed).parent)}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html_path = Path(html_path)
    html_path.write_text(with_csp(body), encoding="utf-8")
    return html_path


def _read_status(folder: Path) -> dict:
    """The week's status.json, or a stand-in saying it could not be read."""
    try:
        return json.loads((folder / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"ok": False, "notebooks": [], "problem": f"status.json unreadable: {exc}"}


def _notebook_row(week: str, entry: Mapping[str, Any]) -> str:
    """One table row of the index: link, status, seconds, error."""
    name = html.escape(str(entry.get("notebook", "?")))
    if entry.get("html"):
        href = html.escape(f"{quote(week)}/{quote(str(entry['html']))}", quote=True)
        name = f'<a href="{href}">{name}</a>'
    status = str(entry.get("status", "?"))
    text = str(entry.get("error_message") or "")
    return (
        f'<tr class="{html.escape(status, quote=True)}"><td>{name}</td>'
        f"<td>{html.escape(status)}</td><td>{html.escape(str(entry.get('seconds', '')))}</td>"
        f"<td>{html.escape(text)}</td></tr>"
    )


def _pages_section(week: str, status: Mapping[str, Any]) -> str:
    """The newest week's pages, linked by their titles, for readers."""
    items = []
    for entry in status.get("notebooks", []):
        if not entry.get("html"):
            continue
        href = html.escape(f"{quote(week)}/{quote(str(entry['html']))}", quote=True)
        title = str(entry.get("title") or entry.get("notebook", "?"))
        items.append(f'<li><a href="{href}">{html.escape(title)}</a></li>')
    if not items:
        return ""
    heading = f"<h2>This week's pages ({html.escape(week)})</h2>"
    return f"<section>{heading}<ul>{''.join(items)}</ul></section>"


def _week_section(week: str, status: Mapping[str, Any]) -> str:
    """The index section of one week folder, from its status."""
    rows = "".join(_notebook_row(week, entry) for entry in status.get("notebooks", []))
    problem = status.get("problem")
    note = f'<p class="failed">{html.escape(problem)}</p>' if problem else ""
    if status.get("kpi_error"):
        note += f'<p class="failed">KPIs not computed: {html.escape(status["kpi_error"])}</p>'
    verdict = "ok" if status.get("ok") else "failed"
    return (
        f'<section><h2>{html.escape(week)} <span class="{verdict}">{verdict}</span></h2>{note}'
        f"<table><caption>Notebook runs of {html.escape(week)} (for operators)</caption>"
        "<tr><th>notebook</th><th>status</th><th>seconds</th><th>error</th></tr>"
        f"{rows}</table></section>"
    )


_INDEX_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Weekly report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .3em .6em; border-bottom: 1px solid #ddd; }}
.ok {{ color: #1a7f37; }} .failed {{ color: #cf222e; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
caption {{ text-align: left; font-weight: 600; padding: .3em 0; }}
img.trend {{ max-width: 100%; height: auto; }} .note {{ color: #555; font-size: .9em; }}
</style></head>
<body><h1>Weekly report</h1><p>Updated {updated}.</p>
{sections}
</body></html>
"""


def write_index(out: str | os.PathLike[str]) -> Path:
    """Write ``out/index.html``, the front page: the newest week's pages, the KPIs, the runs.

    The newest week's pages come first, linked by their titles; then the KPI section (the
    newest week's KPIs against the week before and their trend, :mod:`._report_trend`); last,
    for operators, each week's notebooks with their status and seconds, newest first.

    Parameters
    ----------
    out : path
        The reports folder.

    Returns
    -------
    Path
        The index page.
    """
    from .trend import kpi_section

    out = Path(out)
    weeks = sorted((p for p in out.iterdir() if p.is_dir() and _WEEK.match(p.name)), reverse=True)
    statuses = {folder.name: _read_status(folder) for folder in weeks}
    runs = "\n".join(_week_section(w, s) for w, s in statuses.items())
    pages = _pages_section(*next(iter(statuses.items()))) if statuses else ""
    operators = (
        "<section><h2>For operators: every run</h2><p>Each week's notebook runs, newest "
        f"first, with their status and time.</p>{runs}</section>"
        if runs
        else "<p>No reports yet.</p>"
    )
    sections = "\n".join(part for part in (pages, kpi_section(statuses), operators) if part)
    updated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    index = out / "index.html"
    write_atomic(index, with_csp(_INDEX_PAGE.format(updated=updated, sections=sections)))
    return index
