"""The pipeline: a YAML spec, the stages it lists, the runner that runs them, the audit that guards publishing.

Modules:

``spec``         the pipeline spec (pydantic), checked with the YAML line of every problem
``sources``      a source's column mapping and each field's rules (column, value, copy_of; types such as age_years)
``check``        ``circles check``: the spec, and a sample of every source file read and validated as a run would
``stages``       the stage registry: each stage with what it needs and what it provides
``runner``       runs the stages, accounts for every row, audits and publishes the report folder atomically
``audit``        searches a report folder for identifiers, pseudonyms, postcodes and small counts
``audit_secrets``  what must not appear in a report (Secrets) and the scanner that finds it in text
``dask_engine``  the heavy stages partitioned on a Dask cluster (``engine: dask``)
``dask_cluster``   the cluster a Dask run uses: a given scheduler, or local worker processes

The runner imports every stage, so it is loaded on first use (``circles.pipeline.run_pipeline``) rather than
when a library module imports the spec.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from circles.pipeline.spec import PipelineSpec, load_spec

_LAZY = {
    "run_pipeline": "circles.pipeline.runner",
    "audit_folder": "circles.pipeline.runner",
    "RunResult": "circles.pipeline.runner",
    "audit_report": "circles.pipeline.audit",
    "Finding": "circles.pipeline.audit",
    "scaffold_project": "circles.pipeline.scaffold",
    "ScaffoldResult": "circles.pipeline.scaffold",
    "check_spec": "circles.pipeline.check",
    "SpecCheck": "circles.pipeline.check",
}

__all__ = ["PipelineSpec", "load_spec", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'circles.pipeline' has no attribute {name!r}")
