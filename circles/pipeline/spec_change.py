"""The ``change:`` section of a pipeline spec: the pilot's outcomes against a comparison group, and the case for change.

Kept beside :mod:`circles.pipeline.spec` as :mod:`circles.pipeline.spec_design` is. Every mapping refuses unknown
keys; relative paths are resolved against the spec's folder when the stage reads them.

Examples
--------
>>> spec = ChangeSpec(cohort="cohort.csv", outcomes="outcomes.csv")
>>> spec.crisis_measures, spec.match_on, spec.ratio
({'ae_attendances': 'A&E attendance', 'police_incidents': 'Police incident attended'}, ['age_band', \
'deprivation', 'prior_crisis'], 3)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field, field_validator

from circles.pipeline.sources import StrictModel

__all__ = ["ChangeSpec", "MATCH_COVARIATES"]

#: What matching can balance: a cohort column, or one the stage derives (``deprivation``: the IMD 2019 score of
#: the family's LSOA from the spec's ``deprivation:`` source; ``prior_crisis``: crisis contacts a month before).
MATCH_COVARIATES = ("age_band", "deprivation", "prior_crisis", "ward_code")


class ChangeSpec(StrictModel):
    """The Change stage: outcome tracking, the matched difference-in-differences, benefits, SFOF, the register."""

    cohort: Path | list[Path] = Field(
        description="CSV (or a list of them): family_id, group (pilot|comparison), start_date, age_band, lsoa_code..."
    )
    outcomes: Path | list[Path] = Field(
        description="CSV (or a list: the planner's export and the council's crisis contacts): family_id, period "
        "(YYYY-MM), measure, value"
    )
    family_needs: Path | list[Path] | None = Field(
        None, description="CSV (or a list): the Supporting Families needs and their outcomes"
    )
    case: Path | None = Field(None, description="the case for change YAML (reason, champions, risks, register)")
    crisis_measures: dict[str, str] = Field(
        default_factory=lambda: {"ae_attendances": "A&E attendance", "police_incidents": "Police incident attended"},
        description="outcome measure -> the design.unit_costs item that prices one",
    )
    wellbeing_measure: str = "wellbeing"
    match_on: list[str] = Field(default_factory=lambda: ["age_band", "deprivation", "prior_crisis"])
    ratio: int = Field(3, ge=1, le=10, description="comparison families matched to each pilot family")
    caliper: float | None = Field(0.2, gt=0, description="× SD of the logit propensity (Austin 2011); null: none")
    before_months: int = Field(12, ge=1, le=60)
    after_months: int = Field(12, ge=1, le=60)
    bootstrap: int = Field(2000, ge=199, le=100000, description="bootstrap resamples of the families")
    level: float = Field(0.95, gt=0.5, lt=1)
    power: float = Field(0.8, gt=0.5, lt=1, description="for the minimum detectable effect")
    seed: int = 2011
    as_of: dt.date | None = Field(None, description="the date the outcomes run to (default: the last month given)")
    sustain_months: int = Field(6, ge=1, le=36, description="Supporting Families: outcome sustained after closure")

    def files(self, key: str) -> list[Path]:
        """The files given for ``cohort``, ``outcomes`` or ``family_needs``, as a list (empty when none).

        Examples
        --------
        >>> ChangeSpec(cohort="c.csv", outcomes=["a.csv", "b.csv"]).files("outcomes")
        [PosixPath('a.csv'), PosixPath('b.csv')]
        """
        given = getattr(self, key)
        return [] if given is None else list(given) if isinstance(given, list) else [given]

    @field_validator("match_on")
    @classmethod
    def _covariates(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in MATCH_COVARIATES]
        if unknown:
            raise ValueError(f"unknown covariate {unknown[0]!r}; match on any of {', '.join(MATCH_COVARIATES)}")
        if not value:
            raise ValueError("match on at least one covariate")
        return value

    @field_validator("crisis_measures")
    @classmethod
    def _measures(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("name at least one crisis measure and the unit-cost item that prices it")
        return value
