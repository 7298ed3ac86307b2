"""Cost models: what a need costs public services a year, cost per case, savings scenarios and apportionment.

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

:func:`read_cost_model` checks it (every problem is a :class:`CostError` naming the file, line and field) and
returns a :class:`CostModel`. Money is added up in whole pence, so declared totals must agree to the penny.

Cost types follow the New Economy (GMCA) Unit Cost Database: *fiscal* costs fall on a public body's budget (and
can be cashable), *economic* costs are wider losses to the economy (e.g. lost output), *social* costs are harms
to people valued in money (e.g. quality of life). Do not add them up as if all were cashable savings.

:func:`cost_per_case` divides a total by the number of cases (33,550,763 ÷ 5,653 harmful drinkers ≈ £5,935).
:func:`savings_scenarios` multiplies a cost per case by the number of people sustaining change, with low, central
and high shares of the cost avoided, and their present value over several years discounted at the HM Treasury
Green Book rate of 3.5% a year. :func:`apportion` shares a borough total between areas by a driver to the penny.
:func:`format_gbp`, :func:`scenario_table` and :func:`cost_chart` present the results in packs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from circles.costs.estimates import round_half_up, round_to
from circles.errors import CirclesError
from circles.validation import suggest

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


class CostError(CirclesError):
    """A cost model, cost per case, savings scenario or apportionment cannot be computed from what was given."""


#: Kinds of cost (New Economy / GMCA Unit Cost Database).
COST_TYPES: tuple[str, ...] = ("fiscal", "economic", "social")

#: Colours of the cost types in :func:`cost_chart` (colour-blind safe, Okabe–Ito).
COST_TYPE_COLOURS: dict[str, str] = {"fiscal": "#0072B2", "economic": "#E69F00", "social": "#009E73"}

#: HM Treasury Green Book social time preference rate for years 0–30.
GREEN_BOOK_RATE = 0.035

LINE_COLUMNS: tuple[str, ...] = ("sector", "line", "sub_line", "annual_cost", "cost_type", "source", "line_number")

_KEYS = {
    "top": ("name", "description", "currency", "price_year", "total", "sectors"),
    "sector": ("sector", "subtotal", "lines"),
    "line": ("line", "sub_line", "annual_cost", "cost_type", "source"),
}


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
        return _pounds(sum(_pence(v) for v in self.lines["annual_cost"]))

    def _repr_html_(self) -> str:
        """Sector totals in pounds, with the total (for notebooks)."""
        from html import escape

        pence: dict[str, int] = {}
        for sector, value in zip(self.lines["sector"], self.lines["annual_cost"], strict=True):
            pence[sector] = pence.get(sector, 0) + _pence(value)
        rows = "".join(
            f"<tr><td>{escape(str(sector))}</td><td style='text-align:right'>{escape(format_gbp(_pounds(p)))}</td></tr>"
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


# ------------------------------------------------------------------------------------------------------- money


def _pence(value: float) -> int:
    """Whole pence from pounds (as written: 0.1 is 10p exactly)."""
    return int(Decimal(repr(float(value))).scaleb(2).to_integral_value())


def _pounds(pence: int) -> float:
    return float(Decimal(pence).scaleb(-2))


def _money(value: Any) -> Decimal | None:
    """A non-negative amount of money with at most 2 decimal places, or ``None`` if it is not one."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(int(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return amount


# -------------------------------------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """Safe YAML recording the line of every mapping (``__line__``) and of each key (``__lines__``)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = lines
    return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


class _Problems:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, record: Mapping[str, Any], key: str | None, message: str) -> None:
        line = record.get("__lines__", {}).get(key, record.get("__line__")) if key else record.get("__line__")
        field_text = f", field '{key}'" if key else ""
        self.items.append(f"{self.path.name} line {line}{field_text}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            shown = "\n  ".join(self.items[:20])
            more = f"\n  … and {len(self.items) - 20} more" if len(self.items) > 20 else ""
            raise CostError(f"{self.path}: {len(self.items)} problem(s) in the cost model:\n  {shown}{more}")


def _unknown_keys(record: Mapping[str, Any], kind: str, problems: _Problems) -> None:
    for key in record:
        if key not in ("__line__", "__lines__") and key not in _KEYS[kind]:
            hint = suggest(str(key), _KEYS[kind])
            problems.add(record, key, f"unknown key {key!r}.{hint} Allowed here: {', '.join(_KEYS[kind])}.")


def _text(record: Mapping[str, Any], key: str, problems: _Problems, *, required: bool, what: str) -> str | None:
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(record, key if key in record else None, f"'{key}' is missing: give {what}.")
        return None
    if isinstance(value, dict | list):
        problems.add(record, key, f"'{key}' must be text ({what}), not a {type(value).__name__}.")
        return None
    return str(value).strip()


def _amount(record: Mapping[str, Any], key: str, problems: _Problems, *, required: bool) -> Decimal | None:
    if key not in record or record[key] is None:
        if required:
            problems.add(record, key if key in record else None, f"'{key}' is missing: give the cost in pounds a year.")
        return None
    value = record[key]
    amount = _money(value)
    if amount is None:
        problems.add(
            record,
            key,
            f"{value!r} is not an amount of money. Write pounds as a plain number with at most 2 decimal places, "
            "without '£' or thousands separators (e.g. 11631409 or 1250.50).",
        )
        return None
    if amount < 0:
        problems.add(record, key, f"{value!r} is negative; costs must be zero or more (record savings elsewhere).")
        return None
    return amount


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
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_Loader)
    except yaml.YAMLError as error:
        raise CostError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise CostError(f"{path}: expected a mapping with 'sectors' (a list of sectors, each with 'lines').")
    problems = _Problems(path)
    _unknown_keys(data, "top", problems)
    currency = _text(data, "currency", problems, required=False, what="the currency") or "GBP"
    if currency != "GBP":
        problems.add(data, "currency", f"currency {currency!r} is not supported; amounts must be in pounds (GBP).")
    sectors = data.get("sectors")
    if not isinstance(sectors, list) or not sectors:
        problems.add(data, "sectors" if "sectors" in data else None, "'sectors' must be a non-empty list of sectors.")
        problems.raise_if_any()
    rows: list[dict[str, Any]] = []
    subtotals: dict[str, float] = {}
    seen: dict[str, int] = {}
    grand_pence = 0
    complete = True
    for index, sector in enumerate(sectors):
        if not isinstance(sector, dict):
            problems.items.append(f"{path.name}: sectors[{index}] must be a mapping with 'sector' and 'lines'.")
            continue
        _unknown_keys(sector, "sector", problems)
        name = _text(sector, "sector", problems, required=True, what="the sector's name, e.g. 'Health/NHS'")
        if name is not None and name in seen:
            problems.add(sector, "sector", f"sector {name!r} is already defined at line {seen[name]}; merge them.")
        elif name is not None:
            seen[name] = sector["__line__"]
        lines = sector.get("lines")
        if not isinstance(lines, list) or not lines:
            problems.add(sector, "lines" if "lines" in sector else None, "a sector needs a non-empty list of 'lines'.")
            lines = []
        sector_pence = 0
        sector_complete = True
        for line_index, line in enumerate(lines):
            if not isinstance(line, dict):
                problems.add(sector, "lines", f"lines[{line_index}] must be a mapping with line, annual_cost, ….")
                sector_complete = False
                continue
            _unknown_keys(line, "line", problems)
            label = _text(line, "line", problems, required=True, what="a short name for the cost")
            sub_line = _text(line, "sub_line", problems, required=False, what="a sub-heading")
            amount = _amount(line, "annual_cost", problems, required=True)
            cost_type = _text(line, "cost_type", problems, required=True, what=f"one of {', '.join(COST_TYPES)}")
            if cost_type is not None and cost_type not in COST_TYPES:
                hint = suggest(cost_type, COST_TYPES)
                problems.add(
                    line, "cost_type", f"unknown cost type {cost_type!r}.{hint} Use one of {', '.join(COST_TYPES)}."
                )
            source = _text(line, "source", problems, required=True, what="where the figure comes from")
            if amount is not None:
                sector_pence += int(amount.scaleb(2))
            else:
                sector_complete = False
            rows.append(
                {
                    "sector": name,
                    "line": label,
                    "sub_line": sub_line,
                    "annual_cost": float(amount) if amount is not None else np.nan,
                    "cost_type": cost_type,
                    "source": source,
                    "line_number": line["__line__"],
                }
            )
        grand_pence += sector_pence
        complete = complete and sector_complete
        declared = _amount(sector, "subtotal", problems, required=False)
        if declared is not None and name is not None:
            subtotals[name] = float(declared)
        if declared is not None and sector_complete:  # a sum with a bad line in it would only repeat the problem
            _check_sum(sector, "subtotal", int(declared.scaleb(2)), sector_pence, f"the lines of {name!r}", problems)
    declared_total = _amount(data, "total", problems, required=False)
    if declared_total is not None and complete:
        _check_sum(data, "total", int(declared_total.scaleb(2)), grand_pence, "the sectors", problems)
    problems.raise_if_any()
    frame = pd.DataFrame(rows, columns=list(LINE_COLUMNS))
    frame["annual_cost"] = frame["annual_cost"].astype(float)
    frame["line_number"] = frame["line_number"].astype(int)
    price_year = data.get("price_year")
    return CostModel(
        lines=frame,
        total=float(declared_total) if declared_total is not None else None,
        subtotals=subtotals,
        name=str(data.get("name") or path.stem),
        currency=currency,
        price_year=price_year if isinstance(price_year, int | str) else None,
        path=path,
    )


def _check_sum(record: Mapping[str, Any], key: str, declared: int, actual: int, what: str, problems: _Problems) -> None:
    if declared != actual:
        problems.add(
            record,
            key,
            f"declared {key} {format_gbp(_pounds(declared), pence=declared % 100 != 0)} does not equal the sum of "
            f"{what}, {format_gbp(_pounds(actual), pence=actual % 100 != 0)} (difference "
            f"{format_gbp(_pounds(declared - actual), pence=(declared - actual) % 100 != 0)}). "
            f"Correct the {key} or the lines.",
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
    lines = model.lines.assign(pence=[_pence(v) for v in model.lines["annual_cost"]])
    order = list(dict.fromkeys(lines["sector"]))
    types = [t for t in COST_TYPES if t in set(lines["cost_type"])]
    pivot = lines.pivot_table(index="sector", columns="cost_type", values="pence", aggfunc="sum", fill_value=0)
    pivot = pivot.reindex(index=order, columns=types, fill_value=0)
    pivot["annual_cost"] = pivot[types].sum(axis=1)
    grand = int(pivot["annual_cost"].sum())
    if total_row:
        pivot.loc["Total"] = pivot.sum(axis=0)
    out = pivot.map(_pounds).astype(float)
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


# ---------------------------------------------------------------------------------------------------- scenarios


def discount_factors(years: int, rate: float = GREEN_BOOK_RATE, *, first_year_discounted: bool = False) -> np.ndarray:
    """Discount factors for ``years`` annual amounts.

    Green Book convention (default): the first year is year 0 with factor 1, year *t* has :math:`1/(1+r)^t`.
    With ``first_year_discounted=True`` the years run 1…N (the first amount is discounted once).

    Examples
    --------
    >>> discount_factors(3).round(6).tolist()
    [1.0, 0.966184, 0.933511]
    >>> discount_factors(2, first_year_discounted=True).round(6).tolist()
    [0.966184, 0.933511]
    """
    if isinstance(years, bool) or not isinstance(years, int | np.integer) or years < 1:
        raise CostError(f"years must be a whole number of years, 1 or more; got {years!r}.")
    if isinstance(rate, bool) or not isinstance(rate, Real) or not 0 <= rate < 1:
        raise CostError(f"discount rate must be a fraction from 0 to 1 (the Green Book's 3.5% is 0.035); got {rate!r}.")
    start = 1 if first_year_discounted else 0
    return 1 / (1 + float(rate)) ** np.arange(start, start + int(years))


def present_value(
    annual: float, years: int, rate: float = GREEN_BOOK_RATE, *, first_year_discounted: bool = False
) -> float:
    """Present value of the same amount each year for ``years`` years (see :func:`discount_factors`).

    Examples
    --------
    >>> print(round(present_value(18000, 3), 2))  # 18,000 + 18,000/1.035 + 18,000/1.035**2
    52194.5
    """
    return float(annual * discount_factors(years, rate, first_year_discounted=first_year_discounted).sum())


def savings_scenarios(
    cost_per_case: float,
    scenarios: Mapping[str, float],
    *,
    low: float = 0.5,
    central: float = 1.0,
    high: float = 1.2,
    years: int = 1,
    discount_rate: float = GREEN_BOOK_RATE,
    first_year_discounted: bool = False,
) -> pd.DataFrame:
    """Annual cost avoided when people sustain change, with a low, central and high range.

    Each scenario's saving is ``people × cost_per_case × share``, where the share of a case's annual cost avoided
    by one person sustaining change is ``low``, ``central`` or ``high``. The defaults (50%, 100%, 120%) are a
    judgement, not evidence: 50% allows for costs that continue (e.g. long-term conditions, benefits paid for
    other reasons); 120% allows for the case's cost being above average (those who engage with services are
    often the costliest). State the range used in any pack.

    Parameters
    ----------
    cost_per_case : float
        Annual cost per case in pounds (:func:`cost_per_case`).
    scenarios : mapping
        Scenario name → people sustaining change, e.g. ``{"3 people": 3, "30 families": 30}``.
    low, central, high : float
        Shares of the cost per case avoided per person, ``0 <= low <= central <= high``.
    years : int, default 1
        With more than one year, also give the present value of ``years`` annual savings.
    discount_rate : float, default 0.035
        HM Treasury Green Book rate.
    first_year_discounted : bool, default False
        Green Book convention (False): the first year's saving is year 0, undiscounted.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario``, ``people``, ``low``, ``central``, ``high`` (pounds a year), and when ``years > 1``
        ``low_pv``, ``central_pv``, ``high_pv`` (present value over ``years``). ``attrs`` records the settings.

    Examples
    --------
    >>> table = savings_scenarios(6000, {"3 people": 3, "30 families": 30}, years=3)
    >>> table[["scenario", "low", "central", "high"]].values.tolist()
    [['3 people', 9000.0, 18000.0, 21600.0], ['30 families', 90000.0, 180000.0, 216000.0]]
    >>> print(round(table.loc[0, "central_pv"], 2))
    52194.5
    """
    if isinstance(cost_per_case, bool) or not isinstance(cost_per_case, Real) or not cost_per_case >= 0:
        raise CostError(f"cost_per_case must be a number of pounds, 0 or more; got {cost_per_case!r}.")
    shares = {"low": low, "central": central, "high": high}
    for name, share in shares.items():
        if isinstance(share, bool) or not isinstance(share, Real) or share < 0:
            raise CostError(f"{name} must be a share of the cost avoided, 0 or more (1.0 = all of it); got {share!r}.")
    if not low <= central <= high:
        raise CostError(f"need low <= central <= high; got low={low}, central={central}, high={high}.")
    if not scenarios:
        raise CostError("give at least one scenario, e.g. {'3 people': 3}.")
    factors = discount_factors(years, discount_rate, first_year_discounted=first_year_discounted)
    rows = []
    for name, people in scenarios.items():
        if isinstance(people, bool) or not isinstance(people, Real) or people < 0:
            raise CostError(f"scenario {name!r}: the number of people must be 0 or more; got {people!r}.")
        row: dict[str, Any] = {"scenario": str(name), "people": people}
        for key, share in shares.items():
            row[key] = float(people) * float(cost_per_case) * float(share)
        rows.append(row)
    out = pd.DataFrame(rows)
    if years > 1:
        for key in shares:
            out[f"{key}_pv"] = out[key] * factors.sum()
    out.attrs.update(
        cost_per_case=float(cost_per_case),
        shares=shares,
        years=years,
        discount_rate=discount_rate,
        first_year_discounted=first_year_discounted,
    )
    return out


# ------------------------------------------------------------------------------------------------- apportionment


def apportion(total: float, drivers: pd.Series, *, step: float = 0.01) -> pd.Series:
    """Share ``total`` between areas in proportion to ``drivers``, rounded so the parts add up exactly.

    Largest-remainder (Hamilton) method in units of ``step`` (pence by default): each area gets the whole units
    of its exact share, and the units left over go one each to the areas with the largest remainders (ties to
    the larger driver, then to the earlier area).

    Parameters
    ----------
    total : float
        Amount to share (pounds), a whole number of ``step``.
    drivers : pandas.Series
        Driver by area (e.g. estimated harmful drinkers), zero or more, not all zero.
    step : float, default 0.01
        Rounding unit in pounds: 0.01 for pence, 1 for whole pounds.

    Returns
    -------
    pandas.Series
        Pounds by area (same index, name ``"apportioned"``); in units of ``step`` the parts sum exactly to the
        total.

    Examples
    --------
    >>> apportion(100, pd.Series({"A": 1, "B": 1, "C": 1})).tolist()
    [33.34, 33.33, 33.33]
    >>> apportion(10, pd.Series({"A": 1, "B": 2}), step=1).tolist()
    [3.0, 7.0]
    """
    if not isinstance(drivers, pd.Series) or drivers.empty:
        raise CostError("drivers must be a non-empty Series of driver values by area code.")
    values = pd.to_numeric(drivers, errors="coerce")
    if values.isna().any():
        label = values.index[values.isna().to_numpy()][0]
        raise CostError(f"driver for area {label!r} is {drivers[label]!r}; every driver must be a number, 0 or more.")
    if (values < 0).any():
        label = values.index[(values < 0).to_numpy()][0]
        raise CostError(f"driver for area {label!r} is negative ({values[label]:g}); drivers must be 0 or more.")
    if values.sum() <= 0:
        raise CostError("drivers are all zero, so there is nothing to share the total by.")
    step_d = Decimal(repr(float(step)))
    total_d = Decimal(repr(float(total)))
    if step_d <= 0 or total_d < 0 or (total_d / step_d) != (total_d / step_d).to_integral_value():
        raise CostError(f"total ({total}) must be 0 or more and a whole number of steps of {step}.")
    units = int(total_d / step_d)
    weights = values.to_numpy(dtype=float)
    quotas = units * weights / weights.sum()
    floors = np.floor(quotas).astype(np.int64)
    left = units - int(floors.sum())
    remainders = quotas - floors
    order = np.lexsort((np.arange(len(weights)), -weights, -remainders))
    floors[order[: max(left, 0)]] += 1
    out = pd.Series([float(Decimal(int(u)) * step_d) for u in floors], index=drivers.index, name="apportioned")
    out.attrs["method"] = f"largest remainder in steps of {step}"
    return out


# --------------------------------------------------------------------------------------------------- presentation


def format_gbp(value: float, *, pence: bool = False) -> str:
    """Pounds in UK style: ``£33,550,763``; negative as ``-£1,234``; rounded half up.

    Examples
    --------
    >>> format_gbp(33550763), format_gbp(-1234.5), format_gbp(5935.04), format_gbp(12.5, pence=True)
    ('£33,550,763', '-£1,235', '£5,935', '£12.50')
    >>> format_gbp(float("nan"))
    ''
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise CostError(f"format_gbp needs a number of pounds; got {value!r}.")
    if not np.isfinite(value):
        return ""
    places = 2 if pence else 0
    amount = round_half_up(float(value), places)
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.{places}f}"


def scenario_table(scenarios: pd.DataFrame, *, nearest: float | None = None) -> pd.DataFrame:
    """Savings scenarios as strings for a pack: ``£18,000``, optionally rounded to the ``nearest`` pounds.

    Parameters
    ----------
    scenarios : pandas.DataFrame
        From :func:`savings_scenarios`.
    nearest : float, optional
        Round money half up to this (e.g. 1000 for "about £18,000").

    Returns
    -------
    pandas.DataFrame
        Columns ``Scenario``, ``People``, ``Low``, ``Central``, ``High`` and, if present, ``Low (PV)``,
        ``Central (PV)``, ``High (PV)``.

    Examples
    --------
    >>> table = scenario_table(savings_scenarios(5935.04, {"3 people": 3}), nearest=1000)
    >>> table.values.tolist()
    [['3 people', '3', '£9,000', '£18,000', '£21,000']]
    """
    required = ["scenario", "people", "low", "central", "high"]
    missing = [c for c in required if c not in scenarios.columns]
    if missing:
        raise CostError(f"scenario table is missing columns {missing}; pass the result of savings_scenarios.")

    def money(value: float) -> str:
        return format_gbp(round_to(value, nearest) if nearest else value)

    out = pd.DataFrame({"Scenario": scenarios["scenario"].astype(str)})
    out["People"] = [f"{p:,.0f}" if float(p).is_integer() else f"{p:,}" for p in scenarios["people"]]
    for key in ("low", "central", "high"):
        out[key.capitalize()] = scenarios[key].map(money)
    for key in ("low", "central", "high"):
        if f"{key}_pv" in scenarios.columns:
            out[f"{key.capitalize()} (PV)"] = scenarios[f"{key}_pv"].map(money)
    return out


def _axis_gbp(value: float, _position: float) -> str:
    if abs(value) >= 1_000_000:
        millions = f"{abs(value) / 1_000_000:,.2f}".rstrip("0").rstrip(".")
        return f"{'-' if value < 0 else ''}£{millions}m"
    return format_gbp(value)


def cost_chart(model: CostModel, *, title: str | None = None) -> Figure:
    """Stacked bar chart of annual cost by sector, stacked by cost type, with a £ axis.

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
