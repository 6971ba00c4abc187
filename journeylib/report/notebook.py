"""What every notebook does first: read the log named by its parameters, pick the week.

A report run reads and sessionizes the event log once, and maps its journey stages
(:func:`prepare`, called by :func:`journeylib.report.run_report`), into a run-scoped folder
(a DuckDB database file, or Parquet on Spark) plus the cleaning report of the original read,
and passes that folder to every notebook as ``prepared_dir``; :func:`load` then only attaches
the prepared log. A notebook run on its own (JupyterLab)
reads ``data_path`` itself.

In a notebook, :func:`load` also makes analyses that cannot run on the chosen backend show a
one-line note instead of failing the notebook (:func:`show_unsupported_as_notes`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..engine.backend import UnsupportedOnBackend, is_spark, resolve_backend
from ..engine.cleaning import REPORT_COLUMNS, NotComputable, append_findings
from ..engine.eventlog import EventLog
from ..engine.periods import iso_week_bounds, last_complete_week
from ..engine.read.spec import LogSpec, parse_spec, read_source
from ..engine.sessions import sessionize
from ..engine.stages import stage_expression, unstaged_events
from .week_check import check_week

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

__all__ = [
    "PREPARED_DUCKDB",
    "PREPARED_EVENTS",
    "PREPARED_META",
    "ReportInput",
    "load",
    "prepare",
    "read_log",
    "read_prepared",
    "not_computable_note",
    "show_unsupported_as_notes",
    "unsupported_note",
]

#: File names inside a prepared folder: the sessionized events (a DuckDB database file when
#: prepared on DuckDB, Parquet on Spark), and what was read and cleaned.
PREPARED_EVENTS = "events.parquet"
PREPARED_DUCKDB = "events.duckdb"
PREPARED_META = "log.json"
_TABLE = "events"


@dataclass(frozen=True)
class ReportInput:
    """The sessionized event log and the ISO week a notebook reports on."""

    events: EventLog
    week: str
    start: pd.Timestamp
    end: pd.Timestamp


def read_log(
    data_path: str | os.PathLike[str],
    *,
    columns: dict[str, Any] | LogSpec | None = None,
    backend: BaseBackend | str = "duckdb",
) -> EventLog:
    """Read ``data_path`` and sessionize it.

    ``columns`` is the column mapping, flat or in the full form naming the source's
    ``format`` (events, order lines, GA4), ``event_names`` and ``timezone``
    (:mod:`journeylib.engine.read.spec`); the reader it names reads the source.
    """
    return sessionize(read_source(os.fspath(data_path), parse_spec(columns), backend=backend))


def prepare(
    data_path: str | os.PathLike[str] | EventLog,
    folder: str | os.PathLike[str],
    *,
    columns: dict[str, str] | None = None,
    backend: BaseBackend | str = "duckdb",
) -> Path:
    """Read and sessionize the log once, and write it where every notebook of a run reads it.

    Parameters
    ----------
    data_path : path or EventLog
        The event log (as for :func:`journeylib.read_events`), or a log already read with
        :func:`read_log`.
    folder : path
        Created if missing; receives the sessionized events with ``row_id``,
        ``user_key`` and ``stage`` (:func:`journeylib.map_stages` with the default maps,
        unless the log has a ``stage`` already): on DuckDB a database file,
        :data:`PREPARED_DUCKDB`, that notebooks attach read-only (nothing to load, several
        kernels at once), on Spark Parquet part files, :data:`PREPARED_EVENTS`; and
        :data:`PREPARED_META` (JSON: the source, the column mapping and the cleaning report
        of the original read).
    columns : mapping or LogSpec, optional
        How to read the source (:func:`read_log`).
    backend : str or ibis backend
        ``"duckdb"`` (default) or ``"spark"``: the engine that reads and writes.

    Returns
    -------
    Path
        ``folder``, to pass to notebooks as ``prepared_dir`` (see :func:`load`).
    """
    log = (
        data_path
        if isinstance(data_path, EventLog)
        else read_log(data_path, columns=columns, backend=backend)
    )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    con, table = log.backend, _with_stages(log)
    cleaning = log.cleaning
    if not log.has("stage"):  # the same report line as map_stages gives
        cleaning = append_findings(cleaning, [unstaged_events(table)])
    if is_spark(con):
        con.to_parquet(table, folder / PREPARED_EVENTS)
    else:
        _write_duckdb(con, table, folder / PREPARED_DUCKDB)
    meta = {
        "source": log.source,
        "columns": dict(log.columns),
        "cleaning": json.loads(cleaning.to_json(orient="records")),
    }
    (folder / PREPARED_META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return folder


def _with_stages(log: EventLog) -> Any:
    """The log's table with the ``stage`` of :func:`journeylib.map_stages` (default maps).

    Computed while the prepared log is written, so the notebooks that need stages (journey
    map, overview) do not map them again: a stage depends only on the user's own events, so
    it stays right in any subset of whole users (a segment, an acquisition period).
    """
    if log.has("stage"):
        return log.table
    joined, stage = stage_expression(log.table)
    return joined.mutate(stage=stage).select(*log.table.columns, "stage")


def _write_duckdb(con: BaseBackend, table: Any, path: Path) -> None:
    """Write ``table`` as table ``events`` of a new DuckDB database file at ``path``."""
    import ibis

    alias = ibis.util.gen_name("jl_prepared")
    con.attach(str(path), name=alias)
    try:
        con.create_table(_TABLE, table, database=(alias, "main"))
    finally:
        con.detach(alias)


def read_prepared(
    folder: str | os.PathLike[str], *, backend: BaseBackend | str = "duckdb"
) -> EventLog:
    """The event log :func:`prepare` wrote to ``folder``, with its original cleaning report.

    On DuckDB the database file is attached read-only (nothing is loaded: analyses scan its
    compressed table, and several kernels can read it at once); Parquet (written on Spark)
    is read as it is.
    """
    import ibis

    folder = Path(folder)
    meta = json.loads((folder / PREPARED_META).read_text(encoding="utf-8"))
    con = resolve_backend(backend)
    if (folder / PREPARED_DUCKDB).exists() and not is_spark(con):
        alias = ibis.util.gen_name("jl_prepared")
        con.attach(str(folder / PREPARED_DUCKDB), name=alias, read_only=True)
        table = con.table(_TABLE, database=(alias, "main"))
    else:
        table = con.read_parquet(str(folder / PREPARED_EVENTS))
    cleaning = pd.DataFrame.from_records(meta["cleaning"], columns=list(REPORT_COLUMNS))
    cleaning = cleaning.astype({"rows": "int64"}).fillna({"examples": ""})
    return EventLog(table=table, cleaning=cleaning, columns=meta["columns"], source=meta["source"])


def load(
    data_path: str,
    *,
    columns_json: str = "",
    week: str = "",
    backend: str = "duckdb",
    prepared_dir: str = "",
) -> ReportInput:
    """The sessionized log and the ISO week of a notebook's parameters.

    Parameters
    ----------
    data_path : str
        Event log to read when ``prepared_dir`` is empty.
    columns_json : str
        JSON text of the column mapping (flat, or the full form of
        :mod:`journeylib.engine.read.spec`), or ``""`` for canonical names.
    week : str
        ISO week, e.g. ``"2024-W23"``; ``""`` means the last complete ISO week in the data.
    backend : str
        ``"duckdb"`` (default) or ``"spark"`` (:func:`journeylib.connect`).
    prepared_dir : str
        Folder written by :func:`prepare` (the report runner passes one per run): read it
        instead of reading and sessionizing ``data_path`` again.

    Returns
    -------
    ReportInput
        ``events`` (sessionized :class:`~journeylib.engine.eventlog.EventLog` whose ``cleaning`` is
        the report of the original read), ``week``, and the week's ``start`` and ``end``.
    """
    show_unsupported_as_notes(backend=backend)
    if prepared_dir:
        events = read_prepared(prepared_dir, backend=backend)
    else:
        columns = json.loads(columns_json) if columns_json.strip() else None
        events = read_log(data_path, columns=columns, backend=backend)
    week = week or last_complete_week(events)
    start, end = iso_week_bounds(week)
    check_week(events, week, start, end)
    return ReportInput(events=events, week=week, start=start, end=end)


def unsupported_note(exc: UnsupportedOnBackend) -> str:
    """The one line a report shows for an analysis its backend cannot run yet (Markdown)."""
    return f"*`{exc.function}` cannot run on {exc.backend} yet.*"


def not_computable_note(exc: NotComputable) -> str:
    """The one line a report shows for an analysis the log cannot support (Markdown)."""
    return f"*Not computed: {_md_text(str(exc))}.*"


def _md_text(text: str) -> str:
    """``text`` (data-derived: column names, model messages) safe inside Markdown emphasis."""
    from ..engine.privacy import redact
    from ..show.inert import markdown_text

    text = redact(" ".join(text.split()).rstrip("."))  # one line: emphasis ends at a newline
    return markdown_text(text)


def _assigned(source: str) -> set[str]:
    """Names a cell's code assigns at any depth (targets, loops, defs, imports, walrus)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


class _Notes:
    """What :func:`show_unsupported_as_notes` installs in a shell: its state and hooks."""

    def __init__(self, shell: Any, backend: str) -> None:
        self.shell, self.backend = shell, backend
        self.missing: list[UnsupportedOnBackend | NotComputable] = []
        # name a cell could not define -> why
        self.causes: dict[str, UnsupportedOnBackend | NotComputable] = {}
        self.handled: list[BaseException] = []
        self.cell = ""

    def started(self, info: Any) -> None:
        self.cell = getattr(info, "raw_cell", "") or ""

    def _undefined_by(self, cause: UnsupportedOnBackend | NotComputable) -> None:
        """The names the current cell did not get to define are missing because of ``cause``."""
        for name in _assigned(self.cell):
            if name not in self.shell.user_ns:
                self.causes.setdefault(name, cause)

    def note(self, value: BaseException, tb: Any) -> str | None:
        """The note for an error of a cell, or None when it must fail as usual."""
        if not isinstance(value, UnsupportedOnBackend) and self.backend != "duckdb":
            value = _as_unsupported(value, tb, self.backend) or value
        if isinstance(value, UnsupportedOnBackend | NotComputable):
            self.missing.append(value)
            self._undefined_by(value)
            if isinstance(value, NotComputable):
                return not_computable_note(value)
            return unsupported_note(value)
        if self.missing and _undefined_in_notebook(self.shell, value, tb):
            name = value.name  # type: ignore[attr-defined]
            if name not in self.causes:  # not a result that could not be computed: a bug
                return None
            self._undefined_by(self.causes[name])
            return ""  # its reason was said once, where it could not be computed
        return None

    def handler(self, shell: Any, etype: type, value: BaseException, tb: Any, tb_offset=None):
        note = self.note(value, tb)
        if note is None:
            shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
            return None
        from IPython.display import Markdown, display

        if note:
            display(Markdown(note))
        self.handled.append(value)
        return None

    def forgive(self, result: Any) -> None:
        if result is not None and any(result.error_in_exec is e for e in self.handled):
            result.error_in_exec = None  # the cell showed its note: it counts as run
        self.handled.clear()


def show_unsupported_as_notes(shell: Any = None, *, backend: str = "duckdb") -> bool:
    """In IPython, show an analysis the backend cannot run as a one-line note, not a failure.

    A cell whose analysis raises :class:`~journeylib.engine.backend.UnsupportedOnBackend` (or, on
    a backend other than DuckDB, ibis' ``UnsupportedOperationError`` from inside a journeylib
    function, named after the function the cell called) shows :func:`unsupported_note`
    (``"`f` cannot run on spark yet"``) and counts as run, so the notebook (and a report
    run) goes on; so does a cell whose analysis raises
    :class:`~journeylib.engine.cleaning.NotComputable` (the log lacks what it needs: a column,
    purchases, enough customers), with :func:`not_computable_note`. A later cell that then
    fails only because notebook code uses a name that such a cell could not define shows
    nothing and counts as run: the reason was said once, and a page never shows a cascade
    of lines naming notebook variables. Any other error (a name no failed cell was to
    define, too) shows and fails as usual. Installed once per shell; a later call updates
    ``backend``.

    Parameters
    ----------
    shell : IPython InteractiveShell, optional
        Default: the running one.
    backend : str
        The backend the notebook runs on (names it in the notes).

    Returns
    -------
    bool
        False outside IPython (nothing to do).
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython comes with every notebook kernel
            return False
        shell = get_ipython()
    if shell is None:
        return False
    import ibis.common.exceptions as ibis_errors

    notes = getattr(shell, "_journeylib_notes", None)
    if notes is None:
        notes = _Notes(shell, backend)
        errors = (
            UnsupportedOnBackend,
            NotComputable,
            ibis_errors.UnsupportedOperationError,
            NameError,
        )
        # installed while a cell runs (load's): that cell's names count too
        notes.cell = (shell.user_ns.get("_ih") or [""])[-1]
        shell.set_custom_exc(errors, notes.handler)
        shell.events.register("pre_run_cell", notes.started)
        shell.events.register("post_run_cell", notes.forgive)
        shell._journeylib_notes = notes
    notes.backend = backend
    return True


def _frames(tb: Any) -> list[Any]:
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _as_unsupported(value: BaseException, tb: Any, backend: str) -> UnsupportedOnBackend | None:
    """ibis' "cannot compile this here", named after the journeylib function a cell called."""
    import ibis.common.exceptions as ibis_errors

    if not isinstance(value, ibis_errors.UnsupportedOperationError):
        return None
    for frame in _frames(tb):
        if str(frame.f_globals.get("__name__", "")).startswith("journeylib"):
            return UnsupportedOnBackend(frame.f_code.co_name, backend, str(value))
    return None


def _undefined_in_notebook(shell: Any, value: BaseException, tb: Any) -> bool:
    """Whether ``value`` is a NameError of notebook code (a cell, or a function a cell
    defined) for a name no cell defined: not a library's."""
    name = getattr(value, "name", None)
    if not isinstance(value, NameError) or not name or name in shell.user_ns:
        return False
    frames = _frames(tb)
    return len(frames) >= 2 and frames[-1].f_globals is shell.user_ns
