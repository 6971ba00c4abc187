"""The package's layout rules, read from the import graph of journeylib/ (no code is run).

- Domain folders (one per notebook) do not import each other: what two of them share lives in
  ``engine`` (the event log) or ``show`` (what no analysis owns).
- ``engine`` imports nothing above it; ``show`` imports only ``engine``.
- Inside a domain folder, ``plots*`` and ``findings*`` modules import the analyses, never the
  reverse; the page modules (``page``, ``report``, ``controls``, ``why_drop``) may import both.
- ``report`` imports ``engine`` and the folders it runs, never the top-level package.
- Private means private to its module: no ``from .x import _y`` of another module's name, and a
  ``_module.py`` is imported only from its own folder.
- No import circle between modules, and no module longer than 400 lines.
- The flat layout's import paths (``journeylib.io``, ``journeylib.funnel_match``, ...) still work.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "journeylib"
DOMAINS = ("overview", "journey", "funnels", "best", "clv", "retention")
PAGES = ("page", "report", "controls", "why_drop")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names taken) for every import in ``path``, relative ones resolved."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module.split(".")[0] != "journeylib":
                continue
            names = [a.name for a in node.names]
            submodules = [f"{module}.{n}" for n in names if _is_module(f"{module}.{n}")]
            found += [(s, []) for s in submodules]
            rest = [n for n in names if not _is_module(f"{module}.{n}")]
            if rest or not submodules:
                found.append((module, rest))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "journeylib"]
    return found


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "notebooks" not in p.parts}
GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and _is_package(module)) else ""


def _is_package(module: str) -> bool:
    return (PACKAGE.parent.joinpath(*module.split(".")) / "__init__.py").is_file()


def _edges() -> list[tuple[str, str, list[str]]]:
    return [(a, b, names) for a, deps in GRAPH.items() for b, names in deps]


def test_domain_folders_do_not_import_each_other():
    crossing = [
        (a, b)
        for a, b, _ in _edges()
        if _folder(a) in DOMAINS and _folder(b) in DOMAINS and _folder(a) != _folder(b)
    ]
    assert crossing == []


def test_engine_and_show_stay_below_the_analyses():
    allowed = {"engine": {"engine"}, "show": {"engine", "show"}}
    wrong = [
        (a, b)
        for a, b, _ in _edges()
        if _folder(a) in allowed and _folder(b) not in allowed[_folder(a)]
    ]
    assert wrong == []


def _kind(module: str) -> str:
    leaf = module.rsplit(".", 1)[-1]
    if leaf.startswith(("plots", "findings")):
        return "presentation"
    return "page" if leaf in PAGES or leaf == "__init__" or _is_package(module) else "analysis"


def test_analyses_do_not_import_their_folders_plots_findings_or_pages():
    wrong = [
        (a, b)
        for a, b, _ in _edges()
        if _folder(a) in DOMAINS
        and _folder(a) == _folder(b)
        and _kind(a) == "analysis"
        and _kind(b) != "analysis"
    ]
    assert wrong == []


def test_the_report_imports_the_engine_not_the_package():
    wrong = [(a, b) for a, b, _ in _edges() if _folder(a) == "report" and b == "journeylib"]
    assert wrong == []


def _private_attributes(path: Path) -> list[str]:
    """``module._name`` where ``module`` is a journeylib module imported by ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (
            node.level or (node.module or "").startswith("journeylib")
        ):
            aliases |= {a.asname or a.name for a in node.names if not a.name.startswith("_")}
    return [
        f"{node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in aliases
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]


def test_no_module_borrows_another_modules_private_names():
    borrowed = [(a, b, n) for a, b, names in _edges() for n in names if n.startswith("_")]
    borrowed += [(m, a) for m, path in MODULES.items() for a in _private_attributes(path)]
    private_modules = [
        (a, b)
        for a, b, _ in _edges()
        if b.rsplit(".", 1)[-1].startswith("_")
        and b != "journeylib._old_paths"
        and b.rpartition(".")[0] != a.rpartition(".")[0]
    ]
    assert borrowed == [] and private_modules == []


def test_no_import_circles():
    graph = {a: {b for b, _ in deps if b in MODULES and b != a} for a, deps in GRAPH.items()}
    # a package's face hands on its modules' names: an edge into a face is an edge to them all
    circles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                circles.append(path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    faces = {m for m in MODULES if _is_package(m)}
    assert [c for c in circles if not set(c) & faces] == []


OLD_PATHS = importlib.import_module("journeylib._old_paths").MOVED


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_the_flat_layouts_import_paths_still_work(old):
    module = importlib.import_module(old)
    assert module is importlib.import_module(OLD_PATHS[old])
    assert getattr(importlib.import_module("journeylib"), old.rsplit(".", 1)[-1]) is module or (
        old.rsplit(".", 1)[-1] in importlib.import_module("journeylib").__all__
    )


FOLDERS_NAMED_AS_OLD_MODULES = [
    "overview",
    "journey",
    "funnels",
    "best",
    "clv",
    "retention",
    "report",
    "synth",
]


@pytest.mark.parametrize("old", FOLDERS_NAMED_AS_OLD_MODULES)
def test_old_modules_that_became_folders_hand_on_their_names(old):
    face = importlib.import_module(f"journeylib.{old}")
    assert face.__all__ and all(hasattr(face, name) for name in face.__all__)


def test_no_module_is_longer_than_400_lines():
    long = {
        name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > 400
    }
    assert long == {}
