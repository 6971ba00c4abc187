"""One number, one value: the index's KPIs and the pages' figures of the same metric agree."""

from __future__ import annotations

import html
import re

import pytest

import journeylib as jl
from journeylib.engine.periods import filter_period, iso_week_bounds, last_complete_week
from journeylib.overview import summary as overview
from journeylib.report import kpis as report_kpis
from journeylib.show import display, glossary, story


def test_index_kpis_and_page_figures_agree_on_the_default_shop(default_shop_dir):
    log = jl.sessionize(jl.read_events(default_shop_dir / "events.parquet"))
    week = last_complete_week(log)
    assert week == "2024-W52"
    kpis = report_kpis.week_kpis(log, week)
    # pages open with this week's story (weekly_numbers); page 00 also has the KPI table
    told = story.weekly_numbers(log, week, weeks=5).iloc[-1]
    table = overview.weekly_kpis(log, week).set_index("kpi").this_week
    for kpi, column in [("conversion rate", "session conversion"),
                        ("average order value", "average order value")]:  # fmt: skip
        assert kpis[kpi]["value"] == pytest.approx(told[column]) == pytest.approx(table[kpi])
    assert display.percent(told["session conversion"]) == "3.67%"  # 67 of 1,828 sessions
    assert display.money(told["average order value"]) == "70.73"
    # CLV and buyers: the pages and the index count every purchase up to the week's end
    upto = filter_period(log, end=iso_week_bounds(week)[1])
    assert kpis["mean CLV"]["value"] == pytest.approx(report_kpis.mean_clv(upto))
    buyers_upto = upto.table.filter(upto.table.event == "purchase").user_id.nunique().execute()
    value = jl.clv.customer_value(upto)
    assert len(value) == buyers_upto  # the CLV table holds every buyer of the period


def _index_cell(index: str, label: str, column: int = 0) -> str:
    row = re.search(rf"<td>{re.escape(label)}</td>((?:<td[^>]*>[^<]*</td>){{3}})", index)
    assert row, f"no row {label!r} on the index"
    return html.unescape(re.findall(r">([^<]*)</td>", row.group(1))[column])


@pytest.mark.notebook
def test_pages_show_the_index_figures(report_run):
    index = report_run.index.read_text(encoding="utf-8")
    pages = {p.stem: html.unescape(p.read_text(encoding="utf-8")) for p in
             report_run.folder.glob("*.html")}  # fmt: skip
    conversion = _index_cell(index, glossary.label("conversion rate"))
    order_value = _index_cell(index, glossary.label("average order value"))
    mean_clv = _index_cell(index, glossary.label("mean CLV"))
    assert f"Session conversion was {conversion}" in pages["00_overview"]
    assert f"Session conversion was {conversion}" in pages["02_funnel_dropoff"]
    for stem in ("00_overview", "03_best_customer_paths", "04_clv"):
        assert f"Average order value was {order_value}" in pages[stem], stem
    clv_page = pages["04_clv"]
    assert (
        f"Mean CLV: {mean_clv}, as on the front page" in clv_page
        or f"the front page shows {mean_clv} because" in clv_page
    )
