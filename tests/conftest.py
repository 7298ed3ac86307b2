"""Shared fixtures. ``SHARED`` is the real open data beside the repository (present locally and in CI).

``session_demo`` is the whole demo (maps and packs included) run once per session into a temporary folder.
Tests read it; a test that changes the report works on a copy:
``shutil.copytree(session_demo.report, tmp_path / "report")``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest

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
def session_demo(tmp_path_factory) -> DemoRun:
    """The whole demo, maps and packs included, run once for the session. Read it; never write into it."""
    folder = tmp_path_factory.mktemp("demo")
    return DemoRun(folder, run_pipeline(demo_spec_in(folder, maps=True, packs=True), quiet=True))
