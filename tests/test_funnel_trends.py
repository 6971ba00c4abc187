"""funnel_trend: a hand-worked log with a week without entrants, each user once per week,
Wilson intervals worked out by formula, and this week against the four before."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import journeylib as jl
from journeylib.funnels.findings_why import trend_sentence
from journeylib.funnels.trends import compare_last


def log(rows: list[tuple]) -> jl.EventLog:
    frame = pd.DataFrame(rows, columns=["user_id", "event", "event_time"])
    frame["event_time"] = pd.to_datetime(frame.event_time, utc=True)
    return jl.read_events(frame)


ROWS = [
    # ISO week 2024-W10 (Monday 4 March)
    ("u1", "a", "2024-03-04 09:00"), ("u1", "a", "2024-03-05 09:00"),  # one entry for u1
    ("u1", "b", "2024-03-06 09:00"),
    ("u2", "a", "2024-03-04 10:00"),
    ("u4", "a", "2024-03-10 23:00"), ("u4", "b", "2024-03-11 01:00"),  # b in the next week
    # 2024-W11: nobody enters
    # 2024-W12 (Monday 18 March): u1 enters again, a new period
    ("u1", "a", "2024-03-18 09:00"), ("u1", "b", "2024-03-18 10:00"),
    ("u3", "a", "2024-03-19 09:00"),
]  # fmt: skip


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval, written out."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_weeks_with_and_without_entrants():
    out = jl.funnel_trend(log(ROWS), ["a", "b"])
    assert out.period.dt.strftime("%Y-%m-%d").tolist() == ["2024-03-04", "2024-03-11", "2024-03-18"]
    assert out.entered.tolist() == [3, 0, 2]  # u1 once in W10 though it entered twice
    assert out.converted.tolist() == [2, 0, 1]  # u4 converts in W11, counted in W10
    assert out.conversion.iloc[0] == pytest.approx(2 / 3)
    assert math.isnan(out.conversion.iloc[1])  # the empty week: no rate, no interval
    assert math.isnan(out.ci_low.iloc[1]) and math.isnan(out.ci_high.iloc[1])
    low, high = wilson(2, 3)  # 0.2077 to 0.9385
    assert out.ci_low.iloc[0] == pytest.approx(low) and out.ci_high.iloc[0] == pytest.approx(high)


def test_window_between_steps_days_and_range():
    # a 1-hour window: in W10 u1's b (2 days on) and u4's b (2 hours on) no longer count;
    # in W12 u1's b, exactly 1 hour on, still does
    assert jl.funnel_trend(log(ROWS), ["a", "b"], window="1h").converted.tolist() == [0, 0, 1]
    rows = [*ROWS, ("u2", "c", "2024-03-04 11:00"), ("u2", "b", "2024-03-04 12:00")]
    out = jl.funnel_trend(log(rows), ["a", "c", "b"], between=(2, 3))
    assert out.reached_from.tolist() == [1, 0, 0]  # only u2 reached c, in W10
    assert out.converted.tolist() == [1, 0, 0]
    days = jl.funnel_trend(log(ROWS), ["a", "b"], every="day", start="2024-03-03", end="2024-03-06")
    assert days.period.dt.day.tolist() == [3, 4, 5]
    assert days.entered.tolist() == [0, 2, 1]  # u1's second a, on the 5th, is a new day


def test_this_week_against_the_four_before():
    trend = pd.DataFrame(
        {
            "period": pd.date_range("2024-01-01", periods=6, freq="7D", tz="UTC"),
            "reached_from": [999, 100, 100, 100, 100, 100],
            "converted": [999, 20, 20, 20, 20, 30],
        }
    )
    c = compare_last(trend)
    # 30 of 100 against 80 of 400 (the first week is not among the four before)
    assert (c["n"], c["before_n"]) == (100, 400)
    assert c["difference"] == pytest.approx(0.10)
    se = math.sqrt(0.3 * 0.7 / 100 + 0.2 * 0.8 / 400)  # Wald: 0.05
    assert c["low"] == pytest.approx(0.10 - 1.959964 * se, abs=1e-6)
    pooled = 110 / 500
    z = 0.10 / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 400))  # 2.159
    assert c["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-6)
    assert "differs from the 4 weeks before" in trend_sentence(c)
    empty = trend.assign(reached_from=[1, 1, 1, 1, 1, 0], converted=[0, 0, 0, 0, 0, 0])
    assert compare_last(empty) is None
