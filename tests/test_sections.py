"""What each page shows on a log that lacks a column: one line per section, decided here."""

from __future__ import annotations

import pandas as pd
import pytest

import journeylib as jl
from journeylib.clv import report as clv_report
from journeylib.journey import findings as findings_journey
from journeylib.journey import page as journey_page
from journeylib.overview import summary as overview
from journeylib.show.sections import Sections, needs_column


def test_a_section_shows_its_line_once_then_nothing(monkeypatch):
    shown = []
    monkeypatch.setattr("journeylib.show.sections.display_line", shown.append)
    s = Sections()
    s.missing("devices", needs_column("device", "Outcomes by first device"))
    s.missing("devices", "a second reason is not kept")
    assert s.shows("channels") and s.computable("channels")
    assert not s.shows("devices") and not s.shows("devices")
    assert shown == [
        'Outcomes by first device not shown: the log has no device column (map one as "device" '
        "in the column mapping)."
    ]


def test_a_section_told_in_the_findings_shows_nothing_later(monkeypatch):
    shown = []
    monkeypatch.setattr("journeylib.show.sections.display_line", shown.append)
    s = Sections()
    s.missing("money", "Customer value in money not shown: no revenue.")
    assert s.tell("channels") is None and s.shows("channels")
    assert s.tell("money") == "Customer value in money not shown: no revenue."
    assert not s.shows("money") and shown == []


def test_attempt_keeps_a_result_or_the_reason_it_cannot_be_computed():
    s = Sections()
    assert s.attempt("a", "Two", lambda x: x + 1, 1) == 2

    def fails():
        raise jl.NotComputable("the log has no purchase events")

    assert s.attempt("b", "Paths to the first order", fails) is None
    assert s.note("b") == "Paths to the first order not shown: the log has no purchase events."
    assert s.attempt("b", "Paths", lambda: 1) is None  # a missing section stays missing


@pytest.fixture(scope="module")
def bare(shop_dir) -> jl.EventLog:
    """The small shop with user, event, time and session only: no channel, device, money."""
    log = pd.read_parquet(shop_dir / "events.parquet")
    log = log[log.user_id.isin(sorted(log.user_id.unique())[:2500])]
    return jl.sessionize(jl.read_events(log[["user_id", "event", "event_time", "session_id"]]))


def test_the_journey_map_of_a_log_without_channel_or_device(bare):
    page = journey_page.analyze(jl.map_stages(bare))
    assert set(page.sections.notes) == {"channels", "devices", "attribution", "channel_paths"}
    assert "no channel column" in page.sections.note("attribution")
    assert page.channels is None and page.devices is None and page.credit is None
    buyers = bare.table.filter(bare.table.event == "purchase").user_id.nunique().to_pandas()
    # the ten most common paths, each a share of every buyer
    assert set((page.paths.buyers / page.paths.share).round()) == {buyers}
    lines = findings_journey.journey_findings(
        page.view, page.channels, page.devices, page.credit, page.paths, page.timing
    )
    assert any("most common way to a first order" in line for line in lines)


def test_the_overview_of_a_log_without_channel_or_device(bare):
    summary = overview.summarize(bare)
    assert summary.mix.empty and "attribute" in summary.mix.columns
    assert "neither a channel nor a device column" in summary.sections.note("mix")


def test_clv_without_money_keeps_the_purchase_models_and_says_so_in_one_line(bare, monkeypatch):
    report = clv_report.analyze(bare, models=("bgnbd",))
    assert report.spend is None
    assert list(report.clv.columns) == ["expected_orders", "p_alive"]
    assert report.clv.p_alive.between(0, 1).all() and (report.clv.expected_orders >= 0).all()
    assert report.by_segment == {}
    note = report.sections.note("money")
    assert "no revenue column" in note and "P(alive)" in note
    lines = clv_report.findings(report)
    assert lines[-1] == note and "expected to place" in lines[1]
    # told in the findings, the line is not shown again where the money sections would be
    shown = []
    monkeypatch.setattr("journeylib.show.sections.display_line", shown.append)
    assert not report.sections.shows("money") and shown == []
    # the purchase model is the same as on the log with money: it never reads revenue
    assert report.purchases.params_["r"] > 0
