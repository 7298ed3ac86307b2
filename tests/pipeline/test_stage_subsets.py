"""No traceback for any stage list the spec check accepts.

Every draw is the demo spec (``pipelines/demo.yaml``) with a subset of its stages (kept in the demo's order) and
of its optional sections: ``coding:``, ``services:``, ``costs:``, ``deprivation:``, ``rates.populations`` and
the three ward layers. For each, one of three things must happen:

* :func:`~circles.pipeline.spec.load_spec` refuses it with a :class:`~circles.errors.SpecError` (the spec check
  said what is wrong before any work started), or
* :func:`~circles.pipeline.runner.run_pipeline` completes and writes a report folder (with its manifest), or
* the run stops with a :class:`~circles.errors.CirclesError` whose message names the spec key to change.

Anything else (a ``KeyError``, ``AttributeError``, ``TypeError``... from inside a stage) is a traceback a council
analyst would see, and fails the test.

The synthetic demo inputs are written once per module; the drawn specs have no ``synthetic:`` section, so each
run only reads them. The map stages and the packs take most of a run's time, so the drawn stage lists leave them
out; the explicit cases at the end include them.
"""

from __future__ import annotations

import copy
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from circles.demo.synthetic import generate_demo_data
from circles.errors import CirclesError, SpecError
from circles.pipeline.runner import run_pipeline
from circles.pipeline.spec import PipelineSpec, load_spec
from circles.pipeline.stages import STAGES
from tests.helpers import DEMO

pytestmark = pytest.mark.slow

DEMO_SPEC: dict = yaml.safe_load(DEMO.read_text())
DEMO_STAGES: list[str] = list(DEMO_SPEC["stages"])
#: Most of a run's time: left out of the drawn stage lists, included in the explicit cases.
EXPENSIVE = ("maps", "interactive_maps", "packs")
DRAWN_STAGES = [s for s in DEMO_STAGES if s not in EXPENSIVE]
RECORDS = ["read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate"]
WARD_LAYERS = ("ward2025", "ward2004", "ward2017")
#: The optional parts of the demo spec a draw may leave out.
OPTIONAL = ("coding", "services", "costs", "deprivation", "rates.populations", *WARD_LAYERS)

#: Spec keys an error message may name: the top-level sections, written as ``key:``, ``key.sub`` or ``key[i]``.
_KEYS = sorted(set(PipelineSpec.model_fields) - {"spec_path"}, key=len, reverse=True)
_NAMES_A_KEY = re.compile(rf"\b(?:{'|'.join(map(re.escape, _KEYS))})(?::|\.\w|\[)")


def names_spec_key(message: str) -> bool:
    """Whether an error message names a spec key (``coding:``, ``rates.populations.lsoa``, ``stages[3]``...)."""
    return bool(_NAMES_A_KEY.search(message))


@pytest.fixture(scope="module")
def demo_inputs(tmp_path_factory) -> Path:
    """The demo's synthetic take-up extracts and notes, written once for the module."""
    folder = tmp_path_factory.mktemp("demo_inputs")
    generate_demo_data(folder, seed=DEMO_SPEC["synthetic"]["seed"])
    return folder


def build_spec(folder: Path, inputs: Path, stages: list[str], sections: set[str] | frozenset[str]) -> Path:
    """The demo spec in ``folder`` with ``stages`` and only the optional parts in ``sections`` (see OPTIONAL).

    Reads the inputs already in ``inputs`` (no ``synthetic:`` section); the files that travel with the demo spec
    (codebook, rules, codings, service directory, cost model, unit costs, options, case for change) are given by
    absolute path, and the pilot's files are read from ``inputs/pilot``.
    """
    unknown = set(sections) - set(OPTIONAL)
    assert not unknown, f"not an optional section: {unknown}"
    spec = copy.deepcopy(DEMO_SPEC)
    del spec["synthetic"]
    spec["stages"] = list(stages)
    spec["output"] = str(folder / "report")
    spec["sources"]["take_up"]["files"] = str(inputs / "take_up" / "*.csv")
    for section, key in (
        ("coding", "codebook"),
        ("coding", "rules"),
        ("coding", "codings"),
        ("services", "directory"),
        ("costs", "model"),
    ):
        spec[section][key] = str((DEMO.parent / spec[section][key]).resolve())
    spec["coding"]["sources"] = str(inputs / "notes")
    for key in ("unit_costs", "options"):
        spec["design"][key] = str((DEMO.parent / spec["design"][key]).resolve())
    for key in ("cohort", "outcomes", "family_needs"):
        spec["change"][key] = str(inputs / "pilot" / Path(spec["change"][key]).name)
    spec["change"]["case"] = str((DEMO.parent / spec["change"]["case"]).resolve())
    spec["hotspots"]["permutations"] = 99  # tracebacks, not significance, are tested here: 99 is enough
    for section in ("coding", "services", "costs", "deprivation"):
        if section not in sections:
            del spec[section]
    if "rates.populations" not in sections:
        del spec["rates"]["populations"]
    for layer in WARD_LAYERS:
        if layer not in sections:
            del spec["geography"]["layers"][layer]
    layers = spec["geography"]["layers"]  # the LSOAs are named after a ward layer only while it is declared
    spec["geography"]["name_by"] = {k: v for k, v in spec["geography"].get("name_by", {}).items() if v in layers}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def check_spec(path: Path) -> str:
    """``"refused"``, ``"ran"`` or ``"stopped"`` (a CirclesError naming a spec key); anything else raises."""
    try:
        spec = load_spec(path)
    except SpecError:
        return "refused"
    try:
        result = run_pipeline(spec, quiet=True)
    except CirclesError as exc:
        assert names_spec_key(str(exc)), f"{type(exc).__name__} names no spec key: {exc}"
        return "stopped"
    assert result.output_dir.is_dir(), result.output_dir
    assert (result.output_dir / "manifest.json").is_file()
    assert result.manifest["rows"]["balanced"]
    if "challenge" in spec.stages:
        assert (result.output_dir / "challenge" / "questions.md").is_file()
    if "packs" in spec.stages:
        for pack in ("hotspot_report", "challenge"):
            assert (result.output_dir / "packs" / f"{pack}.pdf").is_file(), pack
    return "ran"


# ------------------------------------------------------------------------------------------------ the property


def completed(stages: list[str], sections: frozenset[str]) -> tuple[list[str], frozenset[str]]:
    """The draw with what its stages need added: the stages providing their needs, 'pseudonymise' after 'read'
    (the demo's identifiers must be protected), and the sections 'circle' and 'challenge' cannot run without.

    Most raw subsets are refused by the spec check (which is fine, and tested); completing some of them makes
    the draws reach the stages themselves.
    """
    chosen, sections = set(stages), set(sections)
    while True:
        before = (len(chosen), len(sections))
        if "read" in chosen:
            chosen.add("pseudonymise")
        for name in [s for s in chosen if s in STAGES]:  # packs run on the report folder: no contract
            for artefact in STAGES[name].needs:
                makers = [s for s in DRAWN_STAGES if artefact in STAGES[s].provides]
                if not chosen & set(makers):
                    chosen.add(makers[0])
            if STAGES[name].section_required:
                sections.add(STAGES[name].section)
            if name == "circle":
                sections.add("coding")
        if (len(chosen), len(sections)) == before:
            break
    return [s for s in DEMO_STAGES if s in chosen], frozenset(sections)


@st.composite
def stage_lists_and_sections(draw) -> tuple[list[str], frozenset[str]]:
    """A subset of the demo's stages (in the demo's order, maps and packs left out) and of its optional parts;
    three draws in four are completed (:func:`completed`) so that the spec check accepts them."""
    stages = [s for s in DRAWN_STAGES if draw(st.booleans())]
    sections = frozenset(s for s in OPTIONAL if draw(st.booleans()))
    if draw(st.integers(0, 3)) > 0:
        stages, sections = completed(stages, sections)
    return stages, sections


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(draw=stage_lists_and_sections())
def test_no_traceback_for_any_accepted_stage_list(demo_inputs, draw):
    stages, sections = draw
    with tempfile.TemporaryDirectory(dir=demo_inputs.parent) as tmp:
        event(check_spec(build_spec(Path(tmp), demo_inputs, stages, sections)))  # --hypothesis-show-statistics


def test_names_spec_key():
    assert names_spec_key("rates.populations.lsoa: 3 area(s) of layer 'lsoa' have no population")
    assert names_spec_key("'circle' reads the 'services:' section: add it to the spec.")
    assert names_spec_key("line 3, stages[2]: ...")
    assert not names_spec_key("'NoneType' object has no attribute 'dimension_summary'")


# ------------------------------------------------------------------------------------------------ explicit cases

ALL = frozenset(OPTIONAL)


@pytest.mark.parametrize(
    ("stages", "sections", "expected"),
    [
        pytest.param(RECORDS, ALL, "ran", id="records-only"),
        pytest.param(RECORDS, frozenset(), "ran", id="records-only-no-optional-sections"),
        pytest.param(RECORDS + ["packs"], frozenset(), "ran", id="records-only-with-packs"),
        pytest.param(
            RECORDS + ["rates", "hotspots"], ALL - {"rates.populations"}, "ran", id="records-rates-no-populations"
        ),
        pytest.param(
            RECORDS + ["rates", "hotspots", "maps", "interactive_maps", "packs"],
            ALL - {"rates.populations"},
            "ran",
            id="records-rates-no-populations-maps-packs",
        ),
        # notes only: refused today, since the demo's sources mark identifiers 'privacy: pseudonymise' and the
        # identifiers check wants the 'pseudonymise' stage even when no stage reads the records
        pytest.param(["coding"], ALL, None, id="notes-only-coding"),
        pytest.param(["coding", "circle"], ALL, None, id="notes-only-coding-circle"),
        pytest.param(  # the coding section without the coding stage: the challenge reads the codebook itself
            RECORDS + ["challenge"], ALL, "ran", id="records-challenge-coding-section-no-coding-stage"
        ),
        pytest.param(
            ["read", "pseudonymise", "challenge"],
            frozenset({"services"}),
            "ran",
            id="records-challenge-no-coding",
        ),
        pytest.param(
            DEMO_STAGES,
            ALL - {"coding"},
            "refused",  # 'circle' needs the coding stage's output: the spec check must say so
            id="full-demo-no-coding-with-circle",
        ),
        pytest.param(
            [s for s in DEMO_STAGES if s != "circle"],
            ALL - {"coding"},
            "ran",
            id="full-demo-no-coding-challenge-packs",
        ),
    ],
)
def test_named_stage_lists(tmp_path, demo_inputs, stages, sections, expected):
    outcome = check_spec(build_spec(tmp_path, demo_inputs, stages, sections))
    if expected is not None:
        assert outcome == expected
