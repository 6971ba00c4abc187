"""What notebook 03 decides outside the analyses: the horizon, the definition, path sizes."""

import pandas as pd

from journeylib.best import page as best_page


def test_horizon_of_reads_digits_as_a_number_of_events():
    assert best_page.horizon_of("10") == 10
    assert best_page.horizon_of("first_session") == "first_session"
    assert best_page.horizon_of("7D") == "7D"


def test_definition_names_the_measure_ranked_by():
    best = pd.DataFrame({"user_id": ["a"], "value": [3.0], "rank": [1], "measure": ["orders"]})
    assert best_page.definition(best, top=0.1, by="revenue") == "top 10% of customers by orders"
    none = best.iloc[:0]
    assert best_page.definition(none, top=0.25, by="tenure") == "top 25% of customers by tenure"


def test_path_sizes_counts_users_per_segment_and_pattern():
    on_path = pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "u4"],
            "segment": ["visitor", "visitor", "visitor", "repeat"],
            "pattern": ["p", "p", "q", "p"],
        }
    )
    sizes = best_page.path_sizes(on_path)
    got = {(r.segment, r.pattern): r.users for r in sizes.itertuples()}
    assert got == {("visitor", "p"): 2, ("visitor", "q"): 1, ("repeat", "p"): 1}
    assert list(sizes.columns) == ["segment", "pattern", "users"]
