"""Propensity-score matching: balance on a confounded cohort, pairs, weights, caliper and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from circles.change.matching import balance_table, propensity_match
from circles.errors import ChangeError

BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64"]


def confounded_cohort(seed: int = 1, pilots: int = 30, comparisons: int = 150) -> pd.DataFrame:
    """Pilot families chosen from the riskier (younger) age bands and more deprived areas; comparisons from all."""
    rng = np.random.default_rng(seed)
    pilot_band = rng.choice(BANDS, size=pilots, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    comparison_band = rng.choice(BANDS, size=comparisons)
    return pd.DataFrame(
        {
            "family_id": [f"P{i:03d}" for i in range(pilots)] + [f"C{i:03d}" for i in range(comparisons)],
            "group": ["pilot"] * pilots + ["comparison"] * comparisons,
            "age_band": np.concatenate([pilot_band, comparison_band]),
            "imd_score": np.concatenate([rng.normal(40, 8, pilots), rng.normal(34, 8, comparisons)]),
        }
    )


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return confounded_cohort()


@pytest.fixture(scope="module")
def matched(cohort: pd.DataFrame):
    return propensity_match(cohort, covariates=["age_band", "imd_score"])


def test_matching_on_age_band_balances_a_cohort_selected_by_age_band(cohort: pd.DataFrame) -> None:
    result = propensity_match(cohort, covariates=["age_band"])
    balance = result.balance.set_index("covariate")
    assert list(balance.index) == [f"age_band: {b}" for b in BANDS]
    unbalanced = balance[balance["smd_before"].abs() > 0.25]
    # pilot families were chosen from the younger (riskier) bands: the youngest and oldest bands are unbalanced
    assert {"age_band: 18-24", "age_band: 55-64"} <= set(unbalanced.index)
    assert (unbalanced["smd_after"].abs() < 0.1).all(), unbalanced
    assert (balance["smd_after"].abs() < 0.1).all()
    assert result.unmatched == [] and len(result.pairs) == 30


def test_matching_on_two_covariates_balances_deprivation_and_shrinks_the_imbalance(matched) -> None:
    balance = matched.balance.set_index("covariate")
    assert list(balance.index) == [f"age_band: {b}" for b in BANDS] + ["imd_score"]
    assert balance.loc["imd_score", "smd_before"] > 0.5
    assert abs(balance.loc["imd_score", "smd_after"]) < 0.1
    assert 0.5 < balance.loc["imd_score", "variance_ratio_after"] < 2
    # propensity matching balances the covariates on average, not every age band exactly in 30 families
    assert balance["smd_after"].abs().mean() < balance["smd_before"].abs().mean() / 2
    # the pilot families left without a comparison inside the caliper are those with the highest scores
    assert 0 < len(matched.unmatched) <= 6
    assert len(matched.pairs) == 30 - len(matched.unmatched)
    scores = matched.propensity
    assert scores[matched.unmatched].min() > scores[matched.pairs["pilot_family"]].median()


def test_balance_columns_are_the_group_means(cohort: pd.DataFrame, matched) -> None:
    balance = matched.balance.set_index("covariate")
    pilots = cohort[cohort["group"] == "pilot"]
    comparisons = cohort[cohort["group"] == "comparison"]
    assert balance.loc["age_band: 18-24", "pilot_mean"] == pytest.approx((pilots["age_band"] == "18-24").mean())
    assert balance.loc["imd_score", "comparison_mean_before"] == pytest.approx(comparisons["imd_score"].mean())
    after = matched.matched[matched.matched["group"] == "comparison"]
    assert balance.loc["imd_score", "comparison_mean_after"] == pytest.approx(after["imd_score"].mean())
    smd = (pilots["imd_score"].mean() - comparisons["imd_score"].mean()) / np.sqrt(
        (pilots["imd_score"].var() + comparisons["imd_score"].var()) / 2
    )
    assert balance.loc["imd_score", "smd_before"] == pytest.approx(smd)


def test_pairs_are_nearest_unused_comparisons_on_the_logit(cohort: pd.DataFrame, matched) -> None:
    pairs = matched.pairs
    assert pairs["comparison_family"].is_unique  # without replacement
    assert pairs["pilot_family"].str.startswith("P").all() and pairs["comparison_family"].str.startswith("C").all()
    logit = np.log(matched.propensity / (1 - matched.propensity))
    gap = np.abs(logit[pairs["pilot_family"]].to_numpy() - logit[pairs["comparison_family"]].to_numpy())
    np.testing.assert_allclose(pairs["distance"], gap, atol=1e-9)
    assert (pairs["distance"] <= matched.caliper + 1e-12).all()
    assert matched.caliper == pytest.approx(0.2 * logit.std(ddof=1))
    # pilot families are matched highest propensity first
    order = matched.propensity[pairs["pilot_family"]].to_numpy()
    assert (np.diff(order) <= 1e-12).all()
    assert list(pairs["pair"]) == list(range(1, len(pairs) + 1))


def test_propensity_is_higher_where_pilot_families_are_concentrated(cohort: pd.DataFrame, matched) -> None:
    score = cohort.assign(p=matched.propensity.to_numpy()).groupby("age_band")["p"].mean()
    assert score["18-24"] > score["55-64"] + 0.1
    assert matched.propensity.between(0, 1, inclusive="neither").all()
    assert matched.propensity.index.name == "family_id"


def test_matched_rows_and_weights(matched) -> None:
    rows = matched.matched
    assert set(rows.index) == set(matched.pairs["pilot_family"]) | set(matched.pairs["comparison_family"])
    assert (rows.loc[rows["group"] == "pilot", "weight"] == 1).all()
    assert (rows.loc[rows["group"] == "comparison", "weight"] == 1).all()
    assert len(rows) == 2 * len(matched.pairs)
    assert list(rows["pair"].iloc[:2]) == [1, 1]  # each pilot family sits beside its comparison family


def test_ratio_two_gives_two_comparisons_weighted_a_half(cohort: pd.DataFrame) -> None:
    result = propensity_match(cohort, covariates=["age_band"], ratio=2, caliper=None)
    assert result.ratio == 2 and result.caliper is None and result.unmatched == []
    assert (result.pairs.groupby("pilot_family").size() == 2).all()
    comparisons = result.matched[result.matched["group"] == "comparison"]
    assert len(comparisons) == 60
    assert comparisons["weight"].tolist() == [0.5] * 60
    # one categorical covariate with enough comparisons in every band: the match is exact
    assert (result.pairs["distance"] == 0).all()
    np.testing.assert_allclose(result.balance["smd_after"], 0, atol=1e-12)


def test_caliper_leaves_a_pilot_family_without_a_near_comparison_unmatched() -> None:
    cohort = pd.DataFrame(
        {
            "family_id": ["P1", "P2", "P3", "C1", "C2", "C3", "C4"],
            "group": ["pilot"] * 3 + ["comparison"] * 4,
            "imd_score": [30.0, 31.0, 90.0, 30.0, 31.5, 20.0, 21.0],
        }
    )
    result = propensity_match(cohort, covariates=["imd_score"])
    assert result.unmatched == ["P3"]
    assert sorted(result.pairs["pilot_family"]) == ["P1", "P2"]
    assert "P3" not in result.matched.index
    loose = propensity_match(cohort, covariates=["imd_score"], caliper=None)
    assert loose.unmatched == [] and len(loose.pairs) == 3


def test_matching_is_deterministic_for_a_seed(cohort: pd.DataFrame) -> None:
    one = propensity_match(cohort, covariates=["age_band"], seed=3)
    two = propensity_match(cohort, covariates=["age_band"], seed=3)
    pd.testing.assert_frame_equal(one.pairs, two.pairs)


def test_balance_table_weights_the_comparisons() -> None:
    cohort = pd.DataFrame({"x": [1.0, 3.0, 0.0, 4.0, 8.0]})
    is_pilot = np.array([True, True, False, False, False])
    table = balance_table(cohort, ["x"], is_pilot, np.array([1, 1, 0.25, 0.75, 0]))
    row = table.iloc[0]
    assert row["comparison_mean_before"] == pytest.approx(4.0)
    assert row["comparison_mean_after"] == pytest.approx(3.0)  # 0.25 × 0 + 0.75 × 4
    assert row["pilot_mean_after"] == pytest.approx(2.0)
    assert row["smd_after"] < 0 and row["smd_before"] < row["smd_after"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"covariates": ["age_band", "tenure"]}, "covariate 'tenure' is not a cohort column"),
        ({"covariates": []}, "give the covariates"),
        ({"treated": "trial"}, "has 0 families"),
        ({"ratio": 0}, "ratio must be a whole number"),
        ({"caliper": -1}, "caliper must be a positive number"),
    ],
)
def test_errors_say_what_is_wrong(cohort: pd.DataFrame, change: dict, message: str) -> None:
    arguments = {"covariates": ["age_band"], **change}
    with pytest.raises(ChangeError, match=message):
        propensity_match(cohort, **arguments)


def test_errors_for_small_groups_and_blank_covariates(cohort: pd.DataFrame) -> None:
    one_pilot = cohort[(cohort["group"] == "comparison") | (cohort["family_id"] == "P000")]
    with pytest.raises(ChangeError, match="the group 'pilot' group has 1 family; matching needs at least 2"):
        propensity_match(one_pilot, covariates=["age_band"])
    blank = cohort.assign(age_band=cohort["age_band"].where(cohort["family_id"] != "C003"))
    with pytest.raises(ChangeError, match="covariate 'age_band' is blank for 1 cohort family"):
        propensity_match(blank, covariates=["age_band"])
    with pytest.raises(ChangeError, match="no 'group' column"):
        propensity_match(cohort.drop(columns="group"), covariates=["age_band"])
