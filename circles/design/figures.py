"""Figures of the Design stage, drawn at the size they are printed (:mod:`circles.figures.media`).

``survival_figure``   the share of families still waiting for planned support, by days since first crisis
``tornado_figure``    the assumptions that move an option's net present value most
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

__all__ = ["survival_figure", "tornado_figure"]


def survival_figure(
    table: pd.DataFrame, *, median: float | None = None, title: str = "", medium: Medium | str = "print"
) -> Figure:
    """The Kaplan–Meier curve read at a few days (:func:`~circles.design.journeys.survival_at`), with its 95% band.

    Drawn from the published table only (never the exact curve, whose steps would give away each day's events).

    Examples
    --------
    >>> t = pd.DataFrame({"day": [0, 7, 30], "survival": [1.0, 0.6, 0.3], "survival_lower": [1.0, 0.4, 0.1],
    ...                   "survival_upper": [1.0, 0.8, 0.5]})
    >>> figure = survival_figure(t, median=14, medium="large")
    >>> figure.axes[0].get_xlabel()
    'Days since first crisis contact'
    """
    medium = find_medium(medium)
    size = medium.type
    figure = Figure(figsize=medium.figsize(height_mm=min(medium.height_mm, 110)), layout="constrained")
    axes = figure.subplots()
    axes.step(table["day"], table["survival"], where="post", color="#1b4f72", linewidth=2, marker="o")
    axes.fill_between(
        table["day"], table["survival_lower"], table["survival_upper"], step="post", color="#1b4f72", alpha=0.2
    )
    if median is not None:
        axes.axvline(median, color="#7f7f7f", linestyle="--", linewidth=1)
        axes.annotate(
            f"median {median:g} days", (median, 0.5), xytext=(4, 4), textcoords="offset points", fontsize=size["text"]
        )
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("Days since first crisis contact", fontsize=size["heading"])
    axes.set_ylabel("Share still waiting", fontsize=size["heading"])
    axes.tick_params(labelsize=size["small"])
    if title:
        # wrapped here: matplotlib's own wrap=True is not seen by the constrained layout, which clips the first line
        axes.set_title(textwrap.fill(title, 40 if medium.large_print else 70), fontsize=size["title"], loc="left")
    return figure


def tornado_figure(tornado: pd.DataFrame, *, title: str = "", medium: Medium | str = "print") -> Figure:
    """Horizontal bars: each assumption's NPV at its low and high value, around the central NPV.

    ``tornado`` is :attr:`circles.design.options.Appraisal.tornado` for one option: ``assumption``,
    ``npv_low``, ``npv_high``, ``central`` (the same in every row), widest swing first.

    Examples
    --------
    >>> t = pd.DataFrame({"assumption": ["a", "b"], "npv_low": [-10.0, 5.0], "npv_high": [30.0, 15.0],
    ...                   "central": [10.0, 10.0]})
    >>> [x.get_text() for x in tornado_figure(t).axes[0].get_yticklabels()]
    ['b', 'a']
    """
    medium = find_medium(medium)
    size = medium.type
    scale = size["text"] / 8
    height = min(medium.height_mm, (40 + 11 * len(tornado)) * scale)
    figure = Figure(figsize=medium.figsize(height_mm=height), layout="constrained")
    axes = figure.subplots()
    rows = tornado.iloc[::-1].reset_index(drop=True)  # widest at the top
    central = float(rows["central"].iloc[0]) if len(rows) else 0.0
    y = np.arange(len(rows))
    for column, colour, label in (
        ("npv_low", "#c0392b", "assumption at its low value"),
        ("npv_high", "#1e8449", "at its high value"),
    ):
        widths = rows[column].to_numpy(dtype=float) - central
        axes.barh(y, widths, left=central, color=colour, height=0.6, label=label)
    axes.axvline(central, color="black", linewidth=1)
    width = 24 if medium.large_print else 40
    labels = [textwrap.fill(str(a), width) for a in rows["assumption"]]
    axes.set_yticks(y, labels, fontsize=size["small"])
    axes.tick_params(axis="x", labelsize=size["small"])
    axes.xaxis.set_major_locator(MaxNLocator(3 if medium.large_print else 5))
    axes.xaxis.set_major_formatter(lambda v, _pos: format_gbp_rounded(v))
    axes.set_xlabel(f"Net present value\n(central {format_gbp_rounded(central)})", fontsize=size["heading"])
    figure.legend(fontsize=size["text"], loc="outside lower center", ncols=2, frameon=False)
    if title:
        figure.suptitle(textwrap.fill(title, 40 if medium.large_print else 70), fontsize=size["title"], x=0, ha="left")
    return figure
