"""Keep notebooks clean under git: what is committed has no outputs and JupyterLab's metadata.

Two parts, both stdlib-only:

- git's clean filter for ``*.ipynb`` (``.gitattributes``), installed in the repository's git
  config by ``make install`` and ``make lab`` (``python3 journeylib/nbclean.py --install``).
  git passes every notebook it stages or compares through it: outputs, execution counts, run
  timings, widget state and the Python version are left out and the kernel metadata is the
  one JupyterLab writes, so what an analyst commits is clean and ``git diff`` shows no
  outputs. The file on disk keeps its outputs.
- :func:`pre_save`, the hook ``make lab`` gives JupyterLab's file manager
  (``--ContentsManager.pre_save_hook``): every save writes the kernel metadata as committed
  (no Python version), so opening a notebook and letting autosave run changes no byte.

Run as a script with the standard library only (no journeylib import, so git stays fast):
``python3 journeylib/nbclean.py < in.ipynb > out.ipynb``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

__all__ = ["KERNELSPEC", "LANGUAGE_INFO", "clean", "clean_text", "install", "pre_save"]

#: The kernel metadata JupyterLab writes for journeylib's kernel (ipykernel's ``python3``).
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
#: JupyterLab's ``language_info`` for it, less the Python version (it differs by machine).
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
# Written by a run or a front end, not by the author of the notebook.
_NOTEBOOK_KEYS = ("widgets", "papermill", "signature", "toc", "varInspector")
_CELL_KEYS = ("execution", "ExecuteTime", "papermill", "scrolled", "collapsed")
FILTER = "nbclean"


def clean(nb: dict[str, Any]) -> dict[str, Any]:
    """``nb`` (a notebook's JSON) without outputs, counts and run metadata, in place.

    Code cells get ``outputs: []`` and ``execution_count: null``; run metadata of cells and
    of the notebook is dropped; a ``python3`` (or missing) kernel gets :data:`KERNELSPEC`
    and :data:`LANGUAGE_INFO`. Everything else (sources, tags, cell ids) is kept.
    """
    _kernel_metadata(nb)
    for cell in nb.get("cells", []):
        for key in _CELL_KEYS:
            cell.get("metadata", {}).pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def _kernel_metadata(nb: dict[str, Any]) -> None:
    """The notebook metadata as committed: no run metadata, JupyterLab's kernel (in place)."""
    meta = nb.setdefault("metadata", {})
    for key in _NOTEBOOK_KEYS:
        meta.pop(key, None)
    if meta.get("kernelspec", {}).get("name", "python3") == "python3":
        meta["kernelspec"] = dict(KERNELSPEC)
        meta["language_info"] = json.loads(json.dumps(LANGUAGE_INFO))


def pre_save(model: dict[str, Any], **kwargs: Any) -> None:
    """Jupyter's pre-save hook: a notebook is saved with the kernel metadata as committed.

    Outputs stay (the analyst's work); the git filter keeps them out of commits. Set by
    ``make lab`` as ``--ContentsManager.pre_save_hook=journeylib.nbclean.pre_save``.
    """
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        _kernel_metadata(model["content"])


def clean_text(text: str) -> str:
    """The cleaned notebook as nbformat writes it (one-space indent, sorted keys, UTF-8).

    Text that is not a notebook's JSON (a merge conflict) comes back unchanged.
    """
    try:
        nb = json.loads(text)
    except ValueError:
        return text
    if not isinstance(nb, dict) or "cells" not in nb:
        return text
    return json.dumps(clean(nb), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def install(repo: str = ".") -> bool:
    """Set the ``nbclean`` filter in ``repo``'s git config; False when not a git checkout."""
    inside = subprocess.run(
        ["git", "-C", repo, "rev-parse", "--is-inside-work-tree"],
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return False
    command = "python3 journeylib/nbclean.py"
    subprocess.run(["git", "-C", repo, "config", f"filter.{FILTER}.clean", command], check=True)
    return True


def main(argv: list[str]) -> int:
    if argv[1:] == ["--install"]:
        done = install()
        print("notebook filter installed" if done else "not a git checkout: no filter")
        return 0
    stdin = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.buffer.write(clean_text(stdin).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
