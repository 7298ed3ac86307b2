"""The cost model YAML as pydantic models, and every problem in it as one message naming the file, line and field.

:class:`CostModelFile` is the file (see ``pipelines/demo_costs.yaml``), :class:`CostSector` one of its sectors and
:class:`CostLine` one line of annual cost, with its source and price year. :class:`FamilyCost` says what a family
costs when a scenario counts families (parents in need per family, and costs per family such as children's
services), and :class:`Savings` the low, central and high shares of a case's cost that sustained change avoids,
each at most 1 (all of it). Each model checks its own keys and values: unknown keys are refused with a "Did you
mean" hint, text must be text, amounts must be pounds (zero or more, at most 2 decimal places) and cost types one of
:data:`COST_TYPES`. Checks that span lines — a sector named twice, a declared subtotal or total that is not the sum
of its lines to the penny, a line without a price year, savings shares out of order — are :func:`cross_check`,
run once the file is otherwise valid.

:func:`validate_cost_file` runs both and raises one :class:`~circles.costs.money.CostError` listing every problem
as ``costs.yaml line 12, field 'annual_cost': ...``, the line coming from :func:`circles.validation.read_yaml`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from circles.costs.money import CostError, as_money, format_gbp, to_pounds
from circles.validation import KeyLines, line_for, suggest

__all__ = [
    "COST_TYPES",
    "NOT_STATED",
    "DEFAULT_SHARES",
    "CostLine",
    "CostSector",
    "FamilyCost",
    "SavingShare",
    "Savings",
    "CostModelFile",
    "validate_cost_file",
    "cross_check",
]

#: Kinds of cost (New Economy / GMCA Unit Cost Database).
COST_TYPES: tuple[str, ...] = ("fiscal", "economic", "social")

#: The price year of a source that does not give one (said, so that the pack can say it too).
NOT_STATED = "not stated"

#: The shares of a case's annual cost avoided when the cost model gives no ``savings`` (a judgement: see
#: :class:`Savings`).
DEFAULT_SHARES: dict[str, float] = {"low": 0.5, "central": 0.75, "high": 1.0}

#: Problems shown in full in one message; the rest are counted.
MAX_SHOWN = 20

#: A problem: the key path it is about (as in :func:`circles.validation.key_lines`) and what is wrong.
Problem = tuple[tuple[Any, ...], str]


def _required(what: str) -> Any:
    """A key the file must give: absent, null or blank is reported by the field's validator ("... is missing")."""
    return Field(default=None, validate_default=True, description=what)


def _text(value: Any, key: str, what: str, *, required: bool) -> str | None:
    """Text, stripped (a number is taken as written); blank counts as missing."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"'{key}' is missing: give {what}.")
        return None
    if isinstance(value, dict | list):
        raise ValueError(f"'{key}' must be text ({what}), not a {type(value).__name__}.")
    return str(value).strip()


def _amount(value: Any, key: str, what: str, *, required: bool) -> Decimal | None:
    """Pounds: a plain number, zero or more, with at most 2 decimal places."""
    if value is None:
        if required:
            raise ValueError(f"'{key}' is missing: give {what}.")
        return None
    amount = as_money(value)
    if amount is None:
        raise ValueError(
            f"{value!r} is not an amount of money. Write pounds as a plain number with at most 2 decimal places, "
            "without '£' or thousands separators (e.g. 11631409 or 1250.50)."
        )
    if amount < 0:
        raise ValueError(f"{value!r} is negative; costs must be zero or more (record savings elsewhere).")
    return amount


def _price_year(value: Any, key: str) -> str | None:
    """A price year as text: ``2010``, ``"2010/11"`` or ``"not stated"``; blank is ``None`` (inherited)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or isinstance(value, dict | list | float):
        raise ValueError(
            f"'{key}' must be a year such as 2010 or '2010/11' (or '{NOT_STATED}' if the source does not say); "
            f"got {value!r}."
        )
    if isinstance(value, int) and not 1900 <= value <= 2100:
        raise ValueError(f"'{key}' {value} is not a year; give the year whose prices the amounts are in.")
    return str(value).strip()


def _share(value: Any, key: str) -> float:
    """A share of a cost, from 0 to 1 (1 = all of it): more than all of a cost cannot be avoided."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ValueError(f"'{key}' must be a share of the cost avoided, from 0 to 1 (0.5 = half); got {value!r}.")
    if value < 0:
        raise ValueError(f"'{key}' {value} is negative; a share of the cost avoided is from 0 to 1.")
    if value > 1:
        raise ValueError(
            f"a {key} of {value:g} avoids {value:.0%} of the cost, more than the whole cost it avoids: a saving cannot "
            "exceed the cost it avoids. Give a share from 0 to 1 (1 = all of a case's annual cost)."
        )
    return float(value)


def _non_empty_list(value: Any, message: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise ValueError(message)
    return value


class _Record(BaseModel):
    """A mapping of the cost model file: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    #: What an item of a list that is not a mapping is told, after e.g. ``lines[1]``.
    not_a_mapping: ClassVar[str] = "must be a mapping."

    @classmethod
    def _what(cls, info: ValidationInfo) -> str:
        """What the field holds, as a missing-key message asks for it (the field's description)."""
        assert info.field_name is not None
        return cls.model_fields[info.field_name].description or info.field_name


class CostLine(_Record):
    """One line of annual cost: ``line``, ``sub_line`` (optional), ``annual_cost``, ``cost_type``, ``source`` and
    ``price_year`` (optional: the file's ``price_year`` when not given)."""

    not_a_mapping: ClassVar[str] = "must be a mapping with line, annual_cost, …."

    line: str = _required("a short name for the cost")
    sub_line: str | None = Field(default=None, description="a sub-heading")
    annual_cost: Decimal = _required("the cost in pounds a year")
    cost_type: str = _required(f"one of {', '.join(COST_TYPES)}")
    source: str = _required("where the figure comes from")
    price_year: str | None = Field(default=None, description="the year whose prices the amount is in")

    @field_validator("price_year", mode="before")
    @classmethod
    def _year(cls, value: Any, info: ValidationInfo) -> str | None:
        return _price_year(value, str(info.field_name))

    @field_validator("line", "cost_type", "source", mode="before")
    @classmethod
    def _required_text(cls, value: Any, info: ValidationInfo) -> str | None:
        return _text(value, str(info.field_name), cls._what(info), required=True)

    @field_validator("sub_line", mode="before")
    @classmethod
    def _optional_text(cls, value: Any, info: ValidationInfo) -> str | None:
        return _text(value, str(info.field_name), cls._what(info), required=False)

    @field_validator("annual_cost", mode="before")
    @classmethod
    def _pounds(cls, value: Any, info: ValidationInfo) -> Decimal | None:
        return _amount(value, str(info.field_name), cls._what(info), required=True)

    @field_validator("cost_type")
    @classmethod
    def _known_cost_type(cls, value: str) -> str:
        if value not in COST_TYPES:
            hint = suggest(value, COST_TYPES)
            raise ValueError(f"unknown cost type {value!r}.{hint} Use one of {', '.join(COST_TYPES)}.")
        return value


class CostSector(_Record):
    """A sector (``Health/NHS``) with its ``lines`` and an optional declared ``subtotal``."""

    not_a_mapping: ClassVar[str] = "must be a mapping with 'sector' and 'lines'."

    sector: str = _required("the sector's name, e.g. 'Health/NHS'")
    subtotal: Decimal | None = Field(default=None, description="the sum of the sector's lines, in pounds (checked)")
    lines: list[CostLine] = Field(default=None, validate_default=True, description="the sector's lines of cost")

    @field_validator("sector", mode="before")
    @classmethod
    def _required_text(cls, value: Any, info: ValidationInfo) -> str | None:
        return _text(value, str(info.field_name), cls._what(info), required=True)

    @field_validator("subtotal", mode="before")
    @classmethod
    def _pounds(cls, value: Any, info: ValidationInfo) -> Decimal | None:
        return _amount(value, str(info.field_name), cls._what(info), required=False)

    @field_validator("lines", mode="before")
    @classmethod
    def _some_lines(cls, value: Any) -> list[Any]:
        return _non_empty_list(value, "a sector needs a non-empty list of 'lines'.")


class FamilyCost(_Record):
    """What one family costs a year, for scenarios that count families rather than people.

    A family's cost is ``adults_per_family`` × the cost per case (a person in need, e.g. a harmful drinker) plus
    the ``lines`` of cost per family (e.g. children's social care), each with its source and price year.
    """

    not_a_mapping: ClassVar[str] = "must be a mapping with adults_per_family, adults_source and lines."

    description: str | None = Field(default=None, description="what a family is here")
    adults_per_family: float = _required("the number of people in need (cases) in a family, e.g. 1.3 parents")
    adults_source: str = _required("where the number of people in need per family comes from")
    lines: list[CostLine] = Field(default_factory=list, description="costs per family a year, beyond its adults'")

    @field_validator("description", mode="before")
    @classmethod
    def _optional_text(cls, value: Any, info: ValidationInfo) -> str | None:
        return _text(value, str(info.field_name), cls._what(info), required=False)

    @field_validator("adults_source", mode="before")
    @classmethod
    def _required_text(cls, value: Any, info: ValidationInfo) -> str | None:
        return _text(value, str(info.field_name), cls._what(info), required=True)

    @field_validator("adults_per_family", mode="before")
    @classmethod
    def _adults(cls, value: Any, info: ValidationInfo) -> float:
        if value is None:
            raise ValueError(f"'{info.field_name}' is missing: give {cls._what(info)}.")
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(
                f"'{info.field_name}' must be a number of people more than 0 (e.g. 1 or 1.3); got {value!r}."
            )
        return float(value)

    @field_validator("lines", mode="before")
    @classmethod
    def _list(cls, value: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("'lines' must be a list of costs per family (or left out).")
        return value


class SavingShare(_Record):
    """One savings scenario's ``share`` of the annual cost of a case (or family) avoided, and what it ``avoids``."""

    not_a_mapping: ClassVar[str] = "must be a share (0 to 1) or a mapping with 'share' and 'avoids'."

    share: float = _required("the share of a case's annual cost avoided, from 0 to 1")
    avoids: str | None = Field(default=None, description="what the saving avoids, in words")

    @field_validator("share", mode="before")
    @classmethod
    def _share(cls, value: Any, info: ValidationInfo) -> float:
        if value is None:
            raise ValueError(f"'{info.field_name}' is missing: give {cls._what(info)}.")
        return _share(value, str(info.field_name))

    @field_validator("avoids", mode="before")
    @classmethod
    def _optional_text(cls, value: Any, info: ValidationInfo) -> str | None:
        return _text(value, str(info.field_name), cls._what(info), required=False)


class Savings(_Record):
    """The low, central and high shares of a case's annual cost that one case sustaining change avoids.

    Each share is at most 1: a case (or family) that stops needing services can avoid at most the whole of its
    own annual cost, so a "high" saving above it is an error, not an optimistic scenario. ``low <= central <=
    high`` is checked by :func:`cross_check`.
    """

    not_a_mapping: ClassVar[str] = "must be a mapping with low, central and high."

    low: SavingShare = Field(default=None, validate_default=True, description="the low share")
    central: SavingShare = Field(default=None, validate_default=True, description="the central share")
    high: SavingShare = Field(default=None, validate_default=True, description="the high share")

    @field_validator("low", "central", "high", mode="before")
    @classmethod
    def _number_or_mapping(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return {"share": DEFAULT_SHARES[str(info.field_name)]}
        return {"share": value} if isinstance(value, int | float) and not isinstance(value, bool) else value


class CostModelFile(_Record):
    """A cost model file: ``sectors`` of lines, with an optional name, currency, price year and declared total."""

    name: str | None = Field(default=None, description="the model's name (default: the file's name)")
    description: Any = Field(default=None, description="free text about the model")
    currency: str = Field(default="GBP", description="the currency")
    price_year: Any = Field(default=None, description="the year whose prices the amounts are in")
    total: Decimal | None = Field(default=None, description="the sum of the sectors, in pounds (checked)")
    sectors: list[CostSector] = Field(default=None, validate_default=True, description="the sectors of cost")
    family: FamilyCost | None = Field(default=None, description="what a family costs, for scenarios of families")
    savings: Savings | None = Field(default=None, description="the low, central and high shares of a cost avoided")

    @field_validator("name", mode="before")
    @classmethod
    def _name_as_text(cls, value: Any) -> str | None:
        return str(value) if value else None

    @field_validator("currency", mode="before")
    @classmethod
    def _pounds_only(cls, value: Any, info: ValidationInfo) -> str:
        currency = _text(value, str(info.field_name), cls._what(info), required=False) or "GBP"
        if currency != "GBP":
            raise ValueError(f"currency {currency!r} is not supported; amounts must be in pounds (GBP).")
        return currency

    @field_validator("price_year", mode="before")
    @classmethod
    def _year_or_label(cls, value: Any, info: ValidationInfo) -> str | None:
        return _price_year(value, str(info.field_name))

    @field_validator("total", mode="before")
    @classmethod
    def _pounds(cls, value: Any, info: ValidationInfo) -> Decimal | None:
        return _amount(value, str(info.field_name), cls._what(info), required=False)

    @field_validator("sectors", mode="before")
    @classmethod
    def _some_sectors(cls, value: Any) -> list[Any]:
        return _non_empty_list(value, "'sectors' must be a non-empty list of sectors.")


#: The model of a mapping, by the keys of its key path (list positions left out).
_RECORDS: dict[tuple[str, ...], type[_Record]] = {
    (): CostModelFile,
    ("sectors",): CostSector,
    ("sectors", "lines"): CostLine,
    ("family",): FamilyCost,
    ("family", "lines"): CostLine,
    ("savings",): Savings,
    ("savings", "low"): SavingShare,
    ("savings", "central"): SavingShare,
    ("savings", "high"): SavingShare,
}


def _record(loc: tuple[Any, ...]) -> type[_Record]:
    return _RECORDS.get(tuple(part for part in loc if isinstance(part, str)), CostModelFile)


def _problems(exc: ValidationError, lines: KeyLines) -> list[Problem]:
    """pydantic's errors as problems, in file order with each mapping's unknown keys before its other problems."""
    problems: list[Problem] = []
    unknown: dict[tuple[Any, ...], list[Problem]] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        if error["type"] in ("extra_forbidden", "invalid_key"):
            key, allowed = loc[-1], list(_record(loc[:-1]).model_fields)
            text = f"unknown key {key!r}.{suggest(str(key), allowed)} Allowed here: {', '.join(allowed)}."
            unknown.setdefault(loc[:-1], []).append(((*loc[:-1], str(key)), text))
        elif error["type"] == "model_type":
            where = f"{loc[-2]}[{loc[-1]}]" if isinstance(loc[-1], int) else f"'{loc[-1]}'"
            problems.append((loc[:-1] if isinstance(loc[-1], int) else loc, f"{where} {_record(loc).not_a_mapping}"))
        else:
            problems.append((loc, str(error["msg"]).removeprefix("Value error, ")))
    ordered: list[Problem] = []
    for problem in problems:
        line = line_for(lines, problem[0]) or 0
        due = [r for r in unknown if problem[0][: len(r)] == r or line > (line_for(lines, r) or 0)]
        for record in sorted(due, key=len):
            ordered.extend(unknown.pop(record))
        ordered.append(problem)
    return ordered + [problem for rest in unknown.values() for problem in rest]


def _sum_problem(key: str, declared: Decimal, actual: int, what: str) -> str | None:
    """The message for a declared sum (in pounds) that differs from the sum of its parts (in pence), or None."""
    pence = int(declared.scaleb(2))
    if pence == actual:
        return None

    def gbp(amount: int) -> str:
        return format_gbp(to_pounds(amount), pence=amount % 100 != 0)

    return (
        f"declared {key} {gbp(pence)} does not equal the sum of {what}, {gbp(actual)} "
        f"(difference {gbp(pence - actual)}). Correct the {key} or the lines."
    )


def cross_check(model: CostModelFile, lines: KeyLines) -> list[Problem]:
    """Problems that span lines: a sector named twice; a subtotal or total that is not the sum of its lines.

    Parameters
    ----------
    model : CostModelFile
        A file that passed its own checks.
    lines : dict
        The line of every key path (:func:`circles.validation.key_lines`).

    Returns
    -------
    list of (key path, message)
        Empty when the sums agree to the penny and every sector is named once.
    """
    problems: list[Problem] = []
    seen: dict[str, int | None] = {}
    grand = 0
    for index, sector in enumerate(model.sectors):
        if sector.sector in seen:
            text = f"sector {sector.sector!r} is already defined at line {seen[sector.sector]}; merge them."
            problems.append((("sectors", index, "sector"), text))
        else:
            seen[sector.sector] = line_for(lines, ("sectors", index))
        pence = sum(int(line.annual_cost.scaleb(2)) for line in sector.lines)
        grand += pence
        if sector.subtotal is not None:
            text = _sum_problem("subtotal", sector.subtotal, pence, f"the lines of {sector.sector!r}")
            problems += [(("sectors", index, "subtotal"), text)] if text else []
    if model.total is not None:
        text = _sum_problem("total", model.total, grand, "the sectors")
        problems += [(("total",), text)] if text else []
    return problems + _price_year_problems(model) + _savings_problems(model)


def _price_year_problems(model: CostModelFile) -> list[Problem]:
    """A line with no price year of its own when the file gives none either: its amount cannot be compared."""
    if model.price_year is not None:
        return []
    where = [("sectors", i, "lines", j) for i, s in enumerate(model.sectors) for j, _ in enumerate(s.lines)]
    where += [("family", "lines", j) for j, _ in enumerate(model.family.lines if model.family else [])]
    lines = [line for s in model.sectors for line in s.lines] + (model.family.lines if model.family else [])
    return [
        (
            loc,
            f"no price year for {line.line!r}: give 'price_year' (e.g. 2010 or '2010/11') for the file or the "
            f"line, or '{NOT_STATED}' if its source does not say, so that every £ figure can say which year's prices "
            "it is in.",
        )
        for loc, line in zip([(*w, "price_year") for w in where], lines, strict=True)
        if line.price_year is None
    ]


def _savings_problems(model: CostModelFile) -> list[Problem]:
    """The savings shares out of order (each is checked to be from 0 to 1 on its own)."""
    savings = model.savings
    if savings is None or savings.low.share <= savings.central.share <= savings.high.share:
        return []
    shares = f"low {savings.low.share:g}, central {savings.central.share:g}, high {savings.high.share:g}"
    return [(("savings",), f"the shares must be low <= central <= high; got {shares}.")]


def _message(path: Path, problems: list[Problem], lines: KeyLines) -> str:
    """``path: N problem(s) in the cost model:`` then one ``file line N, field 'key': problem`` a line."""
    items = []
    for loc, text in problems:
        known = next((loc[:end] for end in range(len(loc), 0, -1) if loc[:end] in lines), ())
        if loc and loc[-1] == "price_year" and loc not in lines:
            known = loc  # a key to add: name it
        field = f", field '{known[-1]}'" if known and isinstance(known[-1], str) else ""
        items.append(f"{path.name} line {line_for(lines, loc)}{field}: {text}")
    shown = "\n  ".join(items[:MAX_SHOWN])
    more = f"\n  … and {len(items) - MAX_SHOWN} more" if len(items) > MAX_SHOWN else ""
    return f"{path}: {len(items)} problem(s) in the cost model:\n  {shown}{more}"


def validate_cost_file(data: Any, *, path: str | Path, lines: KeyLines) -> CostModelFile:
    """Check a cost model file read from YAML; return it as a :class:`CostModelFile`.

    Parameters
    ----------
    data : Any
        The YAML document (a mapping).
    path : path-like
        The file, for the message.
    lines : dict
        The line of every key path (from :func:`circles.validation.read_yaml`).

    Returns
    -------
    CostModelFile

    Raises
    ------
    CostError
        Listing every problem with the file name, line and field. The sums and the duplicate-sector check are
        made once every key and value is valid (a sum with a bad line in it would only repeat the problem).

    Examples
    --------
    >>> data = {"sectors": [{"sector": "Health", "subtotal": 10,
    ...     "lines": [{"line": "GP", "annual_cost": 5, "cost_type": "fiscle", "source": "s"}]}]}
    >>> lines = {(): 1, ("sectors",): 1, ("sectors", 0): 2, ("sectors", 0, "sector"): 2,
    ...     ("sectors", 0, "lines", 0): 5, ("sectors", 0, "lines", 0, "cost_type"): 7}
    >>> validate_cost_file(data, path="costs.yaml", lines=lines)
    Traceback (most recent call last):
    ...
    circles.costs.money.CostError: costs.yaml: 1 problem(s) in the cost model:
      costs.yaml line 7, field 'cost_type': unknown cost type 'fiscle'. Did you mean 'fiscal'? Use one of ...
    """
    path = Path(path)
    try:
        model = CostModelFile.model_validate(data)
    except ValidationError as exc:
        raise CostError(_message(path, _problems(exc, lines), lines)) from None
    problems = cross_check(model, lines)
    if problems:
        raise CostError(_message(path, problems, lines))
    return model
