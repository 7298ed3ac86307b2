"""Benchmark: the embedded demo run end to end (what ``circles demo`` does), timed against its 30 s target.

Runs ``circles demo`` (``python -m circles.cli demo``) in a fresh process, as a user runs it (imports, forked
writers and pack renderers included; ``--workers N`` sets ``CIRCLES_WORKERS``, by default one a core), writing
its synthetic inputs and its report into a fresh temporary folder, and prints the wall time, each stage's seconds
from the manifest (``manifest["stages"]``), the packs stage apart, and the wall time as a ratio to the target.
With ``--runs N`` each run starts from an empty folder and the median run is reported. Each run is then repeated
in its folder with nothing changed, to time a rerun from the stage cache (:mod:`circles.pipeline.cache`): the
stages it reused and its wall time. CPU seconds (the process and every process it forked, user and system) are
printed beside the wall time: on a shared machine they move less than the wall time does.

Targets on 2 cores (issue 21): the demo in <= 30 s wall; reruns in seconds.

    .venv/bin/python benchmarks/bench_demo.py [--runs 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import add_json_option, peak_rss_mb, save

TARGET_SECONDS = 30.0


def _children_cpu() -> float:
    """CPU seconds, user and system, of the ended child processes (and theirs, once waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _circles_demo(folder: Path, workers: int | None) -> tuple[float, float, dict]:
    """``circles demo`` in a fresh process (as a user runs it: imports and worker processes included): wall
    seconds, CPU seconds, the manifest."""
    env = dict(os.environ)
    if workers is not None:
        env["CIRCLES_WORKERS"] = str(workers)
    command = [sys.executable, "-m", "circles.cli", "demo", "--quiet"]
    command += ["--output", str(folder / "report"), "--inputs", str(folder / "data")]
    t0, c0 = time.perf_counter(), _children_cpu()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    return wall, cpu, json.loads((folder / "report" / "manifest.json").read_text(encoding="utf-8"))


def run_once(workers: int | None) -> dict:
    """One demo run in a fresh temporary folder, then again unchanged: wall seconds, stages, rows, outputs."""
    with tempfile.TemporaryDirectory(prefix="circles-bench-demo-") as name:
        folder = Path(name)
        wall, cpu, manifest = _circles_demo(folder, workers)
        rerun, _, again = _circles_demo(folder, workers)
    stages = {s["stage"]: s["seconds"] for s in manifest["stages"]}
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "stages": stages,
        "rows": manifest["rows"],
        "outputs": len(manifest["outputs"]),
        "rerun_wall_seconds": rerun,
        "rerun_reused": again["cache"].get("reused", []),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs to make; the median run is reported")
    parser.add_argument(
        "--workers", type=int, default=None, help="CIRCLES_WORKERS for the runs (default: the command's, one a core)"
    )
    add_json_option(parser)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    runs = []
    for number in range(1, args.runs + 1):
        runs.append(run_once(args.workers))
        print(f"run {number}: {runs[-1]['wall_seconds']:6.1f} s wall, {runs[-1]['cpu_seconds']:6.1f} s CPU")
    median = statistics.median(r["wall_seconds"] for r in runs)
    middle = min(runs, key=lambda r: abs(r["wall_seconds"] - median))  # the run nearest the median
    in_stages = sum(middle["stages"].values())
    for stage, seconds in middle["stages"].items():
        print(f"{stage:>20}: {seconds:6.1f} s")
    print(f"{'in stages':>20}: {in_stages:6.1f} s; outside any stage {middle['wall_seconds'] - in_stages:.1f} s")
    packs = middle["stages"].get("packs")
    print(f"{'packs':>20}: {'not run' if packs is None else f'{packs:.1f} s'}")
    print(
        f"{'wall (median)':>20}: {median:6.1f} s over {args.runs} run(s)   ratio to the {TARGET_SECONDS:.0f} s target "
        f"{median / TARGET_SECONDS:.2f}: {'met' if median <= TARGET_SECONDS else 'NOT met'}"
    )
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    print(f"{'CPU (median)':>20}: {cpu:6.1f} s, every process of the run (user and system)")
    reruns = statistics.median(r["rerun_wall_seconds"] for r in runs)
    print(f"{'rerun (median)':>20}: {reruns:6.1f} s, reusing {len(middle['rerun_reused'])} stage(s) from the cache")
    figures = {
        "runs": args.runs,
        "rerun_wall_seconds": [r["rerun_wall_seconds"] for r in runs],
        "median_rerun_wall_seconds": reruns,
        "rerun_reused": middle["rerun_reused"],
        "wall_seconds": [r["wall_seconds"] for r in runs],
        "median_wall_seconds": median,
        "cpu_seconds": [r["cpu_seconds"] for r in runs],
        "median_cpu_seconds": cpu,
        "stages_of_median_run": middle["stages"],
        "seconds_outside_stages": middle["wall_seconds"] - in_stages,
        "packs_seconds": packs,
        "target_wall_seconds": TARGET_SECONDS,
        "ratio_to_target": median / TARGET_SECONDS,
        "rows": middle["rows"],
        "outputs": middle["outputs"],
        "workers": args.workers,
        "peak_rss_mb": peak_rss_mb(children=True),
    }
    save(args.json, figures, benchmark="bench_demo", packages=["geopandas", "matplotlib", "weasyprint", "jinja2"])


if __name__ == "__main__":
    main()
