"""Geocode records by looking their postcodes up in a postcode directory.

Each record gets an outcome, counted for the manifest:

``matched``
    found, with a grid reference.
``terminated``
    found, but the postcode has been terminated (``doterm`` set): kept and flagged, since old records carry
    old postcodes.
``blank``
    no postcode given.
``invalid``
    not a postcode (fails the BS 7666 pattern).
``unknown``
    a well-formed postcode the directory does not hold.
``no_grid_reference``
    in the directory without coordinates (ONSPD gives these ``lat`` 99.999999).
``outside_study_area``
    in the directory but in another local authority than the study area.
``area_codes``
    no postcode, but the record carries its areas' codes already (``area_codes``: a source such as the family
    service planner's export, which keeps ward and LSOA codes and never a postcode): kept without a point, for
    ``assign_areas`` to place by those codes.

Matched and terminated records go on, with a ``terminated`` flag and, when the directory has them, its own
area codes as ``directory_<column>`` (e.g. ``directory_lsoa11``). The rest are returned for the quarantine
with a masked value (the postcode district and ``***``). The full postcode is used here and dropped: later
stages see area codes and the postcode district only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from circles.geo.areas import points_from_grid
from circles.geo.postcode_directory import AREA_COLUMNS
from circles.geo.postcodes import normalise_postcodes, postcode_district
from circles.ingest.accounting import quarantine_frame

__all__ = ["OUTCOMES", "Geocoded", "geocode"]

OUTCOMES = (
    "matched",
    "terminated",
    "area_codes",
    "blank",
    "invalid",
    "unknown",
    "no_grid_reference",
    "outside_study_area",
)
_ACCEPTED = ("matched", "terminated", "area_codes")

_MESSAGES = {
    "blank": lambda pc, la: "No postcode given.",
    "invalid": lambda pc, la: "Not a valid UK postcode (BS 7666 pattern); its shape is '" + pc + "'.",
    "unknown": lambda pc, la: "Postcode " + pc + " is not in the postcode directory (new, mistyped or out of date).",
    "no_grid_reference": lambda pc, la: "Postcode " + pc + " has no grid reference in the directory.",
    "outside_study_area": lambda pc, la: "Postcode " + pc + " lies outside the study area (in " + la + ").",
}


@dataclass(frozen=True)
class Geocoded:
    """Result of :func:`geocode`.

    Attributes
    ----------
    records : geopandas.GeoDataFrame
        Matched records: the postcode column replaced by ``postcode_district``; point geometry in EPSG:27700.
    quarantine : pandas.DataFrame
        One row per record not matched (``reason`` is its outcome).
    outcomes : dict
        Count of records per outcome (all outcomes present, zero when none).
    """

    records: gpd.GeoDataFrame
    quarantine: pd.DataFrame
    outcomes: dict[str, int]


def _mask(raw: pd.Series) -> pd.Series:
    """Hide all but the outward part of a postcode: ``"BB2 1AA"`` -> ``"BB2 ***"``."""
    text = raw.astype("string").fillna("").str.strip().str.upper()
    return text.str.replace(r"\s+", " ", regex=True).str.split(" ").str[0].str[:4] + " ***"


def _shape(raw: pd.Series) -> pd.Series:
    """The shape of a value that is not a postcode, revealing no characters: ``"Bb2 1x"`` -> ``"AA9 9A"``."""
    text = raw.astype("string").fillna("").str.strip().str.slice(0, 12)
    return (
        text.str.replace(r"[A-Za-z]", "A", regex=True)
        .str.replace(r"[0-9]", "9", regex=True)
        .str.replace(r"[^A9 ]", "?", regex=True)
    )


def _look_up(pcds: pd.Series, directory: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Directory rows for each postcode (first match; all-missing where none) and whether one was found.

    Arrow's hash lookup (``index_in``) probes the directory's postcodes without building a pandas index over the
    whole directory (2.7 million rows for the national one) on every call.
    """
    keys = pa.array(pcds.astype("string"), pa.string())
    positions = pc.index_in(keys, value_set=pa.array(directory["pcds"].astype("string"), pa.string()))
    hit = positions.is_valid().to_numpy(zero_copy_only=False)
    rows = positions.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    found = directory.drop(columns="pcds").iloc[rows].reset_index(drop=True)
    if not hit.all():
        found = found.mask(pd.DataFrame(np.broadcast_to(~hit[:, None], found.shape), columns=found.columns))
    return found, hit


def geocode(
    records: pd.DataFrame,
    directory: pd.DataFrame,
    *,
    postcode_field: str = "postcode",
    study_area: Collection[str] | None = None,
    stage: str = "geocode",
    area_codes: Collection[str] = (),
) -> Geocoded:
    """Look up every record's postcode in ``directory`` (columns ``pcds``, ``oseast1m``, ``osnrth1m``, ``oslaua``).

    Parameters
    ----------
    records : pandas.DataFrame
        Records with ``source_file``, ``source_row`` and the postcode field.
    directory : pandas.DataFrame
        From :func:`circles.geo.layers.read_postcode_directory`.
    postcode_field : str
        Column holding the postcode as given.
    study_area : collection of str, optional
        Local authority codes (``oslaua``) of the study area; records elsewhere are quarantined.
    area_codes : collection of str, optional
        Columns of ``records`` that may carry the postcode directory's area codes (``directory_lsoa11``...). A
        record with no postcode but a code in every one of them is kept (outcome ``area_codes``) with an empty
        point, to be placed by its codes; a record with a postcode is looked up as usual.

    Examples
    --------
    >>> import pandas as pd
    >>> directory = pd.DataFrame({"pcds": ["BB2 1AA"], "oseast1m": [368000.0], "osnrth1m": [428000.0],
    ...                           "oslaua": ["E06000008"]})
    >>> recs = pd.DataFrame({"source_file": "a.csv", "source_row": ["a.csv:2", "a.csv:3"],
    ...                      "postcode": ["bb21aa", "ZZ1 1ZZ"]})
    >>> result = geocode(recs, directory)
    >>> result.outcomes["matched"], result.outcomes["invalid"], result.records["postcode_district"].tolist()
    (1, 1, ['BB2'])
    """
    norm = normalise_postcodes(records[postcode_field])
    found, in_directory = _look_up(norm["pcds"], directory)
    found.index = records.index

    valid = norm["valid"].to_numpy()
    in_directory &= valid
    has_grid = (found["oseast1m"].notna() & found["osnrth1m"].notna() & (found["oseast1m"] > 0)).to_numpy()
    terminated = found["doterm"].notna().to_numpy() if "doterm" in found else False
    outcome = pd.Series("matched", index=records.index, dtype="object")
    outcome[in_directory & terminated] = "terminated"
    outcome[in_directory & ~has_grid] = "no_grid_reference"
    if study_area is not None:
        elsewhere = ~found["oslaua"].isin(list(study_area)).to_numpy()
        outcome[in_directory & has_grid & elsewhere] = "outside_study_area"
    outcome[valid & ~in_directory] = "unknown"
    outcome[~valid] = "invalid"
    blank = norm["blank"].to_numpy()
    outcome[blank] = "blank"
    if area_codes:
        carried = np.logical_and.reduce(
            [records[c].astype("string").str.strip().fillna("").ne("").to_numpy(dtype=bool) for c in area_codes]
        )
        outcome[blank & carried] = "area_codes"

    ok = outcome.isin(_ACCEPTED).to_numpy()
    matched = records.loc[ok].drop(columns=[postcode_field])
    matched.insert(
        matched.columns.get_loc("source_row") + 1, "postcode_district", postcode_district(norm.loc[ok, "pcds"])
    )
    matched["terminated"] = outcome[ok].eq("terminated").to_numpy()
    for column in AREA_COLUMNS:
        if column in found:
            matched[f"directory_{column}"] = found.loc[ok, column].to_numpy()
    if area_codes:  # a record placed by the codes it carries keeps them (the directory has none for it)
        by_code = outcome[ok].eq("area_codes").to_numpy()
        for column in area_codes:
            matched.loc[by_code, column] = records.loc[ok, column].to_numpy()[by_code]
    matched["oseast1m"] = found.loc[ok, "oseast1m"].to_numpy()
    matched["osnrth1m"] = found.loc[ok, "osnrth1m"].to_numpy()
    points = points_from_grid(matched)

    bad = records.loc[~ok]
    masked = _mask(bad[postcode_field])
    reasons = outcome[~ok]
    laua = found.loc[~ok, "oslaua"].astype("string").fillna("")
    message = pd.Series("", index=bad.index, dtype="string")
    for reason, build in _MESSAGES.items():  # vectorised per outcome, not per row
        mine = reasons.eq(reason).to_numpy()
        if mine.any():
            shown = _shape(bad.loc[mine, postcode_field]) if reason == "invalid" else masked[mine]
            message[mine] = build(shown, laua[mine])
    quarantine = quarantine_frame(stage, bad, field=postcode_field, reason="", message=message)
    quarantine["reason"] = outcome[~ok].to_numpy()
    counts = outcome.value_counts()
    outcomes = {name: int(counts.get(name, 0)) for name in OUTCOMES}
    return Geocoded(records=points, quarantine=quarantine, outcomes=outcomes)
