"""A council's own service directory in a run: an HSDS 3.0 package whose unread tables and columns are reported,
and opening hours averaged over the spec's reference period (issue 17)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from circles.challenge import export_hsds, read_services_yaml
from circles.pipeline.runner import run_pipeline
from tests.helpers import DEMO
from tests.pipeline.test_stage_subsets import build_spec, demo_inputs  # noqa: F401  (a module fixture)


@pytest.fixture(scope="module")
def council_package(tmp_path_factory) -> tuple:
    """The demo directory as an HSDS 3.0 package, with a table and a column circles does not read."""
    folder = tmp_path_factory.mktemp("hsds")
    directory = read_services_yaml(DEMO.parent / "demo_services.yaml", codebook=DEMO.parent / "demo_codebook.yaml")
    export_hsds(directory, folder)
    services = pd.read_csv(folder / "services.csv", dtype=str, keep_default_na=False)
    services.assign(fax="").to_csv(folder / "services.csv", index=False)
    pd.DataFrame({"id": ["c1"], "name": ["Reception"]}).to_csv(folder / "contacts.csv", index=False)
    return folder, directory


def test_an_hsds_package_says_what_it_did_not_read(tmp_path, demo_inputs, council_package):  # noqa: F811
    folder, directory = council_package
    spec = build_spec(tmp_path, demo_inputs, ["read", "pseudonymise", "challenge"], {"coding", "services"})
    data = yaml.safe_load(spec.read_text())
    data["services"] |= {"directory": str(folder), "format": "hsds", "hours_from": "2026-04-06"}
    spec.write_text(yaml.safe_dump(data))
    result = run_pipeline(spec, quiet=True)
    read = result.manifest["services"]
    assert read["tables_read"]["services.csv"] == len(directory.services) == 15
    assert "contacts.csv" in read["tables_not_read"]
    assert "fax" in read["columns_not_read"]["services.csv"]
    assert "services: contacts.csv: table not read." in result.manifest["warnings"]
    assert (read["hours_from"], read["hours_until"]) == ("2026-04-06", "2027-04-04")
    hours = pd.read_csv(result.output_dir / "challenge" / "service_hours.csv").set_index("service_id")
    assert hours["current"].all() and hours.loc["a-and-e", "hours_per_week"] == 168.0
