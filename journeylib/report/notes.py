"""Notes in place of failures: a cell whose analysis its backend cannot run, or its log cannot
support, shows one line and counts as run (:func:`show_unsupported_as_notes`)."""

from __future__ import annotations

from typing import Any

from ..engine.backend import UnsupportedOnBackend
from ..engine.cleaning import NotComputable

__all__ = ["not_computable_note", "show_unsupported_as_notes", "unsupported_note"]


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
