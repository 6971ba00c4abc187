"""The synthetic shop's vocabularies, its planted parameters (:class:`ShopParams`) and the
realism knobs that are not planted truths."""

from __future__ import annotations

import dataclasses

import numpy as np

CHANNELS = ("organic_search", "paid_search", "paid_social", "email", "referral", "direct")
DEVICES = ("desktop", "mobile", "tablet")
PAGE_TYPES = (
    "home",
    "blog",
    "category",
    "product",
    "reviews",
    "size_guide",
    "returns_policy",
    "about",
    "help",
)
CATEGORIES = ("clothing", "shoes", "accessories", "bags", "sportswear")
CAMPAIGNS = (
    "abandoned_cart",
    "newsletter",
    "winback",
    "generic_search",
    "brand_search",
    "prospecting",
    "retargeting",
)
EVENTS = (
    "ad_click",
    "email_click",
    "session_start",
    "first_visit",
    "page_view",
    "view_item",
    "search",
    "sign_up",
    "write_review",
    "share",
    "refer_friend",
    "add_to_cart",
    "view_cart",
    "begin_checkout",
    "add_shipping_info",
    "add_payment_info",
    "purchase",
    "email_open",
    "refund",
)


# Realism knobs that are not planted truths (channel order as in CHANNELS).
FIRST_CHANNEL_MIX = (0.30, 0.18, 0.18, 0.03, 0.08, 0.23)  # referral share: ShopParams
RETURN_CHANNEL_MIX = (0.25, 0.12, 0.10, 0.0, 0.05, 0.48)  # email sessions come from clicks
DEVICE_MIX = (0.42, 0.48, 0.10)
BOUNCE_BY_CHANNEL = (0.36, 0.34, 0.55, 0.30, 0.30, 0.40)
LANDING_BY_CHANNEL = np.array(  # columns: home, blog, category, product
    [[0.1, 0.4, 0.2, 0.3], [0.1, 0.0, 0.3, 0.6], [0.2, 0.3, 0.0, 0.5],
     [0.3, 0.0, 0.2, 0.5], [0.4, 0.2, 0.0, 0.4], [0.8, 0.0, 0.1, 0.1]]
)  # fmt: skip
UNIT_MIX = (0.04, 0.05, 0.22, 0.38, 0.08, 0.03, 0.04, 0.03, 0.04, 0.09)  # PAGE_TYPES + search
CATEGORY_MIX = (0.34, 0.22, 0.18, 0.10, 0.16)
PRICE_RANGE = ((15, 180), (45, 260), (8, 90), (25, 320), (15, 150))
PRODUCTS_PER_CATEGORY = 60
# fmt: off
FIRST_NAMES = ("jane", "anna", "maria", "sofia", "emma", "lea", "julia", "nina", "eva", "lucas",
               "noah", "leon", "paul", "ben", "elias", "tom", "felix", "omar", "chen", "raj")
LAST_NAMES = ("doe", "smith", "jones", "garcia", "miller", "martin", "dubois", "muller", "rossi",
              "novak", "kowalski", "jansen", "silva", "costa", "nguyen", "kim", "patel", "khan")
# fmt: on


@dataclasses.dataclass(frozen=True)
class ShopParams:
    """The planted parameters of the synthetic shop (all written to ``truth.json``).

    Attributes
    ----------
    r, alpha, a, b : float
        BG/NBD: purchase rate ``lambda ~ Gamma(shape=r, rate=alpha)`` per week, dropout
        ``p ~ Beta(a, b)`` after each repeat purchase (lifetimes' ``BetaGeoFitter`` names).
    p_spend, q_spend, v_spend : float
        Gamma-Gamma (lifetimes' ``GammaGammaFitter`` ``p, q, v``): order value
        ``~ Gamma(p_spend, rate=nu)``, ``nu ~ Gamma(q_spend, rate=v_spend)``; the mean order value
        is ``p * v / (q - 1)``.
    buyer_rate : float
        Probability that a desktop visitor ever buys.
    device_buyer_factor : tuple of float
        Multiplier of ``buyer_rate`` per device, in ``DEVICES`` order (the device truth).
    referral_share, referral_tilt : float
        Share of users first acquired by referral, and the power ``k`` of the selection weight
        ``(k + 1) * u**k`` on the percentile ``u`` of ``lambda`` (the channel truth).
    pattern_share, pattern_tilt : float
        Share of users showing the early-journey pattern, and the power of the same selection on
        the percentile of spend (low ``nu``) (the best-customer truth).
    recovery_share : float
        Share of orders preceded by an abandoning session 3 hours to 6.5 days earlier.
    recovered_click, other_click : float
        Probability of an ``abandoned_cart`` email click after a cart that is later recovered,
        and after any other abandoned cart (the recovery truth).
    cart_abandonment : float
        Target share of cart sessions without a purchase.
    checkout_conversion_a, checkout_lift_b : float
        ``begin_checkout -> purchase`` session conversion of variant A, relative lift of B.
    refund_rate_shoes, refund_rate_other : float
        Share of orders refunded, for ``shoes`` and for every other category.
    """

    r: float = 0.25
    alpha: float = 6.0
    a: float = 0.8
    b: float = 2.5
    p_spend: float = 6.0
    q_spend: float = 4.0
    v_spend: float = 40.0
    buyer_rate: float = 0.055
    device_buyer_factor: tuple[float, float, float] = (1.0, 0.9, 0.35)
    referral_share: float = 0.08
    referral_tilt: float = 2.5
    pattern_share: float = 0.10
    pattern_tilt: float = 6.0
    recovery_share: float = 0.30
    recovered_click: float = 0.45
    other_click: float = 0.07
    cart_abandonment: float = 0.70
    checkout_conversion_a: float = 0.50
    checkout_lift_b: float = 0.15
    refund_rate_shoes: float = 0.25
    refund_rate_other: float = 0.05

    def __post_init__(self) -> None:
        shares = ("buyer_rate", "referral_share", "pattern_share", "recovery_share",
                  "recovered_click", "other_click", "cart_abandonment", "refund_rate_shoes",
                  "refund_rate_other", "checkout_conversion_a")  # fmt: skip
        bad = {name: getattr(self, name) for name in shares if not 0 < getattr(self, name) < 1}
        if not 0 < self.checkout_conversion_a * (1 + self.checkout_lift_b) < 1:
            bad["checkout_conversion_a * (1 + checkout_lift_b)"] = self.checkout_lift_b
        if bad:
            raise ValueError(f"ShopParams: these must lie strictly between 0 and 1: {bad}")
