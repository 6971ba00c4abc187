"""The transitions bench's comparison with the path-analytics tool (``--tool-python``).

The tool itself lives in a virtual environment of its own; here a stand-in script plays it,
printing what :mod:`benchmarks.tool` prints, so that the check and the ratios are
tested without it.
"""

from __future__ import annotations

import json
import sys
import textwrap

import pandas as pd
import pytest

from benchmarks import journey as bench_journey

OURS = pd.DataFrame(
    {
        "from": ["(start)", "a", "b"],
        "to": ["a", "b", "(end)"],
        "transitions": [3, 2, 2],
        "users": [3, 2, 1],
    }
)


def _fake_tool(tmp_path, monkeypatch, cells: list[list], *, fail: bool = False) -> None:
    out = {"tool": "faketool 1.0", "counts_s": 2.0, "users_s": 1.5, "cells": cells}
    body = (
        "import sys; sys.stderr.write('boom'); sys.exit(3)"
        if fail
        else (f"print('noise'); print({json.dumps(json.dumps(out))})")
    )
    script = tmp_path / "tool.py"
    script.write_text(textwrap.dedent(body), encoding="utf-8")
    monkeypatch.setattr(bench_journey, "TOOL_SCRIPT", script)


def test_the_tool_rows_come_back_when_its_table_equals_ours(tmp_path, monkeypatch):
    cells = [["b", "(end)", 2, 1], ["(start)", "a", 3, 3], ["a", "b", 2, 2]]
    _fake_tool(tmp_path, monkeypatch, cells)
    rows = bench_journey.tool_rows(sys.executable, tmp_path / "e.parquet", 1, OURS)
    assert rows == [
        {"step": "faketool 1.0: counts", "seconds": 2.0},
        {"step": "faketool 1.0: users", "seconds": 1.5},
    ]


@pytest.mark.parametrize(
    "cells",
    [
        [["(start)", "a", 3, 3], ["a", "b", 2, 2], ["b", "(end)", 2, 2]],  # users off by one
        [["(start)", "a", 3, 3], ["a", "b", 2, 2]],  # a pair missing
    ],
)
def test_a_tool_table_that_differs_fails_the_run(tmp_path, monkeypatch, cells):
    _fake_tool(tmp_path, monkeypatch, cells)
    with pytest.raises(AssertionError, match="faketool 1.0"):
        bench_journey.tool_rows(sys.executable, tmp_path / "e.parquet", 1, OURS)


def test_a_failing_tool_shows_its_own_error(tmp_path, monkeypatch):
    _fake_tool(tmp_path, monkeypatch, [], fail=True)
    with pytest.raises(RuntimeError, match="boom"):
        bench_journey.tool_rows(sys.executable, tmp_path / "e.parquet", 1, OURS)


def test_the_ratio_is_to_the_quicker_matrix_of_each_tool_at_the_same_size():
    by = {
        (1_000_000, "transitions (event, user)"): 0.25,
        (1_000_000, "hand SQL (event, session)"): 0.30,
        (1_000_000, "t 3: counts"): 2.0,
        (1_000_000, "t 3: users"): 1.5,
        (1_000_000, "t 5: counts"): 0.5,
        (1_000_000, "t 5: users"): 0.6,
        (10_000_000, "t 3: users"): 30.0,
    }
    assert bench_journey._quickest_tool_matrix(by, 1_000_000) == {"t 3": 1.5, "t 5": 0.5}
    row = {"size": 1_000_000, "step": "transitions (event, user)", "seconds": 0.25}
    verdict = bench_journey._verdict(row, by)
    assert "6.0x faster than t 3 (5x: 0.30 s)" in verdict
    assert "2.0x faster than t 5 (5x: 0.10 s)" in verdict
    assert "< 0.22 s: MISSED" in verdict
