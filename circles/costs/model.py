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
            price_year: 2010    # optional: the file's price_year when not given
    family:                     # optional: what a family costs, for scenarios counting families
      adults_per_family: 1.3    # people in need (cases) per family
      adults_source: "Where that comes from"
      lines: []                 # costs per family beyond its adults' (e.g. children's social care)
    savings:                    # optional: shares of a case's annual cost avoided, each at most 1
      low: 0.5
      central: 0.75
      high: 1.0

:func:`read_cost_model` checks it against the pydantic models of :mod:`circles.costs.schema` (every problem is a
:class:`CostError` naming the file, line and field) and returns a :class:`CostModel`. Money is added up in whole
pence, so declared totals must agree to the penny.

Every amount carries its source and price year (:meth:`CostModel.provenance`), published beside every £ figure;
lines of different price years are said to be mixed, never silently added up as one year's prices.

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
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from circles.costs.money import CostError, format_gbp, format_gbp_rounded, to_pence, to_pounds
from circles.costs.scenarios import (
    GREEN_BOOK_RATE,
    apportion,
    discount_factors,
    present_value,
    savings_scenarios,
    scenario_table,
)
from circles.costs.schema import COST_TYPES, DEFAULT_SHARES, NOT_STATED, validate_cost_file
from circles.figures.media import Medium
from circles.figures.media import medium as find_medium
from circles.validation import KeyLines, line_for, read_yaml

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
    "provenance_note",
    "Family",
]


#: Colours of the cost types in :func:`cost_chart` (colour-blind safe, Okabe–Ito).
COST_TYPE_COLOURS: dict[str, str] = {"fiscal": "#0072B2", "economic": "#E69F00", "social": "#009E73"}


LINE_COLUMNS: tuple[str, ...] = (
    "sector",
    "line",
    "sub_line",
    "annual_cost",
    "cost_type",
    "source",
    "price_year",
    "line_number",
)


@dataclass(frozen=True)
class Family:
    """What one family costs a year: ``adults`` cases (people in need) and the ``lines`` of cost per family.

    Attributes
    ----------
    adults : float
        People in need per family (e.g. harmful-drinking parents).
    adults_source : str
        Where that number comes from.
    lines : pandas.DataFrame
        Costs per family beyond its adults' (columns as :attr:`CostModel.lines`, sector ``"Per family"``).
    description : str
    """

    adults: float
    adults_source: str
    lines: pd.DataFrame
    description: str = "a family"

    @property
    def extra(self) -> float:
        """The costs per family beyond its adults', in pounds a year."""
        return to_pounds(sum(to_pence(v) for v in self.lines["annual_cost"]))

    def cost(self, per_case: float) -> float:
        """A family's annual cost: ``adults`` × the cost per case + the costs per family.

        Examples
        --------
        >>> lines = pd.DataFrame({"annual_cost": [1200.0]})
        >>> Family(1.5, "survey", lines).cost(5000)  # 1.5 x 5,000 + 1,200
        8700.0
        """
        return self.adults * float(per_case) + self.extra


def price_year_label(values: list[object]) -> str:
    """One price year, ``"not stated"``, or ``"mixed price years (2010, 2012/13), not uprated"``."""
    years = list(dict.fromkeys(str(v) for v in values if v is not None and str(v).strip())) or [NOT_STATED]
    if len(years) == 1:
        return years[0]
    return f"mixed price years ({', '.join(years)}), not uprated"


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
    price_year : str or None
        The file's price year (each line's is in ``lines["price_year"]``).
    path : pathlib.Path or None
    family : Family or None
        What a family costs, for scenarios counting families; ``None`` when the file says nothing.
    savings : dict
        ``{"low": (share, avoids), "central": ..., "high": ...}``: the share of a case's annual cost avoided
        (0 to 1) and what it avoids, in words (``""`` when not said).
    """

    lines: pd.DataFrame
    total: float | None = None
    subtotals: dict[str, float] = field(default_factory=dict)
    name: str = ""
    currency: str = "GBP"
    price_year: int | str | None = None
    path: Path | None = None
    family: Family | None = None
    savings: dict[str, tuple[float, str]] = field(
        default_factory=lambda: {k: (v, "") for k, v in DEFAULT_SHARES.items()}
    )

    @property
    def annual_total(self) -> float:
        """Sum of all lines, in pounds (exact to the penny)."""
        return to_pounds(sum(to_pence(v) for v in self.lines["annual_cost"]))

    def line_price_years(self, lines: pd.DataFrame | None = None) -> list[object]:
        """Each line's price year (the file's where a line gives none)."""
        lines = self.lines if lines is None else lines
        own = lines["price_year"] if "price_year" in lines else pd.Series([None] * len(lines), dtype=object)
        return [year if year is not None and pd.notna(year) else self.price_year for year in own]

    def provenance(self, *, with_family: bool = False) -> dict[str, object]:
        """The sources and price year of the model's amounts, to publish beside every £ figure.

        Parameters
        ----------
        with_family : bool, default False
            Include the family's costs and where its number of adults comes from.

        Returns
        -------
        dict
            ``sources`` (distinct, in file order), ``price_year`` (one year, ``"not stated"`` or ``"mixed price
            years (…), not uprated"``) and ``mixed`` (whether lines are in different years' prices).

        Examples
        --------
        >>> lines = pd.DataFrame({"sector": ["A", "B"], "line": ["x", "y"], "sub_line": None,
        ...     "annual_cost": [1.0, 2.0], "cost_type": "fiscal", "source": ["UCD", "PSSRU"],
        ...     "price_year": [None, "2012/13"], "line_number": [1, 2]})
        >>> CostModel(lines=lines, price_year="2010/11").provenance()
        {'sources': ['UCD', 'PSSRU'], 'price_year': 'mixed price years (2010/11, 2012/13), not uprated', 'mixed': True}
        """
        frames = [self.lines] + ([self.family.lines] if with_family and self.family is not None else [])
        sources = [str(v) for frame in frames for v in frame.get("source", [])]
        if with_family and self.family is not None:
            sources.append(self.family.adults_source)
        years = [y for frame in frames for y in self.line_price_years(frame)]
        label = price_year_label(years)
        return {"sources": list(dict.fromkeys(sources)), "price_year": label, "mixed": label.startswith("mixed")}

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
    ... price_year: 2012/13
    ... sectors:
    ...   - sector: Health
    ...     lines:
    ...       - {line: GP visits, annual_cost: 100, cost_type: fiscal, source: unit cost database}
    ...       - {line: A&E, annual_cost: 50, cost_type: fiscal, source: unit cost database}
    ... ''')
    >>> model = read_cost_model(path)
    >>> model.lines[["sector", "line", "annual_cost", "line_number"]].values.tolist()
    [['Health', 'GP visits', 100.0, 7], ['Health', 'A&E', 50.0, 8]]
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
    frame = _line_frame(
        [
            (sector.sector, line, ("sectors", i, "lines", j))
            for i, sector in enumerate(document.sectors)
            for j, line in enumerate(sector.lines)
        ],
        lines,
        document.price_year,
    )
    family = None
    if document.family is not None:
        family = Family(
            adults=document.family.adults_per_family,
            adults_source=document.family.adults_source,
            lines=_line_frame(
                [("Per family", line, ("family", "lines", j)) for j, line in enumerate(document.family.lines)],
                lines,
                document.price_year,
            ),
            description=document.family.description or "a family",
        )
    savings = document.savings
    return CostModel(
        lines=frame,
        total=float(document.total) if document.total is not None else None,
        subtotals={s.sector: float(s.subtotal) for s in document.sectors if s.subtotal is not None},
        name=document.name or path.stem,
        currency=document.currency,
        price_year=document.price_year,
        path=path,
        family=family,
        savings={k: (v.share, v.avoids or "") for k, v in ((k, getattr(savings, k)) for k in DEFAULT_SHARES)}
        if savings is not None
        else {k: (v, "") for k, v in DEFAULT_SHARES.items()},
    )


def _line_frame(items: list[tuple[str, Any, tuple[Any, ...]]], lines: KeyLines, price_year: str | None) -> pd.DataFrame:
    """Cost lines as :data:`LINE_COLUMNS`, each with its price year (the file's when it gives none)."""
    rows = [
        {
            "sector": sector,
            "line": line.line,
            "sub_line": line.sub_line,
            "annual_cost": float(line.annual_cost),
            "cost_type": line.cost_type,
            "source": line.source,
            "price_year": line.price_year or price_year,
            "line_number": line_for(lines, loc),
        }
        for sector, line, loc in items
    ]
    frame = pd.DataFrame(rows, columns=list(LINE_COLUMNS))
    frame["annual_cost"] = frame["annual_cost"].astype(float)
    frame["line_number"] = frame["line_number"].astype(int)
    return frame


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


def provenance_note(model: CostModel, *, rounded: bool = True) -> str:
    """``Source: …. Prices: not stated by the source. Amounts rounded to 3 significant figures.`` for a chart or table.

    Examples
    --------
    >>> lines = pd.DataFrame({"sector": ["A"], "line": ["x"], "sub_line": None, "annual_cost": [1.0],
    ...     "cost_type": "fiscal", "source": ["Unit Cost Database"], "price_year": ["2012/13"], "line_number": [1]})
    >>> provenance_note(CostModel(lines=lines))
    'Source: Unit Cost Database. Prices: 2012/13. Amounts rounded to 3 significant figures.'
    """
    facts = model.provenance()
    year = str(facts["price_year"])
    prices = "not stated by the source" if year == NOT_STATED else year
    sources = "; ".join(str(s) for s in facts["sources"]) or "not given"
    text = f"Source: {sources}. Prices: {prices}."
    return f"{text} Amounts rounded to 3 significant figures." if rounded else text


def cost_chart(
    model: CostModel,
    *,
    title: str | None = None,
    medium: Medium | str = "print",
    height_mm: float | None = None,
) -> Figure:
    """Bar chart of annual cost by sector, stacked by cost type, drawn at the size it is printed.

    Each bar is labelled with its cost to 3 significant figures (an estimate is not known to the pound), and the
    foot of the chart gives the source(s) and price year, so the chart carries its provenance wherever it goes.
    Every text is at least ``medium.min_pt``: sizes come from :attr:`~circles.figures.media.Medium.type`.

    Parameters
    ----------
    model : CostModel
    title : str, optional
        The chart's title (default: the model's name and its total a year); ``""`` for none.
    medium : Medium or str, default "print"
        Where the chart is printed (:data:`~circles.figures.media.MEDIA`): its width and type sizes.
    height_mm : float, optional
        The chart's height (default: enough for its sectors, at most the medium's).

    Returns
    -------
    matplotlib.figure.Figure
        One horizontal bar a sector, in file order from the top.

    Examples
    --------
    >>> lines = pd.DataFrame({"sector": ["A", "B"], "line": ["x", "y"], "sub_line": None,
    ...     "annual_cost": [2e6, 1e6], "cost_type": ["fiscal", "social"], "source": "s", "line_number": [1, 2]})
    >>> figure = cost_chart(CostModel(lines=lines, price_year="2010"), medium="large")
    >>> [t.get_text() for t in figure.axes[1].get_yticklabels()]
    ['A', 'B']
    >>> from matplotlib.text import Text
    >>> min(t.get_fontsize() for t in figure.findobj(Text) if t.get_text() and t.get_visible())
    16.0
    """
    medium = find_medium(medium)
    size = medium.type
    table = sector_totals(model)
    types = [t for t in COST_TYPES if t in table.columns]
    scale = size["text"] / 8
    figure = Figure(figsize=medium.figsize(height_mm=height_mm or (45 + 13 * len(table)) * scale), layout="constrained")
    key, axes = figure.subplots(2, 1, height_ratios=[1, 2.5 * max(len(table), 1)])
    positions = np.arange(len(table))
    left = np.zeros(len(table))
    for cost_type in types:
        widths = table[cost_type].to_numpy(dtype=float)
        axes.barh(positions, widths, left=left, label=cost_type, color=COST_TYPE_COLOURS[cost_type], height=0.6)
        left += widths
    for y, width in zip(positions, left, strict=True):
        axes.annotate(
            format_gbp_rounded(width),
            (width, y),
            ha="left",
            va="center",
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=size["text"],
        )
    axes.set_yticks(positions, [str(s) for s in table.index], fontsize=size["text"])
    axes.invert_yaxis()
    axes.set_xlim(0, _room_for_labels(left, [str(s) for s in table.index], medium))
    axes.xaxis.set_visible(False)
    axes.tick_params(axis="y", length=0)
    axes.spines[["top", "right", "bottom"]].set_visible(False)
    key.axis("off")  # the key has a row of its own, so it never sits on a bar or its label
    handles, labels = axes.get_legend_handles_labels()
    key.legend(
        handles,
        labels,
        title="Cost type",
        frameon=False,
        fontsize=size["text"],
        title_fontsize=size["heading"],
        loc="lower left",
        ncols=len(types),
        alignment="left",
        borderaxespad=0,
    )
    if title != "":
        total = format_gbp_rounded(float(table["annual_cost"].sum()))
        text = title or f"{model.name or 'Cost model'}: {total} a year"
        figure.suptitle(_wrap(text, medium, "title"), x=0.01, ha="left", fontsize=size["title"])
    note = _wrap(provenance_note(model), medium, "small")
    figure.supxlabel(note, x=0.01, ha="left", fontsize=size["small"], color="#333333")
    return figure


def _room_for_labels(ends: np.ndarray, sectors: list[str], medium: Medium) -> float:
    """The axis limit that leaves room after the longest bar for its label, in the medium's type.

    Text widths are estimated at 0.6 em a character (DejaVu Sans averages about 0.55).
    """
    points = medium.width_mm / 25.4 * 72
    axis = points - 0.6 * medium.type["text"] * max(map(len, sectors), default=0) - 20
    labels = np.array([0.6 * medium.type["text"] * len(format_gbp_rounded(end)) + 8 for end in ends])
    free = np.clip(1 - labels / max(axis, 1), 0.2, 1)
    return float(max((ends / free).max(), 1))


def _wrap(text: str, medium: Medium, role: str) -> str:
    """``text`` wrapped to the medium's width at the ``role`` type size."""
    import textwrap

    return textwrap.fill(text, medium.chars_per_line(role))
