"""An IPython shell with journeylib's notes for analyses that cannot run, and a cell runner:
what a notebook kernel shows when a cell's analysis is unsupported or not computable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def notes_shell(backend: str) -> Iterator[Any]:
    """A fresh shell with :func:`journeylib.report.notebook.show_unsupported_as_notes` installed."""
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    from journeylib.report.notebook import show_unsupported_as_notes

    shell = InteractiveShell.instance()
    assert show_unsupported_as_notes(shell, backend=backend)
    try:
        yield shell
    finally:
        InteractiveShell.clear_instance()


def run_cell(shell: Any, source: str) -> tuple[bool, list[str]]:
    """Run ``source`` as a cell: whether it counts as run, and the Markdown it showed."""
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = shell.run_cell(source)
    return result.success, [o.data.get("text/markdown", "") for o in captured.outputs]
