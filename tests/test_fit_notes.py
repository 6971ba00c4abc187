"""Fit warnings become plain lines in the CLV report's notes, never stderr."""

import warnings

import pandas as pd
import pytest

from journeylib.clv import report as clv_report
from journeylib.clv import validation as cv
from journeylib.clv.models import ClvFitWarning
from journeylib.show.fit_notes import collect, notes_markdown


def test_collect_keeps_one_line_per_message_and_passes_other_warnings_on():
    with pytest.warns(DeprecationWarning, match="someone else's"), collect() as lines:
        for _ in range(3):
            warnings.warn("pareto_nbd: not\nconverged", ClvFitWarning, stacklevel=1)
        warnings.warn("bgnbd: parameters at a bound", ClvFitWarning, stacklevel=1)
        warnings.warn("someone else's", DeprecationWarning, stacklevel=1)
    assert lines == ["pareto_nbd: not converged (3 times)", "bgnbd: parameters at a bound"]


def test_notes_are_escaped_and_absent_when_there_are_none():
    assert notes_markdown([], title="Notes") is None
    shown = notes_markdown(["a [b](javascript:x)"], title="Notes").data
    assert shown == "**Notes**\n\n- a \\[b\\](javascript:x)"


def test_analyze_keeps_fit_warnings_in_its_notes_not_on_stderr(shop_events_df, monkeypatch, capfd):
    compare = cv.compare_models

    def warning_compare(summary, **options):
        warnings.warn("pareto_nbd: not converged: planted", ClvFitWarning, stacklevel=1)
        return compare(summary, **options)

    monkeypatch.setattr(cv, "compare_models", warning_compare)
    events = shop_events_df[shop_events_df.event_time < pd.Timestamp("2024-07-01", tz="UTC")]
    capfd.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClvFitWarning)  # none may escape analyze
        report = clv_report.analyze(events, models=("bgnbd",), bootstrap_draws=2)
    assert "pareto_nbd: not converged: planted" in report.notes
    assert "ClvFitWarning" not in capfd.readouterr().err
    note = clv_report.fit_notes(report).data
    assert note.startswith("**Notes on the model fits**") and "planted" in note


def test_fit_notes_go_to_the_appendix_and_under_the_table_only_in_jupyterlab(monkeypatch):
    from journeylib.show import appendix

    report = type("Report", (), {"notes": ("bgnbd: not converged",)})()
    appendix.reset()
    monkeypatch.setenv("JOURNEYLIB_REPORT", "1")
    assert clv_report.fit_notes(report) is None  # the report shows it in the appendix
    assert appendix.notes() == ["Model fit: bgnbd: not converged"]
    monkeypatch.delenv("JOURNEYLIB_REPORT")
    assert "bgnbd: not converged" in clv_report.fit_notes(report).data
    assert appendix.notes() == ["Model fit: bgnbd: not converged"]  # kept once
    appendix.reset()
