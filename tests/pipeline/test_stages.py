from __future__ import annotations

from graphlib import TopologicalSorter

import pytest

from circles.errors import SpecError
from circles.pipeline.spec import PLANNED_STAGES, REPORT_STAGES, STAGES, load_spec
from circles.pipeline.stages import STAGE_FUNCTIONS, check_stage_order
from circles.pipeline.stages import STAGES as REGISTRY
from tests.helpers import ROOT


def test_every_built_stage_has_a_function_and_no_planned_stage_does():
    assert set(STAGE_FUNCTIONS) == set(STAGES)
    assert not set(PLANNED_STAGES) & set(STAGES)
    assert not set(REPORT_STAGES) & (set(STAGES) | set(PLANNED_STAGES))


def test_registry_is_in_data_flow_order_and_its_contracts_have_no_cycle():
    assert list(REGISTRY)[:6] == ["read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate"]
    providers = {a: s.name for s in REGISTRY.values() for a in s.provides}
    graph = {s.name: {providers[a] for a in s.needs | s.uses} for s in REGISTRY.values()}
    order = list(TopologicalSorter(graph).static_order())  # raises CycleError on a cycle
    assert order.index("read") < order.index("aggregate") < order.index("rates") < order.index("hotspots")
    # every artefact a stage needs is provided by some stage
    assert all(a in providers for s in REGISTRY.values() for a in s.needs)


def test_the_demo_stage_list_meets_every_contract():
    spec = load_spec(ROOT / "pipelines" / "demo.yaml")
    assert check_stage_order(spec.stages, spec.sections()) == []


def test_a_stage_listed_before_its_prerequisite_is_refused_with_its_line(tmp_path):
    (tmp_path / "t.csv").write_text("pc\nBB1 1AA\n", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: t\nsources:\n  t:\n    files: t.csv\n    columns: {postcode: pc}\n"
        "stages:\n  - read\n  - geocode\n  - rates\n  - assign_areas\n  - aggregate\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as error:
        load_spec(spec)
    assert (
        f"{spec}, line 9, stages: 'rates' needs area_counts from 'aggregate', which is listed after it: "
        "list read, geocode, assign_areas, aggregate, rates." in str(error.value)
    )


def test_a_missing_prerequisite_and_a_missing_section_are_refused_before_the_run(tmp_path):
    (tmp_path / "t.csv").write_text("pc\nBB1 1AA\n", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: t\nsources:\n  t:\n    files: t.csv\n    columns: {postcode: pc}\n"
        "stages: [read, validate, aggregate, circle]\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as error:
        load_spec(spec)
    message = str(error.value)
    assert "'aggregate' needs record_areas, which 'assign_areas' provides: add 'assign_areas' before" in message
    assert "'circle' reads the 'services:' section: add it to the spec." in message
    assert "'circle' needs qualitative, which 'coding' provides: add 'coding' before 'circle'." in message
    assert message.count("line 6") == 3


def test_a_stage_whose_provider_has_no_section_is_refused():
    problems = check_stage_order(["coding", "circle"], sections={"services"})
    assert problems == [
        (1, "'circle' needs qualitative, which 'coding' provides only with a 'coding:' section: add one to the spec.")
    ]
    assert check_stage_order(["coding", "circle"], sections={"services", "coding"}) == []


@pytest.mark.slow
def test_a_notes_folder_with_nothing_in_it_yet_skips_coding_and_the_circle_saying_why(tmp_path):
    """A council sets up coding before its workshops: the run goes on with the records and says what waits."""
    import yaml

    from circles.pipeline.runner import run_pipeline
    from tests.helpers import demo_spec_in

    path = demo_spec_in(tmp_path, maps=False)
    spec = yaml.safe_load(path.read_text())
    (tmp_path / "notes").mkdir()
    spec["coding"].update(sources=str(tmp_path / "notes"), codings=None)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = run_pipeline(path, quiet=True)
    warnings = " ".join(result.manifest["warnings"])
    assert "coding: no notes in notes/ yet" in warnings and "no circle of need" in warnings
    assert "coding" not in result.manifest and "circle" not in result.manifest
    assert not (result.output_dir / "circle").exists()
    assert (result.output_dir / "tables" / "lsoa_areas.csv").is_file()
