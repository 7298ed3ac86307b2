"""Faults while publishing a report folder (issue 22): nothing circles did not write is ever lost.

One earlier report is made per module (the demo spec without maps or packs) and copied for each test. Every
test compares a folder's files byte for byte before and after with :func:`hashes`.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

import circles.io.writers as writers
import circles.pipeline.runner as runner
from circles.cli import app
from circles.errors import CirclesError, PublishError
from circles.pipeline.publish import output_lock, sweep_leftovers
from circles.pipeline.runner import run_pipeline
from tests.helpers import RECORDS_AND_HOT_SPOTS, ROOT, demo_spec_in


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by relative path (empty folders count too)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        relative = str(path.relative_to(folder))
        out[relative] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def leftovers(parent: Path, name: str = "report") -> list[str]:
    """Staging, moved-aside and lock files of ``name`` in ``parent`` (not the stage cache a finished run keeps)."""
    return sorted(p.name for p in parent.glob(f".{name}.*") if p.name != f".{name}.cache")


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(spec, report) of one finished run, made once for the module: the record stages and the hot spots (the
    publishing is the same for every stage's files, and every test here runs the spec again, some twice)."""
    folder = tmp_path_factory.mktemp("earlier")
    spec = demo_spec_in(folder, maps=False, stages=RECORDS_AND_HOT_SPOTS)
    result = run_pipeline(spec, quiet=True)
    return spec, result.output_dir


@pytest.fixture
def report(earlier: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the earlier report in this test's folder."""
    copy = tmp_path / "report"
    shutil.copytree(earlier[1], copy)
    return copy


def _no_inputs(run: object) -> None:
    raise AssertionError("an input was read before the output folder was checked")


def _precious(folder: Path) -> Path:
    folder.mkdir()
    (folder / "important.txt").write_text("the only copy\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "data.csv").write_text("a,b\n1,2\n")
    return folder


def test_precious_folder_is_refused_before_reading_inputs(earlier, tmp_path, monkeypatch):
    precious = _precious(tmp_path / "precious")
    before = hashes(precious)
    monkeypatch.setattr(runner, "prepare_inputs", _no_inputs)
    with pytest.raises(PublishError) as caught:
        run_pipeline(earlier[0], output=precious, quiet=True)
    message = str(caught.value)
    assert str(precious) in message
    assert "2 files circles did not write: important.txt, sub/data.csv" in message
    assert "-o" in message
    assert hashes(precious) == before
    assert leftovers(tmp_path, "precious") == []  # the lock was never taken


def test_symlinked_output_checks_the_real_folder(earlier, tmp_path, monkeypatch):
    precious = _precious(tmp_path / "precious")
    before = hashes(precious)
    link = tmp_path / "link"
    link.symlink_to(precious, target_is_directory=True)
    monkeypatch.setattr(runner, "prepare_inputs", _no_inputs)
    with pytest.raises(PublishError, match="precious"):
        run_pipeline(earlier[0], output=link, quiet=True)
    assert hashes(precious) == before and link.is_symlink()


def test_report_of_another_pipeline_is_refused(earlier, report, monkeypatch):
    manifest = json.loads((report / "manifest.json").read_text())
    manifest["pipeline"] = "another"
    (report / "manifest.json").write_text(json.dumps(manifest))
    before = hashes(report)
    monkeypatch.setattr(runner, "prepare_inputs", _no_inputs)
    with pytest.raises(PublishError, match="pipeline 'another'"):
        run_pipeline(earlier[0], output=report, quiet=True)
    assert hashes(report) == before


def test_report_with_a_file_added_by_hand_is_refused(earlier, report, monkeypatch):
    (report / "tables" / "my_notes.txt").parent.mkdir(exist_ok=True)
    (report / "tables" / "my_notes.txt").write_text("mine\n")
    before = hashes(report)
    monkeypatch.setattr(runner, "prepare_inputs", _no_inputs)
    with pytest.raises(PublishError, match=r"1 file circles did not write: tables/my_notes.txt"):
        run_pipeline(earlier[0], output=report, quiet=True)
    assert hashes(report) == before


def test_own_report_and_empty_folder_are_replaced(earlier, report, tmp_path):
    result = run_pipeline(earlier[0], output=report, quiet=True)
    assert result.output_dir == report.resolve()
    assert set(hashes(report)) == set(hashes(earlier[1]))
    assert leftovers(tmp_path) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (run_pipeline(earlier[0], output=empty, quiet=True).output_dir / "manifest.json").is_file()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder; see the EACCES test below")
def test_read_only_parent(earlier, report, tmp_path):
    before = hashes(report)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(CirclesError):
            run_pipeline(earlier[0], output=report, quiet=True)
    finally:
        tmp_path.chmod(0o755)
    assert hashes(report) == before


def test_unwritable_parent_eacces(earlier, report, tmp_path, monkeypatch):
    """As the read-only test, for root: the staging folder cannot be made (EACCES)."""
    before = hashes(report)

    def denied(**kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", kwargs.get("dir"))

    monkeypatch.setattr(runner, "tempfile", SimpleNamespace(mkdtemp=denied))
    with pytest.raises(PublishError, match="Permission denied"):
        run_pipeline(earlier[0], output=report, quiet=True)
    assert hashes(report) == before
    assert leftovers(tmp_path) == []


def test_disk_full(earlier, report, tmp_path, monkeypatch):
    before = hashes(report)
    real = writers.atomic_path
    calls = {"n": 0}

    def filling(target, suffix=None):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real(target, suffix)

    monkeypatch.setattr(writers, "atomic_path", filling)
    with pytest.raises(PublishError, match="disk is full") as caught:
        run_pipeline(earlier[0], output=report, quiet=True)
    assert "previous report is unchanged" in str(caught.value)
    assert calls["n"] == 5
    assert hashes(report) == before
    assert leftovers(tmp_path) == []  # no staging, no lock


def _killed_run(spec: Path, output: Path, point: str) -> None:
    env = {**os.environ, "CIRCLES_TEST_KILL_AT": point}
    done = subprocess.run(
        [sys.executable, "-m", "circles.cli", "run", str(spec), "-o", str(output), "--quiet"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]


def test_killed_at_a_stage_and_at_staging(earlier, report, tmp_path):
    before = hashes(report)
    _killed_run(earlier[0], report, "aggregate")
    assert hashes(report) == before
    assert leftovers(tmp_path) == [".report.lock"]  # the dead run's lock
    _killed_run(earlier[0], report, "staging")
    assert hashes(report) == before
    left = leftovers(tmp_path)
    assert ".report.lock" in left and any(n.startswith(".report.staging-") for n in left)
    result = run_pipeline(earlier[0], output=report, quiet=True)
    notes = " ".join(result.manifest["warnings"])
    assert "unfinished report of an interrupted run" in notes
    assert "took over the lock" in notes
    assert leftovers(tmp_path) == []
    assert set(hashes(report)) == set(before)


def test_killed_mid_swap_puts_the_previous_report_back(earlier, report, tmp_path):
    before = hashes(report)
    _killed_run(earlier[0], report, "swap")
    assert not report.exists()
    assert any(n.startswith(".report.old-") for n in leftovers(tmp_path))
    notes = sweep_leftovers(report, "demo")
    assert any("put it back" in n for n in notes), notes
    assert hashes(report) == before
    assert not any(n.startswith(".report.old-") for n in leftovers(tmp_path))


def test_sweep_leaves_strangers_alone(report, tmp_path):
    stranger = _precious(tmp_path / ".report.old-1")
    other = _precious(tmp_path / ".other.staging-x")
    before = hashes(stranger), hashes(other)
    notes = sweep_leftovers(report, "demo")
    assert (hashes(stranger), hashes(other)) == before
    assert any("left" in n and ".report.old-1" in n for n in notes)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_lock_is_taken_over_and_live_lock_refuses(tmp_path):
    out = tmp_path / "report"
    lock = tmp_path / ".report.lock"
    dead = _dead_pid()
    lock.write_text(json.dumps({"pid": dead, "host": socket.gethostname(), "started_utc": "2026-01-01T00:00:00"}))
    with output_lock(out) as notes:
        assert any(f"pid {dead}" in n for n in notes)
        assert json.loads(lock.read_text())["pid"] == os.getpid()
        with pytest.raises(PublishError) as caught, output_lock(out):
            pass
        assert f"pid {os.getpid()} on host {socket.gethostname()}" in str(caught.value)
        assert "started" in str(caught.value)
    assert not lock.exists()  # released
    lock.write_text(json.dumps({"pid": dead, "host": "elsewhere", "started_utc": "x"}))
    with pytest.raises(PublishError, match="host elsewhere"), output_lock(out):
        pass  # another host's lock: its pid cannot be checked from here
    assert lock.exists()


def test_lock_released_on_error(earlier, tmp_path, monkeypatch):
    def broken(run):
        raise CirclesError("broken input")

    monkeypatch.setattr(runner, "prepare_inputs", broken)
    with pytest.raises(CirclesError, match="broken input"):
        run_pipeline(earlier[0], output=tmp_path / "report", quiet=True)
    assert leftovers(tmp_path) == []


def test_pack_refuses_a_folder_circles_did_not_write(tmp_path):
    spec = demo_spec_in(tmp_path, maps=False)
    precious = _precious(tmp_path / "report")
    before = hashes(precious)
    outcome = CliRunner().invoke(app, ["pack", "hotspot_report", "-p", str(spec)])
    assert outcome.exit_code == 2
    assert "not a report folder circles wrote" in outcome.output
    assert hashes(precious) == before


def test_pack_output_is_listed_so_the_next_run_may_replace(earlier, report, tmp_path):
    spec = demo_spec_in(tmp_path, maps=False, stages=RECORDS_AND_HOT_SPOTS)
    (report / "packs").mkdir(exist_ok=True)
    (report / "packs" / "mine.txt").write_text("mine\n")  # there before: stays unlisted
    outcome = CliRunner().invoke(app, ["pack", "hotspot_report", "-p", str(spec)])
    assert outcome.exit_code == 0, outcome.output
    listed = {o["path"] for o in json.loads((report / "manifest.json").read_text())["outputs"]}
    assert "packs/hotspot_report.html" in listed and "packs/mine.txt" not in listed
    with pytest.raises(PublishError, match="packs/mine.txt"):
        run_pipeline(earlier[0], output=report, quiet=True)
    (report / "packs" / "mine.txt").unlink()
    run_pipeline(earlier[0], output=report, quiet=True)
    assert leftovers(tmp_path) == []


def _spec_reading_a_copy_of_the_inputs(earlier: tuple[Path, Path], tmp_path: Path, report: Path) -> Path:
    """The earlier spec without ``synthetic:``, reading a copy of its inputs and writing into ``report``."""
    import yaml

    spec_path, _ = earlier
    data = tmp_path / "data"
    shutil.copytree(spec_path.parent / "data", data)
    spec = yaml.safe_load(spec_path.read_text())
    spec.pop("synthetic")
    spec["output"] = str(report)
    spec["sources"]["take_up"]["files"] = str(data / "take_up" / "*.csv")
    spec["coding"]["sources"] = str(data / "notes")
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_an_input_deleted_after_the_spec_was_checked_is_not_read_and_the_manifest_says_so(earlier, report, tmp_path):
    from circles.pipeline.spec import load_spec

    spec = load_spec(_spec_reading_a_copy_of_the_inputs(earlier, tmp_path, report))
    victim = sorted((tmp_path / "data" / "take_up").glob("*.csv"))[0]
    victim.unlink()
    result = run_pipeline(spec, quiet=True)  # the pattern is read when the run starts: the file is simply gone
    read = {entry["file"] for entry in result.manifest["inputs"]}
    assert victim.name not in read and len(read) == len(list((tmp_path / "data" / "take_up").glob("*.csv")))
    assert (
        result.manifest["rows"]["read"] == result.manifest["rows"]["accepted"] + result.manifest["rows"]["quarantined"]
    )
    assert leftovers(tmp_path) == []


def test_an_unreadable_key_file_stops_the_run_and_leaves_the_report_alone(earlier, report, tmp_path):
    import yaml

    path = _spec_reading_a_copy_of_the_inputs(earlier, tmp_path, report)
    spec = yaml.safe_load(path.read_text())
    (tmp_path / "keys").mkdir()
    spec["pseudonymisation"] = {"key": "file", "key_file": str(tmp_path / "keys"), "scope": "faults"}  # a folder
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    before = hashes(report)
    with pytest.raises(CirclesError, match="Cannot read the pseudonymisation key .*keys: it is a folder"):
        run_pipeline(path, quiet=True)
    assert hashes(report) == before and leftovers(tmp_path) == []
