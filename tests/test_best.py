"""Best customers, customer facts and the best-vs-rest profile: hand-worked cases + the shop."""

import math

import pandas as pd
import pytest

import journeylib as jl
from journeylib.best import _stats as st
from journeylib.synth.shop import generate_shop


def ev(rows):
    """Rows (user, event, time, extra dict) -> a canonical event frame."""
    out = []
    for user, event, time, *extra in rows:
        out.append(
            {
                "user_id": user,
                "event": event,
                "event_time": pd.Timestamp(time, tz="UTC"),
                **(extra[0] if extra else {}),
            }
        )
    frame = pd.DataFrame(out)
    for col in ("session_id", "channel", "device", "page_type", "category", "product_id"):
        frame[col] = frame[col].astype("string") if col in frame else pd.NA
        frame[col] = frame[col].astype("string")
    if "revenue" not in frame:
        frame["revenue"] = float("nan")
    return frame


def s(session, channel="direct", device="desktop", **kw):
    return {"session_id": session, "channel": channel, "device": device, **kw}


# Net revenue: a 100, b 50 + 30 = 80, c 200 - 200 (refund) = 0, d 10; e never buys.
VALUES = ev([
    ("a", "purchase", "2024-01-01 10:00", s("a1", revenue=100.0, category="shoes")),
    ("b", "purchase", "2024-01-02 10:00", s("b1", revenue=50.0, category="bags")),
    ("b", "purchase", "2024-01-20 10:00", s("b2", revenue=30.0, category="bags")),
    ("c", "purchase", "2024-01-03 10:00", s("c1", revenue=200.0, category="shoes")),
    ("c", "refund", "2024-01-09 10:00", {"revenue": -200.0}),
    ("d", "purchase", "2024-01-04 10:00", s("d1", revenue=10.0, category="bags")),
    ("d", "page_view", "2024-01-30 10:00", s("d2", page_type="home")),
    ("e", "page_view", "2024-01-05 10:00", s("e1", page_type="home")),
])  # fmt: skip


def test_best_by_net_revenue_uses_the_quantile_of_customers():
    # customers' values 0, 10, 80, 100; 75th percentile (linear) = 80 + 0.25 * 20 = 85
    best = jl.best_customers(VALUES, top=0.25)
    assert best.user_id.tolist() == ["a"]
    assert best.value.tolist() == [100.0]
    # median = 10 + 0.5 * 70 = 45 -> a (100) and b (80); the refund makes c (0) not best
    assert jl.best_customers(VALUES, top=0.5).user_id.tolist() == ["a", "b"]
    assert jl.best_customers(VALUES, top=0.5).measure.iloc[0] == "net revenue"


def test_equal_revenue_ties_whatever_the_order_of_addition():
    # b's 0.1 + 0.2 is 0.30000000000000004 in floating point, a's is 0.3: equal revenue, so
    # they tie and rank by user id (a first), as in any run whatever the engine's sum order
    tied = ev([
        ("a", "purchase", "2024-01-01 10:00", s("a1", revenue=0.3)),
        ("b", "purchase", "2024-01-02 10:00", s("b1", revenue=0.1)),
        ("b", "purchase", "2024-01-03 10:00", s("b2", revenue=0.2)),
        ("c", "purchase", "2024-01-04 10:00", s("c1", revenue=0.1)),
    ])  # fmt: skip
    best = jl.best_customers(tied, top=0.5)
    assert best.user_id.tolist() == ["a", "b"]
    assert best.value.tolist() == [0.3, 0.3]


def test_best_by_orders_tenure_and_clv():
    # orders 1, 2, 1, 1: 75th percentile = 1 + 0.25 * 1 = 1.25 -> b
    assert jl.best_customers(VALUES, by="orders", top=0.25).user_id.tolist() == ["b"]
    # tenure = first order to last event: a 0, b 18, c 6 (refund), d 26 days -> d
    tenure = jl.best_customers(VALUES, by="tenure", top=0.25)
    assert tenure.user_id.tolist() == ["d"]
    assert tenure.value.iloc[0] == pytest.approx(26.0)
    clv = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "clv": [1.0, 2.0, 300.0, 4.0]})
    by_clv = jl.best_customers(VALUES, by="clv", top=0.25, clv=clv)
    assert by_clv.user_id.tolist() == ["c"] and by_clv.measure.iloc[0] == "predicted CLV"
    fallback = jl.best_customers(VALUES, by="clv", top=0.25)
    assert fallback.user_id.tolist() == ["a"] and "historical" in fallback.measure.iloc[0]


def test_who_they_are_shares():
    out = jl.who_they_are(VALUES, ["a"]).set_index("metric")
    assert out.loc["customers", "share"] == pytest.approx(1 / 4)
    assert out.loc["net revenue", "share"] == pytest.approx(100 / 190)  # 100 of 0+10+80+100
    assert out.loc["orders", "share"] == pytest.approx(1 / 5)


JOURNEY = ev([
    # u: visits on Jan 1 (paid, mobile, lands on blog), views 2 products; buys on Jan 3 in
    # an email session; writes a review; comes back on Jan 8 via referral; 2nd order Jan 20
    # 2 h after an email click (email-driven), 3rd order Jan 30 with a click 30 h before (not).
    ("u", "session_start", "2024-01-01 09:00", s("u1", "paid_social", "mobile")),
    ("u", "ad_click", "2024-01-01 09:00", s("u1", "paid_social", "mobile")),
    ("u", "page_view", "2024-01-01 09:01", s("u1", "paid_social", "mobile", page_type="blog")),
    ("u", "page_view", "2024-01-01 09:02",
     s("u1", "paid_social", "mobile", page_type="product", product_id="P1")),
    ("u", "page_view", "2024-01-01 09:03",
     s("u1", "paid_social", "mobile", page_type="product", product_id="P2")),
    ("u", "page_view", "2024-01-03 09:00", s("u2", "email", "mobile", page_type="reviews")),
    ("u", "purchase", "2024-01-03 09:05", s("u2", "email", "mobile", revenue=60.0,
                                             category="shoes", product_id="P1")),
    ("u", "write_review", "2024-01-05 09:00", s("u3", "direct", "mobile")),
    ("u", "page_view", "2024-01-08 09:00", s("u4", "referral", "desktop", page_type="home")),
    ("u", "email_click", "2024-01-20 08:00", s("u5", "email", "desktop")),
    ("u", "purchase", "2024-01-20 10:00", s("u6", "direct", "desktop", revenue=40.0,
                                             category="bags")),
    ("u", "email_click", "2024-01-29 04:00", s("u7", "email", "desktop")),
    ("u", "purchase", "2024-01-30 10:00", s("u8", "direct", "desktop", revenue=20.0,
                                             category="bags")),
    # v: buys in the first session, never comes back.
    ("v", "page_view", "2024-01-02 12:00", s("v1", "direct", "tablet", page_type="home")),
    ("v", "purchase", "2024-01-02 12:30", s("v1", "direct", "tablet", revenue=10.0,
                                             category="bags")),
])  # fmt: skip


def test_customer_facts_hand_worked():
    f = jl.customer_facts(JOURNEY).set_index("user_id")
    u = f.loc["u"]
    assert (u.first_channel, u.first_device, u.first_touchpoint) == (
        "paid_social",
        "mobile",
        "ad_click",
    )
    assert u.days_to_first_order == pytest.approx(2 + 5 / 1440)  # Jan 1 09:00 -> Jan 3 09:05
    assert u.sessions_before == 2 and u.products_before == 2 and u.active_days_before == 2
    assert u.first_category == "shoes" and u.orders == 3 and u.net_revenue == 120.0
    assert bool(u.reviewed) and not bool(u.shared)
    # the review session (Jan 5) is the first visit after the first order
    assert u.next_visit_days == pytest.approx(2 - 5 / 1440)
    assert u.next_visit_channel == "direct"
    assert u.email_orders == 2  # the email session order and the one 2 h after a click
    # Jan 3 09:05 -> Jan 30 10:00 = 27 days 55 min, over 2 gaps
    assert u.days_between_orders == pytest.approx((27 + 55 / 1440) / 2)
    v = f.loc["v"]
    assert v.days_to_first_order == pytest.approx(0.5 / 24)
    assert v.sessions_before == 1 and pd.isna(v.next_visit_days) and v.email_orders == 0


def test_share_row_against_hand_computation():
    # best 2/4, rest 1/4: difference 0.25; pooled p = 3/8, se = sqrt(3/8 * 5/8 * (1/4 + 1/4))
    flag = pd.Series([1, 1, 0, 0, 1, 0, 0, 0], dtype=bool)
    is_best = pd.Series([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    row = st.flag_row(flag, is_best, "x")
    z = 0.25 / math.sqrt(3 / 8 * 5 / 8 * 0.5)
    assert row["best"] == 0.5 and row["rest"] == 0.25 and row["ratio"] == 2.0
    assert row["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert row["ci_low"] < 0.25 < row["ci_high"]


def test_mean_median_and_ratio_rows():
    v = pd.Series([1.0, 2.0, 3.0, 10.0, 20.0, 30.0])
    b = pd.Series([1, 1, 1, 0, 0, 0], dtype=bool)
    mean = st.mean_row(v, b, "m", "count")
    assert (mean["best"], mean["rest"], mean["difference"]) == (2.0, 20.0, -18.0)
    assert mean["ci_low"] < -18 < mean["ci_high"]
    med = st.median_row(v, b, "m", "days")
    assert (med["best"], med["rest"]) == (2.0, 20.0)
    # pooled ratios: best (1+2+3)/(1+1+1) = 2, rest (10+20+30)/(1+1+4) = 10
    ratio = st.ratio_row(v, pd.Series([1, 1, 1, 1, 1, 4.0]), b, "aov", "currency")
    assert (ratio["best"], ratio["rest"]) == (2.0, 10.0)


def test_profile_covers_the_six_groups_and_says_when_clv_is_historical():
    prof = jl.profile(JOURNEY, ["u"])
    assert sorted(prof.group.unique()) == [1, 2, 3, 4, 5, 6]
    rows = prof.set_index("metric")
    assert rows.loc["first channel: paid_social", "best"] == 1.0
    assert rows.loc["first channel: paid_social", "rest"] == 0.0
    assert rows.loc["orders", "best"] == 3 and rows.loc["orders", "rest"] == 1
    assert rows.loc["email-driven share of purchases", "best"] == pytest.approx(2 / 3)
    assert rows.loc["average order value", "best"] == pytest.approx(40.0)
    assert "historical" in rows.loc["CLV", "note"]
    clv = pd.DataFrame(
        {
            "user_id": ["u", "v"],
            "clv": [500.0, 5.0],
            "p_alive": [0.9, 0.2],
            "expected_orders": [3.0, 0.1],
        }
    )
    with_model = jl.profile(JOURNEY, ["u"], clv=clv).set_index("metric")
    assert with_model.loc["CLV", "best"] == 500.0
    assert with_model.loc["P(alive) at the end of the data", "rest"] == 0.2


@pytest.fixture(scope="module")
def big_shop(tmp_path_factory):
    """A default-size shop (30,000 users, ~1 s to generate): enough power for the truths."""
    out = tmp_path_factory.mktemp("big_shop")
    generate_shop(n_customers=30_000, seed=42, out=out)
    return jl.sessionize(jl.read_events(out / "events.parquet"))


def test_planted_channel_has_the_highest_repeat_rate(big_shop):
    quality = jl.channel_quality(big_shop)
    assert quality.channel.iloc[0] == "referral"
    referral = quality.iloc[0]
    others = quality.iloc[1:]
    rest_rate = others.repeat_customers.sum() / others.customers.sum()
    assert referral.ci_low > rest_rate  # 0.577 vs 0.293 in the default shop


def test_planted_early_pattern_ranks_first(big_shop):
    best = jl.best_customers(big_shop)
    assert len(best) == 148  # truth.json: n_best at the 90th percentile of net revenue
    patterns = jl.early_patterns(big_shop, best)
    top = patterns.iloc[0]
    assert top.pattern == "page: reviews + page: size_guide"
    assert top.productive and top.lift == pytest.approx(3.47, abs=0.01)  # truth: 3.4694


def one_order_shop(*, revenue: bool = True, same_time: bool = False) -> pd.DataFrame:
    """20 customers: u00 with two orders, u01..u19 with one (revenue 10 + n for u<n>, each on
    day n of January unless ``same_time``)."""
    rows = [("u00", "purchase", "2024-01-01 09:00", {"revenue": 5.0})]
    for n in range(20):
        day = 1 if same_time else n + 1
        rows.append((f"u{n:02}", "purchase", f"2024-01-{day:02} 10:00", {"revenue": 10.0 + n}))
    frame = ev(rows)
    return frame if revenue else frame.assign(revenue=float("nan"))


def test_ties_that_would_make_everyone_best_are_broken_by_net_revenue():
    # orders: u00 2, the others 1; the 90th percentile is 1, so all 20 would be "best" (100 %
    # for a top 10 %): u00 is above the threshold, and one more place (10 % of 20 = 2) goes
    # to the tied customer with the most net revenue, u19 (29.0)
    best = jl.best_customers(one_order_shop(), by="orders", top=0.1)
    assert best.user_id.tolist() == ["u00", "u19"]
    ties = best.attrs["ties"]
    assert (ties["tied"], ties["kept"], ties["best"], ties["customers"]) == (19, 1, 2, 20)
    assert ties["broken_by"] == ["net revenue", "recency"]  # tenure is 0 for all of them
    note = jl.best.ties_note(best)
    assert "19 of 20 customers tied" in note and "net revenue, then recency" in note


def test_without_revenue_recency_breaks_the_ties():
    # no revenue: every net revenue is 0; the latest last order among the tied is u19's (Jan 20)
    best = jl.best_customers(one_order_shop(revenue=False), by="orders", top=0.1)
    assert best.user_id.tolist() == ["u00", "u19"]
    assert best.attrs["ties"]["broken_by"] == ["recency"]


def test_ties_nothing_can_break_are_not_a_best_group():
    # no revenue, all on the same day and time: nothing tells the 19 one-order customers apart
    # (u00's first order is an hour earlier, so its tenure differs, but it is above the tie)
    log = one_order_shop(revenue=False, same_time=True)
    with pytest.raises(jl.NotComputable, match="nothing in the log"):
        jl.best_customers(log, by="orders", top=0.1)


def test_ties_within_twice_the_share_are_kept_and_not_noted():
    # top 25 % of 4 customers by orders (1, 2, 1, 1): b alone; no ties recorded
    best = jl.best_customers(VALUES, by="orders", top=0.25)
    assert "ties" not in best.attrs and jl.best.ties_note(best) is None


def test_the_findings_say_when_ties_were_broken():
    from journeylib.best import findings as findings_best

    log = one_order_shop()
    best = jl.best_customers(log, by="orders", top=0.1)
    facts = jl.customer_facts(log)
    who = jl.who_they_are(log, best, facts=facts)
    lines = findings_best.best_findings(
        who,
        jl.channel_quality(log, facts=facts),
        pd.DataFrame({"productive": pd.Series([], dtype=bool)}),
        pd.DataFrame(columns=["user_id", "segment", "pattern"]),
        definition="top 10% of customers by orders",
        ties=jl.best.ties_note(best),
    )
    assert lines[0].startswith("The 2 best customers")
    assert lines[1].startswith("19 of 20 customers tied at the threshold")
