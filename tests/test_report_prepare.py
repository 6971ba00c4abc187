"""The log read once per report run, notes for analyses a backend cannot run, stale folders.

- :func:`journeylib.report.notebook.prepare` / :func:`~journeylib.report.notebook.read_prepared`:
the
  prepared log gives back exactly the sessionized log with its stages and the cleaning report
  of the original read; ``load(prepared_dir=...)`` does not read ``data_path`` again.
- :func:`journeylib.report.notebook.show_unsupported_as_notes` in a real IPython shell.
- :func:`journeylib.report.staging.remove_stale` on hand-made working folders.
- The report runner with ``backend="spark"`` on the small shop (marked ``spark``).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from _shell import notes_shell, run_cell

from journeylib import map_stages
from journeylib.engine.backend import UnsupportedOnBackend
from journeylib.report import runner as report
from journeylib.report.notebook import (
    PREPARED_DUCKDB,
    PREPARED_META,
    load,
    prepare,
    read_log,
    read_prepared,
    unsupported_note,
)
from journeylib.report.staging import remove_stale, staging_folder

# --- the prepared log ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dirty_log(shop_dir, tmp_path_factory) -> Path:
    """The small shop with 3 rows lacking a user, 2 exact duplicates and a session-less event.

    Worked out by hand: the cleaning report must say 3 rows removed for the missing user id
    and 2 for exact duplicates; rows kept = rows read - 5.
    """
    events = pd.read_parquet(shop_dir / "events.parquet")
    head = events.head(5).copy()
    no_user = head.head(3).assign(user_id=None)
    duplicates = head.tail(2)
    offsite = head.head(1).assign(session_id=None, event="email_open")
    dirty = pd.concat([events, no_user, duplicates, offsite], ignore_index=True)
    path = tmp_path_factory.mktemp("dirty") / "events.parquet"
    dirty.to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def prepared(dirty_log, tmp_path_factory) -> Path:
    return prepare(dirty_log, tmp_path_factory.mktemp("run") / ".prepared")


def test_prepare_writes_the_events_and_the_cleaning_report(prepared, shop_dir):
    assert (prepared / PREPARED_DUCKDB).is_file()
    meta = json.loads((prepared / PREPARED_META).read_text())
    report_rows = {row["check"]: row["rows"] for row in meta["cleaning"]}
    assert report_rows["missing user id"] == 3
    assert report_rows["exact duplicate row"] == 2
    assert report_rows["rows kept"] == report_rows["rows read"] - 5
    offsite = pd.read_parquet(shop_dir / "events.parquet").session_id.isna().sum()
    assert report_rows["events outside sessions"] == offsite + 1  # + the e-mail open added


def test_the_prepared_log_is_the_log_read_sessionized_and_staged(dirty_log, prepared):
    direct = map_stages(read_log(dirty_log))
    again = read_prepared(prepared)
    assert again.table.columns == direct.table.columns
    assert dict(again.table.schema()) == dict(direct.table.schema())
    pd.testing.assert_frame_equal(again.cleaning, direct.cleaning)
    assert again.source == direct.source and dict(again.columns) == dict(direct.columns)
    a = again.table.to_pandas().sort_values("row_id", ignore_index=True)
    b = direct.table.to_pandas().sort_values("row_id", ignore_index=True)
    pd.testing.assert_frame_equal(a, b)


def test_load_reads_the_prepared_log_not_the_data(prepared, tmp_path):
    run = load(str(tmp_path / "gone.parquet"), week="2024-W23", prepared_dir=str(prepared))
    assert run.week == "2024-W23"
    assert run.start == pd.Timestamp("2024-06-03", tz="UTC")
    assert run.events.cleaning.loc[run.events.cleaning.check == "missing user id", "rows"].item()
    with pytest.raises(Exception, match="gone.parquet"):
        load(str(tmp_path / "gone.parquet"), week="2024-W23")


# --- notes for analyses the backend cannot run -------------------------------------------------


@pytest.fixture
def shell():
    with notes_shell("spark") as sh:
        yield sh


def test_an_unsupported_analysis_shows_one_line_and_the_notebook_goes_on(shell):
    ok, notes = run_cell(
        shell,
        "from journeylib.engine.backend import UnsupportedOnBackend\n"
        "kept = 1\n"
        "raise UnsupportedOnBackend('bought_together', 'spark', 'no ordered collect_list')\n"
        "lost = 2",
    )
    assert ok
    assert notes == ["*`bought_together` cannot run on spark yet.*"]
    assert shell.user_ns["kept"] == 1 and "lost" not in shell.user_ns
    ok, notes = run_cell(shell, "print(lost)")  # needs what the unsupported cell did not make
    assert ok and notes == []  # said once above
    ok, notes = run_cell(
        shell, "other = 3\nraise UnsupportedOnBackend('cart_recovery', 'spark')\nrec = other"
    )
    assert ok and notes == ["*`cart_recovery` cannot run on spark yet.*"]
    ok, notes = run_cell(shell, "shown = lost + 1")
    assert ok and notes == []
    ok, notes = run_cell(shell, "print(shown)")  # what a skipped cell did not define: same
    assert ok and notes == []
    ok, notes = run_cell(shell, "1 / 0")  # anything else still fails
    assert not ok and notes == []


def fake_analysis(shell) -> None:
    """``fake.purchase_paths()``: a journeylib-module function ibis cannot compile."""
    import types

    module = types.ModuleType("journeylib._fake")
    code = (
        "import ibis.common.exceptions as e\n"
        "def purchase_paths():\n"
        "    return _compile()\n"
        "def _compile():\n"
        "    raise e.UnsupportedOperationError('no ordered string aggregation')\n"
    )
    exec(code, module.__dict__)
    shell.user_ns["fake"] = module


def test_ibis_cannot_compile_is_a_note_naming_the_function_the_cell_called(shell):
    fake_analysis(shell)
    ok, notes = run_cell(shell, "paths = fake.purchase_paths()")
    assert ok and notes == ["*`purchase_paths` cannot run on spark yet.*"]
    ok, notes = run_cell(shell, "def show():\n    return paths\n")
    assert ok
    ok, notes = run_cell(shell, "show()")  # the name is missing in a function a cell defined
    assert ok and notes == []


def test_on_duckdb_ibis_cannot_compile_is_a_failure(shell):
    from journeylib.report.notebook import show_unsupported_as_notes

    show_unsupported_as_notes(shell, backend="duckdb")
    fake_analysis(shell)
    ok, notes = run_cell(shell, "paths = fake.purchase_paths()")
    assert not ok and notes == []


def test_a_name_error_without_an_unsupported_analysis_still_fails(shell):
    ok, notes = run_cell(shell, "print(never_defined)")
    assert not ok and notes == []


def test_the_note_names_function_and_backend():
    assert unsupported_note(UnsupportedOnBackend("sequences", "spark")) == (
        "*`sequences` cannot run on spark yet.*"
    )


def test_outside_ipython_nothing_is_installed():
    from journeylib.report.notebook import show_unsupported_as_notes

    code = "from journeylib.report.notebook import show_unsupported_as_notes as s; print(s())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr
    assert callable(show_unsupported_as_notes)


# --- working folders of killed runs --------------------------------------------------------------


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_new_run_cleans_what_killed_runs_left_and_nothing_else(tmp_path):
    out = tmp_path
    (out / "2024-W22").mkdir()
    (out / "2024-W22" / "00_overview.html").write_text("published")
    killed = out / ".2024-W23.abc123.tmp"
    (killed / ".prepared").mkdir(parents=True)
    (out / ".report.def456.tmp").mkdir()  # killed before the week was known
    pid = dead_pid()
    (out / f".2024-W22.{pid}.old").mkdir()  # swap finished moving the new week in
    (out / f".2024-W21.{pid}.old").mkdir()  # killed between the two moves of the swap
    (out / f".2024-W21.{pid}.old" / "page.html").write_text("last week")
    swapping = out / f".2024-W20.{os.getpid()}.old"  # a live run's swap (locked): leave it
    swapping.mkdir()
    # the process id of a killed swap, reused by a live process (PID 1 in a container):
    # no lock, so the week is put back all the same
    (out / f".2024-W19.{os.getpid()}.old").mkdir()
    (out / ".index.html.x.tmp").write_text("a file: not a working folder")
    lock = os.open(swapping, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        with staging_folder(out, "2024-W24") as live:
            handled = remove_stale(out)
            assert live.exists()  # locked by this (live) run
    finally:
        os.close(lock)
    assert not live.exists()
    assert set(handled) == {
        killed.name,
        ".report.def456.tmp",
        f".2024-W22.{pid}.old",
        f".2024-W21.{pid}.old",
        f".2024-W19.{os.getpid()}.old",
    }
    assert (out / "2024-W22" / "00_overview.html").read_text() == "published"
    assert (out / "2024-W21" / "page.html").read_text() == "last week"
    assert sorted(p.name for p in out.iterdir()) == [
        f".2024-W20.{os.getpid()}.old",
        ".index.html.x.tmp",
        "2024-W19",
        "2024-W21",
        "2024-W22",
    ]


def test_a_folder_locked_by_another_process_is_left_alone(tmp_path):
    busy = tmp_path / ".2024-W23.busy.tmp"
    busy.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"h = os.open({str(busy)!r}, os.O_RDONLY)\n"
            "fcntl.flock(h, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert remove_stale(tmp_path) == []
        assert busy.exists()
    finally:
        holder.kill()
        holder.wait()
    assert remove_stale(tmp_path) == [busy.name]  # the holder died: its lock went with it
    assert fcntl  # POSIX only, as the runner's locks


_SWAP_THEN_WAIT = """
import os, sys, time
from pathlib import Path
from journeylib.report.staging import swap_into_place
staging, final = Path(sys.argv[1]), Path(sys.argv[2])
real = os.replace
def replace(src, dst):
    real(src, dst)
    if str(dst).endswith(".old"):  # between the two moves of the swap
        print("moved aside", flush=True)
        time.sleep(60)
os.replace = replace
swap_into_place(staging, final)
"""


def test_a_killed_swap_is_undone_even_when_its_process_id_lives_on(tmp_path):
    final, staging = tmp_path / "2024-W23", tmp_path / "incoming"  # (a real one is locked)
    final.mkdir()
    (final / "page.html").write_text("last week")
    staging.mkdir()
    swapper = subprocess.Popen(
        [sys.executable, "-c", _SWAP_THEN_WAIT, str(staging), str(final)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert swapper.stdout.readline().strip() == "moved aside"
        backup = tmp_path / f".2024-W23.{swapper.pid}.old"
        assert remove_stale(tmp_path) == []  # a live swap holds its lock: left alone
        assert backup.exists() and not final.exists()
    finally:
        swapper.kill()
        swapper.wait()
    reused = tmp_path / f".2024-W23.{os.getpid()}.old"  # its id now names a live process
    os.replace(backup, reused)
    assert remove_stale(tmp_path) == [reused.name]
    assert (final / "page.html").read_text() == "last week"


def test_a_run_that_lost_the_race_for_the_salt_reads_the_winners(tmp_path, monkeypatch):
    from journeylib.report.staging import shared_secret

    path = tmp_path / ".id_salt"
    assert shared_secret(path, "first") == "first"
    # the loser checked before the winner's file appeared: it must not fail nor overwrite
    monkeypatch.setattr(Path, "exists", lambda self: False)
    assert shared_secret(path, "second") == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".id_salt"]


def test_runs_racing_for_the_salt_all_read_the_one_written(tmp_path):
    import multiprocessing

    from journeylib.report.staging import shared_secret

    context = multiprocessing.get_context("spawn")
    with context.Pool(6) as pool:
        for attempt in range(3):
            path = tmp_path / f"salt{attempt}"
            values = pool.starmap(shared_secret, [(path, f"value-{i}") for i in range(24)])
            assert len(set(values)) == 1 and values[0].startswith("value-"), values
            assert path.read_text() == values[0]
            assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["salt0", "salt1", "salt2"]


# --- the report on Spark -------------------------------------------------------------------------


@pytest.mark.spark
@pytest.mark.notebook
def test_the_report_runs_on_spark(shop_dir, tmp_path, spark_backend, monkeypatch):
    """Every notebook runs with backend="spark" (one Spark session per kernel)."""
    # kernels open their own local Spark session: small data, few partitions
    monkeypatch.setenv(
        "PYSPARK_SUBMIT_ARGS",
        "--master local[1] --conf spark.sql.shuffle.partitions=1 "
        "--conf spark.sql.adaptive.enabled=false --conf spark.ui.enabled=false pyspark-shell",
    )
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    result = report.run_report(
        data=shop_dir / "events.parquet",
        out=tmp_path,
        notebooks=notebooks,
        backend="spark",
        jobs=1,
        progress=False,
        timeout=900,
    )
    assert result.ok, result.message()
    status = json.loads((result.folder / "status.json").read_text())
    assert status["ok"]
    for nb in report.find_notebooks(notebooks):
        cells = nbformat.read(result.folder / nb.name, as_version=4).cells
        injected = next(c for c in cells if "injected-parameters" in c.metadata.get("tags", []))
        assert 'backend = "spark"' in injected.source
