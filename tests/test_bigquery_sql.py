"""The analyses compile to BigQuery SQL, with no BigQuery connection.

Each analysis runs on a tiny DuckDB log while every query it sends to the engine is also
compiled with ``ibis.to_sql(expr, dialect="bigquery")``: what runs on DuckDB is exactly what
would be sent to BigQuery (the GA4 export's home), and a query ibis cannot write for BigQuery
fails here.
"""

from __future__ import annotations

import ibis
import pandas as pd
import pytest
from ibis.backends.duckdb import Backend as DuckDBBackend

import journeylib as jl
from journeylib.best.early_journeys import horizon_events
from journeylib.clv import value as clv_value
from journeylib.engine.backend import use_bigquery_rules
from journeylib.engine.stages import unknown_events
from journeylib.funnels import correlation
from journeylib.funnels.abandonment import time_before_leaving
from journeylib.funnels.conversion import attempt_table
from journeylib.funnels.step_names import event_names
from journeylib.funnels.steps import as_step
from journeylib.journey.acquisition import user_table
from journeylib.overview import summary as overview


@pytest.fixture(scope="module")
def log() -> jl.EventLog:
    t = pd.Timestamp("2024-03-01 10:00", tz="UTC")
    minutes = [0, 1, 2, 3, 5, 60 * 24, 60 * 24 + 1, 0, 2, 4, 90, 91]
    frame = pd.DataFrame(
        {
            "user_id": ["a"] * 7 + ["b"] * 5,
            "event": [
                "page_view", "view_item", "add_to_cart", "begin_checkout", "purchase",
                "page_view", "purchase", "ad_click", "view_item", "add_to_cart", "view_item",
                "refund",
            ],
            "event_time": [t + pd.Timedelta(minutes=m) for m in minutes],
            "channel": ["email", None, None, None, None, "direct", None, "paid_social",
                        None, None, "direct", None],
            "device": ["mobile"] * 7 + ["desktop"] * 5,
            "page_type": ["home"] + [None] * 11,
            "revenue": [None] * 4 + [30.0, None, 12.5, None, None, None, None, -5.0],
            "order_id": [None] * 4 + ["o1", None, "o2"] + [None] * 5,
        }
    )  # fmt: skip
    return jl.sessionize(jl.read_events(frame), recompute=True)


@pytest.fixture
def bigquery_sql(monkeypatch) -> list[str]:
    """Every query DuckDB executes while the fixture is active, compiled for BigQuery."""
    use_bigquery_rules()
    compiled: list[str] = []
    execute, to_arrow = DuckDBBackend.execute, DuckDBBackend.to_pyarrow

    def recording(method):
        def run(self, expr, /, *args, **kwargs):
            compiled.append(ibis.to_sql(expr, dialect="bigquery"))
            return method(self, expr, *args, **kwargs)

        return run

    monkeypatch.setattr(DuckDBBackend, "execute", recording(execute))
    monkeypatch.setattr(DuckDBBackend, "to_pyarrow", recording(to_arrow))
    return compiled


ANALYSES = {
    "sessions": lambda log: jl.sessions(log),
    "map_stages": lambda log: jl.map_stages(log).table.execute(),
    "user_stages": lambda log: jl.user_stages(log),
    "stage_reach": lambda log: jl.stage_reach(log),
    "funnel": lambda log: jl.funnel(log, ["view_item", "add_to_cart", "purchase"], window="7D"),
    "funnel_strict": lambda log: jl.funnel(log, ["view_item", "add_to_cart"], order="strict"),
    "funnel_any": lambda log: jl.funnel(log, ["view_item", "purchase"], order="any"),
    "funnel_sessions": lambda log: jl.funnel(log, ["view_item", "add_to_cart"], count="sessions"),
    "funnel_totals": lambda log: jl.funnel(log, ["view_item", "add_to_cart"], count="totals"),
    "funnel_open": lambda log: jl.funnel(log, ["view_item", "add_to_cart"], open_funnel=True),
    "transitions": lambda log: jl.transitions(log),
    "transitions_stage": lambda log: jl.transitions(log, level="stage", within="user"),
    "first_touch": lambda log: jl.first_touch(log),
    "rfm_summary": lambda log: jl.rfm_summary(log, value="revenue", freq="D"),
    "purchase_paths": lambda log: jl.purchase_paths(log),
    "time_to_first_purchase": lambda log: jl.time_to_first_purchase(log),
    "stage_view": lambda log: jl.stage_view(log),
    "step_matrix": lambda log: jl.step_matrix(log, max_steps=4),
    "channel_attribution": lambda log: jl.channel_attribution(log),
    "overview": lambda log: overview.summarize(log).mix,
    "funnel_times": lambda log: jl.funnel_times(log, ["view_item", "add_to_cart"]),
    "drop_off_next": lambda log: jl.drop_off_next(log, ["view_item", "add_to_cart", "purchase"]),
    "time_before_leaving": lambda log: time_before_leaving(log, ["view_item", "purchase"]),
    "cart_abandonment": lambda log: jl.cart_abandonment(log, by="channel"),
    "cart_recovery": lambda log: jl.cart_recovery(log, days=7, contact="page_view").by_contact,
    "returns": lambda log: jl.returns(log, by="first_device"),
    "customer_facts": lambda log: jl.customer_facts(log),
    "best_customers": lambda log: jl.best_customers(log, top=0.5),
    "who_they_are": lambda log: jl.who_they_are(log, ["a"]),
    "channel_quality": lambda log: jl.channel_quality(log),
    "profile": lambda log: jl.profile(log, ["a"]),
    "early_patterns": lambda log: jl.early_patterns(log, ["a"], population="users"),
    "bought_together": lambda log: jl.bought_together(log, ["a"], level="order_id"),
    "customer_segments": lambda log: clv_value.customer_segments(log),
    "funnel_correlation": lambda log: jl.funnel_correlation(
        log, ["view_item", "add_to_cart", "purchase"], properties=["device", "page_type"]
    ),
    "correlation_entrants": lambda log: correlation.with_entry_values(
        log,
        attempt_table(log, ["view_item", "purchase"]),
        as_step("view_item"),
        ["device", "channel"],
    ).execute(),
    "paths_between": lambda log: jl.paths(log, start="view_item", end="purchase"),
    "paths_cleaned": lambda log: jl.paths(log, end="purchase", clean={"view_.*": "views"}),
    "paths_drop_offs": lambda log: jl.paths(log, drop_offs_of=(["view_item", "purchase"], 1)),
    "funnel_trend": lambda log: jl.funnel_trend(log, ["view_item", "purchase"], window="7D"),
    "retention": lambda log: jl.retention(log, by="first_channel"),
    "retention_weeks": lambda log: jl.retention(
        log, cohort="week", start_event="purchase", mode="on_or_after", by="device"
    ),
    "retention_events": lambda log: jl.retention(log, period="day", measure="events"),
    "retention_curve": lambda log: jl.retention_curve(log, by="first_device", cohort="day"),
    "lifecycle": lambda log: jl.lifecycle(log),
    "lifecycle_months": lambda log: jl.lifecycle(log, period="month", event="purchase"),
    "time_between_orders": lambda log: jl.time_between_orders(log).curve,
    "bounce_rate": lambda log: jl.bounce_rate(log, by="landing_page_type"),
    "bounce_table": lambda log: overview.bounce_table(log),
    "ab_readout": lambda log: jl.ab_readout(log, "device").primary,  # device as the arm
    # what analyses hold in the engine (.cache()) is compiled here before it is held
    "user_table": lambda log: user_table(log).execute(),
    "horizon_events": lambda log: horizon_events(log, "first_session").execute(),
    "event_names": lambda log: event_names(log),
    # names in capitals: unknown to the stage map and the vocabulary
    "unknown_events": lambda log: unknown_events(
        log.replace(table=log.table.mutate(event=log.table.event.upper()))
    ),
}


@pytest.mark.parametrize("name", ANALYSES)
def test_analysis_compiles_to_bigquery(log, bigquery_sql, name):
    result = ANALYSES[name](log)
    assert len(result) > 0
    assert bigquery_sql, "the analysis ran no query"
    assert all("`" in sql or "SELECT" in sql for sql in bigquery_sql)


def test_bigquery_sql_is_bigquery(log):
    sql = ibis.to_sql(jl.sessions.__globals__["session_table"](log), dialect="bigquery")
    assert "TIMESTAMP_DIFF" in sql or "UNIX_MICROS" in sql  # BigQuery's own time functions
