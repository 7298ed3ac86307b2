"""The analyst notebooks: committed without outputs, and each runs cleanly from a fresh clone.

Also checks the ``_repr_html_`` methods the notebooks rely on to show results.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PIPELINES = ROOT / "pipelines"


def test_there_are_notebooks() -> None:
    names = [p.name for p in NOTEBOOKS]
    for expected in (
        "01_understand_data.ipynb",
        "02_hotspots.ipynb",
        "03_coding_findings.ipynb",
        "04_challenge.ipynb",
        "05_costs.ipynb",
    ):
        assert expected in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_without_outputs(path: Path) -> None:
    """Outputs can carry personal data: clear them before committing (``jupyter nbconvert --clear-output``)."""
    nb = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them before committing"


@pytest.fixture(scope="session")
def python3_kernel() -> str:
    """The ``python3`` kernel of this interpreter; installed into ``sys.prefix`` if the environment lacks it."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(prefix=sys.prefix)
    return "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, python3_kernel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbclient import NotebookClient

    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name=python3_kernel, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


# ------------------------------------------------------------------------------------------------ _repr_html_


def test_codebook_repr_html() -> None:
    from circles.qualitative.codebook import read_codebook
    from circles.qualitative.model import Code, Codebook

    codebook = read_codebook(PIPELINES / "demo_codebook.yaml")
    html = codebook._repr_html_()
    first = codebook.codes[0]
    assert first.id in html and first.colour in html
    assert f"<h4>{first.dimension}</h4>" in html
    odd = Codebook((Code("X01", "<script>alert(1)</script>", "need", colour="#ABCDEF"),))
    html = odd._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "#ABCDEF" in html


def test_cost_model_repr_html() -> None:
    from circles.costs.model import read_cost_model

    html = read_cost_model(PIPELINES / "demo_costs.yaml")._repr_html_()
    assert "£33,550,763" in html
    assert "Health/NHS" in html and "£11,631,409" in html


def test_run_result_repr_html(tmp_path: Path) -> None:
    from circles.pipeline.runner import run_pipeline
    from circles.pipeline.spec import load_spec

    spec = load_spec(PIPELINES / "demo.yaml", output=tmp_path / "report")
    data = tmp_path / "data"
    spec = spec.model_copy(
        update={
            "synthetic": spec.synthetic.model_copy(update={"folder": data}),
            "sources": {
                name: source.model_copy(update={"files": str(data / "take_up" / "*.csv")})
                for name, source in spec.sources.items()
            },
            "stages": ["read", "validate", "pseudonymise", "geocode", "packs"],
        }
    )
    result = run_pipeline(spec, quiet=True)
    html = result._repr_html_()
    rows = result.manifest["rows"]
    assert f"{rows['read']:,}" in html and f"{rows['accepted']:,}" in html
    assert "demo" in html and str(result.output_dir) in html
    assert "packs" in html  # the skipped stage
    assert "0 findings" in html
    assert "DEMO key" in html  # the warning
