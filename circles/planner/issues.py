"""The plain-language family issues: one code for a planner issue, a workshop need and a reported outcome.

Each issue (``"Out of work for a while"``) names the codebook needs it is (``NEE07``), the HSDS taxonomy terms of
the services that help with it, and the Supporting Families Outcome Framework (2022–25) headline outcome a council
reports it under. The embedded list is ``pipelines/family_issues.yaml``; a council edits its own copy.

References
----------
Department for Levelling Up, Housing and Communities (2022). *Supporting Families 2022–25: Programme Guidance*,
chapter 3 and annex: the National Supporting Families Outcome Framework's ten headline outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from circles.errors import PlannerError
from circles.resources import packaged

__all__ = ["FamilyIssue", "FamilyIssues", "read_family_issues", "default_family_issues"]


class _Issue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    label: str = Field(min_length=3, max_length=120)
    outcome: str
    needs: list[str] = []
    taxonomy: list[str] = []


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    codebook: str | None = None
    outcomes: dict[str, str]
    wellbeing_areas: list[str] = Field(min_length=1)
    issues: list[_Issue] = Field(min_length=1)

    @field_validator("wellbeing_areas")
    @classmethod
    def _areas(cls, areas: list[str]) -> list[str]:
        if len(set(areas)) != len(areas):
            raise ValueError("a wellbeing area is listed twice")
        return areas


@dataclass(frozen=True)
class FamilyIssue:
    """One plain-language issue: its code, label, headline outcome, codebook needs and taxonomy terms."""

    code: str
    label: str
    outcome: str
    outcome_label: str
    needs: tuple[str, ...]
    taxonomy: tuple[str, ...]
    need_names: tuple[str, ...] = ()  # the codebook's name of each need (the code itself when not known)


@dataclass(frozen=True)
class FamilyIssues:
    """The issue list, the outcomes it reports under and the wellbeing areas families score.

    Examples
    --------
    >>> issues = default_family_issues()
    >>> issues.find("Out of work for a while").code, issues.find("worklessness").outcome_label
    ('worklessness', 'Financial stability')
    >>> len(issues.outcomes)
    10
    """

    name: str
    issues: tuple[FamilyIssue, ...]
    outcomes: dict[str, str]
    wellbeing_areas: tuple[str, ...]

    def find(self, code_or_label: str) -> FamilyIssue:
        """The issue with this code or label (case and surrounding spaces ignored)."""
        wanted = " ".join(str(code_or_label).split()).casefold()
        for issue in self.issues:
            if wanted in (issue.code, issue.label.casefold()):
                return issue
        raise PlannerError(
            f"No family issue {code_or_label!r}: use one of the codes {', '.join(i.code for i in self.issues)}."
        )

    def by_code(self) -> dict[str, FamilyIssue]:
        return {issue.code: issue for issue in self.issues}


def read_family_issues(path: str | Path, *, codebook_codes: set[str] | None = None) -> FamilyIssues:
    """Read and check an issue list (YAML).

    Every need must be a code of the codebook: ``codebook_codes``, else the codebook the file names (``codebook:``,
    relative to the file), whose names are then shown for the needs.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = _File.model_validate(raw)
    except OSError as exc:
        raise PlannerError(f"Cannot read the family issues {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise PlannerError(f"{path} is not valid YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PlannerError(f"{path}: {where}: {first['msg']}") from None
    names: dict[str, str] = {}
    if parsed.codebook:
        from circles.errors import CirclesError
        from circles.qualitative.codebook import read_codebook

        try:
            book = read_codebook(path.parent / parsed.codebook)
        except CirclesError as exc:
            raise PlannerError(f"{path}: codebook: {exc}") from None
        names = {code.id: code.name for code in book.codes}
        codebook_codes = set(names) if codebook_codes is None else codebook_codes
    problems = []
    seen: set[str] = set()
    for number, issue in enumerate(parsed.issues, start=1):
        where = f"{path}: issues item {number} ({issue.code})"
        if issue.code in seen:
            problems.append(f"{where}: the code is used twice")
        seen.add(issue.code)
        if issue.outcome not in parsed.outcomes:
            problems.append(f"{where}: outcome {issue.outcome!r} is not one of {', '.join(parsed.outcomes)}")
        if codebook_codes is not None:
            problems += [
                f"{where}: need {n!r} is not a code of the codebook" for n in issue.needs if n not in codebook_codes
            ]
    if problems:
        raise PlannerError("\n".join(problems))
    return FamilyIssues(
        parsed.name,
        tuple(
            FamilyIssue(
                i.code,
                i.label,
                i.outcome,
                parsed.outcomes[i.outcome],
                tuple(i.needs),
                tuple(i.taxonomy),
                tuple(names.get(n, n) for n in i.needs),
            )
            for i in parsed.issues
        ),
        dict(parsed.outcomes),
        tuple(parsed.wellbeing_areas),
    )


@cache
def default_family_issues() -> FamilyIssues:
    """The embedded issue list (``pipelines/family_issues.yaml``)."""
    return read_family_issues(packaged("pipelines") / "family_issues.yaml")
