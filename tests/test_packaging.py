"""The repository's shape: layout, pyproject.toml vs environment.yml, CI entry, notebook hygiene."""

import ast
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import nbformat
import papermill
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL = {
    "notebooks",
    "benchmarks",
    "docs",
    "journeylib",
    "data",
    "reports",
    "environment.yml",
    "README.md",
    "tests",
    "pyproject.toml",
    "Makefile",
}
# conda-forge name -> PyPI requirement name (with extras), where the two differ.
CONDA_TO_PYPI = {"ibis-duckdb": "ibis-framework[duckdb]"}
CONDA_ONLY = {"pip"}  # the conda package manager's own tools, not dependencies
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _key(requirement: Requirement) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name.lower()}{extras}"


def pypi_requirements() -> dict[str, SpecifierSet]:
    project = pyproject()["project"]
    extras = project["optional-dependencies"]
    lines = [*project["dependencies"], *extras["dev"], *extras["spark"]]
    found = {_key(r): r.specifier for r in map(Requirement, lines)}
    assert len(found) == len(lines), "a dependency is listed twice in pyproject.toml"
    return {**found, "python": SpecifierSet(project["requires-python"])}


def conda_requirements() -> dict[str, SpecifierSet]:
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert spec["channels"] == ["conda-forge"]
    found = {}
    for line in (d for d in spec["dependencies"] if isinstance(d, str)):
        name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", line.strip()).groups()
        if name not in CONDA_ONLY:
            requirement = Requirement(CONDA_TO_PYPI.get(name, name) + version.replace(" ", ""))
            assert _key(requirement) not in found, f"{name} is listed twice in environment.yml"
            found[_key(requirement)] = requirement.specifier
    return found


def tracked_top_level() -> set[str]:
    """Top-level names git would commit (tracked or not ignored), or the folder's own listing."""
    if shutil.which("git") and (ROOT / ".git").exists():
        listing = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
        return {line.split("/")[0] for line in listing if line}
    artefacts = ("build", "dist")
    return {p.name for p in ROOT.iterdir() if not p.name.endswith(".egg-info")} - set(artefacts)


# --- layout -----------------------------------------------------------------------------------


def test_top_level_is_exactly_the_agreed_layout():
    visible = {name for name in tracked_top_level() if not name.startswith(".")}
    assert visible - TOP_LEVEL == set(), "no other top-level files or folders"
    assert TOP_LEVEL - visible == set(), "missing (an empty folder needs a tracked file in it)"


def test_ci_entry_runs_make_test():
    run = ROOT / ".ci" / "run"
    text = run.read_text()
    assert os.access(run, os.X_OK)
    assert text.startswith("#!/usr/bin/env bash\n") or text.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in text
    assert re.search(r"^make test$", text, flags=re.M)


def test_gitignore_keeps_generated_files_out():
    lines = set((ROOT / ".gitignore").read_text().splitlines())
    wanted = {".venv/", "reports/*", "!reports/.gitkeep", "data/shop/", "__pycache__/"}
    assert wanted <= lines
    assert (ROOT / "reports" / ".gitkeep").exists()


def test_makefile_documents_every_target():
    text = (ROOT / "Makefile").read_text()
    documented = set(re.findall(r"^([a-z][a-z-]*):.*## ", text, flags=re.M))
    wanted = {
        "help",
        "install",
        "data",
        "report",
        "test",
        "lint",
        "format",
        "lab",
        "bench",
        "clean",
    }
    assert wanted <= documented
    phony = set(re.search(r"^\.PHONY:(.*)$", text, flags=re.M)[1].split())
    assert documented <= phony
    if shutil.which("make"):
        shown = subprocess.run(
            ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        assert all(f"make {target} " in shown for target in documented)


# --- dependencies -----------------------------------------------------------------------------


def test_pyproject_and_environment_yml_agree_on_names_and_bounds():
    pypi, conda = pypi_requirements(), conda_requirements()
    assert sorted(pypi) == sorted(conda)
    assert {n: str(s) for n, s in pypi.items()} == {n: str(s) for n, s in conda.items()}


def test_every_dependency_has_a_lower_bound():
    for name, specifier in pypi_requirements().items():
        assert any(s.operator in (">=", "==", "~=") for s in specifier), name


@pytest.mark.parametrize(
    ("name", "version", "allowed"),
    [
        ("lifetimes", "0.11.3", True),
        ("lifetimes", "0.12.0", False),  # unmaintained: a new release is unknown ground
        ("setuptools", "81.9", True),
        ("setuptools", "82.0", False),  # no pkg_resources, which lifetimes.datasets imports
        ("ibis-framework[duckdb]", "10.8.0", False),  # calls duckdb.functional, gone in duckdb 1.5
        ("ibis-framework[duckdb]", "12.0.0", True),
        ("ibis-framework[duckdb]", "13.0.0", False),
        ("sqlglot", "30.17.0", True),
        ("sqlglot", "30.18.0", False),  # ibis 12.0 then emits DROP VIEW IF EXISTS without a name
        ("pyspark", "3.5.0", True),
        ("pyspark", "4.0.1", True),
        ("pyspark", "4.1.0", False),  # ibis 12's pyspark backend supports >=3.5,<4.1
    ],
)
def test_known_pins(name, version, allowed):
    assert pypi_requirements()[name].contains(version) is allowed


def test_console_script_and_lint_settings():
    config = pyproject()
    assert config["project"]["scripts"] == {"journeylib": "journeylib.cli:main"}
    ruff = config["tool"]["ruff"]
    assert (ruff["line-length"], ruff["target-version"]) == (100, "py311")
    assert "*.ipynb" in ruff.get("extend-include", []) + ruff.get("include", [])
    assert {"E", "F", "W", "I", "UP", "B", "SIM"} <= set(ruff["lint"]["select"])


# --- notebooks --------------------------------------------------------------------------------


def _parameters_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(cell for cell in nb.cells if cell.cell_type == "code")


def committed(path: Path) -> str:
    """The text git holds for ``path`` (the index, which is HEAD in a fresh clone), not the
    working file an analyst may have run and saved; the file itself outside a git checkout."""
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", f":{path.relative_to(ROOT).as_posix()}"],
        capture_output=True,
        check=False,
    )
    return shown.stdout.decode("utf-8") if shown.returncode == 0 else path.read_text("utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_clean(path: Path):
    from journeylib.nbclean import KERNELSPEC, LANGUAGE_INFO, clean_text

    text = committed(path)
    nb = nbformat.reads(text, as_version=4)
    assert nb.metadata.get("kernelspec") == KERNELSPEC, "the kernel metadata JupyterLab writes"
    assert nb.metadata.get("language_info") == LANGUAGE_INFO
    for index, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        assert cell.outputs == [], f"code cell {index} has outputs"
        assert cell.execution_count is None, f"code cell {index} has an execution count"
    assert text == clean_text(text), "not as the git filter writes it: `make install`, git add"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_parameters_are_typed_and_explained(path: Path):
    cell = _parameters_cell(nbformat.read(path, as_version=4))
    assert "parameters" in cell.metadata.get("tags", []), "first code cell must be tagged"
    statements = ast.parse(cell.source).body
    assert statements, "the parameters cell is empty"
    for statement in statements:
        assert isinstance(statement, ast.AnnAssign), (
            f"line {statement.lineno}: `name: type = value`"
        )
    for name, parameter in papermill.inspect_notebook(str(path)).items():
        assert parameter["inferred_type_name"] != "None", f"{name} has no type"
        assert parameter["help"], f"{name} has no `# comment` saying what it is"
