"""Notebooks stay clean under git: the clean filter, and a run saved in place in a fresh clone.

The filter (``journeylib/nbclean.py``, ``.gitattributes``) strips outputs and run metadata
from what git stages and compares, and writes the kernel metadata JupyterLab writes.
"""

import copy
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from journeylib.nbclean import KERNELSPEC, LANGUAGE_INFO, clean_text

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "journeylib" / "nbclean.py"


def executed_notebook() -> str:
    """A notebook as JupyterLab saves it after a run: outputs, counts, timings, widgets."""
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("x = 1\nx", metadata={"tags": ["parameters"]})
    code.execution_count = 3
    code.outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=3)
    ]
    code.metadata["execution"] = {"iopub.execute_input": "2024-06-01T10:00:00Z"}
    code.metadata["scrolled"] = True
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), code]
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = dict(LANGUAGE_INFO, version="3.11.9")
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nbformat.writes(nb)


def test_the_filter_strips_outputs_and_run_metadata_and_keeps_the_rest():
    text = executed_notebook()
    cleaned = json.loads(clean_text(text))
    code = cleaned["cells"][1]
    assert code["outputs"] == [] and code["execution_count"] is None
    assert code["metadata"] == {"tags": ["parameters"]}  # timings and scroll state gone
    assert "".join(code["source"]) == "x = 1\nx"  # sources kept (stored as lines)
    assert "".join(cleaned["cells"][0]["source"]) == "# Title"
    assert cleaned["metadata"] == {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}
    assert code["id"] == json.loads(text)["cells"][1]["id"]


def test_the_filter_writes_as_nbformat_does_and_twice_changes_nothing():
    cleaned = clean_text(executed_notebook())
    assert nbformat.writes(nbformat.reads(cleaned, as_version=4)) + "\n" == cleaned
    assert clean_text(cleaned) == cleaned


def test_the_filter_passes_other_text_through():
    conflict = "<<<<<<< ours\n{}\n=======\n>>>>>>> theirs\n"
    assert clean_text(conflict) == conflict


def test_the_filter_runs_as_git_runs_it_without_journeylib():
    text = executed_notebook()
    done = subprocess.run(
        ["python3", "-I", str(SCRIPT)],  # -I: no site-packages, no journeylib on the path
        input=text.encode(),
        capture_output=True,
        check=True,
    )
    assert done.stdout.decode() == clean_text(text)


def test_a_notebook_jupyterlab_opens_and_autosaves_is_written_back_byte_for_byte(tmp_path):
    """JupyterLab sends the notebook with its kernel's metadata (the Python version among
    them); saved through the file manager with the hook ``make lab`` sets, the file is the
    committed one, byte for byte."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    committed = (ROOT / "notebooks" / "02_funnel_dropoff.ipynb").read_text(encoding="utf-8")
    opened = json.loads(committed)
    opened["metadata"]["language_info"]["version"] = "3.11.9"
    opened["metadata"]["kernelspec"]["display_name"] = "Python 3 (ipykernel)"
    manager = FileContentsManager(
        root_dir=str(tmp_path), pre_save_hook="journeylib.nbclean.pre_save"
    )
    manager.save(
        {"type": "notebook", "format": "json", "content": copy.deepcopy(opened)}, "02.ipynb"
    )
    assert (tmp_path / "02.ipynb").read_text(encoding="utf-8") == committed
    # without the hook the save changes the file: the hook is what keeps it
    FileContentsManager(root_dir=str(tmp_path)).save(
        {"type": "notebook", "format": "json", "content": opened}, "plain.ipynb"
    )
    assert (tmp_path / "plain.ipynb").read_text(encoding="utf-8") != committed


def test_make_lab_sets_the_hook_and_make_install_the_filter():
    makefile = (ROOT / "Makefile").read_text()
    lab = makefile.split("\nlab:")[1].split("\n\n")[0]
    assert "--ContentsManager.pre_save_hook=journeylib.nbclean.pre_save" in lab
    assert "journeylib/nbclean.py --install" in lab
    install = makefile.split("\ninstall:")[1].split("\n\n")[0]
    assert "journeylib/nbclean.py --install" in install
    assert "*.ipynb filter=nbclean" in (ROOT / ".gitattributes").read_text()


def git(clone: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-C", str(clone), *args], capture_output=True, text=True, check=check
    )


@pytest.mark.notebook
def test_a_notebook_run_and_saved_in_place_leaves_git_clean_in_a_fresh_clone(shop_dir, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    if not (clone / ".gitattributes").exists():
        pytest.fail("the committed tree has no .gitattributes: commit it first")
    subprocess.run([sys.executable, "journeylib/nbclean.py", "--install"], cwd=clone, check=True)
    (clone / "data" / "shop").symlink_to(shop_dir, target_is_directory=True)
    notebook = clone / "notebooks" / "00_overview.ipynb"
    # the kernel manager that cannot miss a reply while a cell opens widgets (nbclient#312)
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--inplace", "--ExecutePreprocessor.timeout=600",
         "--ExecutePreprocessor.kernel_manager_class=journeylib.report.kernels.PollingKernelManager",
         str(notebook)],
        cwd=notebook.parent,
        check=True,
        capture_output=True,
    )  # fmt: skip
    saved = nbformat.read(notebook, as_version=4)
    assert any(c.get("outputs") for c in saved.cells), "the notebook did run and keep outputs"
    # git sees no change in content (it may list the file until `git add`: it compares sizes
    # before content); staging it stages nothing, and what git holds stays clean
    assert git(clone, "diff", "--quiet", "--", "notebooks", check=False).returncode == 0
    # without the filter the same file is a change: the filter is what keeps git clean
    unfiltered = git(clone, "-c", "filter.nbclean.clean=cat", "diff", "--quiet", "--",
                     "notebooks", check=False)  # fmt: skip
    assert unfiltered.returncode == 1
    git(clone, "add", "--", "notebooks")
    assert git(clone, "status", "--porcelain", "--", "notebooks").stdout == ""
    assert git(clone, "diff", "--cached", "--quiet", check=False).returncode == 0
    held = git(clone, "show", ":notebooks/00_overview.ipynb").stdout
    assert held == git(clone, "show", "HEAD:notebooks/00_overview.ipynb").stdout
