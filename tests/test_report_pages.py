"""The pages a reviewer reads: findings first, no code, charts with alt text, offline, safe.

All checks read the one shared report run (fixture ``report_run`` in conftest.py) of every
notebook in notebooks/ on the small shop, whose data has ``<script>`` in a product, a
category, a campaign and an event name, and e-mail addresses as user ids.
"""

import csv
import html as htmllib
import json
import re
from pathlib import Path

import nbformat
import pytest
from conftest import EMAIL_DOMAIN, PLANTED, PLANTED_TEXT

from journeylib.report import runner as report
from journeylib.report.html import CONTENT_SECURITY_POLICY, _shown

NOTEBOOKS = report.find_notebooks(Path(__file__).resolve().parents[1] / "notebooks")
STEMS = [p.stem for p in NOTEBOOKS]
MAX_BYTES = 5 * 1024 * 1024
_BULLET = re.compile(r"^- \S", flags=re.M)


def page(run, stem: str) -> str:
    return (run.folder / f"{stem}.html").read_text(encoding="utf-8")


def shown_outputs(executed: Path) -> list:
    """Outputs a page shows, in order: no parameter cells, stderr or widgets (progress bars)."""
    nb = nbformat.read(executed, as_version=4)
    hidden = {"parameters", "injected-parameters"}
    cells = [c for c in nb.cells if c.cell_type == "code" and not hidden & set(c.metadata.tags)]
    return [o for c in cells for o in c.outputs if _shown(o)]


def every_page(run) -> dict[str, str]:
    pages = {p.name: p.read_text(encoding="utf-8") for p in run.folder.glob("*.html")}
    return pages | {"index.html": run.index.read_text(encoding="utf-8")}


@pytest.mark.notebook
@pytest.mark.parametrize("stem", STEMS)
def test_each_notebook_opens_with_three_to_six_generated_findings(report_run, stem):
    first = shown_outputs(report_run.folder / f"{stem}.ipynb")[0]
    markdown = first.get("data", {}).get("text/markdown", "")
    assert markdown.startswith("**"), f"{stem}: the first output is not a findings list"
    assert 3 <= len(_BULLET.findall(markdown)) <= 6, markdown
    assert re.search(r"\d", markdown), "findings quote the numbers computed"


@pytest.mark.notebook
@pytest.mark.parametrize("stem", STEMS)
def test_pages_show_no_code_stderr_widgets_or_kernel_messages(report_run, stem):
    body = page(report_run, stem).split("<body", 1)[1]  # the head's CSS names every class
    assert "hl-ipython3" not in body and "jp-InputPrompt" not in body  # code and its prompt
    assert "from journeylib" not in body and "load(data_path" not in body
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in body
    assert "Traceback" not in body and "Warning:" not in body
    assert "widget-view+json" not in body and "Loading widgets" not in body
    assert "interactive(children" not in body and "IPKernelApp" not in body


@pytest.mark.notebook
@pytest.mark.parametrize("stem", STEMS)
def test_every_chart_has_alt_text_from_its_title_and_axes(report_run, stem):
    html = page(report_run, stem)
    tags = re.findall(r"<img\b[^>]*>", html)
    assert tags, f"{stem} shows no chart"
    for tag in tags:
        alt = re.search(r'\balt="([^"]+)"', tag)
        assert alt, tag[:80]
        text = alt.group(1)
        assert text.startswith("Chart: "), f"a chart without a title: {text}"
        assert "Horizontal axis: " in text and "vertical axis: " in text, text
        assert "No description" not in text


@pytest.mark.notebook
@pytest.mark.parametrize("stem", STEMS)
def test_pages_are_single_files_under_5_mb_that_load_nothing(report_run, stem):
    path = report_run.folder / f"{stem}.html"
    assert path.stat().st_size < MAX_BYTES
    html = path.read_text(encoding="utf-8")
    tags = re.findall(r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*>", html, flags=re.I)
    remote = [t[:80] for t in tags if re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", t)]
    assert remote == []
    assert not re.search(r"""(?:import\(|@import|url\()\s*["']?https?://""", html)
    assert "require.js" not in html and "MathJax.js" not in html
    assert not re.search(r"<img\b[^>]*\bsrc=\"(?!data:)", html), "images are embedded"


@pytest.mark.notebook
@pytest.mark.parametrize("stem", STEMS)
def test_table_numbers_are_formatted(report_run, stem):
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page(report_run, stem))
    assert cells, f"{stem} shows no table"
    raw_float = [c for c in cells if re.fullmatch(r"\s*-?\d+\.\d{4,}\s*", c)]
    raw_big = [c for c in cells if re.fullmatch(r"\s*-?\d{5,}(?:\.\d+)?\s*", c)]
    assert raw_float == [] and raw_big == []


@pytest.mark.notebook
def test_markup_from_the_data_is_escaped_everywhere(report_run):
    pages = every_page(report_run)
    for name, html in pages.items():
        for planted in PLANTED.values():
            assert planted.split(">")[0] + ">" + "alert" not in html, name
        assert not re.search(r"<script[^>]*>\s*alert", html), name
    # the planted names do reach the pages, escaped: the test would see them unescaped
    assert any("&lt;script&gt;alert" in html for html in pages.values())


@pytest.mark.notebook
def test_no_email_address_reaches_a_page_or_an_export(report_run):
    files = [*report_run.folder.glob("*.html"), *report_run.folder.glob("*.csv"), report_run.index]
    assert any(p.suffix == ".csv" for p in files), "an export to check"
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert EMAIL_DOMAIN not in text and "jane.doe" not in text, path.name
    csv = (report_run.folder / "on_the_path.csv").read_text(encoding="utf-8")
    assert re.search(r"^\d+,h[0-9a-f]{16},", csv, flags=re.M), "pseudonyms instead"


@pytest.mark.notebook
def test_index_lists_the_week_its_notebooks_and_headline_kpis(report_run):
    index = report_run.index.read_text(encoding="utf-8")
    assert f"<h2>{report_run.week} " in index
    for result in report_run.notebooks:
        assert f'href="{report_run.week}/{result.html}"' in index
    for kpi in ("Sessions", "Session conversion", "Cart abandonment", "Average order value",
                "Repeat rate", "Mean CLV"):  # fmt: skip
        assert f"<td>{kpi}</td>" in index
    assert re.search(r'<img class="trend" alt="Chart: [^"]+" src="data:image/png;base64,', index)


_LIVE_MARKUP = [
    re.compile(r"""<a\b[^>]*\bhref\s*=\s*["']?\s*(?:javascript:|https?://[^"'>]*evil)""", re.I),
    re.compile(r"<a\b[^>]*>\s*(?:ch|cat)\s*</a>", re.I),  # a Markdown link made live
    re.compile(r"<strong>\s*bold\s*</strong>", re.I),
    re.compile(r"<em>\s*em\s*</em>", re.I),
    re.compile(r"<code>\s*tick\s*</code>", re.I),
    re.compile(r"<t[dh][^>]*>\s*table\s*</t[dh]>", re.I),  # a Markdown table from a name
]


def _csv_cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as stream:
        return [cell for row in csv.reader(stream) for cell in row]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.notebook
def test_planted_markdown_links_and_formulas_are_inert_everywhere(report_run):
    pages = every_page(report_run)
    for name, text in pages.items():
        for pattern in _LIVE_MARKUP:
            assert not pattern.search(text), f"{name}: live {pattern.search(text).group(0)!r}"
        assert not re.search(r"""\bhref\s*=\s*["']?\s*javascript:""", text, re.I), name
        assert f'content="{CONTENT_SECURITY_POLICY}"' in text.split("</head>")[0], name
    # the payloads did reach the pages, as text: the checks above could have failed
    shown = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", p)) for p in pages.values())
    assert "[ch](javascript:alert(1))" in shown
    assert "**bold** | table | [cat](javascript:alert(2))" in shown
    status = (report_run.folder / "status.json").read_text(encoding="utf-8")
    assert "javascript:" not in status and "evil.example" not in status
    json.loads(status)
    exports = sorted(report_run.folder.glob("*.csv"))
    assert exports, "an export to check"
    for path in exports:
        cells = _csv_cells(path)
        risky = [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
        assert [c for c in risky if not _number(c)] == [], path.name
        for _, payload in PLANTED_TEXT.values():
            # a spreadsheet runs formulas, not Markdown or HTML: those are the ones made inert
            if payload.startswith(("=", "+", "-", "@", "\t", "\r")):
                assert payload not in cells, f"{path.name}: {payload!r} raw in a cell"
