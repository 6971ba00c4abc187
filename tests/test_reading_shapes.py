"""Shapes of real exports the reader takes: a store export with prices and no revenue, one
source column in two roles. Each log is inline; the expected numbers are worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import journeylib as jl


def line(log: jl.EventLog, check: str) -> pd.Series:
    return log.cleaning.set_index("check").loc[check]


def rees46_like() -> pd.DataFrame:
    """REES46's columns: event_time, event_type, product_id, category_code, brand, price,
    user_id, user_session."""
    return pd.DataFrame(
        {
            "event_time": [
                "2019-10-01 00:00:00 UTC",
                "2019-10-01 00:01:00 UTC",
                "2019-10-01 00:02:00 UTC",
                "2019-10-01 00:03:00 UTC",
                "2019-10-01 00:04:00 UTC",
                "2019-10-01 00:05:00 UTC",
            ],
            "event_type": ["view", "cart", "purchase", "view", "cart", "purchase"],
            "product_id": ["p1", "p1", "p1", "p2", "p2", "p2"],
            "category_code": ["shoes"] * 3 + ["bags"] * 3,
            "brand": ["a", "a", "a", "b", "b", "b"],
            "price": [10.5, 10.5, 10.5, 20.0, 20.0, 20.0],
            "user_id": ["1", "1", "1", "2", "2", "2"],
            "user_session": ["s1", "s1", "s1", "s2", "s2", "s2"],
        }
    )


def test_revenue_is_derived_from_unit_price_on_purchases():
    log = jl.read_events(
        rees46_like(),
        columns={"event": "event_type", "session_id": "user_session", "category": "category_code"},
    )
    df = log.to_pandas()
    # purchases: 10.5 and 20.0 (quantity absent: 1); other events have no revenue
    assert df.loc[df.event == "purchase", "revenue"].tolist() == [10.5, 20.0]
    assert df.loc[df.event != "purchase", "revenue"].isna().all()
    note = line(log, "revenue from prices")
    assert int(note.rows) == 2
    assert "unit_price (quantity 1)" in note.examples
    assert line(log, "event name 'cart'").action == "read as 'add_to_cart'"


def test_revenue_from_price_times_quantity():
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "event": ["purchase", "view_item", "purchase"],
            "event_time": pd.date_range("2024-03-04", periods=3, freq="h", tz="UTC"),
            "unit_price": [2.5, 9.0, 4.0],
            "quantity": [4, 1, None],
        }
    )
    df = jl.read_events(frame).to_pandas()
    assert df.revenue.tolist()[0] == 10.0  # 2.5 x 4
    assert pd.isna(df.revenue.tolist()[1])  # not a purchase
    assert df.revenue.tolist()[2] == 4.0  # 4.0 x 1 (quantity missing)


def test_a_revenue_column_is_never_replaced():
    frame = pd.DataFrame(
        {
            "user_id": ["a"],
            "event": ["purchase"],
            "event_time": pd.to_datetime(["2024-03-04"], utc=True),
            "unit_price": [2.5],
            "revenue": [7.0],
        }
    )
    log = jl.read_events(frame)
    assert log.to_pandas().revenue.tolist() == [7.0]
    assert "revenue from prices" not in set(log.cleaning.check)


def test_one_source_column_in_two_roles():
    frame = pd.DataFrame(
        {
            "user": ["a", "a", "b"],
            "event": ["purchase", "purchase", "purchase"],
            "event_timestamp": ["2024-03-04 10:00", "2024-03-05 10:00", "2024-03-04 11:00"],
        }
    )
    log = jl.read_events(
        frame,
        columns={"user_id": "user", "order_id": "event_timestamp", "event_time": "event_timestamp"},
    )
    df = log.to_pandas()
    assert df.order_id.tolist() == ["2024-03-04 10:00", "2024-03-05 10:00", "2024-03-04 11:00"]
    assert df.event_time.tolist() == list(
        pd.to_datetime(["2024-03-04 10:00", "2024-03-05 10:00", "2024-03-04 11:00"], utc=True)
    )


@pytest.mark.parametrize(
    "columns",
    [
        {"order_id": "event_time", "event_time": "event_time"},
        {"event_time": "event_time", "order_id": "event_time"},
    ],
)
def test_a_canonical_column_can_also_play_another_role(columns):
    frame = pd.DataFrame(
        {"user_id": ["a"], "event": ["purchase"], "event_time": ["2024-03-04 10:00"]}
    )
    df = jl.read_events(frame, columns=columns).to_pandas()
    assert df.order_id.tolist() == ["2024-03-04 10:00"]
    assert df.event_time.tolist() == [pd.Timestamp("2024-03-04 10:00", tz="UTC")]


INSTANT = pd.Timestamp("2024-03-04 10:00:00.123456", tz="UTC")
#: The instant as each unit keeps it (nanoseconds beyond the microsecond are not kept).
AS_KEPT = {
    "s": pd.Timestamp("2024-03-04 10:00:00", tz="UTC"),
    "ms": pd.Timestamp("2024-03-04 10:00:00.123", tz="UTC"),
    "us": INSTANT,
    "ns": INSTANT,
}


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("zone", [None, "UTC", "Europe/Berlin"])
def test_parquet_times_of_every_unit_and_zone(tmp_path, unit, zone):
    import pyarrow as pa
    import pyarrow.parquet as pq

    micros = pa.array([INSTANT.value // 1000], pa.timestamp("us", "UTC"))
    times = micros.cast(pa.timestamp(unit, "UTC"), safe=False)
    times = times.cast(pa.timestamp(unit, zone) if zone else pa.timestamp(unit))
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"user_id": ["a"], "event": ["purchase"], "event_time": times}), path)
    # a time without a zone is taken as UTC (and counted); with a zone it is an instant
    assert jl.read_events(path).to_pandas().event_time.tolist() == [AS_KEPT[unit]]


def test_pandas_default_zone_aware_parquet(tmp_path):
    frame = pd.DataFrame(
        {
            "user_id": ["a", "b"],
            "event": ["purchase", "view_item"],
            "event_time": pd.to_datetime(
                ["2024-03-04 10:00:00", "2024-03-04 12:30:00.5"], format="ISO8601", utc=True
            ),
            "signed_up": pd.to_datetime(["2024-01-01", "2024-02-01"], utc=True),
        }
    )
    assert str(frame.event_time.dtype) in ("datetime64[ns, UTC]", "datetime64[us, UTC]")
    path = tmp_path / "events.parquet"
    frame.astype({"event_time": "datetime64[ns, UTC]"}).to_parquet(path)
    df = jl.read_events(path).to_pandas()
    assert df.event_time.tolist() == frame.event_time.tolist()
    assert df.signed_up.tolist() == frame.signed_up.tolist()  # an extra time column too


def test_default_funnel_steps_follow_canonical_names():
    """02's default steps on a REES46-like log: view -> view_item, cart -> add_to_cart."""
    from journeylib.funnels.fallbacks import present_steps

    log = jl.read_events(rees46_like(), columns={"event": "event_type"})
    default = ["session_start", "view_item", "add_to_cart", "begin_checkout", "purchase"]
    steps, note = present_steps(log, default)
    assert steps == ["view_item", "add_to_cart", "purchase"]
    assert "session_start, begin_checkout" in note
