"""read_events: mapping, typing, cleaning; every expected number is worked out by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import journeylib as jl
from journeylib.engine.read.coerce import infer_epoch_unit
from journeylib.engine.read.sources import kept_lines

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "tiny_events.csv"


def rows(log: jl.EventLog, check: str) -> int:
    report = log.cleaning.set_index("check")
    return int(report.loc[check, "rows"])


def examples(log: jl.EventLog, check: str) -> str:
    return str(log.cleaning.set_index("check").loc[check, "examples"])


@pytest.fixture(scope="module")
def tiny() -> jl.EventLog:
    return jl.read_events(TINY)


def test_tiny_csv_cleaning_report_counts_every_problem(tiny):
    # 10 data lines: 2 malformed (lines 10, 11), 1 without user (line 6), 1 bad time (line 7),
    # 1 exact duplicate of line 2 (line 9) -> 5 kept; line 8's revenue "abc" becomes NULL.
    assert rows(tiny, "rows read") == 10
    assert rows(tiny, "malformed CSV line") == 2
    assert rows(tiny, "missing user id") == 1
    assert rows(tiny, "unparseable event time") == 1
    assert rows(tiny, "exact duplicate row") == 1
    assert rows(tiny, "unreadable revenue") == 1
    assert rows(tiny, "rows kept") == 5
    assert len(tiny) == 5


def test_examples_name_the_file_and_line(tiny):
    assert examples(tiny, "missing user id") == "tiny_events.csv line 6"
    assert examples(tiny, "unparseable event time") == "tiny_events.csv line 7 ('not a time')"
    assert examples(tiny, "exact duplicate row") == "tiny_events.csv line 9"
    assert examples(tiny, "unreadable revenue") == "tiny_events.csv line 8 ('abc')"
    malformed = examples(tiny, "malformed CSV line")
    assert "line 10" in malformed and "line 11" in malformed


def test_times_become_utc_instants(tiny):
    df = tiny.to_pandas()
    assert str(df.event_time.dt.tz) == "UTC"
    u1 = df[df.user_id == "u1"].set_index("event").event_time
    # "2024-06-03 12:05:00+02:00" is 10:05 UTC; naive "2024-06-03T11:00:00" is taken as UTC.
    assert u1["add_to_cart"] == pd.Timestamp("2024-06-03 10:05", tz="UTC")
    u2 = df[df.user_id == "u2"].event_time.iloc[0]
    assert u2 == pd.Timestamp("2024-06-03 11:00", tz="UTC")


def test_ties_are_ordered_by_source_row(tiny):
    u1 = tiny.to_pandas().query("user_id == 'u1'")
    # add_to_cart and purchase share 10:05 UTC; the source order decides.
    assert u1.event.tolist() == ["page_view", "add_to_cart", "purchase"]
    assert u1.row_id.is_monotonic_increasing


def test_gzipped_csv_and_glob_read_the_same(tmp_path, tiny):
    gz = jl.read_events(FIXTURES / "tiny_events.csv.gz")
    pd.testing.assert_frame_equal(gz.to_pandas(), tiny.to_pandas())
    for name in ("a.csv", "b.csv"):
        shutil.copy(TINY, tmp_path / name)
    both = jl.read_events(str(tmp_path / "*.csv"))
    # the second file is an exact copy: every row of it is a duplicate of the first
    assert rows(both, "rows read") == 20
    # line 9 in each file, plus the 5 valid rows of the second file
    assert rows(both, "exact duplicate row") == 2 + 5
    assert examples(both, "malformed CSV line").count("line 10") == 2


def test_strict_raises_with_source_column_count_and_example():
    with pytest.raises(jl.DataError) as err:
        jl.read_events(TINY, strict=True)
    text = str(err.value)
    assert "tiny_events.csv" in text
    assert "missing user id in column 'user_id': 1 rows (e.g. tiny_events.csv line 6)" in text
    assert "malformed CSV line" in text


def test_source_file_is_not_modified(tmp_path):
    copy = tmp_path / "events.csv"
    shutil.copy(TINY, copy)
    before = copy.read_bytes()
    jl.read_events(copy)
    assert copy.read_bytes() == before


def test_missing_required_column_names_source_column_and_columns_present():
    df = pd.DataFrame({"user_id": ["a"], "when": ["2024-01-01"]})
    with pytest.raises(jl.DataError) as err:
        jl.read_events(df)
    text = str(err.value)
    assert "'event'" in text and "'event_time'" in text and "['user_id', 'when']" in text
    assert "<DataFrame>" in text


def test_column_mapping_and_extra_columns_kept():
    df = pd.DataFrame(
        {
            "uid": [7, 8],
            "what": ["view", "buy"],
            "ts": ["2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z"],
            "event": ["x", "y"],  # clashes with the canonical name: kept under another name
            "score": [0.5, 1.5],
        }
    )
    log = jl.read_events(df, columns={"user_id": "uid", "event": "what", "event_time": "ts"})
    out = log.to_pandas()
    assert out.user_id.tolist() == ["7", "8"]
    assert out.event.tolist() == ["view", "buy"]
    assert out.event_source.tolist() == ["x", "y"]
    assert out.score.tolist() == [0.5, 1.5]
    assert dict(log.columns)["user_id"] == "uid"


def test_mapping_to_absent_column_is_an_error():
    df = pd.DataFrame({"user_id": ["a"], "event": ["x"], "event_time": ["2024-01-01"]})
    with pytest.raises(jl.DataError, match="no such column"):
        jl.read_events(df, columns={"channel": "utm_medium"})


def test_common_spellings_are_recognised_and_reported():
    df = pd.DataFrame(
        {"Customer ID": ["a"], "event_name": ["view"], "timestamp": ["2024-01-01T00:00:00Z"]}
    )
    log = jl.read_events(df)
    assert log.to_pandas().user_id.tolist() == ["a"]
    inferred = log.cleaning[log.cleaning.check == "column mapping inferred"]
    assert set(inferred.column) == {"user_id", "event", "event_time"}


@pytest.mark.parametrize(
    ("values", "unit"),
    [
        ([1717200000, 1717200060], "s"),
        ([1717200000000, 1717200060000], "ms"),
        ([1717200000000000, 1717200060000000], "us"),
        ([1717200000000000000, 1717200060000000000], "ns"),
        (["1717200000", "1717200060"], "s"),
    ],
)
def test_epoch_units_are_inferred_and_reported(values, unit):
    df = pd.DataFrame({"user_id": ["a", "a"], "event": ["x", "y"], "event_time": values})
    log = jl.read_events(df)
    times = log.to_pandas().event_time
    assert times.tolist() == [
        pd.Timestamp("2024-06-01 00:00", tz="UTC"),
        pd.Timestamp("2024-06-01 00:01", tz="UTC"),
    ]
    note = log.cleaning[log.cleaning.check == "time format"].examples.iloc[0]
    assert (
        "inferred" in note
        and {"s": "seconds", "ms": "milli", "us": "micro", "ns": "nano"}[unit] in note
    )


def test_explicit_time_unit_keeps_microseconds():
    df = pd.DataFrame({"user_id": ["a"], "event": ["x"], "event_time": [1717200000123456]})
    log = jl.read_events(df, time_unit="us")
    assert log.to_pandas().event_time.iloc[0] == pd.Timestamp(
        "2024-06-01 00:00:00.123456", tz="UTC"
    )


@pytest.mark.parametrize("unit", ["us", "ms", "s"])
def test_epochs_before_1970_are_exact(unit):
    # -1 us is 23:59:59.999999 on 1969-12-31, -1.5 s is 23:59:58.5: a remainder taking the
    # dividend's sign once put both a whole second early
    scale = {"us": 1, "ms": 1_000, "s": 1_000_000}[unit]
    micros = [-1, -1_500_000, -86_400_000_000, 999_999, 0]
    values = [m // scale for m in micros if m % scale == 0]
    df = pd.DataFrame({"user_id": "a", "event": "x", "event_time": values})
    log = jl.read_events(df, time_unit=unit, min_time=None)  # no plausible-range bound
    times = log.table.order_by("row_id").to_pandas().event_time
    epoch = pd.Timestamp("1970-01-01", tz="UTC")
    assert times.tolist() == [epoch + pd.Timedelta(microseconds=v * scale) for v in values]
    if unit == "us":
        assert str(times.iloc[0]) == "1969-12-31 23:59:59.999999+00:00"
        assert str(times.iloc[1]) == "1969-12-31 23:59:58.500000+00:00"


def test_infer_epoch_unit_thresholds():
    assert [infer_epoch_unit(v) for v in (1.7e9, 1.7e12, 1.7e15, 1.7e18)] == [
        "s",
        "ms",
        "us",
        "ns",
    ]


def test_parquet_rows_are_numbered_across_files(tmp_path):
    a = pd.DataFrame({"user_id": ["a", ""], "event": ["x", "y"], "event_time": ["2024-01-01"] * 2})
    b = pd.DataFrame(
        {"user_id": ["b", None], "event": ["x", "z"], "event_time": ["2024-01-02"] * 2}
    )
    a.to_parquet(tmp_path / "p1.parquet")
    b.to_parquet(tmp_path / "p2.parquet")
    log = jl.read_events(tmp_path)
    assert sorted(log.to_pandas().row_id) == [0, 2]
    assert examples(log, "missing user id") == "p1.parquet row 2, p2.parquet row 2"


def test_numeric_columns_from_text_and_whole_float_ids():
    df = pd.DataFrame(
        {
            "user_id": [17850.0, 13047.0],
            "event": ["purchase", "purchase"],
            "event_time": ["2024-01-01", "2024-01-02"],
            "revenue": ["12.5", " 3 "],
            "quantity": ["2", "2.5"],
        }
    )
    out = jl.read_events(df).to_pandas()
    assert out.user_id.tolist() == ["13047", "17850"] or out.user_id.tolist() == ["17850", "13047"]
    assert sorted(out.revenue.tolist()) == [3.0, 12.5]
    # 2.5 items is not a whole quantity: set to NULL and counted
    assert out.quantity.isna().sum() == 1


def test_empty_and_missing_files_give_clear_errors(tmp_path):
    with pytest.raises(jl.DataError, match="no such file"):
        jl.read_events(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(jl.DataError, match="empty.csv"):
        jl.read_events(empty)


def test_kept_lines_skips_bad_lines():
    # records 0..3 of a file whose lines 3 and 5 were unparseable
    assert kept_lines(pd.Series([0, 1, 2, 3]).to_numpy(), [3, 5]).tolist() == [2, 4, 6, 7]


def test_dataframe_input_is_not_modified():
    df = pd.DataFrame(
        {"user_id": [" a ", ""], "event": ["x", "y"], "event_time": ["2024-01-01"] * 2}
    )
    before = df.copy()
    jl.read_events(df)
    pd.testing.assert_frame_equal(df, before)


def test_all_null_columns_are_read_as_text():
    df = pd.DataFrame(
        {"user_id": ["a"], "event": ["x"], "event_time": ["2024-01-01"], "channel": [None]}
    )
    out = jl.read_events(df).to_pandas()
    assert out.channel.isna().all()
