"""Benchmark: service overlap network for N families × S services (default 100,000 × 50).

Synthetic, seeded take-up records with a realistic skew: most families are known to 1–3 services (the number
of services per family is geometric, mean about 1.9, capped at 15), service popularity follows a Zipf-like
law, and each (family, service) pair has 1–4 contact rows. Times, in seconds:

* ``overlap``  — :func:`circles.challenge.network.service_overlap` (sparse ``Bᵀ·B``) + caseloads;
* ``graph``    — :func:`circles.challenge.network.overlap_graph`;
* ``measures`` — :func:`circles.challenge.network.network_measures` (betweenness with 1/weight, Louvain);
* ``many`` and ``combinations`` — :func:`families_in_many` and :func:`service_combinations` (reported apart).

Target on 2 cores: overlap network (overlap + graph + measures) <= 10 s.

    .venv/bin/python benchmarks/bench_network.py [--families 100000] [--services 50] [--seed 1]
                                                 [--json PATH]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from machine import add_json_option, peak_rss_mb, save

from circles.challenge.network import (
    families_in_many,
    network_measures,
    overlap_graph,
    service_caseloads,
    service_combinations,
    service_overlap,
)


def synthetic_records(families: int, services: int, seed: int = 1) -> pd.DataFrame:
    """Seeded take-up records: one row per contact, columns ``family_id`` and ``service``."""
    rng = np.random.default_rng(seed)
    k = np.minimum(rng.geometric(0.52, size=families), min(15, services))  # 1: 52 %, 2: 25 %, 3: 12 %, ...
    popularity = 1.0 / np.arange(1, services + 1) ** 0.9
    # Weighted sampling without replacement for every family at once (Gumbel top-k).
    keys = np.log(popularity)[None, :] + rng.gumbel(size=(families, services))
    order = np.argsort(-keys, axis=1)
    take = np.arange(services)[None, :] < k[:, None]
    family_idx = np.broadcast_to(np.arange(families)[:, None], order.shape)[take]
    service_idx = order[take]
    contacts = rng.integers(1, 5, size=len(family_idx))
    family_idx, service_idx = np.repeat(family_idx, contacts), np.repeat(service_idx, contacts)
    names = np.array([f"Service {i:02d}" for i in range(services)], dtype=object)
    records = pd.DataFrame({"family_id": pd.Series(family_idx).map("F{:06d}".format), "service": names[service_idx]})
    return records.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    add_json_option(parser)
    args = parser.parse_args()

    start = time.perf_counter()
    records = synthetic_records(args.families, args.services, args.seed)
    made = time.perf_counter() - start
    print(f"records: {len(records):,} rows, {args.families:,} families × {args.services} services ({made:.2f} s)")

    times: dict[str, float] = {}
    t = time.perf_counter()
    edges = service_overlap(records)
    caseloads = service_caseloads(records)
    times["overlap"] = time.perf_counter() - t
    t = time.perf_counter()
    graph = overlap_graph(edges, caseloads)
    times["graph"] = time.perf_counter() - t
    t = time.perf_counter()
    measures = network_measures(graph)
    times["measures"] = time.perf_counter() - t
    network = times["overlap"] + times["graph"] + times["measures"]
    t = time.perf_counter()
    many = families_in_many(records)
    times["many"] = time.perf_counter() - t
    t = time.perf_counter()
    combos = service_combinations(records)
    times["combinations"] = time.perf_counter() - t

    for name, seconds in times.items():
        print(f"{name:>13}: {seconds:6.2f} s")
    print(f"overlap network (overlap + graph + measures): {network:.2f} s (target <= 10 s)")
    print(f"edges: {len(edges):,}; communities: {measures['community'].nunique()}")
    print("families in contact with >= k services:", dict(zip(many["min_services"], many["families"], strict=True)))
    print(f"commonest combination: {combos.iloc[0]['combination']} ({combos.iloc[0]['families']:,} families)")
    figures = {
        "families": args.families,
        "services": args.services,
        "seed": args.seed,
        "records": len(records),
        "records_seconds": made,
        "seconds": times,
        "network_seconds": network,
        "target_network_seconds": 10,
        "ratio_to_target": network / 10,
        "edges": len(edges),
        "communities": int(measures["community"].nunique()),
        "families_in_at_least": {int(k): int(v) for k, v in zip(many["min_services"], many["families"], strict=True)},
        "commonest_combination": str(combos.iloc[0]["combination"]),
        "commonest_combination_families": int(combos.iloc[0]["families"]),
        "peak_rss_mb": peak_rss_mb(),
    }
    save(args.json, figures, benchmark="bench_network", packages=["networkx", "scipy"])


if __name__ == "__main__":
    main()
