"""Benchmark: 10,000 short survey responses imported, autocoded by rules and machine-suggested.

Target on 2 cores (issue 5): <= 60 s for the whole. Prints each step's time.

    .venv/bin/python benchmarks/bench_coding.py [--responses 10000] [--json PATH]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from machine import add_json_option, peak_rss_mb, save

from circles.qualitative import coding
from circles.qualitative.codebook import read_codebook
from circles.qualitative.sources import all_units, read_sources

ROOT = Path(__file__).resolve().parent.parent


def make_survey(path: Path, n: int, seed: int = 5) -> None:
    """Short responses mixing the demo codebook's example quotes with ordinary talk."""
    rng = np.random.default_rng(seed)
    book = read_codebook(ROOT / "pipelines" / "demo_codebook.yaml")
    examples = [c.example for c in book.codes if c.example]
    filler = [
        "The bus was late again.",
        "We had a good week overall.",
        "My sister came round.",
        "It rained all weekend.",
        "The school sent a letter home.",
        "I started a course in September.",
    ]
    responses = []
    for _ in range(n):
        parts = list(rng.choice(filler, size=rng.integers(1, 3)))
        if rng.random() < 0.6:
            parts.insert(int(rng.integers(0, len(parts) + 1)), str(rng.choice(examples)))
        responses.append(" ".join(parts))
    pd.DataFrame(
        {
            "response_id": [f"R{i:05d}" for i in range(n)],
            "ward": rng.choice(["Bastwell", "Shadsworth with Whitebirk", "Sudell", "Audley"], n),
            "response": responses,
        }
    ).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=10_000)
    add_json_option(parser)
    args = parser.parse_args()
    book = read_codebook(ROOT / "pipelines" / "demo_codebook.yaml")
    rules = coding.read_rules(ROOT / "pipelines" / "demo_coding_rules.yaml", book)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "survey.csv"
        make_survey(path, args.responses)
        timings = {}
        t0 = t = time.perf_counter()
        sources = {s.id: s for s in read_sources(path, text_column="response", id_column="response_id")}
        units = all_units(sources.values(), "sentence")
        timings["import + units"] = time.perf_counter() - t
        t = time.perf_counter()
        coded = coding.apply_rules(coding.preview_rules(units, rules), sources)
        timings["autocode (rules)"] = time.perf_counter() - t
        t = time.perf_counter()
        # learn from the rule-coded first fifth, as if a person had checked it; suggest for the rest
        first = set(list(sources)[: len(sources) // 5])
        model = coding.train_suggester(units, coded[coded["source_id"].isin(first)], book)
        timings["train (with cross-validation)"] = time.perf_counter() - t
        t = time.perf_counter()
        rest = units[~units["source_id"].isin(first)]
        suggestions = coding.suggest_codes(model, rest, sources, threshold=0.5)
        timings["suggest"] = time.perf_counter() - t
        total = time.perf_counter() - t0
    for step, seconds in timings.items():
        print(f"{step:>30}: {seconds:6.2f} s")
    print(f"{'total':>30}: {total:6.2f} s   (target <= 60 s)")
    print(
        f"{len(sources):,} responses, {len(units):,} sentences, {len(coded):,} rule codings, "
        f"{len(model.codes)} codes learned, {len(suggestions):,} suggestions"
    )
    figures = {
        "responses": len(sources),
        "seconds": timings,
        "total_seconds": total,
        "target_total_seconds": 60,
        "ratio_to_target": total / 60,
        "sentences": len(units),
        "rule_codings": len(coded),
        "codes_learned": len(model.codes),
        "suggestions": len(suggestions),
        "peak_rss_mb": peak_rss_mb(),
    }
    save(args.json, figures, benchmark="bench_coding", packages=["scikit-learn"])


if __name__ == "__main__":
    main()
