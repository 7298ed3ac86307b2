"""The Change stage's measures: the pilot against a matched comparison group, benefits realised, successful family
outcomes, the benefits register.

Modules, in data-flow order:

``outcomes``   the cohort, the outcomes a month and the family needs read and checked row by row (pandera), every
               row accepted or quarantined with its file, line, column and reason
``tracking``   outcome tracking: crisis contacts by month from the start, sustained change at 6, 12 and 18 months
``matching``   propensity scores (scikit-learn logistic regression), nearest-neighbour matching on the logit with a
               caliper, and the balance table (standardised mean differences before and after)
``effect``     per-family rates before and after, the difference-in-differences with a bootstrap interval over
               families (scipy), and the smallest effect the evaluation could detect (Bloom 1995)
``benefits``   benefits in pounds: realised (the priced difference-in-differences) against expected (the options
               appraisal), discounted (Green Book) and summed by financial quarter
``sfof``       Supporting Families successful family outcomes, per family and in aggregate, and the needs holding
               the rest back
``case``       the case for change file: reason, champions and owners (by role), risks, measures, next steps,
               benefits
``register``   the benefits register: baseline, target, owner, latest value and status of each benefit
``figures``    the crisis trend, expected against realised benefits, and the balance plot, at their printed size

Every function takes DataFrames and returns a typed result; counts in its tables are exact and say so, and the
pipeline's ``change`` stage puts them through the disclosure policy before anything is published.
"""

from circles.change.benefits import (
    BenefitsRealised,
    benefits_by_quarter,
    expected_per_family_month,
    pilot_family_months,
)
from circles.change.case import MEASURES, Benefit, CaseForChange, read_case
from circles.change.effect import (
    DetectableEffect,
    DiDResult,
    difference_in_differences,
    family_rates,
    minimum_detectable_effect,
)
from circles.change.matching import MatchResult, balance_table, propensity_match
from circles.change.outcomes import ChangeTable, keep_cohort_families, read_cohort, read_family_needs, read_outcomes
from circles.change.register import benefit_status, benefits_register
from circles.change.sfof import STATUSES, FamilyOutcomes, successful_family_outcomes
from circles.change.tracking import monthly_rates, relative_months, sustained_change

__all__ = [
    "BenefitsRealised",
    "benefits_by_quarter",
    "expected_per_family_month",
    "pilot_family_months",
    "MEASURES",
    "Benefit",
    "CaseForChange",
    "read_case",
    "DetectableEffect",
    "DiDResult",
    "difference_in_differences",
    "family_rates",
    "minimum_detectable_effect",
    "MatchResult",
    "balance_table",
    "propensity_match",
    "ChangeTable",
    "keep_cohort_families",
    "read_cohort",
    "read_family_needs",
    "read_outcomes",
    "benefit_status",
    "benefits_register",
    "STATUSES",
    "FamilyOutcomes",
    "successful_family_outcomes",
    "monthly_rates",
    "relative_months",
    "sustained_change",
]
