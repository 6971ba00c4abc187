"""Mapping files in both forms, and the reader each format names."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from journeylib.engine.read import spec as logspec
from journeylib.engine.read.spec import LogSpec, load_spec, parse_spec, read_source


def test_the_flat_form_is_a_column_mapping():
    spec = parse_spec({"user_id": "visitorid", "event_time": "timestamp"})
    assert spec == LogSpec(columns={"user_id": "visitorid", "event_time": "timestamp"})
    assert spec.reader_options() == {"columns": {"user_id": "visitorid", "event_time": "timestamp"}}


def test_the_full_form_names_format_zone_and_event_names():
    spec = parse_spec(
        {
            "columns": {"order_id": "InvoiceNo"},
            "format": "orders",
            "timezone": "Europe/London",
        }
    )
    assert (spec.format, spec.timezone, spec.columns) == (
        "orders",
        "Europe/London",
        {"order_id": "InvoiceNo"},
    )
    assert spec.reader_options() == {
        "columns": {"order_id": "InvoiceNo"},
        "timezone": "Europe/London",
    }
    names = parse_spec({"event_names": {"Order Completed": "purchase"}})
    assert names.reader_options()["event_names"] == {"Order Completed": "purchase"}
    assert "event_names" not in parse_spec({"format": "events"}).reader_options()
    assert parse_spec({"event_names": None}).reader_options()["event_names"] is None


def test_the_command_line_wins_over_the_file(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"columns": {"user_id": "u"}, "format": "ga4"}))
    spec = load_spec(path, format="orders", timezone="Asia/Tokyo")
    assert (spec.format, spec.timezone, spec.columns) == ("orders", "Asia/Tokyo", {"user_id": "u"})
    assert load_spec(None, timezone="UTC") == LogSpec(timezone="UTC")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"format": "xml"}, "format must be one of"),
        ({"columns": {"user_id": "u"}, "user_id": "u"}, "unknown keys"),
        ({"columns": ["user_id"]}, '"columns" must be an object'),
        ({"user_id": 3}, "must be column names"),
    ],
)
def test_bad_mappings_name_the_file(tmp_path, mapping, message):
    path = tmp_path / "map.json"
    path.write_text(json.dumps(mapping))
    with pytest.raises(ValueError, match=message) as err:
        load_spec(path)
    assert str(path) in str(err.value)


def test_a_file_that_is_not_json_is_named(tmp_path):
    path = tmp_path / "map.json"
    path.write_text("{user_id: u}")
    with pytest.raises(ValueError, match="not JSON"):
        load_spec(path)


def test_a_time_zone_for_ga4_is_refused():
    with pytest.raises(ValueError, match="GA4"):
        LogSpec(format="ga4", timezone="Europe/Paris").reader_options()


def test_to_json_round_trips_and_stays_flat_when_it_can():
    assert LogSpec().to_json() == ""
    assert json.loads(LogSpec(columns={"user_id": "u"}).to_json()) == {"user_id": "u"}
    full = LogSpec(columns={"user_id": "u"}, format="orders", timezone="UTC")
    assert parse_spec(json.loads(full.to_json())) == full


def test_read_source_reads_order_lines_with_the_orders_reader(tmp_path):
    lines = pd.DataFrame(
        {
            "InvoiceNo": ["1", "1", "C2"],
            "CustomerID": ["a", "a", "a"],
            "InvoiceDate": ["2024-07-01 10:00", "2024-07-01 10:00", "2024-07-02 09:00"],
            "Quantity": [2, 1, -1],
            "UnitPrice": [5.0, 10.0, 5.0],
        }
    )
    path = tmp_path / "lines.csv"
    lines.to_csv(path, index=False)
    events = read_source(path, {"format": "orders", "timezone": "Europe/London"}).to_pandas()
    events = events.sort_values("event_time")
    # order 1: 2 x 5 + 1 x 10 = 20 at 10:00 London (BST in July: 09:00 UTC); C2: refund -5
    assert events.event.tolist() == ["purchase", "refund"]
    assert events.revenue.tolist() == [20.0, -5.0]
    assert events.event_time.iloc[0] == pd.Timestamp("2024-07-01 09:00", tz="UTC")


def test_formats_are_the_three_readers():
    assert logspec.FORMATS == ("events", "orders", "ga4")
