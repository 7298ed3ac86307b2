"""Geography: postcodes to points to areas, and the populations and deprivation of those areas (ONS).

Modules, in data-flow order:

``postcodes``           UK postcode normalisation and checks
``embedded``            the embedded Blackburn with Darwen reference data, by the key a spec names it with
``postcode_directory``  ONS Postcode Directory (ONSPD) extracts
``geocoding``           records to points through the postcode directory
``layers``              area layers (LSOA, MSOA, wards): embedded, files, lookups
``naming``              small areas named after the larger area they lie in ("Bastwell & Daisyfield 004A")
``areas``               placing points in areas, by code or point in polygon
``populations``         ONS and Nomis population tables; derived populations
``deprivation``         English Indices of Deprivation (IMD) profiles
"""

from circles.geo.areas import (
    MIN_LOOKUP_MATCH,
    Placement,
    assign_areas,
    assign_by_code,
    check_lookup_match,
    layer_from_lookup,
    points_from_grid,
)
from circles.geo.deprivation import (
    IMD_ATTRIBUTION,
    deprivation_profile,
    read_imd,
    share_most_deprived,
)
from circles.geo.embedded import (
    EMBEDDED_DEPRIVATION,
    EMBEDDED_LOOKUPS,
    EMBEDDED_POPULATIONS,
    embedded_file,
    embedded_geo_dir,
)
from circles.geo.geocoding import (
    OUTCOMES,
    Geocoded,
    geocode,
)
from circles.geo.layers import (
    ANALYSIS_CRS,
    ATTRIBUTION,
    EMBEDDED_LAYERS,
    WEB_CRS,
    AreaLayer,
    embedded_layer,
    embedded_lookup,
    is_pseudo_code,
    pseudo_code_note,
    read_area_layer,
    read_lookup,
)
from circles.geo.naming import name_layer, named_after, parent_areas
from circles.geo.populations import (
    AGE_BANDS,
    AgeBand,
    age_band_label,
    derive_population,
    parse_age_band,
    parse_age_label,
    read_population,
)
from circles.geo.postcode_directory import (
    AREA_COLUMNS,
    DIRECTORY_COLUMNS,
    embedded_directory_path,
    read_postcode_directory,
)
from circles.geo.postcodes import (
    POSTCODE_PATTERN,
    normalise_postcodes,
    postcode_district,
    to_pcd7,
)

__all__ = [
    "name_layer",
    "named_after",
    "parent_areas",
    "POSTCODE_PATTERN",
    "normalise_postcodes",
    "to_pcd7",
    "postcode_district",
    "DIRECTORY_COLUMNS",
    "AREA_COLUMNS",
    "read_postcode_directory",
    "embedded_directory_path",
    "OUTCOMES",
    "Geocoded",
    "geocode",
    "ANALYSIS_CRS",
    "WEB_CRS",
    "ATTRIBUTION",
    "AreaLayer",
    "embedded_geo_dir",
    "embedded_file",
    "embedded_layer",
    "embedded_lookup",
    "read_area_layer",
    "read_lookup",
    "EMBEDDED_LAYERS",
    "EMBEDDED_LOOKUPS",
    "EMBEDDED_POPULATIONS",
    "EMBEDDED_DEPRIVATION",
    "Placement",
    "assign_areas",
    "assign_by_code",
    "layer_from_lookup",
    "check_lookup_match",
    "MIN_LOOKUP_MATCH",
    "is_pseudo_code",
    "pseudo_code_note",
    "points_from_grid",
    "AGE_BANDS",
    "AgeBand",
    "parse_age_band",
    "parse_age_label",
    "age_band_label",
    "read_population",
    "derive_population",
    "IMD_ATTRIBUTION",
    "read_imd",
    "deprivation_profile",
    "share_most_deprived",
]
