"""What real third-party exports do that the synthetic shop never does.

Local times without an offset, decimal commas, placeholder user ids ("null", "(not set)")
and purchases sent twice for one order. Each test is a tiny hand-made log; the expected
numbers are worked out by hand next to it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import ibis
import pandas as pd
import pytest

import journeylib as jl
from journeylib.engine.ordered import epoch_us
from journeylib.engine.read import localtime
from journeylib.engine.read.coerce import epoch_to_time


def report(log: jl.EventLog) -> pd.DataFrame:
    return log.cleaning.set_index("check")


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# --- 1. naive local times ------------------------------------------------------------------

#: Berlin 2024: clocks go forward at 01:00 UTC on 31 March (02:00 -> 03:00 local) and back at
#: 01:00 UTC on 27 October (03:00 -> 02:00 local). Wall-clock text -> expected UTC, by hand.
BERLIN = [
    ("2024-03-30 12:00:00", "2024-03-30 11:00"),  # winter, +01:00
    ("2024-03-31 01:59:59", "2024-03-31 00:59:59"),  # last second before the jump, +01:00
    ("2024-03-31 02:00:00", "2024-03-31 01:00"),  # skipped hour: offset before (+01:00)
    ("2024-03-31 02:30:00", "2024-03-31 01:30"),  # skipped hour: 03:30 summer time
    ("2024-03-31 03:00:00", "2024-03-31 01:00"),  # first summer time, +02:00
    ("2024-07-01 12:00:00", "2024-07-01 10:00"),  # summer, +02:00
    ("2024-10-27 02:00:00", "2024-10-27 00:00"),  # repeated hour: first occurrence, +02:00
    ("2024-10-27 02:30:00", "2024-10-27 00:30"),  # repeated hour: first occurrence, +02:00
    ("2024-10-27 03:00:00", "2024-10-27 02:00"),  # after the repeated hour, +01:00
    ("2024-07-01 12:00:00+05:00", "2024-07-01 07:00"),  # own offset: unaffected
    ("2024-07-01T12:00:00Z", "2024-07-01 12:00"),  # own offset: unaffected
]


def berlin_frame() -> pd.DataFrame:
    times = [t for t, _ in BERLIN]
    return pd.DataFrame({"user_id": "u", "event": [f"e{i}" for i in range(len(times))],
                         "event_time": times})  # fmt: skip


def test_naive_local_times_cross_both_dst_changes():
    log = jl.read_events(berlin_frame(), timezone="Europe/Berlin")
    got = log.to_pandas().sort_values("row_id").event_time.tolist()
    assert got == [utc(u) for _, u in BERLIN]
    r = report(log)
    naive = r.loc["time without offset"]
    assert (naive.rows, naive.action) == (9, "read as Europe/Berlin time, converted to UTC")
    assert naive.examples.startswith("row 1 ('2024-03-30 12:00:00'), row 2 (")
    skipped = r.loc["time in the hour skipped when clocks go forward"]
    assert (skipped.rows, skipped.examples) == (
        2,
        "row 3 ('2024-03-31 02:00:00'), row 4 ('2024-03-31 02:30:00')",
    )
    repeated = r.loc["time in the hour repeated when clocks go back"]
    assert (repeated.rows, repeated.examples) == (
        2,
        "row 7 ('2024-10-27 02:00:00'), row 8 ('2024-10-27 02:30:00')",
    )


def test_the_dst_rule_is_pythons_fold_zero():
    """A second method: Python's zoneinfo reads a wall-clock time with fold=0 the same way."""
    berlin = ZoneInfo("Europe/Berlin")
    for wall, expected in BERLIN[:9]:
        local = dt.datetime.fromisoformat(wall).replace(tzinfo=berlin, fold=0)
        assert pd.Timestamp(local).tz_convert("UTC") == utc(expected), wall


def test_without_a_timezone_naive_times_are_utc_and_counted():
    log = jl.read_events(berlin_frame())
    got = log.to_pandas().sort_values("row_id").event_time.tolist()
    assert got[:9] == [utc(w) for w, _ in BERLIN[:9]]  # wall clock read as UTC
    assert got[9:] == [utc("2024-07-01 07:00"), utc("2024-07-01 12:00")]
    naive = report(log).loc["time without offset"]
    assert (naive.rows, naive.action) == (9, "read as UTC (pass timezone= if they are local times)")
    assert "time in the hour skipped when clocks go forward" not in report(log).index


def test_typed_naive_timestamps_and_dates_are_local_epochs_and_zoned_ones_are_not():
    naive = pd.to_datetime(["2024-01-15 09:00", "2024-06-15 09:00"])
    frame = pd.DataFrame({"user_id": ["a", "b"], "event": "x", "event_time": naive})
    got = jl.read_events(frame, timezone="America/New_York").to_pandas().event_time
    assert got.tolist() == [utc("2024-01-15 14:00"), utc("2024-06-15 13:00")]  # -5 h, -4 h
    zoned = frame.assign(event_time=naive.tz_localize("Asia/Tokyo"))  # 09:00 +09:00
    got = jl.read_events(zoned, timezone="America/New_York").to_pandas().event_time
    assert got.tolist() == [utc("2024-01-15 00:00"), utc("2024-06-15 00:00")]
    epochs = frame.assign(event_time=[1_705_309_200, 1_718_442_000])  # 09:00 UTC, s
    log = jl.read_events(epochs, timezone="America/New_York")
    assert log.to_pandas().event_time.tolist() == [utc("2024-01-15 09:00"), utc("2024-06-15 09:00")]
    assert report(log).loc["time without offset", "rows"] == 0
    dates = frame.assign(event_time=naive.date)
    got = jl.read_events(dates, timezone="Asia/Tokyo").to_pandas().event_time
    assert got.tolist() == [utc("2024-01-14 15:00"), utc("2024-06-14 15:00")]  # midnight +09:00


def test_an_unknown_zone_is_a_clear_error():
    with pytest.raises(ValueError, match="'Europe/Berln' is not an IANA time zone name"):
        jl.read_events(berlin_frame(), timezone="Europe/Berln")


def test_read_orders_reads_local_times_too():
    lines = pd.DataFrame(
        {"InvoiceNo": ["1", "2"], "CustomerID": ["c", "c"], "Quantity": [1, 1],
         "UnitPrice": [5.0, 5.0], "InvoiceDate": ["2024-01-10 08:00", "2024-07-10 08:00"]}
    )  # fmt: skip
    got = jl.read_orders(lines, timezone="Europe/London").to_pandas().sort_values("event_time")
    assert got.event_time.tolist() == [utc("2024-01-10 08:00"), utc("2024-07-10 07:00")]


def test_the_local_time_conversion_compiles_for_bigquery_and_spark():
    first, changes = localtime.transitions(
        ZoneInfo("Europe/Berlin"), utc("2024-01-01").value // 1000, utc("2024-12-31").value // 1000
    )
    assert (first, [(c.before_s, c.after_s) for c in changes]) == (
        3600,
        [(3600, 7200), (7200, 3600)],
    )
    t = ibis.table({"event_time": "timestamp('UTC')"}, name="events")
    wall = epoch_us(t.event_time)
    value = epoch_to_time(localtime.wall_to_utc_us(wall, first, changes), "us")
    repeated, skipped = localtime.dst_flags(wall, changes)
    expr = t.select(value=value, repeated=repeated, skipped=skipped)
    assert "UNIX_MICROS" in ibis.to_sql(expr, dialect="bigquery")
    assert "CASE" in ibis.to_sql(expr, dialect="pyspark").upper()


# --- 2. decimal commas and thousands separators --------------------------------------------


def write(tmp_path, text: str):
    path = tmp_path / "export.csv"
    path.write_text(text)
    return path


def test_a_european_export_is_read_with_decimal_commas(tmp_path):
    path = write(
        tmp_path,
        "user_id;event;event_time;revenue;quantity;unit_price\n"
        "a;purchase;2024-03-04 10:00:00;1.234,50;2;617,25\n"
        "a;purchase;2024-03-05 10:00:00;12,50;1.000;0,0125\n"
        "b;purchase;2024-03-04 11:00:00;1,234;1;1,234\n"
        "b;purchase;2024-03-05 11:00:00;30;3;10\n"
        "c;page_view;2024-03-04 12:00:00;;;\n",
    )
    got = jl.read_events(path)
    df = got.to_pandas().sort_values("row_id")
    # revenue has '1.234,50' and '12,50' (decimal comma only), nothing decimal-point only
    assert df.revenue.tolist()[:4] == [1234.5, 12.5, 1.234, 30.0] and df.revenue.isna().iloc[4]
    # quantity has no telling value of its own ('1.000' could be either): it follows the log
    assert df.quantity.tolist()[:4] == [2, 1000, 1, 3]
    assert df.unit_price.tolist()[:4] == [617.25, 0.0125, 1.234, 10.0]
    r = log_rows(got, "decimal comma")
    assert r == {"revenue": 3, "quantity": 1, "unit_price": 3}
    revenue = got.cleaning.query("check == 'decimal comma' and column == 'revenue'").iloc[0]
    assert revenue.examples == (
        "export.csv line 2 ('1.234,50'), export.csv line 3 ('12,50'), export.csv line 4 ('1,234')"
    )
    assert df.revenue.sum() == pytest.approx(1278.234)  # 1234.5 + 12.5 + 1.234 + 30


def log_rows(log: jl.EventLog, check: str) -> dict[str, int]:
    rows = log.cleaning[log.cleaning.check == check]
    return dict(zip(rows.column, rows.rows, strict=True))


def test_a_us_export_keeps_its_thousands_and_a_stray_decimal_comma_stays_unreadable(tmp_path):
    path = write(
        tmp_path,
        "user_id,event,event_time,revenue,quantity\n"
        'a,purchase,2024-03-04 10:00:00,"1,234.50",1\n'
        'a,purchase,2024-03-05 10:00:00,"1,234",2\n'
        'b,purchase,2024-03-04 11:00:00,12.50,"1,000"\n'
        'b,purchase,2024-03-05 11:00:00,"12,50",1\n',
    )
    log = jl.read_events(path)
    df = log.to_pandas().sort_values("row_id")
    # '1,234.50' and '12.50' can only be decimal-point numbers: the log is not decimal-comma
    assert df.revenue.tolist()[:3] == [1234.5, 1234.0, 12.5] and df.revenue.isna().iloc[3]
    assert df.quantity.tolist() == [1, 2, 1000, 1]
    assert log_rows(log, "thousands separator") == {"revenue": 2, "quantity": 1}
    assert log_rows(log, "decimal comma") == {}
    r = report(log).loc["unreadable revenue"]
    assert (r.rows, r.examples) == (1, "export.csv line 5 ('12,50')")


def test_an_ambiguous_comma_alone_is_a_thousands_separator(tmp_path):
    path = write(
        tmp_path,
        "user_id;event;event_time;revenue\n"
        "a;purchase;2024-03-04 10:00:00;1,234\n"
        "a;purchase;2024-03-05 10:00:00;30\n",
    )
    log = jl.read_events(path)
    assert log.to_pandas().sort_values("row_id").revenue.tolist() == [1234.0, 30.0]
    r = log.cleaning.query("check == 'thousands separator'").iloc[0]
    assert (r.column, r.rows, r.examples) == ("revenue", 1, "export.csv line 2 ('1,234')")


# --- 3. placeholder user ids ---------------------------------------------------------------


def test_placeholder_user_ids_are_missing_user_ids():
    users = ["u1", "None", "null", " NULL ", "undefined", "(not set)", "nan", "NaN",
             "0", "", "   ", None, "u2", "Nonexistent"]  # fmt: skip
    frame = pd.DataFrame({"user_id": users, "event": "page_view",
                          "event_time": "2024-03-04 10:00:00"})  # fmt: skip
    log = jl.read_events(frame)
    r = report(log)
    assert r.loc["missing user id", "rows"] == 3  # "", "   " and None (as before)
    placeholder = r.loc["placeholder user id"]
    assert (placeholder.rows, placeholder.action) == (7, "removed")
    assert placeholder.examples == (
        "row 2 ('None'), row 3 ('null'), row 4 (' NULL '), row 5 ('undefined'), row 6 ('(not set)')"
    )
    assert sorted(log.to_pandas().user_id) == ["0", "Nonexistent", "u1", "u2"]  # "0" is an id
    with pytest.raises(jl.DataError, match="placeholder user id in column 'user_id': 7 rows"):
        jl.read_events(frame, strict=True)


def test_a_placeholder_customer_in_an_order_table_is_set_aside():
    lines = pd.DataFrame(
        {"InvoiceNo": ["1", "2", "3"], "CustomerID": ["c1", "nan", "c2"], "Quantity": [1, 2, 3],
         "UnitPrice": [10.0, 10.0, 10.0], "InvoiceDate": "2024-01-10 08:00"}
    )  # fmt: skip
    orders = jl.read_orders(lines)
    assert report(orders).loc["order line without customer", "rows"] == 1
    assert sorted(orders.to_pandas().user_id) == ["c1", "c2"]


def test_a_clean_log_with_naive_times_passes_strict():
    frame = pd.DataFrame({"user_id": ["a"], "event": ["x"], "event_time": ["2024-01-01 10:00"]})
    assert len(jl.read_events(frame, strict=True)) == 1  # the notes are not cleaning


# --- 4. purchases sent twice ---------------------------------------------------------------

PURCHASES = [  # user, event, time, order_id, revenue, device
    ("a", "page_view", "2024-03-04 10:00", None, None, None),  # row 1
    ("a", "purchase", "2024-03-04 10:05", "o1", 50.0, None),  # row 2: kept
    ("a", "purchase", "2024-03-04 10:06", "o1", 50.0, None),  # row 3: reload, removed
    ("a", "purchase", "2024-03-04 10:05", "o1", 50.0, None),  # row 4: exact copy of row 2
    ("a", "refund", "2024-03-06 09:00", "o1", -20.0, None),  # row 5: refunds not merged
    ("b", "purchase", "2024-03-04 11:00", "o2", 40.0, "desktop"),  # row 6: kept (first row)
    ("b", "purchase", "2024-03-04 11:00", "o2", 40.0, "mobile"),  # row 7: same time, removed
    ("b", "purchase", "2024-03-04 12:00", None, 15.0, None),  # row 8: no order id: kept
    ("b", "purchase", "2024-03-04 12:30", None, 15.0, None),  # row 9: no order id: kept
    ("c", "purchase", "2024-03-04 09:00", "o1", 25.0, None),  # row 10: another user's o1
    ("c", "purchase", "2024-03-04 09:30", "(not set)", 10.0, None),  # row 11: placeholder
    ("c", "purchase", "2024-03-04 09:45", "(not set)", 10.0, None),  # row 12: never merged
    ("d", "purchase", "2024-03-04 15:00", "o9", 70.0, None),  # row 13: later: removed
    ("d", "purchase", "2024-03-04 14:00", "o9", 70.0, None),  # row 14: first in time: kept
]


def test_a_purchase_sent_twice_counts_once():
    cols = ["user_id", "event", "event_time", "order_id", "revenue", "device"]
    log = jl.read_events(pd.DataFrame(PURCHASES, columns=cols))
    r = report(log)
    assert r.loc["exact duplicate row", "rows"] == 1  # row 4, not counted again below
    dup = r.loc["duplicate purchase"]
    assert (dup.column, dup.rows, dup.action) == ("order_id", 3, "removed")
    assert dup.examples == "row 3 ('o1'), row 7 ('o2'), row 13 ('o9')"
    kept = log.to_pandas()
    assert sorted(kept.row_id + 1) == [1, 2, 5, 6, 8, 9, 10, 11, 12, 14]
    # net revenue: a 50 - 20, b 40 + 15 + 15, c 25 + 10 + 10, d 70 (was a 80, b 110, d 140)
    value = jl.best_customers(log, top=1.0).set_index("user_id").value.to_dict()
    assert value == {"a": 30.0, "b": 70.0, "c": 45.0, "d": 70.0}


def test_without_order_ids_purchases_are_never_merged():
    cols = ["user_id", "event", "event_time", "revenue"]
    rows = [
        ("a", "purchase", "2024-03-04 10:05", 50.0),
        ("a", "purchase", "2024-03-04 10:06", 50.0),
    ]
    log = jl.read_events(pd.DataFrame(rows, columns=cols))
    assert len(log) == 2 and "duplicate purchase" not in report(log).index


@pytest.mark.parametrize(
    "name",
    ["Australia/Sydney", "America/Sao_Paulo", "Europe/Moscow", "Australia/Lord_Howe",
     "America/St_Johns", "Asia/Kolkata"],
)  # fmt: skip
def test_every_quarter_hour_near_each_change_matches_python(name):
    """Southern-hemisphere DST, DST abolished (Sao Paulo 2019), offset changes without DST
    (Moscow 2011, 2014), a 30-minute DST (Lord Howe), a half-hour zone: each wall-clock
    quarter hour within 3 hours of every change from 2010 to 2024, read by journeylib and by
    Python's zoneinfo (fold=0)."""
    tz = ZoneInfo(name)
    start, end = utc("2010-01-01").value // 1000, utc("2024-12-31").value // 1000
    _, changes = localtime.transitions(tz, start, end)
    walls = sorted(
        {
            pd.Timestamp(c.at_us + c.before_s * 1_000_000 + k * 900_000_000, unit="us")
            for c in changes
            for k in range(-12, 13)
        }
        | {pd.Timestamp("2017-06-01 12:00")}
    )
    frame = pd.DataFrame({"user_id": "u", "event": "x", "event_time": walls})
    got = jl.read_events(frame, timezone=name).to_pandas().sort_values("row_id").event_time
    expected = [
        pd.Timestamp(w.to_pydatetime().replace(tzinfo=tz, fold=0)).tz_convert("UTC") for w in walls
    ]
    assert got.tolist() == expected
