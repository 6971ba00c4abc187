"""The funnel charts' numbers: the device funnel relative to everyone."""

import pandas as pd
import pytest

from journeylib.funnels.plots import relative_conversion


def test_device_funnel_relative_to_everyone():
    # two devices, 100 + 100 start; at step 2 desktop keeps 30 (30%), tablet 10 (10%): everyone
    # 40 of 200 = 20%, so desktop 1.5x and tablet 0.5x
    f = pd.DataFrame(
        {
            "device": ["desktop", "desktop", "tablet", "tablet"],
            "step_index": [1, 2, 1, 2],
            "step": ["view", "buy", "view", "buy"],
            "count": [100, 30, 100, 10],
            "conversion": [1.0, 0.3, 1.0, 0.1],
        }
    )
    rel = relative_conversion(f, by="device")
    assert rel.relative.tolist() == pytest.approx([1.0, 1.5, 1.0, 0.5])
