"""The A/B readout's tables on the funnel page: steps and what a rate is out of, in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeylib.funnels import findings as findings_funnel
from journeylib.funnels.abreadout import ab_readout

T0 = pd.Timestamp("2024-03-01 10:00", tz="UTC")


def _arm(variant: str, n: int, checkout: int, buy: int) -> list[tuple]:
    """``n`` users exposed at minute 0; the first ``checkout`` start checkout at minute 1, the
    first ``buy`` of those buy at minute 2 (10.0 each)."""
    rows = []
    for i in range(n):
        user = f"{variant}{i}"
        rows.append((user, 0, "page_view", variant, np.nan))
        if i < checkout:
            rows.append((user, 1, "begin_checkout", variant, np.nan))
        if i < buy:
            rows.append((user, 2, "purchase", variant, 10.0))
    return rows


def _readout():
    # A: 4 assigned, 2 start checkout, 1 buys; B: 4 assigned, 3 start checkout, 2 buy
    rows = _arm("A", 4, checkout=2, buy=1) + _arm("B", 4, checkout=3, buy=2)
    log = pd.DataFrame(rows, columns=["user_id", "minutes", "event", "variant", "revenue"])
    log["event_time"] = T0 + pd.to_timedelta(log.pop("minutes"), unit="min")
    return ab_readout(log)


def test_step_rows_say_the_steps_and_their_base_in_words():
    ab = _readout()
    shown = findings_funnel.ab_step_rows(ab)
    assert list(shown.columns) == ["step", "base", "variant", "n", "reached", "rate", "p_value"]
    with_checkout = "assigned users with checkout started"
    assert shown[["step", "base", "variant", "n", "reached"]].values.tolist() == [
        ["checkout started", "assigned users", "A", 4, 2],
        ["checkout started", "assigned users", "B", 4, 3],
        ["purchase", "assigned users", "A", 4, 1],
        ["purchase", "assigned users", "B", 4, 2],
        ["purchase", with_checkout, "A", 2, 1],
        ["purchase", with_checkout, "B", 3, 2],
    ]
    assert shown.rate.tolist() == [2 / 4, 3 / 4, 1 / 4, 2 / 4, 1 / 2, 2 / 3]
    # the analyst's return value keeps the event names
    assert ab.steps.base.tolist()[-1] == "reached begin_checkout"
    assert ab.steps.step.tolist()[0] == "begin_checkout"


def test_the_page_tables_show_no_event_names():
    headline, difference, steps = findings_funnel.ab_tables(_readout())
    html = steps.to_html()
    assert "Out of" in html and "assigned users with checkout started" in html
    assert "begin_checkout" not in html and "reached " not in html
    assert "Bought (purchase) after exposure" in headline.to_html()
    assert "A/B test: difference from the control" in difference.to_html()
