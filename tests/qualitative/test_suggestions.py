"""Few-shot and zero-shot suggestions, honest negatives and measured quality (circles.qualitative.suggestions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from circles.errors import CodingError
from circles.qualitative.coding import review_queue, suggest_codes, train_suggester
from circles.qualitative.model import Code, Codebook, Source, make_segments
from circles.qualitative.suggestions import precision_at_k, rank_units, read_reviewed, update_ranking

BOOK = Codebook(
    (
        Code("BAR01", "Help only at crisis point", "barrier", include="crisis, emergency, breaking point"),
        Code("ASP01", "Stop drinking", "aspiration", include="sober, dry, give up drink", exclude="relapse"),
    )
)


def _units(texts: list[str], source: str = "s") -> tuple[pd.DataFrame, Source]:
    """One unit per line of a source made of ``texts``."""
    text = "\n".join(texts)
    starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    units = pd.DataFrame(
        {
            "source_id": source,
            "unit_id": range(len(texts)),
            "start": starts,
            "end": starts + [len(t) for t in texts],
            "text": texts,
            "speaker": "",
        }
    )
    return units, Source(source, source, text)


def test_zero_shot_ranks_a_unit_quoting_include_terms_above_unrelated_units():
    units = pd.DataFrame(
        {"text": ["The bus was late", "We had tea and biscuits", "It was an emergency before anyone came", "Rain"]}
    )
    ranking = rank_units(units, BOOK)
    assert ranking.mode == {"BAR01": "zero-shot", "ASP01": "zero-shot"}
    assert ranking.top("BAR01", 1).tolist() == [2]
    others = ranking.scores.loc[[0, 1, 3], "BAR01"]
    assert (ranking.scores.loc[2, "BAR01"] > others).all()


def test_few_shot_on_a_german_mini_project_puts_the_right_units_in_the_top_three():
    book = Codebook((Code("WAR01", "Wartezeit", "barrier"), Code("KIN01", "Kinderbetreuung", "need")))
    texts = [
        "Ich warte seit Monaten auf einen Termin.",  # coded WAR01
        "Die Warteliste ist ewig lang.",  # coded WAR01
        "Wir brauchen einen Kitaplatz.",  # coded KIN01
        "Der Bus kam zu spät.",
        "Auf den Termin warten wir noch immer.",  # WAR01, uncoded
        "Das Wetter war schön.",
        "Wochenlang auf einen Termin gewartet.",  # WAR01, uncoded
        "Mein Bruder hat ein Auto.",
        "Die Wartelisten werden immer länger.",  # WAR01, uncoded
        "Die Kita hat keinen Platz für uns.",
    ]
    units = pd.DataFrame({"text": texts})
    positives = pd.DataFrame({"WAR01": [1, 1] + [0] * 8, "KIN01": [0, 0, 1] + [0] * 7})
    ranking = rank_units(units, book, positives)
    assert ranking.mode["WAR01"] == "few-shot" and ranking.positives == {"WAR01": 2, "KIN01": 1}
    fresh = ranking.scores.drop(index=[0, 1, 2])["WAR01"].sort_values(ascending=False)
    assert set(fresh.index[:3]) == {4, 6, 8}
    assert ranking.scores.drop(index=[0, 1, 2])["KIN01"].idxmax() == 9


def test_accepting_and_rejecting_update_only_that_code():
    units = pd.DataFrame({"text": ["scared I will slip back", "the bus was late", "I might slip back again"]})
    book = Codebook((Code("FEA01", "Relapse", "fear"), Code("ASP01", "Stop drinking", "aspiration")))
    before = rank_units(units, book)
    after = update_ranking(before, 0, "FEA01", accepted=True)
    assert after.positives["FEA01"] == 1 and after.top("FEA01", 2).tolist() == [0, 2]
    assert after.scores["ASP01"].equals(before.scores["ASP01"])
    rejected = update_ranking(after, 1, "FEA01", accepted=False)
    assert rejected.negatives["FEA01"] == 1
    assert rejected.scores.loc[1, "FEA01"] < after.scores.loc[1, "FEA01"]


def test_precision_at_k_on_a_hand_checked_example():
    scores = [0.1, 0.9, 0.4, 0.8, 0.3, 0.7]
    labels = [1, 1, 0, 0, 1, 1]
    # ranked: 0.9 (1), 0.8 (0), 0.7 (1), 0.4 (0), 0.3 (1), 0.1 (1)
    assert precision_at_k(scores, labels, 1) == 1.0
    assert precision_at_k(scores, labels, 3) == pytest.approx(2 / 3)
    assert precision_at_k(scores, labels, 4) == 0.5
    assert precision_at_k(scores, labels, 20) == pytest.approx(4 / 6)  # k beyond the units: all of them


DRINK = [
    "I want to stop drinking for good",
    "my goal is to stop drinking and be sober",
    "I want to give up the drink and stay dry",
    "stop drinking is all I want",
    "being sober and dry matters most to me",
    "I want to stop drinking completely",
    "giving up the drink and staying sober",
    "I will stop drinking this year",
]
FILLER = ["the bus was late", "we had tea and biscuits", "my sister visited", "it rained all weekend"]


def _partly_coded() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Source], list[int]]:
    """A source of 8 drinking units and 12 fillers in which only 5 drinking units were coded."""
    texts = DRINK + FILLER * 3
    units, source = _units(texts)
    coded = [0, 1, 2, 3, 4]
    rows = [
        {"source_id": "s", "start": int(units.start[i]), "end": int(units.end[i]), "code_id": "ASP01", "coder": "jb"}
        for i in coded
    ]
    return units, make_segments(rows, {"s": source}), {"s": source}, [5, 6, 7]


def test_unlabelled_units_are_not_negatives_when_nothing_is_reviewed():
    units, coded, sources, uncoded_drinking = _partly_coded()
    model = train_suggester(units, coded, BOOK, min_examples=5, folds=5)
    quality = model.quality.set_index("code_id")
    assert quality.loc["ASP01", "reviewed_negatives"] == 0
    assert quality.loc["ASP01", "calibration"] == "positive-unlabelled"
    suggestions = suggest_codes(model, units, sources, threshold=0.5, existing=coded)
    suggested = set(suggestions.loc[suggestions["code_id"] == "ASP01", "start"])
    # the three drinking units nobody coded yet are suggested; had they been taken as negatives, they would not be
    assert {int(units.start[i]) for i in uncoded_drinking} <= suggested
    assert not suggested & {int(s) for s in units.start[8:]}  # no filler
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    as_negatives = np.zeros(len(units), int)
    as_negatives[[0, 1, 2, 3, 4]] = 1
    old = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(units["text"])
    classifier = LogisticRegression(class_weight="balanced").fit(old.transform(units["text"]), as_negatives)
    old_p = classifier.predict_proba(old.transform(units["text"]))[uncoded_drinking, 1]
    assert (old_p < 0.5).any()  # the old way misses at least one of them


def test_reviewed_ranges_make_negatives_and_are_read_with_clear_errors(tmp_path):
    units, coded, sources, _ = _partly_coded()
    path = tmp_path / "reviewed.csv"
    path.write_text("source,start,end\ns,,\n", encoding="utf-8")
    reviewed = read_reviewed(path, sources)
    assert reviewed.values.tolist() == [["s", 0, len(sources["s"].text)]]
    model = train_suggester(units, coded, BOOK, reviewed=reviewed)
    quality = model.quality.set_index("code_id")
    assert quality.loc["ASP01", "reviewed_negatives"] == 15  # 20 units, 5 coded
    assert quality.loc["ASP01", "calibration"] == "reviewed negatives"
    path.write_text("source,start,end\nz,0,5\n", encoding="utf-8")
    with pytest.raises(CodingError, match=r"reviewed.csv, line 2, column 'source': no source 'z'"):
        read_reviewed(path, sources)
    path.write_text("source,start,end\ns,0,9999\n", encoding="utf-8")
    with pytest.raises(CodingError, match="line 2: start 0 and end 9999"):
        read_reviewed(path, sources)


def test_the_queue_flags_a_code_of_poor_measured_quality_instead_of_suggesting_it():
    rng = np.random.default_rng(3)
    noise = [" ".join(rng.choice(["bus", "tea", "rain", "park", "car", "dog", "cake"], 4)) for _ in range(40)]
    texts = DRINK + noise
    units, source = _units(texts)
    sources = {"s": source}
    rows = [
        {"source_id": "s", "start": int(units.start[i]), "end": int(units.end[i]), "code_id": code, "coder": "jb"}
        for code, picks in (("ASP01", range(6)), ("BAR01", [9, 17, 23, 31, 38, 44]))  # BAR01: arbitrary units
        for i in picks
    ]
    coded = make_segments(rows, sources)
    model = train_suggester(units, coded, BOOK)
    quality = model.quality.set_index("code_id")
    assert bool(quality.loc["ASP01", "suggested"]) and not bool(quality.loc["BAR01", "suggested"])
    assert model.codes == ("ASP01",)
    suggestions = suggest_codes(model, units, sources, existing=coded)
    assert set(suggestions["code_id"]) <= {"ASP01"}
    queue = review_queue(suggestions, quality=quality.reset_index())
    flagged = queue[queue["code_id"] == "BAR01"]
    assert flagged["status"].tolist() == ["not suggested"]
    assert "below 0.3: not suggested" in flagged["note"].iloc[0]
    assert (queue.loc[queue["status"] == "suggested", "note"] == "").all()
