"""Retention, lifecycle, time between orders and bounce rate: hand-worked logs, loop-based
references on random logs, and the planted referral truth of the synthetic shop."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import journeylib as jl
from journeylib.engine import cohorts as cal
from journeylib.overview import summary as overview
from journeylib.synth.shop import generate_shop

T0 = pd.Timestamp("2024-03-04 10:00", tz="UTC")  # a Monday


def log(rows: list[tuple], *, start: pd.Timestamp = T0, **extra) -> jl.EventLog:
    """Rows (user, event, days after ``start``[, revenue]) in source order."""
    frame = pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "event_time": [start + pd.Timedelta(days=r[2]) for r in rows],
        }
    )
    if any(len(r) > 3 for r in rows):
        frame["revenue"] = [r[3] if len(r) > 3 else None for r in rows]
    for col, values in extra.items():
        frame[col] = pd.Series(values, dtype="string")
    return jl.read_events(frame)


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# ---------------------------------------------------------------- retention, by hand

POSTHOG = [("a", "x", 0), ("b", "x", 0), ("c", "x", 0), ("a", "x", 1), ("b", "x", 5)]


def test_posthogs_example_daily_on_and_on_or_after():
    on = jl.retention(log(POSTHOG), cohort="day")
    assert on.rate.round(4).tolist() == [1, 0.3333, 0, 0, 0, 0.3333]
    assert on.retained.tolist() == [3, 1, 0, 0, 0, 1]
    after = jl.retention(log(POSTHOG), cohort="day", mode="on_or_after")
    assert after.retained.tolist() == [3, 2, 1, 1, 1, 1]  # 100, 66, 33, 33, 33, 33 %
    assert (on.cohort == at("2024-03-04")).all() and on.period.tolist() == [0, 1, 2, 3, 4, 5]
    # the last day of the data (day 5) is covered: every period is complete
    assert on.complete.all()
    events = jl.retention(log(POSTHOG), cohort="day", measure="events")
    assert events.retained.tolist() == [3, 1, 0, 0, 0, 1]  # period 0: the three first events


def test_an_incomplete_last_month_is_marked():
    rows = [("a", "x", 0), ("a", "x", 30), ("b", "x", 35), ("b", "x", 60)]
    out = jl.retention(log(rows, start=at("2024-01-10")))  # data ends 2024-03-10
    jan, feb = out[out.cohort == at("2024-01-01")], out[out.cohort == at("2024-02-01")]
    assert jan.period.tolist() == [0, 1, 2] and jan.retained.tolist() == [1, 1, 0]
    assert jan.complete.tolist() == [True, True, False]  # March has not ended
    assert feb.period.tolist() == [0, 1] and feb.retained.tolist() == [1, 1]
    assert feb.complete.tolist() == [True, False]
    # a log whose last event is on 31 March covers March
    ends = jl.retention(log([*rows, ("c", "x", 81)], start=at("2024-01-10")))
    assert ends.complete.all()


def test_iso_weeks_start_on_monday_and_start_and_return_events():
    sunday = at("2024-03-10 23:59")  # the ISO week of Monday 4 March
    rows = [
        ("a", "visit", 0),  # no start event: never in a cohort
        ("a", "purchase", 0.5),  # Sunday 10 March, 23:59 -> week of 4 March
        ("a", "visit", 0.6),  # Monday 11 March: back in period 1, but not with a purchase
        ("a", "purchase", 8),  # Monday 18 March: a purchase in period 2 (week of 18 March)
        ("b", "purchase", 1),  # Monday 11 March -> cohort of 11 March
    ]
    events = log(rows, start=sunday - pd.Timedelta(hours=12))
    out = jl.retention(events, cohort="week", start_event="purchase", return_event="purchase")
    first = out[out.cohort == at("2024-03-04")]
    assert first.retained.tolist() == [1, 0, 1]
    assert out[out.cohort == at("2024-03-11")].retained.tolist() == [1, 0]
    anything = jl.retention(events, cohort="week", start_event="purchase")
    assert anything[anything.cohort == at("2024-03-04")].retained.tolist() == [1, 1, 1]


def test_a_refund_in_a_later_month_lowers_revenue_per_user():
    rows = [
        ("a", "purchase", 0, 100.0),  # January
        ("b", "purchase", 5, 20.0),  # January
        ("a", "purchase", 35, 50.0),  # February
        ("a", "refund", 65, -30.0),  # March: the February order partly refunded
        ("a", "visit", 90),
    ]
    out = jl.retention(log(rows, start=at("2024-01-02")), start_event="purchase")
    assert out.revenue.tolist() == [120.0, 170.0, 140.0, 140.0]
    assert out.revenue_per_user.tolist() == [60.0, 85.0, 70.0, 70.0]
    assert out.retained.tolist() == [2, 1, 1, 1]  # a refund is an event too (return: any)
    bought = jl.retention(
        log(rows, start=at("2024-01-02")), start_event="purchase", return_event="purchase"
    )
    assert bought.retained.tolist() == [2, 1, 0, 0]


def test_split_by_first_channel_or_the_start_events_value():
    rows = [("a", "visit", 0), ("a", "purchase", 3), ("b", "purchase", 1), ("b", "x", 40)]
    events = log(rows, channel=["ads", "email", None, None])
    first = jl.retention(events, start_event="purchase", by="first_channel")
    assert first.groupby("first_channel").cohort_size.first().to_dict() == {"(none)": 1, "ads": 1}
    on_start = jl.retention(events, start_event="purchase", by="channel")
    assert set(on_start.channel) == {"email", "(none)"}
    with pytest.raises(jl.NotComputable, match="device"):
        jl.retention(events, by="first_device")


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="cohort"):
        jl.retention(log(POSTHOG), cohort="year")
    with pytest.raises(ValueError, match="mode"):
        jl.retention(log(POSTHOG), mode="after")
    with pytest.raises(jl.NotComputable, match="purchase"):
        jl.retention(log(POSTHOG), start_event="purchase")


def test_the_curve_pools_complete_cohorts_weighted_by_size():
    rows = [
        ("a", "purchase", 0),  # January cohort: a and b; a buys again in February
        ("b", "purchase", 1),
        ("a", "purchase", 32),
        *[(u, "purchase", 40) for u in "cde"],  # February cohort: c, d, e
        *[(u, "purchase", 70) for u in "cde"],  # all back in March
        ("z", "visit", 91),  # the data ends on 31 March: March is complete
        ("z", "visit", 95),  # ... no: it ends on 4 April, April is incomplete
    ]
    curve = jl.retention_curve(log(rows, start=at("2024-01-01")), mode="on")
    one = curve.set_index("period").loc[1]
    assert (one.cohorts, one.customers, one.retained) == (2, 5, 4)
    assert one.rate == 0.8  # pooled 4 of 5, not the mean of 1/2 and 3/3
    assert one.rate_low < 0.8 < one.rate_high
    two = curve.set_index("period").loc[2]  # only January's March is complete
    assert (two.cohorts, two.customers, two.retained) == (1, 2, 0)
    assert 3 not in curve.period.tolist()  # January's April has not ended


# ---------------------------------------------------------------- lifecycle, by hand


def test_dormant_then_resurrecting_and_the_quick_ratio():
    # a: weeks 0, 1, 3; b: weeks 1, 5 (weeks of Monday 4 March onwards)
    rows = [("a", "x", 0), ("a", "x", 7), ("a", "x", 21), ("b", "x", 7), ("b", "x", 35)]
    out = jl.lifecycle(log(rows))
    wide = out.pivot(index="period", columns="status", values="users")
    assert wide.index[0] == at("2024-03-04") and len(wide) == 6
    assert wide.new.tolist() == [1, 1, 0, 0, 0, 0]
    assert wide.returning.tolist() == [0, 1, 0, 0, 0, 0]
    assert wide.dormant.tolist() == [0, 0, 2, 0, 1, 0]  # a and b lapse in week 2, a in week 4
    assert wide.resurrecting.tolist() == [0, 0, 0, 1, 0, 1]
    quick = out.drop_duplicates("period").set_index("period").quick_ratio
    assert quick.iloc[2] == 0.0 and quick.iloc[4] == 0.0  # (0 + 0) / 2 and (0 + 0) / 1
    assert quick.isna().sum() == 4
    assert out.drop_duplicates("period").complete.tolist() == [True] * 5 + [False]


def test_lifecycle_of_buyers_counts_purchases_only():
    rows = [("a", "purchase", 0), ("a", "visit", 7), ("a", "purchase", 14), ("b", "x", 14)]
    wide = jl.lifecycle(log(rows), event="purchase").pivot(
        index="period", columns="status", values="users"
    )
    assert wide.new.tolist() == [1, 0, 0]
    assert wide.dormant.tolist() == [0, 1, 0]
    assert wide.resurrecting.tolist() == [0, 0, 1]
    q = jl.lifecycle(log(rows), event="purchase", period="month")
    assert q.users.sum() == 1  # one month: a is new


# ---------------------------------------------------------------- time between orders


def test_kaplan_meier_by_hand():
    # a reorders after 10 days (then 5); b's only order is censored after 20 days; c reorders
    # after 30; d is censored after 40. KM: S(10) = 3/4, S(30) = 3/4 * 1/2 = 3/8.
    rows = [
        ("a", "purchase", 0),
        ("a", "purchase", 10),
        ("a", "purchase", 15),
        ("b", "purchase", 20),
        ("c", "purchase", 0),
        ("c", "purchase", 29.5),  # 29.5 days count as 30: within 30 days
        ("d", "purchase", 0),
        ("d", "visit", 40),
    ]
    gaps = jl.time_between_orders(log(rows), by=None)
    assert gaps.curve.days.tolist() == [10, 30]
    assert gaps.curve.share.tolist() == [0.25, 0.625]
    assert gaps.curve.at_risk.tolist() == [4, 2]
    within = gaps.within.set_index("days")
    assert within.share.tolist() == [0.625] * 4 and within.buyers.iloc[0] == 4
    assert (within.share_low < 0.625).all() and (within.share_high > 0.625).all()
    first = gaps.summary.set_index("gap").loc["first to second order"]
    assert (first.orders, first.median_days) == (2, 20.0)
    assert gaps.summary.set_index("gap").loc["between later orders"].median_days == 5


def test_time_between_orders_needs_purchases_and_splits_by_first_channel():
    with pytest.raises(jl.NotComputable, match="purchase"):
        jl.time_between_orders(log(POSTHOG))
    rows = [("a", "x", 0), ("a", "purchase", 1), ("a", "purchase", 3), ("b", "purchase", 2)]
    gaps = jl.time_between_orders(log(rows, channel=["ads", "email", None, "email"]))
    assert set(gaps.within.by) == {"(all)", "ads", "email"}
    assert gaps.within.set_index(["by", "days"]).share.loc[("ads", 30)] == 1.0
    assert gaps.within.set_index(["by", "days"]).share.loc[("email", 30)] == 0.0


# ---------------------------------------------------------------- bounce rate


def test_bounce_rate_by_hand():
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "a", "b", "b", "b", "c", "c"],
            "event": ["session_start", "page_view", "session_start", "page_view",
                      "first_visit", "session_start", "page_view", "session_start",
                      "email_open"],
            "event_time": [T0 + pd.Timedelta(minutes=m) for m in [0, 1, 60, 61, 0, 0, 1, 0, 5]],
            "session_id": ["s1", "s1", "s2", "s2", "s1", "s1", "s1", "s1", None],
            "channel": ["ads", None, "email", None, None, "ads", None, "direct", None],
        }
    )  # fmt: skip
    frame.loc[3, "event"] = "view_item"  # a's second visit: page_view is replaced by two events
    frame = pd.concat([frame, frame.iloc[[3]].assign(event="add_to_cart")], ignore_index=True)
    events = jl.read_events(frame)
    # a/s1: 1 event (bounce); a/s2: 3 events; b/s1: page_view only (bounce); c/s1: nothing
    # but session_start (bounce); c's e-mail open is outside sessions
    overall = jl.bounce_rate(events)
    assert (overall.sessions[0], overall.bounces[0]) == (4, 3)
    by = jl.bounce_rate(events, by="channel").set_index("channel")
    assert by.sessions.to_dict() == {"ads": 2, "direct": 1, "email": 1}
    assert by.bounce_rate.to_dict() == {"ads": 1.0, "direct": 1.0, "email": 0.0}
    table = overview.bounce_table(events)  # 00's table: all sessions first, then by channel
    assert table.attribute.tolist() == ["all sessions", "channel", "channel", "channel"]
    assert table.bounce_rate.tolist() == [0.75, 1.0, 1.0, 0.0]


# ---------------------------------------------------------------- loop-based references


def _period(ts: pd.Timestamp, unit: str) -> int:
    d = ts.date()
    if unit == "month":
        return d.year * 12 + d.month - 1
    return (d.toordinal() - d.weekday()) // 7  # a Monday's ordinal is 7n + 1 (1 January 1)


def _period_end(n: int, unit: str) -> dt.date:
    if unit == "month":
        return dt.date((n + 1) // 12, (n + 1) % 12 + 1, 1)
    return dt.date.fromordinal(7 * (n + 1) + 1)  # the next Monday


def reference_retention(df, unit, mode, start, ret) -> dict:
    """(cohort period, k) -> (size, retained, complete), user by user."""
    last = df.event_time.max()
    last_p, covered = _period(last, unit), last.date() + dt.timedelta(days=1)
    members: dict[int, list] = {}
    for _, ev in df.groupby("user_id"):
        starts = ev[ev.event.isin(start)] if start else ev
        if starts.empty:
            continue
        backs = ev[ev.event.isin(ret)] if ret else ev
        members.setdefault(_period(starts.event_time.min(), unit), []).append(
            {_period(t, unit) for t in backs.event_time}
        )
    out = {}
    for c, users in members.items():
        for k in range(last_p - c + 1):
            if k == 0:
                kept = len(users)
            elif mode == "on":
                kept = sum(c + k in p for p in users)
            else:
                kept = sum(any(x >= c + k for x in p) for p in users)
            out[(c, k)] = (len(users), kept, _period_end(c + k, unit) <= covered)
    return out


events_st = st.lists(
    st.tuples(
        st.sampled_from(["u1", "u2", "u3", "u4"]),
        st.sampled_from(["a", "b"]),
        st.integers(0, 24 * 90),  # hours over three months
    ),
    min_size=1,
    max_size=16,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=events_st,
    unit=st.sampled_from(["week", "month"]),
    mode=st.sampled_from(["on", "on_or_after"]),
    start=st.sampled_from([None, ["a"]]),
    ret=st.sampled_from([None, ["b"]]),
)
def test_retention_agrees_with_a_loop_over_users(rows, unit, mode, start, ret):
    events = log([(u, e, h / 24) for u, e, h in rows], start=at("2024-01-29"))
    df = events.table.to_pandas()
    expected = reference_retention(df, unit, mode, start, ret)
    if not expected:
        with pytest.raises(jl.NotComputable):
            jl.retention(events, cohort=unit, mode=mode, start_event=start, return_event=ret)
        return
    got = jl.retention(events, cohort=unit, mode=mode, start_event=start, return_event=ret)
    as_dict = {
        (_period(r.cohort, unit), r.period): (r.cohort_size, r.retained, r.complete)
        for r in got.itertuples()
    }
    assert as_dict == expected


def reference_lifecycle(df, unit) -> dict:
    """(period, status) -> users, user by user."""
    first, last = _period(df.event_time.min(), unit), _period(df.event_time.max(), unit)
    out: dict = {}
    for _, ev in df.groupby("user_id"):
        active = {_period(t, unit) for t in ev.event_time}
        for p in range(first, last + 1):
            if p in active:
                status = "new" if p == min(active) else "returning" if p - 1 in active else None
                status = status or "resurrecting"
            elif p - 1 in active:
                status = "dormant"
            else:
                continue
            out[(p, status)] = out.get((p, status), 0) + 1
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=events_st, unit=st.sampled_from(["week", "month"]))
def test_lifecycle_agrees_with_a_loop_over_users(rows, unit):
    events = log([(u, e, h / 24) for u, e, h in rows], start=at("2024-01-29"))
    got = jl.lifecycle(events, period=unit)
    got = {(_period(r.period, unit), r.status): r.users for r in got.itertuples() if r.users}
    assert got == reference_lifecycle(events.table.to_pandas(), unit)


def reference_km(durations: list[tuple[float, bool]], day: int) -> float:
    """1 - S(day) by the product-limit rule, event day by event day."""
    s = 1.0
    for t in sorted({d for d, e in durations if e and d <= day}):
        at_risk = sum(d >= t for d, _ in durations)
        s *= 1 - sum(d == t and e for d, e in durations) / at_risk
    return 1 - s


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 24 * 200)), min_size=1))
def test_time_to_second_order_agrees_with_a_product_limit_loop(rows):
    events = log([(u, "purchase", h / 24) for u, h in rows])
    df = events.table.to_pandas()
    end = df.event_time.max()
    durations = []
    for _, ev in df.sort_values(["event_time", "row_id"]).groupby("user_id"):
        times = ev.event_time.tolist()
        if len(times) > 1:
            durations.append((np.ceil((times[1] - times[0]) / pd.Timedelta(days=1)), True))
        else:
            durations.append((np.floor((end - times[0]) / pd.Timedelta(days=1)), False))
    within = jl.time_between_orders(events, by=None).within.set_index("days").share
    for day in (30, 60, 90, 180):
        assert within[day] == pytest.approx(reference_km(durations, day))


def test_month_numbers_match_the_calendar():
    days = pd.date_range("1999-12-25", "2101-03-05", freq="17D", tz="UTC")
    frame = pd.DataFrame({"user_id": "u", "event": "x", "event_time": days})
    t = jl.read_events(frame, max_time=None).table  # dates up to 2101 on purpose
    day = cal.day_number(t.event_time)
    got = t.select(m=cal.period_number(day, "month"), w=cal.period_number(day, "week"))
    got = got.order_by("m").to_pandas()
    assert got.m.tolist() == [d.year * 12 + d.month - 1 for d in days]
    weeks = [_period(d, "week") - _period(days[0], "week") + got.w[0] for d in days]
    assert got.w.tolist() == weeks
    assert [cal.period_start(m, "month") for m in got.m[:2]] == [at("1999-12-01"), at("2000-01-01")]
    assert cal.period_start(got.w[0], "week") == at("1999-12-20")  # the Monday before


# ---------------------------------------------------------------- the synthetic shop


@pytest.fixture(scope="module")
def default_shop(tmp_path_factory) -> tuple[jl.EventLog, dict]:
    """The default synthetic shop (30,000 users, seed 42), as ``make data`` writes it."""
    out = tmp_path_factory.mktemp("default_shop")
    generate_shop(30_000, 42, out=out)
    return jl.read_events(out / "events.parquet"), json.loads((out / "truth.json").read_text())


def test_referral_customers_stay_about_twice_as_often(default_shop):
    events, truth = default_shop
    curve = jl.retention_curve(events, by="first_channel").set_index(["first_channel", "period"])
    referral = curve.loc[("referral", 1)]
    others = curve.drop(index="referral", level=0).xs(1, level="period")
    rest = others.retained.sum() / others.customers.sum()
    assert referral.rate > 1.6 * rest  # planted: about twice as often
    assert referral.rate_low > rest
    # buying again a month or more after the first order is nearly all of repeat buying
    realised = truth["truths"]["referral_repeat_rate"]["realised"]
    assert referral.rate == pytest.approx(realised["referral"], abs=0.05)
    assert rest == pytest.approx(realised["others"], abs=0.05)


def test_the_findings_name_referral_with_its_interval(default_shop, tmp_path):
    from journeylib.retention import findings as findings_retention
    from journeylib.retention import report as retention_report

    events, truth = default_shop
    report = retention_report.analyze(events, week="2024-W52")
    sentences = findings_retention.findings(report)
    assert 3 <= len(sentences) <= 6
    assert sentences[0].startswith("In 2024-W52, ")
    stay = next(s for s in sentences if "stay longest" in s)
    assert "through channel referral stay longest" in stay
    assert "95 % interval +" in stay  # the difference's interval lies above zero
    cmp = findings_retention.stays_longest(report.curves["first_channel"], "first_channel", 3)
    assert cmp["value"] == "referral" and cmp["low"] > 0
    assert cmp["ratio_low"] < 2.0 < cmp["ratio_high"]  # "about twice as often"
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    check = findings_retention.planted_check(report, tmp_path / "truth.json").iloc[0]
    assert check.inside and check.ratio_low > 1.3


def test_a_log_without_revenue_channel_or_device_says_what_is_missing():
    from journeylib.retention import findings as findings_retention
    from journeylib.retention import report as retention_report

    rows = [(u, "purchase", d) for u, d in [("a", 0), ("a", 40), ("b", 3), ("c", 35)]]
    report = retention_report.analyze(log([*rows, ("d", "x", 75)]), week="2024-W20")
    assert set(report.missing) == {"revenue", "first_channel", "first_device"}
    with pytest.raises(jl.NotComputable, match="channel"):
        report.part("first_channel")
    with pytest.raises(jl.NotComputable, match="revenue"):
        report.part("revenue")
    assert 3 <= len(findings_retention.findings(report)) <= 6
    assert set(report.reorder_shares().by) == {"(all)"}


@pytest.mark.notebook
def test_notebook_05_runs_on_a_log_without_revenue_channel_or_device(tmp_path):
    import shutil
    from pathlib import Path

    from journeylib.report import runner as report

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    source = Path(__file__).resolve().parents[1] / "notebooks" / "05_retention.ipynb"
    shutil.copy(source, notebooks)
    rng = np.random.default_rng(3)
    rows = []
    for u in range(80):  # a bare log: who, what, when; some buy again weeks later
        first = at("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 120)))
        rows += [(f"u{u}", "page_view", first), (f"u{u}", "purchase", first)]
        for k in range(int(rng.integers(0, 4))):
            rows.append((f"u{u}", "purchase", first + pd.Timedelta(days=20 * (k + 1))))
    frame = pd.DataFrame(rows, columns=["user_id", "event", "event_time"])
    frame.to_csv(tmp_path / "bare.csv", index=False)
    result = report.run_report(
        "2024-W20", data=tmp_path / "bare.csv", out=tmp_path / "reports",
        notebooks=notebooks, progress=False,
    )  # fmt: skip
    assert result.ok, result.message()
    page = (result.folder / "05_retention.html").read_text(encoding="utf-8")
    assert "Not computed: the log has no revenue column" in page
    assert "Not computed: the log has no &#x27;channel&#x27; column" in page or (
        "Not computed: the log has no 'channel' column" in page
    )
    assert "Findings: retention, 2024-W20" in page
