"""Cost models: what a need costs public services a year, by sector, and the cost per case.

A cost model is a YAML file (see ``pipelines/demo_costs.yaml``) of sectors, each with lines of annual cost::

    name: Demo cost model
    currency: GBP
    total: 33550763            # optional; checked against the sum of the sectors
    sectors:
      - sector: Health/NHS
        subtotal: 11631409     # optional; checked against the sum of its lines
        lines:
          - line: Hospital admissions
            sub_line: A&E       # optional
            annual_cost: 11631409
            cost_type: fiscal   # fiscal, economic or social
            source: "Where the figure comes from"

:func:`read_cost_model` checks it against the pydantic models of :mod:`circles.costs.schema` (every problem is a
:class:`CostError` naming the file, line and field) and returns a :class:`CostModel`. Money is added up in whole
pence, so declared totals must agree to the penny.

Cost types follow the New Economy (GMCA) Unit Cost Database: *fiscal* costs fall on a public body's budget (and
can be cashable), *economic* costs are wider losses to the economy (e.g. lost output), *social* costs are harms
to people valued in money (e.g. quality of life). Do not add them up as if all were cashable savings.

:func:`cost_per_case` divides a total by the number of cases (33,550,763 ÷ 5,653 harmful drinkers ≈ £5,935).
:func:`sector_totals` and :func:`cost_chart` show the cost by sector and cost type.

The savings scenarios, discounting and apportionment (:mod:`circles.costs.scenarios`) and the money helpers
(:mod:`circles.costs.money`) are imported here too, so ``from circles.costs import model as costs`` reaches every
cost function: :func:`savings_scenarios` multiplies a cost per case by the number of people sustaining change,
with low, central and high shares of the cost avoided, and their present value discounted at the HM Treasury
Green Book rate of 3.5% a year; :func:`apportion` shares a borough total between areas by a driver to the penny;
:func:`format_gbp` and :func:`scenario_table` present the results in packs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from circles.costs.money import CostError, format_gbp, to_pence, to_pounds
from circles.costs.scenarios import (
    GREEN_BOOK_RATE,
    apportion,
    discount_factors,
    present_value,
    savings_scenarios,
    scenario_table,
)
from circles.costs.schema import COST_TYPES, validate_cost_file
from circles.validation import line_for, read_yaml

__all__ = [
    "CostError",
    "CostModel",
    "COST_TYPES",
    "COST_TYPE_COLOURS",
    "GREEN_BOOK_RATE",
    "read_cost_model",
    "sector_totals",
    "cost_per_case",
    "discount_factors",
    "present_value",
    "savings_scenarios",
    "apportion",
    "format_gbp",
    "scenario_table",
    "cost_chart",
]


#: Colours of the cost types in :func:`cost_chart` (colour-blind safe, Okabe–Ito).
COST_TYPE_COLOURS: dict[str, str] = {"fiscal": "#0072B2", "economic": "#E69F00", "social": "#009E73"}


LINE_COLUMNS: tuple[str, ...] = ("sector", "line", "sub_line", "annual_cost", "cost_type", "source", "line_number")


@dataclass
class CostModel:
    """A checked cost model.

    Attributes
    ----------
    lines : pandas.DataFrame
        One row per cost line: ``sector``, ``line``, ``sub_line`` (or ``None``), ``annual_cost`` (pounds,
        float), ``cost_type``, ``source`` and ``line_number`` (of the line in the YAML file).
    total : float or None
        The declared total (already checked against the lines), or ``None`` if the file declares none.
    subtotals : dict
        Declared sector subtotals (checked), by sector.
    name : str
    currency : str
    price_year : int or str or None
    path : pathlib.Path or None
    """

    lines: pd.DataFrame
    total: float | None = None
    subtotals: dict[str, float] = field(default_factory=dict)
    name: str = ""
    currency: str = "GBP"
    price_year: int | str | None = None
    path: Path | None = None

    @property
    def annual_total(self) -> float:
        """Sum of all lines, in pounds (exact to the penny)."""
        return to_pounds(sum(to_pence(v) for v in self.lines["annual_cost"]))

    def _repr_html_(self) -> str:
        """Sector totals in pounds, with the total (for notebooks)."""
        from html import escape

        pence: dict[str, int] = {}
        for sector, value in zip(self.lines["sector"], self.lines["annual_cost"], strict=True):
            pence[sector] = pence.get(sector, 0) + to_pence(value)
        rows = "".join(
            f"<tr><td>{escape(str(sector))}</td>"
            f"<td style='text-align:right'>{escape(format_gbp(to_pounds(p)))}</td></tr>"
            for sector, p in pence.items()
        )
        total = escape(format_gbp(self.annual_total))
        title = escape(self.name or "cost model") + (
            f" ({escape(str(self.price_year))} prices)" if self.price_year else ""
        )
        return (
            f"<table class='circles-costs'><caption>{title}</caption>"
            "<tr><th style='text-align:left'>sector</th><th style='text-align:right'>annual cost</th></tr>"
            f"{rows}<tr><th style='text-align:left'>total</th><th style='text-align:right'>{total}</th></tr></table>"
        )


def read_cost_model(path: str | Path) -> CostModel:
    """Read and check a cost model YAML file.

    Checks: known keys only; every sector has a name and at least one line; every line has ``line``,
    ``annual_cost`` (a number of pounds, zero or more, at most 2 decimal places), ``cost_type`` (one of
    :data:`COST_TYPES`) and ``source``; a sector named twice; declared ``subtotal`` and ``total`` equal to the
    sum of their lines, to the penny.

    Parameters
    ----------
    path : path-like
        The YAML file.

    Returns
    -------
    CostModel

    Raises
    ------
    CostError
        The file is missing or not YAML, or any check fails. All problems are listed, each with the file name,
        the YAML line and the field.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(folder.name, "costs.yaml")
    >>> _ = path.write_text('''
    ... total: 150
    ... sectors:
    ...   - sector: Health
    ...     lines:
    ...       - {line: GP visits, annual_cost: 100, cost_type: fiscal, source: unit cost database}
    ...       - {line: A&E, annual_cost: 50, cost_type: fiscal, source: unit cost database}
    ... ''')
    >>> model = read_cost_model(path)
    >>> model.lines[["sector", "line", "annual_cost", "line_number"]].values.tolist()
    [['Health', 'GP visits', 100.0, 6], ['Health', 'A&E', 50.0, 7]]
    >>> _ = path.write_text(path.read_text().replace("total: 150", "total: 160"))
    >>> try:
    ...     read_cost_model(path)
    ... except CostError as error:
    ...     print(str(error).splitlines()[1].strip())
    costs.yaml line 2, field 'total': declared total £160 does not equal the sum of the sectors, £150 ...
    >>> folder.cleanup()
    """
    path = Path(path)
    if not path.exists():
        raise CostError(f"{path}: no such cost model file. Check the path (see pipelines/demo_costs.yaml).")
    data, lines = read_yaml(path, "cost model", error=CostError)
    if not isinstance(data, dict):
        raise CostError(f"{path}: expected a mapping with 'sectors' (a list of sectors, each with 'lines').")
    document = validate_cost_file(data, path=path, lines=lines)
    rows = [
        {
            "sector": sector.sector,
            "line": line.line,
            "sub_line": line.sub_line,
            "annual_cost": float(line.annual_cost),
            "cost_type": line.cost_type,
            "source": line.source,
            "line_number": line_for(lines, ("sectors", i, "lines", j)),
        }
        for i, sector in enumerate(document.sectors)
        for j, line in enumerate(sector.lines)
    ]
    frame = pd.DataFrame(rows, columns=list(LINE_COLUMNS))
    frame["annual_cost"] = frame["annual_cost"].astype(float)
    frame["line_number"] = frame["line_number"].astype(int)
    return CostModel(
        lines=frame,
        total=float(document.total) if document.total is not None else None,
        subtotals={s.sector: float(s.subtotal) for s in document.sectors if s.subtotal is not None},
        name=document.name or path.stem,
        currency=document.currency,
        price_year=document.price_year,
        path=path,
    )


# ----------------------------------------------------------------------------------------------------- summaries


def sector_totals(model: CostModel, *, total_row: bool = False) -> pd.DataFrame:
    """Annual cost by sector (in file order), split by cost type, with each sector's share of the total.

    Parameters
    ----------
    model : CostModel
    total_row : bool, default False
        Add a row ``"Total"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``sector``: one column per cost type present (pounds), ``annual_cost`` and ``share`` (0–1).

    Examples
    --------
    >>> lines = pd.DataFrame({"sector": ["A", "A", "B"], "line": ["x", "y", "z"], "sub_line": None,
    ...     "annual_cost": [60.0, 15.0, 25.0], "cost_type": ["fiscal", "social", "fiscal"], "source": "s",
    ...     "line_number": [1, 2, 3]})
    >>> sector_totals(CostModel(lines=lines), total_row=True).reset_index()
      sector  fiscal  social  annual_cost  share
    0      A    60.0    15.0         75.0   0.75
    1      B    25.0     0.0         25.0   0.25
    2  Total    85.0    15.0        100.0   1.00
    """
    lines = model.lines.assign(pence=[to_pence(v) for v in model.lines["annual_cost"]])
    order = list(dict.fromkeys(lines["sector"]))
    types = [t for t in COST_TYPES if t in set(lines["cost_type"])]
    pivot = lines.pivot_table(index="sector", columns="cost_type", values="pence", aggfunc="sum", fill_value=0)
    pivot = pivot.reindex(index=order, columns=types, fill_value=0)
    pivot["annual_cost"] = pivot[types].sum(axis=1)
    grand = int(pivot["annual_cost"].sum())
    if total_row:
        pivot.loc["Total"] = pivot.sum(axis=0)
    out = pivot.map(to_pounds).astype(float)
    out["share"] = pivot["annual_cost"] / grand if grand else np.nan
    out.index.name = "sector"
    out.columns.name = None
    return out


def cost_per_case(cost: CostModel | float, cases: float) -> float:
    """Annual cost per case: the model's total (or a number of pounds) ÷ the number of cases.

    Parameters
    ----------
    cost : CostModel or float
        A cost model (its total of all lines) or an annual cost in pounds.
    cases : float
        Number of cases, e.g. estimated harmful drinkers (more than 0).

    Returns
    -------
    float
        Pounds per case, unrounded (use :func:`format_gbp` or :func:`circles.costs.estimates.round_to`).

    Examples
    --------
    >>> format_gbp(cost_per_case(33550763, 5653)), format_gbp(cost_per_case(33550763, 5600))
    ('£5,935', '£5,991')
    """
    total = cost.annual_total if isinstance(cost, CostModel) else cost
    if isinstance(total, bool) or not isinstance(total, Real) or not np.isfinite(total):
        raise CostError(f"cost must be a CostModel or a number of pounds; got {total!r}.")
    if isinstance(cases, bool) or not isinstance(cases, Real) or not cases > 0:
        raise CostError(f"cases must be a number greater than 0 (e.g. estimated harmful drinkers); got {cases!r}.")
    return float(total) / float(cases)


# --------------------------------------------------------------------------------------------------- presentation


def _axis_gbp(value: float, _position: float) -> str:
    if abs(value) >= 1_000_000:
        millions = f"{abs(value) / 1_000_000:,.2f}".rstrip("0").rstrip(".")
        return f"{'-' if value < 0 else ''}£{millions}m"
    return format_gbp(value)


def cost_chart(model: CostModel, *, title: str | None = None) -> Figure:
    """Stacked bar chart of annual cost by sector, stacked by cost type, with a £ axis.

    Parameters
    ----------
    model : CostModel
    title : str, optional
        The chart's title (default: the model's name and its total a year).

    Returns
    -------
    matplotlib.figure.Figure
        One bar a sector, labelled with its total.

    Examples
    --------
    >>> lines = pd.DataFrame({"sector": ["A", "B"], "line": ["x", "y"], "sub_line": None,
    ...     "annual_cost": [2e6, 1e6], "cost_type": ["fiscal", "social"], "source": "s", "line_number": [1, 2]})
    >>> figure = cost_chart(CostModel(lines=lines))
    >>> [t.get_text() for t in figure.axes[0].get_xticklabels()]
    ['A', 'B']
    >>> _axis_gbp(2_500_000, 0), _axis_gbp(500_000, 0)
    ('£2.5m', '£500,000')
    """
    table = sector_totals(model)
    types = [t for t in COST_TYPES if t in table.columns]
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(len(table))
    bottom = np.zeros(len(table))
    for cost_type in types:
        heights = table[cost_type].to_numpy(dtype=float)
        axes.bar(positions, heights, bottom=bottom, label=cost_type, color=COST_TYPE_COLOURS[cost_type])
        bottom += heights
    for x, height in zip(positions, bottom, strict=True):
        axes.annotate(
            format_gbp(height), (x, height), ha="center", va="bottom", xytext=(0, 3), textcoords="offset points"
        )
    axes.set_xticks(positions, [str(s) for s in table.index])
    axes.yaxis.set_major_formatter(FuncFormatter(_axis_gbp))
    axes.set_ylabel("Annual cost")
    axes.set_ylim(0, max(bottom.max(), 1) * 1.12)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(title="Cost type", frameon=False)
    total = format_gbp(float(table["annual_cost"].sum()))
    axes.set_title(title or f"{model.name or 'Cost model'}\n{total} a year", loc="left")
    return figure
