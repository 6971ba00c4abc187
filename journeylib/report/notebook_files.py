"""The report notebooks: those installed with journeylib, found in a folder, copied out."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "NOTEBOOK_GLOB",
    "PACKAGED_NOTEBOOKS",
    "copy_notebooks",
    "find_notebooks",
    "notebooks_folder",
]

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
#: The notebooks installed with the package: package data of the wheel; in the repository a
#: link to ``notebooks/``, their source.
PACKAGED_NOTEBOOKS = Path(__file__).parents[1] / "notebooks"


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
