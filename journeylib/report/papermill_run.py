"""One notebook run with papermill, quiet, exported to HTML, its failure located in its cell."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .html import export_html
from .kernel_life import KERNEL, KERNEL_ARGS, kernel_env, shutdown_kernel
from .results import CellError, NotebookResult

__all__ = ["CELL_TIMEOUT", "run_notebook"]

#: Seconds a cell may run (also bounds every wait on the kernel, so a lost reply cannot hang
#: the weekly run); None or 0 waits for ever.
CELL_TIMEOUT = 1800
# papermill's log (nbclient logs through it: "Timeout waiting for execute reply") and nbconvert's
# ("Alternative text is missing on 1 image(s)"): the runner reports failures itself.
_QUIET_LOGGERS = {"papermill": logging.CRITICAL, "traitlets": logging.CRITICAL}
# What the first of the concurrent _quiet() blocks found, put back by the last one.
_QUIET_LOCK = threading.Lock()
_QUIET_SAVED: dict[str, Any] = {}


@contextmanager
def _quiet() -> Iterator[None]:
    """Quiet kernels (see :func:`kernel_env`), papermill's log and nbconvert's advice.

    Notebooks of one run go through this on several threads at once (``jobs``): the first in
    sets the environment and the log levels, the last out puts back what was there before.
    """
    with _QUIET_LOCK:
        if not _QUIET_SAVED:
            env = kernel_env()
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
            shutdown_kernel(kernel)
        try:
            if output.exists():  # papermill saves a failed notebook too: its page shows the error
                page = export_html(output, output.with_suffix(".html")).name
        except Exception as exc:
            error = error or CellError(type(exc).__name__, f"HTML export failed: {exc}")
    seconds = round(time.perf_counter() - start, 2)
    return NotebookResult(notebook.name, "ok" if error is None else "failed", page, seconds, error)


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
        extra_arguments=KERNEL_ARGS,
        kernel_manager_class=PollingKernelManager,  # waits that cannot miss a reply
        **({"km": km} if km is not None else {}),
    )
