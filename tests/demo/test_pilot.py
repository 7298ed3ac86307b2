"""Tests for the synthetic pilot evaluation (circles.demo.pilot)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from circles.demo import PILOT_START, PILOT_WARDS, PLANTED_EFFECT, pilot_tables
from circles.demo.pilot import (
    AS_OF,
    COHORT_COLUMNS,
    CRISIS_MEASURES,
    FAMILY_NEEDS_COLUMNS,
    HEADLINE_OUTCOMES,
    OUTCOME_COLUMNS,
    write_pilot,
)
from circles.demo.synthetic import DEFAULT_SEED, DemoData, SyntheticDataError, generate_demo_data
from circles.geo.layers import embedded_layer, embedded_lookup

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return pilot_tables(np.random.default_rng(DEFAULT_SEED))


@pytest.fixture(scope="module")
def cohort(tables) -> pd.DataFrame:
    return tables["cohort"]


@pytest.fixture(scope="module")
def ward_of() -> pd.Series:
    entry, table = embedded_lookup("ward2017")
    return table.set_index(entry.from_code)[entry.to_code]


def month_count(dates: pd.Series) -> np.ndarray:
    """Months since year 0 of YYYY-MM or YYYY-MM-DD text."""
    return dates.str[:4].astype(int).to_numpy() * 12 + dates.str[5:7].astype(int).to_numpy()


def crisis_rates(tables: dict[str, pd.DataFrame], after_months: int = 12) -> pd.DataFrame:
    """Per family: crisis contacts (both measures) a month, months -12..-1 (before) and 0..after_months-1 (after)."""
    cohort, outcomes = tables["cohort"], tables["outcomes"]
    crisis = outcomes[outcomes["measure"].isin(CRISIS_MEASURES)]
    start = pd.Series(month_count(cohort["start_date"]), index=cohort["family_id"])
    month = month_count(crisis["period"]) - start.reindex(crisis["family_id"]).to_numpy()
    value = crisis["value"].astype(int).to_numpy()
    family = crisis["family_id"].to_numpy()
    before = pd.Series(np.where((month >= -12) & (month < 0), value, 0)).groupby(family).sum() / 12
    after = pd.Series(np.where((month >= 0) & (month < after_months), value, 0)).groupby(family).sum() / after_months
    rates = pd.DataFrame({"before": before, "after": after})
    rates["group"] = cohort.set_index("family_id")["group"]
    rates["change"] = rates["after"] - rates["before"]
    return rates


def did(rates: pd.DataFrame) -> float:
    means = rates.groupby("group")["change"].mean()
    return float(means["pilot"] - means["comparison"])


# --- reproducibility and layout -----------------------------------------------------------------------------


def test_same_seed_gives_identical_tables_and_another_seed_does_not(tables):
    again = pilot_tables(np.random.default_rng(DEFAULT_SEED))
    for key in ("cohort", "outcomes", "family_needs"):
        pd.testing.assert_frame_equal(tables[key], again[key])
    other = pilot_tables(np.random.default_rng(DEFAULT_SEED + 1))
    assert not other["outcomes"]["value"].equals(tables["outcomes"]["value"])
    assert not other["cohort"]["lsoa_code"].equals(tables["cohort"]["lsoa_code"])


def test_columns_are_text_and_every_row_says_synthetic(tables):
    for key, columns in (
        ("cohort", COHORT_COLUMNS),
        ("outcomes", OUTCOME_COLUMNS),
        ("family_needs", FAMILY_NEEDS_COLUMNS),
    ):
        table = tables[key]
        assert tuple(table.columns) == columns
        assert (table["synthetic"] == "SYNTHETIC").all()
        assert all(isinstance(value, str) for value in table.iloc[0])


def test_cohort_groups_ids_and_start_dates(cohort):
    assert cohort["group"].value_counts().to_dict() == {"comparison": 240, "pilot": 30}
    assert cohort["family_id"].is_unique
    pilot = cohort[cohort["group"] == "pilot"]
    assert pilot["family_id"].str.fullmatch(r"PF\d{4}").all()
    assert cohort.loc[cohort["group"] == "comparison", "family_id"].str.fullmatch(r"CF\d{4}").all()
    assert cohort["start_date"].between(PILOT_START, "2011-06-30").all()
    assert cohort["start_date"].str[:7].nunique() == 3  # April, May and June 2011
    assert set(cohort["age_band"]) <= {"18-24", "25-34", "35-44", "45-54", "55-64"}


def test_programme_fields_are_for_pilot_families_only(cohort):
    pilot = cohort[cohort["group"] == "pilot"]
    comparison = cohort[cohort["group"] == "comparison"]
    for column in ("lead_practitioner", "whole_family_plan", "closed_date"):
        assert (comparison[column] == "").all()
    assert set(pilot["lead_practitioner"]) == {"yes", "no"}
    assert set(pilot["whole_family_plan"]) <= {"yes", "no"}
    closed = pilot["closed_date"]
    assert 0 < (closed == "").sum() < len(pilot)  # some still open
    shut = pilot[closed != ""]
    assert (shut["closed_date"] <= AS_OF).all()
    assert (shut["closed_date"] > shut["start_date"]).all()


# --- geography ----------------------------------------------------------------------------------------------


def test_pilot_wards_are_the_case_studys_and_a_borough_ward():
    names = embedded_layer("ward2004").areas.set_index("area_code")["area_name"]
    assert [names[code] for code in PILOT_WARDS] == ["Bastwell", "Shadsworth with Whitebirk", "Audley"]


def test_lsoas_are_real_borough_codes_and_wards_follow_the_lookup(cohort, ward_of):
    borough = set(embedded_layer("lsoa11").areas["area_code"])
    assert len(borough) == 91
    assert set(cohort["lsoa_code"]) <= borough
    assert (cohort["ward_code"] == cohort["lsoa_code"].map(ward_of)).all()


def test_pilot_families_live_in_the_pilot_wards_and_comparison_families_elsewhere(cohort):
    pilot = cohort[cohort["group"] == "pilot"]
    comparison = cohort[cohort["group"] == "comparison"]
    assert set(pilot["ward_code"]) == set(PILOT_WARDS)
    assert not comparison["ward_code"].isin(PILOT_WARDS).any()
    assert comparison["ward_code"].nunique() >= 15


# --- crisis contacts ----------------------------------------------------------------------------------------


def test_every_family_has_thirty_months_of_each_crisis_measure(tables):
    outcomes = tables["outcomes"]
    crisis = outcomes[outcomes["measure"].isin(CRISIS_MEASURES)]
    counts = crisis.groupby(["family_id", "measure"]).size()
    assert len(counts) == 270 * 2 and (counts == 30).all()
    assert not crisis.duplicated(["family_id", "measure", "period"]).any()
    values = crisis["value"].astype(int)
    assert (values >= 0).all() and (values == 0).any()
    assert crisis["period"].min() == "2010-04" and crisis["period"].max() == "2012-11"


def test_pilot_baseline_is_higher_than_the_comparison_groups(tables):
    before = crisis_rates(tables).groupby("group")["before"].mean()
    assert 0.6 <= before["pilot"] <= 0.9
    assert before["comparison"] < before["pilot"] - 0.15


def test_selection_biases_the_naive_comparison(tables):
    rates = crisis_rates(tables)
    after = rates.groupby("group")["after"].mean()
    naive = after["pilot"] - after["comparison"]
    planted = sum(PLANTED_EFFECT.values())
    assert planted == pytest.approx(-0.25)
    assert naive > planted + 0.15  # the naive difference misses most of the fall, or has the wrong sign
    assert did(rates) == pytest.approx(planted, abs=0.15)  # the difference-in-differences does not


@pytest.mark.parametrize("effect, expected", [(PLANTED_EFFECT, -0.25), ({}, 0.0)])
def test_difference_in_differences_recovers_the_planted_effect(effect, expected):
    big = pilot_tables(np.random.default_rng(5), effect=effect, pilot_families=400, comparison_families=1600)
    rates = crisis_rates(big)
    assert did(rates) == pytest.approx(expected, abs=0.04)
    comparison_change = rates.loc[rates["group"] == "comparison", "change"].mean()
    assert comparison_change == pytest.approx(0.06, abs=0.02)  # the common trend: +0.005 a month, 12 months apart


def test_the_planted_effect_is_detected_most_of_the_time():
    detected, detected_30 = [], []
    for seed in range(30):
        rates = crisis_rates(pilot_tables(np.random.default_rng(seed)))
        pilot = rates.loc[rates["group"] == "pilot", "change"]
        comparison = rates.loc[rates["group"] == "comparison", "change"]
        detected.append(stats.ttest_ind(pilot, comparison, equal_var=False).pvalue < 0.05)
        thirty = comparison.sample(30, random_state=seed)
        detected_30.append(stats.ttest_ind(pilot, thirty, equal_var=False).pvalue < 0.05)
    assert np.mean(detected) >= 0.85
    assert np.mean(detected_30) >= 0.65


def test_effects_on_unknown_measures_and_empty_groups_are_errors():
    with pytest.raises(SyntheticDataError, match="ae_attendances, police_incidents"):
        pilot_tables(np.random.default_rng(0), effect={"wellbeing": 1.0})
    with pytest.raises(SyntheticDataError, match="at least one pilot"):
        pilot_tables(np.random.default_rng(0), pilot_families=0)


# --- programme records --------------------------------------------------------------------------------------


def test_wellbeing_and_plan_items_are_for_open_pilot_families_and_wellbeing_improves(tables):
    outcomes, cohort = tables["outcomes"], tables["cohort"]
    programme = outcomes[outcomes["measure"].isin(["wellbeing", "plan_items_engaged"])]
    assert programme["family_id"].str.startswith("PF").all()
    assert programme["period"].max() <= AS_OF[:7]
    closed = cohort.set_index("family_id")["closed_date"].reindex(programme["family_id"]).to_numpy()
    shut = closed != ""
    assert (programme["period"].to_numpy()[shut] <= pd.Series(closed[shut]).str[:7].to_numpy()).all()
    wellbeing = outcomes[outcomes["measure"] == "wellbeing"].copy()
    wellbeing["value"] = wellbeing["value"].astype(int)
    assert wellbeing["value"].between(1, 10).all()
    start = cohort.set_index("family_id")["start_date"].str[:7].reindex(wellbeing["family_id"])
    month = pd.PeriodIndex(wellbeing["period"], freq="M").asi8 - pd.PeriodIndex(start, freq="M").asi8
    early = wellbeing["value"][month <= 2].mean()
    later = wellbeing["value"][(month >= 9) & (month <= 14)].mean()
    assert later > early + 1.0


def successful_status(cohort: pd.DataFrame, needs: pd.DataFrame) -> pd.Series:
    """The Supporting Families rule as of AS_OF, by hand: a status per pilot family."""
    as_of = pd.Timestamp(AS_OF)
    pilot = cohort[cohort["group"] == "pilot"].set_index("family_id")
    status = {}
    for family, rows in needs.groupby("family_id"):
        row = pilot.loc[family]
        sustained = pd.to_datetime(rows["sustained_to"].replace("", None))
        if len(rows) < 3:
            status[family] = "fewer than 3"
        elif row["lead_practitioner"] != "yes" or row["whole_family_plan"] != "yes":
            status[family] = "no practitioner or plan"
        elif (rows["outcome"] != "positive").any():
            status[family] = "not all positive"
        elif row["closed_date"] == "":
            status[family] = "open"
        elif pd.Timestamp(row["closed_date"]) + pd.DateOffset(months=6) > as_of:
            status[family] = "too early"
        elif (sustained < pd.Timestamp(row["closed_date"]) + pd.DateOffset(months=6)).any():
            status[family] = "not sustained"
        else:
            status[family] = "successful"
    return pd.Series(status)


def test_family_needs_give_a_mix_of_outcomes_as_of_the_demo_date(tables):
    needs, cohort = tables["family_needs"], tables["cohort"]
    assert set(needs["family_id"]) == set(cohort.loc[cohort["group"] == "pilot", "family_id"])
    per_family = needs.groupby("family_id")["headline_outcome"]
    assert per_family.size().between(2, 5).all() and per_family.nunique().eq(per_family.size()).all()
    assert (per_family.apply(lambda codes: "substance_use" in set(codes))).all()
    known = yaml.safe_load((PIPELINES / "family_issues.yaml").read_text(encoding="utf-8"))["outcomes"]
    assert set(HEADLINE_OUTCOMES) == set(known)
    assert set(needs["headline_outcome"]) <= set(known)
    assert set(needs["outcome"]) == {"positive", "not yet", "worse"}
    positive = needs["outcome"] == "positive"
    assert (needs.loc[positive, "outcome_date"] >= needs.loc[positive, "identified_date"]).all()
    assert (needs.loc[positive, "sustained_to"] <= AS_OF).all()
    assert (needs.loc[~positive, ["outcome_date", "sustained_to"]] == "").all().all()
    status = successful_status(cohort, needs)
    counts = status.value_counts()
    for expected in ("successful", "too early", "not all positive"):
        assert counts.get(expected, 0) >= 2, counts.to_dict()
    holding = needs.loc[~positive, "headline_outcome"].value_counts()
    assert holding.index[0] == "financial_stability" and holding.iloc[0] >= 2 * holding.iloc[1]


# --- files --------------------------------------------------------------------------------------------------


def test_write_pilot_is_byte_reproducible_and_reads_back(tmp_path, tables):
    first = write_pilot(tmp_path / "a", np.random.default_rng(DEFAULT_SEED))
    second = write_pilot(tmp_path / "b", np.random.default_rng(DEFAULT_SEED))
    assert [path.relative_to(tmp_path / "a").as_posix() for path in first] == [
        "pilot/cohort.csv",
        "pilot/outcomes.csv",
        "pilot/family_needs.csv",
    ]
    assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]
    cohort = pd.read_csv(first[0], dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(cohort, tables["cohort"])


def test_the_generator_writes_the_pilot_without_changing_the_other_streams(tmp_path):
    demo = generate_demo_data(tmp_path, seed=3)
    assert [path.name for path in demo.pilot_files] == ["cohort.csv", "outcomes.csv", "family_needs.csv"]
    assert all(path.parent == tmp_path / "pilot" for path in demo.pilot_files)
    readme = (tmp_path / "README.txt").read_text(encoding="utf-8")
    assert "pilot/" in readme and "police_incidents -0.15" in readme
    expected = pilot_tables(np.random.default_rng(3).spawn(3)[2])["outcomes"]
    pd.testing.assert_frame_equal(pd.read_csv(demo.pilot_files[1], dtype=str, keep_default_na=False), expected)
    # a third spawned child leaves the take-up and notes streams as they were with two
    two, three = np.random.default_rng(3).spawn(2), np.random.default_rng(3).spawn(3)
    for old, new in zip(two, three[:2], strict=True):
        assert np.array_equal(old.integers(0, 2**62, 8), new.integers(0, 2**62, 8))


def test_demo_data_without_pilot_files_still_builds(tmp_path):
    demo = DemoData(folder=tmp_path, take_up_files=(), notes_files=(), n_records=0, seed=1)
    assert demo.pilot_files == ()
