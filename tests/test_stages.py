from __future__ import annotations

from circles.pipeline.spec import PLANNED_STAGES, REPORT_STAGES, STAGES
from circles.pipeline.stages import STAGE_FUNCTIONS


def test_every_built_stage_has_a_function_and_no_planned_stage_does():
    assert set(STAGE_FUNCTIONS) == set(STAGES)
    assert not set(PLANNED_STAGES) & set(STAGES)
    assert not set(REPORT_STAGES) & (set(STAGES) | set(PLANNED_STAGES))
