"""Where a family or a service is: a postcode looked up in the same postcode directory the pipeline uses.

The postcode gives a grid reference (ONS Postcode Directory, embedded extract unless a full ONSPD is given) and
the grid reference the ward (2025), LSOA and MSOA (embedded boundaries, point in polygon, as ``assign_areas``).
The planner keeps the area codes for analysis; the postcode itself is kept only inside the family's sealed
address, and distances to services are worked out from the grid reference when asked, never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from circles.errors import PlannerError

__all__ = ["Place", "Gazetteer", "default_gazetteer", "ward_names"]

_POSTCODE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b")

#: Furthest a postcode outside every area may lie from the nearest one and still be placed in it (metres).
NEAREST_M = 200.0

#: The layers a family is placed in, and the embedded boundaries they come from.
LAYERS = {"ward_code": "ward2025", "lsoa_code": "lsoa11", "msoa_code": "msoa11"}


@dataclass(frozen=True)
class Place:
    """A postcode's grid reference (British National Grid, metres) and its areas (None when outside them)."""

    postcode: str
    easting: float
    northing: float
    ward_code: str | None
    lsoa_code: str | None
    msoa_code: str | None

    def distance_km(self, easting: float | None, northing: float | None) -> float | None:
        """Straight-line distance to another grid reference, in kilometres."""
        if easting is None or northing is None:
            return None
        return float(np.hypot(self.easting - easting, self.northing - northing) / 1000.0)


class Gazetteer:
    """Postcode look-ups for the planner, with the directory and the boundary layers read once.

    Examples
    --------
    >>> place = default_gazetteer().locate("bb2 3hh")  # Royal Blackburn Hospital
    >>> place.postcode, place.ward_code is not None, place.lsoa_code.startswith("E01")
    ('BB2 3HH', True, True)
    >>> default_gazetteer().locate("ZZ99 9ZZ") is None
    True
    """

    def __init__(self, postcode_directory: str | Path | None = None) -> None:
        from circles.geo.layers import embedded_layer
        from circles.geo.postcode_directory import read_postcode_directory

        directory = read_postcode_directory(postcode_directory, areas=False)
        live = directory[directory["doterm"].isna() | (directory["doterm"].astype(str).str.strip() == "")]
        self._grid = live.dropna(subset=["oseast1m", "osnrth1m"]).set_index("pcds")[["oseast1m", "osnrth1m"]]
        self._grid = self._grid[~self._grid.index.duplicated()]
        self._layers = {column: embedded_layer(key) for column, key in LAYERS.items()}

    def locate(self, postcode: str | None) -> Place | None:
        """The place of a postcode (any spacing or case), or None when it is not a live postcode of the directory."""
        from circles.geo.postcodes import normalise_postcodes

        if not postcode or not str(postcode).strip():
            return None
        normal = normalise_postcodes(pd.Series([str(postcode)]))
        pcds = normal["pcds"].iloc[0]
        if not isinstance(pcds, str) or pcds not in self._grid.index:
            return None
        return self._place(pcds)

    @lru_cache(maxsize=4096)  # noqa: B019 (one gazetteer per process, kept for its life)
    def _place(self, pcds: str) -> Place:
        easting, northing = (float(v) for v in self._grid.loc[pcds])
        return Place(pcds, easting, northing, **self._areas(easting, northing))

    def locate_in(self, text: str | None) -> Place | None:
        """The place of the last postcode written in ``text`` (an address), or None.

        Examples
        --------
        >>> default_gazetteer().locate_in("Flat 2, 10 Some Road, Blackburn BB2 3HH").ward_code
        'E05011513'
        """
        found = _POSTCODE.findall((text or "").upper())
        return self.locate(found[-1]) if found else None

    def _areas(self, easting: float, northing: float) -> dict[str, str | None]:
        """The area containing the point in each layer, else the nearest within 200 m (as ``assign_areas``)."""
        point = shapely.Point(easting, northing)
        found: dict[str, str | None] = {}
        for column, layer in self._layers.items():
            areas = layer.areas
            hits = areas.sindex.query(point, predicate="intersects")
            if not len(hits):
                hits = areas.sindex.nearest(point, max_distance=NEAREST_M, return_all=True)[1]
            found[column] = min(areas["area_code"].iloc[hits]) if len(hits) else None  # a shared edge: lowest code
        return found


@cache
def default_gazetteer() -> Gazetteer:
    """The embedded postcode directory and boundaries (read once per process)."""
    try:
        return Gazetteer()
    except Exception as exc:  # a broken install: say so rather than fail on every page
        raise PlannerError(f"Cannot read the embedded postcode directory or boundaries: {exc}") from exc


@cache
def ward_names() -> dict[str, str]:
    """Ward code → ward name, from the embedded 2025 ward boundaries (read once per process).

    >>> ward_names()["E05011513"]
    'Blackburn South East'
    """
    from circles.geo.layers import embedded_layer

    areas = embedded_layer("ward2025").areas
    return dict(zip(areas["area_code"].astype(str), areas["area_name"].astype(str), strict=True))
