"""A column with a few bad values: one bad value costs one row (or one value), not the file.

A time column is read by what most of its values are (epoch numbers, or ISO 8601 text); a
numeric column by numbers; the few values that follow neither are removed (times) or set to
NULL (numbers) and counted with their line and text. Each case is checked by hand on DuckDB,
and on Spark against DuckDB (``-m spark``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import journeylib as jl

GA4_COLUMNS = {"user_id": "user_pseudo_id", "event": "event_name", "event_time": "event_timestamp"}
FIRST_US = 1_723_544_612_570_265  # 2024-08-13 10:23:32.570265 UTC
STEP_US = 55_391_599
N_ROWS = 2_005
BAD_TIME_ROW = 100  # 0-based record whose time reads "2024-13-45": file line 102
NO_USER_ROWS = (3, 250, 251, 999, 1500, 1900, 2004)  # seven empty user ids


def ga4_slice(folder: Path) -> Path:
    """A GA4-style export: header, 2,005 complete rows with epoch-microsecond times, one
    time ``2024-13-45``, seven empty user ids, and a last line cut off (2,007 lines)."""
    lines = ["event_date,event_timestamp,event_name,user_pseudo_id,ga_session_id"]
    for i in range(N_ROWS):
        time = "2024-13-45" if i == BAD_TIME_ROW else str(FIRST_US + i * STEP_US)
        user = "" if i in NO_USER_ROWS else f"{1000 + i % 300}.1723000{i % 300:03d}"
        lines.append(f"20240813,{time},page_view,{user},{i % 50}")
    lines.append("20240813,1723544612570265,page_vi")  # the cut-off last line
    path = folder / "events_dirty.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def utc(times: pd.Series) -> pd.Series:
    """UTC instants (Spark's come back without a zone, meaning UTC)."""
    times = times.dt.as_unit("us")
    return times.dt.tz_localize("UTC") if times.dt.tz is None else times.dt.tz_convert("UTC")


def report(log: jl.EventLog) -> pd.DataFrame:
    return log.cleaning.set_index("check")


def removed(log: jl.EventLog) -> int:
    return int(log.cleaning.loc[log.cleaning.action == "removed", "rows"].sum())


def check_ga4_slice(log: jl.EventLog) -> None:
    r = report(log)
    assert r.loc["rows read", "rows"] == 2_006  # 2,005 parsed records + the cut line
    assert r.loc["malformed CSV line", "rows"] == 1
    assert "events_dirty.csv line 2007" in r.loc["malformed CSV line", "examples"]
    assert r.loc["missing user id", "rows"] == 7
    assert r.loc["unparseable event time", "rows"] == 1
    assert r.loc["unparseable event time", "examples"] == "events_dirty.csv line 102 ('2024-13-45')"
    assert r.loc["rows kept", "rows"] == len(log) == 1_997  # 2,005 - 7 - 1
    assert r.loc["rows read", "rows"] == len(log) + removed(log)
    note = r.loc["time format"]
    assert note.rows == 2_004  # every number (the empty-id rows too), not the bad one
    assert note.examples.startswith("epoch microseconds (inferred from magnitude")
    assert "2,004 of 2,005 values; 1 neither a number nor ISO 8601 text" in note.examples
    got = log.to_pandas().sort_values("row_id")
    kept = [i for i in range(N_ROWS) if i != BAD_TIME_ROW and i not in NO_USER_ROWS]
    assert got.row_id.tolist() == kept
    expected = pd.to_datetime([FIRST_US + i * STEP_US for i in kept], unit="us", utc=True)
    assert (utc(got.event_time).to_numpy() == expected.to_numpy()).all()


def test_epoch_times_with_one_bad_text_value_keep_every_good_row(tmp_path):
    check_ga4_slice(jl.read_events(ga4_slice(tmp_path), columns=GA4_COLUMNS))


ISO_WITH_NUMBERS = (
    "user_id,event,event_time\n"
    "a,x,2024-03-04T10:00:00Z\n"  # ISO: 10:00 UTC
    "a,y,1709546400\n"  # seconds fit: 2024-03-04 10:00 UTC
    "b,x,1709546400000\n"  # milliseconds fit: the same instant
    "b,y,20240304\n"  # a date as a number: 1970 in seconds, no unit fits: unparseable
    "c,x,garbage\n"  # neither: unparseable
    "c,y,2024-03-05 10:00:00\n"  # ISO without offset: UTC
    "c,z,2024-03-06T10:00:00+01:00\n"  # ISO with offset: 09:00 UTC
)


def check_iso_with_numbers(log: jl.EventLog) -> None:
    r = report(log)
    assert r.loc["unparseable event time", "rows"] == 2
    examples = r.loc["unparseable event time", "examples"]
    assert examples == "iso.csv line 5 ('20240304'), iso.csv line 6 ('garbage')"
    assert r.loc["time format", "rows"] == 3  # ISO values
    assert r.loc["time format", "examples"] == (
        "ISO 8601 text, with or without an offset: 3 of 7 values; 2 of 3 numbers read as "
        "epochs; 1 fitting no epoch unit (unparseable); 1 neither a number nor ISO 8601 text "
        "(unparseable)"
    )
    assert r.loc["time without offset", "rows"] == 1  # the epochs are instants
    got = log.to_pandas().sort_values("row_id")
    assert got.event.tolist() == ["x", "y", "x", "y", "z"]
    assert got.event_time.dt.strftime("%m-%d %H:%M").tolist() == [
        "03-04 10:00", "03-04 10:00", "03-04 10:00", "03-05 10:00", "03-06 09:00"
    ]  # fmt: skip
    assert r.loc["rows read", "rows"] == len(log) + removed(log) == 7


def test_iso_times_with_stray_epoch_numbers(tmp_path):
    (tmp_path / "iso.csv").write_text(ISO_WITH_NUMBERS)
    check_iso_with_numbers(jl.read_events(tmp_path / "iso.csv"))


def test_a_stated_time_unit_reads_every_stray_number_in_it(tmp_path):
    (tmp_path / "iso.csv").write_text(ISO_WITH_NUMBERS)
    log = jl.read_events(tmp_path / "iso.csv", time_unit="s", min_time=None)
    got = log.to_pandas().set_index("row_id").event_time
    assert got[1] == pd.Timestamp("2024-03-04 10:00", tz="UTC")
    assert got[3] == pd.Timestamp(20240304, unit="s", tz="UTC")  # 1970-08-23, as asked
    assert 2 not in got.index  # 1.7e12 s is the year 56,000: outside the plausible range
    assert report(log).loc["event time outside plausible range", "rows"] == 1
    assert report(log).loc["unparseable event time", "rows"] == 1  # garbage


REVENUE_WITH_NA = (
    "user_id,event,event_time,revenue,quantity\n"
    "u1,purchase,2024-01-01T10:00:00Z,12.5,1\n"
    "u2,purchase,2024-01-01T11:00:00Z,n/a,n/a\n"
    "u3,purchase,2024-01-01T12:00:00Z,3,2\n"
    "u4,page_view,2024-01-01T13:00:00Z,,\n"  # absent: not counted
)


def check_revenue_with_na(log: jl.EventLog) -> None:
    r = log.cleaning.set_index(["check", "column"])
    assert r.loc[("unreadable revenue", "revenue"), "rows"] == 1
    assert r.loc[("unreadable revenue", "revenue"), "examples"] == "rev.csv line 3 ('n/a')"
    assert r.loc[("unreadable quantity", "quantity"), "rows"] == 1
    assert r.loc[("number format", "revenue"), "rows"] == 2
    assert r.loc[("number format", "revenue"), "examples"] == (
        "numbers: 2 of 3 values; 1 not a number (set to null, counted as unreadable)"
    )
    got = log.to_pandas().sort_values("row_id")
    assert len(got) == 4  # no row removed for a value
    assert got.revenue.fillna(-1).tolist() == [12.5, -1, 3.0, -1]
    assert got.quantity.fillna(-1).tolist() == [1, -1, 2, -1]


def test_a_revenue_column_with_na_keeps_its_rows(tmp_path):
    (tmp_path / "rev.csv").write_text(REVENUE_WITH_NA)
    check_revenue_with_na(jl.read_events(tmp_path / "rev.csv"))


def test_a_frame_of_mixed_types_is_read_as_text():
    frame = pd.DataFrame(
        {
            "user_id": ["u1", 2, "u3", None],  # ints and strings
            "event": ["a", "b", "c", "d"],
            "event_time": ["2024-01-01T10:00:00Z"] * 4,
            "revenue": [1.5, "n/a", None, 4],
        }
    )
    before = frame.copy()
    log = jl.read_events(frame)
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified
    r = log.cleaning.set_index(["check", "column"])
    assert r.loc[("mixed value types", "user_id"), "rows"] == 1  # the int
    assert r.loc[("mixed value types", "user_id"), "examples"] == "2 str, 1 int"
    assert r.loc[("unreadable revenue", "revenue"), "examples"] == "row 2 ('n/a')"
    got = log.to_pandas().sort_values("row_id")
    assert got.user_id.tolist() == ["u1", "2", "u3"]  # the row without id removed, counted
    assert got.revenue.fillna(-1).tolist() == [1.5, -1, -1]
    assert r.loc[("missing user id", "user_id"), "rows"] == 1


def test_an_absurd_epoch_is_one_bad_value_not_an_overflow():
    frame = pd.DataFrame(
        {"user_id": ["a", "b"], "event": ["x", "y"], "t": [1_709_546_400, 9_000_000_000_000_000]}
    )
    log = jl.read_events(frame, columns={"event_time": "t"}, time_unit="s")
    assert log.to_pandas().user_id.tolist() == ["a"]
    assert report(log).loc["unparseable event time", "rows"] == 1


# --- the same on Spark ---------------------------------------------------------------------


@pytest.mark.spark
def test_dirty_values_read_the_same_on_spark(tmp_path, spark_backend):
    ga4 = ga4_slice(tmp_path)
    (tmp_path / "iso.csv").write_text(ISO_WITH_NUMBERS)
    (tmp_path / "rev.csv").write_text(REVENUE_WITH_NA)
    cases = [
        (ga4, GA4_COLUMNS, check_ga4_slice),
        (tmp_path / "iso.csv", None, check_iso_with_numbers),
        (tmp_path / "rev.csv", None, check_revenue_with_na),
    ]
    for path, columns, check in cases:
        duck = jl.read_events(path, columns=columns)
        spark = jl.read_events(path, columns=columns, backend=spark_backend)
        check(spark)
        cols = ["check", "column", "rows", "action", "examples"]
        pd.testing.assert_frame_equal(duck.cleaning[cols], spark.cleaning[cols])


# --- plausible times, control characters ------------------------------------------------


def test_times_outside_the_plausible_range_are_removed_and_the_week_comes_from_the_rest():
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "c"],
            "event": ["page_view"] * 4,
            "event_time": [
                "2024-03-04T10:00:00Z",  # Monday of 2024-W10
                "2024-03-10T10:00:00Z",  # its Sunday: W10 is complete
                "9999-12-31T10:00:00Z",  # a placeholder date: removed
                "1970-01-01T00:00:00Z",  # a stopped clock: removed
            ],
        }
    )
    log = jl.read_events(frame)
    r = report(log)
    assert r.loc["event time outside plausible range", "rows"] == 2
    assert r.loc["event time outside plausible range", "examples"] == (
        "row 3 ('9999-12-31T10:00:00Z'), row 4 ('1970-01-01T00:00:00Z')"
    )
    assert r.loc["plausible time range", "examples"].startswith("outside 1990-01-01 00:00 UTC")
    assert jl.periods.last_complete_week(log) == "2024-W10"  # not 9999-W52
    wide = jl.read_events(frame, min_time=None, max_time=None)
    assert len(wide) == 4
    narrow = jl.read_events(frame, min_time="2024-03-05", max_time=pd.Timestamp("2024-03-11"))
    assert narrow.to_pandas().event_time.dt.day.tolist() == [10]


def test_a_bound_in_the_wrong_order_is_an_error():
    with pytest.raises(ValueError, match="must be before"):
        jl.read_events(pd.DataFrame(), min_time="2025-01-01", max_time="2024-01-01")


def test_control_characters_in_names_are_removed_and_counted():
    frame = pd.DataFrame(
        {
            "user_id": ["a", "a\x00", "b", "\x00"],
            "event": ["page\x00_view", "page_view", "zoom\tin", "page_view"],
            "event_time": ["2024-03-04T10:00:00Z"] * 4,
            "note": ["kept\x00as is", "", "", ""],  # not a name: passed through
        }
    )
    log = jl.read_events(frame)
    r = report(log)
    assert r.loc["control characters in names", "rows"] == 3
    assert r.loc["control characters in names", "action"] == "characters removed"
    assert r.loc["control characters in names", "examples"] == (
        r"row 1 ('page\x00_view'), row 2 ('a\x00'), row 3 ('zoom\tin')"
    )
    assert r.loc["missing user id", "rows"] == 1  # an id of only a NUL is no id
    got = log.to_pandas().sort_values("row_id")
    assert got.user_id.tolist() == ["a", "a", "b"]
    assert got.event.tolist() == ["page_view", "page_view", "zoomin"]
    assert got.note.tolist()[0] == "kept\x00as is"
    with pytest.raises(jl.DataError, match="control characters in names"):
        jl.read_events(frame.iloc[:3], strict=True)
