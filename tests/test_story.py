"""This week's story: weekly numbers by hand, holiday and partial weeks, the sentences."""

from __future__ import annotations

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportions_ztest

import journeylib as jl
from journeylib.overview import summary as overview
from journeylib.show import story

MON_W10 = pd.Timestamp("2024-03-04 10:00", tz="UTC")  # 2024-W10
MON_W11 = pd.Timestamp("2024-03-11 10:00", tz="UTC")  # 2024-W11


def _log() -> jl.EventLog:
    rows = [
        # 2024-W10, Monday only: d buys once (20)
        ("a", MON_W10, "page_view", None),
        ("d", MON_W10, "add_to_cart", None),
        ("d", MON_W10 + pd.Timedelta(minutes=2), "purchase", 20.0),
        # 2024-W11: a buys (50); b leaves a cart; c checks out and buys (30)
        ("a", MON_W11, "page_view", None),
        ("a", MON_W11 + pd.Timedelta(minutes=1), "purchase", 50.0),
        ("b", MON_W11 + pd.Timedelta(days=1), "add_to_cart", None),
        ("c", MON_W11 + pd.Timedelta(days=2), "begin_checkout", None),
        ("c", MON_W11 + pd.Timedelta(days=2, minutes=3), "purchase", 30.0),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "event_time", "event", "revenue"])
    return jl.sessionize(jl.read_events(frame))


def test_weekly_numbers_by_hand():
    n = story.weekly_numbers(_log(), "2024-W11", weeks=3).set_index("week")
    assert list(n.index) == ["2024-W09", "2024-W10", "2024-W11"]
    w11 = n.loc["2024-W11"]
    # sessions a, b, c; converted a, c; checkout c (completed); cart b (abandoned)
    counts = ["sessions", "converted", "checkouts", "completed", "carts", "abandoned"]
    assert w11[counts].tolist() == [3, 2, 1, 1, 1, 1]
    assert w11[["orders", "buyers", "revenue", "days"]].tolist() == [2, 2, 80.0, 3]
    assert w11["session conversion"] == pytest.approx(2 / 3)
    assert w11["average order value"] == 40.0 and w11["cart abandonment"] == 1.0
    w10 = n.loc["2024-W10"]
    assert w10[["sessions", "converted", "carts", "abandoned", "orders", "days"]].tolist() == [
        2, 1, 1, 0, 1, 1,
    ]  # fmt: skip
    assert n.loc["2024-W09", "sessions"] == 0 and pd.isna(n.loc["2024-W09", "session conversion"])


def test_weekly_numbers_match_the_overview_week_by_week(shop_dir):
    log = jl.sessionize(jl.read_events(shop_dir / "events.parquet"))
    n = story.weekly_numbers(log, "2024-W30", weeks=3).set_index("week")
    for week in n.index:
        k = overview.weekly_kpis(log, week).set_index("kpi").this_week
        assert n.loc[week, "sessions"] == k["sessions"]
        assert n.loc[week, "orders"] == k["orders"]
        assert n.loc[week, "session conversion"] == pytest.approx(k["conversion rate"])
        assert n.loc[week, "cart abandonment"] == pytest.approx(k["cart abandonment"])
        assert n.loc[week, "average order value"] == pytest.approx(k["average order value"])


@pytest.mark.parametrize(
    ("monday", "name"),
    [
        ("2024-12-23", "Christmas"),
        ("2024-12-30", "New Year"),
        ("2024-11-25", "Black Friday"),  # Friday 29 November
        ("2024-12-02", "Cyber Monday"),  # the Monday after
        ("2024-03-04", None),
    ],
)
def test_holiday_weeks(monday, name):
    assert story.holiday(pd.Timestamp(monday, tz="UTC")) == name


def test_week_story_sentences():
    log = _log()
    numbers = story.weekly_numbers(log, "2024-W11", weeks=5)
    said = story.week_story(log, "2024-W11", metrics=["session conversion", "sessions"])
    _, p = proportions_ztest([2, 1], [3, 2])  # 2 of 3 sessions against 1 of 2
    assert said[0] == (
        f"Session conversion was 66.7% against 50.0% the week before (+16.7 pts; within normal "
        f"week-to-week variation, p = {p:.3f}) and 50.0% on average over the 4 weeks before."
    )
    # the 4 weeks before W11: W07-W09 without sessions and W10 with 2: 0.5 a week
    assert said[1] == (
        "Sessions: 3 against 2 the week before (+50.0%, a large change) and 0.5 a week on "
        "average over the 4 weeks before."
    )
    # one pair of brackets per week, never one inside another
    assert story.week_heading(numbers) == (
        "This week, 2024-W11 (a partial week with data on 3 of its 7 days), against 2024-W10 "
        "(a partial week with data on 1 of its 7 days) and the 4 weeks before"
    )


def _buyers_log() -> pd.DataFrame:
    """Purchases by week: W08 c; W09 a, f; W10 a, b, c, d; W11 a, b, e (Mondays, UTC)."""
    weeks = {"2024-W08": "c", "2024-W09": "af", "2024-W10": "abcd", "2024-W11": "abe"}
    rows = [
        (user, pd.Timestamp.fromisocalendar(2024, int(w[-2:]), 1).tz_localize("UTC"), 10.0)
        for w, users in weeks.items()
        for user in users
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "event_time", "revenue"])
    return frame.assign(event="purchase")


def test_lifecycle_story_by_hand():
    cycle = jl.lifecycle(jl.read_events(_buyers_log()), period="week", event="purchase")
    back, lapsed = story.lifecycle_story(cycle, "2024-W11")
    # W11: a, b returning, e new: 2 of 3 had bought before; W10: a returning, c back after a
    # break (bought W08), b, d new: 2 of 4; W08-W10 together: 2 of 1 + 2 + 4 = 7 (28.6 %)
    _, p = proportions_ztest([2, 2], [3, 4])
    assert back == (
        "66.7% of this week's 3 buying customers had bought before (2 returning or back after "
        "a break) against 50.0% the week before (+16.7 pts; within normal week-to-week "
        f"variation, p = {p:.3f}) and 28.6% on average over the 4 weeks before."
    )
    # lapsed in W11: c, d (bought W10, not W11); in W10: f; W09: c, W08: none (mean 2/3)
    assert lapsed == (
        "2 customers who bought the week before did not buy this week, against 1 a week "
        "earlier (+100.0%, a large change) and 0.7 a week on average over the 4 weeks before."
    )


def test_lifecycle_story_needs_the_week_before():
    cycle = jl.lifecycle(jl.read_events(_buyers_log()), period="week", event="purchase")
    assert story.lifecycle_story(cycle, "2024-W08") == []


def test_retention_week_opens_with_buyers_then_lifecycle():
    log = jl.read_events(_buyers_log())
    cycle = jl.lifecycle(log, period="week", event="purchase")
    text = story.retention_week(log, "2024-W11", cycle).data
    assert text.index("This week, 2024-W11") < text.index("Buyers") < text.index("66.7%")


def test_this_week_leaves_money_out_without_revenue():
    frame = _buyers_log().drop(columns="revenue")
    text = story.this_week(jl.read_events(frame), "2024-W11", metrics=["buyers", "revenue"]).data
    assert "Buyers: 3 against 4" in text and "Revenue" not in text and "0.00" not in text
    with_money = story.this_week(jl.read_events(_buyers_log()), "2024-W11", metrics=["revenue"])
    assert "Revenue was 30.00 against 40.00" in with_money.data  # 3 and 4 orders of 10


def test_a_rate_the_log_cannot_give_is_left_out_of_the_story():
    # the log has checkouts only in W11 (c), so checkout completion is told; cart abandonment
    # too (b, d); a log without any begin_checkout has no checkout completion sentence
    log = _log()
    said = story.week_story(log, "2024-W11", metrics=["checkout completion", "sessions"])
    assert said[0].startswith("Checkout completion was 100.0% against")
    no_checkout = log.table.filter(log.table.event != "begin_checkout")
    said = story.week_story(
        log.replace(table=no_checkout), "2024-W11", metrics=["checkout completion", "sessions"]
    )
    assert len(said) == 1 and said[0].startswith("Sessions: 3 against 2")


def test_a_partial_holiday_week_reads_in_one_pair_of_brackets():
    # the log ends on Tuesday 2024-12-24: two days of the Christmas week (Monday 23rd)
    numbers = pd.DataFrame(
        {
            "week": ["2024-W51", "2024-W52"],
            "start": pd.to_datetime(["2024-12-16", "2024-12-23"], utc=True),
            "days": [7, 2],
        }
    )
    heading = story.week_heading(numbers)
    assert heading == (
        "This week, 2024-W52 (a Christmas week, a partial week with data on 2 of its 7 days), "
        "against 2024-W51 and the 4 weeks before"
    )
    assert heading.count("(") == heading.count(")") == 1
