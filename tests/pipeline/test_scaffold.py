"""``scaffold_project`` (``circles init DIR``): the layout, the spec that loads and runs, the key, never overwriting."""

from __future__ import annotations

import csv
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from circles.errors import CirclesError, PseudonymKeyError, SpecError
from circles.ingest.pseudonyms import load_key, write_key_file
from circles.pipeline import ScaffoldResult, scaffold_project
from circles.pipeline.scaffold import TEMPLATE, default_key_path, project_name, render_spec
from circles.pipeline.spec import PseudonymisationSpec, load_spec
from circles.resources import packaged
from tests.helpers import ROOT

PROJECT_FILES = {
    "pipeline.yaml",
    "README.md",
    ".gitignore",
    "data/extracts/README.md",
    "data/notes/README.md",
    "reports/README.md",
}
GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fake home folder: no test touches the real one (HOME set, XDG_CONFIG_HOME unset)."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return folder


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its content."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _relative(result: ScaffoldResult) -> set[str]:
    return {p.relative_to(result.folder).as_posix() for p in result.files}


def _bwd_postcodes(n: int) -> list[str]:
    """Real postcodes from the embedded Blackburn with Darwen directory."""
    with (ROOT / "geo" / "postcodes_bwd.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["pcds"] for row in rows[:: len(rows) // n][:n]]


def _add_extract(result: ScaffoldResult, n: int = 40) -> Path:
    """An extract in data/extracts with exactly the columns the written spec maps, BwD postcodes."""
    spec = yaml.safe_load(result.spec_path.read_text())
    columns = [
        (value if isinstance(value, str) else value["column"])
        for value in spec["sources"]["extracts"]["columns"].values()
    ]
    values = {
        "client_id": lambda i: f"C{i:05d}",
        "family_id": lambda i: f"F{i // 2:05d}",
        "service": lambda i: ["GP", "Housing", "A&E", "Specialist alcohol treatment"][i % 4],
        "age_band": lambda i: ["25-34", "35-44", "0-4"][i % 3],
        "sex": lambda i: "FM"[i % 2],
        "provider": lambda i: "Provider A",
        "referral_source": lambda i: ["GP", "Police"][i % 2],
        "referral_date": lambda i: "01/04/2024",
        "start_date": lambda i: "15/04/2024",
        "end_date": lambda i: "",
        "outcome": lambda i: "ongoing",
    }
    postcodes = _bwd_postcodes(n)
    path = result.folder / "data" / "extracts" / "take_up.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i in range(n):
            writer.writerow([postcodes[i] if c == "postcode" else values[c](i) for c in columns])
    return path


# ------------------------------------------------------------------------------------------------------- layout


def test_layout_files_and_result(tmp_path, home):
    result = scaffold_project(tmp_path / "BwD Family Insight", local_authority="E06000008")
    folder = tmp_path / "BwD Family Insight"
    assert result.folder == folder
    assert result.spec_path == folder / "pipeline.yaml"
    assert _relative(result) == PROJECT_FILES
    assert set(_tree(folder)) == PROJECT_FILES  # nothing else, and no key inside
    for sub in ("data/extracts", "data/notes", "reports"):
        assert (folder / sub).is_dir()
        readme = (folder / sub / "README.md").read_text()
        assert "NEVER committed" in readme
    assert "agency extracts" in (folder / "data/extracts/README.md").read_text()
    readme = (folder / "README.md").read_text()
    steps = ["data/extracts/", "circles inspect data/extracts/FILE.csv", "sources:", "circles run pipeline.yaml"]
    positions = [readme.index(step) for step in steps]
    assert positions == sorted(positions)  # the next steps, in order
    assert result.key_fingerprint in readme
    spec = yaml.safe_load(result.spec_path.read_text())
    assert spec["name"] == "bwd-family-insight"
    assert spec["output"] == "reports/bwd-family-insight"
    assert spec["sources"]["extracts"]["files"] == "data/extracts/*.csv"
    assert spec["geography"]["study_area"] == ["E06000008"]
    assert spec["pseudonymisation"] == {
        "key": "file",
        "key_file": "~/.config/circles/keys/bwd-family-insight.key",
        "scope": "bwd-family-insight",
    }


def test_template_is_packaged_and_commented():
    template = packaged("pipelines") / TEMPLATE
    assert template.is_file()
    text = render_spec(name="x", key_file="~/k.key", local_authority=None)
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) > len(text.splitlines()) / 2  # mostly explanation
    for topic in (
        "circles inspect",
        "privacy",
        "layers",
        "populations",
        "deprivation:",
        "hotspots",
        "disclosure",
        "key: file",
        "coding:",
        "data/notes",
        "services:",
        "costs:",
        "stages",
        "WD25CD",
        "WD25NM",
        "embedded: ward2025",
        "embedded: ward2004",
        "embedded: ward2017",
        "embedded: lsoa11_mid2020",
        "embedded: ward2025_census2021",
        "embedded: imd2019, layer: lsoa",
    ):
        assert topic in text, topic
    assert "{{" not in text and "{%" not in text and "{#" not in text


def test_existing_empty_folder_and_unrelated_files_are_fine(tmp_path, home):
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "data").mkdir()
    result = scaffold_project(folder)
    assert _relative(result) == PROJECT_FILES
    assert (folder / "notes.txt").read_text() == "mine"


# ------------------------------------------------------------------------------------------------- spec loads


def test_spec_loads_once_an_extract_is_in_place(tmp_path, home):
    result = scaffold_project(tmp_path / "proj", local_authority="E06000008")
    with pytest.raises(SpecError, match=r"sources\.extracts\.files: no file matches"):
        load_spec(result.spec_path)  # nothing but the extract is missing
    _add_extract(result)
    spec = load_spec(result.spec_path)
    assert spec.name == "proj"
    assert spec.resolve(spec.output) == result.folder / "reports" / "proj"
    assert spec.source_files(spec.sources["extracts"]) == [result.folder / "data/extracts/take_up.csv"]
    assert spec.pseudonymisation.key_file.expanduser() == result.key_path
    assert load_key(spec.pseudonymisation, base_dir=spec.base_dir).fingerprint == result.key_fingerprint
    private = {n: c.privacy for n, c in spec.sources["extracts"].column_specs().items() if c.privacy != "keep"}
    assert private == {"client_id": "pseudonymise", "family_id": "pseudonymise"}
    assert {"circle", "challenge"}.isdisjoint(spec.stages)  # they need services:, which a new project lacks
    assert spec.stages[:6] == ["read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate"]


def test_spec_without_local_authority_loads_and_warns_about_geography(tmp_path, home):
    result = scaffold_project(tmp_path / "proj")
    text = result.spec_path.read_text()
    assert "cover Blackburn with Darwen (E06000008) only" in text
    assert any("ONS Postcode Directory" in note for note in result.notes)
    _add_extract(result)
    assert load_spec(result.spec_path).geography.study_area == []


def test_other_council_gets_its_study_area_and_the_directory_note(tmp_path, home):
    result = scaffold_project(tmp_path / "proj", local_authority=" e08000001 ")
    spec = yaml.safe_load(result.spec_path.read_text())
    assert spec["geography"]["study_area"] == ["E08000001"]
    assert spec["description"].startswith("E08000001: ")
    assert "download the ONS Postcode Directory" in (result.folder / "README.md").read_text()
    bwd = scaffold_project(tmp_path / "bwd", local_authority="E06000008")
    assert "cover Blackburn with Darwen (E06000008) only" not in bwd.spec_path.read_text()
    assert not any("ONS Postcode Directory" in note for note in bwd.notes)


@pytest.mark.slow
def test_scaffolded_project_runs_and_git_ignores_its_report(tmp_path, home):
    from circles.pipeline.runner import run_pipeline

    result = scaffold_project(tmp_path / "proj", local_authority="E06000008")
    extract = _add_extract(result, n=40)
    run = run_pipeline(result.spec_path, quiet=True)
    assert run.output_dir == result.folder / "reports" / "proj"
    assert run.manifest["rows"] == {"read": 40, "accepted": 40, "quarantined": 0, "balanced": True}
    assert run.manifest["geocoding"]["outcomes"]["matched"] == 40
    assert (run.output_dir / "packs" / "hotspot_report.pdf").is_file()
    client_ids = {row["client_id"] for row in csv.DictReader(extract.open())}
    published = "\n".join(p.read_text(errors="ignore") for p in run.output_dir.rglob("*.csv"))
    assert not any(cid in published for cid in client_ids)
    if GIT is not None:  # the report and the extract are ignored: only the project's own files would be committed
        subprocess.run([GIT, "init", "-q", str(result.folder)], check=True)
        assert _untracked(result.folder) == PROJECT_FILES


# -------------------------------------------------------------------------------------------------------- key


def test_key_outside_the_folder_mode_0600_under_home_config(tmp_path, home):
    result = scaffold_project(tmp_path / "proj")
    assert result.key_path == home / ".config" / "circles" / "keys" / "proj.key"
    assert result.key_created is True
    assert result.folder not in result.key_path.parents
    assert stat.S_IMODE(result.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(result.key_path.parent.stat().st_mode) == 0o700
    key = load_key(PseudonymisationSpec(key="file", key_file=result.key_path, scope="proj"))
    assert key.fingerprint == result.key_fingerprint
    assert len(bytes.fromhex(result.key_path.read_text().strip())) == 32
    assert result.key_path.read_text().strip() not in result.spec_path.read_text()
    assert any("wrote a new pseudonymisation key" in note for note in result.notes)


def test_key_honours_xdg_config_home(tmp_path, home, monkeypatch):
    config = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    assert default_key_path("p") == config / "circles" / "keys" / "p.key"
    result = scaffold_project(tmp_path / "proj", name="study_2")
    assert result.key_path == config / "circles" / "keys" / "study_2.key"
    assert result.key_path.is_file()
    assert yaml.safe_load(result.spec_path.read_text())["pseudonymisation"]["key_file"] == str(result.key_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/config")  # ignored, as the XDG specification says
    assert default_key_path("p") == home / ".config" / "circles" / "keys" / "p.key"


def test_existing_key_is_reused_unchanged(tmp_path, home):
    key_path = tmp_path / "keys" / "shared.key"
    first = scaffold_project(tmp_path / "one", key_path=key_path)
    secret = key_path.read_bytes()
    second = scaffold_project(tmp_path / "two", key_path=key_path)
    assert (first.key_created, second.key_created) == (True, False)
    assert second.key_fingerprint == first.key_fingerprint
    assert key_path.read_bytes() == secret
    assert any("reused the existing key" in note and "not changed" in note for note in second.notes)
    assert "reused the existing key" in second.summary()


def test_reused_key_readable_by_others_is_flagged(tmp_path, home):
    key_path = tmp_path / "keys" / "loose.key"
    key_path.parent.mkdir()
    write_key_file(key_path)
    key_path.chmod(0o644)
    result = scaffold_project(tmp_path / "proj", key_path=key_path)
    assert any("chmod 600" in note for note in result.notes)


def test_unreadable_existing_key_is_refused_and_nothing_written(tmp_path, home):
    key_path = tmp_path / "bad.key"
    key_path.write_text("not a key\n")
    with pytest.raises(PseudonymKeyError, match="not hexadecimal.*never replaces one.*Nothing was changed"):
        scaffold_project(tmp_path / "proj", key_path=key_path)
    assert key_path.read_text() == "not a key\n"
    assert not (tmp_path / "proj").exists()


@pytest.mark.parametrize("inside", ["key.key", "data/keys/k.key", "."])
def test_key_inside_the_folder_is_refused_and_nothing_written(tmp_path, home, monkeypatch, inside):
    folder = tmp_path / "proj"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PseudonymKeyError, match="inside the project folder.*Nothing was changed") as caught:
        scaffold_project("proj", key_path=Path("proj") / inside)  # relative paths resolved first
    assert isinstance(caught.value, CirclesError)
    assert not folder.exists()
    assert not (home / ".config").exists()


@needs_git
def test_key_inside_a_git_checkout_is_refused_before_anything_is_written(tmp_path, home):
    repo = tmp_path / "repo"
    subprocess.run([GIT, "init", "-q", str(repo)], check=True)
    with pytest.raises(PseudonymKeyError, match="inside the git checkout"):
        scaffold_project(tmp_path / "proj", key_path=repo / "keys" / "k.key")
    assert not (tmp_path / "proj").exists()
    assert not (repo / "keys").exists()


# --------------------------------------------------------------------------------------------- never overwrite


def test_refuses_to_overwrite_and_changes_nothing(tmp_path, home):
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "README.md").write_text("my own readme")
    (folder / "reports").mkdir()
    (folder / "reports" / "README.md").write_text("my reports readme")
    before = _tree(folder)
    with pytest.raises(SpecError) as caught:
        scaffold_project(folder)
    message = str(caught.value)
    assert "README.md" in message and "reports/README.md" in message
    assert "pipeline.yaml" not in message  # only the files that exist are named
    assert "Nothing was changed" in message
    assert _tree(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "reports"]
    assert not (home / ".config").exists()  # not even the key


def test_second_init_into_the_same_folder_is_refused(tmp_path, home):
    first = scaffold_project(tmp_path / "proj")
    before = _tree(first.folder)
    key = first.key_path.read_bytes()
    with pytest.raises(SpecError) as caught:
        scaffold_project(tmp_path / "proj")
    for name in PROJECT_FILES:
        assert name in str(caught.value)
    assert _tree(first.folder) == before
    assert first.key_path.read_bytes() == key


def test_a_file_where_a_folder_goes_is_refused(tmp_path, home):
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "data").write_text("a file")
    with pytest.raises(SpecError, match=r"data \(a file where a folder goes\).*Nothing was changed"):
        scaffold_project(folder)
    assert [p.name for p in folder.iterdir()] == ["data"]
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    with pytest.raises(SpecError, match="is not a folder"):
        scaffold_project(not_a_folder)
    assert not_a_folder.read_text() == "x"


def test_dangling_symlink_counts_as_existing(tmp_path, home):
    folder = tmp_path / "proj"
    folder.mkdir()
    os.symlink(tmp_path / "nowhere", folder / ".gitignore")
    with pytest.raises(SpecError, match=r"\.gitignore"):
        scaffold_project(folder)
    assert not (tmp_path / "nowhere").exists()


# ------------------------------------------------------------------------------------------- names and codes


@pytest.mark.parametrize(
    ("folder", "name"),
    [
        ("BwD Family Insight", "bwd-family-insight"),
        ("family_insight", "family_insight"),
        ("2025 Troubled Families!", "troubled-families"),
        ("Café--Study__", "cafe-study"),
        ("2025", "project"),
    ],
)
def test_name_is_a_slug_of_the_folder(folder, name):
    assert project_name(folder) == name


@pytest.mark.parametrize("name", ["Has Capitals", "1st", "a b", "", "x/y"])
def test_bad_name_refused_before_anything_is_written(tmp_path, home, name):
    with pytest.raises(SpecError, match="lower case letters"):
        scaffold_project(tmp_path / "proj", name=name)
    assert not (tmp_path / "proj").exists()
    assert not (home / ".config").exists()


@pytest.mark.parametrize("name", ["no", "null", "true", "on"])
def test_names_yaml_would_misread_are_quoted(tmp_path, home, name):
    result = scaffold_project(tmp_path / "proj", name=name)
    spec = yaml.safe_load(result.spec_path.read_text())
    assert spec["name"] == name and spec["pseudonymisation"]["scope"] == name and spec["output"] == f"reports/{name}"


@pytest.mark.parametrize("code", ["E0600000", "X06000008", "Blackburn", "E06000008x"])
def test_bad_local_authority_refused(tmp_path, home, code):
    with pytest.raises(SpecError, match="not an ONS local authority code"):
        scaffold_project(tmp_path / "proj", local_authority=code)
    assert not (tmp_path / "proj").exists()


def test_key_path_with_spaces_and_yaml_characters(tmp_path, home):
    key_path = tmp_path / "my keys: #1" / "k.key"
    result = scaffold_project(tmp_path / "proj", key_path=key_path)
    assert yaml.safe_load(result.spec_path.read_text())["pseudonymisation"]["key_file"] == str(key_path)
    _add_extract(result)
    spec = load_spec(result.spec_path)
    assert load_key(spec.pseudonymisation).fingerprint == result.key_fingerprint


# ---------------------------------------------------------------------------------------------------- .gitignore


def _untracked(folder: Path) -> set[str]:
    """What ``git add -A`` would stage in the repository at ``folder``."""
    out = subprocess.run(
        [GIT, "-C", str(folder), "status", "--porcelain", "--untracked-files=all"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {line[3:].strip('"') for line in out.splitlines()}


@needs_git
def test_gitignore_keeps_data_and_reports_out_of_git(tmp_path, home):
    result = scaffold_project(tmp_path / "proj")
    folder = result.folder
    subprocess.run([GIT, "init", "-q", str(folder)], check=True)
    personal = [
        "data/extracts/take_up.csv",
        "data/extracts/2025/children.xlsx",
        "data/notes/workshop 1.docx",
        "data/notes/interviews/parent.txt",
        "data/reference/ONSPD_FEB_2025_UK.zip",
        "data/stray.csv",
        "reports/proj/quarantine.csv",
        "reports/proj/tables/lsoa_areas.csv",
        "reports/old.csv",
        "copied.key",
    ]
    for relative in personal:
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text("C00001,BB1 1AA\n")
    assert _untracked(folder) == PROJECT_FILES
    for relative in personal:
        assert subprocess.run([GIT, "-C", str(folder), "check-ignore", "-q", relative]).returncode == 0, relative
    for relative in PROJECT_FILES:
        assert subprocess.run([GIT, "-C", str(folder), "check-ignore", "-q", relative]).returncode == 1, relative
