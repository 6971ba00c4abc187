"""The synthetic shop with planted truths: journeylib's default data.

The names of ``journeylib.synth`` before it became a folder are handed on from
:mod:`journeylib.synth.shop` (the run and the files) and :mod:`journeylib.synth.params` (the
vocabularies and the planted parameters); the generative story lives in ``people`` (users),
``sessions`` (visits), ``events`` (events, orders, refunds), ``tables`` and ``truth``."""

from .params import CAMPAIGNS, CATEGORIES, CHANNELS, DEVICES, EVENTS, PAGE_TYPES, ShopParams
from .shop import SynthShop, customers_for_events, generate_shop, main

__all__ = [
    "CAMPAIGNS",
    "CATEGORIES",
    "CHANNELS",
    "DEVICES",
    "EVENTS",
    "PAGE_TYPES",
    "ShopParams",
    "SynthShop",
    "customers_for_events",
    "generate_shop",
    "main",
]
