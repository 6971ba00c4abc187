"""The share format of findings sentences: one decimal, ``n/a`` when missing."""

import math

import pandas as pd
import pytest

from journeylib.show.sentences import pct


@pytest.mark.parametrize(
    ("share", "shown"),
    [(0.1234, "12.3%"), (0.03671, "3.7%"), (1.0, "100.0%"), (0.0, "0.0%"), (-0.005, "-0.5%")],
)
def test_one_decimal(share, shown):
    assert pct(share) == shown


@pytest.mark.parametrize("missing", [math.nan, None, pd.NA])
def test_missing_reads_n_a(missing):
    assert pct(missing) == "n/a"
