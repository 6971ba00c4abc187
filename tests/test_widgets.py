"""Controls that forgive: a bad value shows one plain line, never a traceback.

The redraw functions are called directly, as the widgets call them when a control applies.
"""

import warnings

import matplotlib
import pandas as pd
import pytest

from journeylib.funnels.controls import checked_steps, checked_window, explore_funnel
from journeylib.show.widgets import explore, step_picker

matplotlib.use("Agg")

LOG = pd.DataFrame(
    {
        "user_id": ["a", "a", "a", "b", "b"],
        "event": ["session_start", "view_item", "purchase", "session_start", "view_item"],
        "event_time": pd.to_datetime(
            [
                "2024-01-01 10:00",
                "2024-01-01 10:01",
                "2024-01-01 10:05",
                "2024-01-01 11:00",
                "2024-01-01 11:01",
            ],
            utc=True,
        ),
        "session_id": ["s1", "s1", "s1", "s2", "s2"],
        "device": ["mobile", "mobile", "mobile", "desktop", "desktop"],
    }
)
DEFAULTS = {"window": "7D", "order": "ordered", "segment": "(none)", "count": "users"}


@pytest.fixture
def funnel_widget(monkeypatch):
    monkeypatch.delenv("JOURNEYLIB_REPORT", raising=False)
    return explore_funnel(LOG, ["session_start", "view_item", "purchase"], segments=["device"])


def one_line(capsys) -> str:
    out, err = capsys.readouterr()
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert "Traceback" not in out + err and "Error" not in out, out + err
    return lines[0]


def test_the_controls_apply_on_enter_and_offer_the_logs_event_names(funnel_widget):
    steps, picker, window, *_ = funnel_widget.children
    assert steps.value == "session_start, view_item, purchase"
    assert steps.continuous_update is False and window.continuous_update is False
    assert list(picker.options)[1:] == ["session_start", "view_item", "purchase"]
    picker.value = "purchase"  # picking a name appends it to the steps
    assert steps.value == "session_start, view_item, purchase, purchase"
    assert picker.value == "(pick an event)"


def test_a_blank_steps_box_shows_one_line(funnel_widget, capsys):
    capsys.readouterr()
    assert funnel_widget.redraw(steps="  ", **DEFAULTS) is None
    assert one_line(capsys).startswith("Steps is blank: type event names separated by commas")


def test_a_misspelt_step_shows_one_line_with_the_closest_names(funnel_widget, capsys):
    capsys.readouterr()
    funnel_widget.redraw(steps="session_start, purchse", **DEFAULTS)
    line = one_line(capsys)
    assert line == ("Step 'purchse' matches no event in the log; closest event names: 'purchase'")


def test_a_window_without_a_unit_shows_one_line_with_the_hint(funnel_widget, capsys):
    capsys.readouterr()
    funnel_widget.redraw(steps="session_start, purchase", **(DEFAULTS | {"window": "3"}))
    line = one_line(capsys)
    assert line.startswith("Window='3' has no unit: write a number with a unit, like '3D'")
    assert line.endswith("(or leave it blank for no limit)")


def test_good_values_draw_without_a_line(funnel_widget, capsys):
    capsys.readouterr()
    funnel_widget.redraw(steps="session_start, purchase", **(DEFAULTS | {"window": ""}))
    funnel_widget.redraw(steps="session_start, purchase", **(DEFAULTS | {"segment": "device"}))
    out, err = capsys.readouterr()
    assert out.strip() == "" and "Traceback" not in err


def test_checked_steps_and_window_by_hand():
    names = ["session_start", "purchase"]
    assert checked_steps(" session_start ,purchase,", names) == ["session_start", "purchase"]
    assert checked_window(" ") is None and checked_window("30min") == "30min"


def test_warnings_of_an_analysis_show_as_one_line_each(monkeypatch, capsys):
    monkeypatch.delenv("JOURNEYLIB_REPORT", raising=False)
    from journeylib.clv.models import ClvFitWarning

    def draw(rate: float = 0.01):
        warnings.warn("pareto_nbd: not converged: try more data", ClvFitWarning, stacklevel=2)
        return rate

    widget = explore(draw, rate=(0.0, 0.05, 0.005))
    capsys.readouterr()
    assert widget.redraw(rate=0.02) == 0.02
    assert one_line(capsys) == "Pareto_nbd: not converged: try more data"
    assert widget.kwargs_widgets[0].continuous_update is False


def test_other_errors_still_raise(monkeypatch):
    monkeypatch.delenv("JOURNEYLIB_REPORT", raising=False)

    def draw(x: str = "a"):
        raise KeyError(x)

    widget = explore(draw)  # ipywidgets logs the first call's error
    with pytest.raises(KeyError):
        widget.redraw(x="b")  # a bug in the draw function is not hidden


def test_no_widget_in_a_report_run(monkeypatch):
    monkeypatch.setenv("JOURNEYLIB_REPORT", "1")
    assert explore_funnel(LOG, ["session_start"], segments=[]) is None


def test_step_picker_appends_to_an_empty_box():
    import ipywidgets

    box = ipywidgets.Text(value="")
    step_picker(["a", "b"], box).value = "b"
    assert box.value == "b"
