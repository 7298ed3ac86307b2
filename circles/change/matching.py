"""Propensity-score matching of pilot families to comparison families, and the balance it achieves.

:func:`propensity_match` fits the probability that a family is in the pilot from its covariates (a logistic
regression: Rosenbaum & Rubin 1983), then matches each pilot family to its nearest comparison families on the
logit of that score, greedily and without replacement, inside a caliper of 0.2 standard deviations of the logit
(Austin 2011). The balance table compares the covariates before and after matching by the standardised mean
difference (SMD); an absolute SMD under 0.1 is the usual sign that the groups are alike on that covariate.

References
----------
Rosenbaum, P. R. and Rubin, D. B. (1983). The central role of the propensity score in observational studies for
causal effects. *Biometrika* 70(1), 41–55.

Austin, P. C. (2011). Optimal caliper widths for propensity-score matching when estimating differences in means
and differences in proportions in observational studies. *Pharmaceutical Statistics* 10(2), 150–161; and
Austin, P. C. (2011). An introduction to propensity score methods for reducing the effects of confounding in
observational studies. *Multivariate Behavioral Research* 46(3), 399–424.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from circles.errors import ChangeError

__all__ = ["MatchResult", "propensity_match", "balance_table"]

_BALANCE_COLUMNS = [
    "covariate",
    "pilot_mean",
    "comparison_mean_before",
    "smd_before",
    "pilot_mean_after",
    "comparison_mean_after",
    "smd_after",
    "variance_ratio_after",
]


@dataclass(frozen=True)
class MatchResult:
    """Pilot families matched to comparison families, as :func:`propensity_match` returns them.

    Attributes
    ----------
    propensity : pandas.Series
        Index ``family_id``: the fitted propensity score (probability of being a pilot family) of every cohort family.
    pairs : pandas.DataFrame
        ``pilot_family``, ``comparison_family``, ``distance`` (absolute difference of the logits), ``pair`` (1, 2, …
        in matching order; a pilot family matched to ``ratio`` comparisons has ``ratio`` rows with the same pair).
    matched : pandas.DataFrame
        The cohort rows kept (matched pilot families and their comparisons), indexed by family id, with ``pair``
        and ``weight`` (1 for a pilot family; 1/k for a comparison family whose pilot family has k comparisons).
        ``matched["weight"]`` is the ``weights`` argument of :func:`circles.change.effect.difference_in_differences`.
    unmatched : list of str
        Pilot families with no comparison family inside the caliper (left out of the analysis: say so).
    balance : pandas.DataFrame
        One row per covariate (per level of a categorical covariate, named ``"age_band: 25-34"``, as shares):
        ``pilot_mean`` (all pilot families), ``comparison_mean_before``, ``smd_before``, ``pilot_mean_after``
        (matched pilot families), ``comparison_mean_after`` (weighted), ``smd_after``, ``variance_ratio_after``
        (pilot ÷ comparison variance after matching; near 1 is good). See :func:`balance_table`.
    caliper : float or None
        The caliper in logit units (``caliper`` × SD of the logit), or None for none.
    ratio : int
        Comparison families sought for each pilot family.
    covariates : list of str
        The cohort columns the propensity model was fitted on.
    """

    propensity: pd.Series
    pairs: pd.DataFrame
    matched: pd.DataFrame
    unmatched: list[str]
    balance: pd.DataFrame
    caliper: float | None
    ratio: int
    covariates: list[str]


def _check(
    cohort: pd.DataFrame, covariates: Sequence[str], treatment: str, treated: str, ratio: int, caliper: float | None
) -> np.ndarray:
    """Check the inputs of :func:`propensity_match`; return the boolean pilot indicator (one a cohort row)."""
    if not isinstance(cohort, pd.DataFrame):
        raise ChangeError(f"the cohort must be a pandas DataFrame (one row a family); got {type(cohort).__name__}.")
    if isinstance(covariates, str) or not len(covariates):
        raise ChangeError(
            f"give the covariates to match on as a list of cohort columns, e.g. ['age_band']; got {covariates!r}."
        )
    for column in ("family_id", treatment):
        if column not in cohort.columns:
            raise ChangeError(
                f"the cohort has no {column!r} column; its columns are {', '.join(map(str, cohort))}. "
                "Read it with circles.change.outcomes, which adds it."
            )
    missing = [c for c in covariates if c not in cohort.columns]
    if missing:
        raise ChangeError(
            f"covariate {', '.join(map(repr, missing))} is not a cohort column; the cohort has "
            f"{', '.join(map(str, cohort))}. Add it to the cohort file or leave it out of covariates."
        )
    for covariate in covariates:
        blank = int(cohort[covariate].isna().sum())
        if blank:
            raise ChangeError(
                f"covariate {covariate!r} is blank for {blank} cohort famil{'y' if blank == 1 else 'ies'}"
                "; fill it in (or use a level such as 'unknown') or leave the covariate out."
            )
    if cohort["family_id"].duplicated().any():
        twice = cohort.loc[cohort["family_id"].duplicated(), "family_id"].iloc[0]
        raise ChangeError(f"family {twice!r} appears more than once in the cohort; give one row a family.")
    is_pilot = (cohort[treatment] == treated).to_numpy(dtype=bool)
    for name, count in ((f"{treatment} {treated!r}", int(is_pilot.sum())), ("comparison", int((~is_pilot).sum()))):
        if count < 2:
            raise ChangeError(
                f"the {name} group has {count} famil{'y' if count == 1 else 'ies'}; matching needs at "
                f"least 2 in each group. Check the {treatment!r} column (pilot families are {treated!r})."
            )
    if isinstance(ratio, bool) or not isinstance(ratio, int | np.integer) or ratio < 1:
        raise ChangeError(
            f"ratio must be a whole number of comparison families for each pilot family, 1 or more; got {ratio!r}."
        )
    if caliper is not None and (isinstance(caliper, bool) or not isinstance(caliper, Real) or not caliper > 0):
        raise ChangeError(
            f"caliper must be a positive number of standard deviations of the logit (Austin 2011 "
            f"recommends 0.2) or None for no caliper; got {caliper!r}."
        )
    return is_pilot


def _is_number(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def _fit_logit(cohort: pd.DataFrame, covariates: Sequence[str], is_pilot: np.ndarray, seed: int) -> np.ndarray:
    """The logit of the propensity score of each cohort row: logistic regression in a scikit-learn pipeline."""
    numbers = [c for c in covariates if _is_number(cohort[c])]
    categories = [c for c in covariates if c not in numbers]
    columns = ColumnTransformer(
        [("categories", OneHotEncoder(handle_unknown="ignore"), categories), ("numbers", StandardScaler(), numbers)]
    )
    model = Pipeline([("columns", columns), ("model", LogisticRegression(max_iter=1000, random_state=seed))])
    frame = cohort[list(covariates)].copy()
    frame[numbers] = frame[numbers].astype(float)
    frame[categories] = frame[categories].astype(str)
    model.fit(frame, is_pilot.astype(int))
    return model.decision_function(frame)


def _greedy_pairs(
    logit: np.ndarray, is_pilot: np.ndarray, ids: np.ndarray, ratio: int, width: float | None, seed: int
) -> pd.DataFrame:
    """Greedy nearest-neighbour matching without replacement, pilot families in descending propensity order."""
    pilots, comparisons = np.flatnonzero(is_pilot), np.flatnonzero(~is_pilot)
    # ties in the score are broken at random (seeded), then the highest propensity is matched first
    order = pilots[np.random.default_rng(seed).permutation(len(pilots))]
    order = order[np.argsort(-logit[order], kind="stable")]
    # among the ratio × (pilots) nearest there are always `ratio` unused ones while any remain unused
    k = min(len(comparisons), ratio * len(pilots))
    finder = NearestNeighbors(n_neighbors=k).fit(logit[comparisons].reshape(-1, 1))
    distances, candidates = finder.kneighbors(logit[order].reshape(-1, 1))
    # equally near comparison families are taken in cohort order
    ranked = np.lexsort((candidates, distances), axis=1)
    distances, candidates = np.take_along_axis(distances, ranked, 1), np.take_along_axis(candidates, ranked, 1)
    used = np.zeros(len(comparisons), dtype=bool)
    rows, pair = [], 0
    for pilot, near, apart in zip(order, candidates, distances, strict=True):
        free = [(c, d) for c, d in zip(near, apart, strict=True) if not used[c] and (width is None or d <= width)]
        if not free:
            continue
        pair += 1
        for c, d in free[:ratio]:
            used[c] = True
            rows.append((ids[pilot], ids[comparisons[c]], float(d), pair))
    return pd.DataFrame(rows, columns=["pilot_family", "comparison_family", "distance", "pair"]).astype(
        {"pilot_family": str, "comparison_family": str, "distance": float, "pair": int}
    )


def _design(cohort: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Covariates as numbers: a number as it is, a categorical covariate as one 0/1 column per level."""
    parts = []
    for covariate in covariates:
        column = cohort[covariate]
        if _is_number(column):
            parts.append(column.astype(float).rename(covariate))
        else:
            levels = sorted(column.astype(str).unique())
            parts.extend(
                (column.astype(str) == level).astype(float).rename(f"{covariate}: {level}") for level in levels
            )
    return pd.concat(parts, axis=1)


def _smd(x_t: np.ndarray, x_c: np.ndarray, w_c: np.ndarray, share: bool) -> tuple[float, float, float, float]:
    """Pilot mean, weighted comparison mean, SMD and variance ratio (pilot ÷ comparison) of one covariate."""
    mean_t, mean_c = float(np.mean(x_t)), float(np.average(x_c, weights=w_c))
    if share:  # a level's share: variance p(1 − p) (Austin 2011)
        var_t, var_c = mean_t * (1 - mean_t), mean_c * (1 - mean_c)
    else:
        var_t = float(np.var(x_t, ddof=1))
        var_c = float(np.cov(x_c, aweights=w_c)) if np.ptp(w_c) else float(np.var(x_c, ddof=1))
    spread = np.sqrt((var_t + var_c) / 2)
    gap = mean_t - mean_c
    smd = 0.0 if np.isclose(gap, 0, atol=1e-12) else (gap / spread if spread > 0 else np.sign(gap) * np.inf)
    ratio = var_t / var_c if var_c > 0 else np.nan
    return mean_t, mean_c, float(smd), float(ratio)


def balance_table(
    cohort: pd.DataFrame,
    covariates: Sequence[str],
    is_pilot: np.ndarray,
    weight: np.ndarray,
) -> pd.DataFrame:
    """Covariate balance before and after matching: means, standardised mean differences, variance ratios.

    SMD = (mean_pilot − mean_comparison) / sqrt((var_pilot + var_comparison) / 2); a level of a categorical
    covariate is a share p with variance p(1 − p). Before matching every family counts once; after matching only
    families with a positive ``weight`` count, the comparison families weighted (Austin 2011). An absolute SMD under
    0.1 is the usual threshold for balance.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row a family, with the covariates.
    covariates : sequence of str
        Columns to compare: numbers (and booleans) as they are, anything else as categories.
    is_pilot : numpy.ndarray of bool
        True for a pilot family, one a cohort row.
    weight : numpy.ndarray of float
        The matching weight of each cohort row (0 for a family not matched).

    Returns
    -------
    pandas.DataFrame
        ``covariate``, ``pilot_mean``, ``comparison_mean_before``, ``smd_before``, ``pilot_mean_after``,
        ``comparison_mean_after``, ``smd_after``, ``variance_ratio_after``.

    References
    ----------
    Austin, P. C. (2011). An introduction to propensity score methods for reducing the effects of confounding in
    observational studies. *Multivariate Behavioral Research* 46(3), 399–424.

    Examples
    --------
    >>> cohort = pd.DataFrame({"age": [20.0, 30.0, 20.0, 30.0, 40.0]})
    >>> table = balance_table(cohort, ["age"], np.array([1, 1, 0, 0, 0], bool), np.array([1, 1, 1, 1, 0.0]))
    >>> table[["smd_before", "smd_after"]].round(3).values.tolist()  # before: (25 − 30) / sqrt((50 + 100) / 2)
    [[-0.577, 0.0]]
    """
    design = _design(cohort, covariates)
    is_pilot = np.asarray(is_pilot, dtype=bool)
    weight = np.asarray(weight, dtype=float)
    after_t, after_c = is_pilot & (weight > 0), ~is_pilot & (weight > 0)
    rows = []
    for name in design.columns:
        x = design[name].to_numpy()
        share = name not in covariates
        mean_t, mean_c, smd_b, _ = _smd(x[is_pilot], x[~is_pilot], np.ones(int((~is_pilot).sum())), share)
        if after_t.any() and after_c.any():
            mean_ta, mean_ca, smd_a, ratio_a = _smd(x[after_t], x[after_c], weight[after_c], share)
        else:
            mean_ta = mean_ca = smd_a = ratio_a = np.nan
        rows.append((name, mean_t, mean_c, smd_b, mean_ta, mean_ca, smd_a, ratio_a))
    return pd.DataFrame(rows, columns=_BALANCE_COLUMNS)


def propensity_match(
    cohort: pd.DataFrame,
    *,
    covariates: Sequence[str],
    treatment: str = "group",
    treated: str = "pilot",
    ratio: int = 1,
    caliper: float | None = 0.2,
    seed: int = 0,
) -> MatchResult:
    """Match each pilot family to its nearest comparison families on the propensity score.

    The propensity score is the probability of being a pilot family given the covariates, from a scikit-learn
    logistic regression (L2-penalised, C = 1, which keeps the scores finite when a covariate level has only pilot
    families) after one-hot encoding categorical covariates and standardising numbers. Pilot families, highest score
    first, each take the ``ratio`` nearest unused comparison families on the logit of the score (greedy, without
    replacement), only those within the caliper; a pilot family with none inside it is left unmatched. A pilot
    family with fewer than ``ratio`` inside the caliper keeps those it has (each weighted 1/k).

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row a family: ``family_id``, the ``treatment`` column and the covariates.
    covariates : sequence of str
        Cohort columns the score is fitted on (e.g. ``["age_band"]``). Numbers and booleans are standardised;
        any other column is categorical.
    treatment : str, default "group"
        The column saying which group a family is in.
    treated : str, default "pilot"
        The value of ``treatment`` for a pilot family; every other family is a comparison family.
    ratio : int, default 1
        Comparison families for each pilot family.
    caliper : float or None, default 0.2
        The widest allowed logit difference, in standard deviations of the logit (Austin 2011: 0.2); None for
        no caliper.
    seed : int, default 0
        Breaks ties between pilot families with the same score (deterministic for a given seed).

    Returns
    -------
    MatchResult
        Scores, pairs, matched rows with weights, unmatched pilot families and the balance table.

    Raises
    ------
    ChangeError
        A covariate or column missing (named), a blank covariate, a group with fewer than 2 families, a bad
        ratio or caliper.

    References
    ----------
    Rosenbaum, P. R. and Rubin, D. B. (1983). The central role of the propensity score in observational studies
    for causal effects. *Biometrika* 70(1), 41–55.

    Austin, P. C. (2011). Optimal caliper widths for propensity-score matching when estimating differences in
    means and differences in proportions in observational studies. *Pharmaceutical Statistics* 10(2), 150–161.

    Examples
    --------
    >>> cohort = pd.DataFrame({
    ...     "family_id": ["P1", "P2", "P3", "C1", "C2", "C3", "C4", "C5"],
    ...     "group": ["pilot"] * 3 + ["comparison"] * 5,
    ...     "age_band": ["18-24", "18-24", "25-34", "18-24", "18-24", "25-34", "35-44", "35-44"],
    ... })
    >>> result = propensity_match(cohort, covariates=["age_band"])
    >>> result.pairs[["pilot_family", "comparison_family"]].values.tolist()
    [['P1', 'C1'], ['P2', 'C2'], ['P3', 'C3']]
    >>> result.balance.set_index("covariate")[["smd_before", "smd_after"]].round(2)  # doctest: +NORMALIZE_WHITESPACE
                     smd_before  smd_after
    covariate
    age_band: 18-24        0.55        0.0
    age_band: 25-34        0.30        0.0
    age_band: 35-44       -1.15        0.0
    """
    is_pilot = _check(cohort, covariates, treatment, treated, ratio, caliper)
    ids = cohort["family_id"].astype(str).to_numpy()
    logit = _fit_logit(cohort, covariates, is_pilot, seed)
    width = None if caliper is None else float(caliper) * float(np.std(logit, ddof=1))
    pairs = _greedy_pairs(logit, is_pilot, ids, int(ratio), width, seed)
    per_pilot = pairs.groupby("pilot_family")["comparison_family"].transform("size")
    weights = pd.concat(
        [
            pd.Series(1.0, index=pairs["pilot_family"].unique()),
            pd.Series((1 / per_pilot).to_numpy(), index=pairs["comparison_family"].to_numpy()),
        ]
    )
    pair_of = pd.concat(
        [
            pairs.drop_duplicates("pilot_family").set_index("pilot_family")["pair"],
            pairs.set_index("comparison_family")["pair"],
        ]
    )
    weight = pd.Series(ids).map(weights).fillna(0.0).to_numpy()
    matched = cohort.loc[weight > 0].copy()
    matched.index = pd.Index(ids[weight > 0])
    matched["pair"] = pair_of.reindex(matched.index).astype(int)
    matched["weight"] = weight[weight > 0]
    return MatchResult(
        propensity=pd.Series(1 / (1 + np.exp(-logit)), index=pd.Index(ids, name="family_id"), name="propensity"),
        pairs=pairs,
        matched=matched.sort_values(["pair", "weight"], ascending=[True, False], kind="stable"),
        unmatched=[str(i) for i in ids[is_pilot] if i not in weights.index],
        balance=balance_table(cohort, covariates, is_pilot, weight),
        caliper=width,
        ratio=int(ratio),
        covariates=list(covariates),
    )
