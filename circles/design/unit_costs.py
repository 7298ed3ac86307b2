"""Unit costs for the Design stage: what one contact of each kind costs, where the figure comes from, its price year.

A unit-cost file is YAML::

    name: Demo unit costs
    illustrative: true          # say so when the figures are for a demonstration
    unit_costs:
      - item: A&E attendance
        cost: 242
        source: NHS England, National Cost Collection 2021/22 (emergency medicine, type 1)
        price_year: 2022/23
        services: [Emergency department attendance]   # the record services it costs (default: the item)

Every item needs ``cost`` (pounds, 0 or more), ``source`` and ``price_year``; all items share one price year
(convert with GDP deflators first), so the costs can be added. :func:`read_unit_costs` reads a file or the same
list given inline in the spec; :func:`unit_costs_by_service` gives the table
:func:`circles.design.failure_demand.failure_demand` costs its failure demand with.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from circles.costs.money import CostError
from circles.validation import read_yaml, validate_model

__all__ = ["UnitCostSpec", "UnitCostFile", "read_unit_costs", "unit_costs_by_service", "UNIT_COST_COLUMNS"]

#: The columns of :func:`read_unit_costs`' table.
UNIT_COST_COLUMNS = ("item", "services", "cost", "source", "price_year")


class UnitCostSpec(BaseModel):
    """One unit cost: an item (a contact of some kind), its cost in pounds, its source and price year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(min_length=1)
    cost: float = Field(ge=0, description="pounds per contact")
    source: str = Field(min_length=1, description="where the figure comes from (publication, table, year)")
    price_year: str = Field(min_length=1, description="the year whose prices the cost is in, e.g. 2022/23")
    services: list[str] = Field(default_factory=list, description="the record services it costs (default: item)")

    @field_validator("price_year", mode="before")
    @classmethod
    def _year_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @field_validator("source", "item")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class UnitCostFile(BaseModel):
    """A unit-cost YAML file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    illustrative: bool = False
    notes: str = ""
    unit_costs: list[UnitCostSpec] = Field(min_length=1)


def read_unit_costs(source: str | Path | Sequence[UnitCostSpec | dict[str, Any]]) -> pd.DataFrame:
    """The unit costs of a YAML file (or of a list given inline), checked, one row per item.

    Parameters
    ----------
    source : path or list
        A unit-cost YAML file, or a list of :class:`UnitCostSpec` (or mappings with the same keys).

    Returns
    -------
    pandas.DataFrame
        :data:`UNIT_COST_COLUMNS`; ``services`` is a tuple of record services (the item itself when none given).
        ``attrs["illustrative"]`` says whether the file marks its figures as illustrative.

    Raises
    ------
    CostError
        The file cannot be read, a key is unknown or missing, a cost is negative, an item or service is costed
        twice, or the items are in more than one price year; the message names the file, line and key.

    Examples
    --------
    >>> table = read_unit_costs([{"item": "A&E attendance", "cost": 242, "source": "NHS National Cost Collection",
    ...                           "price_year": "2022/23", "services": ["Emergency department attendance"]},
    ...                          {"item": "Police incident", "cost": 330, "source": "Home Office",
    ...                           "price_year": "2022/23"}])
    >>> table[["item", "services", "cost"]].values.tolist()
    [['A&E attendance', ('Emergency department attendance',), 242.0], ['Police incident', ('Police incident',), 330.0]]
    """
    where = "the design section's unit_costs"
    if isinstance(source, str | Path):
        path = Path(source)
        data, lines = read_yaml(path, "unit costs file", error=CostError)
        if isinstance(data, list):
            data = {"unit_costs": data}
        parsed = validate_model(UnitCostFile, data, path=path, lines=lines, what="unit costs file", error=CostError)
        items, illustrative, where = parsed.unit_costs, parsed.illustrative, str(path)
    else:
        items = [u if isinstance(u, UnitCostSpec) else UnitCostSpec.model_validate(u) for u in source]
        illustrative = False
    rows = [(u.item, tuple(u.services) or (u.item,), float(u.cost), u.source, u.price_year) for u in items]
    table = pd.DataFrame(rows, columns=list(UNIT_COST_COLUMNS))
    _check(table, where)
    table.attrs["illustrative"] = illustrative
    return table


def _check(table: pd.DataFrame, where: str) -> None:
    if table.empty:
        raise CostError(f"{where}: no unit costs; give at least one item with cost, source and price_year.")
    twice = table["item"][table["item"].duplicated()]
    if len(twice):
        raise CostError(f"{where}: unit_costs item {twice.iloc[0]!r} is given twice; keep one.")
    services = table.explode("services")["services"]
    twice = services[services.duplicated()]
    if len(twice):
        raise CostError(f"{where}: service {twice.iloc[0]!r} is costed by two unit_costs items; keep one.")
    years = sorted(table["price_year"].unique())
    if len(years) > 1:
        raise CostError(
            f"{where}: unit_costs are in more than one price_year ({', '.join(years)}): convert them to one year "
            "(HM Treasury GDP deflators) so they can be added up."
        )


def unit_costs_by_service(table: pd.DataFrame) -> pd.DataFrame:
    """One row per record service (``service``, ``cost``, ``source``, ``price_year``) from :func:`read_unit_costs`.

    The source reads ``"<item>: <source>"`` so each costed service says which item priced it.

    Examples
    --------
    >>> t = read_unit_costs([{"item": "Police incident", "cost": 330, "source": "Home Office", "price_year": 2022,
    ...                       "services": ["Domestic incident", "Concern for welfare"]}])
    >>> unit_costs_by_service(t).values.tolist()
    [['Domestic incident', 330.0, 'Police incident: Home Office', '2022'], \
['Concern for welfare', 330.0, 'Police incident: Home Office', '2022']]
    """
    out = table.explode("services").rename(columns={"services": "service"})
    out["source"] = out["item"] + ": " + out["source"]
    return out[["service", "cost", "source", "price_year"]].reset_index(drop=True)
