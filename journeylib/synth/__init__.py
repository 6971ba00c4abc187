"""The synthetic shop with planted truths: journeylib's default data.

The names of ``journeylib.synth`` before it became a folder are handed on from
:mod:`journeylib.synth.shop`."""

from .shop import (
    CAMPAIGNS,
    CATEGORIES,
    CHANNELS,
    DEVICES,
    EVENTS,
    PAGE_TYPES,
    ShopParams,
    SynthShop,
    customers_for_events,
    generate_shop,
    main,
)

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
