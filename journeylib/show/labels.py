"""Plain words for what journeylib's tables and steps are called: the label and kind of each
column its analyses return (:data:`LABELS`) and what each GA4 event name means
(:data:`STEP_LABELS`, :func:`step_label`), and the mark of a missing value (:data:`MISSING`).
:mod:`journeylib.show.display` formats with them."""

from __future__ import annotations

import re

import pandas as pd

#: How a missing value shows on a page.
MISSING = "–"

#: Plain label and kind of the columns journeylib's analyses return.
LABELS: dict[str, tuple[str, str]] = {
    # counts
    "users": ("Users", "count"),
    "sessions": ("Sessions", "count"),
    "orders": ("Orders", "count"),
    "buyers": ("Buyers", "count"),
    "customers": ("Customers", "count"),
    "events": ("Events", "count"),
    "rows": ("Rows", "count"),
    "count": ("Count", "count"),
    "n": ("Assigned users", "count"),
    "converted": ("Converted", "count"),
    "drop_off": ("Lost since previous step", "count"),
    "dropped": ("Dropped out", "count"),
    "abandoned": ("Abandoned", "count"),
    "recovered": ("Recovered", "count"),
    "refunded": ("Refunded orders", "count"),
    "left_here": ("Last step reached here", "count"),
    "users_in_stage": ("Users in stage", "count"),
    "reached": ("Users who reached it", "count"),
    "frequency": ("Repeat purchases", "count"),
    # shares
    "share": ("Share", "share"),
    "conversion": ("Conversion", "share"),
    "step_conversion": ("Conversion from previous step", "share"),
    "share_reached": ("Share of users", "share"),
    "conversion_to_next": ("Went on to the next stage", "share"),
    "abandonment_rate": ("Abandonment rate", "share"),
    "share_of_abandoned": ("Share of abandoned carts", "share"),
    "recovery_rate": ("Recovery rate", "share"),
    "refund_rate": ("Refund rate", "share"),
    "share_of_revenue_lost": ("Share of the group's revenue refunded", "share"),
    "share_left_at_once": ("Left at once", "share"),
    "ci_low": ("95% interval from", "share"),
    "ci_high": ("95% interval to", "share"),
    "repeat_rate": ("Repeat rate", "share"),
    "buyer_rate": ("Buyer rate", "share"),
    "p_alive": ("Chance still active", "share"),
    "lift": ("Difference", "points"),
    "lift_low": ("Difference, 95% from", "points"),
    "lift_high": ("Difference, 95% to", "points"),
    "relative_lift": ("Relative change", "share"),
    "relative_low": ("Relative change, 95% from", "share"),
    "relative_high": ("Relative change, 95% to", "share"),
    "mde": ("Smallest detectable difference", "points"),
    "mde_relative": ("Smallest detectable change", "share"),
    # money
    "revenue": ("Revenue", "money"),
    "revenue_lost": ("Revenue refunded", "money"),
    "monetary_value": ("Average order value", "money"),
    "average_order_value": ("Average order value", "money"),
    "aov": ("Average order value", "money"),
    "clv": ("CLV", "money"),
    "mean_clv": ("Mean CLV", "money"),
    "revenue_per_user": ("Revenue per user", "money"),
    # durations
    "median_seconds": ("Median time", "seconds"),
    "mean_seconds": ("Mean time", "seconds"),
    "p90_seconds": ("90% within", "seconds"),
    "median_hours_to_recover": ("Median time to recover", "hours"),
    "recency": ("Weeks from first to last order", "number"),
    "T": ("Weeks since first order", "number"),
    "total_clv": ("Total CLV", "money"),
    "order_value": ("Average order value", "money"),
    "repeat_spend": ("Average repeat order", "money"),
    # model checks
    "log_likelihood": ("Log-likelihood", "number"),
    "aic": ("AIC", "number"),
    "bic": ("BIC", "number"),
    "mae": ("Mean absolute error (purchases)", "number"),
    "rmse": ("Root mean square error (purchases)", "number"),
    "bias": ("Bias (purchases)", "number"),
    "predicted_total": ("Predicted purchases", "number"),
    "actual_total": ("Actual purchases", "count"),
    # tests
    "p_value": ("p-value", "p_value"),
    "p": ("p-value", "p_value"),
    "q_value": ("q-value", "p_value"),
    "chi2": ("Chi-square", "number"),
    "z": ("z", "number"),
    "significant": ("Significant", "yes_no"),
}

#: Plain words for the event names of the GA4 vocabulary (what a step or touchpoint is).
STEP_LABELS: dict[str, str] = {
    "session_start": "visit started",
    "first_visit": "first visit",
    "page_view": "page viewed",
    "view_item": "product viewed",
    "view_item_list": "product list viewed",
    "search": "searched",
    "add_to_cart": "added to cart",
    "remove_from_cart": "removed from cart",
    "view_cart": "cart viewed",
    "begin_checkout": "checkout started",
    "add_shipping_info": "shipping details added",
    "add_payment_info": "payment details added",
    "purchase": "purchase",
    "refund": "refund",
    "sign_up": "signed up",
    "login": "logged in",
    "email_open": "e-mail opened",
    "email_click": "e-mail clicked",
    "ad_click": "ad clicked",
    "write_review": "review written",
    "share": "shared",
    "refer_friend": "friend referred",
}
_STEP_JOINERS = re.compile(r"( \+ | → | -> )")


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pd.NA (arrays and lists are not missing)."""
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays, lists
        return False


def step_label(name: object) -> str:
    """An event or step name in plain words, for sentences and table cells.

    Known GA4 names read as what happened (``begin_checkout`` -> ``checkout started``,
    :data:`STEP_LABELS`); other names lose their underscores (``size_guide`` -> ``size
    guide``). Page steps read as pages (``page: size_guide``, ``page:size_guide`` or a path's
    ``page_view: size_guide`` -> ``size guide page``, ``landing page: home`` -> ``landed on
    the home page``), ``event: x`` as the plain ``x``; patterns joined by `` + `` or `` → ``
    are translated part by part.

    Examples
    --------
    >>> step_label("page: reviews + event: add_to_cart")
    'reviews page + added to cart'
    """
    if is_missing(name):
        return MISSING
    text = str(name)
    if _STEP_JOINERS.search(text):
        return "".join(
            part if _STEP_JOINERS.fullmatch(part) else step_label(part)
            for part in _STEP_JOINERS.split(text)
        )
    key = text.strip()
    kind, _, rest = key.partition(":")
    rest = rest.strip()
    if rest and kind.strip() == "landing page":
        return f"landed on the {_plain(rest)} page"
    if rest and kind.strip() in ("page", "page_view"):
        return f"{_plain(rest)} page"
    if rest and kind.strip() == "event":
        key = rest
    return STEP_LABELS.get(key, _plain(key))


def steps_in_words(frame: pd.DataFrame, columns: tuple[str, ...] = ("step",)) -> pd.DataFrame:
    """A copy of ``frame`` whose step or event name ``columns`` (those it has) read in words
    (:func:`step_label`: ``begin_checkout`` -> ``checkout started``), for a page's table.

    The analyses keep the event names (an analyst filters on them); only what a page shows is
    translated, so a table says what its sentences say.

    Examples
    --------
    >>> steps_in_words(pd.DataFrame({"step": ["view_item", "begin_checkout"]})).step.tolist()
    ['product viewed', 'checkout started']
    """
    out = frame.copy()
    for col in columns:
        if col in out.columns:
            out[col] = out[col].map(step_label)
    return out


def _plain(name: str) -> str:
    return STEP_LABELS.get(name, name.replace("_", " ").strip())
