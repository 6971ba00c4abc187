"""Headline KPIs per report week, stored in status.json, shown on the index with a trend."""

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from journeylib import cli, clv, read_events
from journeylib.report import runner as report
from journeylib.report.kpis import KPIS, kpi_history, week_kpis

# 2024-W23 is Monday 3 June to Sunday 9 June; W22 the week before. By hand:
# W22: sessions a1 (cart, bought 100) and d1 (cart, no order): 2 sessions, conversion 1/2,
#      abandonment 1/2 carts, average order 100.
# W23: a2 (bought 50, no cart event), b1 (cart, no order), c1 (view): 3 sessions,
#      conversion 1/3, abandonment 1/1, average order 50.
# Repeat rate: before W23 a has one order (0 of 1 buyer); by its end two (1 of 1).
# Bounce rate: W22 none of 2 sessions has a single event; W23 c1 (one page view) of 3.
TINY = [
    ("a", "page_view", "2024-05-28 10:00", None),
    ("a", "add_to_cart", "2024-05-28 10:01", None),
    ("a", "purchase", "2024-05-28 10:02", 100.0),
    ("d", "page_view", "2024-05-29 10:00", None),
    ("d", "add_to_cart", "2024-05-29 10:01", None),
    ("a", "page_view", "2024-06-04 10:00", None),
    ("a", "purchase", "2024-06-04 10:05", 50.0),
    ("b", "page_view", "2024-06-05 10:00", None),
    ("b", "add_to_cart", "2024-06-05 10:02", None),
    ("c", "page_view", "2024-06-06 10:00", None),
]


@pytest.fixture
def tiny() -> pd.DataFrame:
    frame = pd.DataFrame(TINY, columns=["user_id", "event", "event_time", "revenue"])
    frame["event_time"] = pd.to_datetime(frame.event_time, utc=True)
    return frame


def test_week_kpis_by_hand(tiny):
    kpis = week_kpis(tiny, "2024-W23")
    assert list(kpis) == list(KPIS)
    got = {k: (v["value"], v["previous"]) for k, v in kpis.items() if k != "mean CLV"}
    assert got == {
        "sessions": (3, 2),
        "bounce rate": (pytest.approx(1 / 3), 0.0),
        "conversion rate": (pytest.approx(1 / 3), 0.5),
        "cart abandonment": (1.0, 0.5),
        "average order value": (50.0, 100.0),
        "repeat rate": (1.0, 0.0),
    }
    assert math.isnan(kpis["mean CLV"]["value"]), "one buyer: no CLV model to fit"
    assert kpis["conversion rate"]["unit"] == "share"


def test_mean_clv_is_the_clv_models_mean_on_the_log_up_to_the_end_of_the_week(shop_dir):
    events = read_events(str(Path(shop_dir) / "events.parquet"))
    kpis = week_kpis(events, "2024-W40")
    frame = pd.read_parquet(Path(shop_dir) / "events.parquet")
    end = pd.Timestamp("2024-10-07", tz="UTC")  # Monday after 2024-W40
    expected = clv.customer_value(frame[frame.event_time < end]).clv.mean()
    assert kpis["mean CLV"]["value"] == pytest.approx(expected, rel=1e-6)
    assert kpis["mean CLV"]["value"] > 0
    buyers = frame[(frame.event == "purchase") & (frame.event_time < end)].groupby("user_id")
    assert kpis["repeat rate"]["value"] == pytest.approx((buyers.size() >= 2).mean())


def test_kpi_history_is_tidy_in_week_and_kpi_order():
    statuses = {
        "2024-W02": {"kpis": {"mean CLV": {"value": 5, "unit": "currency"},
                              "sessions": {"value": 9, "unit": "count"}}},
        "2024-W01": {"kpis": {"sessions": {"value": None, "unit": "count"}}},
        "2024-W03": {"kpis": None},
    }  # fmt: skip
    history = kpi_history(statuses)
    assert history[["week", "kpi"]].values.tolist() == [
        ["2024-W01", "sessions"],
        ["2024-W02", "sessions"],
        ["2024-W02", "mean CLV"],
    ]
    assert math.isnan(history.value[0]) and history.value[2] == 5


@pytest.fixture(autouse=True)
def _no_warm_kernels(monkeypatch):
    """Runs with a stand-in for run_notebook start no real kernels (the real run still does:
    module fixtures are set up before this one)."""
    monkeypatch.setattr(report, "WARM_KERNELS", False)


def fake_runner(notebook, output, *, parameters, progress=True, timeout=None):
    Path(output).with_suffix(".html").write_text("<p>page</p>")
    return report.NotebookResult(Path(notebook).name, "ok", f"{Path(notebook).stem}.html", 0.1)


@pytest.fixture(scope="module")
def backfill(shop_dir, tmp_path_factory) -> Path:
    """``journeylib report --weeks 2024-W48..2024-W50`` on the small shop (fake notebooks)."""
    folder = tmp_path_factory.mktemp("nb")
    (folder / "00_page.ipynb").write_text("{}")
    out = tmp_path_factory.mktemp("reports")
    argv = ["report", "--weeks", "2024-W48..2024-W50", "--data",
            str(Path(shop_dir) / "events.parquet"), "--notebooks", str(folder),
            "--out", str(out), "--no-progress"]  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report, "run_notebook", fake_runner)
        patch.setattr(report, "WARM_KERNELS", False)
        assert cli.main(argv) == 0
    return out


def test_backfill_stores_each_weeks_kpis(backfill, shop_dir):
    weeks = ["2024-W48", "2024-W49", "2024-W50"]
    statuses = {w: json.loads((backfill / w / "status.json").read_text()) for w in weeks}
    for week, status in statuses.items():
        assert status["kpi_error"] == ""
        assert list(status["kpis"]) == list(KPIS), week
    events = read_events(str(Path(shop_dir) / "events.parquet"))
    assert (
        statuses["2024-W49"]["kpis"]["sessions"]["value"]
        == week_kpis(events, "2024-W49")["sessions"]["value"]
    )
    # the week before, as computed for a week, is that week's own value
    assert (
        statuses["2024-W50"]["kpis"]["sessions"]["previous"]
        == (statuses["2024-W49"]["kpis"]["sessions"]["value"])
    )


def test_index_shows_the_latest_weeks_kpis_with_changes_and_a_trend(backfill):
    index = (backfill / "index.html").read_text()
    latest = json.loads((backfill / "2024-W50" / "status.json").read_text())["kpis"]
    assert "Headline numbers, 2024-W50 against the week before" in index
    sessions = latest["sessions"]
    row = re.search(r"<td>Sessions</td>((?:<td[^>]*>[^<]*</td>){3})", index).group(1)
    change = sessions["value"] - sessions["previous"]
    assert f"{sessions['value']:,.0f}" in row and f"{change:+,.0f}" in row
    conversion = latest["conversion rate"]
    points = 100 * (conversion["value"] - conversion["previous"])
    assert f"{points:+.2f} pts" in index
    alt = re.search(r'<img class="trend" alt="([^"]+)" src="data:image/png;base64,', index)
    # the stored weeks W48-W50 and, drawn from the log by the newest run, the 8 weeks to W50
    assert alt and "2024-W43 to 2024-W50" in alt.group(1)
    assert index.index("Headline KPIs") < index.index("<h2>2024-W50 ")


def test_index_says_why_kpis_are_missing(tmp_path):
    (tmp_path / "2024-W01").mkdir()
    status = {"ok": True, "notebooks": [], "kpis": None, "kpi_error": "DataError: <bad> file"}
    (tmp_path / "2024-W01" / "status.json").write_text(json.dumps(status))
    index = report.write_index(tmp_path).read_text()
    assert "KPIs not computed: DataError: &lt;bad&gt; file" in index
    assert "Headline KPIs" not in index


def test_first_run_trend_has_eight_weeks_from_the_log(shop_dir):
    events = read_events(str(Path(shop_dir) / "events.parquet"))
    kpis = week_kpis(events, "2024-W50")
    recent = kpis["sessions"]["recent"]
    assert list(recent) == [f"2024-W{w}" for w in range(43, 51)]
    # each week's value is that week's own KPI, computed by the second method (week by week)
    for week in ("2024-W43", "2024-W49"):
        assert recent[week] == week_kpis(events, week)["sessions"]["value"]
        conversion = kpis["conversion rate"]["recent"][week]
        assert conversion == pytest.approx(week_kpis(events, week)["conversion rate"]["value"])
    history = kpi_history({"2024-W50": {"kpis": kpis}})
    assert sorted(history.week.unique()) == list(recent)
    assert len(history[history.kpi == "mean CLV"]) == 1  # CLV only for the stored week
