"""Durations on a chart axis: round ticks with units, picked from the range of the data."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from journeylib.funnels import plots as plots_funnel
from journeylib.show.duration_axis import duration_tick_label, tick_seconds

MIN, HOUR, DAY = 60, 3_600, 86_400


def test_tick_labels_name_their_unit():
    assert [duration_tick_label(s) for s in (1, 30, 90, 600, 7_200, DAY, 7 * DAY)] == [
        "1 s", "30 s", "1.5 min", "10 min", "2 h", "1 day", "7 days"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        # 40 s to 1,000 s: the round minutes 1, 2, 5, 10, 15 (30 s is below, 30 min above)
        (40, 1_000, [MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN]),
        # 3 s to 130 s: 5, 10, 15, 30 s, 1 and 2 min
        (3, 130, [5, 10, 15, 30, MIN, 2 * MIN]),
        # 290 s to 430 s: only 5 min is a coarse value; the finer 5, 6, 7 min
        (290, 430, [5 * MIN, 6 * MIN, 7 * MIN]),
        # 1.7 to 200 days: coarse 2, 3, 7, 14, 30, 60, 90, 180 days; each kept tick is at least
        # (200 / 1.7) ** (1 / 10) = 1.61 times the one before: 3 (1.5x 2) and 90 (1.5x 60) go
        (1.7 * DAY, 200 * DAY, [2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 60 * DAY, 180 * DAY]),
    ],
)
def test_round_ticks_in_the_range(low, high, ticks):
    assert tick_seconds(low, high) == ticks


def _visible_ticks(ax) -> list[str]:
    ax.figure.canvas.draw()
    low, high = ax.get_xlim()
    labels = zip(ax.get_xticks(), ax.get_xticklabels(), strict=True)
    return [label.get_text() for x, label in labels if low <= x <= high and label.get_text()]


@pytest.mark.parametrize(
    ("seconds", "expected", "median"),
    [
        # conversions that take seconds: 4 s to 100 s, median 20 s
        ([4, 8, 20, 45, 100], ["5 s", "10 s", "15 s", "30 s", "1 min"], "median: 20 s"),
        # minutes, as on the default shop: 70 s to 15 min, median 5 min 40 s
        ([70, 200, 340, 500, 900], ["2 min", "5 min", "10 min"], "median: 6 min"),
    ],
)
def test_time_to_convert_axis_shows_several_durations_with_units(seconds, expected, median):
    times = pd.DataFrame({"time_to_convert": pd.to_timedelta(seconds, unit="s")})
    ax = plots_funnel.time_to_convert(times)
    shown = _visible_ticks(ax)
    assert set(expected) <= set(shown)
    assert all(label.endswith((" s", " min", " h", " day", " days")) for label in shown)
    assert ax.get_legend().get_texts()[0].get_text() == median
    assert ax.get_xlabel() == "time to convert (log scale)"
    plt.close(ax.figure)
