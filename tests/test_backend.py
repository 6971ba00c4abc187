"""journeylib.connect: the one place an engine is chosen; DuckDB never needs pyspark."""

import importlib.util
import subprocess
import sys

import pandas as pd
import pytest

import journeylib as jl
from journeylib.backend import UnsupportedOnBackend, backend_name, resolve_backend

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
