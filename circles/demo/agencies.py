"""The case study's time window, volumes and agencies: what each synthetic extract offers and how it ends.

Days are counted from 2009-04-01 (day 0) to 2011-03-31 (day 729), two financial years. Volumes are those of
the case study, per financial year. Used by :mod:`circles.demo.take_up` and by the README the demo writes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_DAY0 = np.datetime64("2009-04-01", "D")


def _day(iso: str) -> int:
    """Days from 2009-04-01 to an ISO date."""
    return int((np.datetime64(iso, "D") - _DAY0) // np.timedelta64(1, "D"))


_LAST_DAY = _day("2011-03-31")
#: (label, first day, last day) of each financial year, in days from 2009-04-01
_YEARS: tuple[tuple[str, int, int], ...] = (
    ("2009/10", 0, _day("2010-03-31")),
    ("2010/11", _day("2010-04-01"), _LAST_DAY),
)

# Volumes from the case study, per financial year.
_ALCOHOL_ADULTS_PER_YEAR = 628
_CHILDREN_ENGAGED_PER_YEAR = 103
_RETURNING_SHARE = 0.2  # share of a year's treatment adults who were also in treatment the year before

_ADULT_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
_CHILD_BANDS = ("0-4", "5-9", "10-15", "16-17")
_INDEX_BAND_WEIGHTS = (0.07, 0.24, 0.32, 0.24, 0.10, 0.03)
_HAS_CHILDREN_BY_BAND = (0.45, 0.70, 0.75, 0.50, 0.10, 0.0)
#: child age band weights (rows) given the parent's adult band (same order as _ADULT_BANDS)
_CHILD_BAND_WEIGHTS = np.array(
    [
        [0.80, 0.20, 0.00, 0.00],
        [0.40, 0.35, 0.20, 0.05],
        [0.15, 0.30, 0.40, 0.15],
        [0.02, 0.13, 0.50, 0.35],
        [0.00, 0.00, 0.40, 0.60],
        [0.00, 0.00, 0.40, 0.60],
    ]
)
_N_GP_PRACTICES = 24


@dataclass(frozen=True)
class _Agency:
    """One agency's extract: what it offers, who refers, how episodes end.

    ``offers`` are ``(service, provider, weight)``; ``outcomes`` are ``(outcome, weight, mean days from start
    to end)``, 0 meaning a same-day contact; ``wait_days`` is the mean wait from referral to start.
    """

    key: str
    title: str
    offers: tuple[tuple[str, str, float], ...]
    sources: tuple[tuple[str, float], ...]
    outcomes: tuple[tuple[str, float, float], ...]
    wait_days: float


_AGENCIES: tuple[_Agency, ...] = (
    _Agency(
        "specialist_alcohol",
        "specialist alcohol treatment commissioned by the trust (adults)",
        (
            ("Specialist alcohol treatment", "Lifeline", 0.35),
            ("Specialist alcohol treatment", "Greater Manchester West", 0.30),
            ("Specialist alcohol treatment", "Evolve – Inward House", 0.20),
            ("Specialist alcohol treatment", "VOICE", 0.15),
        ),
        (
            ("GP", 0.28),
            ("Self", 0.24),
            ("A&E", 0.10),
            ("Social care", 0.10),
            ("Drug and Alcohol Team", 0.09),
            ("Police", 0.06),
            ("Family Intervention Programme", 0.05),
            ("Health Outreach Team", 0.04),
            ("Criminal justice", 0.04),
        ),
        (
            ("Completed", 0.48, 120),
            ("Dropped out", 0.30, 40),
            ("Transferred", 0.12, 60),
            ("Referred on", 0.10, 30),
        ),
        14,
    ),
    _Agency(
        "children_young_people",
        "children's and young people's services: support for children affected by parental alcohol use",
        (
            ("Support for children affected by parental alcohol use", "Young People's Service", 0.6),
            ("Think Family advocacy", "Think Family advocates", 0.4),
        ),
        (
            ("Specialist alcohol service", 0.30),
            ("School", 0.22),
            ("Social care", 0.20),
            ("Self/family", 0.12),
            ("Family Intervention Programme", 0.10),
            ("School nurse", 0.06),
        ),
        (
            ("Completed", 0.50, 150),
            ("Dropped out", 0.20, 60),
            ("Transferred", 0.15, 90),
            ("Referred on", 0.15, 45),
        ),
        10,
    ),
    _Agency(
        "family_intervention",
        "Family Intervention Programme (Action for Children): whole families, one row per family member",
        (("Family Intervention Programme", "Action for Children", 1.0),),
        (
            ("Social care", 0.35),
            ("Community Safety Team", 0.20),
            ("Police", 0.15),
            ("Housing", 0.15),
            ("School", 0.15),
        ),
        (("Completed", 0.55, 240), ("Dropped out", 0.25, 90), ("Transferred", 0.20, 120)),
        7,
    ),
    _Agency(
        "community_safety",
        "Community Safety Team casework",
        (
            ("Anti-social behaviour casework", "Community Safety Team", 0.7),
            ("Alcohol-related disorder intervention", "Community Safety Team", 0.3),
        ),
        (("Police", 0.60), ("Housing", 0.20), ("Neighbour complaint", 0.15), ("Self", 0.05)),
        (
            ("Acceptable behaviour contract", 0.30, 90),
            ("Warning letter", 0.25, 14),
            ("Referred to Family Intervention Programme", 0.15, 30),
            ("Closed – no further incidents", 0.30, 60),
        ),
        5,
    ),
    _Agency(
        "police",
        "incidents attended by Lancashire Constabulary",
        (
            ("Domestic incident", "Lancashire Constabulary", 0.35),
            ("Alcohol-related disorder", "Lancashire Constabulary", 0.30),
            ("Concern for welfare", "Lancashire Constabulary", 0.20),
            ("Anti-social behaviour", "Lancashire Constabulary", 0.10),
            ("Drink driving", "Lancashire Constabulary", 0.05),
        ),
        (
            ("999 call", 0.45),
            ("101 call", 0.20),
            ("Patrol", 0.15),
            ("Neighbour", 0.10),
            ("Family member", 0.10),
        ),
        (
            ("No further action", 0.35, 0),
            ("Words of advice", 0.25, 0),
            ("Arrested", 0.15, 0),
            ("Referred to Community Safety Team", 0.15, 0),
            ("Referred to children's social care", 0.10, 0),
        ),
        0,
    ),
    _Agency(
        "ae_royal_blackburn",
        "attendances at A&E, Royal Blackburn Hospital",
        (("Emergency department attendance", "Royal Blackburn Hospital A&E", 1.0),),
        (("Self", 0.45), ("Ambulance", 0.35), ("Police", 0.10), ("GP", 0.05), ("NHS Direct", 0.05)),
        (
            ("Discharged", 0.60, 0),
            ("Admitted", 0.20, 4),
            ("Referred to alcohol liaison nurse", 0.15, 0),
            ("Left before being seen", 0.05, 0),
        ),
        0,
    ),
    _Agency(
        "gp",
        "GP consultations (fictional practice names)",
        (("GP consultation", "GP practice", 1.0),),
        (("Self", 0.85), ("Practice nurse", 0.05), ("A&E discharge letter", 0.05), ("Pharmacy", 0.05)),
        (
            ("Brief advice given", 0.35, 0),
            ("Referred to specialist alcohol service", 0.25, 0),
            ("Prescription issued", 0.20, 0),
            ("Follow-up booked", 0.20, 0),
        ),
        0,
    ),
    _Agency(
        "housing",
        "housing options, tenancy sustainment and homelessness casework",
        (
            ("Housing options", "Council housing options team", 0.4),
            ("Tenancy sustainment", "Registered social landlord", 0.4),
            ("Homelessness assessment", "Council housing options team", 0.2),
        ),
        (
            ("Self", 0.35),
            ("Specialist alcohol service", 0.20),
            ("Social care", 0.15),
            ("Police", 0.10),
            ("Family Intervention Programme", 0.10),
            ("GP", 0.10),
        ),
        (
            ("Tenancy sustained", 0.40, 90),
            ("Rehoused", 0.15, 60),
            ("Closed – no contact", 0.25, 30),
            ("Eviction", 0.05, 120),
            ("Transferred", 0.15, 45),
        ),
        7,
    ),
    _Agency(
        "health_outreach",
        "Health Outreach Team",
        (("Health outreach", "Health Outreach Team", 1.0),),
        (
            ("Specialist alcohol service", 0.30),
            ("GP", 0.25),
            ("Self", 0.20),
            ("A&E", 0.15),
            ("Housing", 0.10),
        ),
        (("Completed", 0.45, 60), ("Dropped out", 0.30, 25), ("Transferred", 0.25, 40)),
        5,
    ),
    _Agency(
        "drug_alcohol_team",
        "Drug and Alcohol Team: assessment and care coordination",
        (
            ("Care coordination", "Drug and Alcohol Team", 0.7),
            ("Assessment and brief intervention", "Drug and Alcohol Team", 0.3),
        ),
        (
            ("Specialist alcohol service", 0.30),
            ("GP", 0.25),
            ("Criminal justice", 0.15),
            ("Self", 0.15),
            ("Social care", 0.15),
        ),
        (
            ("Completed", 0.40, 120),
            ("Dropped out", 0.30, 45),
            ("Transferred", 0.20, 60),
            ("Declined", 0.10, 0),
        ),
        10,
    ),
)
_AGENCY = {agency.key: agency for agency in _AGENCIES}
