"""circles — the Circles of Need method of customer insight, for UK local government and the NHS.

The sub-packages follow the method's data flow:

==================  ===========================================================================================
``circles.io``      readers and writers every stage shares (CSV/XLSX/Parquet, atomic outputs, YAML with lines)
``circles.ingest``  validate, pseudonymise, account for every row (the ledger), disclosure control
``circles.geo``     postcode directories, geocoding, area layers and lookups, populations, deprivation
``circles.stats``   counts by area, rates with intervals, hot spots
``circles.figures`` print maps and offline interactive maps
``circles.qualitative``  codebooks, notes, coding, agreement, analysis, REFI-QDA
``circles.challenge``    the service directory, the overlap network, the circle of need, the findings
``circles.costs``   prevalence, the cost model and scenarios
``circles.design``  customer journeys, time to planned support, failure demand
``circles.packs``   workshop packs and the commissioner's report (HTML and PDF)
``circles.pipeline``     the YAML spec, the stage registry, the runner, the Dask engine, the audit
``circles.demo``    the synthetic demo data for Blackburn with Darwen
==================  ===========================================================================================

The names below are the ones a notebook needs first; everything else is in its sub-package. They load on first
use, so ``import circles`` stays quick.

>>> import circles
>>> spec = circles.load_spec(circles.DEMO_SPEC)
>>> spec.stages[:3]
['read', 'validate', 'pseudonymise']
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

try:
    __version__ = version("circles")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0+unknown"

from circles.errors import CirclesError
from circles.resources import demo_spec

#: The embedded demo spec (Blackburn with Darwen, synthetic records): in the wheel, or the checkout's pipelines/.
DEMO_SPEC: Path = demo_spec()

_LAZY = {
    # run a study
    "load_spec": "circles.pipeline",
    "run_pipeline": "circles.pipeline",
    "audit_folder": "circles.pipeline",
    "PipelineSpec": "circles.pipeline",
    # understand: areas, rates, hot spots
    "read_population": "circles.geo",
    "read_imd": "circles.geo",
    "area_rates": "circles.stats",
    "getis_ord": "circles.stats",
    "local_moran": "circles.stats",
    "spatial_weights": "circles.stats",
    "choropleth": "circles.figures",
    "interactive_map": "circles.figures",
    # understand: the qualitative side
    "read_codebook": "circles.qualitative",
    "read_sources": "circles.qualitative",
    "agreement": "circles.qualitative",
    # challenge and costs
    "read_services_yaml": "circles.challenge",
    "read_cost_model": "circles.costs",
}

__all__ = ["CirclesError", "DEMO_SPEC", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'circles' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
