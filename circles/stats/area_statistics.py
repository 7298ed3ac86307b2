"""One call per statistic over an area layer, returning a typed result: hot spots, deprivation profiles, rates.

The pipeline's ``hotspots``, ``deprivation`` and ``rates`` stages each make one of these calls and publish
what it returns; a notebook makes the same call to get the same numbers. The methods themselves live in
:mod:`circles.stats.hotspots`, :mod:`circles.stats.weights`, :mod:`circles.stats.rates` and
:mod:`circles.geo.deprivation`; this module only strings them together as an analysis does.

Every function here takes *exact* counts where the method needs them (hot spots, deprivation profiles) and
returns tables that say what may be published: hot spots give classes only, deprivation profiles are
protected by the disclosure policy before shares and rates are taken from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from circles.geo.deprivation import IMD_ATTRIBUTION, deprivation_profile
from circles.ingest.disclosure import DisclosurePolicy, protect_table
from circles.stats.hotspots import getis_ord, local_moran
from circles.stats.rates import area_rates, crude_rate, empirical_bayes, proportion
from circles.stats.significance import Correction
from circles.stats.weights import SpatialWeights, spatial_weights

__all__ = [
    "HotspotResult",
    "area_hotspots",
    "DeprivationResult",
    "deprivation_profiles",
    "RateResult",
    "study_area_rates",
]

#: The IMD bands of a deprivation profile, by the name used in file names.
IMD_BANDS = {"decile": "imd_decile", "quintile": "imd_quintile"}


# Hot spots


@dataclass(frozen=True)
class HotspotResult:
    """Gi* and local Moran's I for one area layer, as :func:`area_hotspots` returns them.

    Attributes
    ----------
    gi : pandas.DataFrame
        :func:`circles.stats.hotspots.getis_ord`'s table, indexed by ``area_code`` (z-scores and p-values:
        not for publication).
    lisa : pandas.DataFrame
        :func:`circles.stats.hotspots.local_moran`'s table, indexed by ``area_code``.
    weights : SpatialWeights
        The spatial weights both statistics used.
    tested : str
        What was tested: ``"Empirical Bayes rate of <count> per resident"`` or ``"count of <count>"``.
    correction : str or None
        The multiple-testing correction applied (Bonferroni when FDR was asked for but is unavailable).
    permutations, seed : int
        Of the conditional permutation test.
    value : {"rate", "count"}
        What was tested: the rate (a population was given) or the count. Maps and reports must say which: hot
        spots of counts follow where people live, so large and populous areas stand out.
    """

    gi: pd.DataFrame
    lisa: pd.DataFrame
    weights: SpatialWeights
    tested: str
    correction: str | None
    permutations: int
    seed: int
    value: Literal["rate", "count"] = "count"

    @property
    def islands(self) -> tuple[str, ...]:
        """Area codes with no neighbours under the weights (no statistic unless attached)."""
        return tuple(self.weights.islands)

    @property
    def classes(self) -> pd.DataFrame:
        """The publishable classes by ``area_code``: ``gi_bin``, ``gi_label`` and ``lisa_category``."""
        return self.gi[["gi_bin", "gi_label"]].join(self.lisa[["lisa_category"]])

    @property
    def hot_spots(self) -> dict[str, int]:
        """Areas in each hot Gi_Bin, ``{"3": 99%, "2": 95%, "1": 90%}``."""
        return {str(b): int((self.gi["gi_bin"] == b).sum()) for b in (3, 2, 1)}

    @property
    def cold_spots(self) -> dict[str, int]:
        """Areas in each cold Gi_Bin, ``{"-3": 99%, "-2": 95%, "-1": 90%}``."""
        return {str(b): int((self.gi["gi_bin"] == b).sum()) for b in (-3, -2, -1)}

    def summary(self) -> dict[str, Any]:
        """What was tested and how many areas fall in each class: the run manifest's entry for the layer."""
        return {
            "tested": self.tested,
            "value": self.value,
            "weights": self.weights.method,
            "islands": list(self.weights.islands),
            "correction": self.correction,
            "permutations": self.permutations,
            "seed": self.seed,
            "hot_spots": self.hot_spots,
            "cold_spots": self.cold_spots,
            "lisa": {k: int(v) for k, v in self.lisa["lisa_category"].value_counts().sort_index().items()},
        }


def area_hotspots(
    areas: gpd.GeoDataFrame,
    counts: pd.Series,
    *,
    population: pd.Series | None = None,
    method: Literal["queen", "rook", "knn", "distance"] = "queen",
    k: int = 5,
    threshold: float | None = None,
    islands: Literal["report", "nearest"] = "report",
    permutations: int = 9999,
    seed: int = 12345,
    alpha: float = 0.05,
    correction: Correction = "fdr",
) -> HotspotResult:
    """Hot and cold spots (Getis–Ord Gi*) and clusters and outliers (local Moran's I) of an area layer.

    Builds the spatial weights (:func:`circles.stats.weights.spatial_weights`), then tests the Empirical Bayes
    rate (:func:`circles.stats.rates.empirical_bayes`) with Gi* and the Assunção–Reis EB rate with local Moran
    when a population is given, else the counts with both. Both are tested by conditional permutation with
    control of multiple testing (see :mod:`circles.stats.hotspots` for what the maps can and cannot say).

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        One polygon per area with a unique ``area_code`` (``AreaLayer.areas``).
    counts : pandas.Series
        *Exact* counts indexed by ``area_code``, one per area; its name says what is counted (``"people"``).
    population : pandas.Series, optional
        Residents by ``area_code``; when given the rate is tested rather than the count.
    method, k, threshold, islands
        The weights (:func:`circles.stats.weights.spatial_weights`).
    permutations, seed, alpha, correction
        The permutation test (:func:`circles.stats.hotspots.getis_ord`).

    Returns
    -------
    HotspotResult
        The Gi* and LISA tables, the weights and their islands, what was tested, the correction used, and
        :meth:`HotspotResult.summary` for a run's manifest. Publish :attr:`HotspotResult.classes` only: with
        every area's z-score the exact counts could be solved for.

    References
    ----------
    Getis, A. and Ord, J. K. (1992) The analysis of spatial association by use of distance statistics.
    *Geographical Analysis* 24(3), 189-206. Anselin, L. (1995) Local indicators of spatial association —
    LISA. *Geographical Analysis* 27(2), 93-115. Assunção, R. M. and Reis, E. A. (1999) A new proposal to
    adjust Moran's I for population density. *Statistics in Medicine* 18(16), 2147-2162.

    Examples
    --------
    A 5 × 5 grid of 1 km squares with a high 3 × 3 block in the middle:

    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> cells = [(x, y) for y in range(5) for x in range(5)]
    >>> grid = gpd.GeoDataFrame({"area_code": [f"C{x}{y}" for x, y in cells]},
    ...     geometry=[box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000) for x, y in cells], crs=27700)
    >>> people = pd.Series([40 if 1 <= x <= 3 and 1 <= y <= 3 else 5 + (x + 2 * y) % 3 for x, y in cells],
    ...     index=grid["area_code"], name="people")
    >>> result = area_hotspots(grid, people, permutations=99, correction="none")
    >>> result.tested, result.value, int(result.gi.loc["C22", "gi_bin"]) >= 2, int(result.gi.loc["C00", "gi_bin"]) > 0
    ('count of people', 'count', True, False)
    >>> result.summary()["hot_spots"] == result.hot_spots
    True
    """
    weights = spatial_weights(areas, method=method, k=k, threshold=threshold, islands=islands)
    options: dict[str, Any] = {"permutations": permutations, "seed": seed, "alpha": alpha, "correction": correction}
    measure = counts.name if counts.name is not None else "cases"
    if population is not None:
        gi = getis_ord(empirical_bayes(counts, population), weights, **options)
        lisa = local_moran(counts, weights, base=population, **options)
        tested = f"Empirical Bayes rate of {measure} per resident"
    else:
        gi = getis_ord(counts, weights, **options)
        lisa = local_moran(counts, weights, **options)
        tested = f"count of {measure}"
    value = "rate" if population is not None else "count"
    return HotspotResult(gi, lisa, weights, tested, gi.attrs.get("correction"), permutations, seed, value)


# Deprivation


@dataclass(frozen=True)
class DeprivationResult:
    """Cases by IMD decile and quintile, published through disclosure control, as :func:`deprivation_profiles`
    returns them.

    Attributes
    ----------
    profiles : dict of str to pandas.DataFrame
        ``"decile"`` and ``"quintile"``: areas, the *protected* count (and population), each band's share of
        the published cases with a Wilson interval, and with a population the rate with its interval.
    shares : dict of str to float or None
        ``most_deprived_10pct`` and ``most_deprived_20pct`` of the published cases (``None`` when a count it
        needs is suppressed).
    imd : pandas.DataFrame
        The IMD table used (``area_code``, ``imd_decile``, ``imd_quintile``), to join to an area table.
    measure : str
        The count profiled.
    source : str
        The IMD's attribution.
    """

    profiles: dict[str, pd.DataFrame]
    shares: dict[str, float | None]
    imd: pd.DataFrame
    measure: str
    source: str = IMD_ATTRIBUTION

    def summary(self, layer: str) -> dict[str, Any]:
        """The run manifest's ``deprivation`` entry, for the profiled ``layer``."""
        return {"source": self.source, "layer": layer, "measure": self.measure, "share_of_cases": self.shares}


def deprivation_profiles(
    counts: pd.DataFrame,
    imd: pd.DataFrame,
    *,
    count: str,
    policy: DisclosurePolicy,
    population: pd.Series | None = None,
    per: float = 1000,
) -> DeprivationResult:
    """Cases (and rates) by IMD 2019 decile and quintile, protected, with shares and their intervals.

    Profiles the *exact* counts (:func:`circles.geo.deprivation.deprivation_profile`), protects each band's
    count with ``policy`` (the bands add up to the total), then takes the shares (Wilson interval,
    :func:`circles.stats.rates.proportion`) and, with a population, the rates per ``per`` (Byar or exact
    Poisson interval, :func:`circles.stats.rates.crude_rate`) from the *published* counts.

    Parameters
    ----------
    counts : pandas.DataFrame
        Exact counts: ``area_code`` and the ``count`` column.
    imd : pandas.DataFrame
        From :func:`circles.geo.deprivation.read_imd`.
    count : str
        The count to profile, e.g. ``"people"``.
    policy : DisclosurePolicy
        Disclosure control for the band counts.
    population : pandas.Series, optional
        Residents by ``area_code``.
    per : float
        Rates per this many residents.

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.ingest.disclosure import DisclosurePolicy
    >>> counts = pd.DataFrame({"area_code": ["a", "b", "c"], "people": [10, 30, 60]})
    >>> imd = pd.DataFrame({"area_code": ["a", "b", "c"], "imd_decile": [1, 2, 10], "imd_quintile": [1, 1, 5]})
    >>> result = deprivation_profiles(counts, imd, count="people", policy=DisclosurePolicy("none", 1))
    >>> result.shares
    {'most_deprived_10pct': 0.1, 'most_deprived_20pct': 0.4}
    >>> result.profiles["quintile"]["people"].tolist()
    [40, 0, 0, 0, 60]
    """
    if population is not None:
        counts = counts.assign(population=counts["area_code"].map(population).to_numpy())
    profiles, shares = {}, {}
    for name, band in IMD_BANDS.items():
        profile = deprivation_profile(
            counts, imd, count=count, by=band, population="population" if population is not None else None
        ).drop(columns="share")
        profile = protect_table(profile, [count], policy, groups=[[]])
        # shares and rates from the published counts, with Wilson and Byar/exact intervals
        published = profile[count].astype("Float64")
        share = proportion(published, pd.Series(published.sum(), index=profile.index), confidence=0.95)
        profile[["share", "share_lower", "share_upper"]] = share.round(4).to_numpy()
        if population is not None:
            rate = crude_rate(published, profile["population"], per=per)
            profile[["rate", "rate_lower", "rate_upper"]] = rate.round(2).to_numpy()
        profiles[name] = profile
        if band == "imd_decile":
            shares = {
                "most_deprived_10pct": _share(profile, count, profile["imd_decile"] == 1),
                "most_deprived_20pct": _share(profile, count, profile["imd_decile"] <= 2),
            }
    return DeprivationResult(profiles, shares, imd, count)


def _share(profile: pd.DataFrame, column: str, mask: pd.Series) -> float | None:
    """A share from published (rounded) counts; ``None`` when any count it needs is suppressed."""
    values = profile[column]
    if values.isna().any():
        return None
    total = values.sum()
    return round(float(values[mask].sum() / total), 4) if total else 0.0


# Rates


@dataclass(frozen=True)
class RateResult:
    """An area table's rates against the study area's own rate, as :func:`study_area_rates` returns them.

    Attributes
    ----------
    table : pandas.DataFrame
        The area table with :func:`circles.stats.rates.area_rates`'s columns added.
    population : int
        Residents of the study area (the sum over the areas).
    study_area_rate : float or None
        The benchmark per ``per``, from the exact total; ``None`` with no residents.
    """

    table: pd.DataFrame
    population: int
    study_area_rate: float | None

    def summary(self) -> dict[str, Any]:
        """The run manifest's entry for the layer: population, study area rate, areas higher and lower."""
        return {
            "population": self.population,
            "study_area_rate": round(self.study_area_rate, 3) if self.study_area_rate is not None else None,
            "higher": int((self.table["comparison"] == "higher").sum()),
            "lower": int((self.table["comparison"] == "lower").sum()),
        }


def study_area_rates(
    table: pd.DataFrame,
    population: pd.Series,
    *,
    count: str,
    total: int,
    per: float = 1000,
    confidence: float = 0.95,
    policy: DisclosurePolicy | None = None,
) -> RateResult:
    """Each area's rate (from its published count) compared with the study area's rate (from the exact total).

    Parameters
    ----------
    table : pandas.DataFrame
        Area table with *published* counts (:func:`circles.ingest.disclosure.protect_table`).
    population : pandas.Series
        Residents by ``area_code``.
    count : str
        The count column.
    total : int
        The *exact* total of ``count`` over the study area: the benchmark is ``per * total / population``.
    per, confidence, policy
        As in :func:`circles.stats.rates.area_rates`.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"area_code": ["a", "b"], "people": [10, 30]})
    >>> result = study_area_rates(table, pd.Series([1000, 1000], index=["a", "b"]), count="people", total=40)
    >>> result.study_area_rate, result.summary()["population"]
    (20.0, 2000)
    """
    residents = population.sum()
    benchmark = per * total / float(residents) if residents else None
    rated = area_rates(
        table,
        count=count,
        population=population,
        per=per,
        confidence=confidence,
        benchmark=benchmark if benchmark is not None else "overall",
        policy=policy,
    )
    return RateResult(rated, int(residents), benchmark)
