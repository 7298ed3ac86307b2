"""Ingest stages: read every input file, validate the records, pseudonymise identifiers."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from circles.errors import CirclesError
from circles.ingest.accounting import QUARANTINE_COLUMNS, ROW_ID
from circles.ingest.pseudonyms import load_key, protect_identifiers
from circles.ingest.validate import flag_duplicates, validate_records
from circles.io.readers import map_columns, read_source, sha256_file
from circles.pipeline.stages.base import RunState, account, records_of, stage

if TYPE_CHECKING:  # the spec imports the stage registry
    from circles.pipeline.spec import PipelineSpec


def prepare_inputs(run: RunState) -> None:
    """Demo specs only: write the synthetic inputs for the spec's seed before reading them."""
    if run.spec.synthetic is None:
        return
    from circles.demo.synthetic import generate_demo_data

    data = generate_demo_data(run.spec.resolve(run.spec.synthetic.folder), seed=run.spec.synthetic.seed)
    run.manifest["synthetic"] = {
        "seed": data.seed,
        "records": data.n_records,
        "note": "SYNTHETIC demo records: not real people",
    }
    run.log(f"synthetic demo inputs (seed {data.seed}) in {data.folder}")


def read_file(spec: PipelineSpec, source_name: str, path: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Read one input file of a source: its records (standard field names), its unreadable lines, its manifest entry.

    Both engines read a file with this function: the pandas engine file by file, the Dask engine one task per
    file, so a row's id (file and physical line) is the same whichever runs.
    """
    source = spec.sources[source_name]
    columns = source.column_specs()
    mapping = {name: col.column for name, col in columns.items() if col.column is not None}
    required = {name for name, col in columns.items() if col.required}
    table = read_source(path, expected=mapping.values(), sheet=source.sheet)
    mapped = map_columns(
        table.frame,
        mapping,
        required=required,
        file=str(path),
        repeated=table.info.get("repeated_columns", ()),
        values={name: col.value for name, col in columns.items() if col.value is not None},
        copies={name: col.copy_of for name, col in columns.items() if col.copy_of is not None},
    )[["source_file", ROW_ID, *columns]]
    mapped.insert(2, "source", source_name)
    entry = {
        "source": source_name,
        "file": path.name,
        "path": os.path.relpath(path, spec.base_dir),
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
        "rows": table.rows_read,
        "rows_unreadable": int(table.quarantine[ROW_ID].nunique()),
    } | table.info
    return mapped, table.quarantine, entry


def input_files(spec: PipelineSpec) -> list[tuple[str, Path]]:
    """Every input file as ``(source, path)``, in the spec's source order and by name within a source.

    Row ids are ``file:line``, so two files with one name would make two rows share an id: refused here.
    """
    files = [(name, path) for name, source in spec.sources.items() for path in spec.source_files(source)]
    names = pd.Series([path.name for _, path in files], dtype=object)
    if names.duplicated().any():
        dupes = sorted(names[names.duplicated()].unique())
        raise CirclesError(f"Two input files share a name ({', '.join(dupes)}); rename one so rows stay traceable.")
    return files


@stage("read", provides=("records",))
def _stage_read(run: RunState) -> None:
    """Read every input file of every source; unreadable lines are quarantined with their reason."""
    spec = run.spec
    frames, quarantines, inputs = [], [], []
    for source_name, path in tqdm(input_files(spec), desc="read", unit="file", leave=False, disable=run.quiet):
        mapped, quarantine, entry = read_file(spec, source_name, path)
        frames.append(mapped)
        quarantines.append(quarantine)
        if entry["rows"] == 0:
            run.warnings.append(f"{path.name}: a header and no rows")
        inputs.append(entry)
    records = pd.concat(frames, ignore_index=True)
    quarantine = pd.concat(quarantines, ignore_index=True)
    read_ids = pd.concat([records[ROW_ID], pd.Series(quarantine[ROW_ID].unique())], ignore_index=True)
    files_of = pd.concat([records["source_file"], quarantine.drop_duplicates(ROW_ID)["file"]], ignore_index=True)
    run.ledger.record("read", read_ids, records[ROW_ID], quarantine[ROW_ID].drop_duplicates(), files_of)
    run.quarantined(quarantine)
    run.read_ids = read_ids
    run.read_files = files_of
    run.records = records
    run.manifest["inputs"] = inputs
    run.log(f"read {len(read_ids):,} rows from {len(inputs)} file(s); {quarantine[ROW_ID].nunique():,} unreadable")


@stage("validate", needs=("records",))
def _stage_validate(run: RunState) -> None:
    """Check every field against the spec's column rules (pandera) and flag duplicates; failures are quarantined."""
    records = records_of(run, "validate")
    spec = run.spec
    accepted, quarantines, failures = [], [], {}
    for source_name, source in spec.sources.items():
        # each source on its own fields: concatenation gave it blanks in the other sources' fields
        own = [c for c in records.columns if c in ("source_file", ROW_ID, "source") or c in source.column_specs()]
        rows = (records["source"] == source_name).to_numpy(dtype=bool)
        mine = records[own] if rows.all() else records.loc[rows, own]  # one source: no copy of every row
        result = validate_records(mine, source.column_specs(), today=spec.ingest.reference_date)
        accepted.append(result.records)
        quarantines.append(result.quarantine)
        for reason, n in result.failures.items():
            failures[reason] = failures.get(reason, 0) + n
    valid = pd.concat(accepted, ignore_index=True)
    kept, dup_quarantine, n_dup = flag_duplicates(
        valid, spec.ingest.duplicate_key, drop=spec.ingest.duplicates == "drop"
    )
    quarantine = pd.concat([*quarantines, dup_quarantine], ignore_index=True)
    account(run, "validate", records, kept, quarantine)
    run.records = kept
    rows_failing = int(pd.concat(quarantines)[ROW_ID].nunique()) if quarantines else 0
    note_validation(run, failures, rows_failing, n_dup, len(kept), int(quarantine[ROW_ID].nunique()))


def note_validation(
    run: RunState, failures: dict[str, int], rows_failing: int, n_dup: int, accepted: int, quarantined: int
) -> None:
    """The manifest entry and log line of the validate stage (both engines)."""
    spec = run.spec
    run.manifest["validation"] = {
        "failed_checks": dict(sorted(failures.items())),
        "rows_failing": rows_failing,
        "duplicates": {"found": n_dup, "policy": spec.ingest.duplicates, "key": spec.ingest.duplicate_key},
        "reference_date": str(spec.ingest.reference_date or datetime.now(UTC).date()),
    }
    run.log(f"validated: {accepted:,} accepted, {quarantined:,} quarantined ({n_dup:,} duplicates)")


@stage("pseudonymise", needs=("records",))
def _stage_pseudonymise(run: RunState) -> None:
    """Replace identifiers with keyed pseudonyms (HMAC-SHA256) and drop the fields marked 'drop'."""
    records = records_of(run, "pseudonymise")
    private = private_fields(run.spec)
    if not private:
        run.manifest["pseudonymisation"] = {"fields": {}}
        return
    key, scope = pseudonym_key(run.spec)
    # the audit's list of what must not appear in any output: each distinct value once, as text
    for name in (name for name in private if name in records):  # as lists: a set takes them 4x quicker
        run.secrets_identifiers.update(pd.Series(records[name].dropna().unique()).astype(str).tolist())
    protected, actions = protect_fields(records, private, key, scope)
    for name, what in actions.items():
        if what.startswith("pseudonymised"):
            run.secrets_pseudonyms.update(_distinct_values(protected[name]).tolist())
    account(run, "pseudonymise", records, protected, pd.DataFrame(columns=QUARANTINE_COLUMNS))
    run.records = protected
    note_pseudonymisation(run, key, scope, actions)


def _distinct_values(values: pd.Series) -> Any:
    """The distinct values present: a categorical's categories when every one is used (pseudonyms are)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        if np.bincount(codes[codes >= 0], minlength=len(values.cat.categories)).all():
            return values.cat.categories
    return values.dropna().unique()


def pseudonym_key(spec: PipelineSpec) -> tuple[Any, str]:
    """The run's pseudonymisation key (``None`` when the spec has none: private fields are then dropped) and scope."""
    key = load_key(spec.pseudonymisation, base_dir=spec.base_dir) if spec.pseudonymisation else None
    return key, (spec.pseudonymisation.scope if spec.pseudonymisation else "")


def protect_fields(
    records: pd.DataFrame, private: dict[str, Any], key: Any, scope: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Pseudonymise (with a key) or drop (without one) the private fields; returns the records and the actions."""
    if key is not None:
        return protect_identifiers(records, private, key, scope=scope)
    return records.drop(columns=[n for n in private if n in records]), {n: "dropped" for n in private}


def note_pseudonymisation(run: RunState, key: Any, scope: str, actions: dict[str, str]) -> None:
    """The manifest entry, warning and log line of the pseudonymise stage."""
    run.manifest["pseudonymisation"] = {
        "method": "HMAC-SHA256 over scope, field and value",
        "scope": scope,
        "key_source": key.source if key else None,
        "key_fingerprint": key.fingerprint if key else None,
        "fields": actions,
    }
    if key is not None and key.is_demo:
        run.warnings.append("pseudonyms use the published DEMO key: for synthetic data only, never for real records")
    run.log(
        f"pseudonymised {sum(a.startswith('pseudonymised') for a in actions.values())} field(s); "
        f"dropped {sum(a == 'dropped' for a in actions.values())}"
    )


def private_fields(spec: PipelineSpec) -> dict[str, Any]:
    """The fields any source marks ``pseudonymise`` or ``drop``, with their column specs."""
    return {
        name: col
        for source in spec.sources.values()
        for name, col in source.column_specs().items()
        if col.privacy != "keep"
    }
