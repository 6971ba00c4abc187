"""journeylib.connect: the one place an engine is chosen; DuckDB never needs pyspark."""

import importlib.util
import subprocess
import sys

import pandas as pd
import pytest

import journeylib as jl
from journeylib.engine.backend import UnsupportedOnBackend, backend_name, resolve_backend

HAS_PYSPARK = importlib.util.find_spec("pyspark") is not None


def test_duckdb_is_the_default_and_keeps_its_options(tmp_path):
    con = jl.connect("duckdb", memory_limit="1GB", threads=1, temp_directory=str(tmp_path))
    assert backend_name(con) == "duckdb"
    settings = con.raw_sql(
        "SELECT current_setting('memory_limit'), current_setting('threads'), "
        "current_setting('TimeZone')"
    ).fetchone()
    assert settings[1:] == (1, "UTC")
    assert settings[0].startswith(("1.0 GB", "953.6 MiB", "1 GB"))


def test_the_event_log_keeps_its_backend():
    con = jl.connect("duckdb")
    frame = pd.DataFrame(
        {"user_id": ["a", "a"], "event": ["x", "y"], "event_time": ["2024-01-01", "2024-01-02"]}
    )
    log = jl.read_events(frame, backend=con)
    assert log.backend is con
    assert jl.sessionize(log).backend is con
    assert resolve_backend("duckdb") is resolve_backend(None)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="duckdb, spark"):
        jl.connect("oracle")


def test_unsupported_error_names_function_and_backend():
    err = UnsupportedOnBackend("customer_value", "spark", "the model is fitted in pandas")
    expected = "customer_value() cannot run on the spark backend: the model is fitted in pandas"
    assert str(err) == expected


def test_duckdb_path_never_imports_pyspark(shop_dir):
    code = (
        "import sys, journeylib as jl\n"
        f"log = jl.sessionize(jl.read_events({str(shop_dir / 'events.parquet')!r}))\n"
        "jl.funnel(log, ['view_item', 'add_to_cart', 'purchase'])\n"
        "jl.transitions(log)\n"
        "assert 'pyspark' not in sys.modules, sorted(m for m in sys.modules if 'spark' in m)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")


@pytest.mark.skipif(HAS_PYSPARK, reason="pyspark is installed: the missing-extra message is moot")
def test_spark_without_pyspark_says_which_extra_to_install():
    with pytest.raises(ImportError, match=r"journeylib\[spark\]"):
        jl.connect("spark")


def test_an_ibis_table_is_read_where_it_lives(shop_dir):
    con = jl.connect("duckdb")
    table = con.read_parquet(shop_dir / "events.parquet")
    from_table = jl.read_events(table)
    from_file = jl.read_events(shop_dir / "events.parquet")
    assert from_table.backend is con
    assert len(from_table) == len(from_file) > 0
    cols = ["user_id", "event", "event_time"]
    pd.testing.assert_frame_equal(
        from_table.to_pandas()[cols].sort_values(cols, ignore_index=True),
        from_file.to_pandas()[cols].sort_values(cols, ignore_index=True),
    )
    assert (
        jl.funnel(from_table, ["view_item", "purchase"])["count"].tolist()
        == jl.funnel(from_file, ["view_item", "purchase"])["count"].tolist()
    )


def test_duckdb_microsecond_deltas_are_exact():
    """The epoch_us rewrite gives DATE_DIFF's numbers: exact microseconds, either sign."""
    import ibis

    times = pd.to_datetime(
        [
            "2024-03-31 00:59:59.999999",  # the night European clocks change (UTC here)
            "2024-03-31 01:00:00",
            "1969-12-31 23:59:59.5",
            "2024-01-01 10:00:00.000001",
            "2024-01-01 10:30:00.000002",
        ],
        utc=True,
        format="ISO8601",
    )
    frame = pd.DataFrame({"a": times, "b": times[::-1]})
    t = ibis.memtable(frame)
    expr = t.select(d=t.a.delta(t.b, unit="microsecond"))
    assert "EPOCH_US" in ibis.to_sql(expr, dialect="duckdb").upper()
    got = jl.connect().execute(expr)
    expected = (frame.a - frame.b) // pd.Timedelta(microseconds=1)
    assert got.d.tolist() == expected.tolist()
    # other units keep ibis' DATE_DIFF (their boundaries are the calendar's business)
    seconds = ibis.to_sql(t.select(s=t.a.delta(t.b, unit="second")), dialect="duckdb")
    assert "EPOCH_US" not in seconds.upper()


def test_duckdb_strip_trims_exactly_what_trim_does():
    import ibis

    values = ["", " ", "a", " a", "a ", "\ta\n", "é", " é\x0b", "\x01x", "x\x01", "\r\n", "a b"]
    values += ["ab\r\n", "\x0cb", None]
    t = ibis.memtable(pd.DataFrame({"v": values}, dtype="object"))
    got = jl.connect().execute(t.select(s=t.v.strip())).s.tolist()
    expected = [None if v is None else v.strip(" \t\n\r\x0b\x0c") for v in values]
    assert [None if pd.isna(g) else g for g in got] == expected


def test_duckdb_hash_is_a_63_bit_integer_equal_for_equal_values():
    import ibis

    t = ibis.memtable(pd.DataFrame({"v": ["a", "b", "a", None, None]}, dtype="object"))
    expr = t.select(h=t.v.hash())
    assert "BIT)" not in ibis.to_sql(expr, dialect="duckdb").upper()  # no bit-string detour
    h = jl.connect().execute(expr).h.tolist()
    assert h[0] == h[2] and h[3] == h[4] and len({h[0], h[1], h[3]}) == 3
    assert all(0 <= x < 2**63 for x in h)
