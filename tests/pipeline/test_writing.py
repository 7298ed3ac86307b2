"""Writing the queued outputs (circles.pipeline.writing): forked workers give what one process gives."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
import yaml

from circles.pipeline import writing
from circles.pipeline.runner import run_pipeline
from circles.pipeline.writing import write_outputs
from tests.helpers import RECORDS_AND_HOT_SPOTS, demo_spec_in

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="outputs are written in forks on Linux")


def _map(path: Path) -> None:
    """A print map's writer: its PDF and, beside it, its PNG (a sibling the queue does not name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"pdf {path.name} written by {os.getpid()}\n")
    path.with_suffix(".png").write_text(f"png {path.name}\n")


def _writers() -> dict:
    writers = {f"maps/map{i}_a4.pdf": _map for i in range(6)}
    writers |= {
        f"tables/t{i}.csv": (lambda p, i=i: (p.parent.mkdir(exist_ok=True), p.write_text(f"{i}\n"))) for i in range(5)
    }
    writers["quarantine.csv"] = lambda p: p.write_text("none\n")
    return writers


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text().split(" written by ")[0]
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def forking(monkeypatch):
    """Fork although the test runner holds threads of its own (the children never touch them)."""
    monkeypatch.setattr(writing, "fork_is_safe", lambda: True)


def test_forked_workers_write_the_same_files_and_account_for_each(tmp_path, forking):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    alone = write_outputs(_writers(), one, workers=1)
    forked = write_outputs(_writers(), two, workers=2)
    assert forked == alone
    assert alone["maps/map3_a4.pdf"] == ["maps/map3_a4.pdf", "maps/map3_a4.png"]
    assert _tree(two) == _tree(one) and len(_tree(one)) == 18
    writers = {p.read_text().split(" written by ")[1] for p in two.glob("maps/*.pdf")}
    assert len(writers) == 2  # the maps were shared between this process and a child
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]  # no child's folder left beside them


@pytest.mark.parametrize("where", ["maps/map1_a4.pdf", "maps/map0_a4.pdf"], ids=["in a child", "here"])
def test_a_writers_error_is_raised_here_and_nothing_is_left(tmp_path, forking, where):
    staging = tmp_path / "staging"
    staging.mkdir()
    writers = _writers()
    shares = writing._share_out(sorted(writers), 2)
    assert (where in shares[1]) == (where == "maps/map1_a4.pdf")  # the parent writes the first share

    def broken(path: Path) -> None:
        raise OSError(28, "No space left on device")

    writers[where] = broken
    with pytest.raises(OSError, match="No space left on device"):
        write_outputs(writers, staging, workers=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["staging"]


def test_the_costly_outputs_are_shared_out_evenly():
    order = [f"maps/m{i}_a4.pdf" for i in range(7)] + [f"tables/t{i}.csv" for i in range(40)]
    shares = writing._share_out(order, 2)
    pdfs = [sum(r.endswith(".pdf") for r in share) for share in shares]
    assert sorted(pdfs) == [3, 4] and sum(len(s) for s in shares) == len(order)
    assert writing._share_out(["a.csv"], 4) == [["a.csv"]]  # no empty share


# ------------------------------------------------------------------------------------ writing early, in a child


def _slow(path: Path) -> None:
    time.sleep(0.05)  # long enough that the parent, arriving, finds writers the child has not reached
    _map(path)


def test_early_writers_are_each_written_once_by_the_child_or_here(tmp_path, forking):
    early_writers = {f"maps/map{i}_a4.pdf": _slow for i in range(12)}
    writers = dict(early_writers)
    early = writing.EarlyWriting()
    assert early.start(early_writers, tmp_path, ".report.staging-early-")
    writers |= {"quarantine.csv": lambda p: p.write_text("none\n")}  # published by a later stage
    writers["maps/map11_a4.pdf"] = _map  # published again after the child started: written again, at the end
    assert early.written(writers) == set(early_writers) - {"maps/map11_a4.pdf"}
    staging = tmp_path / "staging"
    staging.mkdir()
    rest = {k: w for k, w in writers.items() if k not in early.written(writers)}
    produced = write_outputs(rest, staging) | early.finish(staging, writers)
    early.close()
    assert sorted(produced) == sorted(writers)
    assert produced["maps/map4_a4.pdf"] == ["maps/map4_a4.pdf", "maps/map4_a4.png"]
    assert len(_tree(staging)) == 25  # 12 maps with their PNGs, and the quarantine: each once
    by = {p.read_text().split(" written by ")[1].strip() for p in staging.glob("maps/*.pdf")}
    assert str(os.getpid()) in by and len(by) == 2  # the child wrote some, this process the rest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["staging"]  # the child's folder is gone


def test_an_early_writers_error_is_raised_at_the_end_and_nothing_is_left(tmp_path, forking):
    def broken(path: Path) -> None:
        raise OSError(28, "No space left on device")

    early = writing.EarlyWriting()
    early.start({"maps/a_a4.pdf": broken}, tmp_path, ".report.staging-early-")
    (tmp_path / "staging").mkdir()
    time.sleep(0.5)  # the child claims the writer first
    with pytest.raises(OSError, match="No space left on device"):
        early.finish(tmp_path / "staging", {"maps/a_a4.pdf": broken})
    early.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["staging"]


def test_a_run_writes_its_print_maps_while_the_later_stages_run_with_the_same_result(tmp_path, forking):
    spec = yaml.safe_load(demo_spec_in(tmp_path, stages=(*RECORDS_AND_HOT_SPOTS, "maps")).read_text())
    spec["maps"] |= {"paper": ["A4"], "labels": []}  # fewer maps: the LSOAs' only
    spec["geography"]["name_by"] = {}
    for layer in ("msoa", "ward2025", "ward2004", "ward2017"):
        del spec["geography"]["layers"][layer]
        spec["rates"].get("populations", {}).pop(layer, None)
    spec["hotspots"]["layers"] = ["lsoa"]
    (tmp_path / "demo.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    results = {}
    for workers in (1, 2):
        results[workers] = run_pipeline(tmp_path / "demo.yaml", output=tmp_path / f"w{workers}", workers=workers)
    maps = {w: next(s for s in r.manifest["stages"] if s["stage"] == "maps") for w, r in results.items()}
    assert "written_early" not in maps[1]
    assert maps[2]["written_early"] >= 8  # the print maps and the packs' map figures
    sums = {w: {o["path"]: o["sha256"] for o in r.manifest["outputs"]} for w, r in results.items()}
    assert sorted(sums[1]) == sorted(sums[2]) and any(p.endswith("_a4.pdf") for p in sums[1])
    assert {p for p in sums[1] if sums[1][p] != sums[2][p]} <= {"areas.gpkg", "areas_wgs84.gpkg"}  # write times
    assert not [p.name for p in tmp_path.iterdir() if ".staging-" in p.name]


def test_a_failed_run_stops_its_early_child_and_leaves_nothing(tmp_path, forking):
    def slow(path: Path) -> None:
        time.sleep(2)
        _map(path)

    early = writing.EarlyWriting()
    early.start({f"maps/m{i}_a4.pdf": slow for i in range(10)}, tmp_path, ".report.staging-early-")
    time.sleep(0.2)
    t = time.perf_counter()
    early.close()  # no finish: a later stage failed
    assert time.perf_counter() - t < 2  # the child was stopped, not waited for through 20 s of writing
    assert list(tmp_path.iterdir()) == []
