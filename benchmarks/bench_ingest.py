"""Benchmark: ingest + validate + pseudonymise N rows of CSV (default 1,000,000).

Prints rows per second for each step and the whole, and the peak resident memory of the process.
Target on 2 cores (issue 3): >= 500,000 rows/s and <= 2 GB.

    .venv/bin/python benchmarks/bench_ingest.py [--rows 1000000] [--json PATH]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from machine import add_json_option, save

from circles.geo.layers import read_postcode_directory
from circles.ingest.pseudonyms import DEMO_KEY, PseudonymKey, protect_identifiers
from circles.ingest.validate import flag_duplicates, validate_records
from circles.io.readers import map_columns, read_source
from circles.pipeline.spec import SourceSpec

COLUMNS = SourceSpec.model_validate(
    {
        "files": "x.csv",
        "columns": {
            "client_id": {"column": "client_id", "privacy": "pseudonymise"},
            "nhs_number": {"column": "nhs_number", "type": "nhs_number", "required": False, "privacy": "pseudonymise"},
            "family_id": {"column": "family_id", "privacy": "pseudonymise"},
            "age_band": {
                "column": "age_band",
                "type": "category",
                "allowed": ["0-15", "16-17", "18-34", "35-64", "65+"],
            },
            "sex": {"column": "sex", "type": "category", "allowed": ["F", "M"]},
            "postcode": {"column": "postcode", "type": "postcode"},
            "service": "service",
            "referral_date": {"column": "referral_date", "type": "date"},
            "start_date": {"column": "start_date", "type": "date"},
            "end_date": {"column": "end_date", "type": "date", "required": False},
        },
    }
).column_specs()


def _nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    digits = rng.integers(0, 10, size=(n, 9))
    check = 11 - (digits @ np.arange(10, 1, -1)) % 11
    check[check == 11] = 0
    ok = check != 10
    digits[~ok, 8] = (digits[~ok, 8] + 1) % 10  # nudge to a valid prefix (approximately)
    check = 11 - (digits @ np.arange(10, 1, -1)) % 11
    check[check == 11] = 0
    numbers = np.char.add(np.apply_along_axis(lambda r: "".join(map(str, r)), 1, digits[:, :9]), check.astype(str))
    return np.where(check == 10, "", numbers)


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    postcodes = read_postcode_directory()["pcds"].to_numpy()
    people = max(rows // 4, 1)
    person = rng.integers(0, people, rows)
    nhs = _nhs_numbers(rng, people)
    start = pd.Timestamp("2009-04-01") + pd.to_timedelta(rng.integers(0, 730, rows), unit="D")
    ref = start - pd.to_timedelta(rng.integers(0, 30, rows), unit="D")
    end = start + pd.to_timedelta(rng.integers(0, 200, rows), unit="D")
    frame = pd.DataFrame(
        {
            "client_id": np.char.add("C", person.astype(str)),
            "nhs_number": nhs[person],
            "family_id": np.char.add("F", (person // 3).astype(str)),
            "age_band": rng.choice(["0-15", "16-17", "18-34", "35-64", "65+"], rows),
            "sex": rng.choice(["F", "M"], rows),
            "postcode": postcodes[rng.integers(0, len(postcodes), rows)],
            "service": rng.choice(
                ["GP consultation", "A&E attendance", "Specialist alcohol treatment", "Housing"], rows
            ),
            "referral_date": ref.strftime("%d/%m/%Y"),
            "start_date": start.strftime("%Y-%m-%d"),
            "end_date": np.where(rng.random(rows) < 0.2, "", end.strftime("%d/%m/%Y")),
        }
    )
    frame.to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    add_json_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "take_up.csv"
        t = time.perf_counter()
        make_csv(path, args.rows)
        print(f"made {args.rows:,} rows ({path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t:.1f} s")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        timings = {}
        t0 = t = time.perf_counter()
        table = read_source(path, expected=[c.column for c in COLUMNS.values()])
        mapped = map_columns(
            table.frame,
            {k: c.column for k, c in COLUMNS.items()},
            required={k for k, c in COLUMNS.items() if c.required},
            file=path.name,
        )
        timings["read"] = time.perf_counter() - t
        t = time.perf_counter()
        result = validate_records(mapped, COLUMNS)
        kept, _, n_dup = flag_duplicates(
            result.records, ["client_id", "service", "referral_date", "start_date"], drop=True
        )
        timings["validate"] = time.perf_counter() - t
        t = time.perf_counter()
        protected, _ = protect_identifiers(kept, COLUMNS, PseudonymKey(DEMO_KEY, "demo"), scope="bench")
        timings["pseudonymise"] = time.perf_counter() - t
        total = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for step, seconds in timings.items():
        print(f"{step:>13}: {seconds:6.2f} s  {args.rows / seconds:12,.0f} rows/s")
    print(f"{'total':>13}: {total:6.2f} s  {args.rows / total:12,.0f} rows/s   (target >= 500,000 rows/s)")
    print(
        f"accepted {len(protected):,}; quarantined {result.quarantine['source_row'].nunique():,}; duplicates {n_dup:,}"
    )
    print(f"peak memory (max RSS): {peak:,.0f} MB (before ingest {before:,.0f} MB)   (target <= 2,048 MB)")
    figures = {
        "rows": args.rows,
        "seconds": timings,
        "rows_per_second": {step: args.rows / seconds for step, seconds in timings.items()},
        "total_seconds": total,
        "total_rows_per_second": args.rows / total,
        "target_rows_per_second": 500_000,
        "accepted": len(protected),
        "quarantined": int(result.quarantine["source_row"].nunique()),
        "duplicates": int(n_dup),
        "peak_rss_mb": peak,
        "rss_before_ingest_mb": before,
        "target_peak_rss_mb": 2048,
    }
    save(args.json, figures, benchmark="bench_ingest", packages=["pyarrow"])


if __name__ == "__main__":
    main()
