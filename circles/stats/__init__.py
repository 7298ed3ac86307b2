"""Statistics over areas: counts, rates with intervals, and hot spots.

Modules, in data-flow order:

``aggregate``     counts by area (records and people)
``rates``         crude rates, Byar/Wilson intervals, Empirical Bayes smoothing, comparison with the study area
``weights``       spatial weights between areas (libpysal), keyed by area code, with islands reported
``significance``  two-sided permutation p-values, FDR/Bonferroni cut-offs and Esri's Gi* bins
``hotspots``      Getis-Ord Gi* and local Moran's I (esda) on an area table, with FDR correction
``hotspot_classes`` what commissioners see: hot only where an area's own rate is high (comparison + Gi*/LISA)
``funnel``        funnel plots: each rate against its population, exact Poisson control limits (Spiegelhalter)
``area_statistics`` one call per analysis of an area layer (hot spots, deprivation profiles, rates), typed results
``captions``      how a hot-spot result is described (on rates or on counts, and why) in every title and caption
"""

from circles.stats.aggregate import (
    area_by_table,
    area_table,
    count_by_area,
    count_by_area_and,
)
from circles.stats.area_statistics import (
    DeprivationResult,
    HotspotResult,
    RateResult,
    area_hotspots,
    deprivation_profiles,
    study_area_rates,
)
from circles.stats.captions import hotspot_wording
from circles.stats.funnel import BAND_COLOURS, BANDS, FunnelResult, funnel_limits, funnel_table
from circles.stats.hotspot_classes import HOT_SPOT, HOTSPOT_CLASSES, HOTSPOT_COLOURS, hotspot_classes
from circles.stats.hotspots import (
    GI_BIN_COLOURS,
    GI_BIN_LABELS,
    GI_LABEL_COLOURS,
    ISLAND_COLOUR,
    ISLAND_LABEL,
    LISA_COLOURS,
    getis_ord,
    hotspot_table,
    local_moran,
)
from circles.stats.rates import (
    COMPARISON_COLOURS,
    COMPARISONS,
    area_rates,
    byar_interval,
    compare_to_benchmark,
    crude_rate,
    empirical_bayes,
    exact_poisson_interval,
    poisson_interval,
    proportion,
    wilson_interval,
)
from circles.stats.significance import (
    CONFIDENCE_LEVELS,
    gi_bins,
    significance_thresholds,
)
from circles.stats.weights import (
    HotspotError,
    NoVariationError,
    SpatialWeights,
    spatial_weights,
)

__all__ = [
    "funnel_limits",
    "funnel_table",
    "FunnelResult",
    "BANDS",
    "BAND_COLOURS",
    "hotspot_classes",
    "HOTSPOT_CLASSES",
    "HOTSPOT_COLOURS",
    "HOT_SPOT",
    "hotspot_wording",
    "count_by_area",
    "count_by_area_and",
    "area_table",
    "area_by_table",
    "COMPARISON_COLOURS",
    "COMPARISONS",
    "byar_interval",
    "exact_poisson_interval",
    "poisson_interval",
    "crude_rate",
    "wilson_interval",
    "proportion",
    "compare_to_benchmark",
    "empirical_bayes",
    "area_rates",
    "CONFIDENCE_LEVELS",
    "GI_BIN_COLOURS",
    "GI_BIN_LABELS",
    "GI_LABEL_COLOURS",
    "ISLAND_COLOUR",
    "ISLAND_LABEL",
    "LISA_COLOURS",
    "HotspotError",
    "NoVariationError",
    "SpatialWeights",
    "getis_ord",
    "gi_bins",
    "hotspot_table",
    "local_moran",
    "significance_thresholds",
    "spatial_weights",
    "HotspotResult",
    "area_hotspots",
    "DeprivationResult",
    "deprivation_profiles",
    "RateResult",
    "study_area_rates",
]
