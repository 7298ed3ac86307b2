"""Shared fixtures. ``SHARED`` is the real open data beside the repository (present locally and in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SHARED_GEO = SHARED / "geo" / "blackburn_with_darwen"


@pytest.fixture(scope="session")
def shared_geo() -> Path:
    if not SHARED_GEO.exists():
        pytest.skip("../shared/geo is not beside the repository")
    return SHARED_GEO
