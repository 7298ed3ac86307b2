"""Deprivation: the English Indices of Deprivation 2019 joined to area tables, and profiles by decile.

IMD deciles rank every LSOA in England: decile 1 is the most deprived 10%. The profile counts cases (and,
with a population, rates) in each national decile and quintile of the areas, and the share of cases living in
the most deprived 10% and 20% of England — the case study found its hotspots in areas of deprivation.

Source: Ministry of Housing, Communities & Local Government, English Indices of Deprivation 2019 (OGL v3.0).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from circles.errors import GeographyError
from circles.validation import suggest

__all__ = ["IMD_ATTRIBUTION", "read_imd", "deprivation_profile", "share_most_deprived"]

IMD_ATTRIBUTION = "Ministry of Housing, Communities & Local Government, English Indices of Deprivation 2019, OGL v3.0"


def read_imd(path: str | Path, *, code: str = "lsoa_code", decile: str = "IMD_decile") -> pd.DataFrame:
    """Read an IMD 2019 table into ``area_code``, ``imd_decile`` (1 = most deprived) and ``imd_quintile``.

    Raises
    ------
    GeographyError
        Naming the file and a missing column (with the nearest names), or a decile outside 1–10.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype={code: str}, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise GeographyError(f"Cannot read IMD table {path}: {exc}") from None
    for column in (code, decile):
        if column not in table.columns:
            raise GeographyError(f"IMD table {path} has no column {column!r}.{suggest(column, table.columns)}")
    deciles = pd.to_numeric(table[decile], errors="coerce")
    bad = ~deciles.between(1, 10) | (deciles % 1 != 0)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise GeographyError(f"IMD table {path}, line {row}, column {decile!r}: deciles run from 1 to 10.")
    out = pd.DataFrame({"area_code": table[code].astype(str), "imd_decile": deciles.astype("int64")})
    out["imd_quintile"] = (out["imd_decile"] + 1) // 2
    return out.drop_duplicates("area_code").reset_index(drop=True)


def deprivation_profile(
    areas: pd.DataFrame, imd: pd.DataFrame, *, count: str, population: str | None = None, by: str = "imd_decile"
) -> pd.DataFrame:
    """Cases (and population) per IMD decile or quintile of the areas, with each band's share of all cases.

    Counts here are exact: protect them (:func:`circles.ingest.disclosure.protect_table`) before publishing.

    Parameters
    ----------
    areas : pandas.DataFrame
        An area table with ``area_code`` and the ``count`` column (and ``population``).
    imd : pandas.DataFrame
        From :func:`read_imd`.
    by : {"imd_decile", "imd_quintile"}

    Examples
    --------
    >>> import pandas as pd
    >>> areas = pd.DataFrame({"area_code": ["a", "b", "c"], "people": [10, 30, 60]})
    >>> imd = pd.DataFrame({"area_code": ["a", "b", "c"], "imd_decile": [1, 1, 10], "imd_quintile": [1, 1, 5]})
    >>> profile = deprivation_profile(areas, imd, count="people", by="imd_quintile")
    >>> profile["people"].tolist(), profile["share"].tolist()
    ([40, 0, 0, 0, 60], [0.4, 0.0, 0.0, 0.0, 0.6])
    """
    if by not in ("imd_decile", "imd_quintile"):
        raise ValueError("by is 'imd_decile' or 'imd_quintile'")
    joined = areas.merge(imd, on="area_code", how="left")
    unmatched = joined[by].isna()
    if unmatched.any():
        codes = joined.loc[unmatched, "area_code"].head(3).tolist()
        raise GeographyError(
            f"{int(unmatched.sum())} area(s) have no IMD decile (e.g. {codes}); check the IMD table is for the same "
            "geography and vintage as the layer (IMD 2019 uses 2011 LSOA codes)."
        )
    values = [count] + ([population] if population else [])
    grouped = joined.groupby(by)
    table = grouped[values].sum().astype("int64")
    table.insert(0, "areas", grouped.size())
    bands = range(1, 11) if by == "imd_decile" else range(1, 6)
    table = table.reindex(bands, fill_value=0).rename_axis(by).reset_index()
    total = table[count].sum()
    table["share"] = table[count] / total if total else 0.0
    return table


def share_most_deprived(areas: pd.DataFrame, imd: pd.DataFrame, *, count: str) -> dict[str, float]:
    """Share of cases living in the most deprived 10% and 20% of England (IMD deciles 1 and 1–2)."""
    profile = deprivation_profile(areas, imd, count=count)
    total = profile[count].sum()
    if not total:
        return {"most_deprived_10pct": 0.0, "most_deprived_20pct": 0.0}
    return {
        "most_deprived_10pct": float(profile.loc[profile["imd_decile"] == 1, count].sum() / total),
        "most_deprived_20pct": float(profile.loc[profile["imd_decile"] <= 2, count].sum() / total),
    }
