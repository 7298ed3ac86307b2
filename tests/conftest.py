"""Shared fixtures. ``SHARED`` is the real open data beside the repository (present locally and in CI).

``session_demo`` is the whole demo (maps and packs included) run once per session into a temporary folder — once
for all the xdist workers of the session, not once each: the first worker to ask runs it under a file lock, the
others wait and read it. Tests read it; a test that changes the report works on a copy:
``shutil.copytree(session_demo.report, tmp_path / "report")``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

import pytest
from filelock import FileLock

from circles.geo.embedded import embedded_geo_dir
from circles.pipeline.runner import RunResult, run_pipeline
from tests.helpers import ROOT, SHARED, SHARED_GEO, demo_spec_in

__all__ = ["ROOT", "SHARED", "SHARED_GEO", "DemoRun"]

# the packs render in two processes, as `circles run` renders them on a 2-core machine
os.environ.setdefault("CIRCLES_WORKERS", "2")


class DemoRun(NamedTuple):
    """``folder`` holds ``demo.yaml`` and the synthetic inputs under ``data/``; the report is ``folder / "report"``."""

    folder: Path
    result: RunResult

    @property
    def report(self) -> Path:
        return self.result.output_dir


@pytest.fixture(scope="session")
def shared_geo() -> Path:
    """The borough's source files in ../shared (for files circles does not embed, and rebuilding geo/)."""
    if not SHARED_GEO.exists():
        pytest.skip(
            f"{SHARED_GEO} is not beside the repository: this test reads a source file that geo/ does not embed"
        )
    return SHARED_GEO


@pytest.fixture(scope="session")
def embedded_geo() -> Path:
    """The embedded reference data circles ships (geo/): always present."""
    return embedded_geo_dir()


@pytest.fixture(scope="session")
def session_demo(tmp_path_factory, worker_id) -> DemoRun:
    """The whole demo, maps and packs included, run once for the session. Read it; never write into it.

    Under xdist the workers share it: the base temporary folder's parent is common to them, so the first worker
    runs the demo there while holding a lock, and the others, once it is released, read the same report (its
    manifest as written: the manifest the run returned, the audit included).
    """
    if worker_id == "master":  # not under xdist: this process only
        folder = tmp_path_factory.mktemp("demo")
        return DemoRun(folder, run_pipeline(demo_spec_in(folder, maps=True, packs=True), quiet=True))
    shared = tmp_path_factory.getbasetemp().parent
    folder = shared / "session_demo"
    with FileLock(shared / "session_demo.lock"):
        manifest_path = folder / "report" / "manifest.json"
        if not manifest_path.exists():
            folder.mkdir(exist_ok=True)
            return DemoRun(folder, run_pipeline(demo_spec_in(folder, maps=True, packs=True), quiet=True))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    outputs = (*(o["path"] for o in manifest["outputs"]), "manifest.json")
    return DemoRun(folder, RunResult(output_dir=folder / "report", manifest=manifest, outputs=outputs))
