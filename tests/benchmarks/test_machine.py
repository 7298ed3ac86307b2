"""The benchmarks' shared record: the machine, the peak memory, the JSON file, and ``--json`` on every script."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from circles.errors import CirclesError

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("bench_*.py"))


def _load_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("machine", BENCHMARKS / "machine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


machine = _load_module()


def test_machine_has_cores_memory_python_and_versions() -> None:
    m = machine.machine(["networkx", "no-such-package-circles"])
    assert m["cpus_logical"] >= 1
    assert 1 <= m["cpus_usable"] <= m["cpus_logical"]
    assert m["memory_gb"] > 0
    assert m["python"] == ".".join(map(str, sys.version_info[:3]))
    assert m["platform"]
    import networkx
    import numpy

    assert m["packages"]["networkx"] == networkx.__version__
    assert m["packages"]["numpy"] == numpy.__version__
    assert m["packages"]["no-such-package-circles"] is None
    assert set(machine.BASE_PACKAGES) <= set(m["packages"])


def test_git_commit_in_this_checkout_and_none_outside(tmp_path: Path) -> None:
    assert machine.git_commit(tmp_path) is None
    here = machine.git_commit()
    if here is None:
        pytest.skip("not running from a git checkout")
    assert len(here["commit"]) == 40 and isinstance(here["dirty"], bool)


def test_peak_rss_grows_with_an_allocation() -> None:
    before = machine.peak_rss_mb()
    block = np.ones(64 * 1024**2 // 8)  # 64 MB, touched
    after = machine.peak_rss_mb()
    assert before > 0
    assert after >= before and after >= block.nbytes / 1024**2
    assert machine.peak_rss_mb(children=True) >= after


def test_write_json_round_trips_with_numpy_values(tmp_path: Path) -> None:
    figures = {"seconds": {"read": np.float64(1.25)}, "rows": np.int64(1000), "sizes": np.array([1, 2])}
    path = machine.write_json(tmp_path / "out" / "bench.json", figures, benchmark="bench_x", packages=["pandas"])
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert list(saved) == ["benchmark", "machine", "figures", "when"]
    assert saved["benchmark"] == "bench_x"
    assert saved["figures"] == {"seconds": {"read": 1.25}, "rows": 1000, "sizes": [1, 2]}
    assert saved["machine"]["cpus_usable"] >= 1 and "pandas" in saved["machine"]["packages"]
    assert saved["when"].endswith("+00:00")
    assert os.listdir(tmp_path / "out") == ["bench.json"]  # no temporary file left beside it


def test_write_json_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = machine.write_json(tmp_path / "bench.json", {"seconds": 1.0}, benchmark="bench_x")
    with pytest.raises(TypeError):
        machine.write_json(path, {"bad": _Unjsonable()}, benchmark="bench_x")
    assert json.loads(path.read_text())["figures"] == {"seconds": 1.0}
    assert os.listdir(tmp_path) == ["bench.json"]


class _Unjsonable:
    def __str__(self) -> str:
        raise TypeError("cannot be shown")


def test_write_json_to_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CirclesError, match=r"could not write.*--json a file path") as error:
        machine.write_json(tmp_path, {"seconds": 1.0}, benchmark="bench_x")
    assert str(tmp_path) in str(error.value)
    assert os.listdir(tmp_path) == []


def test_save_writes_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    machine.save(None, {"seconds": 1.0}, benchmark="bench_x")
    assert capsys.readouterr().out == ""
    machine.save(tmp_path / "b.json", {"seconds": 1.0}, benchmark="bench_x")
    assert capsys.readouterr().out == f"figures written to {tmp_path / 'b.json'}\n"
    with pytest.raises(SystemExit, match="^error: .*could not write"):
        machine.save(tmp_path, {"seconds": 1.0}, benchmark="bench_x")


def test_every_benchmark_script_is_found() -> None:
    names = {p.stem for p in SCRIPTS}
    expected = {"bench_coding", "bench_demo", "bench_engines", "bench_ingest", "bench_national", "bench_network"}
    assert expected | {"bench_screening"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_every_benchmark_accepts_json(script: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCHMARKS.parent), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--json PATH" in done.stdout
