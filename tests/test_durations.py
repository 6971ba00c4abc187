"""Durations need a unit: a bare number is refused with the hint, everywhere one is read."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import journeylib as jl
from journeylib.engine.durations import parse_duration

LOG = pd.DataFrame(
    {
        "user_id": ["a", "a", "b", "b"],
        "event": ["session_start", "purchase", "session_start", "purchase"],
        "event_time": pd.to_datetime(
            ["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 11:00", "2024-01-03 11:00"],
            utc=True,
        ),
    }
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3D", pd.Timedelta(days=3)),
        ("12h", pd.Timedelta(hours=12)),
        (" 30min ", pd.Timedelta(minutes=30)),
        ("1 days 02:00:00", pd.Timedelta(hours=26)),
        (pd.Timedelta(hours=1), pd.Timedelta(hours=1)),
        (dt.timedelta(minutes=5), pd.Timedelta(minutes=5)),
        (np.timedelta64(2, "D"), pd.Timedelta(days=2)),
        ("0s", pd.Timedelta(0)),
    ],
)
def test_durations_with_a_unit_are_read(value, expected):
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["3", " 3 ", "2.5", "1e3", 3, 2.5, True, np.int64(3)])
def test_a_number_without_a_unit_is_refused_with_the_hint(value):
    with pytest.raises(ValueError, match=r"window=.* has no unit: write a number with a unit, "):
        parse_duration(value, name="window")


@pytest.mark.parametrize(
    ("value", "problem"), [("", "is blank"), ("soon", "is not a duration"), ("-2h", "negative")]
)
def test_blank_unreadable_and_negative_durations_are_refused(value, problem):
    with pytest.raises(ValueError, match=problem) as caught:
        parse_duration(value, name="gap")
    assert "'3D' (days)" in str(caught.value)


def test_a_funnel_window_of_3_asks_for_a_unit():
    with pytest.raises(ValueError, match=r"window='3' has no unit: .*'3D' \(days\)"):
        jl.funnel(LOG, ["session_start", "purchase"], window="3")
    with pytest.raises(ValueError, match=r"step_windows='3' has no unit"):
        jl.funnel(LOG, ["session_start", "purchase"], step_windows=["3"])
    # with a unit: a converts within 1 day (5 min), b only after 2 days -> 1 of 2
    counts = jl.funnel(LOG, ["session_start", "purchase"], window="1D")["count"].tolist()
    assert counts == [2, 1]


def test_every_other_duration_parameter_asks_for_a_unit():
    with pytest.raises(ValueError, match="gap='30' has no unit"):
        jl.sessionize(LOG, gap="30")
    from journeylib.best.early_journeys import early_items

    with pytest.raises(ValueError, match=r"horizon='10' has no unit: .* or an int \(10\)"):
        early_items(jl.sessionize(LOG), horizon="10")
