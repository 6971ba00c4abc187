"""Alt text from a figure's titles and axis labels."""

from matplotlib.figure import Figure

from journeylib.show.figure_alt import describe, install


def test_alt_names_the_title_and_both_axes():
    fig = Figure()
    ax = fig.subplots()
    ax.plot([1, 2])
    ax.set(title="Events per day", xlabel="day (UTC)", ylabel="events (count)")
    expected = "Chart: Events per day. Horizontal axis: day (UTC); vertical axis: events (count)."
    assert describe(fig) == expected


def test_alt_of_small_multiples_lists_each_title_once_and_skips_colorbars():
    fig = Figure()
    left, right = fig.subplots(1, 2)
    fig.suptitle("Funnel by device")
    image = left.imshow([[0, 1], [1, 0]])
    fig.colorbar(image, ax=left, label="share (%)")
    left.set(title="mobile", xlabel="step", ylabel="users (count)")
    right.set(title="desktop", xlabel="step", ylabel="users (count)")
    assert describe(fig) == (
        "Chart: Funnel by device; mobile; desktop. "
        "Horizontal axis: step; vertical axis: users (count)."
    )


def test_an_untitled_figure_says_so():
    fig = Figure()
    fig.subplots()
    assert describe(fig) == "Chart without a title."


def test_install_does_nothing_outside_ipython():
    assert install() is False
