"""What a report run reports: each notebook's run (and where it failed), and each week's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CellError", "NotebookResult", "ReportResult"]


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
