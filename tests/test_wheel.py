"""The built wheel, installed (not editable) in a fresh virtual environment, writes a report
from an empty folder: the notebooks come from inside the installed package.

The environment borrows the test environment's installed dependencies (a ``.pth`` line; the
test environment's own journeylib, an editable install, is not importable through it) and
their Jupyter data files (``JUPYTER_PATH``: nbconvert's templates), so that the test takes
about two minutes instead of downloading every dependency.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.wheel

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = len(list((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")))
SOURCES = ("journeylib", "notebooks", "pyproject.toml", "README.md")


def run(*args: str | Path, cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A new virtual environment with the wheel of this tree installed."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in SOURCES:  # a clean copy: the build writes build/ and *.egg-info beside it
        path = REPO / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(path, src / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy(path, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", root / "dist", src, cwd=root)
    (wheel,) = (root / "dist").glob("journeylib-*.whl")
    env = root / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", env, cwd=root)
    python = env / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=root)
    Path(purelib.strip(), "_test_dependencies.pth").write_text(site.getsitepackages()[0] + "\n")
    # --ignore-installed: the test environment's own journeylib is visible through the .pth line
    # (same version), and pip would otherwise skip the wheel as "already installed"
    install = ("install", "--no-deps", "--no-index", "--ignore-installed")
    run(*pip, "--python", python, *install, wheel, cwd=root)
    return env


def test_the_installed_wheel_reports_from_an_empty_folder(venv, shop_dir, tmp_path):
    log = pd.read_parquet(Path(shop_dir) / "events.parquet")
    users = sorted(log.user_id.unique())[:250]
    data = tmp_path / "x.csv"
    log[log.user_id.isin(users)].to_csv(data, index=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["JUPYTER_PATH"] = str(Path(sys.prefix, "share", "jupyter"))  # nbconvert's templates
    where = run(
        venv / "bin" / "python",
        "-c",
        "import journeylib; print(journeylib.__file__)",
        cwd=empty,
        env=env,
    )
    assert Path(where.strip()).is_relative_to(venv)  # the wheel's, not this tree's
    run(venv / "bin" / "journeylib", "report", "--data", data, "--no-progress", cwd=empty, env=env)
    (status,) = (empty / "reports").glob("*/status.json")
    notebooks = json.loads(status.read_text())["notebooks"]
    assert [n["status"] for n in notebooks] == ["ok"] * NOTEBOOKS, notebooks
    run(venv / "bin" / "journeylib", "notebooks", "mine", cwd=empty, env=env)
    assert len(list((empty / "mine").glob("0*.ipynb"))) == NOTEBOOKS
