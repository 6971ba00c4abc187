"""The index's bounce rate: defined in the glossary, equal to bounce_rate on the week."""

from __future__ import annotations

import pandas as pd
import pytest

import journeylib as jl
from journeylib.engine.periods import filter_period, iso_week_bounds
from journeylib.report import kpis as report_kpis
from journeylib.report import trend as _report_trend
from journeylib.show import glossary, story

# 2024-W23 is Monday 3 June to Sunday 9 June; W22 the week before. Sessions by hand, the tag's
# own events (session_start, first_visit, user_engagement) left out of the count:
# W22: e (page_view only: 1 event, a bounce), f (page_view, page_view: 2, not): 1 of 2 = 50 %.
# W23: a (page_view + bookkeeping: 1, a bounce), b (page_view, view_item: 2, not),
#      c (session_start only: 0, a bounce), d (page_view, add_to_cart, purchase: 3, not);
#      2 of 4 = 50 %; g's visit on Sunday 9 June 23:50 (page_view) is a bounce in W23 too:
#      3 of 5 = 60 %.
TINY = [
    ("e", "page_view", "2024-05-30 10:00"),
    ("f", "page_view", "2024-05-31 10:00"),
    ("f", "page_view", "2024-05-31 10:03"),
    ("a", "session_start", "2024-06-04 10:00"),
    ("a", "first_visit", "2024-06-04 10:00"),
    ("a", "page_view", "2024-06-04 10:00"),
    ("a", "user_engagement", "2024-06-04 10:01"),
    ("b", "session_start", "2024-06-04 11:00"),
    ("b", "page_view", "2024-06-04 11:00"),
    ("b", "view_item", "2024-06-04 11:02"),
    ("c", "session_start", "2024-06-05 09:00"),
    ("d", "page_view", "2024-06-06 12:00"),
    ("d", "add_to_cart", "2024-06-06 12:01"),
    ("d", "purchase", "2024-06-06 12:02"),
    ("g", "page_view", "2024-06-09 23:50"),
]


@pytest.fixture
def tiny() -> pd.DataFrame:
    frame = pd.DataFrame(TINY, columns=["user_id", "event", "event_time"])
    frame["event_time"] = pd.to_datetime(frame.event_time, utc=True)
    frame["revenue"] = frame.event.map({"purchase": 20.0})
    return frame


def test_index_bounce_rate_by_hand(tiny):
    kpis = report_kpis.week_kpis(tiny, "2024-W23")
    assert kpis["bounce rate"]["value"] == pytest.approx(3 / 5)
    assert kpis["bounce rate"]["previous"] == pytest.approx(1 / 2)
    assert kpis["bounce rate"]["unit"] == "share"
    assert kpis["bounce rate"]["recent"]["2024-W23"] == pytest.approx(3 / 5)
    assert kpis["bounce rate"]["recent"]["2024-W22"] == pytest.approx(1 / 2)
    numbers = story.weekly_numbers(tiny, "2024-W23", weeks=2)
    assert numbers[["sessions", "bounces"]].values.tolist() == [[2, 1], [5, 3]]


def test_index_bounce_rate_is_bounce_rate_on_the_week(shop_dir):
    log = jl.sessionize(jl.read_events(str(shop_dir / "events.parquet")))
    week = "2024-W40"
    kpis = report_kpis.week_kpis(log, week)
    start, end = iso_week_bounds(week)
    for w, value in kpis["bounce rate"]["recent"].items():
        first, last = iso_week_bounds(w)
        expected = jl.bounce_rate(filter_period(log, start=first, end=last))
        assert value == pytest.approx(expected.bounce_rate[0]), w
    this = jl.bounce_rate(filter_period(log, start=start, end=end))
    before = jl.bounce_rate(filter_period(log, start=start - pd.Timedelta(days=7), end=start))
    assert kpis["bounce rate"]["value"] == pytest.approx(this.bounce_rate[0])
    assert kpis["bounce rate"]["previous"] == pytest.approx(before.bounce_rate[0])
    assert 0 < this.bounce_rate[0] < 1 and this.sessions[0] > 100


def test_index_shows_bounce_rate_in_its_table_trend_and_definitions():
    weeks = ["2024-W22", "2024-W23"]
    kpis = {
        kpi: {"value": 0.6 if kpi == "bounce rate" else 1.0, "previous": 0.5, "unit": unit,
              "recent": dict.fromkeys(weeks, 0.5)}
        for kpi, unit in report_kpis.KPIS.items()
    }  # fmt: skip
    section = _report_trend.kpi_section({"2024-W23": {"kpis": kpis}})
    row = "".join(f'<td class="num">{c}</td>' for c in ("60.0%", "50.0%", "+10.0 pts"))
    assert f"<td>Bounce rate</td>{row}" in section  # 60 % against 50 %: +10 points
    assert glossary.define("bounce rate") in section
    assert "Bounce rate" in section[section.index('alt="') :]
    assert glossary.define("bounce rate").startswith("Bounce rate: the share of sessions")
