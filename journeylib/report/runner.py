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

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.eventlog import EventLog
from ..engine.read.spec import LogSpec
from .html import export_html, write_index
from .index_kpis import compute_kpis, timed_kpis
from .kernel_life import shutdown_kernel, start_kernel
from .mapping_file import load_columns
from .nav import add_navigation
from .notebook_files import NOTEBOOK_GLOB, copy_notebooks, find_notebooks, notebooks_folder
from .papermill_run import CELL_TIMEOUT, run_notebook
from .results import CellError, NotebookResult, ReportResult
from .salt import id_salt
from .schedule import last_seconds, run_order
from .staging import remove_stale, staging_folder, swap_into_place
from .status import status_json
from .weeks import default_week, validate_week, week_range

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
DEFAULT_DATA = Path("data/shop/events.parquet")
#: Name of the run's prepared log inside its working folder (removed before publishing).
PREPARED = ".prepared"
#: Start every notebook's kernel while the log is read (:func:`start_kernel`).
WARM_KERNELS = True


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
    with id_salt(out), staging_folder(out, None) as shared:
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
            kpis = pool.submit(timed_kpis, self.log, week)
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
            status = status_json(
                week, self.data, results, kpis.result(), timings, titles, self.mapping.currency
            )
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
            shutdown_kernel(kernel)


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
    from .prepared import prepare, read_log

    log = read_log(data, columns=mapping, backend=backend)
    prepare(log, folder)
    return log, week or last_complete_week(log)
