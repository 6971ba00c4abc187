"""Each report page and the index, opened in headless Chromium: no console error, no request
leaving the machine, every image rendered, a Content-Security-Policy that lets no script run
and no ``javascript:`` URL anywhere in the DOM; a screenshot of each for the developer.

Runs on the shared report run (fixture ``report_run``). Needs Debian's ``chromium``
(``.ci/run`` installs it in CI); elsewhere the test skips, naming the command to install it.
Screenshots go to ``$JOURNEYLIB_SCREENSHOTS`` if set, else the pytest temporary folder (which
pytest deletes after a few sessions); the folder is printed.
"""

import os
import re
from pathlib import Path

import nbformat
import pytest
from _chromium import INSTALL, Chromium, chromium_path

VIEWPORT = 1280
#: Cells a reviewer should never read: raw timedeltas, flags, missing values, 1.6e-09.
RAW_CELL = re.compile(
    r"^(True|False|nan|NaN|NaT|None|<NA>)$|days 00:|(^|[\s(])[-+]?\d+(\.\d+)?[eE][+-]?\d+\b"
)
#: Files a reviewer does not have.
FILES = re.compile(r"DOMAIN\.md|README|truth\.json")


def parameter_names(notebooks) -> set[str]:
    """Names set in the notebooks' parameters cells (``name: type = value``)."""
    names = set()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if "parameters" in cell.metadata.get("tags", []):
                names |= set(re.findall(r"^(\w+)\s*[:=]", cell.source, flags=re.MULTILINE))
    return names


def reviewer_problems(layout: dict, parameters: set[str]) -> list[str]:
    """What a reviewer should not meet on a page, each as a line naming it."""
    problems = []
    if layout["width"] > VIEWPORT:
        problems.append(f"the page is {layout['width']} px wide (viewport {VIEWPORT} px)")
    raw = sorted({c for c in layout["cells"] if RAW_CELL.search(c)})
    if raw:
        problems.append(f"raw values in table cells: {raw[:8]}")
    problems += [f"a table without a caption: {t!r}" for t in layout["uncaptioned"]]
    problems += [f"an empty heading: {h!r}" for h in layout["empty_headings"]]
    problems += [f"mentions {m!r}" for m in sorted(set(FILES.findall(layout["text"])))]
    # snake_case names are unmistakable anywhere; plain words only when shown as code
    named = {p for p in parameters if "_" in p and re.search(rf"\b{p}\b", layout["text"])}
    named |= parameters & set(layout["code"])
    problems += [f"names the parameter {p!r}" for p in sorted(named)]
    if "JupyterLab only" in layout["text"]:
        problems.append("a section for JupyterLab only")
    return problems


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip(f"Chromium is not installed; install it with: {INSTALL}")
    with Chromium(executable) as chromium:
        yield chromium


@pytest.mark.notebook
def test_reports_render_in_chromium_without_errors(report_run, browser, tmp_path_factory, capsys):
    chosen = os.environ.get("JOURNEYLIB_SCREENSHOTS")
    shots = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    pages = [*sorted(report_run.folder.glob("*.html")), report_run.index]
    assert len(pages) == len(report_run.notebooks) + 1
    parameters = parameter_names(sorted(report_run.folder.glob("*.ipynb")))
    checked, problems = [], {}
    for page in pages:
        name = "index" if page == report_run.index else page.stem
        result = browser.check(page, shots / f"{name}.png")
        assert result.errors == [], f"{page.name}: {result.errors}"
        assert result.remote_requests == [], f"{page.name} loads {result.remote_requests}"
        assert result.images, f"{page.name} shows no image"
        broken = [i["alt"] for i in result.images if not (i["complete"] and i["width"] > 0)]
        assert broken == [], f"{page.name}: images not rendered: {broken}"
        assert all(i["alt"] for i in result.images), f"{page.name}: an image without alt text"
        assert len(result.csp) == 1 and "script-src 'none'" in result.csp[0], result.csp
        script_src = result.csp[0].split("script-src")[1].split(";")[0]
        assert "default-src 'none'" in result.csp[0] and "unsafe" not in script_src
        assert result.javascript_urls == [], f"{page.name}: {result.javascript_urls}"
        assert Path(result.screenshot).stat().st_size > 10_000
        checked.append(result.screenshot)
        if found := reviewer_problems(result.layout, parameters):
            problems[page.name] = found
    with capsys.disabled():
        print(f"\nscreenshots of the reports: {shots} ({len(checked)} pages)")
    assert problems == {}, "\n".join(f"{p}: {'; '.join(f)}" for p, f in problems.items())


def test_reviewer_problems_names_each_kind():
    layout = {
        "width": 2176,
        "cells": ["0 days 00:01:05.500000", "True", "1.6e-09", "6.91e+03", "nan", "h15c7ae4e409"],
        "uncaptioned": ["variant n converted"],
        "empty_headings": ["Explore"],
        "code": ["count"],
        "text": "see the README section; DOMAIN.md: sales funnel; recovery_days; JupyterLab only",
    }
    problems = reviewer_problems(layout, {"recovery_days", "count", "week"})
    assert problems == [
        "the page is 2176 px wide (viewport 1280 px)",
        "raw values in table cells: "
        "['0 days 00:01:05.500000', '1.6e-09', '6.91e+03', 'True', 'nan']",
        "a table without a caption: 'variant n converted'",
        "an empty heading: 'Explore'",
        "mentions 'DOMAIN.md'",
        "mentions 'README'",
        "names the parameter 'count'",
        "names the parameter 'recovery_days'",
        "a section for JupyterLab only",
    ]
    clean = {**layout, "width": 1280, "cells": ["12.3%", "1,234", "< 0.001", "yes", "h4e40a"]}
    clean |= {"uncaptioned": [], "empty_headings": [], "code": [], "text": "Sessions by week"}
    assert reviewer_problems(clean, {"recovery_days", "count", "week"}) == []
