"""The options appraisal: what each way of meeting the needs costs, what failure demand it avoids, its NPV.

Options are read from YAML::

    name: Demo options
    illustrative: true
    options:
      - id: key-worker
        name: A single key worker per family
        needs: [NEE04, NEE02]                    # codebook ids (or names) of the needs it meets
        cost_per_family: {low: 2500, central: 3000, high: 3600}   # pounds a family a year
        families: {low: 20, central: 30, high: 40}                # families reached a year
        setup_cost: 15000                                         # one-off, year 0 (optional)
        avoided:                                 # contacts avoided a family a year, priced with the unit costs
          - {item: A&E attendance, low: 0.2, central: 0.5, high: 1.0}

Any number may be one value or ``{low, central, high}``. Each year's net benefit is
``families × (Σ avoided contacts × unit cost − cost per family)``; the net present value (NPV) over ``years``
discounts it with the HM Treasury Green Book convention (:func:`circles.costs.scenarios.discount_factors`: year 0
undiscounted, 3.5% a year) and takes off the setup cost. ``npv_low``, ``npv_central`` and ``npv_high`` use the
low, central and high avoided contacts with every other assumption central; the **tornado** moves each assumption
from its low to its high value, the others central, widest swing first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from circles.costs.scenarios import GREEN_BOOK_RATE, discount_factors
from circles.errors import SpecError
from circles.validation import line_for, read_yaml, suggest, validate_model

__all__ = ["Range", "Avoided", "Option", "OptionsFile", "Appraisal", "read_options", "option_npv", "appraise"]

_LEVELS = ("low", "central", "high")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(_Strict):
    """A low, central and high value (one number given is all three)."""

    low: float
    central: float
    high: float

    @model_validator(mode="before")
    @classmethod
    def _one_number(cls, data: Any) -> Any:
        return {"low": data, "central": data, "high": data} if isinstance(data, int | float) else data

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low <= self.central <= self.high:
            raise ValueError("low, central and high must be in that order (low ≤ central ≤ high)")
        if self.low < 0:
            raise ValueError("must be 0 or more")
        return self


class Avoided(_Strict):
    """Contacts of one unit-cost item avoided a family a year."""

    item: str = Field(min_length=1, description="a unit-cost item (design.unit_costs)")
    low: float = Field(ge=0)
    central: float = Field(ge=0)
    high: float = Field(ge=0)

    @property
    def range(self) -> Range:
        return Range(low=self.low, central=self.central, high=self.high)


class Option(_Strict):
    """One option: the needs it meets, what it costs a family, how many it reaches, what it avoids."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = ""
    needs: list[str] = Field(min_length=1)
    cost_per_family: Range
    families: Range
    setup_cost: Range = Range(low=0, central=0, high=0)
    avoided: list[Avoided] = Field(default_factory=list)


class OptionsFile(_Strict):
    name: str = ""
    illustrative: bool = False
    notes: str = ""
    options: list[Option] = Field(min_length=1)


def read_options(
    path: str | Path, *, needs: Mapping[str, str] | None = None, items: Mapping[str, float] | None = None
) -> OptionsFile:
    """Read and check an options file; the needs and avoided items it names must be known.

    Parameters
    ----------
    path : path-like
    needs : mapping, optional
        Code id → code name of the codebook: each option's needs must be one of them (id or name); a name is
        replaced by its id.
    items : mapping, optional
        Unit-cost item → cost: each avoided item must be one of them.

    Raises
    ------
    SpecError
        The file cannot be read, a key is unknown or missing, a range is out of order, an id is used twice, or a
        need or item is unknown; the message names the file, the line and the key (``options.0.needs.1``).
    """
    path = Path(path)
    data, lines = read_yaml(path, "options file", error=SpecError)
    parsed = validate_model(OptionsFile, data, path=path, lines=lines, what="options file", error=SpecError)

    def fail(key: tuple[Any, ...], message: str) -> None:
        raise SpecError(f"{path}, line {line_for(lines, key)}, {'.'.join(map(str, key))}: {message}")

    seen: set[str] = set()
    options = []
    by_name = {name: code for code, name in (needs or {}).items()}
    for i, option in enumerate(parsed.options):
        if option.id in seen:
            fail(("options", i, "id"), f"option id {option.id!r} is used twice")
        seen.add(option.id)
        codes = []
        for j, need in enumerate(option.needs):
            if needs is not None and need not in needs and need not in by_name:
                fail(("options", i, "needs", j), f"unknown need {need!r}.{suggest(need, [*needs, *by_name])}")
            codes.append(by_name.get(need, need))
        for j, avoided in enumerate(option.avoided):
            if items is not None and avoided.item not in items:
                hint = suggest(avoided.item, items)
                fail(("options", i, "avoided", j, "item"), f"{avoided.item!r} is not a unit-cost item.{hint}")
        options.append(option.model_copy(update={"needs": codes}))
    return parsed.model_copy(update={"options": options})


def option_npv(
    option: Option,
    unit_costs: Mapping[str, float],
    *,
    years: int = 5,
    rate: float = GREEN_BOOK_RATE,
    levels: Mapping[str, str] | None = None,
) -> float:
    """The option's net present value, each assumption at its central value unless ``levels`` says otherwise.

    ``levels`` maps an assumption (``cost_per_family``, ``families``, ``setup_cost``, ``avoided:<item>``) to
    ``"low"`` or ``"high"``.

    Examples
    --------
    30 families a year at £3,000 each, each avoiding 2 A&E attendances (£250) and 1 police incident (£500) a year:
    the net benefit is 30 × (2 × 250 + 500 − 3,000) = −£60,000 a year; over 2 years, −60,000 − 60,000 / 1.035.

    >>> o = Option(id="k", name="Key worker", needs=["N"], cost_per_family=3000, families=30,
    ...            avoided=[{"item": "A&E", "low": 1, "central": 2, "high": 3},
    ...                     {"item": "Police", "low": 1, "central": 1, "high": 1}])
    >>> round(option_npv(o, {"A&E": 250, "Police": 500}, years=2), 2)
    -117971.01
    """
    levels = dict(levels or {})

    def value(name: str, r: Range) -> float:
        return getattr(r, levels.get(name, "central"))

    benefit = sum(value(f"avoided:{a.item}", a.range) * float(unit_costs[a.item]) for a in option.avoided)
    net = value("families", option.families) * (benefit - value("cost_per_family", option.cost_per_family))
    return float(net * discount_factors(years, rate).sum() - value("setup_cost", option.setup_cost))


@dataclass(frozen=True)
class Appraisal:
    """The options appraised, as :func:`appraise` returns them.

    Attributes
    ----------
    table : pandas.DataFrame
        One row an option: ``option_id``, ``option``, ``needs`` (ids joined by "; "), ``families``,
        ``cost_per_family``, ``pv_cost``, ``pv_avoided`` (central), ``npv_low``, ``npv_central``, ``npv_high``,
        ``benefit_cost_ratio`` (central PV avoided ÷ PV cost), ``years``, ``discount_rate``, ``price_year``.
    tornado : pandas.DataFrame
        ``option_id``, ``assumption`` (cost per family and families reached are a year; contacts avoided are a
        family a year), ``low``, ``high`` (its values), ``npv_low``, ``npv_high``, ``central``
        (the option's central NPV), ``swing``; widest first within each option; assumptions with no range left
        out.
    years : int
    rate : float
    """

    table: pd.DataFrame
    tornado: pd.DataFrame
    years: int
    rate: float


def _assumptions(option: Option) -> list[tuple[str, str, Range]]:
    """(key for ``levels``, label, range) of each assumption of an option."""
    out = [
        ("cost_per_family", "Cost per family", option.cost_per_family),
        ("families", "Families reached", option.families),
        ("setup_cost", "Setup cost", option.setup_cost),
    ]
    return out + [(f"avoided:{a.item}", f"{a.item} avoided", a.range) for a in option.avoided]


def _tornado(option: Option, costs: Mapping[str, float], years: int, rate: float) -> pd.DataFrame:
    central = option_npv(option, costs, years=years, rate=rate)
    rows = []
    for key, label, r in _assumptions(option):
        if r.low == r.high:
            continue
        low, high = (option_npv(option, costs, years=years, rate=rate, levels={key: lv}) for lv in ("low", "high"))
        rows.append([option.id, label, r.low, r.high, low, high, central, abs(high - low)])
    columns = ["option_id", "assumption", "low", "high", "npv_low", "npv_high", "central", "swing"]
    return pd.DataFrame(rows, columns=columns).sort_values("swing", ascending=False, kind="stable")


def appraise(
    options: OptionsFile | list[Option],
    unit_costs: pd.DataFrame,
    *,
    years: int = 5,
    rate: float = GREEN_BOOK_RATE,
) -> Appraisal:
    """NPV of each option at low, central and high avoided contacts, and the tornado of its assumptions.

    Parameters
    ----------
    options : OptionsFile or list of Option
    unit_costs : pandas.DataFrame
        :func:`circles.design.unit_costs.read_unit_costs`: ``item``, ``cost``, ``price_year``.
    years : int, default 5
    rate : float, default 0.035 (Green Book)

    Examples
    --------
    >>> costs = pd.DataFrame({"item": ["A&E"], "cost": [250.0], "price_year": ["2022/23"]})
    >>> o = Option(id="line", name="Out-of-hours line", needs=["N"], cost_per_family=100, families=50,
    ...            avoided=[{"item": "A&E", "low": 0.2, "central": 0.5, "high": 1}])
    >>> a = appraise([o], costs, years=1)
    >>> a.table[["npv_low", "npv_central", "npv_high"]].values.tolist()
    [[-2500.0, 1250.0, 7500.0]]
    """
    listed = options.options if isinstance(options, OptionsFile) else list(options)
    costs = dict(zip(unit_costs["item"], unit_costs["cost"].astype(float), strict=True))
    year = str(unit_costs["price_year"].iloc[0]) if len(unit_costs) else ""
    factor = float(discount_factors(years, rate).sum())
    rows, tornadoes = [], []
    for o in listed:
        unknown = [a.item for a in o.avoided if a.item not in costs]
        if unknown:
            raise SpecError(f"option {o.id!r}: {unknown[0]!r} is not a unit-cost item.{suggest(unknown[0], costs)}")
        npv = {lv: option_npv(o, costs, years=years, rate=rate, levels=_avoided_at(o, lv)) for lv in _LEVELS}
        pv_cost = o.families.central * o.cost_per_family.central * factor + o.setup_cost.central
        pv_avoided = o.families.central * sum(a.central * costs[a.item] for a in o.avoided) * factor
        rows.append(
            {
                "option_id": o.id,
                "option": o.name,
                "needs": "; ".join(o.needs),
                "families": o.families.central,
                "cost_per_family": o.cost_per_family.central,
                "pv_cost": pv_cost,
                "pv_avoided": pv_avoided,
                **{f"npv_{lv}": npv[lv] for lv in _LEVELS},
                "benefit_cost_ratio": pv_avoided / pv_cost if pv_cost else float("nan"),
                "years": years,
                "discount_rate": rate,
                "price_year": year,
            }
        )
        tornadoes.append(_tornado(o, costs, years, rate))
    tornado = pd.concat(tornadoes, ignore_index=True) if tornadoes else pd.DataFrame()
    return Appraisal(pd.DataFrame(rows), tornado, years, rate)


def _avoided_at(option: Option, level: str) -> dict[str, str]:
    return {f"avoided:{a.item}": level for a in option.avoided} if level != "central" else {}
