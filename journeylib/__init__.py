"""journeylib: how customers travel from first contact to loyal advocate.

One folder per layer, and one per part of the journey (each feeds one notebook):

``engine``
    The event log: reading any shop's export (``engine.read``: events, orders, GA4, column
    mappings, types, cleaning), the backend (``connect``), ``EventLog``, sessions, stages,
    periods, privacy.
``overview``, ``journey``, ``funnels``, ``best``, ``clv``, ``retention``
    The analyses of notebooks 00 to 05, each with its plots and findings. They import the
    engine and ``show``, never each other.
``show``
    What no analysis owns: number formats, tables, sentences, figures, widgets, alt text.
``report``
    The weekly run: every notebook for an ISO week to HTML, the index and its KPIs.
``synth``
    The synthetic shop with planted truths: journeylib's default data.

The public API is the names below (``journeylib.read_events``, ``journeylib.funnel``, ...);
the flat layout's module paths (``journeylib.io``, ``journeylib.funnel_match``, ...) still
import, as the modules that hold them now.
"""

import sys

from . import _old_paths
from .best.crosssell import bought_together, communication_preference, first_purchases
from .best.customers import channel_quality, customer_facts, profile, who_they_are
from .best.on_the_path import on_the_path
from .best.patterns import early_patterns
from .best.ranking import best_customers
from .clv.models import rfm_summary
from .clv.value import customer_value
from .engine.backend import connect
from .engine.bounce import bounce_rate
from .engine.cleaning import DataError, NotComputable
from .engine.eventlog import EventLog
from .engine.privacy import pseudonymous
from .engine.read.events import as_eventlog, read_events
from .engine.read.orders import read_ga4, read_orders
from .engine.sessions import sessionize, sessions
from .engine.stages import STAGES, map_stages, stage_reach, user_stages
from .funnels.abandonment import cart_abandonment, cart_recovery, drop_off_next, returns
from .funnels.abreadout import ab_readout
from .funnels.abtest import ab_test
from .funnels.conversion import funnel, funnel_times
from .funnels.correlation import funnel_correlation
from .funnels.paths import paths
from .funnels.steps import Step
from .funnels.trends import funnel_trend
from .journey.acquisition import first_touch, first_touch_tests, select_users
from .journey.attribution import channel_attribution, removal_effects
from .journey.journey_map import (
    purchase_paths,
    stage_view,
    step_matrix,
    time_to_first_purchase,
    transitions,
)
from .report.kpis import week_kpis
from .retention.cohort_retention import retention, retention_curve
from .retention.lifecycle import lifecycle
from .retention.order_gaps import time_between_orders

__all__ = [
    "STAGES",
    "DataError",
    "NotComputable",
    "EventLog",
    "Step",
    "ab_readout",
    "ab_test",
    "as_eventlog",
    "cart_abandonment",
    "cart_recovery",
    "connect",
    "drop_off_next",
    "funnel",
    "funnel_times",
    "customer_value",
    "map_stages",
    "read_events",
    "read_ga4",
    "read_orders",
    "returns",
    "rfm_summary",
    "sessionize",
    "sessions",
    "stage_reach",
    "user_stages",
    # best-customer paths
    "best_customers",
    "bought_together",
    "channel_quality",
    "communication_preference",
    "customer_facts",
    "early_patterns",
    "first_purchases",
    "on_the_path",
    "profile",
    "who_they_are",
    # journey map
    "channel_attribution",
    "first_touch",
    "first_touch_tests",
    "purchase_paths",
    "removal_effects",
    "select_users",
    "stage_view",
    "step_matrix",
    "time_to_first_purchase",
    "transitions",
    # weekly reports
    "pseudonymous",
    "week_kpis",
    # why people drop out
    "funnel_correlation",
    "funnel_trend",
    "paths",
    # retention and lifecycle
    "bounce_rate",
    "lifecycle",
    "retention",
    "retention_curve",
    "time_between_orders",
]
__version__ = "0.1.0"

_old_paths.install(sys.modules[__name__])


def __getattr__(name: str) -> object:
    """The flat layout's module names (``journeylib.io``, ...) still resolve as attributes."""
    return _old_paths.old_module(name)
