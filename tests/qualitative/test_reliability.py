"""Agreement between coders: the unit matrix, percent agreement, Cohen's kappa, Krippendorff's alpha.

Kappa is checked against scikit-learn, alpha against the ``krippendorff`` package and the textbook value of
Krippendorff (2011), and the unit logic by hand-built cases (uncoded text, overlap boundary, presence,
missing sources).
"""

from __future__ import annotations

import math

import krippendorff  # test reference only (dev dependency)
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from circles.errors import CirclesError
from circles.qualitative.model import Code, Codebook, make_segments
from circles.qualitative.reliability import (
    ALL_CODES,
    DOCUMENT_UNIT,
    AgreementError,
    agreement,
    coding_matrix,
    disagreements,
    krippendorff_alpha_nominal,
)

NAN = float("nan")

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C.1: 4 observers x 12 units.
TEXTBOOK = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]


def sentence_units(n: int = 10, sources: tuple[str, ...] = ("s1",), length: int = 9) -> pd.DataFrame:
    """``n`` sentences per source, each ``length`` characters, one space between them."""
    rows = []
    for source in sources:
        for i in range(n):
            start = i * (length + 1)
            rows.append(
                {
                    "source_id": source,
                    "unit_id": i,
                    "start": start,
                    "end": start + length,
                    "text": f"Sentence {i} of {source}.",
                    "speaker": "",
                }
            )
    return pd.DataFrame(rows)


def seg(rows: list[tuple[str, int, int, str, str]], status: str = "accepted") -> pd.DataFrame:
    """Segments from (source_id, start, end, code_id, coder) tuples."""
    return make_segments(
        [{"source_id": s, "start": a, "end": b, "code_id": c, "coder": k, "status": status} for s, a, b, c, k in rows],
        {},
    )


def sentence(i: int, length: int = 9) -> tuple[int, int]:
    start = i * (length + 1)
    return start, start + length


def row(table: pd.DataFrame, code: str) -> pd.Series:
    return table.set_index("code_id").loc[code]


# --------------------------------------------------------------------------------------------------------------
# Krippendorff's alpha


def test_textbook_alpha_is_0_743() -> None:
    assert round(krippendorff_alpha_nominal(TEXTBOOK), 3) == 0.743
    # The exact value: 1 - (n - 1) * D_o / D_e with n = 40 pairable values (Krippendorff 2011, C.1).
    assert krippendorff_alpha_nominal(TEXTBOOK) == pytest.approx(0.743421052631579, abs=1e-12)
    assert krippendorff.alpha(reliability_data=TEXTBOOK, level_of_measurement="nominal") == pytest.approx(
        krippendorff_alpha_nominal(TEXTBOOK), abs=1e-12
    )


def test_alpha_accepts_string_categories_and_none() -> None:
    mapping = {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
    strings = [[None if isinstance(v, float) and math.isnan(v) else mapping[v] for v in r] for r in TEXTBOOK]
    assert krippendorff_alpha_nominal(strings) == pytest.approx(0.743421052631579, abs=1e-12)


def test_alpha_undefined_cases_are_nan() -> None:
    assert math.isnan(krippendorff_alpha_nominal([[1, 1, 1], [1, 1, 1]]))  # one category only
    assert math.isnan(krippendorff_alpha_nominal([[1, NAN], [NAN, 2]]))  # no unit with two values
    assert math.isnan(krippendorff_alpha_nominal([[NAN, NAN], [NAN, NAN]]))


@pytest.mark.parametrize("seed", range(12))
def test_alpha_equals_krippendorff_package_on_random_data_with_missing_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_coders = int(rng.integers(2, 6))
    n_units = int(rng.integers(5, 60))
    n_categories = int(rng.integers(2, 6))
    data = rng.integers(0, n_categories, size=(n_coders, n_units)).astype(float)
    data[rng.random(data.shape) < rng.uniform(0.0, 0.4)] = np.nan
    ours = krippendorff_alpha_nominal(data)
    if math.isnan(ours):  # the package raises where alpha is undefined
        pytest.skip("alpha undefined for this draw")
    theirs = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert ours == pytest.approx(theirs, abs=1e-10)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda coders: st.lists(
            st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=coders, max_size=coders),
            min_size=2,
            max_size=25,
        )
    )
)
def test_alpha_equals_krippendorff_package_property(units: list[list[int | None]]) -> None:
    data = np.array([[NAN if v is None else v for v in unit] for unit in units], dtype=float).T
    ours = krippendorff_alpha_nominal(data)
    pairable = data[:, (~np.isnan(data)).sum(axis=0) >= 2]
    values = pairable[~np.isnan(pairable)]
    if len(np.unique(values)) < 2:
        assert math.isnan(ours)
        return
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"), abs=1e-9)


# --------------------------------------------------------------------------------------------------------------
# Uncoded text is data


def test_uncoded_sentences_count_as_agreement() -> None:
    """Two coders code the same 2 sentences of 10: the 8 sentences neither coded are agreements."""
    units = sentence_units(10)
    a, b = sentence(3)[0], sentence(4)[1]
    segments = seg([("s1", a, b, "N1", "jb"), ("s1", a, b, "N1", "ak")])
    table = agreement(segments, units, coders=["jb", "ak"])
    n1 = row(table, "N1")
    assert n1["units"] == 10
    assert n1["coded_by_any"] == 2
    assert n1["percent_agreement"] == 1.0
    assert n1["cohen_kappa"] == 1.0  # defined: the 8 uncoded sentences give the "not coded" category
    assert n1["krippendorff_alpha"] == 1.0
    assert n1["note"] == ""


def test_naive_coded_text_only_approach_gives_a_different_answer() -> None:
    """Restricting to units that someone coded (what tools comparing segments do) changes every statistic."""
    units = sentence_units(10)
    # Same sentences: ours gives kappa = alpha = 1; coded-only has no variation, so both are undefined.
    same = seg([("s1", *sentence(3), "N1", "jb"), ("s1", *sentence(3), "N1", "ak")])
    matrix = coding_matrix(same, units, coders=["jb", "ak"])
    naive = matrix[matrix["jb"] | matrix["ak"]]
    assert len(naive) == 1
    assert math.isnan(krippendorff_alpha_nominal(naive[["jb", "ak"]].astype(float).to_numpy().T))
    assert row(agreement(same, units, coders=["jb", "ak"]), "N1")["krippendorff_alpha"] == 1.0

    # Overlapping choices: jb codes sentences 1-2, ak 2-3. All 10 units: 8 agree; coded-only: 1 of 3.
    shifted = seg(
        [("s1", sentence(1)[0], sentence(2)[1], "N1", "jb"), ("s1", sentence(2)[0], sentence(3)[1], "N1", "ak")]
    )
    matrix = coding_matrix(shifted, units, coders=["jb", "ak"])
    naive = matrix[matrix["jb"] | matrix["ak"]]
    naive_percent = float((naive["jb"] == naive["ak"]).mean())
    naive_kappa = cohen_kappa_score(naive["jb"].astype(int), naive["ak"].astype(int))
    n1 = row(agreement(shifted, units, coders=["jb", "ak"]), "N1")
    assert naive_percent == pytest.approx(1 / 3)
    assert n1["percent_agreement"] == pytest.approx(0.8)
    # By hand: p_o = 0.8, p_e = 0.2 * 0.2 + 0.8 * 0.8 = 0.68, kappa = 0.12 / 0.32 = 0.375.
    assert n1["cohen_kappa"] == pytest.approx(0.375)
    assert naive_kappa == pytest.approx(-0.5)
    # By hand: n = 20 values, n_1 = 4, n_0 = 16, o_01 + o_10 = 4: alpha = 1 - 19 * 4 / (2 * 4 * 16) = 0.40625.
    assert n1["krippendorff_alpha"] == pytest.approx(0.40625)


def test_code_nobody_applied_has_full_agreement_and_undefined_kappa() -> None:
    units = sentence_units(10)
    segments = seg([("s1", *sentence(0), "N1", "jb"), ("s1", *sentence(0), "N1", "ak")])
    table = agreement(segments, units, coders=["jb", "ak"], codes=["N1", "F9"])
    f9 = row(table, "F9")
    assert f9["units"] == 10 and f9["coded_by_any"] == 0
    assert f9["percent_agreement"] == 1.0
    assert math.isnan(f9["cohen_kappa"]) and math.isnan(f9["krippendorff_alpha"])
    assert "no variation" in f9["note"]


# --------------------------------------------------------------------------------------------------------------
# Kappa and percent agreement


def two_coder_case() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, tuple[list[int], list[int]]]]:
    """Sentence-level codings of two coders for three codes, with the expected unit vectors."""
    units = sentence_units(12)
    vectors = {
        "N1": ([1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1], [1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1]),
        "B1": ([0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0], [0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0]),
        "A1": ([0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]),
    }
    rows = []
    for code, (jb, ak) in vectors.items():
        for coder, vector in (("jb", jb), ("ak", ak)):
            rows += [("s1", *sentence(i), code, coder) for i, v in enumerate(vector) if v]
    return seg(rows), units, vectors


def test_cohen_kappa_equals_sklearn_and_percent_agreement_by_hand() -> None:
    segments, units, vectors = two_coder_case()
    table = agreement(segments, units, coders=["jb", "ak"], codes=["N1", "B1", "A1"])
    assert table["code_id"].tolist() == ["N1", "B1", "A1", ALL_CODES]
    # Units that differ, counted by hand from the vectors above: N1 units 1 and 6, B1 units 3 and 10, A1 unit 5.
    expected_percent = {"N1": 10 / 12, "B1": 10 / 12, "A1": 11 / 12}
    for code, (jb, ak) in vectors.items():
        got = row(table, code)
        assert got["units"] == 12
        assert got["coded_by_any"] == sum(max(x, y) for x, y in zip(jb, ak, strict=True))
        assert got["percent_agreement"] == pytest.approx(expected_percent[code])
        assert got["cohen_kappa"] == pytest.approx(cohen_kappa_score(jb, ak))
        assert got["krippendorff_alpha"] == pytest.approx(
            krippendorff.alpha(reliability_data=[jb, ak], level_of_measurement="nominal")
        )
    # Pooled over all 36 (unit, code) pairs.
    all_jb = sum((v[0] for v in vectors.values()), [])
    all_ak = sum((v[1] for v in vectors.values()), [])
    pooled = row(table, ALL_CODES)
    assert pooled["units"] == 36
    assert pooled["percent_agreement"] == pytest.approx(31 / 36)
    assert pooled["cohen_kappa"] == pytest.approx(cohen_kappa_score(all_jb, all_ak))
    assert pooled["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=[all_jb, all_ak], level_of_measurement="nominal")
    )


def test_coding_matrix_holds_the_unit_vectors() -> None:
    segments, units, vectors = two_coder_case()
    matrix = coding_matrix(segments, units, coders=["jb", "ak"], codes=["N1", "B1", "A1"])
    assert list(matrix.columns) == ["source_id", "unit_id", "code_id", "jb", "ak"]
    assert len(matrix) == 36
    assert str(matrix["jb"].dtype) == "boolean"
    for code, (jb, ak) in vectors.items():
        part = matrix[matrix["code_id"] == code]
        assert part["unit_id"].tolist() == list(range(12))
        assert part["jb"].astype(int).tolist() == jb
        assert part["ak"].astype(int).tolist() == ak


def test_only_accepted_segments_count() -> None:
    units = sentence_units(4)
    segments = pd.concat(
        [
            seg([("s1", *sentence(0), "N1", "jb"), ("s1", *sentence(0), "N1", "ak")]),
            seg([("s1", *sentence(1), "N1", "jb")], status="suggested"),
            seg([("s1", *sentence(2), "N1", "ak")], status="rejected"),
        ],
        ignore_index=True,
    )
    matrix = coding_matrix(segments, units, coders=["jb", "ak"])
    assert matrix["jb"].tolist() == [True, False, False, False]
    assert matrix["ak"].tolist() == [True, False, False, False]


def test_codebook_gives_codes_in_order() -> None:
    segments, units, _ = two_coder_case()
    book = Codebook((Code("A1", "Aspire", "aspiration"), Code("N1", "Need", "need"), Code("X1", "Unused", "fear")))
    table = agreement(segments, units, coders=["jb", "ak"], codes=book)
    assert table["code_id"].tolist() == ["A1", "N1", "X1", ALL_CODES]


def test_default_codes_are_the_accepted_ones_sorted() -> None:
    segments, units, _ = two_coder_case()
    assert agreement(segments, units, coders=["jb", "ak"])["code_id"].tolist() == ["A1", "B1", "N1", ALL_CODES]


# --------------------------------------------------------------------------------------------------------------
# Unit rules


def one_unit(start: int, end: int) -> pd.DataFrame:
    return pd.DataFrame({"source_id": ["s1"], "unit_id": [0], "start": [start], "end": [end], "text": ["x"]})


@pytest.mark.parametrize(
    ("segment", "threshold", "counts"),
    [
        ((5, 20), 0.5, True),  # covers 5 of the 10-character unit: exactly half
        ((6, 20), 0.5, False),  # 4 of 10
        ((6, 20), 0.4, True),
        ((0, 4), 0.5, True),  # a short quote inside the unit: covers all of the (shorter) segment
        ((8, 12), 0.5, True),  # 2 of a 4-character segment: half of the shorter
        ((8, 13), 0.5, False),  # 2 of a 5-character segment
        ((10, 20), 0.01, False),  # touching is not overlapping
        ((0, 10), 1.0, True),
        ((2, 10), 1.0, True),  # at 1.0 one must contain the other
        ((5, 15), 1.0, False),
    ],
)
def test_overlap_threshold_boundary(segment: tuple[int, int], threshold: float, counts: bool) -> None:
    units = one_unit(0, 10)
    segments = seg([("s1", *segment, "N1", "jb"), ("s1", 0, 0, "N1", "ak")])
    matrix = coding_matrix(segments, units, coders=["jb", "ak"], threshold=threshold)
    assert bool(matrix.loc[0, "jb"]) is counts


def test_overlap_segment_straddling_two_units() -> None:
    units = sentence_units(3)  # [0, 9), [10, 19), [20, 29)
    segments = seg([("s1", 0, 12, "N1", "jb"), ("s1", 7, 13, "N1", "ak")])
    matrix = coding_matrix(segments, units, coders=["jb", "ak"])
    # jb: all of unit 0, 2 of 9 of unit 1. ak (6 characters): 2 of 6 in unit 0, 3 of 6 in unit 1.
    assert matrix["jb"].tolist() == [True, False, False]
    assert matrix["ak"].tolist() == [False, True, False]


def test_contains_rule_needs_the_whole_unit() -> None:
    units = sentence_units(3)
    segments = seg([("s1", 0, 19, "N1", "jb"), ("s1", 2, 8, "N1", "ak"), ("s1", 10, 19, "N1", "ak")])
    matrix = coding_matrix(segments, units, coders=["jb", "ak"], unit_rule="contains")
    assert matrix["jb"].tolist() == [True, True, False]
    assert matrix["ak"].tolist() == [False, True, False]  # the short quote in unit 0 does not contain it


def test_document_presence() -> None:
    units = sentence_units(5, sources=("s1", "s2", "s3"))
    segments = seg(
        [
            ("s1", *sentence(0), "N1", "jb"),
            ("s1", *sentence(4), "N1", "ak"),  # same document, different sentence: agreement on presence
            ("s2", *sentence(2), "N1", "jb"),
            ("s3", *sentence(1), "B1", "ak"),
        ]
    )
    matrix = coding_matrix(segments, units, coders=["jb", "ak"], codes=["N1"], unit_rule="presence", coverage="all")
    assert matrix["source_id"].tolist() == ["s1", "s2", "s3"]
    assert (matrix["unit_id"] == DOCUMENT_UNIT).all()
    assert matrix["jb"].tolist() == [True, True, False]
    assert matrix["ak"].tolist() == [True, False, False]
    n1 = row(agreement(segments, units, coders=["jb", "ak"], codes=["N1"], unit_rule="presence", coverage="all"), "N1")
    assert n1["units"] == 3 and n1["percent_agreement"] == pytest.approx(2 / 3)
    assert n1["cohen_kappa"] == pytest.approx(cohen_kappa_score([1, 1, 0], [1, 0, 0]))
    # Default coverage: jb has no segment in s3 and ak none in s2, so only s1 is judged by both.
    default = row(agreement(segments, units, coders=["jb", "ak"], codes=["N1"], unit_rule="presence"), "N1")
    assert default["units"] == 1


# --------------------------------------------------------------------------------------------------------------
# Missing sources


def test_coder_missing_a_whole_source_is_missing_not_absent() -> None:
    units = sentence_units(6, sources=("s1", "s2"))
    segments = seg(
        [
            ("s1", *sentence(0), "N1", "jb"),
            ("s1", *sentence(0), "N1", "ak"),
            ("s1", *sentence(1), "N1", "cw"),
            ("s1", *sentence(3), "N1", "ak"),
            ("s2", *sentence(2), "N1", "jb"),
            ("s2", *sentence(2), "N1", "ak"),
            ("s2", *sentence(5), "N1", "ak"),
        ]
    )
    coders = ["jb", "ak", "cw"]
    matrix = coding_matrix(segments, units, coders=coders)  # default coverage: cw has no row in s2
    assert matrix.loc[matrix["source_id"] == "s2", "cw"].isna().all()
    assert matrix.loc[matrix["source_id"] == "s1", "cw"].notna().all()

    data = matrix[coders].astype("float64").to_numpy().T  # <NA> -> NaN
    table = agreement(segments, units, coders=coders)
    n1 = row(table, "N1")
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert n1["krippendorff_alpha"] == pytest.approx(expected)
    # Treating cw's s2 units as "not coded" (the wrong reading) gives another alpha.
    wrong = krippendorff.alpha(reliability_data=np.nan_to_num(data, nan=0.0), level_of_measurement="nominal")
    assert wrong != pytest.approx(expected)
    assert row(agreement(segments, units, coders=coders, coverage="all"), "N1")["krippendorff_alpha"] == pytest.approx(
        wrong
    )
    # Percent agreement over present coders: s1 units 0, 1 and 3 differ, s2 unit 5 differs; 8 of 12 agree.
    assert n1["units"] == 12 and n1["percent_agreement"] == pytest.approx(8 / 12)
    assert math.isnan(n1["cohen_kappa"]) and "exactly two coders" in n1["note"]


def test_kappa_uses_only_units_both_coders_judged() -> None:
    units = sentence_units(6, sources=("s1", "s2"))
    segments = seg(
        [
            ("s1", *sentence(0), "N1", "jb"),
            ("s1", *sentence(0), "N1", "ak"),
            ("s1", *sentence(2), "N1", "ak"),
            ("s2", *sentence(1), "N1", "jb"),
        ]
    )
    coverage = {"jb": ["s1", "s2"], "ak": ["s1"]}
    n1 = row(agreement(segments, units, coders=["jb", "ak"], coverage=coverage), "N1")
    assert n1["units"] == 6
    assert n1["cohen_kappa"] == pytest.approx(cohen_kappa_score([1, 0, 0, 0, 0, 0], [1, 0, 1, 0, 0, 0]))
    frame_coverage = pd.DataFrame({"coder": ["jb", "jb", "ak"], "source_id": ["s1", "s2", "s1"]})
    same = row(agreement(segments, units, coders=["jb", "ak"], coverage=frame_coverage), "N1")
    assert same["cohen_kappa"] == n1["cohen_kappa"]


def test_codings_in_an_uncovered_source_are_an_error() -> None:
    units = sentence_units(3, sources=("s1", "s2"))
    segments = seg([("s1", *sentence(0), "N1", "jb"), ("s2", *sentence(0), "N1", "ak")])
    with pytest.raises(AgreementError, match="coverage says they did not code it"):
        agreement(segments, units, coders=["jb", "ak"], coverage={"jb": ["s1", "s2"], "ak": ["s1"]})


def test_random_codings_agree_with_the_reference_implementations() -> None:
    """Random sentence codings by three coders with missing sources: matrix, kappa and alpha all check out."""
    rng = np.random.default_rng(20240611)
    sources = ("s1", "s2", "s3")
    units = sentence_units(15, sources=sources)
    coders = ["jb", "ak", "cw"]
    codes = ["N1", "B1", "F1"]
    coverage = {"jb": list(sources), "ak": list(sources), "cw": ["s1", "s3"]}
    truth = np.full((len(units), len(codes), len(coders)), np.nan)
    rows = []
    for j, coder in enumerate(coders):
        for s_index, source in enumerate(sources):
            if source not in coverage[coder]:
                continue
            for c, code in enumerate(codes):
                chosen = rng.random(15) < 0.3
                truth[s_index * 15 : (s_index + 1) * 15, c, j] = chosen
                rows += [(source, *sentence(i), code, coder) for i in np.flatnonzero(chosen)]
    segments = seg(rows)
    matrix = coding_matrix(segments, units, coders=coders, codes=codes, coverage=coverage)
    assert np.array_equal(matrix[coders].astype("float64").to_numpy(), truth.reshape(-1, len(coders)), equal_nan=True)
    table = agreement(segments, units, coders=coders, codes=codes, coverage=coverage)
    for c, code in enumerate(codes):
        assert row(table, code)["krippendorff_alpha"] == pytest.approx(
            krippendorff.alpha(reliability_data=truth[:, c, :].T, level_of_measurement="nominal")
        )
    assert row(table, ALL_CODES)["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=truth.reshape(-1, 3).T, level_of_measurement="nominal")
    )
    pair = agreement(segments, units, coders=["jb", "ak"], codes=codes)
    for c, code in enumerate(codes):
        assert row(pair, code)["cohen_kappa"] == pytest.approx(cohen_kappa_score(truth[:, c, 0], truth[:, c, 1]))


# --------------------------------------------------------------------------------------------------------------
# Disagreements


def test_disagreements_list_who_coded_and_who_did_not() -> None:
    units = sentence_units(4, sources=("s1", "s2"))
    units.loc[1, "text"] = "A very   long sentence\nthat goes on and on about the bus pass and the forms."
    segments = seg(
        [
            ("s1", *sentence(0), "N1", "jb"),
            ("s1", *sentence(0), "N1", "ak"),
            ("s1", *sentence(1), "N1", "jb"),
            ("s1", *sentence(1), "N1", "cw"),
            ("s1", *sentence(1), "B1", "ak"),
            ("s2", *sentence(3), "N1", "ak"),
            ("s2", *sentence(3), "N1", "jb"),
            ("s2", *sentence(2), "B1", "jb"),
        ]
    )
    found = disagreements(segments, units, coders=["jb", "ak", "cw"], max_chars=30)
    assert found[["source_id", "unit_id", "code_id"]].values.tolist() == [
        ["s1", 0, "N1"],
        ["s1", 1, "B1"],
        ["s1", 1, "N1"],
        ["s2", 2, "B1"],
    ]
    first = found.iloc[0]
    assert (first["coded_by"], first["not_coded_by"], first["missing"]) == ("jb, ak", "cw", "")
    second = found.iloc[1]
    assert second["text"] == "A very long sentence that goe…"
    assert len(second["text"]) == 30
    assert (second["coded_by"], second["not_coded_by"]) == ("ak", "jb, cw")
    last = found.iloc[3]
    assert (last["coded_by"], last["not_coded_by"], last["missing"]) == ("jb", "ak", "cw")
    assert (last["start"], last["end"]) == sentence(2)
    # s2 unit 3: jb and ak both coded N1, cw missing: not a disagreement.
    assert not ((found["source_id"] == "s2") & (found["unit_id"] == 3)).any()


def test_no_disagreements_gives_an_empty_table_with_columns() -> None:
    units = sentence_units(3)
    segments = seg([("s1", *sentence(0), "N1", "jb"), ("s1", *sentence(0), "N1", "ak")])
    found = disagreements(segments, units, coders=["jb", "ak"])
    assert found.empty
    assert list(found.columns) == [
        "source_id",
        "unit_id",
        "code_id",
        "start",
        "end",
        "text",
        "coded_by",
        "not_coded_by",
        "missing",
    ]


# --------------------------------------------------------------------------------------------------------------
# Bad input


def test_errors_are_circles_errors_with_hints() -> None:
    units = sentence_units(3)
    segments = seg([("s1", *sentence(0), "N1", "jb"), ("s1", *sentence(0), "N1", "ak")])
    assert issubclass(AgreementError, CirclesError)
    with pytest.raises(AgreementError, match="Did you mean 'ak'"):
        agreement(segments, units, coders=["jb", "akk"])
    with pytest.raises(AgreementError, match="at least two distinct coders"):
        agreement(segments, units, coders=["jb"])
    with pytest.raises(AgreementError, match="threshold"):
        agreement(segments, units, coders=["jb", "ak"], threshold=0)
    with pytest.raises(AgreementError, match="threshold"):
        agreement(segments, units, coders=["jb", "ak"], threshold=1.5)
    with pytest.raises(AgreementError, match="Did you mean 'overlap'"):
        agreement(segments, units, coders=["jb", "ak"], unit_rule="overlaps")  # type: ignore[arg-type]
    with pytest.raises(AgreementError, match="lacks the column"):
        agreement(segments, units.drop(columns="text"), coders=["jb", "ak"])
    with pytest.raises(AgreementError, match="more than once"):
        agreement(segments, pd.concat([units, units]), coders=["jb", "ak"])
    with pytest.raises(AgreementError, match="give every coder an entry"):
        agreement(segments, units, coders=["jb", "ak"], coverage={"jb": ["s1"]})
    with pytest.raises(AgreementError, match="no accepted coding|None of the coders"):
        agreement(
            seg([("s1", 0, 5, "N1", "jb"), ("s1", 0, 5, "N1", "ak")], status="rejected"), units, coders=["jb", "ak"]
        )
    bad = segments.copy()
    bad.loc[0, "end"] = -1
    with pytest.raises(AgreementError, match="start <= end"):
        agreement(bad, units, coders=["jb", "ak"])
