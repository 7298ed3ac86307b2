"""Packs from whatever a run holds: a council's own records, no notes coded, no services, a pack that fails.

Two runs (module fixtures, packs included, maps left out for time) of the demo spec as a council's might be:

* ``no_coding``: no ``coding:`` section and no ``coding`` or ``circle`` stage: records only, no codebook;
* ``no_services``: no ``services:`` section (no ``circle`` or ``challenge`` stage), and a codebook in the spec but
  no ``coding`` stage: the engagement workshop has not happened yet.

Both must run to the end, build every pack, print no finding their data does not hold (the demo's findings were
once canned into the challenge questions), say in every empty section what evidence would fill it and the spec
lines that add it, and the engagement pack must print the codebook whenever the spec has one.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
from pathlib import Path

import pytest
import yaml

from circles.packs.assets import PACKS
from circles.packs.render import build_all
from circles.pipeline.runner import run_pipeline
from tests.helpers import demo_spec_in

pytestmark = pytest.mark.slow

#: Claims an earlier version printed whatever the run held: the case study's findings, canned. With no notes
#: coded (or no services), none of them is in the run's data, so none may appear in any pack.
FIXED_CLAIMS = (
    "families' own complaint",
    "9 to 5",
    "out of hours",
    "Help only at crisis point",
    "Telling my story again",
    "Services not joined up",
    "(A&E, police)",
    "in workshops and interviews",
    "hazardous drinkers",
    "harmful drinkers",
    "coded against the codebook at the back",
)


def _spec(folder: Path, *, drop_sections: tuple[str, ...], drop_stages: tuple[str, ...]) -> Path:
    path = demo_spec_in(folder, maps=False, packs=True)
    spec = yaml.safe_load(path.read_text())
    for section in drop_sections:
        spec.pop(section)
    spec["stages"] = [s for s in spec["stages"] if s not in drop_stages]
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _packs_text(report: Path) -> dict[str, str]:
    """Each pack's HTML as text: tags removed, entities decoded, white space collapsed."""
    out = {}
    for name in PACKS:
        raw = (report / "packs" / f"{name}.html").read_text(encoding="utf-8")
        raw = re.sub(r"<style.*?</style>", " ", raw, flags=re.S)
        out[name] = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", raw)))
    return out


@pytest.fixture(scope="module")
def no_coding(tmp_path_factory):
    """Records only: no coding section, no codebook, no notes; services and costs as the demo."""
    folder = tmp_path_factory.mktemp("no_coding")
    result = run_pipeline(_spec(folder, drop_sections=("coding",), drop_stages=("coding", "circle")), quiet=True)
    return result


@pytest.fixture(scope="module")
def no_services(tmp_path_factory):
    """No services section; a codebook in the spec but no notes coded yet."""
    folder = tmp_path_factory.mktemp("no_services")
    path = _spec(folder, drop_sections=("services",), drop_stages=("circle", "challenge", "coding"))
    return run_pipeline(path, quiet=True)


@pytest.fixture(params=["no_coding", "no_services"])
def partial(request):
    return request.getfixturevalue(request.param)


def test_the_run_completes_builds_every_pack_and_audits(partial):
    manifest = partial.manifest
    assert manifest["packs"]["failed"] == {}
    assert sorted(manifest["packs"]["built"]) == sorted([*PACKS, *(f"{p}_large" for p in PACKS)])
    assert manifest["audit"]["findings"] == 0
    for name in PACKS:
        assert (partial.output_dir / "packs" / f"{name}.pdf").stat().st_size > 5_000


def test_no_pack_states_a_finding_its_data_does_not_hold(partial):
    """Grep every pack for the fixed claims; the codebook the engagement pack prints is the run's data, not a claim."""
    has_codebook = (partial.output_dir / "coding" / "codebook.csv").is_file()
    for name, text in _packs_text(partial.output_dir).items():
        if name == "customer_engagement" and has_codebook:
            text = text.split("Coding sheets")[0]  # the codes' names and definitions, printed to tally against
        for claim in FIXED_CLAIMS:
            assert claim.lower() not in text.lower(), f"{name} says {claim!r}"


def test_the_questions_say_which_evidence_is_missing(no_coding):
    questions = (no_coding.output_dir / "challenge" / "questions.csv").read_text(encoding="utf-8")
    assert "No codebook in this run (no 'coding:' section)" in questions
    assert "No notes were coded in this run, so how often families raised each need is unknown" in questions
    assert "providers' own views are missing" in questions
    # what the run does hold is still said, with its numbers
    assert re.search(r"The directory lists \d+ active services; \d+ open in the evenings or at weekends", questions)
    assert re.search(r"about \d+ in 3 or more", questions)
    text = _packs_text(no_coding.output_dir)["challenge"]
    assert "No codebook in this run" in text and "No notes were coded in this run" in text


def test_every_empty_challenge_section_says_what_would_fill_it(no_coding):
    text = _packs_text(no_coding.output_dir)["challenge"]
    assert "Missing from this run: No codebook and no coded notes." in text
    assert "coding: codebook: codebook.yaml" in text  # the spec lines, as printed
    assert "No circle of need: it places the needs, barriers, aspirations and fears families raised" in text
    assert "No notes were coded in this run, so there is nothing here from families' own words" in text
    assert "No table of needs: without a codebook the directory's services cannot be matched to needs" in text
    assert "Missing from this run: No maps." in text  # the hot-spot maps: the spec lists no 'maps' stage
    assert "not available in this run" not in text  # every empty section says why, not just that it is empty


def test_the_engagement_pack_without_a_codebook_says_how_to_add_one(no_coding):
    text = _packs_text(no_coding.output_dir)["customer_engagement"]
    assert "No codebook in this run: the sheet below is blank" in text
    assert "codebook: codebook.yaml" in text
    assert "The codebook alone gives the coding sheets of the customer engagement pack" in text


def test_the_engagement_pack_prints_the_codebook_before_any_note_is_coded(no_services):
    report = no_services.output_dir
    assert "coding" not in no_services.manifest  # no note was coded
    assert (report / "coding" / "codebook.csv").is_file()
    text = _packs_text(report)["customer_engagement"]
    assert "The codebook of this run: 28 codes, each with its definition" in text
    for heading in ("Needs", "Barriers", "Aspirations", "Fears"):
        assert f" {heading} Code Name Definition Tally Notes" in text
    assert "NEE01 Someone to talk to out of hours A person to contact in the evenings" in text
    assert "No codebook in this run" not in text


def test_without_services_the_challenge_pack_gives_the_services_lines(no_services):
    text = _packs_text(no_services.output_dir)["challenge"]
    assert "Missing from this run: No service directory." in text
    assert "services: directory: services.yaml" in text
    assert "Missing from this run: No coded notes. The spec has a codebook, but no notes were coded" in text


# ------------------------------------------------------------------------------------------------ a pack that fails
def test_a_failing_pack_is_reported_and_the_others_are_built(no_coding, tmp_path, monkeypatch):
    import circles.packs.render as render

    report = tmp_path / "report"
    shutil.copytree(no_coding.output_dir, report)
    real = render._context

    def broken(name, *args, **kwargs):
        if name == "challenge":
            raise KeyError("segments")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(render, "_context", broken)
    monkeypatch.setenv("CIRCLES_WORKERS", "1")  # the patch lives in this process: render the packs here
    with pytest.warns(UserWarning, match=r"pack 'challenge(_large)?' could not be built: 'segments'"):
        built = build_all(report)
    assert sorted(built.failed) == ["challenge", "challenge_large"]
    assert len(built) == 2 * len(PACKS) - 2
    packs = report / "packs"
    assert not (packs / "challenge.pdf").exists() and not (packs / "challenge.html").exists()
    note = (packs / "challenge_FAILED.txt").read_text(encoding="utf-8")
    assert "The Challenge workshop pack (standard print) could not be built" in note
    assert "'segments'" in note and "circles pack challenge --pipeline" in note
    # built again once the cause is gone: the note goes
    monkeypatch.setattr(render, "_context", real)
    render.build_pack("challenge", report)
    assert not (packs / "challenge_FAILED.txt").exists()


def test_a_run_whose_pack_fails_still_publishes_and_audits(tmp_path, monkeypatch):
    import circles.packs.render as render

    path = demo_spec_in(tmp_path, maps=False, packs=True)
    spec = yaml.safe_load(path.read_text())
    spec["stages"] = [*spec["stages"][: spec["stages"].index("aggregate") + 1], "packs"]
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    real = render._context

    def broken(name, *args, **kwargs):
        if name == "customer_definition":
            raise ValueError("a template bug")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(render, "_context", broken)
    monkeypatch.setenv("CIRCLES_WORKERS", "1")  # the patch lives in this process: render the packs here
    result = run_pipeline(path, quiet=True)
    manifest = result.manifest
    assert sorted(manifest["packs"]["failed"]) == ["customer_definition", "customer_definition_large"]
    assert any("the customer_definition pack could not be built (a template bug)" in w for w in manifest["warnings"])
    assert manifest["audit"]["findings"] == 0
    packs = result.output_dir / "packs"
    assert (packs / "customer_definition_FAILED.txt").is_file() and (packs / "hotspot_report.pdf").is_file()
    assert any(s["stage"] == "packs" and s.get("failed") for s in manifest["stages"])
