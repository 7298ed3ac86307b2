"""What every benchmark records beside its figures: the machine, the versions, the peak memory, the time.

Each ``benchmarks/bench_*.py`` script takes ``--json PATH`` (added with :func:`add_json_option`) and, at the end,
writes its figures with :func:`write_json`::

    {"benchmark": "bench_ingest", "machine": {...}, "figures": {...}, "when": "2026-12-02T01:00:00+00:00"}

``machine`` holds the logical and usable cores, total (and, on Linux, available) memory, the load average, the
Python version, the platform, circles' version and git commit, and the versions of the packages the benchmark
names. Compare ratios, not seconds, between machines. Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from circles.errors import CirclesError
from circles.io.writers import atomic_path

__all__ = ["BASE_PACKAGES", "add_json_option", "git_commit", "machine", "peak_rss_mb", "save", "write_json"]

#: Packages whose versions every benchmark records; a benchmark adds the ones it leans on.
BASE_PACKAGES = ("circles", "numpy", "pandas", "pyarrow")
ROOT = Path(__file__).resolve().parent.parent


def _meminfo(field: str) -> float | None:
    """A ``/proc/meminfo`` field in GB (Linux only; ``None`` elsewhere or when unreadable)."""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, rest = line.partition(":")
        if name == field and rest.split():
            return round(int(rest.split()[0]) / 1024**2, 2)  # kB -> GB (GiB)
    return None


def _total_memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 2)
    except (ValueError, OSError, AttributeError):
        return _meminfo("MemTotal")


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or None


def git_commit(folder: Path = ROOT) -> dict[str, Any] | None:
    """The checkout's commit and whether it has uncommitted changes, or ``None`` outside a git checkout.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     print(git_commit(Path(folder)))
    None
    """
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if commit.returncode:
            return None
        status = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def machine(packages: Iterable[str] = ()) -> dict[str, Any]:
    """The machine a benchmark ran on, and the versions of circles and of ``packages`` (plus :data:`BASE_PACKAGES`).

    A package that is not installed has version ``None``; the git commit is ``None`` outside a git checkout.

    Examples
    --------
    >>> m = machine(["networkx"])
    >>> m["cpus_usable"] >= 1 and m["memory_gb"] > 0
    True
    >>> sorted(m["packages"])[:3]
    ['circles', 'networkx', 'numpy']
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    names = dict.fromkeys([*BASE_PACKAGES, *packages])
    return {
        "cpus_logical": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _cpu_model(),
        "memory_gb": _total_memory_gb(),
        "memory_available_gb": _meminfo("MemAvailable"),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "circles": _package_version("circles"),
        "git": git_commit(),
        "packages": {name: _package_version(name) for name in names},
    }


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory of this process in MB; with ``children``, the larger of it and any finished child's.

    Examples
    --------
    >>> peak_rss_mb() > 0
    True
    """
    scale = 1024**2 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, kB on Linux
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if children:
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return round(peak / scale, 1)


def _plain(value: Any) -> Any:
    """numpy scalars, paths and the like as JSON values."""
    if hasattr(value, "tolist"):  # numpy arrays and scalars (a scalar's ``tolist`` is its Python value)
        return value.tolist()
    return str(value)


def write_json(
    path: str | Path,
    figures: Mapping[str, Any],
    *,
    benchmark: str | None = None,
    packages: Iterable[str] = (),
) -> Path:
    """Write ``figures`` with the machine and the time to ``path`` as JSON, atomically.

    ``benchmark`` defaults to the running script's name (``bench_ingest``); ``packages`` are recorded with their
    versions. Never leaves a half-written file: the JSON goes to a temporary file beside ``path`` first.

    Raises
    ------
    CirclesError
        If ``path`` cannot be written (a folder, or a folder without write permission).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_json(Path(folder) / "b.json", {"seconds": 1.5}, benchmark="bench_x")
    ...     saved = json.loads(out.read_text())
    >>> saved["benchmark"], saved["figures"], sorted(saved)
    ('bench_x', {'seconds': 1.5}, ['benchmark', 'figures', 'machine', 'when'])
    """
    path = Path(path)
    document = {
        "benchmark": benchmark or Path(sys.argv[0]).stem,
        "machine": machine(packages),
        "figures": dict(figures),
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    text = json.dumps(document, indent=2, ensure_ascii=False, default=_plain) + "\n"
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CirclesError(
            f"{path}: could not write the benchmark's figures ({error.strerror or error}); "
            "give --json a file path in a folder you can write to"
        ) from error
    return path


def add_json_option(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add ``--json PATH`` (write the figures, the machine and the versions as JSON) to a benchmark's parser.

    Examples
    --------
    >>> parser = add_json_option(argparse.ArgumentParser())
    >>> parser.parse_args(["--json", "out.json"]).json.name
    'out.json'
    """
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help="also write the figures, with the machine's cores, memory and package versions, as JSON to PATH",
    )
    return parser


def save(path: Path | None, figures: Mapping[str, Any], *, benchmark: str, packages: Iterable[str] = ()) -> None:
    """End of a benchmark: write ``figures`` to ``path`` (its ``--json``) if given, and say where.

    A path that cannot be written stops the script with a one-line message (exit status 1), not a traceback.

    Examples
    --------
    >>> save(None, {"seconds": 1.0}, benchmark="bench_x")  # no --json: nothing written, nothing printed
    """
    if path is None:
        return
    try:
        write_json(path, figures, benchmark=benchmark, packages=packages)
    except CirclesError as error:
        raise SystemExit(f"error: {error}") from error
    print(f"figures written to {path}")
