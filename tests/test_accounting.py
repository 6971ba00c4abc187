"""Every row accounted for: rows read = rows kept + the rows every check removed, on every
source kind and backend; and no kept row is changed except as the report says.

The property test writes dirty CSV and Parquet files at random (missing and placeholder user
ids, control characters in names, missing, unparseable, implausible and epoch-number times,
``n/a`` revenue, exact duplicates, purchases sent twice, malformed lines) and checks the
reader against a plain Python reading of the same rows: which rows are kept, each count of
the report, and every kept value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import journeylib as jl
from journeylib.engine.read.accounting import REMOVING, Tally, tally, unaccounted
from journeylib.engine.schema import PLACEHOLDERS

COLUMNS = ["user_id", "event", "event_time", "order_id", "revenue"]
BASE = pd.Timestamp("2024-03-04 10:00", tz="UTC")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

USERS = ["u1", "u2", "u3", "", "  ", "null", "N/A", "u\x002", "u3\x07"]
EVENTS = ["page_view", "view_item", "add_to_cart", "purchase", "", "view\x00_item"]
BAD_TIMES = ["", "2024-13-45", "1970-01-01T00:00:00Z", "9999-12-31T23:00:00Z"]
REVENUES = ["12.5", "3", "n/a", ""]
ORDERS = ["o1", "o2", ""]


@st.composite
def time_text(draw) -> str:
    """An ISO time with or without offset, an epoch in seconds, or a bad value."""
    kind = draw(st.sampled_from(["iso", "naive", "epoch", "bad"]))
    if kind == "bad":
        return draw(st.sampled_from(BAD_TIMES))
    t = BASE + pd.Timedelta(minutes=draw(st.integers(0, 20_000)))
    if kind == "iso":
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "naive":
        return t.strftime("%Y-%m-%d %H:%M:%S")
    return str(t.value // 10**9)


@st.composite
def dirty_rows(draw) -> list[tuple[str, ...]]:
    """A clean first row, then random rows, some repeated exactly."""
    rows = [("u0", "page_view", "2024-03-04T09:00:00Z", "", "")]
    for _ in range(draw(st.integers(1, 25))):
        if len(rows) > 1 and draw(st.integers(0, 5)) == 0:  # an exact copy of an earlier row
            rows.append(rows[draw(st.integers(1, len(rows) - 1))])
            continue
        event = draw(st.sampled_from(EVENTS))
        order = draw(st.sampled_from(ORDERS)) if event == "purchase" else ""
        rows.append(
            (
                draw(st.sampled_from(USERS)),
                event,
                draw(time_text()),
                order,
                draw(st.sampled_from(REVENUES)),
            )
        )
    return rows


@dataclass
class Expected:
    """The reading worked out in plain Python: each row's fate and the kept rows' values."""

    counts: dict[str, int]
    kept: pd.DataFrame  # position, user_id, event, event_time, revenue


def parse_time(text: str) -> pd.Timestamp | None:
    text = text.strip()
    if re.fullmatch(r"-?[0-9]+", text):
        return pd.Timestamp(int(text), unit="s", tz="UTC")
    try:
        t = pd.Timestamp(text)
    except ValueError:
        return None
    return t.tz_localize("UTC") if t.tz is None else t.tz_convert("UTC")


def expected_reading(rows: list[tuple[str, ...]], malformed: int) -> Expected:
    """Each row's removal reason by the reader's rules, in their order (a row counts once)."""
    seen, fates, values = set(), [], []
    lo, hi = pd.Timestamp("1990-01-01", tz="UTC"), pd.Timestamp.now(tz="UTC")
    for row in rows:
        user_raw, event_raw, time_raw, order, revenue = row
        user = CONTROL.sub("", user_raw).strip()
        event = CONTROL.sub("", event_raw).strip()
        time = parse_time(time_raw) if time_raw.strip() else None
        if not user:
            fate = "missing user id"
        elif not event:
            fate = "missing event name"
        elif not time_raw.strip():
            fate = "missing event time"
        elif time is None:
            fate = "unparseable event time"
        elif not lo <= time <= hi:
            fate = "event time outside plausible range"
        elif row in seen:
            fate = "exact duplicate row"
        else:
            fate = "kept"
        seen.add(row)
        fates.append(fate)
        values.append((user, event, time, order, revenue, row))
    placeholder = [v[0].lower() in PLACEHOLDERS for v in values]
    first_purchase: dict[tuple[str, str], tuple] = {}
    for i, (user, event, time, order, _, _) in enumerate(values):
        if fates[i] == "kept" and event == "purchase" and order and not placeholder[i]:
            key = (user, order)
            if key in first_purchase and first_purchase[key] <= (time, i):
                fates[i] = "duplicate purchase"
            elif key in first_purchase:  # an earlier time further down: it is the first
                fates[first_purchase[key][1]] = "duplicate purchase"
                first_purchase[key] = (time, i)
            else:
                first_purchase[key] = (time, i)
    for i in range(len(fates)):
        if fates[i] == "kept" and placeholder[i]:
            fates[i] = "placeholder user id"
    counts = pd.Series(fates).value_counts().drop("kept", errors="ignore").to_dict()
    counts["malformed CSV line"] = malformed
    kept = [i for i, f in enumerate(fates) if f == "kept"]
    counts["rows kept"] = len(kept)
    counts["rows read"] = len(rows) + malformed
    counts["control characters in names"] = sum(
        bool(CONTROL.search(values[i][5][0] + values[i][5][1])) for i in kept
    )
    counts["unreadable revenue"] = sum(values[i][4] == "n/a" for i in kept)
    frame = pd.DataFrame(
        {
            "position": kept,
            "user_id": [values[i][0] for i in kept],
            "event": [values[i][1] for i in kept],
            "event_time": [values[i][2] for i in kept],
            "revenue": [
                float(values[i][4]) if values[i][4][:1].isdigit() else np.nan for i in kept
            ],
        }
    )
    return Expected(counts, frame)


def write_csv(folder: Path, rows: list[tuple[str, ...]], bad_at: list[int]) -> Path:
    """The rows as CSV, with a line of too few fields before each position in ``bad_at``."""
    lines = [",".join(COLUMNS)]
    for i, row in enumerate(rows):
        lines += ["u9,page_view"] * bad_at.count(i)
        lines.append(",".join(row))
    path = folder / "dirty.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return path


def write_parquet(folder: Path, rows: list[tuple[str, ...]]) -> Path:
    data = pa.table({c: pa.array([r[k] for r in rows], pa.string()) for k, c in enumerate(COLUMNS)})
    path = folder / "dirty.parquet"
    pq.write_table(data, path)
    return path


def check_reading(log: jl.EventLog, want: Expected, positions: np.ndarray) -> None:
    """The report's counts, the identity, and every kept row's values; ``positions`` turns a
    ``row_id`` into the generated row's index."""
    report = log.cleaning.groupby("check").rows.sum()
    for check, n in want.counts.items():
        assert report.get(check, 0) == n, (check, report.get(check, 0), n)
    assert unaccounted(log.cleaning) == 0
    removing = log.cleaning[log.cleaning.action.isin(REMOVING) & (log.cleaning.rows > 0)]
    assert set(removing.check) <= set(want.counts)  # no other removal
    got = log.to_pandas()
    got = got.assign(position=positions[got.row_id.to_numpy()]).sort_values("position")
    assert got.position.tolist() == want.kept.position.tolist()
    assert got.user_id.tolist() == want.kept.user_id.tolist()
    assert got.event.tolist() == want.kept.event.tolist()
    times = got.event_time.dt.as_unit("us")
    times = times.dt.tz_localize("UTC") if times.dt.tz is None else times.dt.tz_convert("UTC")
    assert times.tolist() == want.kept.event_time.tolist()
    np.testing.assert_array_equal(got.revenue.to_numpy(float), want.kept.revenue.to_numpy())


def read_and_check(folder: Path, rows, bad_at, kind: str, backend=None) -> None:
    malformed = len(bad_at) if kind == "csv" else 0
    want = expected_reading(rows, malformed)
    path = write_csv(folder, rows, bad_at) if kind == "csv" else write_parquet(folder, rows)
    log = jl.read_events(path, backend=backend)
    # row_id: the record's position among the parsed records (Arrow), or among all the
    # file's records, a malformed line leaving a gap (Spark's CSV reader)
    positions = np.arange(len(rows))
    if kind == "csv" and backend is not None:
        positions = np.array([k for i in range(len(rows)) for k in [-1] * bad_at.count(i) + [i]])
    check_reading(log, want, positions)


#: Bounded: eight files per kind, no deadline (a read takes a second or two), and no
#: shrinking (a failing file is printed as generated: shrinking reads hundreds more).
FAST = settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FAST
@given(rows=dirty_rows(), bad_at=st.lists(st.integers(0, 25), max_size=3))
def test_every_row_of_a_dirty_csv_is_accounted_for(tmp_path_factory, rows, bad_at):
    bad_at = [b for b in bad_at if b < len(rows)]
    read_and_check(tmp_path_factory.mktemp("csv"), rows, bad_at, "csv")


@FAST
@given(rows=dirty_rows())
def test_every_row_of_a_dirty_parquet_is_accounted_for(tmp_path_factory, rows):
    read_and_check(tmp_path_factory.mktemp("parquet"), rows, [], "parquet")


SPARK = settings(FAST, max_examples=2)


@pytest.mark.spark
@SPARK
@given(rows=dirty_rows(), bad_at=st.lists(st.integers(0, 25), max_size=2))
def test_every_row_is_accounted_for_on_spark(tmp_path_factory, spark_backend, rows, bad_at):
    bad_at = [b for b in bad_at if b < len(rows)]
    read_and_check(tmp_path_factory.mktemp("csv"), rows, bad_at, "csv", spark_backend)
    read_and_check(tmp_path_factory.mktemp("parquet"), rows, [], "parquet", spark_backend)


# --- the identity on every source kind ------------------------------------------------------


def dirty_frame() -> pd.DataFrame:
    """Eight rows, each with one fault but the first two (by hand: 2 kept, 6 removed)."""
    return pd.DataFrame(
        {
            "user_id": ["a", "b", "", "null", "c", "c", "d", "e"],
            "event": ["page_view", "purchase", "x", "x", "", "x", "x", "x"],
            "event_time": [
                "2024-03-04T10:00:00Z",
                "2024-03-04T11:00:00Z",
                "2024-03-04T12:00:00Z",  # missing user id
                "2024-03-04T12:00:00Z",  # placeholder user id
                "2024-03-04T12:00:00Z",  # missing event name
                "2024-13-45",  # unparseable
                "9999-01-01T00:00:00Z",  # outside the plausible range
                "",  # missing time
            ],
            "order_id": ["", "o1", "", "", "", "", "", ""],
            "revenue": ["", "10", "", "", "", "", "", ""],
        }
    )


def sources(tmp_path: Path) -> dict[str, object]:
    frame = dirty_frame()
    frame.to_csv(tmp_path / "log.csv", index=False)
    frame.to_parquet(tmp_path / "log.parquet", index=False)
    (tmp_path / "parts").mkdir()
    frame.iloc[:4].to_parquet(tmp_path / "parts" / "1.parquet", index=False)
    frame.iloc[4:].to_parquet(tmp_path / "parts" / "2.parquet", index=False)
    return {
        "csv": tmp_path / "log.csv",
        "parquet": tmp_path / "log.parquet",
        "folder": tmp_path / "parts",
        "dataframe": frame,
    }


@pytest.mark.parametrize("kind", ["csv", "parquet", "folder", "dataframe"])
def test_rows_read_are_rows_kept_plus_rows_removed(tmp_path, kind):
    log = jl.read_events(sources(tmp_path)[kind])
    assert tally(log.cleaning) == Tally(8, 2, 6) and len(log) == 2


def test_an_ibis_table_is_accounted_for():
    table = jl.connect("duckdb").create_table("dirty", ibis.memtable(dirty_frame()))
    assert tally(jl.read_events(table).cleaning) == Tally(8, 2, 6)


def test_order_lines_set_aside_are_accounted_for():
    lines = pd.DataFrame(
        {
            "order_id": ["o1", "o1", "o2", "o3", "o4"],
            "user_id": ["a", "a", None, "b", "c"],
            "event_time": ["2024-03-04T10:00:00Z"] * 3 + ["2024-13-45", "2024-03-05T10:00:00Z"],
            "revenue": [5.0, 5.0, 3.0, 2.0, 1.0],
        }
    )
    orders = jl.read_orders(lines)
    # 5 lines: 1 exact duplicate, 1 unparseable time, 1 without customer (set aside), 2 kept
    assert tally(orders.cleaning) == Tally(5, 2, 3)
    assert sorted(orders.to_pandas().order_id) == ["o1", "o4"]


def test_a_ga4_export_is_accounted_for(tmp_path):
    export = pd.DataFrame(
        {
            "user_pseudo_id": ["u1", "u1", "", "u2"],
            "event_name": ["page_view", "purchase", "page_view", "page_view"],
            "event_timestamp": [1709546400000000, 1709546460000000, 1709546400000000, 1],
        }
    )
    export.to_parquet(tmp_path / "ga4.parquet", index=False)
    log = jl.read_ga4(tmp_path / "ga4.parquet")
    assert tally(log.cleaning) == Tally(4, 2, 2)  # a missing id; 1 µs after 1970: implausible


@pytest.mark.spark
@pytest.mark.parametrize("kind", ["csv", "folder", "dataframe"])
def test_the_identity_holds_on_spark(tmp_path, spark_backend, kind):
    log = jl.read_events(sources(tmp_path)[kind], backend=spark_backend)
    assert tally(log.cleaning) == Tally(8, 2, 6)
