"""The ``design:`` section of a pipeline spec: customer journeys, failure demand, who is best placed, options.

Kept beside :mod:`circles.pipeline.spec` (which holds the other sections) so that each module stays short. Every
mapping refuses unknown keys, as the rest of the spec does; relative paths are resolved against the spec's
folder by :meth:`circles.pipeline.spec.PipelineSpec.resolve` when the stage reads them.

Examples
--------
>>> spec = DesignSpec()
>>> spec.story_window_days, spec.repeat_windows, spec.crisis_routes
(365, [30, 90], None)
>>> DesignSpec(best_placed={"weights": {"meets": 2, "hours": 1}}).best_placed.weights["meets"]
2.0
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from circles.design.unit_costs import UnitCostSpec
from circles.pipeline.sources import StrictModel

__all__ = ["BestPlacedSpec", "DesignSpec", "WEIGHTS"]

#: The criteria a candidate service is scored on, and their default weights (equal).
WEIGHTS: dict[str, float] = {"meets": 1.0, "hours": 1.0, "reach": 1.0, "caseload": 1.0, "duplication": 1.0}


class BestPlacedSpec(StrictModel):
    """Who is best placed to meet each need: the weights of the criteria (normalised to add up to 1)."""

    weights: dict[str, float] = Field(
        default_factory=lambda: dict(WEIGHTS),
        description="meets, hours, reach, caseload, duplication: relative weights, 0 or more; left out = 0",
    )
    reach_km: list[float] = Field(default_factory=lambda: [1.0, 2.0, 5.0], description="distance bands for reach")
    centroids: Path | None = Field(
        None, description="ONS population-weighted centroids CSV (code, x, y in metres); without it, no reach"
    )
    centroids_layer: str = Field("lsoa", description="the area layer the centroids are of")

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(WEIGHTS))
        if unknown:
            raise ValueError(f"unknown criterion {unknown[0]!r}; criteria: {', '.join(WEIGHTS)}")
        if any(w < 0 for w in value.values()):
            raise ValueError("a weight is 0 or more")
        if not any(w > 0 for w in value.values()):
            raise ValueError("give at least one criterion a weight above 0")
        return {k: float(v) for k, v in value.items()}


class DesignSpec(StrictModel):
    """The Design stage: journeys, time to planned support, telling my story again, repeats, failure demand."""

    unit_costs: Path | list[UnitCostSpec] | None = Field(
        None,
        description="a YAML file of unit costs (item, cost, source, price_year, services) or the list inline",
    )
    crisis_routes: list[str] | None = Field(
        None, description="referral routes that mean crisis (default: services.crisis_referrals)"
    )
    family_field: str = "family_id"
    service_field: str = "service"
    organisation_field: str = "provider"
    route_field: str = "referral_source"
    start_field: str = "start_date"
    end_field: str = "end_date"
    journey_steps: int = Field(3, ge=1, le=10)
    top_journeys: int = Field(20, ge=1)
    story_window_days: int = Field(365, ge=1)
    repeat_windows: list[int] = Field(default_factory=lambda: [30, 90])
    repeat_days: int = Field(30, ge=0, description="a contact this soon after the last at the same service repeats")
    rereferral_days: int = Field(365, ge=0, description="back this soon after the service closed: a re-referral")
    best_placed: BestPlacedSpec = BestPlacedSpec()
    options: Path | None = Field(None, description="a YAML file of the options to appraise")
    appraisal_years: int = Field(5, ge=1, le=60)
    discount_rate: float | None = Field(
        None, ge=0, lt=1, description="a year (default: costs.discount_rate, else the Green Book's 0.035)"
    )

    @field_validator("repeat_windows")
    @classmethod
    def _windows(cls, value: list[int]) -> list[int]:
        if not value or any(w < 1 for w in value):
            raise ValueError("give one or more windows of 1 day or more")
        return sorted(set(value))
