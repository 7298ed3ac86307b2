"""The pipeline's stages, one module per part of the method, each stage registered with its contract.

==================  ======================================================================================
``base``            the run state, the :class:`Stage` contract, the registry and the order check
``ingest``          read, validate, pseudonymise
``geo``             geocode, assign_areas
``stats``           aggregate, rates, deprivation, hotspots
``figures``         maps, interactive_maps
``qualitative``     coding
``challenge``       network, circle, challenge
``costs``           costs
``design``          design (journeys, failure demand, who is best placed, options)
``change``          change (the pilot against a matched comparison group, benefits, the register)
==================  ======================================================================================

A stage reads what it declared, makes its library call and publishes; the method itself lives in the
library's sub-packages, so a notebook calls the same functions.

>>> from circles.pipeline.stages import STAGES
>>> STAGES["rates"].needs, STAGES["rates"].provides
(frozenset({'area_counts'}), frozenset({'rates'}))
"""

from importlib import import_module

from circles.pipeline.stages.base import (
    STAGES,
    RunState,
    Stage,
    check_stage_order,
    disclosure_policy,
    stage,
)
from circles.pipeline.stages.geo import (
    carried_area_codes,
    directory_column,
    load_layers,
    log_placement,
    note_geocoding,
    place,
    placement_rule,
    postcode_directory,
    unplaced_quarantine,
)
from circles.pipeline.stages.ingest import (
    input_files,
    note_pseudonymisation,
    note_validation,
    prepare_inputs,
    private_fields,
    protect_fields,
    pseudonym_key,
    read_file,
)
from circles.pipeline.stages.stats import publish_area_counts, publish_area_tables

#: The stage modules in the method's data-flow order: importing them registers their stages in this order.
MODULES = ("ingest", "geo", "stats", "figures", "qualitative", "challenge", "costs", "design", "change")
for _module in MODULES:
    import_module(f"circles.pipeline.stages.{_module}")
_ordered = sorted(STAGES.values(), key=lambda s: MODULES.index(s.func.__module__.rsplit(".", 1)[1]))
STAGES.clear()
STAGES.update((s.name, s) for s in _ordered)

#: Stage name -> function, in data-flow order (the Dask engine swaps in its partitioned twins).
STAGE_FUNCTIONS = {name: s.func for name, s in STAGES.items()}

__all__ = [
    "STAGES",
    "STAGE_FUNCTIONS",
    "RunState",
    "Stage",
    "check_stage_order",
    "disclosure_policy",
    "stage",
    "prepare_inputs",
    "publish_area_tables",
    # shared with the Dask engine's partitioned stages (circles.pipeline.dask_engine)
    "read_file",
    "input_files",
    "private_fields",
    "pseudonym_key",
    "protect_fields",
    "note_pseudonymisation",
    "note_validation",
    "postcode_directory",
    "note_geocoding",
    "load_layers",
    "placement_rule",
    "carried_area_codes",
    "directory_column",
    "place",
    "unplaced_quarantine",
    "log_placement",
    "publish_area_counts",
]
