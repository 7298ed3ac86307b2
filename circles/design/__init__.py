"""The Design stage's measures: customer journeys, the way to planned support, failure demand, who is best placed
to meet each need, and the options appraisal.

Modules, in data-flow order:

``journeys``        contact records checked and put in order (crisis or planned route; the ``EXACT`` policy
                    for checking by hand), per-family journeys, the commonest journeys and routes in, time
                    from crisis to planned support (Kaplan–Meier, scipy), "telling my story again"
``failure_demand``  repeats, re-referrals and crisis after planned support (Seddon), per service with Wilson
                    intervals and costed with unit costs; repeat presentations in crisis within 30/90 days
``unit_costs``      unit costs (item, cost, source, price year) read from YAML, and by record service
``best_placed``     per need, the candidate services scored on meeting it, hours, reach, caseload and
                    duplication with the spec's weights; reach only from real locations and centroids
``options``         options read from YAML, their net present value (Green Book discounting) at low, central
                    and high contacts avoided, and the tornado of their assumptions
``figures``         the time-to-planned-support curve and the tornado, drawn at their printed size
``sankey``          the commonest journeys as a Sankey diagram (plotly), from the published table only

Every function takes the take-up records as a DataFrame and returns a typed result whose published tables
have been through the disclosure policy; exact per-family or per-contact tables are kept apart and say so.
"""

from circles.design.best_placed import NO_SERVICE, BestPlacedResult, best_placed, normalised_weights, reach_shares
from circles.design.failure_demand import (
    ALL_SERVICES,
    MEASURES,
    FailureDemandResult,
    RepeatResult,
    failure_demand,
    repeat_presentations,
)
from circles.design.journeys import (
    CRISIS_ROUTES,
    EXACT,
    MILESTONES,
    OTHER_JOURNEYS,
    JourneyResult,
    StoryResult,
    SurvivalResult,
    contacts_in_order,
    customer_journeys,
    survival_at,
    telling_my_story_again,
    time_to_planned_support,
)
from circles.design.options import Appraisal, Option, OptionsFile, appraise, option_npv, read_options
from circles.design.sankey import journeys_sankey, sankey_links
from circles.design.unit_costs import read_unit_costs, unit_costs_by_service

__all__ = [
    "journeys_sankey",
    "sankey_links",
    "CRISIS_ROUTES",
    "EXACT",
    "contacts_in_order",
    "OTHER_JOURNEYS",
    "JourneyResult",
    "customer_journeys",
    "SurvivalResult",
    "time_to_planned_support",
    "MILESTONES",
    "survival_at",
    "StoryResult",
    "telling_my_story_again",
    "ALL_SERVICES",
    "MEASURES",
    "FailureDemandResult",
    "failure_demand",
    "RepeatResult",
    "repeat_presentations",
    "read_unit_costs",
    "unit_costs_by_service",
    "NO_SERVICE",
    "BestPlacedResult",
    "best_placed",
    "normalised_weights",
    "reach_shares",
    "Option",
    "OptionsFile",
    "Appraisal",
    "read_options",
    "option_npv",
    "appraise",
]
