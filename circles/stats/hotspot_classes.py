"""Hot spots a commissioner can act on: an area is a hot spot only if its *own* rate is high.

Getis–Ord Gi* sums an area with its neighbours, so a low area ringed by high ones comes out "hot": correct
arithmetic, the wrong message for a commissioner deciding where to put a service. :func:`hotspot_classes`
combines three tests into one label per area:

* the area's own rate compared with the study area's by its confidence interval (``comparison``:
  :func:`circles.stats.rates.compare_to_benchmark`, as Fingertips does);
* Gi* (``gi_bin``, Esri's bins after the multiple-testing correction: ±2 is 95%, ±3 is 99%);
* local Moran's I (``lisa_category``: High-High and Low-Low clusters, High-Low and Low-High outliers).

==============================  =========================================================================
label                           when
==============================  =========================================================================
Hot spot                        own rate significantly **higher** and part of a significant high cluster
                                (Gi* hot at 95% or more, or LISA High-High)
High rate, on its own           own rate significantly higher, no high cluster around it
Next to a hot spot              in a high cluster (Gi* hot or LISA High-High) through its neighbours, own
                                rate not significantly higher (even significantly lower): never a hot spot
No pattern                      none of these
Next to a cold spot             in a low cluster through its neighbours, own rate not significantly lower
Low rate, on its own            own rate significantly lower, no low cluster around it
Cold spot                       own rate significantly **lower** and part of a significant low cluster
                                (Gi* cold at 95% or more, or LISA Low-Low)
Not tested (no rate)            no comparison (no population, a suppressed count) or an island
==============================  =========================================================================

The raw Gi* and LISA classes stay in the analyst's GeoPackage; tables, maps and packs show these labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["HOTSPOT_CLASSES", "HOTSPOT_COLOURS", "HOTSPOT_NOTE", "HOT_SPOT", "hotspot_classes"]

HOT_SPOT = "Hot spot"
#: Under every hot-spot map: what the classes mean.
HOTSPOT_NOTE = (
    "A hot spot's own rate is significantly above the study area's (95% interval) and it lies in a significant "
    "high cluster (Getis-Ord Gi* or local Moran's I, FDR-corrected). 'Next to a hot spot': in a high cluster "
    "only through its neighbours."
)
#: The labels, in legend order (high to low, then not tested).
HOTSPOT_CLASSES: tuple[str, ...] = (
    HOT_SPOT,
    "High rate, on its own",
    "Next to a hot spot",
    "No pattern",
    "Next to a cold spot",
    "Low rate, on its own",
    "Cold spot",
    "Not tested (no rate)",
)
#: A diverging red–blue scheme (ColorBrewer RdBu, 7 classes), grey for not tested: the strong colours are the
#: areas whose own rate differs (darkest where they also cluster); the pale ones are only next to a cluster.
HOTSPOT_COLOURS: dict[str, str] = dict(
    zip(
        HOTSPOT_CLASSES,
        ("#B2182B", "#EF8A62", "#FDDBC7", "#F7F7F7", "#D1E5F0", "#67A9CF", "#2166AC", "#BDBDBD"),
        strict=True,
    )
)


def hotspot_classes(comparison: pd.Series, gi_bin: pd.Series, lisa_category: pd.Series, *, level: int = 2) -> pd.Series:
    """One label per area from its own rate's comparison, its Gi* bin and its LISA category.

    Parameters
    ----------
    comparison : pandas.Series
        ``"higher"``, ``"similar"``, ``"lower"`` or ``"not compared"``
        (:func:`circles.stats.rates.compare_to_benchmark`).
    gi_bin : pandas.Series
        Esri Gi_Bin, −3 … 3 (missing for islands).
    lisa_category : pandas.Series
        ``"High-High"``, ``"Low-Low"``, ``"High-Low"``, ``"Low-High"``, ``"Not significant"`` or the island label.
    level : int, default 2
        The Gi* bin a cluster needs: 2 is 95% confidence, 3 is 99% (after the run's correction).

    Returns
    -------
    pandas.Series
        Labels from :data:`HOTSPOT_CLASSES`, named ``"hotspot"``, on ``comparison``'s index.

    References
    ----------
    Getis A, Ord JK (1992) The analysis of spatial association by use of distance statistics, *Geographical
    Analysis* 24(3): 189–206. Anselin L (1995) Local indicators of spatial association — LISA, *Geographical
    Analysis* 27(2): 93–115. Public Health England (2018) *Technical Guide: Confidence Intervals* (the
    comparison with the benchmark).

    Examples
    --------
    A low area ringed by high ones is hot by Gi*, but its own rate is lower: it is next to a hot spot.

    >>> comparison = pd.Series(["higher", "lower", "higher", "similar", "not compared"])
    >>> gi_bin = pd.Series([3, 2, 0, -2, 0])
    >>> lisa = pd.Series(["High-High", "Low-High", "High-Low", "Not significant", "Not significant"])
    >>> hotspot_classes(comparison, gi_bin, lisa).tolist()
    ['Hot spot', 'Next to a hot spot', 'High rate, on its own', 'Next to a cold spot', 'Not tested (no rate)']
    """
    if not (len(comparison) == len(gi_bin) == len(lisa_category)):
        raise ValueError("comparison, gi_bin and lisa_category need one value per area each")
    own = comparison.astype("string").fillna("not compared").to_numpy(dtype=object)
    bins = pd.to_numeric(pd.Series(gi_bin).reset_index(drop=True), errors="coerce").to_numpy(dtype=float)
    lisa = pd.Series(lisa_category).astype("string").fillna("").to_numpy(dtype=object)
    with np.errstate(invalid="ignore"):
        high_cluster = (bins >= level) | (lisa == "High-High")
        low_cluster = (bins <= -level) | (lisa == "Low-Low")
    higher, lower = own == "higher", own == "lower"
    tested = (own != "not compared") & ~np.isnan(bins)
    labels = np.select(
        [
            ~tested,
            higher & high_cluster,
            lower & low_cluster,
            high_cluster & ~low_cluster & ~higher,
            low_cluster & ~high_cluster & ~lower,
            higher,
            lower,
        ],
        [
            "Not tested (no rate)",
            HOT_SPOT,
            "Cold spot",
            "Next to a hot spot",
            "Next to a cold spot",
            "High rate, on its own",
            "Low rate, on its own",
        ],
        default="No pattern",
    )
    return pd.Series(labels, index=comparison.index, name="hotspot", dtype=object)
