"""The weekly report runner and the ``journeylib`` command, on tiny notebooks written here.

One real run (module fixture) executes three small notebooks, one failing on purpose, against
the small shop; the other tests read its output or replace the notebook runner by a fake one,
so that the whole file takes a few seconds.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from journeylib import cli
from journeylib.report import runner as report
from journeylib.report.runner import CellError, NotebookResult

WEEK = "2024-W23"
MAPPING = {"user_id": "customer", "event_time": "ts"}
HIDDEN_CODE = "hidden_variable_name"
FAILING_CELL = 3  # markdown 0, parameters 1, a good cell 2, then the raise


def write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    """A notebook: a title, a ``parameters`` cell, then the code cells given."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    first = nbformat.v4.new_code_cell(parameters)
    first.metadata["tags"] = ["parameters"]
    code = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Notebook {path.stem}"), first, *code]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("notebooks")
    write_notebook(
        folder / "01_ok.ipynb",
        'week: str = ""  # ISO week\nout_dir: str = ""  # folder for CSV exports',
        f"import sys\n{HIDDEN_CODE} = 41 + 1\nprint('the answer is', {HIDDEN_CODE})\n"
        "print('noise on stderr', file=sys.stderr)",
        "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()",
        "from pathlib import Path\nPath(out_dir, 'summary.csv').write_text('week\\n' + week)",
        "import ipywidgets\nipywidgets.IntSlider(value=7, description='slider_marker')",
    )
    write_notebook(
        folder / "02_fail.ipynb",
        'week: str = ""  # ISO week',
        "print('before the failure')",
        "raise ValueError(\"boom <b>&amp; 'quoted'\")",
        "print('never printed')",
    )
    write_notebook(
        folder / "03_params.ipynb",
        'data_path: str = ""  # event log\ncolumns_json: str = ""  # column mapping as JSON\n'
        "unrelated: int = 3  # not one of the runner's parameters",
        "import json\nprint('DATA', data_path)\nprint('COLUMNS', json.loads(columns_json))\n"
        "print('UNRELATED', unrelated)",
    )
    write_notebook(folder / "scratch.ipynb", "x: int = 1  # not numbered: not a report")
    return folder


@pytest.fixture(scope="module")
def events(shop_dir) -> Path:
    return Path(shop_dir) / "events.parquet"


@pytest.fixture(scope="module")
def mapped_events(events, tmp_path_factory) -> Path:
    """The small shop with its own column names: those of :data:`MAPPING`."""
    import pandas as pd

    path = tmp_path_factory.mktemp("mapped") / "events.parquet"
    renamed = pd.read_parquet(events).rename(columns=MAPPING)
    renamed.to_parquet(path)
    return path


@pytest.fixture(scope="module")
def run(notebooks, mapped_events, tmp_path_factory) -> report.ReportResult:
    out = tmp_path_factory.mktemp("reports")
    columns = out.parent / "columns.json"
    columns.write_text(json.dumps(MAPPING))
    return report.run_report(
        WEEK, data=mapped_events, columns=columns, out=out, notebooks=notebooks, progress=False
    )


@pytest.fixture(scope="module")
def no_data(tmp_path_factory) -> Path:
    """An event log the fake runner never reads (run_report only checks that it exists)."""
    path = tmp_path_factory.mktemp("no_data") / "events.parquet"
    path.touch()
    return path


@pytest.fixture(autouse=True)
def _empty_logs_are_not_read(monkeypatch):
    """The fake runner's log is an empty file: preparing it makes an empty folder."""
    real = report._prepare

    def prepare(data, folder, mapping, backend, week):
        if Path(data).stat().st_size:
            return real(data, folder, mapping, backend, week)
        folder.mkdir()
        return None, week or WEEK

    monkeypatch.setattr(report, "_prepare", prepare)


def page(run: report.ReportResult, stem: str) -> str:
    return (run.folder / f"{stem}.html").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _no_warm_kernels(monkeypatch):
    """Runs with a stand-in for run_notebook start no real kernels (the real run still does:
    module fixtures are set up before this one)."""
    monkeypatch.setattr(report, "WARM_KERNELS", False)


def fake_runner(fail_on: str | None = None, interrupt_on: str | None = None):
    """A stand-in for run_notebook: writes a page, fails or raises for the notebooks named."""

    def run_notebook(notebook, output, *, parameters, progress=True, timeout=None):
        notebook = Path(notebook)
        if notebook.name == interrupt_on:
            raise KeyboardInterrupt  # as a killed run: nothing after this point happens
        Path(output).with_suffix(".html").write_text(f"<p>{parameters['week']}</p>")
        error = CellError("ValueError", "fake", 2, 3) if notebook.name == fail_on else None
        status = "failed" if error else "ok"
        return NotebookResult(notebook.name, status, f"{notebook.stem}.html", 0.1, error)

    return run_notebook


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- the real run ------------------------------------------------------------------------------


def test_one_page_per_numbered_notebook_with_status_and_index(run):
    names = {p.name for p in run.folder.iterdir()}
    assert {"01_ok.html", "02_fail.html", "03_params.html", "status.json"} <= names
    assert not any(name.startswith("scratch") for name in names)
    assert run.index == run.folder.parent / "index.html"
    assert run.index.exists()


def test_a_failing_notebook_fails_the_run_but_not_the_others(run):
    assert not run.ok
    assert [r.notebook for r in run.notebooks] == [
        "01_ok.ipynb",
        "02_fail.ipynb",
        "03_params.ipynb",
    ]
    assert [r.status for r in run.notebooks] == ["ok", "failed", "ok"]
    assert [r.notebook for r in run.failed] == ["02_fail.ipynb"]


def test_message_names_the_notebook_the_cell_and_the_exception(run):
    error = run.failed[0].error
    assert (error.cell, error.ename) == (FAILING_CELL, "ValueError")
    assert error.execution_count is not None
    message = run.message()
    assert "02_fail.ipynb" in message
    assert f"cell {FAILING_CELL} (In [{error.execution_count}])" in message
    assert "ValueError: boom <b>&amp; 'quoted'" in message


def test_status_json_records_each_notebook(run):
    status = json.loads((run.folder / "status.json").read_text())
    assert status["week"] == WEEK
    assert status["ok"] is False
    failed = status["notebooks"][1]
    assert failed["status"] == "failed"
    assert failed["error"]["cell"] == FAILING_CELL
    assert failed["error_message"].startswith(f"cell {FAILING_CELL} ")


def test_pages_show_outputs_without_code_prompts_or_stderr(run):
    html = page(run, "01_ok")
    assert "the answer is 42" in html
    assert HIDDEN_CODE not in html
    assert "noise on stderr" not in html
    assert "In&nbsp;[" not in html and "In [" not in html
    assert "data:image/png;base64," in html  # the plot, embedded
    assert "slider_marker" not in html  # a widget cannot run in a static page


def test_pages_load_nothing_from_the_network(run):
    for stem in ("01_ok", "02_fail", "03_params"):
        html = page(run, stem)
        tags = re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*>", html, flags=re.I)
        remote = [t for t in tags if re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", t)]
        assert remote == [], stem
        assert not re.search(r"""import\(\s*["']https?://""", html), stem


def test_the_failing_page_shows_the_error(run):
    html = page(run, "02_fail")
    assert "before the failure" in html
    assert "boom" in html
    assert "never printed" not in html


def test_only_declared_parameters_are_passed(run, mapped_events):
    executed = nbformat.read(run.folder / "03_params.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert f"DATA {mapped_events.resolve()}" in text
    assert f"COLUMNS {MAPPING}" in text
    assert "UNRELATED 3" in text
    injected = [
        c
        for c in nbformat.read(run.folder / "01_ok.ipynb", as_version=4).cells
        if "injected-parameters" in c.metadata.get("tags", [])
    ]
    assert "week = " in injected[0].source and "out_dir = " in injected[0].source
    assert "data_path" not in injected[0].source


def test_a_cell_over_the_time_limit_fails_its_notebook_naming_the_cell(tmp_path):
    slow = write_notebook(
        tmp_path / "01_slow.ipynb", 'week: str = ""  # ISO week', "import time", "time.sleep(60)"
    )
    result = report.run_notebook(
        slow, tmp_path / "out.ipynb", parameters={}, progress=False, timeout=1
    )
    assert result.status == "failed"
    assert (result.error.ename, result.error.cell) == ("CellTimeoutError", 3)
    assert result.seconds < 30


def test_out_dir_exports_land_in_the_week_folder(run):
    assert (run.folder / "summary.csv").read_text() == f"week\n{WEEK}"


def test_index_escapes_and_links(run):
    index = run.index.read_text()
    assert "boom &lt;b&gt;&amp;amp; &#x27;quoted&#x27;" in index
    assert "<b>" not in index
    assert f'href="{WEEK}/02_fail.html"' in index
    assert "failed" in index and "ok" in index


def test_no_working_folders_are_left(run):
    hidden = [p.name for p in run.folder.parent.iterdir() if p.name.startswith(".")]
    assert hidden == [".id_salt"]  # the pseudonym salt, kept from run to run


# --- atomicity, with a fake notebook runner -------------------------------------------------------


@pytest.fixture
def previous(tmp_path, notebooks, no_data) -> Path:
    """A reports folder holding last run's week, made by the fake runner."""
    out = tmp_path / "reports"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report, "run_notebook", fake_runner())
        report.run_report(WEEK, data=no_data, out=out, notebooks=notebooks)
    return out


def test_an_interrupted_run_leaves_the_previous_week_intact(
    previous, notebooks, no_data, monkeypatch
):
    before, index = snapshot(previous / WEEK), (previous / "index.html").read_bytes()
    monkeypatch.setattr(report, "run_notebook", fake_runner(interrupt_on="02_fail.ipynb"))
    with pytest.raises(KeyboardInterrupt):
        report.run_report(WEEK, data=no_data, out=previous, notebooks=notebooks)
    assert snapshot(previous / WEEK) == before
    assert (previous / "index.html").read_bytes() == index
    assert sorted(p.name for p in previous.iterdir()) == [".id_salt", WEEK, "index.html"]


def test_a_failed_swap_puts_the_previous_week_back(previous, notebooks, no_data, monkeypatch):
    before = snapshot(previous / WEEK)
    monkeypatch.setattr(report, "run_notebook", fake_runner())
    real_replace = report.os.replace

    def replace(source, target):
        if Path(source).name.endswith(".tmp"):  # the move of the new week into place
            raise OSError("disk full")
        return real_replace(source, target)

    monkeypatch.setattr(report.os, "replace", replace)
    with pytest.raises(OSError, match="disk full"):
        report.run_report(WEEK, data=no_data, out=previous, notebooks=notebooks)
    assert snapshot(previous / WEEK) == before
    assert sorted(p.name for p in previous.iterdir()) == [".id_salt", WEEK, "index.html"]


def test_a_new_run_replaces_the_week_whole(previous, notebooks, no_data, monkeypatch):
    (previous / WEEK / "stale.csv").write_text("from last week")
    monkeypatch.setattr(report, "run_notebook", fake_runner(fail_on="03_params.ipynb"))
    result = report.run_report(WEEK, data=no_data, out=previous, notebooks=notebooks)
    assert not (previous / WEEK / "stale.csv").exists()
    assert [r.notebook for r in result.failed] == ["03_params.ipynb"]


def test_default_week_is_the_last_complete_week_in_the_data(
    events, notebooks, tmp_path, monkeypatch
):
    import journeylib
    from journeylib.engine import periods

    monkeypatch.setattr(report, "run_notebook", fake_runner())
    result = report.run_report(data=events, out=tmp_path, notebooks=notebooks)
    assert result.week == periods.last_complete_week(journeylib.read_events(str(events)))
    assert (tmp_path / result.week / "01_ok.html").exists()


def test_index_lists_weeks_newest_first(tmp_path):
    for week in ("2024-W09", "2025-W01", "2024-W23"):
        (tmp_path / week).mkdir()
        (tmp_path / week / "status.json").write_text(json.dumps({"ok": True, "notebooks": []}))
    (tmp_path / "not-a-week").mkdir()
    index = report.write_index(tmp_path).read_text()
    positions = [index.index(f"<h2>{week}") for week in ("2025-W01", "2024-W23", "2024-W09")]
    assert positions == sorted(positions)
    assert "not-a-week" not in index


# --- weeks and the command ----------------------------------------------------------------------


def test_week_range_crosses_the_year():
    assert report.week_range("2024-W52..2025-W02") == ["2024-W52", "2025-W01", "2025-W02"]
    assert report.week_range("2020-W53") == ["2020-W53"]


@pytest.mark.parametrize("bad", ["2024-23", "2021-W53", "2024-W23..2024-W20", "W23"])
def test_bad_weeks_are_refused(bad):
    with pytest.raises(ValueError):
        report.week_range(bad)


def test_command_backfills_several_weeks(notebooks, no_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(report, "run_notebook", fake_runner())
    argv = [
        "report",
        "--weeks",
        "2024-W52..2025-W01",
        "--data",
        str(no_data),
        "--notebooks",
        str(notebooks),
        "--out",
        str(tmp_path),
    ]
    assert cli.main(argv) == 0
    assert (tmp_path / "2024-W52" / "01_ok.html").exists()
    assert (tmp_path / "2025-W01" / "01_ok.html").exists()
    assert "2025-W01: 3 ok, 0 failed" in capsys.readouterr().out


def test_command_exits_non_zero_naming_the_failing_notebook(notebooks, events, tmp_path, capsys):
    only = tmp_path / "nb"
    only.mkdir()
    (only / "02_fail.ipynb").write_bytes((notebooks / "02_fail.ipynb").read_bytes())
    argv = [
        "report",
        "--week",
        WEEK,
        "--data",
        str(events),
        "--notebooks",
        str(only),
        "--out",
        str(tmp_path / "reports"),
        "--no-progress",
    ]
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    assert f"FAILED  02_fail.ipynb, cell {FAILING_CELL} (In [" in out
    assert "ValueError: boom" in out


def test_command_reports_missing_data_with_exit_code_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["report", "--week", WEEK, "--data", str(tmp_path / "none.parquet")])
    assert stop.value.code == 2
    assert "make data" in capsys.readouterr().err


def test_python_dash_m_journeylib_shows_the_report_options():
    done = subprocess.run(
        [sys.executable, "-m", "journeylib", "report", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for option in ("--week", "--weeks", "--data", "--columns", "--out", "--notebooks"):
        assert option in done.stdout


# --- kernel plumbing ------------------------------------------------------------------------------


def test_kernels_get_clients_whose_waits_poll_in_short_slices():
    from journeylib.report import kernels as _kernel

    client = _kernel.PollingKernelManager(kernel_name="python3").client()
    assert client.shell_channel_class is _kernel.PollingChannel
    assert client.iopub_channel_class is _kernel.PollingChannel


def test_a_polling_wait_slices_its_timeout_and_still_times_out(monkeypatch):
    import asyncio
    from queue import Empty

    from jupyter_client.channels import AsyncZMQSocketChannel

    from journeylib.report import kernels as _kernel

    asked = []

    async def never(self, timeout=None):
        asked.append(timeout)
        await asyncio.sleep(timeout)
        raise Empty

    monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", never)
    monkeypatch.setattr(_kernel, "POLL_SECONDS", 0.05)
    channel = object.__new__(_kernel.PollingChannel)
    with pytest.raises(Empty):
        asyncio.run(channel.get_msg(timeout=0.3))
    assert len(asked) >= 5
    assert max(asked) <= 0.05


def test_a_backfill_reads_the_log_once_for_all_its_weeks(notebooks, no_data, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "run_notebook", fake_runner())
    reads, real = [], report._prepare

    def counted(data, folder, mapping, backend, week):
        reads.append(week)
        return real(data, folder, mapping, backend, week)

    monkeypatch.setattr(report, "_prepare", counted)
    weeks = ["2024-W20", "2024-W21", "2024-W22"]
    seen = []
    results = report.run_reports(
        weeks, data=no_data, out=tmp_path, notebooks=notebooks, on_week=seen.append
    )
    assert reads == ["2024-W20"]  # one read, with the first week
    assert [r.week for r in results] == weeks and seen == results
    for week in weeks:  # each week has its own pages, with its own week passed on
        assert (tmp_path / week / "01_ok.html").read_text() == f"<p>{week}</p>"
        assert json.loads((tmp_path / week / "status.json").read_text())["week"] == week
    assert sorted(p.name for p in tmp_path.iterdir()) == [".id_salt", *weeks, "index.html"]


def test_notebooks_run_side_by_side_leave_the_environment_as_it_was(monkeypatch):
    """Two runs quieting the environment at once, leaving in the order they came in: the
    variables the runner sets are gone afterwards (a second thread once put them back)."""
    import os
    import threading

    from journeylib.report import papermill_run

    monkeypatch.delenv("JOURNEYLIB_REPORT", raising=False)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with papermill_run._quiet():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with papermill_run._quiet():
            second_in.set()
            first_out.wait(5)
            assert os.environ.get("JOURNEYLIB_REPORT") == "1"  # still quiet for this one

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert "JOURNEYLIB_REPORT" not in os.environ


def test_a_warm_kernels_client_sockets_are_closed_when_its_notebook_is_done(tmp_path, monkeypatch):
    # left open, zmq would reconnect to the dead kernel's ports for as long as the runner lives,
    # and reach whatever server the system gives such a port next (a Spark result socket)
    from journeylib.report.kernels import WarmKernelManager

    handed = []
    client = WarmKernelManager.client

    def remembered(self, **kwargs):
        kc = client(self, **kwargs)
        handed.append(kc)
        return kc

    monkeypatch.setattr(WarmKernelManager, "client", remembered)
    quick = write_notebook(tmp_path / "01_quick.ipynb", 'week: str = ""  # ISO week', "x = 1")
    kernel = report.start_kernel(quick)
    result = report.run_notebook(
        quick, tmp_path / "out.ipynb", parameters={}, progress=False, kernel=kernel
    )
    assert result.status == "ok"
    assert handed, "the notebook ran on the warm kernel's own client"
    for kc in handed:
        assert not kc.channels_running
        assert kc.shell_channel.socket is None and kc.iopub_channel.socket is None
