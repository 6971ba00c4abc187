"""The weekly report: every notebook run for one ISO week, exported to HTML, and an index.

``run_report`` runs each ``notebooks/[0-9][0-9]_*.ipynb`` (sorted) with papermill on the
``python3`` kernel, passing only the parameters the notebook declares from a common set:

========================  =========================================================
``week``                  ISO week analysed, e.g. ``"2024-W23"``
``data_path``             absolute path of the event log
``columns_json``          JSON text of the ``read_events`` column mapping, or ``""``
``out_dir``               absolute path of the week folder being written (for CSVs);
                          refer to exported files by name: the folder is renamed
                          to ``reports/<week>/`` when the run ends
``backend``               ``"duckdb"`` or ``"spark"``: the engine the analyses run on
``prepared_dir``          the log read and sessionized once for the run
                          (:func:`journeylib.report.notebook.prepare`); notebooks read it
                          with :func:`journeylib.report.notebook.load` instead of the data
========================  =========================================================

The runner reads and sessionizes the event log once (Parquet plus the cleaning report of the
original read, in the run's working folder and removed with it), computes the index KPIs
from it in a thread, and runs the notebooks ``jobs`` at a time (each in its own kernel).

Each notebook becomes ``reports/<week>/<stem>.html`` (outputs only: no code, no prompts, no
stderr, no widgets, images embedded, nothing loaded from the network) beside the executed
``<stem>.ipynb`` and the week's ``status.json`` (each notebook's status, and the headline KPIs
of the week and the week before, computed by the runner from the data:
:mod:`journeylib.report.kpis`); ``reports/index.html`` shows the newest week's KPIs against the
week before, their trend over the stored weeks, and lists the weeks newest first.

The run is atomic per week: notebooks execute into a hidden folder inside ``out`` that replaces
``reports/<week>/`` only when every notebook has run, so an interrupted run leaves the previous
reports as they were; the next run removes the working folders of runs that were killed.
A failing notebook does not stop the others; it is reported with its cell.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..engine.eventlog import EventLog
from ..engine.read.spec import LogSpec
from .html import export_html, write_index
from .nav import add_navigation
from .schedule import last_seconds, run_order
from .staging import remove_stale, shared_secret, staging_folder, swap_into_place

__all__ = [
    "PARAMETERS",
    "CellError",
    "compute_kpis",
    "NotebookResult",
    "ReportResult",
    "default_jobs",
    "default_week",
    "export_html",
    "copy_notebooks",
    "find_notebooks",
    "notebooks_folder",
    "load_columns",
    "run_notebook",
    "run_report",
    "start_kernel",
    "validate_week",
    "week_range",
    "write_index",
]

#: Parameters a notebook may declare in its ``parameters`` cell; the runner fills these in.
PARAMETERS = ("week", "data_path", "columns_json", "out_dir", "backend", "prepared_dir")
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
KERNEL = "python3"
DEFAULT_DATA = Path("data/shop/events.parquet")
#: The notebooks installed with the package: package data of the wheel; in the repository a
#: link to ``notebooks/``, their source.
PACKAGED_NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
#: Seconds a cell may run (also bounds every wait on the kernel, so a lost reply cannot hang
#: the weekly run); None or 0 waits for ever.
CELL_TIMEOUT = 1800

# JOURNEYLIB_REPORT=1: journeylib.show.widgets.explore returns None, so no widget is built (the
# page shows the static view) and no time is spent drawing it.
_QUIET_ENV = {
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "JUPYTER_PLATFORM_DIRS": "1",
    "JOURNEYLIB_REPORT": "1",
}
# papermill's log (nbclient logs through it: "Timeout waiting for execute reply") and nbconvert's
# ("Alternative text is missing on 1 image(s)"): the runner reports failures itself.
_QUIET_LOGGERS = {"papermill": logging.CRITICAL, "traitlets": logging.CRITICAL}
_KERNEL_ARGS = [
    "--IPKernelApp.log_level=CRITICAL",  # no "running over TCP" start-up warning
    # every chart's PNG carries alt text from its titles and axis labels
    # (journeylib.show.figure_alt);
    # journeylib itself is imported at start-up too, which a kernel started early does while
    # the runner reads the log
    "--IPKernelApp.exec_lines=import journeylib.show.figure_alt as _jl; _jl.install(); del _jl;"
    " import journeylib",
]
# What the first of the concurrent _quiet() blocks found, put back by the last one.
_QUIET_LOCK = threading.Lock()
_QUIET_SAVED: dict[str, Any] = {}
#: Name of the run's prepared log inside its working folder (removed before publishing).
PREPARED = ".prepared"
#: Start every notebook's kernel while the log is read (:func:`start_kernel`).
WARM_KERNELS = True


@dataclass(frozen=True)
class CellError:
    """Where and how a notebook failed.

    ``cell`` is the index of the failing cell in the source notebook (0-based, as in the
    notebook file), ``execution_count`` its ``In [n]`` number; both are None when the kernel
    failed outside a cell (start-up, death, a missing file).
    """

    ename: str
    evalue: str
    cell: int | None = None
    execution_count: int | None = None

    def __str__(self) -> str:
        if self.cell is None:
            return f"{self.ename}: {self.evalue}"
        where = f"cell {self.cell} (In [{self.execution_count}])"
        return f"{where}: {self.ename}: {self.evalue}"


@dataclass(frozen=True)
class NotebookResult:
    """One notebook's run: file name, ``"ok"`` or ``"failed"``, HTML file name, seconds, error."""

    notebook: str
    status: str
    html: str | None
    seconds: float
    error: CellError | None = None

    @property
    def ok(self) -> bool:
        """True when the notebook ran to the end."""
        return self.status == "ok"

    def message(self) -> str:
        """One line naming the notebook, and for a failure the cell and the exception."""
        if self.ok:
            return f"ok      {self.notebook} ({self.seconds:.1f} s)"
        return f"FAILED  {self.notebook}, {self.error}"


@dataclass(frozen=True)
class ReportResult:
    """A week's report: the week, its folder, the index page and one result per notebook."""

    week: str
    folder: Path
    index: Path
    notebooks: tuple[NotebookResult, ...]

    @property
    def ok(self) -> bool:
        """True when every notebook ran to the end."""
        return all(result.ok for result in self.notebooks)

    @property
    def failed(self) -> tuple[NotebookResult, ...]:
        """The notebooks that failed."""
        return tuple(result for result in self.notebooks if not result.ok)

    def message(self) -> str:
        """A summary line, then one line per notebook."""
        done = len(self.notebooks) - len(self.failed)
        head = f"{self.week}: {done} ok, {len(self.failed)} failed -> {self.folder}"
        return "\n".join([head, *(f"  {result.message()}" for result in self.notebooks)])


def validate_week(week: str) -> str:
    """Return ``week`` if it is an ISO week such as ``"2024-W23"``, else raise ValueError."""
    from ..engine.periods import iso_week_bounds

    iso_week_bounds(week)
    return week


def week_range(spec: str) -> list[str]:
    """Expand ``"2024-W20..2024-W23"`` (or one week) into its ISO weeks, oldest first.

    Parameters
    ----------
    spec : str
        ``FIRST..LAST`` with both ends included, or a single week.

    Returns
    -------
    list of str
        The weeks, e.g. ``["2024-W20", "2024-W21", "2024-W22", "2024-W23"]``.
    """
    from ..engine.periods import weeks_between

    first, _, last = spec.partition("..")
    return weeks_between(first.strip(), (last or first).strip())


def default_week(data: str | os.PathLike[str], *, columns: Mapping[str, str] | None = None) -> str:
    """Return the last complete ISO week in the event log at ``data``.

    Parameters
    ----------
    data : path
        Event log readable by :func:`journeylib.read_events`.
    columns : mapping, optional
        Column mapping for :func:`journeylib.read_events`.

    Returns
    -------
    str
        ``journeylib.engine.periods.last_complete_week`` of the events, e.g. ``"2024-W23"``.
    """
    from ..engine import periods
    from ..engine.read.spec import read_source

    return periods.last_complete_week(read_source(str(data), columns))


def notebooks_folder() -> Path:
    """The report notebooks installed with journeylib (:data:`PACKAGED_NOTEBOOKS`)."""
    return PACKAGED_NOTEBOOKS


def copy_notebooks(dest: str | os.PathLike[str], *, overwrite: bool = False) -> list[Path]:
    """Copy the report notebooks (:func:`notebooks_folder`) into ``dest`` for JupyterLab.

    Parameters
    ----------
    dest : path
        Folder, created if missing.
    overwrite : bool
        Replace notebooks of the same name already there (default: refuse, naming them).

    Returns
    -------
    list of Path
        The notebooks written.
    """
    import shutil

    paths = find_notebooks(notebooks_folder())
    if not paths:
        raise FileNotFoundError(f"no {NOTEBOOK_GLOB} notebooks in {notebooks_folder()}")
    dest = Path(dest)
    taken = [p.name for p in paths if (dest / p.name).exists()]
    if taken and not overwrite:
        raise FileExistsError(f"{dest} already has {taken}; pass --overwrite to replace them")
    dest.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copyfile(p, dest / p.name)) for p in paths]


def find_notebooks(folder: str | os.PathLike[str]) -> list[Path]:
    """Return the report notebooks in ``folder`` (``[0-9][0-9]_*.ipynb``), sorted by name."""
    return sorted(Path(folder).glob(NOTEBOOK_GLOB))


def load_columns(columns: Mapping[str, str] | str | os.PathLike[str] | None) -> dict | None:
    """Return the column mapping given as a mapping, a path to a JSON file, or None.

    The file may hold the flat form or the full one (:mod:`journeylib.engine.read.spec`); either way
    the canonical -> source column mapping is returned.
    """
    from ..engine.read.spec import load_spec

    spec = load_spec(columns)
    return dict(spec.columns) if columns is not None else None


def _kernel_env() -> dict[str, str]:
    """Environment for kernels: quiet, and importing the journeylib that runs them."""
    source = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    return {**_QUIET_ENV, "PYTHONPATH": path}


@contextmanager
def _quiet() -> Iterator[None]:
    """Quiet kernels (see :func:`_kernel_env`), papermill's log and nbconvert's advice.

    Notebooks of one run go through this on several threads at once (``jobs``): the first in
    sets the environment and the log levels, the last out puts back what was there before.
    """
    with _QUIET_LOCK:
        if not _QUIET_SAVED:
            env = _kernel_env()
            _QUIET_SAVED["env"] = {name: os.environ.get(name) for name in env}
            loggers = [logging.getLogger(name) for name in _QUIET_LOGGERS]
            _QUIET_SAVED["levels"] = {logger: logger.level for logger in loggers}
            os.environ.update(env)
            for logger in loggers:
                logger.setLevel(_QUIET_LOGGERS[logger.name])
        _QUIET_SAVED["depth"] = _QUIET_SAVED.get("depth", 0) + 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET_SAVED["depth"] -= 1
            if not _QUIET_SAVED["depth"]:
                _restore(_QUIET_SAVED["env"], _QUIET_SAVED["levels"])
                _QUIET_SAVED.clear()


def _restore(env: dict[str, str | None], levels: dict[logging.Logger, int]) -> None:
    """Put back the environment variables and log levels :func:`_quiet` changed."""
    for logger, level in levels.items():
        logger.setLevel(level)
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _cells(executed: Path) -> list[Any]:
    """Cells of an executed notebook without papermill's error markers ([] if none was saved)."""
    import nbformat

    if not executed.exists():
        return []
    cells = nbformat.read(executed, as_version=4).cells
    return [c for c in cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]


def _source_index(cells: list[Any], index: int) -> int:
    """Index in the source notebook of executed cell ``index``: papermill's injected cell is off."""
    return index - sum("injected-parameters" in c.metadata.get("tags", []) for c in cells[:index])


def _cell_error(exc: Exception, executed: Path) -> CellError:
    """Describe a failure, with the source notebook's index of the cell it happened in."""
    from papermill.exceptions import PapermillExecutionError

    cells = _cells(executed)
    if isinstance(exc, PapermillExecutionError):
        return CellError(
            exc.ename, exc.evalue, _source_index(cells, exc.cell_index), exc.exec_count
        )
    message = (str(exc).strip().splitlines() or [""])[0]  # e.g. a cell timeout, a dead kernel
    started = [i for i, c in enumerate(cells) if c.metadata.get("papermill", {}).get("start_time")]
    if not started:
        return CellError(type(exc).__name__, message)
    last = started[-1]
    count = cells[last].get("execution_count")
    return CellError(type(exc).__name__, message, _source_index(cells, last), count)


def run_notebook(
    notebook: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    parameters: Mapping[str, Any],
    progress: bool = True,
    timeout: float | None = CELL_TIMEOUT,
    kernel: Any = None,
) -> NotebookResult:
    """Execute one notebook with papermill and export its HTML beside ``output``.

    Parameters
    ----------
    notebook : path
        The notebook to run; it runs with its own folder as working directory.
    output : path
        Where the executed notebook goes; the HTML goes to the same path with ``.html``.
    parameters : mapping
        Candidate parameters: only those the notebook declares are passed.
    progress : bool
        Show a tqdm progress bar (cells) named after the notebook.
    timeout : float, optional
        Seconds allowed per cell (default :data:`CELL_TIMEOUT`); None or 0 waits for ever.
    kernel : kernel manager, optional
        A kernel already started for this notebook (:func:`start_kernel`); it is shut down
        when the notebook has run. Default: papermill starts one.

    Returns
    -------
    NotebookResult
        ``status`` ``"ok"`` or ``"failed"`` with the failing cell; never raises for a notebook
        error.
    """
    notebook, output = Path(notebook).resolve(), Path(output).resolve()
    start, error, page = time.perf_counter(), None, None
    with _quiet():
        try:
            _execute(notebook, output, parameters, progress=progress, timeout=timeout, km=kernel)
        except Exception as exc:
            error = _cell_error(exc, output)
        finally:
            _shutdown(kernel)
        try:
            if output.exists():  # papermill saves a failed notebook too: its page shows the error
                page = export_html(output, output.with_suffix(".html")).name
        except Exception as exc:
            error = error or CellError(type(exc).__name__, f"HTML export failed: {exc}")
    seconds = round(time.perf_counter() - start, 2)
    return NotebookResult(notebook.name, "ok" if error is None else "failed", page, seconds, error)


def start_kernel(notebook: str | os.PathLike[str]) -> Any:
    """Start the kernel ``notebook`` will run on (in its folder, quiet, importing journeylib),
    without waiting for it: pass it to :func:`run_notebook` as ``kernel``."""
    from .kernels import WarmKernelManager

    km = WarmKernelManager(kernel_name=KERNEL)
    km.start_kernel(
        extra_arguments=list(_KERNEL_ARGS),
        cwd=str(Path(notebook).resolve().parent),
        env={**os.environ, **_kernel_env()},
    )
    return km


def _shutdown(kernel: Any) -> None:
    """Shut down a kernel :func:`start_kernel` started (nothing for None)."""
    if kernel is None:
        return
    try:
        if kernel.is_alive():
            kernel.shutdown_kernel()
    except Exception:  # a kernel that died on its own: nothing left to stop
        pass
    finally:
        kernel.cleanup_resources()


def _execute(
    notebook: Path,
    output: Path,
    parameters: Mapping[str, Any],
    *,
    progress: bool,
    timeout: Any,
    km: Any = None,
) -> None:
    """Run papermill on ``notebook`` with the parameters it declares; raise on failure."""
    import papermill

    from .kernels import PollingKernelManager

    if km is not None and not km.is_alive():  # died while it waited: start a fresh one
        km = None
    declared = papermill.inspect_notebook(str(notebook))
    papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters={k: v for k, v in parameters.items() if k in declared},
        kernel_name=KERNEL,
        # the kernel starts in the notebook's folder; papermill's own cwd= would chdir this
        # process, which notebooks running side by side in threads cannot share
        resources={"metadata": {"path": str(notebook.parent)}},
        progress_bar={"desc": notebook.stem, "leave": True} if progress else False,
        execution_timeout=timeout or None,
        extra_arguments=_KERNEL_ARGS,
        kernel_manager_class=PollingKernelManager,  # waits that cannot miss a reply
        **({"km": km} if km is not None else {}),
    )


@contextmanager
def _id_salt(out: Path) -> Iterator[None]:
    """Kernels pseudonymise ids with the salt in ``out/.id_salt`` (written once, private).

    An explicit ``JOURNEYLIB_ID_SALT`` in the environment wins (see
    :mod:`journeylib.engine.privacy`).
    """
    from ..engine.privacy import SALT_ENV

    if os.environ.get(SALT_ENV):
        yield
        return
    os.environ[SALT_ENV] = shared_secret(out / ".id_salt", secrets.token_hex(32))
    try:
        yield
    finally:
        os.environ.pop(SALT_ENV, None)


def compute_kpis(
    data: str | os.PathLike[str] | EventLog,
    week: str,
    *,
    columns: Mapping[str, str] | None = None,
    backend: str = "duckdb",
) -> tuple[dict | None, str]:
    """The index KPIs of ``week`` (:func:`journeylib.report.kpis.week_kpis`), never raising.

    ``data`` is an event log path (read with ``columns`` on ``backend``) or a sessionized
    :class:`~journeylib.engine.eventlog.EventLog` already read.

    Returns
    -------
    (dict or None, str)
        The KPIs with NaN written as None (valid JSON), and "" — or None and the error text.
    """
    try:
        from .kpis import week_kpis
        from .notebook import read_log

        if not isinstance(data, EventLog):
            mapping = dict(columns) if columns else None
            data = read_log(data, columns=mapping, backend=backend)
        kpis = week_kpis(data, week)
    except Exception as exc:  # the notebooks still run; the index says why KPIs are missing
        return None, f"{type(exc).__name__}: {exc}"
    return {kpi: _json_ready(entry) for kpi, entry in kpis.items()}, ""


def _json_ready(entry: Mapping) -> dict:
    """``entry`` with NaN written as None, in nested mappings too (valid JSON)."""
    return {
        k: _json_ready(v)
        if isinstance(v, Mapping)
        else None
        if isinstance(v, float) and math.isnan(v)
        else v
        for k, v in entry.items()
    }


def _timed_kpis(log: EventLog, week: str) -> tuple[dict | None, str, float]:
    start = time.perf_counter()
    kpis, error = compute_kpis(log, week)
    return kpis, error, round(time.perf_counter() - start, 2)


def _status(
    week: str,
    data: Path | str,
    results: list[NotebookResult],
    kpis: tuple[dict | None, str, float],
    timings: Mapping[str, float],
    titles: Mapping[str, str] | None = None,
) -> str:
    """The JSON text of a week's ``status.json`` (``titles``: each page's title by file)."""
    status = {
        "week": week,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data_path": str(data),
        "ok": all(result.ok for result in results),
        "notebooks": [
            {
                **asdict(result),
                "error_message": str(result.error or ""),
                "title": (titles or {}).get(result.html or "", ""),
            }
            for result in results
        ],
        "kpis": kpis[0],
        "kpi_error": kpis[1],
        "seconds": {**timings, "kpis": kpis[2]},
    }
    return json.dumps(status, indent=2)


def default_jobs() -> int:
    """Notebooks run at a time by default: 2 when the machine has 2 cores or more, else 1."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _run_all(
    paths: list[Path],
    staging: Path,
    parameters: Mapping[str, Any],
    *,
    jobs: int,
    progress: bool,
    timeout: float | None,
    kernels: Mapping[Path, Any] | None = None,
    last: Mapping[str, float] | None = None,
) -> list[NotebookResult]:
    """Run the notebooks ``jobs`` at a time; results in the order of ``paths``.

    ``kernels``: kernels already started, by notebook path (:func:`start_kernel`). ``last``:
    seconds per notebook in the last run, from which :func:`run_order` picks the order they
    start in.
    """
    kernels = kernels or {}

    def one(path: Path) -> NotebookResult:
        output = staging / f"{path.stem}.ipynb"
        warm = {"kernel": kernels[path]} if path in kernels else {}
        return run_notebook(
            path, output, parameters=parameters, progress=progress, timeout=timeout, **warm
        )

    if jobs <= 1 or len(paths) <= 1:
        return [one(path) for path in paths]
    order = run_order(paths, last or {}, jobs)
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="journeylib-notebook")
    try:
        done = dict(zip(order, pool.map(one, order), strict=True))
        return [done[path] for path in paths]
    finally:  # interrupted: start no other notebook
        pool.shutdown(wait=True, cancel_futures=True)


def run_report(
    week: str | None = None,
    *,
    data: str | os.PathLike[str] = DEFAULT_DATA,
    columns: Mapping[str, str] | str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] = "reports",
    notebooks: str | os.PathLike[str] | None = None,
    backend: str = "duckdb",
    jobs: int | None = None,
    progress: bool = True,
    timeout: float | None = CELL_TIMEOUT,
) -> ReportResult:
    """Run every report notebook for one ISO week and write ``out/<week>/`` and the index.

    Parameters
    ----------
    week : str, optional
        ISO week such as ``"2024-W23"``; default: the last complete week in the data.
    data : path
        Event log (default ``data/shop/events.parquet``, made by ``make data``).
    columns : mapping, LogSpec or path, optional
        How to read a shop's own export: the column mapping (flat), the full form with
        ``format``, ``event_names`` and ``timezone`` (:mod:`journeylib.engine.read.spec`), or a JSON
        file holding either.
    out : path
        Reports folder; the week goes to ``out/<week>/``, the index to ``out/index.html``.
    notebooks : path, optional
        Folder of ``[0-9][0-9]_*.ipynb`` notebooks (default :func:`notebooks_folder`: the
        ones installed with journeylib).
    backend : str
        ``"duckdb"`` (default, in-process) or ``"spark"`` (:func:`journeylib.connect`): the
        engine that reads the log and runs every analysis, here and in the notebooks.
    jobs : int, optional
        Notebooks run at the same time, each in its own kernel (default
        :func:`default_jobs`).
    progress : bool
        One tqdm progress bar per notebook.
    timeout : float, optional
        Seconds allowed per cell (default :data:`CELL_TIMEOUT`); None or 0 waits for ever.

    Returns
    -------
    ReportResult
        ``ok`` is False when a notebook failed; ``message()`` names it and its cell.
    """
    return run_reports(
        [week],
        data=data,
        columns=columns,
        out=out,
        notebooks=notebooks,
        backend=backend,
        jobs=jobs,
        progress=progress,
        timeout=timeout,
    )[0]


def run_reports(
    weeks: Sequence[str | None],
    *,
    data: str | os.PathLike[str] = DEFAULT_DATA,
    columns: Mapping[str, str] | str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] = "reports",
    notebooks: str | os.PathLike[str] | None = None,
    backend: str = "duckdb",
    jobs: int | None = None,
    progress: bool = True,
    timeout: float | None = CELL_TIMEOUT,
    on_week: Callable[[ReportResult], Any] | None = None,
) -> list[ReportResult]:
    """Run every report notebook for several ISO weeks, reading the log once.

    As :func:`run_report` for each week in turn (the same parameters), except that the log is
    read, sessionized and prepared once for all of them: a backfill of n weeks reads the log
    once, not n times. Each week is swapped into ``out/<week>/`` and the index rewritten as
    soon as that week is done, so an interrupted backfill keeps the weeks already written.
    ``weeks`` holds ISO weeks (``None``: the last complete week in the data); ``on_week`` is
    called with each week's result as soon as it is written.

    Returns
    -------
    list of ReportResult
        One per week, in the order of ``weeks``.
    """
    from ..engine.backend import BACKENDS

    data, out = _data_location(data), Path(out).resolve()
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; journeylib supports {BACKENDS}")
    from ..engine.read.spec import load_spec

    folder = notebooks_folder() if notebooks is None else Path(notebooks)
    paths = find_notebooks(folder)
    if not paths:
        raise FileNotFoundError(f"no {NOTEBOOK_GLOB} notebooks in {folder}")
    mapping = load_spec(columns)
    weeks = [validate_week(week) if week else None for week in weeks]
    out.mkdir(parents=True, exist_ok=True)
    remove_stale(out)
    results: list[ReportResult] = []
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journeylib-kpis")
    with _id_salt(out), staging_folder(out, None) as shared:
        run = _Run(data, shared / PREPARED, mapping, backend, paths, jobs, progress, timeout)
        try:
            for week in weeks:
                results.append(run.week(week, out, pool))
                if on_week is not None:
                    on_week(results[-1])
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    return results


@dataclass
class _Run:
    """What the weeks of one :func:`run_reports` call share: the log, read once, and where it
    was prepared for the notebooks."""

    data: Path | str
    prepared: Path
    mapping: LogSpec
    backend: str
    paths: list[Path]
    jobs: int | None
    progress: bool
    timeout: float | None
    log: EventLog | None = None
    ready: bool = False

    def week(self, week: str | None, out: Path, pool: ThreadPoolExecutor) -> ReportResult:
        """Run the notebooks for ``week`` and swap the week into ``out/<week>/``."""
        with staging_folder(out, week) as staging, _warm_kernels(self.paths) as kernels:
            timings = {}
            if not self.ready:  # the first week: its kernels start while the log is read
                started = time.perf_counter()
                self.log, week = _prepare(
                    self.data, self.prepared, self.mapping, self.backend, week
                )
                timings["prepare"] = round(time.perf_counter() - started, 2)
                self.ready = True
            elif week is None:
                from ..engine.periods import last_complete_week

                week = last_complete_week(self.log)
            parameters = {
                "week": week,
                "data_path": str(self.data),
                "columns_json": self.mapping.to_json(),
                "out_dir": str(staging),
                "backend": self.backend,
                "prepared_dir": str(self.prepared),
            }
            # KPIs in a thread while the kernels run the notebooks (DuckDB releases the GIL)
            kpis = pool.submit(_timed_kpis, self.log, week)
            started = time.perf_counter()
            results = _run_all(
                self.paths,
                staging,
                parameters,
                jobs=self.jobs or default_jobs(),
                progress=self.progress,
                timeout=self.timeout,
                kernels=kernels,
                last=last_seconds(out),
            )
            timings["notebooks"] = round(time.perf_counter() - started, 2)
            titles = add_navigation([staging / r.html for r in results if r.html], week)
            status = _status(week, self.data, results, kpis.result(), timings, titles)
            (staging / "status.json").write_text(status, encoding="utf-8")
            swap_into_place(staging, out / week)
        return ReportResult(week, out / week, write_index(out), tuple(results))


@contextmanager
def _warm_kernels(paths: list[Path]) -> Iterator[dict[Path, Any]]:
    """Every notebook's kernel, started now (while the log is read, kernels start and import
    journeylib on the core the read leaves idle); any left unused are shut down at the end."""
    # the runner's own imports for running and exporting notebooks, meanwhile too
    threading.Thread(target=_import_runner, name="journeylib-imports", daemon=True).start()
    kernels: dict[Path, Any] = {}
    try:
        for path in paths if WARM_KERNELS else []:
            try:
                kernels[path] = start_kernel(path)
            except Exception:  # papermill starts the kernel itself, as without this
                continue
        yield kernels
    finally:
        for kernel in kernels.values():
            _shutdown(kernel)


def _import_runner() -> None:
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401


def _data_location(data: str | os.PathLike[str]) -> Path | str:
    """The event log as an absolute path (a URL such as ``s3a://...`` for Spark is kept)."""
    import glob

    if "://" in os.fspath(data):
        return os.fspath(data)
    path = Path(data).resolve()
    if not (path.exists() or (glob.has_magic(str(path)) and glob.glob(str(path)))):
        raise FileNotFoundError(f"no event log at {path} (make data writes the default shop)")
    return path


def _prepare(
    data: Path | str, folder: Path, mapping: LogSpec, backend: str, week: str | None
) -> tuple[EventLog, str]:
    """Read and sessionize the log once for the run, write it to ``folder``; pick the week."""
    from ..engine.periods import last_complete_week
    from .notebook import prepare, read_log

    log = read_log(data, columns=mapping, backend=backend)
    prepare(log, folder)
    return log, week or last_complete_week(log)
