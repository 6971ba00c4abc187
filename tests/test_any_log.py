"""Every export shape through the command: every notebook ends, every page reads cleanly.

The six shapes of ``tests/_shapes.py`` (REES46-like, Retailrocket-like, Segment-spec, order
lines with cancellations, a flattened GA4 export, a bare user/event/time log), made from the
first 1,500 users of the small synthetic shop, each run through ``journeylib report`` with its
mapping file and ``--format``. A section the log cannot give shows one plain line; no page
shows a cascade of "Skipped: needs" lines or the name of a notebook variable, and the funnel
of the logs that have a funnel vocabulary shows at least three steps.
"""

from __future__ import annotations

import ast
import html
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from _shapes import SHAPES

from journeylib import cli

pytestmark = pytest.mark.notebook

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WEEK = "2024-W40"


def notebook_names() -> set[str]:
    """Every name the notebooks' code assigns (variables, functions, imports)."""
    names = set()
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
    return names


@pytest.fixture(scope="module")
def events(shop_dir) -> pd.DataFrame:
    log = pd.read_parquet(Path(shop_dir) / "events.parquet")
    return log[log.user_id.isin(sorted(log.user_id.unique())[:1500])]


@pytest.fixture(scope="module", params=sorted(SHAPES))
def shape(request, events, tmp_path_factory) -> tuple[str, Path]:
    """(shape name, week folder) of one report run through the command line."""
    folder = tmp_path_factory.mktemp(request.param)
    path, mapping, fmt = SHAPES[request.param](events, folder)
    argv = ["report", "--week", WEEK, "--data", str(path), "--format", fmt]
    if mapping is not None:
        (folder / "map.json").write_text(json.dumps(mapping))
        argv += ["--columns", str(folder / "map.json")]
    argv += ["--out", str(folder / "reports"), "--no-progress"]
    cli.main(argv)
    return request.param, folder / "reports" / WEEK


def page_text(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))


def test_every_notebook_ends(shape):
    name, week = shape
    status = json.loads((week / "status.json").read_text())
    assert {n["notebook"]: n["status"] for n in status["notebooks"]} == {
        p.name: "ok" for p in NOTEBOOKS
    }, (name, status["notebooks"])


def test_no_page_names_notebook_code_or_a_cascade_of_skipped_lines(shape):
    name, week = shape
    names = notebook_names()
    for page in sorted(week.glob("*.html")):
        raw = page.read_text(encoding="utf-8")
        assert "Skipped: needs" not in page_text(page), (name, page.name)
        code = {html.unescape(c).strip() for c in re.findall(r"<code>([^<]*)</code>", raw)}
        assert not code & names, (name, page.name, code & names)
        notes = re.findall(r"not shown:|Not computed:", page_text(page))
        assert len(notes) <= 12, (name, page.name, len(notes))  # a line per section at most


def funnel_steps(page: Path) -> list[str]:
    """The step names of the funnel table ("Funnel: counts, ...") of page 02."""
    raw = page.read_text(encoding="utf-8")
    table = re.search(r"<caption>Funnel: counts.*?</table>", raw, re.S)
    assert table, page.name

    def cells(row: str) -> list[str]:
        found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in found]

    head, body = table.group(0).split("<tbody>", 1)
    column = cells(head).index("Step")
    return [cells(row)[column] for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_funnel_of_a_funnel_vocabulary_has_three_steps_or_more(shape):
    name, week = shape
    if name not in ("rees46", "segment"):
        pytest.skip("the funnel step count is asked of the REES46-like and Segment logs")
    steps = funnel_steps(week / "02_funnel_dropoff.html")
    assert len(steps) >= 3, steps
