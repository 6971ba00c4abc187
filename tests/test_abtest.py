"""A/B readout against a textbook worked example and the planted variant-B lift."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import journeylib as jl
from journeylib.funnels.abtest import ab_test, compare_proportions, findings


def test_physicians_health_study_textbook_example():
    """Agresti, *An Introduction to Categorical Data Analysis*, 2nd ed. (Wiley 2007), §2.2,
    Table 2.3: Physicians' Health Study, heart attacks 189 of 11,034 on placebo and 104 of
    11,037 on aspirin. Agresti: proportions 0.0171 and 0.0094, difference 0.0077 with 95% CI
    (0.005, 0.011); relative risk 1.82 with 95% CI (1.43, 2.30)."""
    table = pd.DataFrame(
        {
            "variant": ["aspirin", "placebo"],
            "n": [11037, 11034],
            "converted": [104, 189],
        }
    )
    r = compare_proportions(table, control="aspirin")
    c = r.comparison.iloc[0]
    assert r.variants.conversion.round(4).tolist() == [0.0094, 0.0171]
    assert round(c.lift, 4) == 0.0077
    assert (round(c.lift_low, 3), round(c.lift_high, 3)) == (0.005, 0.011)
    assert round(c.relative_lift + 1, 2) == 1.82
    # log interval by hand: exp(0.5977 +- 1.96 * 0.1213) = (1.433, 2.306); the book prints 2.30
    assert c.relative_low + 1 == pytest.approx(1.43, abs=0.005)
    assert c.relative_high + 1 == pytest.approx(2.30, abs=0.01)
    # pooled z by hand: p = 293/22071, se = sqrt(p(1-p)(1/11034 + 1/11037))
    p = 293 / 22071
    z = (189 / 11034 - 104 / 11037) / np.sqrt(p * (1 - p) * (1 / 11034 + 1 / 11037))
    assert c.z == pytest.approx(z)
    assert not r.srm["mismatch"]


def test_srm_and_mde():
    r = compare_proportions(
        pd.DataFrame({"variant": ["A", "B"], "n": [1000, 1200], "converted": [100, 120]})
    )
    # chi-square against 1100/1100: (100^2 + 100^2) / 1100 = 18.18
    assert r.srm["chi2"] == pytest.approx(200**2 / 2 / 1100)
    assert r.srm["mismatch"]
    # MDE on the arcsine scale (Cohen's h): h = (z_.975 + z_.8) * sqrt(1/n0 + 1/n1) = 0.11996,
    # p1 = sin(asin(sqrt(0.1)) + h/2)^2 = 0.1388, so 3.88 points above 10 %
    h = (1.959964 + 0.841621) * np.sqrt(1 / 1000 + 1 / 1200)
    p1 = np.sin(np.arcsin(np.sqrt(0.1)) + h / 2) ** 2
    assert r.comparison.mde.iloc[0] == pytest.approx(p1 - 0.1, rel=1e-4)
    assert r.comparison.mde.iloc[0] == pytest.approx(0.0388, abs=1e-4)
    assert r.comparison.relative_lift.iloc[0] == pytest.approx(0.0)


def test_variant_b_lift_in_the_shop(shop_dir):
    ev = jl.read_events(shop_dir / "events.parquet")
    truth = json.loads((shop_dir / "truth.json").read_text())["truths"]["ab_checkout_conversion"]
    r = ab_test(ev, "variant", steps=["begin_checkout", "purchase"], count="sessions")
    v = r.variants.set_index("variant")
    real = truth["realised"]
    assert v.conversion["A"] == pytest.approx(real["A"], abs=1e-6)
    assert v.conversion["B"] == pytest.approx(real["B"], abs=1e-6)
    assert v.n["A"] == real["n_A"]
    assert r.comparison.relative_lift.iloc[0] > 0
    assert "Variant B" in findings(r)[0]
