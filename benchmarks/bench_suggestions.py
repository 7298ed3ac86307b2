"""Benchmark: machine suggestions before (word TF-IDF + logistic regression) and after (few-shot, PU), issue 25.

On each evaluation set in ``benchmarks/data/suggestions/`` a partly coded project is simulated: per code, ``n``
units are coded (drawn at random, ``--repeats`` times) and nothing else is labelled. Both methods rank the other
units; printed per code: precision at 10 and 20 of the ranking and F1 at probability 0.5 (``n`` = 5), and the
learning curve of precision@10 after 1, 3, 5, 10, 20 examples. Then the time to rank 10,000 units and to update
the ranking after one decision.

    .venv/bin/python benchmarks/bench_suggestions.py [--repeats 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from machine import add_json_option, save

from circles.qualitative import suggestions as sg
from circles.qualitative.codebook import read_codebook

DATA = Path(__file__).resolve().parent / "data" / "suggestions"
CURVE = (1, 3, 5, 10, 20)


def load(folder: Path) -> tuple[pd.DataFrame, object]:
    """The units (one per row, as text units) and the codebook of one evaluation set."""
    table = pd.read_csv(folder / "units.csv", dtype=str, keep_default_na=False)
    units = pd.DataFrame(
        {
            "source_id": [f"{s}-{i}" for i, s in enumerate(table["source"])],
            "start": 0,
            "end": table["text"].str.len(),
            "text": table["text"],
            "code": table["code"],
        }
    )
    return units, read_codebook(folder / "codebook.yaml")


def baseline_probabilities(texts: list[str], positive: np.ndarray) -> np.ndarray:
    """The suggester before issue 25: word 1-2 gram TF-IDF into balanced logistic regression, every uncoded
    unit taken as a negative."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(class_weight="balanced", max_iter=1000, random_state=0),
    )
    return model.fit(texts, positive.astype(int)).predict_proba(texts)[:, 1]


def after_probabilities(units: pd.DataFrame, book: object, code: str, positive: np.ndarray) -> np.ndarray:
    """The few-shot, positive-unlabelled suggester: ranking score, calibrated out of fold when it can be."""
    labels = pd.DataFrame({code: positive.astype(int)}, index=units.index)
    ranking = sg.rank_units(units, book, labels)
    scores = ranking.scores[code].to_numpy()
    if positive.sum() < 2:
        return scores  # one example: a ranking, no probability
    oof = sg.out_of_fold_scores(ranking, code, positive, np.zeros(len(units), bool))
    return sg.calibrate(oof, positive, np.zeros(len(units), bool)).probability(scores)


def evaluate(units: pd.DataFrame, book: object, n: int, repeats: int) -> dict[str, dict[str, dict[str, float]]]:
    """Per method and code: mean precision@10, precision@20 and F1 on the units not given as examples."""
    texts = units["text"].tolist()
    out: dict[str, dict[str, dict[str, float]]] = {"before": {}, "after": {}}
    for code in book.ids:
        truth = (units["code"] == code).to_numpy()
        if truth.sum() < n + 1:
            continue
        figures: dict[str, list[list[float]]] = {"before": [], "after": []}
        for r in range(repeats):
            rng = np.random.default_rng(r)
            given = np.zeros(len(units), bool)
            given[rng.choice(np.flatnonzero(truth), n, replace=False)] = True
            rest = ~given
            for method, p in (
                ("before", baseline_probabilities(texts, given)),
                ("after", after_probabilities(units, book, code, given)),
            ):
                s, y = p[rest], truth[rest].astype(int)
                predicted = s >= 0.5
                tp = int((predicted & (y == 1)).sum())
                f1 = 2 * tp / (predicted.sum() + y.sum()) if predicted.sum() + y.sum() else 0.0
                figures[method].append([sg.precision_at_k(s, y, 10), sg.precision_at_k(s, y, 20), f1])
        for method, rows in figures.items():
            mean = np.mean(rows, axis=0)
            out[method][code] = {"precision_at_10": mean[0], "precision_at_20": mean[1], "f1": mean[2]}
    return out


def timing(n_units: int = 10_000) -> dict[str, float]:
    """Seconds to rank ``n_units`` units for every code, and to update the ranking after one decision."""
    units, book = load(DATA / "english_workshops")
    rng = np.random.default_rng(1)
    words = " ".join(units["text"]).split()
    texts = [" ".join(rng.choice(words, rng.integers(5, 20))) for _ in range(n_units)]
    big = pd.DataFrame({"text": texts})
    start = time.perf_counter()
    ranking = sg.rank_units(big, book)
    ranked = time.perf_counter() - start
    start = time.perf_counter()
    ranking = sg.update_ranking(ranking, 0, book.ids[0], accepted=True)
    ranking = sg.update_ranking(ranking, 1, book.ids[0], accepted=False)
    updated = (time.perf_counter() - start) / 2
    start = time.perf_counter()
    order = sg.diverse_order(rng.random(n_units), ranking.features, 20)
    queued = time.perf_counter() - start
    assert len(order) == 20
    return {"units": n_units, "rank_seconds": ranked, "update_seconds": updated, "queue_20_seconds": queued}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    add_json_option(parser)
    args = parser.parse_args()
    report: dict[str, object] = {}
    for folder in sorted(p for p in DATA.iterdir() if p.is_dir()):
        units, book = load(folder)
        main_table = evaluate(units, book, 5, args.repeats)
        curve = {n: evaluate(units, book, n, args.repeats) for n in CURVE}
        print(f"\n{folder.name}: {len(units)} units, 5 examples per code, mean of {args.repeats} draws")
        print(
            f"{'code':8} {'P@10 before':>12} {'P@10 after':>11} {'P@20 before':>12} {'P@20 after':>11} "
            f"{'F1 before':>10} {'F1 after':>9}"
        )
        for code in main_table["after"]:
            b, a = main_table["before"][code], main_table["after"][code]
            print(
                f"{code:8} {b['precision_at_10']:12.2f} {a['precision_at_10']:11.2f} {b['precision_at_20']:12.2f} "
                f"{a['precision_at_20']:11.2f} {b['f1']:10.2f} {a['f1']:9.2f}"
            )
        print("learning curve, mean precision@10 over codes (examples: before / after)")
        for n, table in curve.items():
            if table["after"]:
                b = np.mean([v["precision_at_10"] for v in table["before"].values()])
                a = np.mean([v["precision_at_10"] for v in table["after"].values()])
                print(f"  {n:2d}: {b:.2f} / {a:.2f}  ({len(table['after'])} codes with more than {n} units)")
        report[folder.name] = {"five_examples": main_table, "curve": {str(n): t for n, t in curve.items()}}
    times = timing()
    print(
        f"\nrank {times['units']:,} units: {times['rank_seconds']:.2f} s; update after one decision: "
        f"{times['update_seconds'] * 1000:.0f} ms; diverse queue of 20: {times['queue_20_seconds'] * 1000:.0f} ms"
    )
    report["timing"] = times
    save(args.json, report, benchmark="bench_suggestions", packages=["scikit-learn"])


if __name__ == "__main__":
    main()
