"""ISO weeks and period filters."""

from __future__ import annotations

import pandas as pd
import pytest

import journeylib as jl
from journeylib.engine import periods


def test_iso_week_bounds():
    start, end = periods.iso_week_bounds("2024-W23")
    assert start == pd.Timestamp("2024-06-03", tz="UTC")  # a Monday
    assert end == pd.Timestamp("2024-06-10", tz="UTC")
    # ISO week 1 of 2025 starts on Monday 30 December 2024
    assert periods.iso_week_bounds("2025-W01")[0] == pd.Timestamp("2024-12-30", tz="UTC")
    with pytest.raises(ValueError):
        periods.iso_week_bounds("2024-23")


def test_weeks_between_crosses_years():
    assert periods.weeks_between("2024-W51", "2025-W02") == [
        "2024-W51",
        "2024-W52",
        "2025-W01",
        "2025-W02",
    ]


def frame(last: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"user_id": ["a", "a"], "event": ["x", "y"], "event_time": ["2024-06-01", last]}
    )


def test_last_complete_week():
    # Sunday 9 June 2024 closes week 23; Saturday 8 June does not.
    assert periods.last_complete_week(frame("2024-06-09 18:00")) == "2024-W23"
    assert periods.last_complete_week(frame("2024-06-08 18:00")) == "2024-W22"


def test_filter_period_is_half_open():
    df = pd.DataFrame(
        {
            "user_id": ["a"] * 3,
            "event": ["x"] * 3,
            "event_time": ["2024-06-02 23:59:59", "2024-06-03 00:00", "2024-06-10 00:00"],
        }
    )
    week = periods.filter_period(jl.read_events(df), week="2024-W23")
    assert len(week) == 1
