"""The currency symbol: given once in a log's mapping, put before money on every page and on
the index, and named on money axes."""

from __future__ import annotations

import json

import pytest

from journeylib.engine.read.spec import parse_spec
from journeylib.report import kpis as report_kpis
from journeylib.report import trend as report_trend
from journeylib.report.notebook import load
from journeylib.show import display, tables
from journeylib.show.page_settings import money_unit


@pytest.fixture(autouse=True)
def _plain_money():
    display.configure(currency=None)
    yield
    display.configure(currency=None)


def test_the_mapping_gives_the_symbol_and_reads_back():
    spec = parse_spec({"columns": {"user_id": "visitor"}, "currency": "€"})
    assert spec.currency == "€"
    assert parse_spec(json.loads(spec.to_json())).currency == "€"
    assert parse_spec({"currency": "EUR "}).columns == {}  # a mapping of the symbol alone
    assert parse_spec({"user_id": "visitor"}).currency is None
    for bad in ("<b>", "dollars!", "", 5):
        with pytest.raises(ValueError, match="currency must be a symbol"):
            parse_spec({"currency": bad}, where="map.json")


def test_a_page_loads_the_symbol_and_keeps_it_when_it_sets_its_csv_folder(shop_dir, tmp_path):
    columns = json.dumps({"currency": "€"})
    load(str(shop_dir / "events.parquet"), columns_json=columns, week="2024-W40")
    tables.configure(csv_dir=tmp_path, page="04_clv")  # what each page does next
    assert display.money(1234.5) == "€1,234.50"
    assert money_unit() == "€"
    load(str(shop_dir / "events.parquet"), week="2024-W40")  # a log without one: plain
    assert display.money(1234.5) == "1,234.50" and money_unit() == "currency"


def test_the_index_shows_money_with_the_runs_symbol():
    weeks = ["2024-W22", "2024-W23"]
    kpis = {
        kpi: {"value": 50.0 if unit == "currency" else 0.5, "previous": 40.0 if unit ==
              "currency" else 0.4, "unit": unit, "recent": dict.fromkeys(weeks, 0.5)}
        for kpi, unit in report_kpis.KPIS.items()
    }  # fmt: skip
    section = report_trend.kpi_section({"2024-W23": {"kpis": kpis, "currency": "€"}})
    row = "".join(f'<td class="num">{c}</td>' for c in ("€50.00", "€40.00", "+€10.00 (+25.0%)"))
    assert f"<td>Average order value</td>{row}" in section
    plain = report_trend.kpi_section({"2024-W23": {"kpis": kpis}})
    assert "€" not in plain and '<td class="num">50.00</td>' in plain


def test_sentences_say_whole_amounts_with_the_symbol(shop_events_df):
    import pandas as pd

    from journeylib.clv import report as clv_report

    assert display.whole_money(92984.4, currency="€") == "€92,984"
    assert display.whole_money(-3.6) == "-4"  # no symbol set: a plain amount
    events = shop_events_df[shop_events_df.event_time < pd.Timestamp("2024-07-01", tz="UTC")]
    report = clv_report.analyze(events, models=("bgnbd",), bootstrap_draws=0)
    plain = clv_report.findings(report)[1]
    display.configure(currency="€")
    said = clv_report.findings(report)[1]
    total = report.clv["clv"].sum()
    assert f"orders worth €{total:,.0f} (discounted" in said
    assert said.replace("€", "") == plain
