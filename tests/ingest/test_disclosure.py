from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circles.errors import DisclosureError
from circles.ingest.disclosure import (
    POLICIES,
    drop_raw,
    get_policy,
    protect_counts,
    protect_table,
    protect_total,
    rate_from_published,
    secondary_suppression,
)


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


# ------------------------------------------------------------------------------------------ secondary suppression

NHS = POLICIES["nhs"]
AREA_BY_SERVICE = [["area"], ["service"]]


def _grid(rows: dict[str, list[int]], services=("s1", "s2", "s3")) -> pd.DataFrame:
    """A long area × service table of exact counts from ``{area: [count per service]}``."""
    records = [(area, s, n) for area, counts in rows.items() for s, n in zip(services, counts, strict=True)]
    return pd.DataFrame(records, columns=["area", "service", "n"])


def _primary(table: pd.DataFrame, policy=NHS) -> pd.DataFrame:
    out = table.copy()
    out["n_raw"] = out["n"]
    return protect_counts(out, ["n"], policy)


def _suppressed_cells(out: pd.DataFrame) -> dict[tuple[str, str], str]:
    hidden = out[out["n_suppressed"]]
    return {(a, s): kind for a, s, kind in zip(hidden["area"], hidden["service"], hidden["n_suppression"], strict=True)}


def test_secondary_suppression_row_complement_and_column_knock_on():
    table = _primary(_grid({"A": [3, 20, 50], "B": [15, 30, 40], "C": [25, 45, 60]}))
    out = secondary_suppression(table, "n", groups=AREA_BY_SERVICE, policy=NHS)
    # A-s1 (3) is primary. Row A: smallest nonzero raw is A-s2 (20). Column s1: A-s1 alone -> B-s1 (15 < 25).
    # Knock-on: A-s2 is now alone in column s2 -> B-s2 (30 < 45). Row B then has two; nothing else.
    assert _suppressed_cells(out) == {
        ("A", "s1"): "primary",
        ("A", "s2"): "secondary",
        ("B", "s1"): "secondary",
        ("B", "s2"): "secondary",
    }
    assert out["n"].isna().tolist() == out["n_suppressed"].tolist()
    assert out.loc[out["n_suppression"] == "", "n"].tolist() == [50, 40, 25, 45, 60]
    assert list(out.columns) == ["area", "service", "n", "n_suppressed", "n_suppression", "n_raw"]
    assert out.attrs["disclosure_unresolved"] == []
    # Rows alone: only the row complement; the column knock-on needs the column groups.
    rows_only = secondary_suppression(table, "n", groups=[["area"]], policy=NHS)
    assert set(_suppressed_cells(rows_only)) == {("A", "s1"), ("A", "s2")}


def test_secondary_suppression_repeats_passes_until_stable():
    # Column s1 (3, 0, 0) has a suppressed total, so it needs nothing. Pass 1: row A -> A-s2 (20); column s2 -> B-s2
    # (30 < 45). Pass 2: row B is now exposed; B-s1 is zero, so B-s3 (40); column s3 -> A-s3 (50 < 60). Pass 3: stable.
    table = _primary(_grid({"A": [3, 20, 50], "B": [0, 30, 40], "C": [0, 45, 60]}))
    out = secondary_suppression(table, "n", groups=AREA_BY_SERVICE, policy=NHS)
    assert _suppressed_cells(out) == {
        ("A", "s1"): "primary",
        ("A", "s2"): "secondary",
        ("B", "s2"): "secondary",
        ("B", "s3"): "secondary",
        ("A", "s3"): "secondary",
    }


def test_secondary_suppression_ties_go_to_the_first_cell_in_table_order():
    table = _primary(_grid({"A": [3, 20, 20]}))
    out = secondary_suppression(table, "n", groups=[["area"]], policy=NHS)
    assert out["n_suppression"].tolist() == ["primary", "secondary", ""]
    reordered = _primary(_grid({"A": [3, 20, 20]}).iloc[[0, 2, 1]])
    out = secondary_suppression(reordered, "n", groups=[["area"]], policy=NHS)
    assert out["service"][out["n_suppression"] == "secondary"].tolist() == ["s3"]
    assert out.index.tolist() == [0, 2, 1]  # the caller's index is kept


def test_secondary_suppression_leaves_groups_with_two_suppressed_cells():
    table = _primary(_grid({"A": [3, 5, 40, 50]}, services=("s1", "s2", "s3", "s4")))
    out = secondary_suppression(table, "n", groups=[["area"]], policy=NHS)
    assert out["n_suppression"].tolist() == ["primary", "primary", "", ""]
    assert out["n"].tolist()[2:] == [40, 50]


def test_secondary_suppression_never_picks_zeros_and_records_what_it_cannot_hide():
    # Row A: A-s1 (3) -> A-s2 (20). Column s2 is then 20 and 0 with a published total of 20: the only other cell
    # is zero, so no complement exists; it terminates and records the group.
    table = _primary(_grid({"A": [3, 20], "B": [0, 0]}, services=("s1", "s2")))
    out = secondary_suppression(table, "n", groups=AREA_BY_SERVICE, policy=NHS)
    assert _suppressed_cells(out) == {("A", "s1"): "primary", ("A", "s2"): "secondary"}
    assert out["n"].tolist() == [pd.NA, pd.NA, 0, 0]
    assert out.attrs["disclosure_unresolved"] == [{"column": "n", "group": ["service"], "key": {"service": "s2"}}]


def test_secondary_suppression_skips_groups_whose_total_is_suppressed():
    # (3, 0, 0): the row total 3 is itself suppressed, so nothing can be subtracted -- nothing added, nothing recorded.
    out = secondary_suppression(_primary(_grid({"A": [3, 0, 0]})), "n", groups=[["area"]], policy=NHS)
    assert out["n_suppression"].tolist() == ["primary", "", ""]
    assert out.attrs["disclosure_unresolved"] == []
    # A cell flagged by the caller with a published neighbour: total 2 + 3 = 5 is suppressed under nhs -> nothing
    # added; with a neighbour of 9 the total (11) is published and the neighbour becomes the complement.
    for neighbour, expected in [(3, ["primary", ""]), (9, ["primary", "secondary"])]:
        tiny = pd.DataFrame({"area": ["A", "A"], "n": [pd.NA, neighbour], "n_suppressed": [True, False]})
        tiny["n"] = tiny["n"].astype("Int64")
        tiny["n_raw"] = [2, neighbour]
        assert secondary_suppression(tiny, "n", groups=[["area"]], policy=NHS)["n_suppression"].tolist() == expected


def test_secondary_suppression_needs_raw_counts_and_known_group_columns():
    table = protect_counts(_grid({"A": [3, 20, 50]}), ["n"], NHS)
    with pytest.raises(DisclosureError, match="n_raw"):
        secondary_suppression(table, "n", groups=[["area"]], policy=NHS)
    table["n_raw"] = [3, 20, 50]
    with pytest.raises(DisclosureError, match="Did you mean 'area'"):
        secondary_suppression(table, "n", groups=[["arae"]], policy=NHS)


def test_protect_table_publishes_no_raw_and_no_small_numbers():
    table = _grid({"A": [3, 20, 50], "B": [15, 30, 40], "C": [25, 45, 7]})
    table["people"] = [1, 2, 8, 9, 10, 11, 12, 13, 14]
    out = protect_table(table, ["n", "people"], NHS, groups=AREA_BY_SERVICE)
    assert not [c for c in out.columns if c.endswith("_raw")]
    for column in ["n", "people"]:
        published = out[column].dropna()
        assert not published.between(1, 7).any()
        assert (published % 5 == 0).all()
        assert out[column].isna().tolist() == out[f"{column}_suppressed"].tolist()
    # n: primaries A-s1 (3), C-s3 (7); rows add A-s2 (20), C-s1 (25); columns add B-s2 (30), B-s3 (40 < 50).
    assert out["n_suppression"].tolist() == ["primary", "secondary", "", "", "secondary", "secondary"] + [
        "secondary",
        "",
        "primary",
    ]
    # people: primaries A-s1 (1), A-s2 (2); columns s1 and s2 add B-s1 (9 < 12) and B-s2 (10 < 13).
    assert out["people_suppression"].tolist() == ["primary", "primary", "", "secondary", "secondary"] + [""] * 4
    assert out["people"].tolist() == [pd.NA, pd.NA, 10, pd.NA, pd.NA, 10, 10, 15, 15]
    assert _balanced(out, table)
    assert protect_table(table, ["n"], NHS).equals(protect_counts(table, ["n"], NHS))
    with pytest.raises(DisclosureError, match="_raw"):
        protect_table(table.rename(columns={"n": "n_raw"}), ["n_raw"], NHS)


def test_drop_raw_removes_every_raw_column_and_keeps_attrs():
    table = pd.DataFrame({"n": [10], "n_raw": [12], "m_raw": [3], "rawness": [1]})
    table.attrs["disclosure_unresolved"] = []
    out = drop_raw(table)
    assert out.columns.tolist() == ["n", "rawness"]
    assert out.attrs == {"disclosure_unresolved": []}


def _balanced(out: pd.DataFrame, raw: pd.DataFrame, policy=NHS) -> bool:
    """No group has exactly one suppressed cell unless its other cells are all zero or its total is suppressed."""
    merged = out.assign(raw=raw["n"].to_numpy())
    for key in ["area", "service"]:
        for _, group in merged.groupby(key):
            hidden = group["n_suppressed"]
            if hidden.sum() != 1:
                continue
            total = group["raw"].sum()
            if 1 <= total < policy.suppress_below:
                continue
            if (group.loc[~hidden, "n"] == 0).all():
                continue
            return False
    return True


counts = st.one_of(st.just(0), st.integers(1, 7), st.integers(8, 60))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_protect_table_leaves_no_recoverable_singleton(n_areas, n_services, data):
    services = tuple(f"s{j}" for j in range(n_services))
    rows = {f"A{i}": data.draw(st.lists(counts, min_size=n_services, max_size=n_services)) for i in range(n_areas)}
    table = _grid(rows, services=services)
    out = protect_table(table, ["n"], NHS, groups=AREA_BY_SERVICE)
    assert _balanced(out, table)
    primary = table["n"].between(1, 7)
    assert (out["n_suppression"] == "primary").tolist() == primary.tolist()
    assert out["n_suppressed"].tolist() == (out["n_suppression"] != "").tolist()
    assert not out["n"].dropna().between(1, 7).any()
    secondary = out["n_suppression"] == "secondary"
    assert (table.loc[secondary.to_numpy(), "n"] >= 8).all()  # complements are never zeros
    for record in out.attrs["disclosure_unresolved"]:
        [(column, key)] = record["key"].items()
        group = out[out[column] == key]
        assert group["n_suppressed"].sum() == 1 and (group.loc[~group["n_suppressed"], "n"] == 0).all()


def test_rate_from_published_uses_the_rounded_counts():
    published = protect_table(pd.DataFrame({"n": [12, 3, 0]}), ["n"], NHS)["n"]
    assert published.tolist() == [10, pd.NA, 0]
    rates = rate_from_published(published, pd.Series([1000, 1000, 1000]))
    assert rates.tolist() == [10.0, pd.NA, 0.0]  # 12 raw would give 12.0
    assert str(rates.dtype) == "Float64"
    assert rate_from_published(published, 40, per=100).tolist() == [25.0, pd.NA, 0.0]
    assert rate_from_published(published, pd.Series([0, 10, pd.NA], dtype="Int64")).isna().tolist() == [True] * 3
    with pytest.raises(DisclosureError, match="published counts"):
        rate_from_published(pd.Series([12]), 1000, policy=NHS)
    with pytest.raises(DisclosureError, match="zero or more"):
        rate_from_published(published, -5)
