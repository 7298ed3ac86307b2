"""Synthetic pilot and comparison families for the Change stage, with a planted effect.

The Circles of Need case study piloted a single key worker with 30 families in three wards of Blackburn with
Darwen (E06000008). The demo has no real evaluation data, so this module makes a seeded synthetic one: a cohort of
pilot and comparison families, their monthly crisis contacts before and after the pilot started, the pilot
families' wellbeing scores and plan engagement, and the Supporting Families headline needs each pilot family had.
Every row says it is synthetic; the geography (LSOA 2011 codes, wards, deprivation) is real open data embedded in
the repository, the families are not.

The model
---------
Families
    ``pilot_families`` (30) pilot families live in LSOAs of :data:`PILOT_WARDS` (2004-2018 wards, from the
    embedded ONS LSOA 2011 to ward 2017 best-fit lookup, whose codes are those of the 2004 wards).
    ``comparison_families`` (240) live in the borough's other LSOAs. A family's LSOA is drawn with weight
    ``exp(d)``, where ``d = (10 - IMD decile) / 9`` is the LSOA's deprivation from 0 (least deprived decile) to
    1 (most deprived decile; English Indices of Deprivation 2019). The lead adult's age band is drawn from
    18-24 ... 55-64.
Crisis contacts
    ``ae_attendances`` and ``police_incidents`` are Poisson counts for each family-month from month -12 to +17
    relative to the family's start month, with monthly rate

        ``rate = base[measure] x exp(0.8 d) x age_risk[age band] x frailty + trend[measure] x c + effect``

    where ``base`` is 0.085 (A&E) and 0.12 (police), ``age_risk`` runs from 1.3 (18-24) down to 0.7 (55-64),
    ``frailty`` ~ Gamma(shape 2, mean 1) is the family's lasting propensity to crisis, ``trend`` is 0.002 (A&E)
    and 0.003 (police) a month, ``c`` counts calendar months from April 2010 (a common rise for everyone, added
    to every family's rate, so parallel trends hold on the rate scale) and ``effect`` (the planted effect) is
    added to a pilot family's rate from month 0 onwards, the rate floored at 0.01.
Selection
    The pilot families are not a random sample: they are picked from four times as many candidate families in
    the pilot wards with probability proportional to their expected crisis rate (frailty, age and deprivation
    together), as a pilot picks the families in most trouble. Pilot families therefore have about 0.7 crisis
    contacts a family-month before the start against about 0.4 for comparison families, and a naive after-period
    comparison of the groups is biased towards no effect (it shows the pilot families still have more crises).
    The frailty does not change over time, so a difference-in-differences removes the bias.
The planted effect
    :data:`PLANTED_EFFECT`: -0.10 A&E attendances and -0.15 police incidents a family-month, -0.25 crisis contacts
    a family-month together (about a third of the pilot's baseline). With 30 pilot and 240 comparison families
    the sum's change score has a standard error of about 0.07, so a difference-in-differences tells the effect
    apart from chance in nine runs in ten or more, and 30 pilot families matched to 30 comparison families still
    most of the time.
Programme records (as of :data:`AS_OF`, 2012-09-30)
    Pilot families start on a day drawn over the first quarter from :data:`PILOT_START` (comparison families get
    index dates drawn the same way). Support lasts 150-600 days; a family whose support ends after 2012-09-30 is
    still open (blank ``closed_date``). ``lead_practitioner`` is yes for about 93% of pilot families and
    ``whole_family_plan`` for about 90%. ``wellbeing`` (1-10, improving by about 0.15 a month) and
    ``plan_items_engaged`` (falling from about 3 a month) are monthly from month 0 while support is open and up to
    2012-09; the crisis extracts run to month +17. ``family_needs`` gives each pilot family 2-5 Supporting Families
    headline outcomes (always ``substance_use``; ``financial_stability`` for about 70%), each positive, not yet or
    worse; ``financial_stability`` turns positive for only half the families who have it, so it holds back most
    claims, while about one family in ten is a successful family outcome by 2012-09-30.

The same generator state gives identical tables; :func:`write_pilot` writes them as CSV.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from circles.change import outcomes
from circles.demo.design import SyntheticDataError
from circles.geo.deprivation import read_imd
from circles.geo.embedded import EMBEDDED_DEPRIVATION, embedded_file
from circles.geo.layers import embedded_lookup
from circles.io.writers import atomic_path

__all__ = [
    "AS_OF",
    "COHORT_COLUMNS",
    "CRISIS_MEASURES",
    "FAMILY_NEEDS_COLUMNS",
    "HEADLINE_OUTCOMES",
    "OUTCOME_COLUMNS",
    "PILOT_START",
    "PILOT_WARDS",
    "PLANTED_EFFECT",
    "pilot_tables",
    "write_pilot",
]

#: Ward 2004 codes of the pilot: Bastwell and Shadsworth with Whitebirk (the case study's pilot wards) and
#: Audley, the demo's own choice of a third (a deprived ward bordering both).
PILOT_WARDS: tuple[str, ...] = ("E05001621", "E05001637", "E05001620")
#: The day the pilot starts; families start over the quarter that follows.
PILOT_START = "2011-04-01"
#: The planted effect of the pilot, added to a pilot family's monthly rate from its start (per family-month).
PLANTED_EFFECT: dict[str, float] = {"ae_attendances": -0.10, "police_incidents": -0.15}
#: The crisis-contact measures, recorded for pilot and comparison families alike.
CRISIS_MEASURES: tuple[str, ...] = ("ae_attendances", "police_incidents")
#: The date the programme's records (cohort, plans, needs) are extracted.
AS_OF = "2012-09-30"
#: The ten Supporting Families headline outcomes, codes as in ``pipelines/family_issues.yaml``.
HEADLINE_OUTCOMES: tuple[str, ...] = (
    "education",
    "early_years",
    "health",
    "substance_use",
    "family_relationships",
    "children_safe",
    "crime",
    "domestic_abuse",
    "housing",
    "financial_stability",
)
#: The change stage's file formats (:mod:`circles.change.outcomes`), each row marked synthetic.
COHORT_COLUMNS: tuple[str, ...] = (*outcomes.COHORT_COLUMNS, "synthetic")
OUTCOME_COLUMNS: tuple[str, ...] = (*outcomes.OUTCOME_COLUMNS, "synthetic")
FAMILY_NEEDS_COLUMNS: tuple[str, ...] = (*outcomes.FAMILY_NEEDS_COLUMNS, "synthetic")
_SYNTHETIC = "SYNTHETIC"
_FILES = {"cohort": "cohort.csv", "outcomes": "outcomes.csv", "family_needs": "family_needs.csv"}

# the model (see the module docstring)
_BASE_RATE = np.array([0.085, 0.12])  # per family-month at d = 0, age 35-44, frailty 1: A&E, police
_DEPRIVATION_SLOPE = 0.8
_AGE_BANDS = np.array(["18-24", "25-34", "35-44", "45-54", "55-64"])
_AGE_WEIGHTS = np.array([0.15, 0.32, 0.30, 0.16, 0.07])
_AGE_RISK = np.array([1.3, 1.15, 1.0, 0.85, 0.7])
_FRAILTY_SHAPE = 2.0
_TREND = np.array([0.002, 0.003])  # added per calendar month from April 2010: A&E, police
_RATE_FLOOR = 0.01
_CANDIDATES_PER_PILOT = 4
_MONTHS = np.arange(-12, 18)  # relative to the start month
_WINDOW_START = 2010 * 12 + 3  # April 2010, as a month count
_OTHER_NEEDS = tuple(h for h in HEADLINE_OUTCOMES if h not in ("substance_use", "financial_stability"))
_OTHER_NEED_WEIGHTS = np.array([0.8, 0.6, 1.5, 1.4, 1.2, 1.0, 0.8, 1.3])  # in _OTHER_NEEDS order
_POSITIVE = {"financial_stability": 0.5}  # chance a need turns positive; others 0.92


# ----------------------------------------------------------------------------------------------------------
# Public entry points


def pilot_tables(
    rng: np.random.Generator,
    *,
    effect: Mapping[str, float] = PLANTED_EFFECT,
    pilot_families: int = 30,
    comparison_families: int = 240,
) -> dict[str, pd.DataFrame]:
    """Synthetic pilot and comparison families: the cohort, their monthly outcomes and the pilot's needs.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator everything is drawn from, in a fixed order; the same state gives the same tables.
    effect : mapping of str to float, default :data:`PLANTED_EFFECT`
        The effect planted on each crisis measure (``ae_attendances``, ``police_incidents``), added to a pilot
        family's monthly rate from its start; a measure left out has no effect.
    pilot_families, comparison_families : int, default 30 and 240
        How many families of each group.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``cohort`` (:data:`COHORT_COLUMNS`), ``outcomes`` (:data:`OUTCOME_COLUMNS`) and ``family_needs``
        (:data:`FAMILY_NEEDS_COLUMNS`), every value text as written to the files.

    Raises
    ------
    SyntheticDataError
        If a group is empty, an effect names an unknown measure, or the embedded geography lacks the pilot wards.

    Examples
    --------
    >>> tables = pilot_tables(np.random.default_rng(1))
    >>> tables["cohort"]["group"].value_counts().to_dict()
    {'comparison': 240, 'pilot': 30}
    >>> sorted(tables["outcomes"]["measure"].unique())
    ['ae_attendances', 'plan_items_engaged', 'police_incidents', 'wellbeing']
    """
    unknown = sorted(set(effect) - set(CRISIS_MEASURES))
    if unknown:
        raise SyntheticDataError(
            f"No crisis measure {unknown[0]!r} to plant an effect on; the measures are {', '.join(CRISIS_MEASURES)}."
        )
    if int(pilot_families) < 1 or int(comparison_families) < 1:
        raise SyntheticDataError("The pilot needs at least one pilot and one comparison family.")
    families = _families(rng, _borough(), int(pilot_families), int(comparison_families))
    support = _support(rng, families[families["group"] == "pilot"])
    crisis = _crisis(rng, families, np.array([float(effect.get(m, 0.0)) for m in CRISIS_MEASURES]))
    programme = _programme(rng, support)
    needs = _needs(rng, support)
    return {
        "cohort": _cohort_table(families, support),
        "outcomes": _outcomes_table(pd.concat([crisis, programme], ignore_index=True), families),
        "family_needs": needs,
    }


def write_pilot(folder: str | Path, rng: np.random.Generator) -> tuple[Path, ...]:
    """Write the pilot tables of :func:`pilot_tables` (default sizes and effect) under ``folder/pilot``.

    Parameters
    ----------
    folder : path-like
        The demo folder; ``pilot/cohort.csv``, ``pilot/outcomes.csv`` and ``pilot/family_needs.csv`` are written
        inside it, each atomically (UTF-8, LF line ends).
    rng : numpy.random.Generator
        The generator passed to :func:`pilot_tables`.

    Returns
    -------
    tuple of pathlib.Path
        The files written, in the order cohort, outcomes, family_needs.

    Raises
    ------
    SyntheticDataError
        If the folder cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_pilot(folder, np.random.default_rng(1))
    ...     names = [path.name for path in paths]
    >>> names
    ['cohort.csv', 'outcomes.csv', 'family_needs.csv']
    """
    tables = pilot_tables(rng)
    pilot_dir = Path(folder) / "pilot"
    paths = []
    try:
        pilot_dir.mkdir(parents=True, exist_ok=True)
        for key, name in _FILES.items():
            path = pilot_dir / name
            with atomic_path(path) as tmp:
                tmp.write_bytes(tables[key].to_csv(index=False, lineterminator="\n").encode("utf-8"))
            paths.append(path)
    except OSError as exc:
        raise SyntheticDataError(
            f"Cannot write the pilot data into {pilot_dir}: {exc.strerror or exc}. Choose a folder you can write to."
        ) from None
    return tuple(paths)


# ----------------------------------------------------------------------------------------------------------
# Families


def _borough() -> pd.DataFrame:
    """The borough's LSOAs (sorted): ``lsoa_code``, ``ward_code`` (2004-2018 ward) and deprivation ``d`` in 0..1."""
    entry, lookup = embedded_lookup("ward2017")
    imd = read_imd(embedded_file(EMBEDDED_DEPRIVATION["imd2019"].file)).set_index("area_code")["imd_decile"]
    borough = pd.DataFrame({"lsoa_code": lookup[entry.from_code], "ward_code": lookup[entry.to_code]})
    borough = borough.sort_values("lsoa_code", ignore_index=True)
    decile = borough["lsoa_code"].map(imd)
    if decile.isna().any():
        raise SyntheticDataError(f"The IMD 2019 table lacks LSOA {borough['lsoa_code'][decile.isna()].iloc[0]}.")
    borough["d"] = (10 - decile.astype(float)) / 9
    missing = sorted(set(PILOT_WARDS) - set(borough["ward_code"]))
    if missing:
        raise SyntheticDataError(f"The embedded ward lookup lacks the pilot ward(s) {', '.join(missing)}.")
    return borough


def _draw(rng: np.random.Generator, places: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` families in ``places`` (LSOA weight ``exp(d)``) with an age band and a gamma frailty."""
    weight = np.exp(places["d"].to_numpy())
    where = places.iloc[rng.choice(len(places), size=n, p=weight / weight.sum())].reset_index(drop=True)
    age = rng.choice(len(_AGE_BANDS), size=n, p=_AGE_WEIGHTS)
    frailty = rng.gamma(_FRAILTY_SHAPE, 1 / _FRAILTY_SHAPE, n)
    risk = np.exp(_DEPRIVATION_SLOPE * where["d"].to_numpy()) * _AGE_RISK[age] * frailty
    return where.assign(age_band=_AGE_BANDS[age], frailty=frailty, risk=risk)


def _families(rng: np.random.Generator, borough: pd.DataFrame, n_pilot: int, n_comparison: int) -> pd.DataFrame:
    """Pilot families (picked from candidates by risk) and comparison families, with start days and month offsets."""
    in_pilot = borough["ward_code"].isin(PILOT_WARDS)
    candidates = _draw(rng, borough[in_pilot], _CANDIDATES_PER_PILOT * n_pilot)
    risk = candidates["risk"].to_numpy()
    chosen = np.sort(rng.choice(len(candidates), size=n_pilot, replace=False, p=risk / risk.sum()))
    pilot = candidates.iloc[chosen].reset_index(drop=True).assign(group="pilot")
    pilot["family_id"] = [f"PF{n:04d}" for n in range(1, n_pilot + 1)]
    comparison = _draw(rng, borough[~in_pilot], n_comparison).assign(group="comparison")
    comparison["family_id"] = [f"CF{n:04d}" for n in range(1, n_comparison + 1)]
    families = pd.concat([pilot, comparison], ignore_index=True)
    start = np.datetime64(PILOT_START) + rng.integers(0, 91, len(families)).astype("timedelta64[D]")
    families["start"] = start
    months = start.astype("datetime64[M]").astype(np.int64) + 1970 * 12  # month count, January 0 AD
    families["start_month"] = months
    return families


def _support(rng: np.random.Generator, pilot: pd.DataFrame) -> pd.DataFrame:
    """Pilot families with a lead practitioner, a whole-family plan and the day support closed (NaT if open)."""
    n = len(pilot)
    closed = pilot["start"].to_numpy() + rng.integers(150, 601, n).astype("timedelta64[D]")
    closed = np.where(closed <= np.datetime64(AS_OF), closed, np.datetime64("NaT"))
    return pilot.assign(
        lead_practitioner=rng.random(n) < 0.93,
        whole_family_plan=rng.random(n) < 0.9,
        closed=closed.astype("datetime64[D]"),
    ).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------------------
# Outcomes


def _crisis(rng: np.random.Generator, families: pd.DataFrame, effect: np.ndarray) -> pd.DataFrame:
    """Monthly crisis contacts, months -12..+17 of every family: family index, month, measure index, value."""
    n, n_months = len(families), len(_MONTHS)
    calendar = (families["start_month"].to_numpy()[:, None] + _MONTHS[None, :]) - _WINDOW_START  # (n, months)
    level = families["risk"].to_numpy()[:, None, None] * _BASE_RATE[None, :, None]  # (n, measures, 1)
    rate = level + _TREND[None, :, None] * calendar[:, None, :]
    treated = (families["group"].to_numpy() == "pilot")[:, None] & (_MONTHS >= 0)[None, :]
    rate = rate + treated[:, None, :] * effect[None, :, None]
    counts = rng.poisson(np.maximum(rate, _RATE_FLOOR))
    family, measure, month = np.meshgrid(np.arange(n), np.arange(len(CRISIS_MEASURES)), np.arange(n_months))
    family, measure, month = family.transpose(1, 0, 2), measure.transpose(1, 0, 2), month.transpose(1, 0, 2)
    return pd.DataFrame(
        {
            "family": family.ravel(),
            "month": _MONTHS[month.ravel()],
            "measure": np.array(CRISIS_MEASURES)[measure.ravel()],
            "value": counts.ravel(),
        }
    )


def _programme(rng: np.random.Generator, support: pd.DataFrame) -> pd.DataFrame:
    """Pilot families' wellbeing (1-10) and plan items engaged, monthly from month 0 while open, to AS_OF."""
    n = len(support)
    level = rng.normal(4.0, 1.0, n)
    slope = rng.normal(0.15, 0.08, n)
    months = np.arange(0, 18)
    noise = rng.normal(0.0, 0.7, (n, len(months)))
    wellbeing = np.clip(np.rint(level[:, None] + slope[:, None] * months[None, :] + noise), 1, 10).astype(np.int64)
    engaged = rng.poisson(3.0 * np.exp(-months / 8.0) + 0.5, (n, len(months)))
    start_month = support["start"].to_numpy().astype("datetime64[M]")
    month_start = start_month[:, None] + months[None, :].astype("timedelta64[M]")
    last = np.where(
        pd.isna(support["closed"]).to_numpy(), np.datetime64(AS_OF, "D"), support["closed"].to_numpy()
    ).astype("datetime64[D]")
    active = month_start.astype("datetime64[D]") <= last[:, None]
    family, month = np.nonzero(active)
    frames = [
        pd.DataFrame({"family": family, "month": months[month], "measure": name, "value": values[family, month]})
        for name, values in (("wellbeing", wellbeing), ("plan_items_engaged", engaged))
    ]
    return pd.concat(frames, ignore_index=True)


def _needs(rng: np.random.Generator, support: pd.DataFrame) -> pd.DataFrame:
    """Each pilot family's headline needs, their outcomes and dates, as of :data:`AS_OF`."""
    as_of = np.datetime64(AS_OF, "D")
    rows = []
    for family in support.itertuples(index=False):
        count = int(rng.choice([2, 3, 4, 5], p=[0.15, 0.35, 0.3, 0.2]))
        needs = ["substance_use"] + (["financial_stability"] if rng.random() < 0.7 else [])
        extra = max(count - len(needs), 0)
        p = _OTHER_NEED_WEIGHTS / _OTHER_NEED_WEIGHTS.sum()
        needs += [_OTHER_NEEDS[i] for i in np.sort(rng.choice(len(_OTHER_NEEDS), size=extra, replace=False, p=p))]
        closed = np.datetime64(family.closed, "D") if not pd.isna(family.closed) else as_of
        for need in needs:
            identified = np.datetime64(family.start, "D") + int(rng.integers(0, 29))
            draw, lapse = rng.random(), rng.random()
            outcome = "positive" if draw < _POSITIVE.get(need, 0.92) else "worse" if draw > 0.97 else "not yet"
            reached = min(identified + int(rng.integers(60, 301)), closed)
            sustained = as_of if lapse >= 0.08 else min(reached + int(rng.integers(30, 151)), as_of)
            positive = outcome == "positive"
            rows.append(
                (
                    family.family_id,
                    need,
                    str(identified),
                    outcome,
                    str(reached) if positive else "",
                    str(sustained) if positive else "",
                )
            )
    table = pd.DataFrame(rows, columns=list(FAMILY_NEEDS_COLUMNS[:-1]))
    return table.assign(synthetic=_SYNTHETIC)


# ----------------------------------------------------------------------------------------------------------
# Tables as written


def _cohort_table(families: pd.DataFrame, support: pd.DataFrame) -> pd.DataFrame:
    """The cohort file: one row a family, text."""
    yes_no = {True: "yes", False: "no"}
    programme = support.set_index("family_id")
    closed = programme["closed"].map(lambda day: "" if pd.isna(day) else str(np.datetime64(day, "D")))
    table = pd.DataFrame(
        {
            "family_id": families["family_id"],
            "group": families["group"],
            "start_date": families["start"].to_numpy().astype("datetime64[D]").astype(str),
            "age_band": families["age_band"],
            "lsoa_code": families["lsoa_code"],
            "ward_code": families["ward_code"],
            "lead_practitioner": families["family_id"].map(programme["lead_practitioner"].map(yes_no)).fillna(""),
            "whole_family_plan": families["family_id"].map(programme["whole_family_plan"].map(yes_no)).fillna(""),
            "closed_date": families["family_id"].map(closed).fillna(""),
            "synthetic": _SYNTHETIC,
        }
    )
    return table[list(COHORT_COLUMNS)]


def _outcomes_table(long: pd.DataFrame, families: pd.DataFrame) -> pd.DataFrame:
    """The outcomes file: family, period (YYYY-MM), measure, value; by family, measure and period."""
    order = {name: i for i, name in enumerate((*CRISIS_MEASURES, "wellbeing", "plan_items_engaged"))}
    long = long.assign(rank=long["measure"].map(order)).sort_values(["family", "rank", "month"], kind="stable")
    count = families["start_month"].to_numpy()[long["family"].to_numpy()] + long["month"].to_numpy()
    period = [f"{c // 12:04d}-{c % 12 + 1:02d}" for c in count]
    table = pd.DataFrame(
        {
            "family_id": families["family_id"].to_numpy()[long["family"].to_numpy()],
            "period": period,
            "measure": long["measure"].to_numpy(),
            "value": long["value"].astype(np.int64).astype(str).to_numpy(),
            "synthetic": _SYNTHETIC,
        }
    )
    return table[list(OUTCOME_COLUMNS)]
