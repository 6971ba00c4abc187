"""Each report page and the index, opened in headless Chromium: no console error, no request
leaving the machine, every image rendered, a Content-Security-Policy that lets no script run
and no ``javascript:`` URL anywhere in the DOM; a screenshot of each for the developer.

Runs on the shared report run (fixture ``report_run``). Needs Debian's ``chromium``
(``.ci/run`` installs it in CI); elsewhere the test skips, naming the command to install it.
Screenshots go to ``$JOURNEYLIB_SCREENSHOTS`` if set, else the pytest temporary folder (which
pytest deletes after a few sessions); the folder is printed.
"""

import os
from pathlib import Path

import pytest
from _chromium import INSTALL, Chromium, chromium_path


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
    checked = []
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
    with capsys.disabled():
        print(f"\nscreenshots of the reports: {shots} ({len(checked)} pages)")
