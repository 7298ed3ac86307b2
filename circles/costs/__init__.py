"""The scale and cost of the problem: prevalence, the cost model and scenarios.

Modules, in data-flow order:

``estimates``   prevalence estimates and treatment penetration
``period``      the period the records cover, and people in treatment a year over it (penetration's numerator)
``money``       whole pence, pounds in UK style (``format_gbp``) and ``CostError``
``schema``      the cost model YAML as pydantic models, its checks and their messages
``model``       the cost model by sector, cost per case and the chart (re-exports the cost functions)
``scenarios``   savings scenarios, discounting and apportionment
``problem``     all of it in one call from plain values (``cost_of_problem``), as the pipeline's costs stage does
"""

from circles.costs.estimates import (
    children_affected,
    prevalence,
    round_half_up,
    round_to,
    treatment_penetration,
)
from circles.costs.model import COST_TYPE_COLOURS, CostModel, cost_chart, cost_per_case, read_cost_model, sector_totals
from circles.costs.money import CostError, format_gbp
from circles.costs.period import RecordsPeriod, people_per_year, records_period
from circles.costs.problem import CostOfProblem, cost_of_problem
from circles.costs.scenarios import (
    GREEN_BOOK_RATE,
    apportion,
    discount_factors,
    present_value,
    savings_scenarios,
    scenario_table,
)
from circles.costs.schema import COST_TYPES

__all__ = [
    "round_half_up",
    "round_to",
    "prevalence",
    "children_affected",
    "treatment_penetration",
    "RecordsPeriod",
    "records_period",
    "people_per_year",
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
    "CostOfProblem",
    "cost_of_problem",
]
