"""Best customers' measure and CLV model decided in the package, with the sentences saying so."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import journeylib as jl
from journeylib.best import start as best_start
from journeylib.clv import value as clv_value
from journeylib.clv.models import ClvFitWarning
from journeylib.clv.value import predicted_clv
from journeylib.show import appendix

DAY = pd.Timedelta(days=1)
T0 = pd.Timestamp("2024-01-01 10:00", tz="UTC")


def _log(*, revenue: bool) -> pd.DataFrame:
    # a buys 3 times, b twice, c once: by orders the top third is a
    rows = [("a", T0 + i * 10 * DAY, 20.0) for i in range(3)]
    rows += [("b", T0 + i * 7 * DAY, 90.0) for i in range(2)]
    rows += [("c", T0 + 3 * DAY, 500.0)]
    frame = pd.DataFrame(rows, columns=["user_id", "event_time", "revenue"]).assign(
        event="purchase", order_id=[f"o{i}" for i in range(len(rows))]
    )
    return frame if revenue else frame.drop(columns="revenue")


def test_without_revenue_revenue_and_clv_fall_back_to_orders():
    log = jl.read_events(_log(revenue=False))
    assert best_start.measure_for(log, "revenue") == (
        "orders",
        "The log has no revenue column: best customers are ranked by orders, not revenue.",
    )
    assert best_start.measure_for(log, "clv")[1].endswith("ranked by orders, not CLV.")
    assert best_start.measure_for(log, "tenure") == ("tenure", None)
    assert best_start.measure_for(jl.read_events(_log(revenue=True)), "revenue") == (
        "revenue",
        None,
    )


def test_choose_ranks_by_orders_and_says_why_when_no_clv():
    start = best_start.choose(
        jl.read_events(_log(revenue=False)),
        by="revenue",
        top=1 / 3,
        predicted=predicted_clv(jl.read_events(_log(revenue=False))),
    )
    assert start.by == "orders" and start.clv is None
    assert start.best.user_id.tolist() == ["a"]  # 3 orders against 2 and 1
    # one sentence: the missing revenue column explains the missing CLV too
    assert start.notes == (
        "The log has no revenue column: best customers are ranked by orders, not revenue.",
    )
    by_tenure = best_start.choose(
        jl.read_events(_log(revenue=False)),
        by="tenure",
        top=1 / 3,
        predicted=predicted_clv(jl.read_events(_log(revenue=False))),
    )
    assert by_tenure.notes == ("No predicted CLV: the log has no revenue column.",)


def test_models_that_cannot_fit_give_a_plain_sentence_and_the_reason_for_analysts():
    # three buyers are too few for BG/NBD: the optimiser gives up (a NotComputable)
    value, why, lines = predicted_clv(jl.read_events(_log(revenue=True)))
    assert value is None
    assert why == (
        "No predicted CLV: the CLV models cannot be fitted on this log's buyers (the appendix "
        "for analysts says why); CLV rows show net revenue so far."
    )
    assert lines[-1].startswith("No predicted CLV: bgnbd")


def test_with_revenue_best_by_revenue():
    start = best_start.choose(
        jl.read_events(_log(revenue=True)),
        by="revenue",
        top=1 / 3,
        predicted=predicted_clv(jl.read_events(_log(revenue=True))),
    )
    # net revenue: a 60, b 180, c 500
    assert start.by == "revenue" and start.best.user_id.tolist() == ["c"]


def test_fit_warnings_become_lines_not_stderr(monkeypatch, capfd):
    def warns(events, *, horizon_months):
        warnings.warn("bgnbd: parameters at a bound", ClvFitWarning, stacklevel=1)
        return pd.DataFrame({"user_id": ["a"], "clv": [1.0]})

    monkeypatch.setattr(clv_value, "customer_value", warns)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClvFitWarning)  # none may escape
        value, why, lines = predicted_clv(jl.read_events(_log(revenue=True)))
    assert why is None and value.user_id.tolist() == ["a"]
    assert lines == ("bgnbd: parameters at a bound",)
    assert "ClvFitWarning" not in capfd.readouterr().err
    appendix.reset()
    start = best_start.BestStart("revenue", pd.DataFrame(), value, pd.DataFrame(), (), lines)
    best_start.fit_notes(start)
    assert appendix.notes() == ["Model fit: bgnbd: parameters at a bound"]
    appendix.reset()


@pytest.mark.parametrize("by", ["revenue", "clv"])
def test_findings_say_what_was_decided(by):
    from journeylib.best import findings as findings_best

    who = pd.DataFrame(
        {
            "metric": ["customers", "net revenue", "orders"],
            "best": [1, 0, 3],
            "share": [1 / 3, 0, 0.5],
        }
    )
    patterns = pd.DataFrame({"productive": pd.Series([], dtype=bool)})
    on_path = pd.DataFrame({"segment": pd.Series([], dtype=str)})
    _, note = best_start.measure_for(jl.read_events(_log(revenue=False)), by)
    out = findings_best.best_findings(
        who, pd.DataFrame(), patterns, on_path, definition="top third", notes=[note]
    )
    assert out[1] == note
