"""An EventLog's frame can be read again: engine columns are renamed, not rejected."""

from __future__ import annotations

import pandas as pd

import journeylib as jl


def test_to_pandas_output_reads_again():
    df = pd.DataFrame(
        {"user_id": ["b", "a"], "event": ["x", "y"], "event_time": ["2024-01-01", "2024-01-02"]}
    )
    once = jl.read_events(df).to_pandas()
    assert once.user_key.tolist() == [0, 1]  # dense keys in user_id order
    again = jl.read_events(once).to_pandas()
    assert again.row_id_source.tolist() == once.row_id.tolist()
    assert again.user_id.tolist() == ["a", "b"]
