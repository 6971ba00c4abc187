"""The synthetic shop: schema, realism, determinism, and the six planted truths.

Every truth is recomputed here with plain pandas on the written files (no journeylib analysis),
compared with the realised value in ``truth.json`` (same definition, so equal to rounding), with
the planted value (within a tolerance), and tested for significance with a two-proportion z-test.
A default-size shop (30,000 users, about 0.5 M events) gives the statistical power.
"""

import json
import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from journeylib.clv import _lifetimes
from journeylib.synth.shop import (
    CAMPAIGNS,
    CATEGORIES,
    CHANNELS,
    DEVICES,
    EVENTS,
    PAGE_TYPES,
    ShopParams,
    customers_for_events,
    generate_shop,
    main,
)

CANONICAL = [
    "user_id", "event", "event_time", "session_id", "channel", "device", "campaign", "variant",
    "page_type", "product_id", "category", "order_id", "revenue", "quantity", "unit_price",
]  # fmt: skip
CHECKOUT = [
    "add_to_cart", "view_cart", "begin_checkout", "add_shipping_info", "add_payment_info",
    "purchase",
]  # fmt: skip
WEEK = pd.Timedelta(weeks=1)
END = pd.Timestamp("2025-01-01", tz="UTC")  # exclusive end of the default year
FILES = ("events.parquet", "order_lines.parquet", "customers.parquet", "truth.json")


def z_two_proportions(hits_a: pd.Series, hits_b: pd.Series) -> float:
    """z statistic of the difference of two proportions (pooled standard error)."""
    n_a, n_b = len(hits_a), len(hits_b)
    pooled = (hits_a.sum() + hits_b.sum()) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    return (hits_a.mean() - hits_b.mean()) / se


def session_table(events: pd.DataFrame) -> pd.DataFrame:
    """One row per session: user, start, end, device, variant and which steps it reached."""
    on_site = events[events["session_id"].notna()]
    steps = ("add_to_cart", "begin_checkout", "purchase")
    on_site = on_site.assign(**{step: on_site["event"] == step for step in steps})
    return on_site.groupby("session_id").agg(
        user_id=("user_id", "first"),
        start=("event_time", "min"),
        end=("event_time", "max"),
        device=("device", "first"),
        variant=("variant", "first"),
        **{step: (step, "any") for step in steps},
    )


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("synth_default")
    result = generate_shop(30_000, 42, out=out)
    events = pd.read_parquet(result.events)
    return {
        "result": result,
        "dir": out,
        "events": events,
        "sessions": session_table(events),
        "lines": pd.read_parquet(result.order_lines),
        "customers": pd.read_parquet(result.customers),
        "truth": json.loads(result.truth.read_text()),
    }


@pytest.fixture(scope="module")
def purchases(shop: dict) -> pd.DataFrame:
    return shop["events"][shop["events"]["event"] == "purchase"]


@pytest.fixture(scope="module")
def users(shop: dict, purchases: pd.DataFrame) -> pd.DataFrame:
    """Per user: first session, first channel, orders, net revenue."""
    events = shop["events"]
    on_site = events[events["session_id"].notna()]  # the file is sorted by event_time
    first = on_site.groupby("user_id")[["session_id", "channel", "device", "variant"]].first()
    first["orders"] = purchases.groupby("user_id").size().reindex(first.index, fill_value=0)
    first["net"] = events.groupby("user_id")["revenue"].sum().reindex(first.index, fill_value=0)
    return first


def realised(shop: dict, name: str) -> dict:
    return shop["truth"]["truths"][name]["realised"]


# --------------------------------------------------------------------------- files and schema
def test_generate_shop_returns_the_four_paths(shop: dict) -> None:
    result = shop["result"]
    assert [
        p.name for p in (result.events, result.order_lines, result.customers, result.truth)
    ] == [*FILES]
    assert all(p.exists() for p in (result.events, result.order_lines, result.customers))
    assert result.n_events == len(shop["events"])
    assert result.n_customers == 30_000 == shop["customers"]["user_id"].nunique()
    assert 300_000 < result.n_events < 800_000  # "a few hundred thousand events"


def test_same_seed_same_bytes_other_seed_other_data(tmp_path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_shop(1_500, seed, out=tmp_path / name)
    for file in FILES:
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
    a = pd.read_parquet(tmp_path / "a" / "events.parquet")
    c = pd.read_parquet(tmp_path / "c" / "events.parquet")
    assert not a.equals(c)


def test_events_schema_in_parquet_and_pandas(shop: dict) -> None:
    schema = pq.read_schema(shop["result"].events)
    assert schema.names == CANONICAL
    assert schema.field("event_time").type == pa.timestamp("us", tz="UTC")
    assert schema.field("revenue").type == pa.float64()
    assert schema.field("unit_price").type == pa.float64()
    assert schema.field("quantity").type == pa.int64()
    strings = set(CANONICAL) - {"event_time", "revenue", "quantity", "unit_price"}
    assert all(pa.types.is_string(schema.field(name).type) for name in strings)
    events = shop["events"]
    assert str(events["event_time"].dt.tz) == "UTC"
    assert events["user_id"].notna().all() and events["event"].notna().all()
    assert events["event_time"].is_monotonic_increasing


def test_vocabulary(shop: dict) -> None:
    events = shop["events"]
    expected = {"event": EVENTS, "page_type": PAGE_TYPES, "channel": CHANNELS, "device": DEVICES,
                "campaign": CAMPAIGNS, "category": CATEGORIES, "variant": ("A", "B")}  # fmt: skip
    for column, values in expected.items():
        assert set(events[column].dropna().unique()) == set(values), column
    assert (events.groupby("user_id")["variant"].nunique() == 1).all()
    assert events["page_type"].notna().eq(events["event"] == "page_view").all()
    has_revenue = events["revenue"].notna()
    assert has_revenue.eq(events["event"].isin(["purchase", "refund"])).all()
    campaigns = events.loc[events["event"] == "email_click", "campaign"]
    assert {"abandoned_cart", "newsletter", "winback"} <= set(campaigns)


def test_sessions_look_like_ga4(shop: dict) -> None:
    events = shop["events"]
    off_site = events["session_id"].isna()
    assert set(events.loc[off_site, "event"]) == {"email_open", "refund"}
    assert not events.loc[~off_site, "event"].isin(["email_open", "refund"]).any()
    on_site = events[~off_site]
    per_session = on_site.groupby("session_id")
    assert (per_session[["user_id", "channel", "device"]].nunique() == 1).all().all()
    first = per_session.agg(user_id=("user_id", "first"), start=("event_time", "min"))
    ids = first.index.to_series().str.extract(r"^(u\d+)-(\d+)$")
    assert ids.notna().all().all()
    assert (ids[0] == first["user_id"]).all()  # <user_id>-<unix seconds of the first event>
    assert (ids[1].astype("int64") == first["start"].astype("int64") // 10**6).all()
    assert per_session.size().mean() > 4  # sessions with several events
    ties = events.duplicated(["user_id", "event_time"], keep=False)
    assert ties.any()
    checkout_ties = events[ties & events["event"].isin(["view_cart", "begin_checkout"])]
    assert checkout_ties.groupby(["session_id", "event_time"]).size().eq(2).any()


def test_one_calendar_year_every_iso_week(shop: dict) -> None:
    times = shop["events"]["event_time"]
    assert times.min() >= pd.Timestamp("2024-01-01", tz="UTC") and times.max() < END
    weeks = times.dt.isocalendar()
    in_2024 = set(weeks.loc[weeks["year"] == 2024, "week"])
    assert in_2024 == set(range(1, 53))


def test_checkout_steps_in_order_in_purchase_sessions(shop: dict, purchases) -> None:
    events = shop["events"].reset_index(drop=True)
    steps = events[events["session_id"].isin(purchases["session_id"])]
    steps = steps[steps["event"].isin(CHECKOUT)]
    first = steps.reset_index().groupby(["session_id", "event"])[["event_time", "index"]].min()
    times = first["event_time"].unstack()[CHECKOUT]
    rows = first["index"].unstack()[CHECKOUT]
    assert times.notna().all().all()  # every step present in every purchase session
    assert (times.diff(axis=1).iloc[:, 1:] >= pd.Timedelta(0)).all().all()
    assert (rows.diff(axis=1).iloc[:, 1:] > 0).all().all()  # and in that order in the file
    assert (
        steps[steps["event"] != "add_to_cart"].groupby(["session_id", "event"]).size().eq(1).all()
    )


def test_refunds_refer_to_purchased_orders(shop: dict, purchases) -> None:
    events = shop["events"]
    refunds = events[events["event"] == "refund"]
    assert len(refunds) > 0 and (refunds["revenue"] < 0).all()
    assert purchases["order_id"].is_unique and refunds["order_id"].is_unique
    bought = purchases.set_index("order_id")
    assert refunds["order_id"].isin(bought.index).all()
    matched = bought.loc[refunds["order_id"]]
    assert np.allclose(-refunds["revenue"].to_numpy(), matched["revenue"].to_numpy())
    assert (refunds["event_time"].to_numpy() > matched["event_time"].to_numpy()).all()
    assert (refunds["user_id"].to_numpy() == matched["user_id"].to_numpy()).all()


def test_order_lines_match_the_purchases(shop: dict, purchases) -> None:
    lines, events = shop["lines"], shop["events"]
    assert list(lines.columns) == [
        "order_id", "user_id", "order_time", "product_id", "category", "quantity", "unit_price",
    ]  # fmt: skip
    cancel = lines["order_id"].str.startswith("C")
    sales = lines[~cancel]
    totals = (sales["quantity"] * sales["unit_price"]).groupby(sales["order_id"]).sum()
    bought = purchases.set_index("order_id")
    assert np.allclose(totals.reindex(bought.index), bought["revenue"], atol=0.005)
    assert (lines.loc[cancel, "quantity"] < 0).all() and (sales["quantity"] > 0).all()
    refunded = set(events.loc[events["event"] == "refund", "order_id"])
    assert set(lines.loc[cancel, "order_id"].str[1:]) == refunded
    guests = lines["user_id"].isna()
    assert 0 < guests.mean() < 0.05
    known = sales[~guests[~cancel]]
    assert (
        known["user_id"].to_numpy() == bought.loc[known["order_id"], "user_id"].to_numpy()
    ).all()


def test_emails_only_in_customers(shop: dict, users: pd.DataFrame) -> None:
    customers, events = shop["customers"], shop["events"]
    assert customers["email"].str.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.com").all()
    assert customers["email"].is_unique
    text = events.select_dtypes(exclude=["number", "datetimetz"])
    for column in text:
        assert not pd.Series(text[column].dropna().unique()).str.contains("@").any(), column
    assert "email" not in pq.read_schema(shop["result"].order_lines).names
    by_user = customers.set_index("user_id").loc[users.index]
    assert (by_user["first_channel"] == users["channel"]).all()
    assert (by_user["first_device"] == users["device"]).all()
    assert (by_user["variant"] == users["variant"]).all()


# --------------------------------------------------------------------------- realism
def test_headline_rates_are_industry_like(shop: dict, users: pd.DataFrame) -> None:
    sessions, headline = shop["sessions"], shop["truth"]["headline"]
    conversion = sessions["purchase"].mean()
    assert 0.01 <= conversion <= 0.04
    carts = sessions[sessions["add_to_cart"]]
    abandonment = 1 - carts["purchase"].mean()
    assert 0.60 <= abandonment <= 0.80
    buyers = users[users["orders"] > 0]
    repeat = buyers["orders"] >= 2
    assert repeat.mean() < 0.5  # repeat buyers are a minority ...
    revenue_share = buyers.loc[repeat, "net"].sum() / buyers["net"].sum()
    assert revenue_share > 0.45 and revenue_share > 1.5 * repeat.mean()  # ... with much revenue
    assert headline["session_conversion"] == pytest.approx(conversion, abs=1e-6)
    assert headline["cart_abandonment"] == pytest.approx(abandonment, abs=1e-6)
    assert headline["repeat_buyer_share"] == pytest.approx(repeat.mean(), abs=1e-6)
    assert headline["repeat_buyer_revenue_share"] == pytest.approx(revenue_share, abs=1e-4)


def test_bgnbd_parameters_are_recovered(shop: dict, purchases) -> None:
    per_user = purchases.groupby("user_id")["event_time"].agg(["min", "max", "size"])
    frequency = per_user["size"] - 1
    recency = (per_user["max"] - per_user["min"]) / WEEK
    age = (END - per_user["min"]) / WEEK
    lifetimes = _lifetimes.import_lifetimes()
    model = _lifetimes.fit(lifetimes.BetaGeoFitter(penalizer_coef=0.0), frequency, recency, age)
    r, alpha, a, b = (model.params_[name] for name in ("r", "alpha", "a", "b"))
    true = shop["truth"]["parameters"]["bgnbd"]
    assert r == pytest.approx(true["r"], rel=0.4)
    assert alpha == pytest.approx(true["alpha"], rel=0.4)
    # a and b are weakly identified one by one; the mean dropout a / (a + b) is not.
    assert a / (a + b) == pytest.approx(true["a"] / (true["a"] + true["b"]), abs=0.08)
    mean_order = shop["truth"]["parameters"]["gamma_gamma"]["mean_order_value"]
    assert purchases["revenue"].mean() == pytest.approx(mean_order, rel=0.1)


# --------------------------------------------------------------------------- planted truths
def test_truth_referral_customers_repeat_twice_as_often(shop: dict, users) -> None:
    buyers = users[users["orders"] > 0]
    repeat = buyers["orders"] >= 2
    referral, others = (
        repeat[buyers["channel"] == "referral"],
        repeat[buyers["channel"] != "referral"],
    )
    truth = realised(shop, "referral_repeat_rate")
    assert referral.mean() == pytest.approx(truth["referral"], abs=1e-6)
    assert others.mean() == pytest.approx(truth["others"], abs=1e-6)
    assert referral.mean() / others.mean() >= 1.6
    assert z_two_proportions(referral, others) > 3


def test_truth_early_pattern_makes_best_customers(shop: dict) -> None:
    events = shop["events"]
    on_site = events[events["session_id"].notna()]  # the file is sorted by event_time
    first_session = on_site.groupby("user_id")["session_id"].first()
    pages = on_site[on_site["session_id"].isin(first_session) & (on_site["event"] == "page_view")]
    pages = pages[pages["page_type"].isin(["reviews", "size_guide"])]
    both = pages.groupby("user_id")["page_type"].nunique() == 2
    pattern = both.reindex(first_session.index, fill_value=False)
    net = events.groupby("user_id")["revenue"].sum()
    buyers = events.loc[events["event"] == "purchase", "user_id"].unique()
    best_ids = net[buyers][net[buyers] >= net[buyers].quantile(0.9)].index
    best = pattern.index.isin(best_ids)
    with_pattern, without = pd.Series(best[pattern]), pd.Series(best[~pattern])
    truth = realised(shop, "early_pattern_best_customers")
    assert with_pattern.mean() == pytest.approx(truth["pattern"], abs=1e-6)
    assert without.mean() == pytest.approx(truth["no_pattern"], abs=1e-6)
    assert with_pattern.mean() / without.mean() >= 2.5
    assert z_two_proportions(with_pattern, without) > 3
    planted = shop["customers"].set_index("user_id")["planted_pattern"]
    assert (planted.loc[pattern.index] == pattern).all()


def test_truth_abandoned_cart_emails_recover_carts(shop: dict, purchases) -> None:
    sessions, events = shop["sessions"], shop["events"]
    abandoned = sessions[sessions["add_to_cart"] & ~sessions["purchase"]][["user_id", "end"]]
    abandoned = abandoned.reset_index()
    clicks = events[(events["event"] == "email_click") & (events["campaign"] == "abandoned_cart")]

    def within_7_days(later: pd.DataFrame) -> pd.Series:
        pairs = abandoned.merge(later[["user_id", "event_time"]], on="user_id")
        hit = (pairs["event_time"] > pairs["end"]) & (
            pairs["event_time"] <= pairs["end"] + pd.Timedelta(days=7)
        )
        hit_ids = set(pairs.loc[hit, "session_id"])
        return abandoned["session_id"].isin(hit_ids)

    recovered, clicked = within_7_days(purchases), within_7_days(clicks)
    after_click, without = recovered[clicked], recovered[~clicked]
    truth = realised(shop, "abandoned_cart_email_recovery")
    assert after_click.mean() == pytest.approx(truth["clicked"], abs=1e-6)
    assert without.mean() == pytest.approx(truth["not_clicked"], abs=1e-6)
    assert after_click.mean() / without.mean() >= 3
    assert z_two_proportions(after_click, without) > 3


def test_truth_variant_b_lifts_checkout_conversion(shop: dict) -> None:
    sessions = shop["sessions"]
    checkouts = sessions[sessions["begin_checkout"]]
    a = checkouts.loc[checkouts["variant"] == "A", "purchase"]
    b = checkouts.loc[checkouts["variant"] == "B", "purchase"]
    truth = realised(shop, "ab_checkout_conversion")
    assert a.mean() == pytest.approx(truth["A"], abs=1e-6)
    assert b.mean() == pytest.approx(truth["B"], abs=1e-6)
    planted = shop["truth"]["truths"]["ab_checkout_conversion"]["planted"]
    assert b.mean() / a.mean() - 1 == pytest.approx(planted["relative_lift"], abs=0.07)
    assert z_two_proportions(b, a) > 3
    per_user = shop["customers"]["variant"].value_counts(normalize=True)
    assert per_user["B"] == pytest.approx(0.5, abs=0.02)


def test_truth_shoes_are_returned_most(shop: dict, purchases) -> None:
    events = shop["events"]
    refunded_ids = events.loc[events["event"] == "refund", "order_id"]
    refunded = purchases["order_id"].isin(refunded_ids)
    shoes, others = (
        refunded[purchases["category"] == "shoes"],
        refunded[purchases["category"] != "shoes"],
    )
    truth = realised(shop, "shoes_refund_rate")
    assert shoes.mean() == pytest.approx(truth["shoes"], abs=1e-6)
    assert others.mean() == pytest.approx(truth["others"], abs=1e-6)
    assert shoes.mean() == pytest.approx(0.25, abs=0.05)
    assert others.mean() == pytest.approx(0.05, abs=0.02)
    assert z_two_proportions(shoes, others) > 3


def test_truth_tablet_sessions_convert_less(shop: dict) -> None:
    sessions = shop["sessions"]
    tablet = sessions.loc[sessions["device"] == "tablet", "purchase"]
    others = sessions.loc[sessions["device"] != "tablet", "purchase"]
    truth = realised(shop, "tablet_session_conversion")
    assert tablet.mean() == pytest.approx(truth["tablet"], abs=1e-6)
    assert others.mean() == pytest.approx(truth["others"], abs=1e-6)
    assert 0.3 <= tablet.mean() / others.mean() <= 0.7
    assert z_two_proportions(others, tablet) > 3
    by_device = sessions.groupby("device")["purchase"].mean()
    assert by_device.idxmin() == "tablet"


# --------------------------------------------------------------------------- options and CLI
def test_truth_json_documents_the_parameters(shop: dict) -> None:
    truth = shop["truth"]
    assert truth["generator"] == {
        "seed": 42, "n_customers": 30_000, "start": "2024-01-01", "end": "2024-12-31",
        "observation_end": "2025-01-01T00:00:00+00:00",
    }  # fmt: skip
    assert truth["parameters"]["bgnbd"] == {
        "r": 0.25, "alpha": 6.0, "a": 0.8, "b": 2.5, "time_unit": "week",
    }  # fmt: skip
    assert truth["parameters"]["all"]["checkout_lift_b"] == ShopParams().checkout_lift_b
    for entry in truth["truths"].values():
        assert {"statement", "definition", "planted", "realised"} <= set(entry)


def test_n_events_sets_the_size(tmp_path) -> None:
    assert customers_for_events(1_000_000) == pytest.approx(55_000, rel=0.05)
    result = generate_shop(out=tmp_path, n_events=40_000, seed=1)
    assert result.n_events == pytest.approx(40_000, rel=0.2)


def test_custom_window_and_params(tmp_path) -> None:
    params = ShopParams(checkout_lift_b=0.0)
    result = generate_shop(
        800, 2, out=tmp_path, start="2023-03-01", end="2023-04-30", params=params
    )
    times = pd.read_parquet(result.events)["event_time"]
    assert times.min() >= pd.Timestamp("2023-03-01", tz="UTC")
    assert times.max() < pd.Timestamp("2023-05-01", tz="UTC")
    truth = json.loads(result.truth.read_text())
    assert truth["truths"]["ab_checkout_conversion"]["planted"]["relative_lift"] == 0.0
    assert truth["truths"]["referral_repeat_rate"]["expected_ratio"] is None
    with pytest.raises(ValueError, match="at least 28 days"):
        generate_shop(100, out=tmp_path / "short", start="2024-01-01", end="2024-01-10")
    with pytest.raises(ValueError, match="at least 100 customers"):
        generate_shop(10, out=tmp_path / "tiny")
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        ShopParams(cart_abandonment=1.0)


def test_command_line(tmp_path, capsys) -> None:
    assert main(["--customers", "500", "--seed", "3", "--out", str(tmp_path)]) == 0
    assert "500 users" in capsys.readouterr().out
    assert all((tmp_path / name).exists() for name in FILES)


def test_shared_small_shop_fixture(shop_dir, shop_events_df, shop_truth) -> None:
    assert all((shop_dir / name).exists() for name in FILES)
    assert list(shop_events_df.columns) == CANONICAL
    assert len(shop_events_df) == shop_truth["headline"]["n_events"]
    assert re.fullmatch(r"u\d+-\d+", shop_events_df["session_id"].dropna().iloc[0])
