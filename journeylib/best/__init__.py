"""Notebook 03: best customers, their early journeys and who is on that path now.

The names of ``journeylib.best`` before it became a folder are handed on from
:mod:`journeylib.best.customers`."""

from .customers import (
    HISTORICAL,
    MEASURES,
    REVENUE_DECIMALS,
    TIE_BREAKERS,
    best_customers,
    channel_quality,
    customer_facts,
    customer_values,
    profile,
    ties_note,
    who_they_are,
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
