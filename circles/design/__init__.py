"""The Design stage's measures: customer journeys, the way to planned support, and failure demand.

Modules, in data-flow order:

``journeys``        contact records checked and put in order (crisis or planned route; the ``EXACT`` policy
                    for checking by hand), per-family journeys, the commonest journeys and routes in, time
                    from crisis to planned support (Kaplan–Meier, scipy), "telling my story again"
``failure_demand``  repeats, re-referrals and crisis after planned support (Seddon), per service with Wilson
                    intervals and costed with unit costs; repeat presentations in crisis within 30/90 days

Every function takes the take-up records as a DataFrame and returns a typed result whose published tables
have been through the disclosure policy; exact per-family or per-contact tables are kept apart and say so.
"""

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
    OTHER_JOURNEYS,
    JourneyResult,
    StoryResult,
    SurvivalResult,
    contacts_in_order,
    customer_journeys,
    telling_my_story_again,
    time_to_planned_support,
)

__all__ = [
    "CRISIS_ROUTES",
    "EXACT",
    "contacts_in_order",
    "OTHER_JOURNEYS",
    "JourneyResult",
    "customer_journeys",
    "SurvivalResult",
    "time_to_planned_support",
    "StoryResult",
    "telling_my_story_again",
    "ALL_SERVICES",
    "MEASURES",
    "FailureDemandResult",
    "failure_demand",
    "RepeatResult",
    "repeat_presentations",
]
