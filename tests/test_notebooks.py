"""Every report notebook in notebooks/ runs headless with papermill against the small shop.

The notebooks run exactly as ``journeylib report`` runs them: one shared run of the whole
suite (fixture ``report_run`` in conftest.py) for the last complete week of the small shop,
with markup in product, category, campaign and event names and e-mail addresses as user ids
(tests/test_report_pages.py checks the pages). With no notebooks yet there is nothing to run
and the test is skipped.
"""

from pathlib import Path

import nbformat
import pytest

from journeylib.report import runner as report

NOTEBOOKS = report.find_notebooks(Path(__file__).resolve().parents[1] / "notebooks")


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_on_the_small_shop(notebook: Path, report_run):
    first = next(c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")
    assert "parameters" in first.metadata.get("tags", []), "first code cell must be `parameters`"
    result = next(r for r in report_run.notebooks if r.notebook == notebook.name)
    assert result.ok, result.message()
    assert (report_run.folder / f"{notebook.stem}.html").exists()
