"""Pipeline stages: each binds one section of the spec to the library functions of its stage.

A stage reads and extends a :class:`RunState` (the records so far, the area tables, the quarantine, the
manifest figures) and queues its outputs; nothing is written here. :mod:`circles.pipeline.runner` runs the stages in
the spec's order, checks the row accounting, audits and writes the report folder.

With ``engine: dask`` the heavy stages (read to aggregate) are replaced by their partitioned twins in
:mod:`circles.pipeline.dask_engine`, which call the public helpers below (``read_file``, ``place``,
``publish_area_counts``...) one input file at a time, so both engines apply the same rules.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from circles.errors import CirclesError, SpecError
from circles.figures.interactive_maps import interactive_map, write_html
from circles.figures.print_maps import choropleth, save_print_map
from circles.geo.areas import Placement, assign_areas, assign_by_code, layer_from_lookup
from circles.geo.deprivation import IMD_ATTRIBUTION, deprivation_profile, read_imd
from circles.geo.geocoding import geocode
from circles.geo.layers import (
    WEB_CRS,
    AreaLayer,
    embedded_layer,
    read_area_layer,
    read_lookup,
    read_postcode_directory,
)
from circles.geo.populations import derive_population, read_population
from circles.ingest.accounting import QUARANTINE_COLUMNS, ROW_ID, Ledger, quarantine_frame
from circles.ingest.disclosure import SUPPRESSED, UNRESOLVED_ATTR, get_policy, protect_table, protect_total
from circles.ingest.pseudonyms import load_key, protect_identifiers
from circles.ingest.validate import flag_duplicates, validate_records
from circles.io.readers import map_columns, read_source, sha256_file
from circles.io.writers import atomic_path, write_csv, write_geopackage
from circles.pipeline.spec import PipelineSpec
from circles.stats.aggregate import count_by_area, count_by_area_and
from circles.stats.hotspots import GI_LABEL_COLOURS, LISA_COLOURS, getis_ord, local_moran, spatial_weights
from circles.stats.rates import COMPARISON_COLOURS, area_rates, crude_rate, empirical_bayes, proportion
from circles.validation import suggest

__all__ = [
    "RunState",
    "STAGE_FUNCTIONS",
    "prepare_inputs",
    "publish_area_tables",
    "disclosure_policy",
    # shared with the Dask engine's partitioned stages (circles.pipeline.dask_engine)
    "read_file",
    "input_files",
    "private_fields",
    "pseudonym_key",
    "protect_fields",
    "note_pseudonymisation",
    "note_validation",
    "postcode_directory",
    "note_geocoding",
    "load_layers",
    "placement_rule",
    "directory_column",
    "place",
    "unplaced_quarantine",
    "log_placement",
    "publish_area_counts",
]

COUNTS = ["records", "people"]


@dataclass
class RunState:
    spec: PipelineSpec
    log: Callable[[str], None]
    quiet: bool = False
    ledger: Ledger = field(default_factory=Ledger)
    warnings: list[str] = field(default_factory=list)
    quarantine: list[pd.DataFrame] = field(default_factory=list)
    records: pd.DataFrame | None = None
    #: Dask engine only: the records partitioned across the cluster (:class:`circles.pipeline.dask_engine.Partitions`);
    #: gathered into ``records`` only when a record-level stage after ``aggregate`` asks for them.
    partitions: Any = None
    read_ids: pd.Series | None = None
    read_files: pd.Series | None = None
    secrets_identifiers: set[str] = field(default_factory=set)
    secrets_pseudonyms: set[str] = field(default_factory=set)
    secrets_postcodes: set[str] = field(default_factory=set)
    layers: dict[str, AreaLayer] = field(default_factory=dict)
    area_tables: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    exact_counts: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    exact_totals: dict[str, dict[str, int]] = field(default_factory=dict)
    lookups: dict[str, dict[str, str]] = field(default_factory=dict)
    qualitative: dict[str, Any] = field(default_factory=dict)
    populations: dict[str, pd.Series] | None = None
    network: dict[str, Any] = field(default_factory=dict)
    challenge: dict[str, Any] = field(default_factory=dict)
    writers: dict[str, Callable[[Path], Any]] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    def publish(self, relative: str, writer: Callable[[Path], Any]) -> None:
        """Queue an output; it is written only when the whole run has succeeded."""
        self.writers[relative] = writer

    def quarantined(self, frame: pd.DataFrame) -> None:
        if len(frame):
            self.quarantine.append(frame)


# --------------------------------------------------------------------------------------------- stages


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
    mapping = {name: col.column for name, col in columns.items()}
    required = {name for name, col in columns.items() if col.required}
    table = read_source(path, expected=mapping.values(), sheet=source.sheet)
    mapped = map_columns(
        table.frame, mapping, required=required, file=str(path), repeated=table.info.get("repeated_columns", ())
    )
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


def _stage_read(run: RunState) -> None:
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


def _stage_validate(run: RunState) -> None:
    records = _need(run, "validate")
    spec = run.spec
    accepted, quarantines, failures = [], [], {}
    for source_name, source in spec.sources.items():
        # each source on its own fields: concatenation gave it blanks in the other sources' fields
        own = [c for c in records.columns if c in ("source_file", ROW_ID, "source") or c in source.column_specs()]
        mine = records.loc[records["source"] == source_name, own]
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
    _account(run, "validate", records, kept, quarantine)
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


def _stage_pseudonymise(run: RunState) -> None:
    records = _need(run, "pseudonymise")
    private = private_fields(run.spec)
    if not private:
        run.manifest["pseudonymisation"] = {"fields": {}}
        return
    key, scope = pseudonym_key(run.spec)
    run.secrets_identifiers.update(
        v for name in private if name in records for v in records[name].dropna().astype(str).unique()
    )
    protected, actions = protect_fields(records, private, key, scope)
    run.secrets_pseudonyms.update(
        v
        for name, what in actions.items()
        if what.startswith("pseudonymised")
        for v in protected[name].dropna().unique()
    )
    _account(run, "pseudonymise", records, protected, pd.DataFrame(columns=QUARANTINE_COLUMNS))
    run.records = protected
    note_pseudonymisation(run, key, scope, actions)


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


def _account(run: RunState, stage: str, before: pd.DataFrame, after: pd.DataFrame, quarantine: pd.DataFrame) -> None:
    run.ledger.record(stage, before[ROW_ID], after[ROW_ID], quarantine[ROW_ID].drop_duplicates(), before["source_file"])
    run.quarantined(quarantine)


def _stage_geocode(run: RunState) -> None:
    spec, records = run.spec, _need(run, "geocode")
    directory = postcode_directory(spec)
    run.secrets_postcodes.update(records["postcode"].dropna().astype(str).unique())
    result = geocode(records, directory, study_area=spec.geography.study_area or None)
    _account(run, "geocode", records, result.records, result.quarantine)
    run.records = result.records
    note_geocoding(run, len(directory), result.outcomes, len(records))


def postcode_directory(spec: PipelineSpec) -> pd.DataFrame:
    """The spec's postcode directory: the embedded extract, or the ONSPD/NSPL file it names."""
    path = spec.geography.postcode_directory
    return read_postcode_directory(None if path == "embedded" else spec.resolve(path))


def note_geocoding(run: RunState, directory_postcodes: int, outcomes: dict[str, int], records: int) -> None:
    """The manifest entry and log line of the geocode stage (both engines)."""
    spec = run.spec
    path = spec.geography.postcode_directory
    run.manifest["geocoding"] = {
        "postcode_directory": "embedded ONS Postcode Directory extract"
        if path == "embedded"
        else os.path.relpath(spec.resolve(path), spec.base_dir),
        "directory_postcodes": directory_postcodes,
        "outcomes": outcomes,
    }
    run.log(f"geocoded {outcomes.get('matched', 0):,} of {records:,} records")


def load_layers(run: RunState) -> None:
    """Read every declared layer; optional ones that are absent are reported, lookups built over their base."""
    found: dict[str, AreaLayer] = {}
    missing: list[str] = []
    specs = run.spec.geography.layers
    for name, layer in sorted(specs.items(), key=lambda item: item[1].lookup is not None):  # lookups last
        if layer.embedded:
            found[name] = embedded_layer(layer.embedded, layer_name=name, title=layer.title)
            continue
        path = run.spec.resolve(layer.lookup.path if layer.lookup else layer.path)
        if not path.exists():
            missing.append(name)
            run.warnings.append(f"optional layer {name!r} not found at {path}; running without it")
            continue
        if layer.lookup is None:
            found[name] = read_area_layer(
                path, code=layer.code, name=layer.name, layer_name=name, title=layer.title, layer=layer.layer
            )
            continue
        via = found.get(layer.lookup.via)
        if via is None:
            raise SpecError(
                f"geography.layers.{name}.lookup.via: no layer {layer.lookup.via!r} to build it over."
                f"{suggest(layer.lookup.via, found)}"
            )
        table = read_lookup(path, layer.lookup.from_code, layer.lookup.to_code, layer.lookup.to_name)
        run.lookups[name] = dict(zip(table[layer.lookup.from_code], table[layer.lookup.to_code], strict=True))
        found[name] = layer_from_lookup(
            via,
            table,
            from_code=layer.lookup.from_code,
            to_code=layer.lookup.to_code,
            to_name=layer.lookup.to_name,
            layer_name=name,
            title=layer.title or name,
            source=str(path),
        )
    run.layers = {name: found[name] for name in specs if name in found}  # the spec's order
    run.manifest["geography"] = {
        "layers": {
            n: {
                "title": lay.title,
                "source": _relative(lay.source, run.spec.base_dir),
                "areas": len(lay),
                "built_from_lookup": specs[n].lookup is not None,
            }
            for n, lay in run.layers.items()
        },
        "optional_layers_missing": [n for n in specs if n in missing],
    }
    optional = [n for n, s in specs.items() if s.optional]
    if optional:
        have = [n for n in optional if n in found]
        run.log(
            f"optional layers found: {', '.join(have) or 'none'}"
            + (f"; not found: {', '.join(missing)}" if missing else "")
        )


def _relative(source: str, base: Path) -> str:
    return source if source.startswith("embedded") else os.path.relpath(source, base)


def placement_rule(run: RunState, name: str, *, directory_codes: bool) -> tuple[str, str]:
    """How records are placed in layer ``name``, and why a record that cannot be is quarantined.

    ``"lookup"`` through a best-fit lookup from another layer; ``"directory"`` by the postcode directory's own
    area codes (when the layer names a directory column and the records carry any such code:
    ``directory_codes``); otherwise ``"polygon"``, point in polygon with the nearest-area fallback.
    """
    spec = run.spec.geography.layers[name]
    if spec.lookup is not None:
        return "lookup", f"its {spec.lookup.via} area is not in the lookup"
    if spec.directory and directory_codes:
        return "directory", f"the directory's {spec.directory} code is not in it"
    return "polygon", f"no area within {run.spec.geography.nearest_tolerance_m:g} m"


def directory_column(run: RunState, name: str) -> str | None:
    """The records' column holding the postcode directory's code for layer ``name``, if the layer names one."""
    spec = run.spec.geography.layers[name]
    return f"directory_{spec.directory}" if spec.directory else None


def place(
    records: pd.DataFrame,
    layer: AreaLayer,
    rule: str,
    *,
    lookup: dict[str, str] | None = None,
    via: str | None = None,
    column: str | None = None,
    tolerance_m: float = 200.0,
) -> Placement:
    """Place records in one layer by ``rule`` (see :func:`placement_rule`)."""
    if rule == "lookup":
        return assign_by_code(records, layer, records[f"{via}_code"].map(lookup))
    if rule == "directory":
        return assign_by_code(records, layer, records[column])
    return assign_areas(records, layer, tolerance_m=tolerance_m)


def unplaced_quarantine(name: str, layer: AreaLayer, unplaced: pd.DataFrame, why: str) -> pd.DataFrame:
    """Quarantine entries for records not placed in a layer, with the distance to its nearest area if known."""
    distance = unplaced["distance_m"].map(lambda d: "" if pd.isna(d) else f"; the nearest is {d:,.0f} m away")
    message = f"Not placed in {layer.title}: {why}" + distance.astype(str) + "."
    return quarantine_frame(f"assign_areas:{name}", unplaced, field="postcode", reason="outside_areas", message=message)


def log_placement(run: RunState, layer: AreaLayer, counts: dict[str, int]) -> None:
    run.log(
        f"{layer.title}: "
        + ", ".join(f"{n:,} {how}" for how, n in counts.items() if n or how in ("within", "unplaced"))
    )


def _stage_assign_areas(run: RunState) -> None:
    records = _need(run, "assign_areas")
    load_layers(run)
    placement_counts = {}
    for name, layer in run.layers.items():
        column = directory_column(run, name)
        has_codes = bool(column and column in records and records[column].notna().any())
        rule, why = placement_rule(run, name, directory_codes=has_codes)
        lookup_spec = run.spec.geography.layers[name].lookup
        result = place(
            records,
            layer,
            rule,
            lookup=run.lookups.get(name),
            via=lookup_spec.via if lookup_spec else None,
            column=column,
            tolerance_m=run.spec.geography.nearest_tolerance_m,
        )
        quarantine = unplaced_quarantine(name, layer, result.unplaced, why)
        _account(run, f"assign_areas:{name}", records, result.placed, quarantine)
        placement_counts[name] = result.counts
        records = result.placed
        log_placement(run, layer, result.counts)
    run.records = records
    run.manifest["placement"] = {
        "nearest_tolerance_m": run.spec.geography.nearest_tolerance_m,
        "by_layer": placement_counts,
    }


def _stage_aggregate(run: RunState) -> None:
    records = _need(run, "aggregate")
    if not run.layers:
        raise CirclesError("The 'aggregate' stage needs 'assign_areas' before it in the spec's stages.")
    person = run.spec.person_field
    for name, layer in run.layers.items():
        exact = count_by_area(records, layer, person=person)
        by_service = count_by_area_and(records, layer, "service", person=person)
        publish_area_counts(run, name, exact, by_service)
    run.manifest.setdefault("tables", {})["area_counts"] = {n: len(t) for n, t in run.area_tables.items()}


def publish_area_counts(run: RunState, name: str, exact: gpd.GeoDataFrame, by_service: pd.DataFrame) -> None:
    """Keep a layer's exact counts (private, for the statistics) and queue its protected tables.

    Both engines count (:func:`circles.stats.aggregate.count_by_area` or its partitioned twin) and hand the exact
    tables here, so disclosure control is applied in one place.
    """
    policy = disclosure_policy(run)
    run.exact_counts[name] = exact
    run.exact_totals[name] = {c: int(exact[c].sum()) for c in COUNTS}
    # the areas add up to the borough total, and each area's services add up to the area's records
    counts = protect_table(exact, COUNTS, policy, groups=[[]])
    by_service = protect_table(by_service, COUNTS, policy, groups=[["area_code"], ["service"]])
    for table in (counts, by_service):
        for item in table.attrs.get(UNRESOLVED_ATTR, []):
            run.warnings.append(
                f"{name}: a suppressed {item['column']} cell in group {item['group']} {item['key']} "
                "has only zero cells beside it"
            )
    run.area_tables[name] = counts
    run.publish(f"tables/{name}_by_service.csv", lambda p, t=by_service: write_csv(t, p, na_rep=SUPPRESSED))


def _stage_rates(run: RunState) -> None:
    """Rates per ``per`` population from the published counts, with intervals, against the study area's rate."""
    spec = run.spec.rates
    if not run.area_tables:
        raise CirclesError("The 'rates' stage needs 'aggregate' before it in the spec's stages.")
    populations = _populations(run)
    policy = disclosure_policy(run)
    summary = {}
    for name, population in populations.items():
        table = run.area_tables[name]
        total_count = run.exact_totals[name][spec.measure]
        benchmark = spec.per * total_count / float(population.sum()) if population.sum() else None
        rated = area_rates(
            table,
            count=spec.measure,
            population=population,
            per=spec.per,
            confidence=spec.confidence,
            benchmark=benchmark if benchmark is not None else "overall",
            policy=policy,
        )
        run.area_tables[name] = rated
        summary[name] = {
            "population": int(population.sum()),
            "study_area_rate": round(benchmark, 3) if benchmark is not None else None,
            "higher": int((rated["comparison"] == "higher").sum()),
            "lower": int((rated["comparison"] == "lower").sum()),
        }
    run.manifest["rates"] = {
        "measure": spec.measure,
        "age_band": spec.age_band,
        "per": spec.per,
        "confidence": spec.confidence,
        "method": "exact Poisson under 10, Byar from 10 (PHE); benchmark: the study area's own rate",
        "layers": summary,
    }
    run.log(f"rates per {spec.per:,} ({spec.age_band}) for {', '.join(summary) or 'no layer (no populations found)'}")


def _populations(run: RunState) -> dict[str, pd.Series]:
    """Each layer's population (age band of the spec), read or derived by best fit from another layer.

    Read once per run: the rates, deprivation and hotspots stages share it.
    """
    if run.populations is None:
        run.populations = _read_populations(run)
    return run.populations


def _read_populations(run: RunState) -> dict[str, pd.Series]:
    spec = run.spec.rates
    found: dict[str, pd.Series] = {}
    for name, pop in sorted(spec.populations.items(), key=lambda item: item[1].derive_from is not None):
        if name not in run.layers:
            continue
        if pop.path is not None:
            path = run.spec.resolve(pop.path)
            if not path.exists():
                run.warnings.append(f"population for {name!r} not found at {path}; no rates for it")
                continue
            found[name] = read_population(
                path,
                code=pop.code,
                age_band=spec.age_band,
                layout=pop.layout,
                group_column=pop.group_column,
                value_column=pop.value_column,
            )
        elif pop.derive_from in found and pop.derive_from in run.layers:
            found[name] = derive_population(found[pop.derive_from], run.layers[pop.derive_from], run.layers[name])
    for name, population in found.items():
        missing = run.layers[name].areas["area_code"][~run.layers[name].areas["area_code"].isin(population.index)]
        if len(missing):
            raise CirclesError(
                f"rates.populations.{name}: {len(missing)} area(s) of layer {name!r} have no population "
                f"(e.g. {missing.iloc[0]}); the population table must use the layer's codes and vintage."
            )
    return {n: found[n].reindex(run.layers[n].areas["area_code"]) for n in spec.populations if n in found}


def _stage_deprivation(run: RunState) -> None:
    spec = run.spec.deprivation
    if spec is None:
        run.log("stage 'deprivation' skipped: no 'deprivation:' section in the spec")
        return
    path = run.spec.resolve(spec.path)
    if not path.exists():
        run.warnings.append(f"IMD table not found at {path}; no deprivation profile")
        return
    if spec.layer not in run.area_tables:
        raise CirclesError(f"deprivation.layer: no area table {spec.layer!r}.{suggest(spec.layer, run.area_tables)}")
    imd = read_imd(path, code=spec.code, decile=spec.decile)
    measure = run.spec.rates.measure
    exact = run.exact_counts[spec.layer]
    population = _populations(run).get(spec.layer)
    if population is not None:
        exact = exact.assign(population=exact["area_code"].map(population).to_numpy())
    policy = disclosure_policy(run)
    shares = {}
    for band in ("imd_decile", "imd_quintile"):
        profile = deprivation_profile(
            exact, imd, count=measure, by=band, population="population" if population is not None else None
        ).drop(columns="share")
        profile = protect_table(profile, [measure], policy, groups=[[]])
        # shares and rates from the published counts, with Wilson and Byar/exact intervals
        published = profile[measure].astype("Float64")
        share = proportion(published, pd.Series(published.sum(), index=profile.index), confidence=0.95)
        profile[["share", "share_lower", "share_upper"]] = share.round(4).to_numpy()
        if population is not None:
            rate = crude_rate(published, profile["population"], per=run.spec.rates.per)
            profile[["rate", "rate_lower", "rate_upper"]] = rate.round(2).to_numpy()
        run.publish(
            f"tables/deprivation_{band.removeprefix('imd_')}.csv",
            lambda p, t=profile: write_csv(t, p, na_rep=SUPPRESSED),
        )
        if band == "imd_decile":
            shares = {
                "most_deprived_10pct": _share(profile, measure, profile["imd_decile"] == 1),
                "most_deprived_20pct": _share(profile, measure, profile["imd_decile"] <= 2),
            }
    table = run.area_tables[spec.layer]
    run.area_tables[spec.layer] = table.merge(imd, on="area_code", how="left")
    run.manifest["deprivation"] = {
        "source": IMD_ATTRIBUTION,
        "layer": spec.layer,
        "measure": measure,
        "share_of_cases": shares,
    }
    run.log(
        f"deprivation: {shares.get('most_deprived_10pct', 0):.0%} of {measure} live in England's most "
        "deprived 10% of neighbourhoods"
    )


def _share(profile: pd.DataFrame, column: str, mask: pd.Series) -> float | None:
    """A share from published (rounded) counts; ``None`` when any count it needs is suppressed."""
    values = profile[column]
    if values.isna().any():
        return None
    total = values.sum()
    return round(float(values[mask].sum() / total), 4) if total else 0.0


def publish_area_tables(run: RunState) -> None:
    """Queue the area tables, with every statistic the stages added, as CSV and GeoPackage."""
    tables = run.area_tables
    for name, table in tables.items():
        run.publish(
            f"tables/{name}_areas.csv",
            lambda p, t=table: write_csv(pd.DataFrame(t.drop(columns="geometry")), p, na_rep=SUPPRESSED),
        )
    if tables:
        run.publish("areas.gpkg", lambda p: write_geopackage(tables, p))
        run.publish(
            "areas_wgs84.gpkg", lambda p: write_geopackage({n: t.to_crs(WEB_CRS) for n, t in tables.items()}, p)
        )


def _stage_hotspots(run: RunState) -> None:
    """Gi* and local Moran's I on the exact values; only the classes are published.

    The statistics use exact counts (or Empirical Bayes rates from them): published counts are rounded or
    suppressed. z-scores and p-values are not published, since with every area's z-score the exact values could
    be solved for; the classes (Gi_Bin, LISA category) are.
    """
    spec = run.spec.hotspots
    if not run.area_tables:
        raise CirclesError("The 'hotspots' stage needs 'aggregate' before it in the spec's stages.")
    measure = run.spec.rates.measure
    populations = _populations(run) if spec.value == "rate" else {}
    summary = {}
    options = {"permutations": spec.permutations, "seed": spec.seed, "alpha": spec.alpha, "correction": spec.correction}
    for name in spec.layers:
        if name not in run.area_tables:
            run.warnings.append(f"hotspots: layer {name!r} not available; skipped")
            continue
        layer = run.layers[name]
        exact = run.exact_counts[name].set_index("area_code")[measure]
        weights = spatial_weights(
            layer.areas, method=spec.weights, k=spec.k, threshold=spec.threshold_m, islands=spec.islands
        )
        population = populations.get(name)
        if population is not None:
            gi = getis_ord(empirical_bayes(exact, population), weights, **options)
            lisa = local_moran(exact, weights, base=population, **options)
            tested = f"Empirical Bayes rate of {measure} per resident"
        else:
            gi = getis_ord(exact, weights, **options)
            lisa = local_moran(exact, weights, **options)
            tested = f"count of {measure}"
        table = run.area_tables[name]
        classes = gi[["gi_bin", "gi_label"]].join(lisa[["lisa_category"]])
        run.area_tables[name] = table.merge(classes, left_on="area_code", right_index=True, how="left")
        summary[name] = {
            "tested": tested,
            "weights": spec.weights,
            "islands": list(weights.islands),
            "correction": gi.attrs.get("correction"),
            "permutations": spec.permutations,
            "seed": spec.seed,
            "hot_spots": {str(b): int((gi["gi_bin"] == b).sum()) for b in (3, 2, 1)},
            "cold_spots": {str(b): int((gi["gi_bin"] == b).sum()) for b in (-3, -2, -1)},
            "lisa": {k: int(v) for k, v in lisa["lisa_category"].value_counts().sort_index().items()},
        }
        if weights.islands:
            run.warnings.append(f"hotspots: {name} has {len(weights.islands)} area(s) with no neighbours (islands)")
        run.log(
            f"hotspots ({layer.title}): {sum(summary[name]['hot_spots'].values())} hot, "
            f"{sum(summary[name]['cold_spots'].values())} cold (Gi*, {gi.attrs.get('correction')})"
        )
    run.manifest["hotspots"] = {
        "published": "classes only (Gi_Bin, LISA category); no z-scores or p-values",
        "layers": summary,
    }


_TITLES = {"people": "People in contact with services", "records": "Service records"}


def _map_plan(run: RunState, table: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The print maps one area table supports: counts always; rates, comparisons and hotspots when present."""
    measure, per, hot = run.spec.maps.measure, run.spec.rates.per, run.spec.hotspots

    def item(what: str, column: str, title: str, legend: str, **extra: Any) -> dict[str, Any]:
        return {"what": what, "column": column, "title": title, "legend": legend, **extra}

    plan = [item(measure, measure, _TITLES[measure], measure.capitalize())]
    if "rate" in table:
        plan.append(item("rate", "rate", f"{_TITLES[measure]} per {per:,} residents", f"Per {per:,} residents"))
        plan.append(
            item(
                "comparison",
                "comparison",
                "Rate compared with the whole study area (95% intervals)",
                "Compared with the study area",
                categorical=COMPARISON_COLOURS,
            )
        )
    if "gi_label" in table:
        gi_legend = f"Gi* class ({hot.correction.upper()}, {hot.permutations:,} permutations)"
        plan.append(
            item(
                "hotspots",
                "gi_label",
                "Hot and cold spots (Getis-Ord Gi*)",
                gi_legend,
                categorical=GI_LABEL_COLOURS,
                paper=run.spec.maps.paper,
            )
        )
        plan.append(
            item(
                "lisa",
                "lisa_category",
                "Clusters and outliers (local Moran's I)",
                "LISA cluster",
                categorical=LISA_COLOURS,
            )
        )
    return plan


def _stage_maps(run: RunState) -> None:
    tables = run.area_tables
    if not tables:
        raise CirclesError("The 'maps' stage needs 'aggregate' before it in the spec's stages.")
    policy = disclosure_policy(run)
    subtitle = _wrap(f"{_first_sentence(run.spec.description)}\nDisclosure control: {policy.describe()}")
    for name, table in tables.items():
        layer = run.layers[name]
        labels = "area_name" if name in run.spec.maps.labels else None
        for item in _map_plan(run, table):
            for paper in item.get("paper", run.spec.maps.paper[:1]):
                orientation = "portrait" if paper == "A4" else "landscape"
                figure = choropleth(
                    table,
                    item["column"],
                    title=f"{item['title']} by {layer.title}",
                    subtitle=subtitle,
                    paper=paper,
                    orientation=orientation,
                    labels=labels,
                    categorical=item.get("categorical"),
                    legend_title=item["legend"],
                )
                stem = f"maps/{name}_{item['what']}_{paper.lower()}"
                run.publish(stem + ".pdf", lambda p, f=figure: _save_map(f, p))


def _save_map(figure: Any, path: Path) -> None:
    """Write a print map as PDF and 300 dpi PNG beside it, then free the figure."""
    import matplotlib.pyplot as plt

    save_print_map(figure, path.with_suffix(""))
    plt.close(figure)


def _stage_interactive_maps(run: RunState) -> None:
    tables = run.area_tables
    if not tables:
        raise CirclesError("The 'interactive_maps' stage needs 'aggregate' before it in the spec's stages.")
    titles = {n: run.layers[n].title for n in tables}
    measure = run.spec.maps.measure
    views = [(measure, None, _TITLES[measure])]
    if any("rate" in t for t in tables.values()):
        views.append(("rate", None, f"{_TITLES[measure]} per {run.spec.rates.per:,} residents"))
    if any("gi_label" in t for t in tables.values()):
        views.append(("gi_label", GI_LABEL_COLOURS, "Hot and cold spots (Getis-Ord Gi*)"))
    for column, categorical, title in views:
        chosen = {n: t for n, t in tables.items() if column in t}
        figure = interactive_map(chosen, column=column, title=title, titles=titles, categorical=categorical)
        run.publish(
            f"maps/interactive_{column.removeprefix('gi_')}.html",
            lambda p, f=figure: write_html(f, p, plotlyjs="alongside"),
        )


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".")


def _wrap(text: str, width: int = 95) -> str:
    return "\n".join(textwrap.fill(line, width) for line in text.splitlines())


def _records_if_any(run: RunState, stage: str) -> pd.DataFrame | None:
    """The records when the run read any (gathered from the cluster by the Dask engine), else ``None``."""
    if run.records is None and run.partitions is not None and run.partitions.files:
        return _need(run, stage)
    return run.records


def _need(run: RunState, stage: str) -> pd.DataFrame:
    if run.records is None and run.partitions is not None:
        run.records = run.partitions.collect()
        run.log(f"{stage}: gathered {len(run.records):,} records from the cluster")
    if run.records is None:
        raise CirclesError(f"The {stage!r} stage needs 'read' before it in the spec's stages.")
    return run.records


def disclosure_policy(run: RunState):
    d = run.spec.disclosure
    return get_policy(d.policy, suppress_below=d.suppress_below, round_to=d.round_to)


def _stage_coding(run: RunState) -> None:
    """Code the notes: manual codings, then rules, then machine suggestions; publish the analysis."""
    from circles.qualitative import analysis, coding
    from circles.qualitative.codebook import codebook_markdown, codebook_table, read_codebook
    from circles.qualitative.model import SEGMENT_COLUMNS, empty_segments
    from circles.qualitative.refi import export_codebook, export_project
    from circles.qualitative.sources import all_units, read_sources

    spec = run.spec.coding
    if spec is None:
        run.log("stage 'coding' skipped: no 'coding:' section in the spec")
        return
    resolve = run.spec.resolve
    codebook = read_codebook(resolve(spec.codebook))
    sources = {s.id: s for s in read_sources(resolve(spec.sources), text_column=spec.text_column)}
    units = all_units(sources.values(), spec.unit)
    turns = all_units(sources.values(), "turn")
    parts = [coding.read_codings(resolve(spec.codings), sources, codebook)] if spec.codings else []
    preview = pd.DataFrame()
    if spec.rules:
        preview = coding.preview_rules(units, coding.read_rules(resolve(spec.rules), codebook))
        parts.append(coding.apply_rules(preview, sources))
    codings = pd.concat(parts, ignore_index=True) if parts else empty_segments()
    quality = pd.DataFrame()
    if spec.suggest and len(codings):
        model = coding.train_suggester(units, codings, codebook)
        quality = model.quality
        suggestions = coding.suggest_codes(model, units, sources, threshold=spec.suggestion_threshold, existing=codings)
        codings = pd.concat([codings, suggestions], ignore_index=True)
        queue = coding.review_queue(suggestions)[SEGMENT_COLUMNS]
        run.publish("coding/review_queue.csv", lambda p, t=queue: write_csv(t, p))
        run.publish("coding/suggestion_quality.csv", lambda p, t=quality: write_csv(t, p))
    coders = sorted(set(codings.loc[codings["status"] == "accepted", "coder"]) - {"rules", "machine"})
    agreement_summary = {}
    if len(coders) >= 2:
        from circles.qualitative.reliability import agreement, disagreements

        human = codings[codings["coder"].isin(coders)]
        shared = human.groupby("source_id")["coder"].nunique()
        double = units[units["source_id"].isin(shared.index[shared >= 2])]
        table = agreement(human, double, coders=coders, codes=codebook)
        run.publish("coding/agreement.csv", lambda p, t=table: write_csv(t, p))
        differ = disagreements(human, double, coders=coders, codes=codebook)
        run.publish("coding/disagreements.csv", lambda p, t=differ: write_csv(t, p))
        pooled = table.iloc[-1]
        agreement_summary = {
            "coders": coders,
            "sources": int(double["source_id"].nunique()),
            "unit": spec.unit,
            "percent_agreement": pooled["percent_agreement"],
            "cohen_kappa": pooled["cohen_kappa"],
            "krippendorff_alpha": pooled["krippendorff_alpha"],
        }
    policy = disclosure_policy(run)
    counts = analysis.code_counts(codings, turns, sources, codebook)
    summary = analysis.dimension_summary(counts, codebook)
    run.qualitative = {"codebook": codebook, "sources": sources, "codings": codings, "summary": summary}
    published = {
        "coding/codebook.csv": codebook_table(codebook),
        "coding/codings.csv": codings[SEGMENT_COLUMNS],
        "coding/code_counts.csv": protect_table(counts, ["participants"], policy),
        "coding/dimension_summary.csv": protect_table(summary, ["participants"], policy),
        "coding/cooccurrence.csv": analysis.cooccurrence(codings, turns, codebook),
        "coding/quote_bank.csv": analysis.quote_bank(codings, turns, sources, codebook, attributes=spec.attributes),
    }
    if not preview.empty:
        published["coding/rules_preview.csv"] = preview
    for attribute in spec.attributes:
        by = analysis.code_counts(codings, turns, sources, codebook, by=attribute)
        published[f"coding/code_counts_by_{attribute.lower()}.csv"] = protect_table(by, ["participants"], policy)
    for relative, table in published.items():
        run.publish(relative, lambda p, t=table: write_csv(t, p, na_rep=SUPPRESSED))
    chart = analysis.summary_chart(summary, codebook, title="Needs, barriers, aspirations and fears raised")
    run.publish("coding/dimension_summary.pdf", lambda p, f=chart: _save_map(f, p))
    markdown = codebook_markdown(codebook)
    run.publish("coding/codebook.md", lambda p, text=markdown: _write_text(p, text))
    if spec.refi_export:
        accepted = codings[codings["status"] == "accepted"]
        run.publish("coding/codebook.qdc", lambda p: export_codebook(codebook, p))
        run.publish(
            "coding/project.qdpx",
            lambda p: export_project(
                p, codebook=codebook, sources=list(sources.values()), segments=accepted, project_name=run.spec.name
            ),
        )
    status = codings["status"].value_counts()
    run.manifest["coding"] = {
        "sources": len(sources),
        "units": len(units),
        "unit": spec.unit,
        "codes": len(codebook),
        "codings": {
            coder: int(n)
            for coder, n in codings[codings["status"] == "accepted"]["coder"].value_counts().sort_index().items()
        },
        "suggestions": {k: int(v) for k, v in status.items() if k != "accepted"},
        "suggestion_quality": quality.dropna(subset=["precision"]).to_dict("records") if len(quality) else [],
        "agreement": agreement_summary,
    }
    run.log(
        f"coding: {len(sources)} sources, {int(status.get('accepted', 0))} codings, "
        f"{int(status.get('suggested', 0))} suggestions to review"
    )


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _stage_network(run: RunState) -> None:
    """Which agencies serve the same families: the overlap network, its communities, families in many services."""
    from circles.challenge import network

    records = _need(run, "network")
    spec = run.spec.network
    for column in (spec.family_field, spec.service_field):
        if column not in records:
            raise CirclesError(f"network: the records have no field {column!r}.{suggest(column, records.columns)}")
    keys = {"family": spec.family_field, "service": spec.service_field}
    policy = disclosure_policy(run)
    edges = network.service_overlap(records, min_shared=spec.min_shared, **keys)
    caseloads = network.service_caseloads(records, **keys)
    graph = network.overlap_graph(edges, caseloads, weight=spec.weight)
    measures = network.network_measures(graph, weight=spec.weight, seed=spec.seed)
    many = network.families_in_many(records, **keys)
    combos = network.service_combinations(records, spec.combinations, **keys)
    published = {
        "network/service_pairs.csv": network.publishable_edges(edges, policy),
        "network/services.csv": network.publishable_measures(measures, policy, weight=spec.weight),
        "network/families_in_many_services.csv": protect_table(many, ["families", "all_families"], policy),
        "network/combinations.csv": protect_table(combos.drop(columns="services"), ["families"], policy),
    }
    for relative, table in published.items():
        run.publish(relative, lambda p, t=table: write_csv(t, p, na_rep=SUPPRESSED))
    title = "Services that work with the same families"
    figure = network.network_figure(graph, measures, title=title, policy=policy, seed=spec.seed)
    run.publish("network/network_a3.pdf", lambda p, f=figure: _save_map(f, p))
    html = network.network_html(graph, measures, title=title, policy=policy, seed=spec.seed)
    run.publish("network/network.html", lambda p, f=html: write_html(f, p, plotlyjs="alongside"))
    upset = network.combinations_figure(combos, policy=policy)
    run.publish("network/combinations.pdf", lambda p, f=upset: _save_map(f, p))
    many_published = published["network/families_in_many_services.csv"]
    run.network = {"pairs": published["network/service_pairs.csv"], "many": many_published}
    run.manifest["network"] = {
        "services": int(graph.number_of_nodes()),
        "pairs": int(graph.number_of_edges()),
        "weight": spec.weight,
        "communities": sorted(measures["community_name"].unique().tolist()) if "community_name" in measures else [],
        "families_in_many_services": {
            int(r.min_services): (None if pd.isna(r.families) else int(r.families)) for r in many_published.itertuples()
        },
    }
    run.log(f"network: {graph.number_of_nodes()} services, {graph.number_of_edges()} pairs sharing families")


def _directory(run: RunState) -> tuple[Any, Any]:
    """The service directory and the codebook its needs refer to, read once per run."""
    from circles.challenge import services
    from circles.qualitative.codebook import read_codebook

    if "directory" not in run.challenge:
        spec = run.spec.services
        if spec is None:
            raise CirclesError("This stage needs a 'services:' section (the service directory) in the spec.")
        codebook = run.qualitative.get("codebook")
        if codebook is None and run.spec.coding is not None:
            codebook = read_codebook(run.spec.resolve(run.spec.coding.codebook))
        path = run.spec.resolve(spec.directory)
        reader = {
            "yaml": services.read_services_yaml,
            "hsds": services.import_hsds,
            "open_referral": services.import_open_referral,
        }[spec.format]
        run.challenge["directory"] = reader(path, codebook=codebook)
        run.challenge["codebook"] = codebook
        if spec.export_hsds:
            run.publish(
                "services/datapackage.json", lambda p, d=run.challenge["directory"]: services.export_hsds(d, p.parent)
            )
    return run.challenge["directory"], run.challenge["codebook"]


def _stage_circle(run: RunState) -> None:
    """The circle of need: the segment, its needs, barriers, aspirations and fears, the services, the providers."""
    from circles.challenge import services
    from circles.challenge.circle import circle_figure, circle_html, circle_layout

    summary = run.qualitative.get("summary")
    if summary is None:
        raise CirclesError("The 'circle' stage needs the 'coding' stage before it (ring 1 is what people raised).")
    directory, codebook = _directory(run)
    spec = run.spec.services
    items = summary[summary["dimension"] != "provider view"][["code_id", "name", "dimension", "segments"]]
    links = services.needs_met(directory, codebook)
    links = links[links["code_id"].isin(items["code_id"])][["code_id", "service_id", "service_name", "organisation"]]
    layout = circle_layout(items, links, duplication_at=spec.duplication_at)
    title = "The circle of need"
    figure = circle_figure(layout, title=title, segment=spec.segment, paper="A3")
    run.publish("circle/circle_of_need_a3.pdf", lambda p, f=figure: _save_map(f, p))
    html = circle_html(layout, title=title, segment=spec.segment)
    run.publish("circle/circle_of_need.html", lambda p, f=html: write_html(f, p, plotlyjs="alongside"))
    status = layout.items["status"].value_counts()
    run.manifest["circle"] = {
        "items": len(layout.items),
        "services": len(layout.services),
        "providers": len(layout.providers),
        "status": {k: int(v) for k, v in status.items()},
    }
    run.log(
        f"circle of need: {len(layout.items)} items, {len(layout.services)} services, "
        f"{int(status.get('unmet', 0))} unmet"
    )


def _stage_challenge(run: RunState) -> None:
    """The six challenge questions, answered with the evidence the run found."""
    from circles.challenge import services
    from circles.challenge.findings import challenge_questions, need_findings

    directory, codebook = _directory(run)
    spec = run.spec.services
    summary = run.qualitative.get("summary")
    coverage = services.need_coverage(
        directory, codebook, duplication_threshold=spec.duplication_at, dimensions=["need", "aspiration"]
    )
    findings = need_findings(coverage, summary)
    crisis = None
    records = _records_if_any(run, "challenge")
    if records is not None and "referral_source" in records:
        policy = disclosure_policy(run)
        counted = pd.DataFrame({"n": [int(records["referral_source"].isin(spec.crisis_referrals).sum()), len(records)]})
        published = protect_table(counted, ["n"], policy)["n"]
        if published.notna().all() and published.iloc[1]:
            crisis = float(published.iloc[0] / published.iloc[1])
    many = run.network.get("many")
    hot = run.manifest.get("hotspots", {}).get("layers", {})
    statement = "; ".join(
        f"{name}: {sum(v['hot_spots'].values())} area(s) hot" for name, v in hot.items() if v.get("hot_spots")
    )
    answers = challenge_questions(
        findings,
        summary=summary,
        many_services=None
        if many is None
        else {int(r.min_services): (None if pd.isna(r.families) else int(r.families)) for r in many.itertuples()},
        top_pairs=run.network.get("pairs"),
        hotspots={"statement": f"Gi* hot spots ({statement})."} if statement else None,
        deprivation_share=run.manifest.get("deprivation", {}).get("share_of_cases", {}).get("most_deprived_10pct"),
        crisis_referrals=crisis,
    )
    columns = [
        c
        for c in (
            "code_id",
            "name",
            "dimension",
            "segments",
            "n_services",
            "services",
            "out_of_hours_services",
            "status",
            "out_of_hours_gap",
            "finding",
        )
        if c in findings
    ]
    run.publish("challenge/needs.csv", lambda p, t=findings[columns]: write_csv(t, p))
    run.publish("challenge/questions.csv", lambda p, t=answers: write_csv(t, p))
    markdown = "\n\n".join(f"## {r.number}. {r.question}\n\n{r.evidence}" for r in answers.itertuples())
    run.publish(
        "challenge/questions.md", lambda p, text="# Challenge questions\n\n" + markdown + "\n": _write_text(p, text)
    )
    run.manifest["challenge"] = {
        "unmet": findings.loc[findings["n_services"] == 0, "code_id"].tolist(),
        "possible_duplication": findings.loc[findings["status"] == "possible duplication", "code_id"].tolist(),
        "office_hours_only": findings.loc[findings["out_of_hours_gap"].astype(bool), "code_id"].tolist(),
    }
    run.log(
        f"challenge: {len(run.manifest['challenge']['unmet'])} unmet need(s), "
        f"{len(run.manifest['challenge']['possible_duplication'])} with possible duplication"
    )


def _stage_costs(run: RunState) -> None:
    """Prevalence by area, treatment penetration, the cost of the problem, and what sustained change saves."""
    from circles.costs import estimates as prevalence
    from circles.costs import model as costs

    spec = run.spec.costs
    if spec is None:
        run.log("stage 'costs' skipped: no 'costs:' section in the spec")
        return
    model = costs.read_cost_model(run.spec.resolve(spec.model))
    policy = disclosure_policy(run)
    totals = costs.sector_totals(model, total_row=True)
    total = float(model.lines["annual_cost"].sum())
    published: dict[str, pd.DataFrame] = {
        "costs/cost_lines.csv": model.lines.drop(columns=[c for c in ("line_number",) if c in model.lines]),
        "costs/sector_totals.csv": totals.reset_index(),
    }
    summary: dict[str, Any] = {"model": spec.model.name, "total": costs.format_gbp(total)}
    population = _age_band_population(run, spec.layer, spec.adult_age_band)
    if population is not None:
        estimates = prevalence.prevalence(population, spec.prevalence)
        published[f"costs/prevalence_{spec.layer}.csv"] = estimates.round().astype("int64").reset_index()
        need = estimates[spec.need]
        children = _age_band_population(run, spec.layer, spec.child_age_band)
        borough_need = float(need.sum())
        summary["prevalence"] = {
            c: int(estimates[c].sum())
            for c in estimates.columns
            if c != "population" and not c.endswith(("_lower", "_upper"))
        }
        if children is not None and "misusing" in estimates:
            summary["children_affected"] = int(
                round(
                    prevalence.children_affected(
                        float(population.sum()), float(children.sum()), float(estimates["misusing"].sum())
                    )
                )
            )
        treated = _treated_by_area(run, spec)
        if treated is not None:
            # by area from the published counts; the whole borough from the exact total, then protected
            protected = protect_table(treated.rename("in_treatment").reset_index(), ["in_treatment"], policy)
            counts = protected.set_index("area_code")["in_treatment"].astype("Float64")
            shown = counts.notna().to_numpy()
            by_area = prevalence.treatment_penetration(counts[shown].astype(float), need[counts.index[shown]])
            by_area = by_area.drop(index="all areas").reindex(counts.index)
            by_area["in_treatment"] = counts
            by_area["need"] = need.reindex(counts.index)
            overall_count, suppressed = protect_total(treated, policy)
            overall = prevalence.treatment_penetration(float(overall_count or 0), borough_need)
            overall.index = ["all areas"]
            if suppressed:
                overall[["in_treatment", "penetration", "lower", "upper"]] = np.nan
            penetration = pd.concat([by_area, overall])
            published[f"costs/treatment_penetration_{spec.layer}.csv"] = penetration.reset_index(names="area_code")
            summary["treatment_penetration"] = round(float(overall["penetration"].iloc[0]), 4)
        per_case = costs.cost_per_case(total, borough_need)
        published[f"costs/apportioned_{spec.layer}.csv"] = (
            costs.apportion(total, need).rename("annual_cost").reset_index()
        )
    else:
        per_case = None
        run.warnings.append(
            f"costs: no population for layer {spec.layer!r}; no prevalence, penetration or per-case cost"
        )
    if per_case is not None:
        scenarios = costs.savings_scenarios(
            per_case, spec.scenarios, years=spec.years, discount_rate=spec.discount_rate
        )
        # a scenario's number of people is an assumption, not a count of anyone in the data
        published["costs/scenarios.csv"] = costs.scenario_table(scenarios).rename(
            columns={"People": "Assumed number sustaining change"}
        )
        summary["cost_per_case"] = costs.format_gbp(per_case)
    for relative, table in published.items():
        run.publish(relative, lambda p, t=table: write_csv(t, p, na_rep=SUPPRESSED))
    chart = costs.cost_chart(model, title="The annual cost of the problem, by sector")
    run.publish("costs/cost_by_sector.pdf", lambda p, f=chart: _save_map(f, p))
    run.manifest["costs"] = summary | {"prevalence_rates": spec.prevalence, "age_band": spec.adult_age_band}
    run.log(f"costs: {summary['total']} a year" + (f"; {summary['cost_per_case']} per case" if per_case else ""))


def _age_band_population(run: RunState, layer: str, age_band: str) -> pd.Series | None:
    """A layer's population for one age band, from the population file the spec declares for it."""
    pop = run.spec.rates.populations.get(layer)
    if pop is None or pop.path is None or layer not in run.layers:
        return None
    path = run.spec.resolve(pop.path)
    if not path.exists():
        return None
    series = read_population(
        path,
        code=pop.code,
        age_band=age_band,
        layout=pop.layout,
        group_column=pop.group_column,
        value_column=pop.value_column,
    )
    return series.reindex(run.layers[layer].areas["area_code"]).fillna(0).astype("int64")


def _treated_by_area(run: RunState, spec: Any) -> pd.Series | None:
    """Distinct people in treatment services per area (exact; protected by the caller)."""
    records = _records_if_any(run, "costs")
    code = f"{spec.layer}_code"
    if records is None or code not in records or "service" not in records:
        return None
    treated = records[records["service"].isin(spec.in_treatment)]
    counts = treated.groupby(code, observed=True)[run.spec.person_field].nunique()
    counts = counts.reindex(run.layers[spec.layer].areas["area_code"], fill_value=0).astype("int64")
    counts.index.name = "area_code"
    return counts


STAGE_FUNCTIONS: dict[str, Callable[[RunState], None]] = {
    "read": _stage_read,
    "validate": _stage_validate,
    "pseudonymise": _stage_pseudonymise,
    "geocode": _stage_geocode,
    "assign_areas": _stage_assign_areas,
    "aggregate": _stage_aggregate,
    "rates": _stage_rates,
    "deprivation": _stage_deprivation,
    "hotspots": _stage_hotspots,
    "maps": _stage_maps,
    "interactive_maps": _stage_interactive_maps,
    "coding": _stage_coding,
    "network": _stage_network,
    "circle": _stage_circle,
    "challenge": _stage_challenge,
    "costs": _stage_costs,
}


# --------------------------------------------------------------------------------------------- run
