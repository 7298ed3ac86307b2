"""Writing the queued outputs (circles.pipeline.writing): forked workers give what one process gives."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from circles.errors import CirclesError
from circles.pipeline import writing
from circles.pipeline.writing import write_outputs

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


def test_an_error_pickle_cannot_carry_is_described():
    class Local(Exception):  # defined in a function: pickle cannot find it again
        pass

    error = writing._portable(Local("disk gone"))
    assert isinstance(error, CirclesError) and str(error) == "Local: disk gone"


def test_the_costly_outputs_are_shared_out_evenly():
    order = [f"maps/m{i}_a4.pdf" for i in range(7)] + [f"tables/t{i}.csv" for i in range(40)]
    shares = writing._share_out(order, 2)
    pdfs = [sum(r.endswith(".pdf") for r in share) for share in shares]
    assert sorted(pdfs) == [3, 4] and sum(len(s) for s in shares) == len(order)
    assert writing._share_out(["a.csv"], 4) == [["a.csv"]]  # no empty share
