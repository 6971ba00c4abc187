"""journeylib notebooks DEST, the notebooks the runner finds, --format and --timezone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journeylib import cli
from journeylib.report import runner as report

REPO_NOTEBOOKS = sorted(p.name for p in (Path(__file__).parents[1] / "notebooks").glob("[0-9]*"))


def test_the_runner_finds_the_notebooks_of_this_journeylib_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty folder: no notebooks/ here
    assert [p.name for p in report.find_notebooks(report.notebooks_folder())] == REPO_NOTEBOOKS


def test_notebooks_command_copies_them_out_and_keeps_what_is_there(tmp_path, capsys):
    dest = tmp_path / "mine"
    assert cli.main(["notebooks", str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == REPO_NOTEBOOKS
    assert len(capsys.readouterr().out.splitlines()) == len(REPO_NOTEBOOKS)
    first = dest / REPO_NOTEBOOKS[0]
    first.write_text("my edits")
    with pytest.raises(SystemExit) as stop:
        cli.main(["notebooks", str(dest)])
    assert stop.value.code == 2 and "--overwrite" in capsys.readouterr().err
    assert first.read_text() == "my edits"
    assert cli.main(["notebooks", str(dest), "--overwrite"]) == 0
    assert json.loads(first.read_text())["cells"]


def test_format_and_timezone_reach_the_reader(tmp_path, monkeypatch):
    seen = {}

    def run_reports(weeks, **kwargs):
        seen.update(kwargs)
        return [report.ReportResult("2024-W01", tmp_path, tmp_path / "index.html", ())]

    monkeypatch.setattr(report, "run_reports", run_reports)
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"columns": {"user_id": "CustomerID"}, "format": "ga4"}))
    argv = ["report", "--data", "x.csv", "--columns", str(mapping), "--format", "orders"]
    assert cli.main([*argv, "--timezone", "Europe/London"]) == 0
    spec = seen["columns"]
    assert (spec.format, spec.timezone, spec.columns) == (
        "orders",
        "Europe/London",
        {"user_id": "CustomerID"},
    )


def test_an_unknown_format_is_refused(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["report", "--format", "xml"])
    assert stop.value.code == 2 and "invalid choice" in capsys.readouterr().err
