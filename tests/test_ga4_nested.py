"""read_ga4 on a raw (nested) GA4 BigQuery export: tests/fixtures/ga4_nested.parquet, nine
events of two users described in tests/fixtures/make_ga4_nested.py; every expected value is
read off that description."""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pyarrow.parquet as pq
import pytest

import journeylib as jl
from journeylib.engine.read import ga4 as ga4_nested
from tests.fixtures.make_ga4_nested import write

FIXTURE = Path(__file__).parent / "fixtures" / "ga4_nested.parquet"


@pytest.fixture(scope="module")
def ga4() -> pd.DataFrame:
    return jl.read_ga4(FIXTURE).to_pandas()


def test_fixture_is_what_its_script_writes(tmp_path):
    assert pq.read_table(write(tmp_path / "again.parquet")).equals(pq.read_table(FIXTURE))


def test_nested_fields_become_canonical_columns(ga4):
    a, b = ga4[ga4.user_id == "111.1"], ga4[ga4.user_id == "222.2"]
    assert len(a) == 6 and len(b) == 3
    assert set(a.session_id) == {"1001"} and set(b.session_id) == {"2002"}  # int and text
    assert set(a.device) == {"desktop"} and set(b.device) == {"mobile"}
    assert set(a.channel) == {"paid_search"}  # collected cpc / google
    assert set(b.channel) == {"organic_search"}  # no collected source: first traffic source
    assert set(a.campaign) == {"spring_sale"}
    assert a.page_type.fillna("-").tolist() == ["-", "product", "-", "-", "-", "-"]
    assert a.page_location.tolist()[:3] == [
        "https://shop.example/",
        "https://shop.example/p/shoe-1",
        "https://shop.example/p/shoe-1",
    ]


def test_orders_revenue_and_items(ga4):
    sale = ga4[ga4.event == "purchase"].iloc[0]
    assert (sale.order_id, sale.revenue, sale.category, sale.product_id) == (
        "T1",
        59.5,
        "shoes",
        "shoe-1",
    )
    refund = ga4[ga4.event == "refund"].iloc[0]
    assert (refund.order_id, refund.revenue) == ("T0", -20.0)  # refund_value 20, negated
    assert ga4.revenue.notna().sum() == 2
    assert ga4.category.tolist().count("shoes") == 4  # view_item, add_to_cart, checkout, purchase


def test_no_column_holds_a_struct():
    log = jl.read_ga4(FIXTURE)
    kinds = log.table.schema().values()
    assert not [k for k in kinds if k.is_struct() or k.is_array() or k.is_map()]
    df = log.to_pandas()
    text = df.select_dtypes(exclude="number").astype(str)
    assert not text.apply(lambda c: c.str.contains("{'")).any().any()


def test_report_counts_the_negated_refund():
    report = jl.read_ga4(FIXTURE).cleaning.set_index("check")
    assert int(report.loc["rows read", "rows"]) == 9
    assert int(report.loc["rows kept", "rows"]) == 9
    assert int(report.loc["refund with positive revenue", "rows"]) == 1


def test_nested_export_as_a_dataframe_reads_the_same(ga4):
    frame = pq.read_table(FIXTURE).to_pandas()
    again = jl.read_ga4(frame).to_pandas()
    cols = ["user_id", "event", "event_time", "session_id", "device", "channel", "revenue"]
    pd.testing.assert_frame_equal(again[cols], ga4[cols])


def test_flatten_compiles_for_bigquery():
    table = ibis.table(ibis.Schema.from_pyarrow(pq.read_schema(FIXTURE)), name="events_20240304")
    flat = ga4_nested.flatten(table.mutate(row_id=ibis.literal(0, "int64")))
    sql = ibis.to_sql(flat, dialect="bigquery")
    assert "UNNEST" in sql and "ga_session_id" in sql
