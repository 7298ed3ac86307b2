"""Benchmark: customer journeys and failure demand for N contacts of F families (default 1,000,000 × 200,000).

Synthetic, seeded contact records: each family has 1–15 contacts (geometric, mean 5), at 20 services with a
Zipf-like popularity, reached by 10 routes of which 4 are crisis routes, starting over two years, most closed
within 0–120 days. Times, in seconds, and the process's peak resident memory after each step (or, with
``--tracemalloc``, each step's own peak allocations, numpy and pandas buffers included, at a cost in speed) of:

* ``journeys``       — :func:`circles.design.customer_journeys`;
* ``failure_demand`` — :func:`circles.design.failure_demand`;
* ``survival``, ``story``, ``repeats`` — the other measures (reported apart).

Target on 2 cores: journeys + failure demand <= 15 s.

    .venv/bin/python benchmarks/bench_design.py [--contacts 1000000] [--families 200000] [--seed 1] [--json PATH]
        [--tracemalloc]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd
from machine import add_json_option, save

from circles.design import (
    customer_journeys,
    failure_demand,
    repeat_presentations,
    telling_my_story_again,
    time_to_planned_support,
)

ROUTES = ("A&E", "Police", "999 call", "Ambulance", "GP", "Self", "Social care", "School", "Housing", "Family member")


def synthetic_contacts(contacts: int, families: int, seed: int = 1) -> pd.DataFrame:
    """Seeded contact records in the take-up columns the design functions read, ``contacts`` rows."""
    rng = np.random.default_rng(seed)
    per_family = np.minimum(rng.geometric(0.2, size=families), 15)
    family = np.repeat(np.arange(families), per_family)
    family = np.resize(family, contacts) if len(family) < contacts else family[:contacts]
    popularity = 1.0 / np.arange(1, 21) ** 0.9
    service = rng.choice(20, size=contacts, p=popularity / popularity.sum())
    route = rng.choice(len(ROUTES), size=contacts, p=[0.08, 0.07, 0.05, 0.05, 0.25, 0.25, 0.1, 0.05, 0.05, 0.05])
    day = rng.integers(0, 730, size=contacts)
    length = rng.integers(0, 121, size=contacts)
    origin = np.datetime64("2009-04-01")
    end = (origin + day + length).astype("datetime64[ns]")
    end_dates = pd.Series(end).mask(rng.random(contacts) < 0.1)
    return pd.DataFrame(
        {
            "family_id": pd.Categorical.from_codes(family, [f"F{i:06d}" for i in range(families)]),
            "service": pd.Categorical.from_codes(service, [f"Service {i:02d}" for i in range(20)]),
            "provider": pd.Categorical.from_codes(service % 7, [f"Provider {i}" for i in range(7)]),
            "referral_source": pd.Categorical.from_codes(route, list(ROUTES)),
            "start_date": (origin + day).astype("datetime64[ns]"),
            "end_date": end_dates,
        }
    )


def _peak_rss_mib() -> float:
    """The process's peak resident memory so far (Linux reports kibibytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(name: str, call: Callable[[], object], times: dict, peaks: dict, traced: bool) -> object:
    """Time ``call``; record the process's peak memory after it, or (``traced``) its own peak allocations."""
    if traced:
        tracemalloc.start()
    t = time.perf_counter()
    result = call()
    times[name] = time.perf_counter() - t
    if traced:
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    else:
        peaks[name] = _peak_rss_mib()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--families", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    add_json_option(parser)
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="report each step's own peak allocations (tracemalloc; slows the steps several-fold, so times are "
        "not comparable) instead of the process's peak resident memory",
    )
    args = parser.parse_args()

    t = time.perf_counter()
    records = synthetic_contacts(args.contacts, args.families, args.seed)
    made = time.perf_counter() - t
    print(f"records: {len(records):,} contacts of {records['family_id'].nunique():,} families ({made:.2f} s)")

    times: dict[str, float] = {}
    peaks: dict[str, float] = {}
    journeys = _measure("journeys", lambda: customer_journeys(records), times, peaks, args.tracemalloc)
    fd = _measure("failure_demand", lambda: failure_demand(records), times, peaks, args.tracemalloc)
    km = _measure("survival", lambda: time_to_planned_support(records), times, peaks, args.tracemalloc)
    _measure("story", lambda: telling_my_story_again(records), times, peaks, args.tracemalloc)
    _measure("repeats", lambda: repeat_presentations(records), times, peaks, args.tracemalloc)

    memory = "own peak (tracemalloc)" if args.tracemalloc else "process peak RSS so far"
    for name in times:
        print(f"{name:>15}: {times[name]:6.2f} s, {memory} {peaks[name]:7.1f} MiB")
    target = times["journeys"] + times["failure_demand"]
    verdict = "slowed by tracemalloc: not comparable with the target" if args.tracemalloc else "target <= 15 s"
    print(f"journeys + failure demand: {target:.2f} s ({verdict})")
    print(f"families published: {journeys.families:,}; journeys listed: {len(journeys.journeys)}")
    share = fd.overall["failure_demand_share"].iloc[0]
    print(f"failure demand share: {share:.3f}; median days from crisis to planned support: {km.median}")
    figures = {
        "contacts": len(records),
        "families": args.families,
        "seed": args.seed,
        "seconds": times,
        "peak_mib": peaks,
        "peak_measure": "tracemalloc per step" if args.tracemalloc else "process peak RSS after each step",
        "journeys_plus_failure_demand_seconds": target,
        "target_seconds": 15,
    }
    save(args.json, figures, benchmark="bench_design", packages=["scipy"])


if __name__ == "__main__":
    main()
