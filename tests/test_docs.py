"""The documentation site builds with warnings as errors, offline, and its spec reference follows the models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from circles.pipeline.spec import DisclosureSpec, GeographySpec, LookupSpec

ROOT = Path(__file__).resolve().parents[1]
REASON = "the docs extra is not installed (pip install -e '.[docs]'); `make docs` installs it"

pytest.importorskip("mkdocs", reason=REASON)
pytest.importorskip("material", reason=REASON)
pytest.importorskip("mkdocstrings_handlers.python", reason=REASON)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built as `make docs` builds it (``--strict``: any warning fails), into a temporary folder."""
    out = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-5000:]}"
    assert "WARNING" not in result.stderr, result.stderr[-5000:]
    return out


def test_spec_reference_lists_the_models_keys(site: Path) -> None:
    page = (site / "spec-reference.html").read_text(encoding="utf-8")
    assert "nearest_tolerance_m" in page and "suppress_below" in page
    for model in (GeographySpec, DisclosureSpec, LookupSpec):  # every key, by its YAML name (aliases included)
        for name, field in model.model_fields.items():
            assert f"<code>{field.alias or name}</code>" in page, f"{model.__name__}.{name} is not on the page"
    assert 'id="geography-layers-name-lookup"' in page  # nested sections have their own headings


def test_pages_browse_offline(site: Path) -> None:
    for page in ("index.html", "getting-started.html", "method.html", "layout.html", "data-and-licences.html"):
        text = (site / page).read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text, page
    assert not (site / "hooks").exists()  # the build hooks are not published
    # plain .html links, so the site opens from disk (file://)
    assert 'href="getting-started.html"' in (site / "index.html").read_text(encoding="utf-8")


def test_api_pages_show_what_each_sub_package_exports(site: Path) -> None:
    stats = (site / "api" / "stats.html").read_text(encoding="utf-8")
    for name in ("getis_ord", "area_rates", "GI_BIN_COLOURS"):  # a constant documented by a `#:` comment too
        assert f'id="circles.stats.{name}"' in stats, name
    assert ":func:" not in stats  # Sphinx roles are rendered as code
    pipeline = (site / "api" / "pipeline.html").read_text(encoding="utf-8")
    assert 'id="circles.pipeline.runner.run_pipeline"' in pipeline  # loaded lazily, documented all the same
