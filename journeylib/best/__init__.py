"""Notebook 03: best customers, their early journeys and who is on that path now.

The names of ``journeylib.best`` before it became a folder are handed on from
:mod:`journeylib.best.customers` and :mod:`journeylib.best.ranking`."""

from .customers import (
    channel_quality,
    customer_facts,
    profile,
    who_they_are,
)
from .ranking import (
    HISTORICAL,
    MEASURES,
    REVENUE_DECIMALS,
    TIE_BREAKERS,
    best_customers,
    customer_values,
    ties_note,
)

__all__ = [
    "HISTORICAL",
    "MEASURES",
    "REVENUE_DECIMALS",
    "TIE_BREAKERS",
    "best_customers",
    "channel_quality",
    "customer_facts",
    "customer_values",
    "profile",
    "ties_note",
    "who_they_are",
]
