"""The order a report run starts its notebooks in (journeylib.report.schedule)."""

import json
import os
import time
from pathlib import Path

import pytest

from journeylib.report import runner as report
from journeylib.report.schedule import last_seconds, makespan, run_order

NAMES = ["00_a.ipynb", "01_b.ipynb", "02_c.ipynb", "03_d.ipynb", "04_e.ipynb"]
PATHS = [Path("notebooks") / name for name in NAMES]
# the default data's seconds (session 4): the fifth notebook (CLV) takes longest by far
DEFAULT = dict(zip(NAMES, [3.9, 6.0, 5.2, 6.7, 22.7], strict=True))


def test_makespan_by_hand():
    # two slots: 3 | 1, then 2 after the 1 -> both free at 3
    assert makespan([3, 1, 2], 2) == 3
    # 1 | 2, then 3 after the 1 -> ends at 4
    assert makespan([1, 2, 3], 2) == 4
    assert makespan([1, 2, 3], 1) == 6


def test_the_longest_notebook_no_longer_runs_alone_at_the_end():
    # name order: 00 0-3.9 | 01 0-6.0; 02 3.9-9.1; 03 6.0-12.7; 04 9.1-31.8
    assert makespan(list(DEFAULT.values()), 2) == pytest.approx(31.8)
    order = run_order(PATHS, DEFAULT, 2)
    # best possible: 04 alone in one slot (22.7 s), the other four in the other (21.8 s)
    assert makespan([DEFAULT[p.name] for p in order], 2) == pytest.approx(22.7)
    assert sorted(order) == sorted(PATHS)


def test_name_order_without_history_one_job_or_a_tie():
    assert run_order(PATHS, {}, 2) == PATHS
    assert run_order(PATHS, DEFAULT, 1) == PATHS
    assert run_order(PATHS, dict.fromkeys(NAMES, 5.0), 2) == PATHS


def test_an_unknown_notebook_counts_as_the_mean_and_many_go_longest_first():
    known = {"00_a.ipynb": 10.0, "01_b.ipynb": 2.0}  # 02..04 count as 6 s each
    order = run_order(PATHS, known, 2)
    assert makespan([known.get(p.name, 6.0) for p in order], 2) == pytest.approx(16.0)
    many = [Path(f"{i:02d}_x.ipynb") for i in range(9)]
    seconds = {p.name: float(i % 3) for i, p in enumerate(many)}
    longest_first = run_order(many, seconds, 2)
    assert [seconds[p.name] for p in longest_first] == sorted(seconds.values(), reverse=True)


def test_last_seconds_reads_the_week_written_last(tmp_path):
    for week, seconds, mtime in (("2024-W02", 1.0, 200), ("2024-W03", 2.0, 100)):
        (tmp_path / week).mkdir()
        status = {"notebooks": [{"notebook": "00_a.ipynb", "seconds": seconds}]}
        path = tmp_path / week / "status.json"
        path.write_text(json.dumps(status))
        os.utime(path, (mtime, mtime))
    assert last_seconds(tmp_path) == {"00_a.ipynb": 1.0}  # W02 was written after W03
    (tmp_path / "2024-W02" / "status.json").write_text("{not json")
    os.utime(tmp_path / "2024-W02" / "status.json", (300, 300))
    assert last_seconds(tmp_path) == {}
    assert last_seconds(tmp_path / "missing") == {}


def test_results_keep_the_name_order_whatever_the_start_order(tmp_path, monkeypatch):
    started = []

    def run_notebook(notebook, output, *, parameters, progress=True, timeout=None):
        started.append(Path(notebook).name)
        time.sleep(0.05)  # both slots take their first notebook before either finishes
        return report.NotebookResult(Path(notebook).name, "ok", "x.html", 0.1, None)

    monkeypatch.setattr(report, "run_notebook", run_notebook)
    results = report._run_all(
        PATHS, tmp_path, {}, jobs=2, progress=False, timeout=None, last=DEFAULT
    )
    assert [r.notebook for r in results] == NAMES
    assert "04_e.ipynb" in started[:2]  # the longest started first
