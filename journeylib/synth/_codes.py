"""Integer codes of the vocabularies, time units, and why a session exists and how far down the
funnel it goes: what every step of the synthetic shop shares."""

from __future__ import annotations

import numpy as np

from .params import CAMPAIGNS, CATEGORIES, CHANNELS, DEVICES, EVENTS, PAGE_TYPES

Cols = dict[str, np.ndarray]  # a table as named, equally long numpy arrays
HOUR, DAY, WEEK = 3600, 86400, 7 * 86400
EV = {name: code for code, name in enumerate(EVENTS)}
PG = {name: code for code, name in enumerate(PAGE_TYPES)}
CH = {name: code for code, name in enumerate(CHANNELS)}
CP = {name: code for code, name in enumerate(CAMPAIGNS)}
SEARCH = len(PAGE_TYPES)  # browsing "unit" code of a search; units 0..8 are page types
SHOES = CATEGORIES.index("shoes")
TABLET = DEVICES.index("tablet")

# Why a session exists, and how far down the funnel it goes.
FIRST, REVISIT, PURCHASE, BROWSE, FOLLOWUP, RECOVERY, EMAIL = range(7)
BOUNCE, BROWSING, PRODUCT, CART, CHECKOUT, SHIPPING, PAYMENT, ORDER = range(8)
