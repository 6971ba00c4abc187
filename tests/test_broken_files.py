"""Every unreadable file or mapping is a DataError naming the file (which one, in a folder),
what is wrong in plain words and what to do; the command prints it as one line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import journeylib as jl
from journeylib import cli

WEEK = "2024-W10"


def frame(n: int = 3_000) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [f"u{i % 97}" for i in range(n)],
            "event": [("page_view", "view_item", "add_to_cart")[i % 3] for i in range(n)],
            "event_time": pd.date_range("2024-03-01", periods=n, freq="min", tz="UTC"),
        }
    )


def broken_parquet(folder: Path, kind: str) -> Path:
    """A Parquet file broken as copies and downloads break them: ``empty`` (0 bytes),
    ``truncated`` (its second half missing) or ``zeroed`` (2,000 bytes of its data pages
    overwritten with zeros: the footer is intact, a page no longer decompresses)."""
    good = folder / "good.parquet"
    frame().to_parquet(good, compression="zstd", index=False)
    data = good.read_bytes()
    if kind == "empty":
        data = b""
    elif kind == "truncated":
        data = data[: len(data) // 2]
    else:
        start = len(data) // 3
        data = data[:start] + b"\0" * 2_000 + data[start + 2_000 :]
    path = folder / f"{kind}.parquet"
    path.write_bytes(data)
    good.unlink()
    return path


WHAT = {
    "empty": "the file is empty (0 bytes), not a Parquet file",
    "truncated": "not a complete Parquet file",
    "zeroed": "part of its data is damaged and cannot be read",
}


@pytest.mark.parametrize("kind", ["empty", "truncated", "zeroed"])
def test_a_broken_parquet_file_is_named(tmp_path, kind):
    path = broken_parquet(tmp_path, kind)
    with pytest.raises(jl.DataError) as err:
        jl.read_events(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {WHAT[kind]}")
    assert message.endswith("Export or copy it again.")
    assert "\n" not in message


@pytest.mark.parametrize("kind", ["empty", "truncated", "zeroed"])
def test_the_broken_file_of_a_folder_is_named_with_its_place(tmp_path, kind):
    folder = tmp_path / "logs"
    folder.mkdir()
    frame().to_parquet(folder / "a.parquet", index=False)
    broken_parquet(tmp_path, kind).rename(folder / "b.parquet")
    shutil.copy(folder / "a.parquet", folder / "c.parquet")
    with pytest.raises(jl.DataError) as err:
        jl.read_events(folder)
    assert "b.parquet (file 2 of 3): " + WHAT[kind] in str(err.value)
    assert str(err.value).endswith("or move it out of the folder.")


LATIN = "user_id;event;event_time;category\nu1;page_view;2024-03-04T10:00:00Z;caf\xe9\n"


def test_a_latin1_csv_names_line_column_and_the_encoding_to_pass(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(LATIN.encode("latin-1"))
    with pytest.raises(jl.DataError) as err:
        jl.read_events(path)
    message = str(err.value)
    assert message.startswith(f"{path}: not utf-8 text at line 2, column 'category'")
    assert "'u1;page_view;2024-03-04T10:00:00Z;café'" in message  # as Latin-1 reads it
    assert 'encoding="latin-1"' in message


def test_a_fault_after_the_first_megabyte_is_found_by_the_full_read(tmp_path):
    good = "".join(f"u{i};page_view;2024-03-04T10:00:00Z;tea\n" for i in range(40_000))
    path = tmp_path / "export.csv"
    path.write_bytes((LATIN.split("\n")[0] + "\n" + good + LATIN.split("\n")[1]).encode("latin-1"))
    assert path.stat().st_size > 1 << 20
    with pytest.raises(jl.DataError, match="not utf-8 text at line 40,002, column 'category'"):
        jl.read_events(path)


def test_encoding_reads_a_latin1_export(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(LATIN.encode("latin-1"))
    log = jl.read_events(path, encoding="latin-1")
    assert log.to_pandas().category.tolist() == ["café"]
    lines = "order_id,user_id,event_time,revenue,category\no1,u1,2024-03-04T10:00:00Z,9.5,café\n"
    (tmp_path / "orders.csv").write_bytes(lines.encode("latin-1"))
    orders = jl.read_orders(tmp_path / "orders.csv", encoding="latin-1")
    assert orders.to_pandas().category.tolist() == ["café"]
    ga4 = "user_pseudo_id,event_name,event_timestamp,page\nu1,page_view,1709546400000000,Zürich\n"
    (tmp_path / "ga4.csv").write_bytes(ga4.encode("latin-1"))
    assert jl.read_ga4(tmp_path / "ga4.csv", encoding="latin-1").to_pandas().page.tolist() == [
        "Zürich"
    ]


def test_an_unknown_encoding_is_a_value_error(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(LATIN)
    with pytest.raises(ValueError, match="not a known text encoding"):
        jl.read_events(path, encoding="klingon")


def test_a_field_longer_than_the_readers_block_is_read(tmp_path):
    """Arrow reads CSV in 1 MB blocks; a 3 MB field (quoted, with a line break) is read by a
    second read with a larger block."""
    blob = '"a,\n' + "y" * (3 << 20) + '"'
    rows = [f"u{i},page_view,2024-03-04T10:0{i}:00Z,{blob if i == 2 else 'z'}" for i in range(5)]
    path = tmp_path / "long.csv"
    path.write_text("user_id,event,event_time,blob\n" + "\n".join(rows) + "\n")
    got = jl.read_events(path).to_pandas().sort_values("row_id")
    assert got.user_id.tolist() == ["u0", "u1", "u2", "u3", "u4"]
    assert got.blob.str.len().tolist() == [1, 1, 3 + (3 << 20), 1, 1]


def test_an_invalid_mapping_file_is_named(tmp_path):
    (tmp_path / "map.json").write_text('{"user_id": "customer",\n')
    with pytest.raises(ValueError, match=r"map\.json: not JSON"):
        jl.report.load_columns(tmp_path / "map.json")


@pytest.mark.parametrize("case", ["damaged parquet in a folder", "latin-1 csv", "bad mapping"])
def test_the_command_prints_one_line_not_a_traceback(tmp_path, capsys, case):
    data, extra = tmp_path / "logs", []
    data.mkdir()
    if case == "damaged parquet in a folder":
        frame().to_parquet(data / "a.parquet", index=False)
        broken_parquet(tmp_path, "zeroed").rename(data / "b.parquet")
        expected = "b.parquet (file 2 of 2): part of its data is damaged"
    elif case == "latin-1 csv":
        data = tmp_path / "export.csv"
        data.write_bytes(LATIN.encode("latin-1"))
        expected = "export.csv: not utf-8 text at line 2"
    else:
        frame().to_parquet(data / "a.parquet", index=False)
        (tmp_path / "map.json").write_text("{user_id: customer}")
        extra = ["--columns", str(tmp_path / "map.json")]
        expected = "map.json: not JSON"
    argv = ["report", "--week", WEEK, "--data", str(data), "--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as stop:
        cli.main([*argv, *extra, "--no-progress"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("journeylib: error: ")
    assert expected in err
    assert "Traceback" not in err


# --- Spark ---------------------------------------------------------------------------------


@pytest.mark.spark
def test_broken_files_and_encodings_on_spark(tmp_path, spark_backend):
    for kind in ("empty", "truncated", "zeroed"):
        path = broken_parquet(tmp_path, kind)
        with pytest.raises(jl.DataError, match=re.escape(f"{path}: {WHAT[kind]}")):
            jl.read_events(path, backend=spark_backend)
    path = tmp_path / "export.csv"
    path.write_bytes(LATIN.encode("latin-1"))
    with pytest.raises(jl.DataError, match="not utf-8 text at line 2, column 'category'"):
        jl.read_events(path, backend=spark_backend)
    log = jl.read_events(path, encoding="latin-1", backend=spark_backend)
    assert log.to_pandas().category.tolist() == ["café"]
