"""The case for change file: the reason, the champions and owners, the risks, the measures, the benefits to track.

What a programme office writes down once and the case-for-change pack prints (see
``pipelines/demo_case_for_change.yaml``)::

    name: Circles of Need pilot
    option: key-worker                 # the options appraisal's option the pilot tests
    reason: >-
      Parents who drink at harmful levels ...
    champions: [{role: Director of Public Health}]
    risks: [{risk: ..., likelihood: medium, impact: high, mitigation: ..., owner: ...}]
    measures: [{measure: ..., why: ...}]
    next_steps: [...]
    benefits:                          # the benefits register
      - {id: B1, benefit: Fewer crisis contacts, measure: crisis_contacts_per_family_month,
         baseline: from the comparison group, target: 0.5, direction: down, owner: ...}

Champions and owners are named by **role**, never by a person's name: the pack is published. Each mapping refuses
unknown keys; :func:`read_case` names the file, line and key of every problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from circles.errors import SpecError
from circles.validation import line_for, read_yaml, validate_model

__all__ = [
    "MEASURES",
    "FROM_COMPARISON",
    "describe_measures",
    "crisis_contacts_named",
    "Champion",
    "Risk",
    "Measure",
    "Benefit",
    "CaseForChange",
    "read_case",
]

#: The measures a benefit can be tracked by, and what each is.
MEASURES: dict[str, str] = {
    "crisis_contacts_per_family_month": "crisis contacts a pilot family-month after the start",
    "crisis_cost_per_family_month": "cost of crisis contacts a pilot family-month after the start (pounds)",
    "wellbeing": "pilot families' mean wellbeing score (1-10), each family's latest",
    "successful_families": "families meeting the Supporting Families successful outcome rule (published count)",
    "realised_benefit_gbp": "benefit realised to date, pounds, discounted (central estimate)",
}


def crisis_contacts_named(crisis_items: Sequence[str] = ()) -> str:
    """``crisis contacts (A&E attendance, Police incident)``: the contacts named by the unit-cost items they are
    priced as, the words the register, the figures and the pack use.

    Examples
    --------
    >>> crisis_contacts_named(["A&E attendance", "Police incident"]), crisis_contacts_named()
    ('crisis contacts (A&E attendance, Police incident)', 'crisis contacts')
    """
    return f"crisis contacts ({', '.join(crisis_items)})" if crisis_items else "crisis contacts"


def describe_measures(crisis_items: Sequence[str] = ()) -> dict[str, str]:
    """What each measure is, the crisis contacts named by the unit-cost items they are priced as.

    Examples
    --------
    >>> describe_measures(["A&E attendance", "Police incident"])["crisis_contacts_per_family_month"]
    'crisis contacts (A&E attendance, Police incident) a pilot family-month after the start'
    """
    named = crisis_contacts_named(crisis_items)
    return {key: text.replace("crisis contacts", named, 1) for key, text in MEASURES.items()}


#: A baseline given as this text is taken from the comparison group: the pilot's before-start value moved by the
#: comparison group's change (what the pilot would have had without it).
FROM_COMPARISON = "from the comparison group"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Champion(_Strict):
    """A champion of the change, by role (never a person's name)."""

    role: str = Field(min_length=1)
    name: str = Field("", description="a title or body, e.g. 'Lancashire Constabulary': never a person")
    part: str = Field("", description="what they champion")


class Risk(_Strict):
    risk: str = Field(min_length=1)
    likelihood: Literal["low", "medium", "high"]
    impact: str = Field(min_length=1)
    mitigation: str = Field(min_length=1)
    owner: str = Field(min_length=1)


class Measure(_Strict):
    """A measure to watch, and why."""

    measure: str = Field(min_length=1)
    why: str = Field(min_length=1)


class Benefit(_Strict):
    """One line of the benefits register."""

    id: str = Field(min_length=1)
    benefit: str = Field(min_length=1)
    measure: Literal[tuple(MEASURES)]  # type: ignore[valid-type]
    baseline: float | Literal["from the comparison group"] | None = None
    target: float
    direction: Literal["down", "up"]
    owner: str = Field(min_length=1)


class Owner(_Strict):
    benefit: str = Field(min_length=1)
    owner: str = Field(min_length=1)


class CaseForChange(_Strict):
    """The case for change file."""

    name: str = ""
    illustrative: bool = False
    option: str | None = Field(None, description="the options appraisal's option the pilot tests")
    reason: str = ""
    champions: list[Champion] = Field(default_factory=list)
    owners: list[Owner] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    next_steps: list[str] = Field(default_factory=list)
    benefits: list[Benefit] = Field(default_factory=list)


def read_case(path: str | Path, *, options: list[str] | None = None) -> CaseForChange:
    """Read and check a case for change file.

    Parameters
    ----------
    path : path-like
    options : list of str, optional
        The options appraisal's option ids: ``option`` must be one of them.

    Raises
    ------
    SpecError
        The file cannot be read, a key is unknown or missing, a benefit id is used twice, or the option is not
        appraised; the message names the file, the line and the key.
    """
    path = Path(path)
    data, lines = read_yaml(path, "case for change file", error=SpecError)
    case = validate_model(CaseForChange, data, path=path, lines=lines, what="case for change file", error=SpecError)
    seen: set[str] = set()
    for i, benefit in enumerate(case.benefits):
        if benefit.id in seen:
            raise SpecError(f"{path}, line {line_for(lines, ('benefits', i, 'id'))}: benefit id {benefit.id!r} twice")
        seen.add(benefit.id)
    if options is not None and case.option is not None and case.option not in options:
        raise SpecError(
            f"{path}, line {line_for(lines, ('option',))}, option: {case.option!r} is not an option of the "
            f"appraisal (design.options): {', '.join(options)}"
        )
    return case
