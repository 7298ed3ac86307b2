"""The scale and cost of the problem: prevalence, the cost model and scenarios.

Modules, in data-flow order:

``estimates``   prevalence estimates and treatment penetration
``model``       the cost model by sector, scenarios and discounting
"""

from circles.costs.estimates import (
    children_affected,
    prevalence,
    round_half_up,
    round_to,
    treatment_penetration,
)
from circles.costs.model import (
    COST_TYPE_COLOURS,
    COST_TYPES,
    GREEN_BOOK_RATE,
    CostError,
    CostModel,
    apportion,
    cost_chart,
    cost_per_case,
    discount_factors,
    format_gbp,
    present_value,
    read_cost_model,
    savings_scenarios,
    scenario_table,
    sector_totals,
)

__all__ = [
    "round_half_up",
    "round_to",
    "prevalence",
    "children_affected",
    "treatment_penetration",
    "CostError",
    "CostModel",
    "COST_TYPES",
    "COST_TYPE_COLOURS",
    "GREEN_BOOK_RATE",
    "read_cost_model",
    "sector_totals",
    "cost_per_case",
    "discount_factors",
    "present_value",
    "savings_scenarios",
    "apportion",
    "format_gbp",
    "scenario_table",
    "cost_chart",
]
