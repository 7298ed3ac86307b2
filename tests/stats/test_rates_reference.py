"""circles' Byar, exact Poisson and Wilson intervals against PHE's R package PHEindicatormethods.

Where the reference numbers come from (repository ``ukhsa-collaboration/PHEindicatormethods`` on GitHub):

* Exact Poisson limits: ``tests/testthat/testdata_funnel_ratio_outputs.csv`` at commit
  ``8ac28e54249d9b01d586b19d1d1b39f5af3d49ac``, the expected output of ``testFunnels.R``. Its
  ``upper_2s_exp_events`` / ``lower_2s_exp_events`` columns are ``poisson_funnel(obs, 0.025, "low"/"high")``
  (``R/utils.R``): the exact lower / upper 95% limits for an observed count, found by bisection to 1e-7 on a
  transformed scale (so published to about 1e-7 of ``1 + obs``); the ``3s`` columns are the same at 99.8%.
* Wilson limits: ``tests/testthat/testdata_funnel_prop_outputs.csv`` at commit
  ``63894a99103ffc9e0a3e8a15644200a3abb95669`` (expected output of ``phe_funnels`` for proportions). Each funnel
  limit is ``sigma_adjustment`` (``R/Funnels.R``), the proportion whose 95% (2s) or 99.8% (3s) Wilson score
  limit on the far side equals the baseline (80.642448%): the Wilson interval inverted. So the Wilson upper
  limit at a lower funnel limit, and the Wilson lower limit at an upper funnel limit, must give the baseline.
* Byar's limits: the package's own expected values (``tests/testthat/testdata_Byars_Wilson.xlsx``, used by
  ``testByars.R``) are in a binary workbook that could not be read here. The expected values below are
  therefore computed in this file, independently of circles, from the published formula (PHE, *Technical
  Guide: Confidence Intervals*; Breslow & Day 1987), which is also what ``byars_lower``/``byars_upper`` in
  ``R/utils.R`` (commit ``1fffcf5eeb6a3dc5f1874d997d708fa887353c61``) compute, for the inputs of
  ``testByars.R`` and more.

One deliberate difference: where Byar's formula gives a negative lower limit (O = 1 at 99.8%), the reference's
``byars_lower`` returns ``NA`` (``byars_lower[byars_lower < 0] <- NA``); circles returns 0, since no limit for
a count may be negative and a missing limit would read as a suppressed count.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circles.stats.rates import (
    byar_interval,
    crude_rate,
    exact_poisson_interval,
    poisson_interval,
    proportion,
    wilson_interval,
)

CONFIDENCES = (0.9, 0.95, 0.998)

# ------------------------------------------------------------------------------------ exact Poisson (published)

# (line of testdata_funnel_ratio_outputs.csv, obs, lower 95%, upper 95%, lower 99.8%, upper 99.8%) where
# lower 95% = upper_2s_exp_events, upper 95% = lower_2s_exp_events, lower 99.8% = upper_3s_exp_events and
# upper 99.8% = lower_3s_exp_events. (The header takes lines 1-2: its first field has a line break.)
EXACT_REFERENCE = [
    (3, 1, 0.025317898, 5.571644585, 0.001000547, 9.233410143),
    (4, 2, 0.242209467, 7.224687515, 0.04540199, 11.22886836),
    (5, 3, 0.618671905, 8.767273828, 0.190533306, 13.06224507),
    (6, 4, 1.089865762, 10.24158653, 0.42855244, 14.79414916),
    (7, 5, 1.623486324, 11.6683331, 0.739371928, 16.45474478),
    (11, 9, 4.11537405, 17.08479966, 2.452425215, 22.65737951),
    (12, 10, 4.795387629, 18.39035799, 2.960519925, 24.13397235),
    (13, 11, 5.491159964, 19.68203932, 3.491483541, 25.58929864),
    (22, 20, 12.21651877, 30.88838097, 8.958211233, 38.04188668),
    (43, 49, 36.25047284, 64.7805979, 30.17809181, 74.7246273),
    (59, 100, 81.36400699, 121.6268111, 71.92139974, 134.9243187),
    (79, 249, 219.0300984, 281.925722, 203.0712581, 301.7230493),
    (94, 495, 452.3482779, 540.5897776, 429.0857897, 567.6815921),
    (102, 716, 664.5083011, 770.4222128, 636.1521174, 802.60414),
]


def _reference_tolerance(value: float) -> float:
    """1e-6, relative above 1: the reference's bisection resolves about 1e-7 of ``1 + obs``."""
    return 1e-6 * max(1.0, value)


@pytest.mark.parametrize(("line", "obs", "lo95", "up95", "lo998", "up998"), EXACT_REFERENCE)
def test_exact_poisson_matches_reference(line, obs, lo95, up95, lo998, up998):
    for confidence, ref_lower, ref_upper in ((0.95, lo95, up95), (0.998, lo998, up998)):
        lower, upper = exact_poisson_interval([obs], confidence=confidence)
        assert abs(lower[0] - ref_lower) <= _reference_tolerance(ref_lower), (line, confidence)
        assert abs(upper[0] - ref_upper) <= _reference_tolerance(ref_upper), (line, confidence)


@pytest.mark.parametrize(("line", "obs", "lo95", "up95", "lo998", "up998"), [r for r in EXACT_REFERENCE if r[1] < 10])
def test_phe_method_matches_reference_below_ten(line, obs, lo95, up95, lo998, up998):
    # phe_rate (R/Rates.R) uses the exact interval for counts under 10.
    lower, upper = poisson_interval([obs], confidence=0.95)
    assert abs(lower[0] - lo95) <= _reference_tolerance(lo95)
    assert abs(upper[0] - up95) <= _reference_tolerance(up95)


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_exact_poisson_zero_count(confidence):
    # phe_rate: qchisq((1-c)/2, 0)/2 = 0 and qchisq(c+(1-c)/2, 2)/2 = -log((1-c)/2) (chi-squared on 2 df is
    # exponential with mean 2). The funnel test data start at 1.
    lower, upper = exact_poisson_interval([0], confidence=confidence)
    assert lower[0] == 0.0
    assert upper[0] == pytest.approx(-math.log((1 - confidence) / 2), abs=1e-9)


# -------------------------------------------------------------------------------------- Wilson (published)

BASELINE = 0.80642448  # "Baseline" column of testdata_funnel_prop_outputs.csv, as a proportion

# (line of testdata_funnel_prop_outputs.csv, Population, Lower2s0025limit, Upper2s0025limit, Lower3s0001limit,
# Upper3s0001limit), in percent; 0 and 100 are limits clipped by phe_funnels, so carry no Wilson information.
WILSON_FUNNEL_REFERENCE = [
    (2, 1, 3.204264, 100, 0, 100),
    (4, 3, 35.933491, 100, 10.150815, 100),
    (11, 10, 56.154344, 100, 42.03259, 100),
    (17, 18, 62.390093, 98.894803, 51.864359, 100),
    (27, 50, 69.691035, 91.593861, 63.375595, 97.909301),
    (34, 102, 72.974925, 88.309971, 68.553233, 92.731663),
    (56, 1008, 78.203374, 83.081521, 76.796814, 84.488082),
    (78, 9998, 79.867989, 81.416907, 79.421375, 81.863521),
    (101, 110000, 80.408963, 80.875933, 80.274317, 81.010578),
]


@pytest.mark.parametrize(("line", "n", "low2", "high2", "low3", "high3"), WILSON_FUNNEL_REFERENCE)
def test_wilson_matches_reference_funnel(line, n, low2, high2, low3, high3):
    checked = 0
    for confidence, funnel_low, funnel_high in ((0.95, low2, high2), (0.998, low3, high3)):
        if 0 < funnel_low < 100:
            _, upper = wilson_interval(funnel_low / 100 * n, n, confidence=confidence)
            assert upper[0] == pytest.approx(BASELINE, abs=1e-6), (line, confidence)
            checked += 1
        if 0 < funnel_high < 100:
            lower, _ = wilson_interval(funnel_high / 100 * n, n, confidence=confidence)
            assert lower[0] == pytest.approx(BASELINE, abs=1e-6), (line, confidence)
            checked += 1
    assert checked


# ------------------------------------------------------------------------- formulas (PHE Technical Guide)


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(confidence + (1 - confidence) / 2)


def _byar_reference(o: float, confidence: float) -> tuple[float, float]:
    """Byar's limits straight from the published formula, with no clamping (so possibly negative)."""
    z = _z(confidence)
    lower = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3 if o > 0 else 0.0
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    return lower, upper


def _wilson_reference(x: float, n: float, confidence: float) -> tuple[float, float]:
    z = _z(confidence)
    root = z * math.sqrt(z * z + 4 * x * (1 - x / n))
    return (2 * x + z * z - root) / (2 * (n + z * z)), (2 * x + z * z + root) / (2 * (n + z * z))


def test_reference_z_values():
    # The two Fingertips levels: 1.959964 and 3.090232.
    assert _z(0.95) == pytest.approx(1.959963985, abs=1e-9)
    assert _z(0.998) == pytest.approx(3.090232306, abs=1e-9)


# testByars.R uses 65, 1045, 1 at 95% and 65, 1045, 10 at 99.8%; more counts added here.
BYAR_CASES = [(o, 0.95) for o in (1, 2, 5, 10, 65, 100, 1045, 10000)] + [
    (o, 0.998) for o in (2, 5, 10, 65, 100, 1045, 10000)
]


@pytest.mark.parametrize(("o", "confidence"), BYAR_CASES)
def test_byar_matches_formula(o, confidence):
    ref_lower, ref_upper = _byar_reference(o, confidence)
    lower, upper = byar_interval([o], confidence=confidence)
    assert ref_lower > 0
    assert lower[0] == pytest.approx(ref_lower, rel=1e-9, abs=1e-9)
    assert upper[0] == pytest.approx(ref_upper, rel=1e-9, abs=1e-9)


def test_byar_upper_at_zero_and_one():
    # Upper limits exist for every count; at O = 0 and O = 1 they match the formula.
    for confidence in (0.95, 0.998):
        for o in (0, 1):
            _, upper = byar_interval([o], confidence=confidence)
            assert upper[0] == pytest.approx(_byar_reference(o, confidence)[1], rel=1e-9)


def test_byar_small_count_at_99_8_is_zero_not_negative():
    # The formula gives 1 * (1 - 1/9 - 3.090232/3)^3 = -0.0028; the reference returns NA, circles 0.
    raw_lower, _ = _byar_reference(1, 0.998)
    assert raw_lower == pytest.approx(-0.0028145, abs=1e-6)
    lower, upper = byar_interval([1], confidence=0.998)
    assert lower[0] == 0.0
    assert upper[0] == pytest.approx(_byar_reference(1, 0.998)[1], rel=1e-9)
    # ... and so do fractional (e.g. standardised) counts below about 0.63 at 95%.
    assert _byar_reference(0.5, 0.95)[0] < 0
    assert byar_interval([0.5], confidence=0.95)[0][0] == 0.0


def test_byar_missing_count_stays_missing():
    lower, upper = byar_interval([np.nan, 1], confidence=0.998)
    assert np.isnan(lower[0]) and np.isnan(upper[0])
    assert lower[1] == 0.0


# testWilson.R uses 65/100, 1045/5000 and 0.445/1; the ends (0 and n) and small n added here.
WILSON_CASES = [(65, 100), (1045, 5000), (0.445, 1), (0, 10), (1, 10), (10, 10), (0, 1), (1, 1), (3, 7)]


@pytest.mark.parametrize(("x", "n"), WILSON_CASES)
@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_wilson_matches_formula(x, n, confidence):
    ref_lower, ref_upper = _wilson_reference(x, n, confidence)
    lower, upper = wilson_interval([x], [n], confidence=confidence)
    assert lower[0] == pytest.approx(ref_lower, abs=1e-12)
    assert upper[0] == pytest.approx(ref_upper, abs=1e-12)


# ---------------------------------------------------------------------------------------------- properties

counts = st.integers(min_value=0, max_value=200)
fractional_counts = st.floats(min_value=0, max_value=200, allow_nan=False, allow_subnormal=False)
confidences = st.sampled_from(CONFIDENCES)


@settings(max_examples=300, deadline=None)
@given(o=st.one_of(counts, fractional_counts), confidence=confidences)
def test_poisson_limits_bracket_the_count_and_are_never_negative(o, confidence):
    for method in ("byar", "exact", "phe"):
        lower, upper = poisson_interval([o], confidence=confidence, method=method)
        assert 0.0 <= lower[0] <= o <= upper[0], (method, o, confidence, lower[0], upper[0])


def test_poisson_limits_all_counts_0_to_200():
    o = np.arange(201)
    for confidence in CONFIDENCES:
        for method in ("byar", "exact", "phe"):
            lower, upper = poisson_interval(o, confidence=confidence, method=method)
            assert np.all(lower >= 0), (method, confidence)
            assert np.all(lower <= o) and np.all(upper >= o), (method, confidence)


@settings(max_examples=200, deadline=None)
@given(o=counts, population=st.integers(min_value=1, max_value=10**6), confidence=confidences)
def test_rate_limits_never_negative(o, population, confidence):
    for method in ("byar", "exact", "phe"):
        out = crude_rate([o], [population], per=100000, confidence=confidence, method=method)
        row = out.iloc[0]
        assert 0.0 <= row["rate_lower"] <= row["rate"] <= row["rate_upper"], (method, o, population)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), n=st.integers(min_value=1, max_value=200), confidence=confidences)
def test_wilson_limits_bracket_the_proportion(data, n, confidence):
    x = data.draw(st.integers(min_value=0, max_value=n))
    lower, upper = wilson_interval([x], [n], confidence=confidence)
    assert 0.0 <= lower[0] <= x / n <= upper[0] <= 1.0
    out = proportion([x], [n], confidence=confidence, per=100).iloc[0]
    assert 0.0 <= out["proportion_lower"] <= out["proportion"] <= out["proportion_upper"] <= 100.0
