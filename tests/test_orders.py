"""read_orders (order lines -> purchase/refund events) and read_ga4."""

from __future__ import annotations

import pandas as pd
import pytest

import journeylib as jl
from journeylib.engine.read.orders import ga4_channel


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    # An "Online Retail"-style export.
    return pd.DataFrame(
        {
            "InvoiceNo": ["536365", "536365", "C536379", "536380", "536381", "536381", "536382"],
            "StockCode": ["A", "B", "A", "C", "D", "D", "E"],
            "Quantity": [2, 1, -1, 3, 1, 1, 4],
            "UnitPrice": [2.5, 4.0, 2.5, 1.0, 5.0, 5.0, 0.5],
            "InvoiceDate": [
                "2010-12-01 08:26",
                "2010-12-01 08:26",
                "2010-12-01 09:41",
                "2010-12-01 10:00",
                "2010-12-02 10:00",
                "2010-12-02 10:00",
                "2010-12-03 10:00",
            ],
            "CustomerID": [17850.0, 17850.0, 17850.0, None, 13047.0, 13047.0, 13047.0],
        }
    )


def test_orders_by_hand(lines):
    orders = jl.read_orders(lines).to_pandas().set_index("order_id")
    # 536365: 2*2.5 + 1*4.0 = 9.0 over 2 lines; C536379 a refund of 2.5;
    # 536381: its second line is an exact duplicate (removed) -> 5.0; 536382: 4*0.5 = 2.0.
    assert orders.loc["536365", ["event", "revenue", "lines", "quantity"]].tolist() == [
        "purchase",
        9.0,
        2,
        3,
    ]
    assert orders.loc["C536379", ["event", "revenue"]].tolist() == ["refund", -2.5]
    assert orders.loc["536381", "revenue"] == 5.0
    assert orders.loc["536382", "revenue"] == 2.0
    assert "536380" not in orders.index  # no customer: set aside
    assert orders.loc["536365", "user_id"] == "17850"


def test_orders_cleaning_report(lines):
    report = jl.read_orders(lines).cleaning.set_index("check")
    assert report.loc["order line without customer", "rows"] == 1
    assert report.loc["order line without customer", "action"] == "set aside"
    assert report.loc["exact duplicate row", "rows"] == 1
    assert report.loc["return/cancellation lines", "rows"] == 1
    assert report.loc["orders (purchase events)", "rows"] == 3
    assert report.loc["refunds (refund events)", "rows"] == 1


def test_negative_quantity_without_prefix_is_a_return():
    df = pd.DataFrame(
        {
            "order_id": ["1", "1"],
            "customer_id": ["c", "c"],
            "order_time": ["2024-01-01", "2024-01-01"],
            "quantity": [2, -1],
            "unit_price": [10.0, 10.0],
        }
    )
    out = jl.read_orders(df, columns={"event_time": "order_time"}).to_pandas()
    assert sorted(zip(out.event, out.revenue, strict=True)) == [
        ("purchase", 20.0),
        ("refund", -10.0),
    ]


def test_order_table_without_money_is_an_error():
    df = pd.DataFrame({"order_id": ["1"], "customer_id": ["c"], "order_time": ["2024-01-01"]})
    with pytest.raises(jl.DataError, match="revenue"):
        jl.read_orders(df, columns={"event_time": "order_time"})


def test_read_ga4_flattened_export(ga4_export):
    ga = ga4_export
    out = jl.read_ga4(ga).to_pandas()
    assert out.event_time.iloc[0] == pd.Timestamp("2024-06-01 00:00:00.123456", tz="UTC")
    assert out.channel.tolist() == ["paid_search", "paid_search", "direct"]
    assert out.device.tolist() == ["mobile", "mobile", "desktop"]
    # GA4 session ids repeat across users; sessions are keyed by (user_id, session_id)
    assert len(jl.sessions(jl.read_ga4(ga))) == 2


def test_ga4_channel_grouping():
    media = ["organic", "cpc", "cpc", "email", "referral", "(none)", "social", "weird"]
    srcs = ["google", "google", "facebook", "newsletter", "blog.example", "(direct)", "x", "z"]
    t = pd.DataFrame({"m": media, "s": srcs})
    import ibis

    mt = ibis.memtable(t)
    got = mt.mutate(c=ga4_channel(mt.m, mt.s)).to_pandas().c.tolist()
    assert got == [
        "organic_search",
        "paid_search",
        "paid_social",
        "email",
        "referral",
        "direct",
        "organic_social",
        "other",
    ]
