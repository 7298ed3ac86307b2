from __future__ import annotations

import pandas as pd
import pytest

from circles.disclosure import POLICIES, get_policy, protect_counts, protect_total
from circles.errors import DisclosureError


def test_nhs_policy_zero_suppress_round():
    table = pd.DataFrame({"n": [0, 1, 7, 8, 12, 13, 22, 23, 1000]})
    out = protect_counts(table, ["n"], POLICIES["nhs"])
    assert out["n"].tolist() == [0, pd.NA, pd.NA, 10, 10, 15, 20, 25, 1000]
    assert out["n_suppressed"].tolist() == [False, True, True, False, False, False, False, False, False]
    assert list(out.columns) == ["n", "n_suppressed"]


def test_ndtms_policy_suppresses_under_five_without_rounding():
    out = protect_counts(pd.DataFrame({"n": [0, 4, 5, 6]}), ["n"], POLICIES["ndtms"])
    assert out["n"].tolist() == [0, pd.NA, 5, 6]


def test_custom_policy_and_unknown_name():
    policy = get_policy("local", suppress_below=11, round_to=10)
    assert protect_counts(pd.DataFrame({"n": [10, 11, 14, 15]}), ["n"], policy)["n"].tolist() == [pd.NA, 10, 10, 20]
    with pytest.raises(DisclosureError, match="Did you mean 'nhs'"):
        get_policy("nsh")


def test_total_from_unrounded_values():
    # rounding each cell then adding gives 10+10+10 = 30; the unrounded total 3*12 = 36 rounds to 35
    total, suppressed = protect_total(pd.Series([12, 12, 12]), POLICIES["nhs"])
    assert (total, suppressed) == (35, False)
    assert protect_total(pd.Series([2, 3]), POLICIES["nhs"]) == (None, True)


def test_non_counts_are_refused():
    with pytest.raises(DisclosureError):
        protect_counts(pd.DataFrame({"n": [1.5]}), ["n"], POLICIES["nhs"])
    with pytest.raises(DisclosureError):
        protect_counts(pd.DataFrame({"n": [-1]}), ["n"], POLICIES["nhs"])
