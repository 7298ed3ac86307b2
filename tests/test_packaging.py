"""The wheel installs and runs the whole demo with no checkout beside it.

Builds the wheel offline (``--no-build-isolation``: hatchling from the dev extra), installs it without its
dependencies into a fresh venv that borrows this venv's third-party packages through a ``.pth`` line (so the test
needs no network), and runs ``circles demo`` from an empty folder. The checkout is never on that interpreter's
path: a ``.pth`` line adds a folder without processing the ``.pth`` files inside it, so this venv's editable
install of circles is not seen.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("hatchling", reason="the dev extra's hatchling builds the wheel offline")
    out = tmp_path_factory.mktemp("wheel")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        cwd=out,
        env=dict(os.environ),
    )
    (path,) = out.glob("circles-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A fresh venv holding only the wheel (plus this venv's third-party packages by a .pth line)."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    clean_site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (clean_site / "borrowed_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CIRCLES_", "VIRTUAL_ENV"))}
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        cwd=env_dir,
        env=env,
    )
    return env_dir, env


def test_the_wheel_holds_every_sub_package_and_the_shipped_folders(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    packages = {n.split("/")[1] for n in names if n.startswith("circles/") and n.endswith("/__init__.py")}
    on_disk = {p.parent.name for p in (ROOT / "circles").glob("*/__init__.py")}
    assert on_disk <= packages and {"qualitative", "geo", "pipeline", "packs"} <= packages
    for folder in ("geo", "workshop_templates", "pipelines"):
        shipped = {n.split(f"circles/_data/{folder}/", 1)[1] for n in names if n.startswith(f"circles/_data/{folder}/")}
        in_repo = {str(p.relative_to(ROOT / folder)) for p in (ROOT / folder).rglob("*") if p.is_file()}
        in_repo = {p for p in in_repo if "__pycache__" not in p}
        assert shipped == in_repo, folder
    # the planner's own files that are not Python: migrations' template, page templates, stylesheets
    planner = ROOT / "circles" / "planner"
    data = {
        str(p.relative_to(ROOT))
        for p in planner.rglob("*")
        if p.is_file() and p.suffix in (".html", ".css", ".mako", ".svg")
    }
    data |= {str(p.relative_to(ROOT)) for p in (planner / "migrations").rglob("*.py")}
    assert len(data) > 15 and data <= set(names)


def test_the_installed_wheel_runs_the_demo_from_an_empty_folder(installed, tmp_path):
    env_dir, env = installed
    python, circles = env_dir / "bin" / "python", env_dir / "bin" / "circles"
    probe = _run(
        [
            str(python),
            "-c",
            "import circles, circles.qualitative, circles.resources as r; "
            "print(circles.__file__); print(r.packaged('geo')); print(r.packaged('workshop_templates'))",
        ],
        cwd=tmp_path,
        env=env,
    )
    for line in probe.stdout.splitlines():
        assert Path(line).is_relative_to(env_dir), line  # the wheel's own files, not the checkout's

    work = tmp_path / "empty"
    work.mkdir()
    _run([str(circles), "demo", "--output", "report", "--quiet"], cwd=work, env=env)
    report = work / "report"
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["geography"]["optional_layers_missing"] == []
    assert set(manifest["rates"]["layers"]) == {"lsoa", "msoa", "ward2025", "ward2004", "ward2017"}
    # nothing missing or skipped: the demo key's warning, the two-year records' penetration note, the held quote and
    # the appraisal's expected savings in contacts the pilot does not measure
    prefixes = sorted(w.split(":")[0] for w in manifest["warnings"])
    expected = ["change", "coding", "costs", "design", "pseudonyms use the published DEMO key"]
    assert prefixes == expected, manifest["warnings"]
    wards = pd.read_csv(report / "tables" / "ward2004_areas.csv")
    assert len(wards) == 23 and wards["rate"].notna().all() and wards["rate_upper"].notna().all()
    lsoas = pd.read_csv(report / "tables" / "lsoa_areas.csv")
    assert lsoas["imd_decile"].between(1, 10).all()
    for pack in ("customer_definition", "customer_engagement", "challenge", "hotspot_report"):
        assert (report / "packs" / f"{pack}.pdf").stat().st_size > 10_000
    assert (work / "data" / "demo" / "take_up").is_dir()  # the synthetic inputs, beside the report, not in the wheel
    # the report, its inputs and the stage cache beside the report (nothing else written)
    assert sorted(p.name for p in work.iterdir()) == [".report.cache", "data", "report"]
    # the family service planner from the wheel: its migrations run and its app builds
    _run(
        [
            str(circles),
            "planner",
            "init",
            "--db",
            f"sqlite:///{tmp_path / 'planner.db'}",
            "--key-file",
            str(tmp_path / "planner.key"),
        ],
        cwd=tmp_path,
        env=env,
    )
    built = _run(
        [
            str(python),
            "-c",
            "from circles.planner.web.app import create_app; import circles.planner.web.app as a; print(a.__file__)",
        ],
        cwd=tmp_path,
        env=env,
    )
    assert Path(built.stdout.strip()).is_relative_to(env_dir)
