"""How numbers look on a page: one format per kind, plain labels, narrow tables, captions."""

import re

import numpy as np
import pandas as pd
import pytest

from journeylib.show import display, tables

SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


@pytest.fixture(autouse=True)
def _plain_page():
    display.configure(currency=None, csv_dir=None, page="table")
    yield
    display.configure(currency=None, csv_dir=None, page="table")


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (45, "45 s"),
        (65.5, "1 min"),  # not "0 days 00:01:05.500000"
        (11 * 60 + 10, "11 min"),
        (5 * 3600 + 720, "5.2 h"),
        (3.2 * 86_400, "3.2 days"),
        (8_649_010.6, "100.1 days"),  # 8,649,010.6 s / 86,400
        (pd.Timedelta("0 days 00:01:05.5"), "1 min"),
        (np.nan, "–"),
        (pd.NaT, "–"),
    ],
)
def test_durations_in_human_units(seconds, expected):
    assert display.duration(seconds) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.6e-9, "< 0.001"), (0.000999, "< 0.001"), (0.0234, "0.023"), (0.5, "0.500")],
)
def test_p_values(value, expected):
    assert display.p_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (6.91e03, "6,910"),
        (1.6e-09, "0.000"),
        (0.0423, "0.042"),
        (12.345, "12.3"),
        (1.234, "1.23"),
        (148.0, "148"),
        (1e21, "1,000,000,000,000,000,000,000"),
    ],
)
def test_numbers_never_scientific(value, expected):
    assert display.number(value) == expected
    assert not SCIENTIFIC.search(display.number(value))


def test_shares_points_and_money():
    assert display.percent(0.5690) == "56.9%"
    assert display.percent(0.0035) == "0.35%"  # small shares keep two decimals
    assert display.points(0.0631) == "+6.3 pts"
    assert display.points(-0.0001) == "-0.01 pts"
    assert display.money(1234.5) == "1,234.50"  # no currency: a plain amount
    assert display.money(1234.5, currency="€") == "€1,234.50"
    assert display.money(-12.0, currency="$") == "-$12.00"
    assert display.money(123_456.7, currency="€") == "€123,457"
    display.configure(currency="£")
    assert display.money(3.0) == "£3.00"


def test_kinds_from_names_and_values():
    frame = pd.DataFrame(
        {
            "customers": [148.0, 12.0],  # whole floats are counts, not "148.00"
            "conversion": [0.5, 0.25],
            "p_value": [0.1, 0.2],
            "median_time_seconds": [1.0, 2.0],
            "flag": [True, False],
            "revenue_lost": [1.0, 2.5],
            "score": [0.5, 1.5],
            "name": ["a", "b"],
        }
    )
    kinds = {c: display.kind_of(c, frame[c]) for c in frame}
    assert kinds == {
        "customers": "count",
        "conversion": "share",
        "p_value": "p_value",
        "median_time_seconds": "seconds",
        "flag": "yes_no",
        "revenue_lost": "money",
        "score": "number",
        "name": "text",
    }


def test_for_display_leaves_no_raw_values():
    frame = pd.DataFrame(
        {
            "step": ["view_item", None],
            "count": [1000.0, 148.0],
            "flag": [True, False],
            "gap": [pd.Timedelta("0 days 00:01:05.5"), pd.NaT],
            "p90_seconds": [8_649_010.6, np.nan],
            "z": [6.91e3, 1.6e-9],
            "mixed": [True, None],
        }
    )
    shown, kinds = display.for_display(frame)
    assert list(shown.columns) == ["Step", "Count", "Flag", "Gap", "90% within", "z", "Mixed"]
    assert shown.iloc[0].tolist() == [
        "view_item",
        "1,000",
        "yes",
        "1 min",
        "100.1 days",
        "6,910",
        "yes",
    ]
    assert shown.iloc[1].tolist() == ["–", "148", "no", "–", "–", "0.000", "–"]
    assert kinds["Count"] == "count" and kinds["Step"] == "text"


def test_styled_titles_escapes_and_labels():
    frame = pd.DataFrame({"median_time_from_previous": [65.5], "significant": [True]})
    html = tables.styled(frame, caption="Times <between> steps").to_html()
    assert "<caption>Times &lt;between&gt; steps</caption>" in html
    assert "Median time from previous" in html and "median_time_from_previous" not in html
    assert ">yes<" in html and "True" not in html


def test_styled_hints_do_not_override_durations():
    frame = pd.DataFrame({"step": ["a"], "median_seconds": [660.0], "dropped": [3.0]})
    html = tables.styled(frame, decimals=["median_seconds"], integer=["dropped"]).to_html()
    assert ">11 min<" in html and ">3<" in html


def test_styled_currency_symbol_and_money_columns():
    frame = pd.DataFrame({"category": ["shoes"], "revenue": [1234.5], "orders": [3]})
    assert ">€1,234.50<" in tables.styled(frame, currency="€").to_html()
    # the older form: an iterable of columns to show as money
    assert ">1,234.50<" in tables.styled(frame, currency=["revenue"]).to_html()


def test_wide_table_narrowed_with_full_csv(tmp_path):
    # 19 columns of 10-digit numbers: about 19 x (13 x 7.4 + 18) = 2,170 px, too wide
    wide = pd.DataFrame({f"metric_{i:02d}": [1_234_567_890.0 + i] for i in range(19)})
    wide.insert(0, "segment", ["all"])
    display.configure(csv_dir=tmp_path, page="02_funnel")
    html = tables.styled(wide, caption="Every metric", keep=["metric_18"]).to_html()
    shown = re.findall(r"<th [^>]*col_heading[^>]*>([^<]*)</th>", html)
    assert shown[0] == "Segment" and "Metric 18" in shown
    # "Segment" 7 x 7.4 + 18 = 69.8 px, each "1,234,567,890" 13 x 7.4 + 18 = 114.2 px:
    # 69.8 + 9 x 114.2 = 1,097.6 <= 1,100 px, a tenth metric would not fit
    assert len(shown) == 10 and shown[:9] == ["Segment", *[f"Metric {i:02d}" for i in range(8)]]
    csv = tmp_path / "02_funnel_every_metric.csv"
    assert "(10 more columns in" in html and 'href="02_funnel_every_metric.csv"' in html
    assert pd.read_csv(csv).shape == (1, 20)  # the full table, every column


def test_narrow_table_unchanged_and_no_csv(tmp_path):
    display.configure(csv_dir=tmp_path, page="p")
    frame = pd.DataFrame({"a": [1], "b": [2]})
    html = tables.styled(frame, caption="Small").to_html()
    assert "more column" not in html and list(tmp_path.iterdir()) == []


def test_kpi_table_formats_by_unit():
    kpis = pd.DataFrame(
        {
            "kpi": ["Sessions", "Session conversion", "Revenue"],
            "this_week": [1828.0, 0.0367, 9876.5],
            "previous_week": [1800.0, 0.0368, np.nan],
            "change": [28.0, -0.0001, np.nan],
            "unit": ["count", "share", "currency"],
        }
    )
    html = tables.kpi_table(kpis, caption="Headline numbers").to_html()
    for text in ["1,828", "3.67%", "-0.01 pts", "9,876.50", "+28", "–"]:
        assert f">{text}<" in html, text


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("begin_checkout", "checkout started"),
        ("add_to_cart", "added to cart"),
        ("purchase", "purchase"),
        ("event: add_to_cart", "added to cart"),
        ("page: size_guide", "size guide page"),
        ("page:returns_policy", "returns policy page"),
        ("landing page: home", "landed on the home page"),
        ("custom_step_name", "custom step name"),
        ("Consideration", "Consideration"),
        ("page: reviews + page: size_guide", "reviews page + size guide page"),
        ("page: reviews → event: begin_checkout", "reviews page → checkout started"),
        (None, display.MISSING),
    ],
)
def test_step_label_plain_words(name, shown):
    assert display.step_label(name) == shown


def test_findings_name_steps_in_plain_words():
    from journeylib.funnels import findings as findings_funnel

    # 100 sessions start, 40 add to cart, 10 start a checkout: the biggest drop (by rate) is
    # the last step (30 of 40 lost, 75 %, against 60 of 100 before it), 10 % reach the end
    f = pd.DataFrame(
        {
            "step_index": [1, 2, 3],
            "step": ["session_start", "add_to_cart", "begin_checkout"],
            "count": [100, 40, 10],
            "drop_off": [0, 60, 30],
            "step_conversion": [np.nan, 0.4, 0.25],
            "conversion": [1.0, 0.4, 0.1],
        }
    )
    sentences = findings_funnel.funnel_findings(
        f, f.assign(device="all"), "device", None, _no_recovery(), None
    )
    sentence = sentences[0]
    assert sentence == (
        "The biggest drop is from added to cart to checkout started: 30 of 40 (75.0%) go no "
        "further; 10.0% of those entering reach checkout started."
    )
    assert "_" not in " ".join(sentences)


def _no_recovery():
    from journeylib.funnels.abandonment import Recovery

    return Recovery(
        by_contact=pd.DataFrame({"contacted": [False], "recovery_rate": [np.nan]}),
        by_channel=pd.DataFrame(columns=["channel", "share"]),
        days=7,
    )


@pytest.mark.parametrize(
    ("value", "unit", "change", "shown"),
    [
        (0.3716, "share", False, "37.2%"),
        (0.1949, "share", True, "+19.5 pts"),
        (-0.0052, "share", True, "-0.52 pts"),
        (5.1622, "count", False, "5.16"),
        (0.3847, "count", True, "+0.385"),
        (1.744, "days", False, "1.7 days"),
        (-0.9989, "days", True, "-1.0 days"),
        (125.3987, "currency", False, "125.40"),
        (58.7599, "currency", True, "+58.76"),
        (np.nan, "share", True, display.MISSING),
    ],
)
def test_by_unit(value, unit, change, shown):
    assert display.by_unit(value, unit, change=change) == shown
