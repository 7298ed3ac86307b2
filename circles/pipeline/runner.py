"""The thin runner: runs the stages a pipeline spec lists (:mod:`circles.pipeline.stages`) and writes the report folder.

Stages compute in memory; nothing is written until every stage has run and the row accounting balances.
The report folder is then built beside its final place and swapped in with a rename, so a failed run
leaves neither a half-written file nor a mix of two runs. An existing output folder is replaced only when it is
a report circles wrote for the same pipeline, and one run at a time writes an output
(:mod:`circles.pipeline.publish`).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from tqdm.auto import tqdm

from circles import __version__
from circles.errors import AccountingError, AuditError, CirclesError, SpecError
from circles.ingest.accounting import QUARANTINE_COLUMNS, ROW_ID, check_partition
from circles.io.readers import sha256_file
from circles.io.writers import write_csv, write_json
from circles.packs.render import build_all
from circles.pipeline.audit import Finding, Secrets, audit_report, format_findings
from circles.pipeline.cache import StageCache
from circles.pipeline.publish import (
    check_output,
    kill_point,
    output_lock,
    publish_error,
    real_output,
    swap_in,
    sweep_leftovers,
)
from circles.pipeline.spec import (
    PARTITIONED_STAGES,
    PLANNED_STAGES,
    REPORT_STAGES,
    DaskSpec,
    PipelineSpec,
    load_spec,
)
from circles.pipeline.stages import (
    STAGE_FUNCTIONS,
    STAGES,
    RunState,
    disclosure_policy,
    prepare_inputs,
    publish_area_tables,
)
from circles.pipeline.stages.challenge import publish_codebook
from circles.pipeline.writing import EarlyWriting, write_outputs

__all__ = ["RunResult", "run_pipeline", "audit_folder"]

_PACKAGES = (
    "pandas",
    "numpy",
    "geopandas",
    "shapely",
    "pyogrio",
    "pyproj",
    "mapclassify",
    "matplotlib",
    "pandera",
    "pydantic",
    "pyyaml",
    "dask",
    "distributed",
    "dask-geopandas",
)


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the report folder, its manifest, and the files written (relative paths)."""

    output_dir: Path
    manifest: dict[str, Any]
    outputs: tuple[str, ...]

    def _repr_html_(self) -> str:
        """A summary table for notebooks: rows, quarantine reasons, stages, warnings and the audit."""
        from html import escape

        m = self.manifest
        rows = m.get("rows", {})
        reasons = m.get("quarantine_reasons") or {}
        stages = m.get("stages", [])
        ran = [s["stage"] for s in stages if s.get("status") == "ran"]
        skipped = [s["stage"] for s in stages if s.get("status") != "ran"]
        audit = m.get("audit") or {}
        audit_text = (
            f"{audit.get('findings', '?')} findings in {audit.get('files_scanned', '?')} files" if audit else "not run"
        )
        items = [
            ("pipeline", m.get("pipeline", "")),
            ("report folder", str(self.output_dir)),
            ("rows read", f"{rows.get('read', 0):,}"),
            ("rows accepted", f"{rows.get('accepted', 0):,}"),
            ("rows quarantined", f"{rows.get('quarantined', 0):,}"),
            ("quarantine reasons", "; ".join(f"{k}: {v:,}" for k, v in reasons.items()) or "none"),
            ("stages run", ", ".join(ran) or "none"),
            ("stages skipped", ", ".join(skipped) or "none"),
            ("warnings", "; ".join(m.get("warnings", [])) or "none"),
            ("audit", audit_text),
            ("files written", f"{len(self.outputs):,}"),
        ]
        body = "".join(
            f"<tr><th style='text-align:left'>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in items
        )
        return f"<table class='circles-run'>{body}</table>"


def run_pipeline(
    spec: PipelineSpec | str | Path,
    *,
    output: str | Path | None = None,
    quiet: bool = False,
    log: Callable[[str], None] | None = None,
    engine: str | None = None,
    scheduler: str | None = None,
    from_stage: str | None = None,
    cache: bool = True,
    workers: int | None = None,
) -> RunResult:
    """Run a pipeline spec end to end and write its report folder.

    Parameters
    ----------
    spec : PipelineSpec or path-like
        A loaded spec or the path of a YAML spec.
    output : path-like, optional
        Report folder, overriding the spec's ``output``.
    quiet : bool
        No progress bars or messages.
    log : callable, optional
        Receives progress messages (default: :func:`tqdm.write`).
    engine : {"pandas", "dask"}, optional
        Overrides the spec's ``engine``: ``"dask"`` runs the heavy stages partitioned on a Dask cluster
        (:mod:`circles.pipeline.dask_engine`); the outputs are the same.
    scheduler : str, optional
        Address of a running Dask scheduler (implies ``engine="dask"``); without one the Dask engine starts a
        local cluster of worker processes for the run.
    from_stage : str, optional
        Run this stage and every stage after it again, whatever the stage cache holds (``circles run --from``).
    cache : bool
        Reuse unchanged stages from the stage cache beside the report, and keep this run's there
        (:mod:`circles.pipeline.cache`); ``False`` runs every stage and leaves the cache as it is.
    workers : int, optional
        Processes to write the outputs and render the packs in (default: the ``CIRCLES_WORKERS`` environment
        variable, which the ``circles`` command sets to the usable cores, else 1). Outputs are written in forked
        processes only on Linux and while no other thread runs (:mod:`circles.pipeline.writing`); the report
        is the same either way.

    Returns
    -------
    RunResult

    Raises
    ------
    CirclesError
        For any problem with the spec or the inputs; nothing has been written when it is raised.
    """
    if not isinstance(spec, PipelineSpec):
        spec = load_spec(spec, output=output)
    elif output is not None:
        spec = spec.model_copy(update={"output": Path(output).resolve()})
    spec = _with_engine(spec, engine, scheduler)
    if from_stage is not None and from_stage not in spec.stages:
        raise SpecError(f"--from {from_stage!r}: the spec's stages are {', '.join(spec.stages)}.")
    say = (lambda _m: None) if quiet else (log or tqdm.write)
    out_dir = real_output(spec.resolve(spec.output))
    check_output(out_dir, spec.name)  # before any input is read
    with output_lock(out_dir) as notes:
        try:
            notes += sweep_leftovers(out_dir, spec.name)
        except OSError as error:
            raise publish_error(error, f"removing what an interrupted run left beside {out_dir}") from error
        if workers is None:
            workers = int(os.environ.get("CIRCLES_WORKERS") or 1)
        run = RunState(spec=spec, log=say, quiet=quiet, workers=max(1, workers))
        for note in notes:
            run.warnings.append(f"publish: {note}")
            say(run.warnings[-1])
        stage_cache = StageCache.open(out_dir, run, versions=_versions(), from_stage=from_stage) if cache else None
        manifest, written = _run(run, out_dir, stage_cache)
    say(f"report folder: {out_dir}")
    return RunResult(output_dir=out_dir, manifest=manifest, outputs=written)


def _run(run: RunState, out_dir: Path, cache: StageCache | None) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Run the stages, build the manifest and publish the report folder; the caller holds the output's lock."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    prepare_inputs(run)
    early = EarlyWriting()  # the print maps, written in a child while the later stages run
    try:
        return _run_stages(run, out_dir, cache, started, t0, early)
    finally:
        early.close()


def _run_stages(
    run: RunState, out_dir: Path, cache: StageCache | None, started: datetime, t0: float, early: EarlyWriting
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The stages, the accounting and the manifest; then the report is written and published."""
    spec, say = run.spec, run.log
    timings: list[dict[str, Any]] = []
    with _engine(run) as functions:
        for stage in tqdm(spec.stages, desc=spec.name, unit="stage", disable=run.quiet, leave=False):
            if stage in REPORT_STAGES:
                continue  # run on the written folder, in _write_report
            if stage in PLANNED_STAGES:
                say(f"stage {stage!r} skipped: not built yet ({PLANNED_STAGES[stage]})")
                timings.append({"stage": stage, "status": "skipped", "note": "not built yet"})
                continue
            t = time.perf_counter()
            record_stage = stage in PARTITIONED_STAGES  # holds the records: always runs, never cached
            if cache is not None and not record_stage and cache.reuse(stage, run):
                if STAGES[stage].secrets is not None:  # the cache keeps no identifier: read them again
                    STAGES[stage].secrets(run)
                timings.append({"stage": stage, "status": "reused", "seconds": round(time.perf_counter() - t, 3)})
                continue
            queued = dict(run.writers)
            with cache.watch(stage, run, keep_state=not record_stage) if cache is not None else nullcontext():
                functions[stage](run)
            timings.append({"stage": stage, "status": "ran", "seconds": round(time.perf_counter() - t, 3)})
            if run.workers > 1 and _written_early(stage, spec.stages):
                fresh = {r: w for r, w in run.writers.items() if queued.get(r) is not w}
                if early.start(fresh, out_dir.parent, f".{out_dir.name}.staging-early-"):
                    timings[-1]["written_early"] = len(fresh)  # its outputs, while the later stages ran
            if run.partitions is not None and run.partitions.files and run.records is None:
                timings[-1] |= run.partitions.worker_memory()
            kill_point(stage)

        publish_area_tables(run)
        quarantine = (
            pd.concat(run.quarantine, ignore_index=True) if run.quarantine else pd.DataFrame(columns=QUARANTINE_COLUMNS)
        )
        quarantine = _in_input_order(quarantine, run)
        rows = _final_accounting(run, quarantine)
    run.publish("quarantine.csv", lambda p: write_csv(quarantine, p))

    manifest = {
        "circles_version": __version__,
        "pipeline": spec.name,
        "description": spec.description,
        "spec": spec.spec_path.name if spec.spec_path else None,
        "spec_path": str(spec.spec_path) if spec.spec_path else None,
        "spec_sha256": sha256_file(spec.spec_path) if spec.spec_path else None,
        "started_utc": started.isoformat(timespec="seconds"),
        **run.manifest,
        "reference_files": _reference_files(spec),
        "rows": rows,
        "accounting": {"by_stage": run.ledger.totals(), "by_file": run.ledger.as_records()},
        "quarantine_reasons": _reasons(quarantine),
        "disclosure": {"policy": disclosure_policy(run).name, "rule": disclosure_policy(run).describe()},
        "engine": run.manifest.pop("engine", {"name": "pandas"}),
        "stages": timings,
        "cache": _cache_note(cache, out_dir),
        "warnings": run.warnings,
        "environment": {"python": platform.python_version(), "packages": _versions()},
    }
    return manifest, _write_report(run, out_dir, manifest, t0, cache, early)


def _cache_note(cache: StageCache | None, out_dir: Path) -> dict[str, Any]:
    """The manifest's word on the stage cache: off, or which stages were reused from it."""
    if cache is None:
        return {"used": False}
    if cache.reused:
        cache_log = f"reused {', '.join(cache.reused)} from the last run (unchanged inputs, spec sections and code)"
    else:
        cache_log = "no stage reused"
    return {
        "used": True,
        "folder": cache.folder.name,
        "reused": list(cache.reused),
        "from": cache.force_from,
        "note": cache_log,
    }


def _reference_files(spec: PipelineSpec) -> list[dict[str, Any]]:
    """Every other file the run read (codebook, rules, directory, cost model, populations...), with sha256,
    so each published figure can be traced to the exact inputs behind it."""
    declared: list[tuple[str, Path | None]] = [
        (f"rates.populations.{n}", p.path) for n, p in spec.rates.populations.items()
    ]
    declared += [(f"geography.layers.{n}", spec.geography.layer_file(n)) for n in spec.geography.layers]
    if spec.deprivation:
        declared.append(("deprivation", spec.deprivation.path))
    if spec.coding:
        declared += [(f"coding.{k}", getattr(spec.coding, k)) for k in ("codebook", "rules", "codings")]
    if spec.services:
        declared.append(("services.directory", spec.services.directory))
    if spec.costs:
        declared.append(("costs.model", spec.costs.model))
    out = []
    for key, path in declared:
        if path is None:
            continue
        resolved = spec.resolve(path)
        if resolved.is_file():
            out.append({"key": key, "file": resolved.name, "sha256": sha256_file(resolved)})
    return out


def _with_engine(spec: PipelineSpec, engine: str | None, scheduler: str | None) -> PipelineSpec:
    """The spec with the command line's engine and scheduler, checked as the spec's own keys are."""
    if engine is None and scheduler is None:
        return spec
    if engine not in (None, "pandas", "dask"):
        raise SpecError(f"engine {engine!r}: choose 'pandas' or 'dask'.")
    if engine == "pandas" and scheduler is not None:
        raise SpecError("--scheduler is for the Dask engine; leave it out, or run with --engine dask.")
    update: dict[str, Any] = {"engine": engine or "dask"}
    if scheduler is not None:
        try:
            update["dask"] = DaskSpec.model_validate({**spec.dask.model_dump(), "scheduler": scheduler})
        except ValidationError as exc:
            raise SpecError(f"--scheduler {scheduler!r}: {exc.errors()[0]['msg']}") from None
    return spec.model_copy(update=update)


@contextmanager
def _engine(run: RunState) -> Iterator[dict[str, Callable[[RunState], None]]]:
    """The stage functions of the run's engine; for Dask, with a client for the length of the run."""
    from circles.pipeline.dask_cluster import uses_dask

    if not uses_dask(run.spec):
        yield STAGE_FUNCTIONS
        return
    from circles.pipeline.dask_cluster import dask_client
    from circles.pipeline.dask_engine import DASK_STAGES, Partitions

    with dask_client(run.spec.dask) as client:
        workers = client.scheduler_info()["workers"]
        run.partitions = Partitions(client=client)
        run.manifest["engine"] = {
            "name": "dask",
            "scheduler": run.spec.dask.scheduler or "local cluster of worker processes",
            "workers": len(workers),
            "threads": sum(w.get("nthreads", 1) for w in workers.values()),
            "partitioned_stages": [s for s in run.spec.stages if s in DASK_STAGES],
        }
        run.log(f"Dask engine: {len(workers)} worker(s) at {client.scheduler.address}")
        yield STAGE_FUNCTIONS | DASK_STAGES


def _in_input_order(quarantine: pd.DataFrame, run: RunState) -> pd.DataFrame:
    """The quarantine by stage (in the order the run met them), then input file, then line.

    The engines meet the rows in different orders (the pandas engine source by source, the Dask engine file by
    file); this order is the same for both, and is the order an analyst reads an input file in.
    """
    if quarantine.empty:
        return quarantine.reset_index(drop=True)
    files = {entry["file"]: i for i, entry in enumerate(run.manifest.get("inputs", []))}
    stage = pd.factorize(quarantine["stage"])[0]
    file = quarantine["file"].map(files).fillna(len(files)).to_numpy()
    line = pd.to_numeric(quarantine[ROW_ID].astype(str).str.extract(r"(\d+)$")[0], errors="coerce").fillna(-1)
    order = np.lexsort((line.to_numpy(), file, stage))
    return quarantine.iloc[order].reset_index(drop=True)


def _reasons(quarantine: pd.DataFrame) -> dict[str, int]:
    """Rows quarantined per reason (a row failing two checks counts once under each)."""
    return quarantine.drop_duplicates([ROW_ID, "reason"])["reason"].value_counts().sort_index().to_dict()


def _final_accounting(run: RunState, quarantine: pd.DataFrame) -> dict[str, Any]:
    if run.partitions is not None and run.partitions.files:
        return run.partitions.whole_run(quarantine) | {"balanced": True}
    if run.read_ids is None:
        return {"read": 0, "accepted": 0, "quarantined": 0, "balanced": True}
    accepted = run.records[ROW_ID] if run.records is not None else pd.Series([], dtype=str)
    quarantined = quarantine[ROW_ID].drop_duplicates()
    check_partition("whole run", run.read_ids, accepted, quarantined)
    rows = {"read": len(run.read_ids), "accepted": len(accepted), "quarantined": len(quarantined)}
    if rows["read"] != rows["accepted"] + rows["quarantined"]:  # pragma: no cover - check_partition guards
        raise AccountingError(f"read {rows['read']} != accepted + quarantined")
    return rows | {"balanced": True}


#: Stages whose outputs are written in a forked child as soon as they have run (the print maps: most of a run's
#: writing), on a machine with a core to spare (:class:`~circles.pipeline.writing.EarlyWriting`).
_WRITTEN_EARLY = frozenset({"maps"})


def _written_early(stage: str, stages: list[str]) -> bool:
    """Whether ``stage``'s outputs may be written while the run goes on: it is one of :data:`_WRITTEN_EARLY`,
    and no stage after it provides anything it reads (so its outputs cannot change)."""
    if stage not in _WRITTEN_EARLY:
        return False
    reads = set(STAGES[stage].needs) | set(STAGES[stage].uses)
    later = stages[stages.index(stage) + 1 :]
    return not any(reads & set(STAGES[s].provides) for s in later if s in STAGES)


def _write_report(
    run: RunState,
    out_dir: Path,
    manifest: dict[str, Any],
    t0: float,
    cache: StageCache | None,
    early: EarlyWriting | None = None,
) -> tuple[str, ...]:
    """Write every queued output into a staging folder, then swap it into place (:func:`swap_in`)."""
    if "packs" in run.spec.stages:
        publish_codebook(run)  # the engagement pack's coding sheets, before any note is coded
    staging = None
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
        # each queued output's files (a map's PNG beside its PDF, a folder), written on every core allowed
        early = early or EarlyWriting()
        rest = {r: w for r, w in run.writers.items() if r not in early.written(run.writers)}
        produced = write_outputs(rest, staging, workers=run.workers, quiet=run.quiet)
        produced |= early.finish(staging, run.writers)
        if cache is not None:
            cache.produced = produced
        if "packs" in run.spec.stages:
            _packs(run, staging, manifest, out_dir.name, cache)
        written = sorted(
            str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file() and p.name != "manifest.json"
        )
        manifest["outputs"] = [
            {"path": r, "sha256": sha256_file(staging / r), "bytes": (staging / r).stat().st_size} for r in written
        ]
        manifest["seconds"] = round(time.perf_counter() - t0, 2)
        write_json(manifest, staging / "manifest.json")
        manifest["audit"] = _audit(run, staging, cache.audit_clean if cache is not None else None)
        write_json(manifest, staging / "manifest.json")
        kill_point("staging")
        for note in swap_in(staging, out_dir, run.spec.name):
            run.warnings.append(f"publish: {note}")
            run.log(run.warnings[-1])
    except OSError as error:
        raise publish_error(error, f"writing the report folder {out_dir}") from error
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    if cache is not None:
        try:
            for note in cache.save(out_dir, run.spec.name):
                run.log(note)
        except OSError as error:  # the report is published; a cache that cannot be kept only costs time
            run.log(f"stage cache: not kept ({error}); the next run runs every stage")
    return (*written, "manifest.json")


def _packs(run: RunState, staging: Path, manifest: dict[str, Any], report_name: str, cache: StageCache | None) -> None:
    """The packs: copied from the stage cache when nothing they are built from changed, else built."""
    if cache is None:
        _build_packs(run, staging, manifest, report_name)
        return
    if cache.force_from == "packs":
        cache.forced = True
    t = time.perf_counter()
    key = cache.packs_key(staging, manifest)
    if cache.reuse_packs(key, staging):
        manifest["stages"].append({"stage": "packs", "status": "reused", "seconds": round(time.perf_counter() - t, 3)})
        manifest["cache"] |= {"reused": list(cache.reused)}
        run.log("packs: reused from the last run (templates, code and every other output unchanged)")
        return
    _build_packs(run, staging, manifest, report_name)
    cache.packs_built(key, staging)


def _build_packs(run: RunState, staging: Path, manifest: dict[str, Any], report_name: str) -> None:
    """Build the packs in the staging folder; a pack that fails is a warning and a note, never a lost report."""
    t = time.perf_counter()
    write_json(manifest, staging / "manifest.json")  # packs read the method notes from it
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pack '.*' could not be built")  # recorded below, by name
        built = build_all(staging, report_name=report_name, workers=run.workers)
    timing: dict[str, Any] = {"stage": "packs", "status": "ran", "seconds": round(time.perf_counter() - t, 3)}
    if built.failed:
        timing["failed"] = sorted(built.failed)
        for key, error in built.failed.items():
            run.warnings.append(f"packs: the {key} pack could not be built ({error}); see packs/{key}_FAILED.txt")
            run.log(run.warnings[-1])
    manifest["packs"] = {"built": sorted(built), "failed": built.failed}
    manifest["stages"].append(timing)
    manifest["warnings"] = run.warnings
    run.log(f"packs: {len(built)} of {len(built) + len(built.failed)} built (PDF and HTML)")


def _secrets(run: RunState) -> Secrets:
    return Secrets.from_values(
        identifiers=run.secrets_identifiers, pseudonyms=run.secrets_pseudonyms, postcodes=run.secrets_postcodes
    )


def audit_folder(report_dir: str | Path, spec: PipelineSpec | str | Path | None = None) -> list[Finding]:
    """Audit a report folder against the identifiers, pseudonyms and postcodes of its run's inputs.

    The inputs are read again (in memory, nothing written) through the ingest stages of ``spec`` — by default
    the spec named in the folder's ``manifest.json``.
    """
    report_dir = Path(report_dir)
    if spec is None:
        manifest_path = report_dir / "manifest.json"
        if not manifest_path.exists():
            raise CirclesError(f"{report_dir} has no manifest.json; name the pipeline spec with --spec.")
        spec_path = json.loads(manifest_path.read_text(encoding="utf-8")).get("spec_path")
        if not spec_path:
            raise CirclesError(f"{manifest_path} does not name its spec; name it with --spec.")
        spec = spec_path
    if not isinstance(spec, PipelineSpec):
        spec = load_spec(spec)
    spec = spec.model_copy(update={"engine": "pandas"})  # reading again needs no cluster
    run = RunState(spec=spec, log=lambda _m: None, quiet=True)
    prepare_inputs(run)
    for stage in ("read", "validate", "pseudonymise", "geocode"):
        if stage in spec.stages:
            STAGE_FUNCTIONS[stage](run)
    return audit_report(report_dir, _secrets(run), policy=disclosure_policy(run))


def _audit(run: RunState, folder: Path, clean: set[str] | None = None) -> dict[str, Any]:
    """Audit the staged report folder; refuse to publish it if anything personal or disclosive is found.

    ``clean`` (the stage cache's) holds the contents the last audit found clean under the same secrets and
    rules: they are not read again."""
    secrets = _secrets(run)
    findings = audit_report(folder, secrets, policy=disclosure_policy(run), clean=clean, workers=run.workers)
    if findings:
        raise AuditError(
            "The report was not published: the audit of the files it would write found personal data or "
            f"unsuppressed small counts.\n{format_findings(findings)}"
        )
    return {
        "findings": 0,
        "files_scanned": sum(1 for p in folder.rglob("*") if p.is_file()),
        "searched_for": {
            "identifiers": len(secrets.identifiers),
            "pseudonyms": len(secrets.pseudonyms),
            "postcodes": len(secrets.postcodes),
        },
    }


def _versions() -> dict[str, str]:
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
