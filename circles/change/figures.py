"""Figures of the Change stage, drawn at the size they are printed (:mod:`circles.figures.media`).

``crisis_trend_figure``   crisis contacts a family-month, pilot and matched comparison, by month from the start
``benefits_figure``       expected and realised benefits, cumulative by financial quarter, with their ranges
``balance_figure``        standardised mean differences before and after matching (a "Love plot")
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from circles.costs.money import format_gbp_rounded
from circles.figures.media import Medium
from circles.figures.media import medium as find_medium

__all__ = ["crisis_trend_figure", "benefits_figure", "balance_figure"]

PILOT, COMPARISON, EXPECTED = "#1b4f72", "#b9770e", "#7f7f7f"


def _title(figure: Figure, title: str, medium: Medium) -> None:
    if title:  # wrapped here: matplotlib's wrap=True is not seen by the constrained layout
        figure.suptitle(
            textwrap.fill(title, 40 if medium.large_print else 70), fontsize=medium.type["title"], x=0.01, ha="left"
        )


def _height(medium: Medium, print_mm: float) -> float:
    """A figure's height: ``print_mm`` in standard print; in large print all the page allows, as 16 pt type, a
    wrapped title and the legend would otherwise leave the plot a sliver."""
    return medium.height_mm if medium.large_print else min(medium.height_mm, print_mm)


def crisis_trend_figure(trend: pd.DataFrame, *, title: str = "", medium: Medium | str = "print") -> Figure:
    """Crisis contacts a family-month by month relative to the start, pilot against its matched comparison.

    ``trend``: ``month`` (−12 … 17, 0 the start month), ``group`` (pilot, comparison), ``rate``.

    Examples
    --------
    >>> t = pd.DataFrame({"month": [-1, 0, -1, 0], "group": ["pilot", "pilot", "comparison", "comparison"],
    ...                   "rate": [0.8, 0.5, 0.6, 0.6]})
    >>> crisis_trend_figure(t).axes[0].get_xlabel()
    'Months from the start of support (0 = the month support began)'
    >>> crisis_trend_figure(t, medium="large").axes[0].get_ylabel()  # 18 pt: shorter, and the x title wraps
    'Crises a family a month'
    """
    medium = find_medium(medium)
    size = medium.type
    figure = Figure(figsize=medium.figsize(height_mm=_height(medium, 105)), layout="constrained")
    axes = figure.subplots()
    for group, colour, label in (
        ("pilot", PILOT, "Pilot families"),
        ("comparison", COMPARISON, "Matched comparison families"),
    ):
        rows = trend[trend["group"] == group].sort_values("month")
        axes.plot(
            rows["month"],
            rows["rate"],
            color=colour,
            linewidth=2 if group == "pilot" else 1.6,
            marker="o" if group == "pilot" else "s",
            markersize=3,
            label=label,
        )
    axes.axvline(-0.5, color="black", linewidth=1, linestyle="--")
    axes.annotate(
        "support starts",
        (-0.5, 1),
        xycoords=("data", "axes fraction"),
        xytext=(4, -12),
        textcoords="offset points",
        fontsize=size["text"],
    )
    axes.set_ylim(bottom=0)
    xlabel = "Months from the start of support (0 = the month support began)"
    axes.set_xlabel(textwrap.fill(xlabel, medium.chars_per_line("heading")), fontsize=size["heading"])
    ylabel = "Crises a family a month" if medium.large_print else "Crisis contacts a family a month"
    axes.set_ylabel(ylabel, fontsize=size["heading"])
    axes.tick_params(labelsize=size["small"])
    axes.xaxis.set_major_locator(MaxNLocator(8 if medium.large_print else 12, integer=True))
    figure.legend(fontsize=size["text"], loc="outside lower center", ncols=2, frameon=False)
    _title(figure, title, medium)
    return figure


def benefits_figure(table: pd.DataFrame, *, title: str = "", medium: Medium | str = "print") -> Figure:
    """Cumulative expected and realised benefits by quarter (pounds, discounted), each with its range.

    ``table`` is :attr:`circles.change.benefits.BenefitsRealised.table`.

    Examples
    --------
    >>> t = pd.DataFrame({"quarter": ["2011/12 Q1", "2011/12 Q2"], "cumulative_expected": [100.0, 200.0],
    ...     "cumulative_expected_low": [50.0, 100.0], "cumulative_expected_high": [150.0, 300.0],
    ...     "cumulative_realised": [80.0, 170.0], "cumulative_realised_low": [-10.0, 20.0],
    ...     "cumulative_realised_high": [160.0, 320.0]})
    >>> [t.get_text() for t in benefits_figure(t).axes[0].get_xticklabels()]
    ['2011/12 Q1', '2011/12 Q2']
    """
    medium = find_medium(medium)
    size = medium.type
    figure = Figure(figsize=medium.figsize(height_mm=_height(medium, 110)), layout="constrained")
    axes = figure.subplots()
    x = np.arange(len(table))
    axes.fill_between(
        x,
        table["cumulative_expected_low"],
        table["cumulative_expected_high"],
        color=EXPECTED,
        alpha=0.18,
        label="Expected: the appraisal's low to high",
    )
    axes.plot(
        x, table["cumulative_expected"], color=EXPECTED, linestyle="--", linewidth=1.8, label="Expected (central)"
    )
    axes.fill_between(
        x,
        table["cumulative_realised_low"],
        table["cumulative_realised_high"],
        color=PILOT,
        alpha=0.22,
        label="Realised: 95% interval",
    )
    axes.plot(
        x,
        table["cumulative_realised"],
        color=PILOT,
        linewidth=2.2,
        marker="o",
        markersize=4,
        label="Realised (estimate)",
    )
    axes.axhline(0, color="black", linewidth=0.8)
    step = max(1, int(np.ceil(len(table) / (4 if medium.large_print else 8))))
    axes.set_xticks(
        x[::step],
        table["quarter"].iloc[::step],
        fontsize=size["small"],
        rotation=30 if medium.large_print else 0,
        ha="right" if medium.large_print else "center",
    )
    axes.yaxis.set_major_locator(MaxNLocator(4 if medium.large_print else 6))
    axes.yaxis.set_major_formatter(lambda v, _pos: format_gbp_rounded(v))
    axes.tick_params(axis="y", labelsize=size["small"])
    axes.set_ylabel(
        "Benefit to date" if medium.large_print else "Benefit to date, discounted", fontsize=size["heading"]
    )
    axes.set_xlabel("Financial quarter", fontsize=size["heading"])
    figure.legend(
        fontsize=size["text"], loc="outside lower center", ncols=1 if medium.large_print else 2, frameon=False
    )
    _title(figure, title, medium)
    return figure


def balance_figure(balance: pd.DataFrame, *, title: str = "", medium: Medium | str = "print") -> Figure:
    """Standardised mean difference of each covariate before and after matching, with the 0.1 threshold.

    ``balance`` is :attr:`circles.change.matching.MatchResult.balance`.

    Examples
    --------
    >>> b = pd.DataFrame({"covariate": ["a", "b"], "smd_before": [0.5, -0.3], "smd_after": [0.05, 0.02]})
    >>> figure = balance_figure(b)
    >>> [x.get_text() for x in figure.axes[0].get_yticklabels()]
    ['b', 'a']
    """
    medium = find_medium(medium)
    size = medium.type
    scale = size["text"] / 8
    height = min(medium.height_mm, (35 + 8 * len(balance)) * scale)
    figure = Figure(figsize=medium.figsize(height_mm=height), layout="constrained")
    axes = figure.subplots()
    rows = balance.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(rows))
    axes.scatter(rows["smd_before"].abs(), y, color=COMPARISON, marker="s", label="Before matching", zorder=3)
    axes.scatter(rows["smd_after"].abs(), y, color=PILOT, marker="o", label="After matching", zorder=3)
    axes.axvline(0.1, color="black", linestyle="--", linewidth=1)
    axes.set_yticks(
        y, [textwrap.fill(str(c), 24 if medium.large_print else 40) for c in rows["covariate"]], fontsize=size["small"]
    )
    axes.tick_params(axis="x", labelsize=size["small"])
    axes.set_xlim(left=0)
    axes.set_xlabel(
        "Difference between the groups (absolute standardised\nmean difference; under 0.1 is balanced)",
        fontsize=size["heading"],
    )
    figure.legend(fontsize=size["text"], loc="outside lower center", ncols=2, frameon=False)
    _title(figure, title, medium)
    return figure
