"""Every report notebook in notebooks/ runs headless with papermill against the small shop.

The notebooks run exactly as ``journeylib report`` runs them (``report.run_notebook``, the same
parameters), for the last complete week of the shop. With no notebooks yet there is nothing to
run and the test is skipped.
"""

from pathlib import Path

import nbformat
import pytest

from journeylib import report

NOTEBOOKS = report.find_notebooks(Path(__file__).resolve().parents[1] / "notebooks")


@pytest.fixture(scope="module")
def events(shop_dir) -> Path:
    return (Path(shop_dir) / "events.parquet").resolve()


@pytest.fixture(scope="module")
def week(events) -> str:
    return report.default_week(events)


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_on_the_small_shop(notebook: Path, events: Path, week: str, tmp_path):
    first = next(c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")
    assert "parameters" in first.metadata.get("tags", []), "first code cell must be `parameters`"
    parameters = {
        "week": week,
        "data_path": str(events),
        "columns_json": "",
        "out_dir": str(tmp_path),
    }
    result = report.run_notebook(
        notebook, tmp_path / notebook.name, parameters=parameters, progress=False, timeout=600
    )
    assert result.ok, result.message()
    assert (tmp_path / f"{notebook.stem}.html").exists()
