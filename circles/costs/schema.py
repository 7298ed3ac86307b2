"""The cost model YAML as pydantic models, and every problem in it as one message naming the file, line and field.

:class:`CostModelFile` is the file (see ``pipelines/demo_costs.yaml``), :class:`CostSector` one of its sectors and
:class:`CostLine` one line of annual cost. Each model checks its own keys and values: unknown keys are refused
with a "Did you mean" hint, text must be text, amounts must be pounds (zero or more, at most 2 decimal places) and
cost types one of :data:`COST_TYPES`. Checks that span lines — a sector named twice, a declared subtotal or total
that is not the sum of its lines to the penny — are :func:`cross_check`, run once the file is otherwise valid.

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

__all__ = ["COST_TYPES", "CostLine", "CostSector", "CostModelFile", "validate_cost_file", "cross_check"]

#: Kinds of cost (New Economy / GMCA Unit Cost Database).
COST_TYPES: tuple[str, ...] = ("fiscal", "economic", "social")

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
    """One line of annual cost: ``line``, ``sub_line`` (optional), ``annual_cost``, ``cost_type`` and ``source``."""

    not_a_mapping: ClassVar[str] = "must be a mapping with line, annual_cost, …."

    line: str = _required("a short name for the cost")
    sub_line: str | None = Field(default=None, description="a sub-heading")
    annual_cost: Decimal = _required("the cost in pounds a year")
    cost_type: str = _required(f"one of {', '.join(COST_TYPES)}")
    source: str = _required("where the figure comes from")

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


class CostModelFile(_Record):
    """A cost model file: ``sectors`` of lines, with an optional name, currency, price year and declared total."""

    name: str | None = Field(default=None, description="the model's name (default: the file's name)")
    description: Any = Field(default=None, description="free text about the model")
    currency: str = Field(default="GBP", description="the currency")
    price_year: Any = Field(default=None, description="the year whose prices the amounts are in")
    total: Decimal | None = Field(default=None, description="the sum of the sectors, in pounds (checked)")
    sectors: list[CostSector] = Field(default=None, validate_default=True, description="the sectors of cost")

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
    def _year_or_label(cls, value: Any) -> int | str | None:
        return value if isinstance(value, int | str) else None

    @field_validator("total", mode="before")
    @classmethod
    def _pounds(cls, value: Any, info: ValidationInfo) -> Decimal | None:
        return _amount(value, str(info.field_name), cls._what(info), required=False)

    @field_validator("sectors", mode="before")
    @classmethod
    def _some_sectors(cls, value: Any) -> list[Any]:
        return _non_empty_list(value, "'sectors' must be a non-empty list of sectors.")


#: The model of a mapping, by the number of list positions in its key path (file, sector, line).
_RECORDS: tuple[type[_Record], ...] = (CostModelFile, CostSector, CostLine)


def _record(loc: tuple[Any, ...]) -> type[_Record]:
    return _RECORDS[sum(isinstance(part, int) for part in loc)]


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
            problems.append((loc[:-1], f"{loc[-2]}[{loc[-1]}] {_record(loc).not_a_mapping}"))
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
    return problems


def _message(path: Path, problems: list[Problem], lines: KeyLines) -> str:
    """``path: N problem(s) in the cost model:`` then one ``file line N, field 'key': problem`` a line."""
    items = []
    for loc, text in problems:
        field = f", field '{loc[-1]}'" if loc and isinstance(loc[-1], str) and loc in lines else ""
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
