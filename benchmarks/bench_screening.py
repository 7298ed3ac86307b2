"""How well the free-text screen finds planted personal data: recall and precision per kind.

Runs :class:`circles.ingest.screening.Screener` over ``benchmarks/data/screening_corpus.txt`` (written
independently of the screen, :mod:`screening_corpus`; the screen's rules were tuned on it) or, with
``--heldout``, over ``screening_corpus_heldout.txt`` (written later, never tuned on), and prints, per kind:

* **recall** — planted spans a finding of the same kind overlaps, of all planted spans of that kind;
* **protected** — planted spans that do not reach print: overlapped by a certain finding of any kind (redacted),
  or in a quote the screen holds for review;
* **precision** — findings of that kind that overlap a planted span of the same kind;

and for the clean sentences how many would be changed (a redaction) or held. The screen knows what a run of the
demo spec knows to be public (:func:`bwd_public_names`: wards, the borough, the directory's services). Targets
(issue 23): recall ≥ 0.95 for phone, email, NHS number and postcode. ``--misses`` lists what was missed.

    .venv/bin/python benchmarks/bench_screening.py [--heldout] [--misses] [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import add_json_option, peak_rss_mb, save
from screening_corpus import KINDS, load_corpus

from circles.ingest.screening import Screener

#: The held-out corpus: written after the screen was tuned on the development corpus, by someone who had not
#: seen the screen's code, and never used to tune it.
HELDOUT = Path(__file__).resolve().parent / "data" / "screening_corpus_heldout.txt"
#: Kinds whose recall must reach :data:`TARGET`.
STRUCTURED_TARGETS = ("phone", "email", "nhs_number", "postcode")
TARGET = 0.95


def bwd_public_names() -> list[str]:
    """What a Blackburn with Darwen run of the demo spec knows to be public: its wards (2025, 2004-2018 and the
    2017 best-fit), LSOA and MSOA names, the borough, and the demo directory's services, organisations and
    places (the coding stage passes the same from the run)."""
    import csv
    import json

    from circles.challenge.study import read_directory
    from circles.geo.embedded import EMBEDDED_LAYERS, EMBEDDED_LOOKUPS, embedded_file
    from circles.resources import packaged

    names = ["Blackburn with Darwen"]
    for layer in EMBEDDED_LAYERS.values():
        features = json.loads(embedded_file(layer.file).read_text(encoding="utf-8"))["features"]
        names += [f["properties"][layer.name] for f in features]
    for lookup in EMBEDDED_LOOKUPS.values():
        with embedded_file(lookup.file).open(encoding="utf-8") as handle:
            names += [row[lookup.to_name] for row in csv.DictReader(handle)]
    directory = read_directory(packaged("pipelines") / "demo_services.yaml", format="yaml")
    for table in (directory.services, directory.organisations, directory.locations):
        names += table["name"].dropna().astype(str).tolist()
    return sorted(set(names))


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def measure(screener: Screener | None = None, corpus_path: Path | None = None) -> dict[str, object]:
    """Screen a corpus (the development one by default); return per-kind counts and the misses."""
    screener = screener or Screener(public=bwd_public_names())
    corpus = load_corpus(corpus_path)
    planted, hit, protected, found, right = Counter(), Counter(), Counter(), Counter(), Counter()
    misses: list[tuple[int, str, str, str]] = []
    false_alarms: list[tuple[int, str, str]] = []
    clean = Counter()
    for sentence in corpus:
        result = screener.screen(sentence.text)
        detections = result.detections
        if sentence.clean_section:
            clean["lines"] += 1
            clean[result.status] += 1
            false_alarms += [(sentence.line, d.kind, d.text) for d in detections]
            continue
        for d in detections:
            found[d.kind] += 1
            if any(p.kind == d.kind and _overlaps(p.start, p.end, d.start, d.end) for p in sentence.planted):
                right[d.kind] += 1
            elif not any(_overlaps(p.start, p.end, d.start, d.end) for p in sentence.planted):
                false_alarms.append((sentence.line, d.kind, d.text))
        for p in sentence.planted:
            planted[p.kind] += 1
            same = any(d.kind == p.kind and _overlaps(p.start, p.end, d.start, d.end) for d in detections)
            hit[p.kind] += same
            safe = result.status == "held" or any(
                d.certain and _overlaps(p.start, p.end, d.start, d.end) for d in detections
            )
            protected[p.kind] += safe
            if not same:
                misses.append((sentence.line, p.kind, p.text, "held" if safe else "PRINTED"))
    return {
        "planted": planted,
        "hit": hit,
        "protected": protected,
        "found": found,
        "right": right,
        "clean": clean,
        "misses": misses,
        "false_alarms": false_alarms,
    }


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _figures(m: dict[str, object], heldout: bool, sentences: int, took: float) -> dict[str, object]:
    """What the script prints, as a dict for ``--json``: per kind, the clean sentences, the time."""
    planted, hit, protected, found, right = (m[k] for k in ("planted", "hit", "protected", "found", "right"))
    kinds = {
        kind: {
            "planted": planted[kind],
            "recall": _ratio(hit[kind], planted[kind]),
            "protected": _ratio(protected[kind], planted[kind]),
            "found": found[kind],
            "precision": _ratio(right[kind], found[kind]),
            "target_recall": TARGET if kind in STRUCTURED_TARGETS else None,
        }
        for kind in KINDS
    }
    total = sum(planted.values())
    clean = m["clean"]
    return {
        "corpus": HELDOUT.name if heldout else "screening_corpus.txt",
        "kinds": kinds,
        "all": {
            "planted": total,
            "recall": _ratio(sum(hit.values()), total),
            "protected": _ratio(sum(protected.values()), total),
        },
        "clean_sentences": {k: clean[k] for k in ("lines", "clean", "redacted", "held")},
        "sentences": sentences,
        "seconds": took,
        "ms_per_sentence": took / sentences * 1000,
        "misses": len(m["misses"]),
        "false_alarms": len(m["false_alarms"]),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every planted span missed, and false alarms")
    parser.add_argument(
        "--heldout",
        action="store_true",
        help=f"measure on the held-out corpus ({HELDOUT.name}), written apart from the screen and never tuned on",
    )
    add_json_option(parser)
    args = parser.parse_args()
    path = HELDOUT if args.heldout else None
    started = time.perf_counter()
    screener = Screener(public=bwd_public_names())
    m = measure(screener, path)
    took = time.perf_counter() - started
    planted, hit, protected, found, right = (m[k] for k in ("planted", "hit", "protected", "found", "right"))
    print(f"{'kind':<14}{'planted':>8}{'recall':>8}{'protected':>10}{'found':>7}{'precision':>10}  target")
    for kind in KINDS:
        recall = hit[kind] / planted[kind] if planted[kind] else float("nan")
        safe = protected[kind] / planted[kind] if planted[kind] else float("nan")
        precision = right[kind] / found[kind] if found[kind] else float("nan")
        target = f"recall >= {TARGET}: {'met' if recall >= TARGET else 'NOT MET'}" if kind in STRUCTURED_TARGETS else ""
        print(f"{kind:<14}{planted[kind]:>8}{recall:>8.3f}{safe:>10.3f}{found[kind]:>7}{precision:>10.3f}  {target}")
    total = sum(planted.values())
    print(f"{'all':<14}{total:>8}{sum(hit.values()) / total:>8.3f}{sum(protected.values()) / total:>10.3f}")
    clean = m["clean"]
    print(
        f"\nclean sentences: {clean['lines']}; unchanged {clean['clean']} ({clean['clean'] / clean['lines']:.1%}), "
        f"redacted {clean['redacted']} ({clean['redacted'] / clean['lines']:.1%}), "
        f"held for review {clean['held']} ({clean['held'] / clean['lines']:.1%})"
    )
    sentences = clean["lines"] + sum(1 for _ in load_corpus(path) if not _.clean_section)
    print(f"screened {sentences} sentences in {took:.1f} s ({took / sentences * 1000:.1f} ms each, with start-up)")
    save(args.json, _figures(m, args.heldout, sentences, took), benchmark="bench_screening")
    if args.misses:
        print("\nmissed (planted span with no finding of its kind):")
        for line, kind, text, fate in m["misses"]:
            print(f"  line {line:>4}  {kind:<14} {text!r:<40} {fate}")
        print("\nfalse alarms (findings on no planted span):")
        for line, kind, text in m["false_alarms"]:
            print(f"  line {line:>4}  {kind:<14} {text!r}")


if __name__ == "__main__":
    main()
