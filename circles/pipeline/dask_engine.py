"""The Dask engine: the heavy stages partitioned on a Dask cluster, one partition per input file.

``engine: dask`` in a pipeline spec (or ``circles run --engine dask``) runs ``read``, ``validate``,
``pseudonymise``, ``geocode``, ``assign_areas`` and ``aggregate`` on Dask (``dask.dataframe``,
``dask-geopandas`` and the ``distributed`` scheduler). Every other stage works on the small area tables in
pandas and esda, as with the default engine. The answers are the same: ``tests/pipeline/test_dask_engine.py`` runs both
engines and compares the row accounting, the quarantine and every table.

How each heavy stage is partitioned
-----------------------------------
- **Partitions are input files.** A row keeps its id (file and physical line), and each file's
  read = accepted + quarantined is checked where the file is, on its worker. The per-row work calls the
  functions the pandas engine calls (:func:`circles.pipeline.stages.read_file`,
  :func:`circles.ingest.validate.validate_records`, :func:`circles.ingest.pseudonyms.protect_identifiers`,
  :func:`circles.geo.geocoding.geocode`), so the rules cannot drift.
  A single very large file is a single partition: split such extracts (by month or area) before the run.
- **Duplicates** are the one rule that crosses files. Each row's duplicate key is hashed on its worker and the
  hashes are counted with ``dask.dataframe`` (``value_counts``); only rows whose hash repeats are gathered and
  decided by :func:`circles.ingest.validate.flag_duplicates`, in the pandas engine's order (source, file, line). A
  hash collision can only add a row to that check, never decide it.
- **Geocoding** is a broadcast join: the postcode directory is scattered to every worker once and each
  partition probes it.
- **Placing in areas** uses the directory's or a lookup's own area codes when the layer has them; otherwise
  ``dask_geopandas.sjoin`` (point within polygon). That join returns only points that match (inner join), so
  the records it leaves out are found by an anti-join on their row id and go through the nearest-area fallback
  of :func:`circles.geo.areas.assign_areas`, or to the quarantine: nothing is lost.
- **Area counts** are ``dask.dataframe`` group-bys, a layer at a time: the records counted by tree
  reductions into one partition (``size``, ``split_out=1``: a row an area, or an area and service), the people
  (``nunique``) too up to a million records, above which the area-person pairs are shuffled between the workers
  (a tree would hold every distinct pair in one), shaped by :func:`circles.stats.aggregate.area_table` exactly
  as the pandas engine's counts are.

Record-level stages after ``aggregate`` (``network``, ``costs``) gather the records from the cluster when a spec
asks for them.

The cluster
-----------
With no scheduler address a :class:`distributed.LocalCluster` of worker *processes* (one per core) is started
for the run and closed after it. Its workers never spill to disk: the records are special-category personal
data, so they stay in memory as they do with the pandas engine. ``dask: {scheduler: tcp://host:8786}`` in the
spec, or ``--scheduler``, connects to a running cluster instead; run that cluster inside the environment
approved for the data, with TLS between its machines, and install circles on every worker.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from circles.errors import CirclesError
from circles.geo.areas import Placement, assign_areas, points_from_grid
from circles.geo.geocoding import geocode
from circles.geo.layers import AreaLayer
from circles.ingest.accounting import QUARANTINE_COLUMNS, ROW_ID, Ledger, StageAccount, check_partition
from circles.ingest.validate import flag_duplicates, validate_records
from circles.pipeline.dask_cluster import LOCAL_WORKER_CONFIG, dask_client, local_cluster, uses_dask
from circles.pipeline.spec import PipelineSpec
from circles.pipeline.stages import (
    RunState,
    carried_area_codes,
    directory_column,
    input_files,
    load_layers,
    log_placement,
    note_geocoding,
    note_pseudonymisation,
    note_validation,
    place,
    placement_rule,
    postcode_directory,
    private_fields,
    protect_fields,
    pseudonym_key,
    publish_area_counts,
    read_file,
    unplaced_quarantine,
)
from circles.stats.aggregate import area_by_table, area_table

__all__ = ["Partitions", "DASK_STAGES", "LOCAL_WORKER_CONFIG", "dask_client", "local_cluster", "uses_dask"]


# ----------------------------------------------------------------------------------------- the partitions


@dataclass
class Partitions:
    """The records of a run held on a Dask cluster: one pandas (Geo)DataFrame per input file.

    Attributes
    ----------
    client : distributed.Client
    files : list of str
        Input file names in the pandas engine's order (the spec's sources, then file names).
    sources : list of str
        The source each file belongs to.
    parts : list of distributed.Future
        The records of each file, as far as the run has taken them.
    read_ids : list of distributed.Future
        Every row id read from each file, for the whole-run check.
    """

    client: Any
    files: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    parts: list[Any] = field(default_factory=list)
    read_ids: list[Any] = field(default_factory=list)

    def map(self, function: Any, *args: Any, **kwargs: Any) -> list[Any]:
        """Run ``function(part, *args)`` on every partition; it returns ``(records, small)``.

        The new records stay on the workers (they replace :attr:`parts`); the small results (quarantine,
        accounting, counts) are gathered and returned in partition order.
        """
        client = self.client
        results = [client.submit(function, part, *args, pure=False, **kwargs) for part in self.parts]
        self.parts = [client.submit(operator.itemgetter(0), r, pure=False) for r in results]
        return _gather_each([client.submit(operator.itemgetter(1), r, pure=False) for r in results])

    def worker_memory(self) -> dict[str, list[int]]:
        """Each worker's memory in MB: now, and its peak since it started (for the manifest's stage timings)."""
        figures = self.client.run(_memory_mb)
        return {
            "worker_mb": sorted(f[0] for f in figures.values()),
            "worker_peak_mb": sorted(f[1] for f in figures.values()),
        }

    def collect(self) -> pd.DataFrame:
        """All records in one pandas frame, in the pandas engine's row order (pseudonyms stay categorical)."""
        frames = self.client.gather(self.parts)
        out = pd.concat(frames, ignore_index=True)
        for column in out.columns:
            pieces = [f[column] for f in frames if column in f]
            if pieces and all(isinstance(p.dtype, pd.CategoricalDtype) for p in pieces):
                # categories in order of first appearance across the files, as one factorisation would give
                seen = [p.cat.categories.to_series() for p in pieces if len(p.cat.categories)]
                categories = pd.unique(pd.concat(seen, ignore_index=True)) if seen else []
                out[column] = pd.Categorical(out[column], categories=categories)
        return _with_geometry(out)

    def whole_run(self, quarantine: pd.DataFrame) -> dict[str, int]:
        """Check read = accepted + quarantined file by file (on the workers) and return the run's totals."""
        quarantined = quarantine.drop_duplicates(ROW_ID)
        by_file = {name: ids for name, ids in quarantined.groupby("file", sort=False)[ROW_ID]}
        empty = pd.Series([], dtype=str)
        checks = [
            self.client.submit(_whole_run_check, name, ids, part, by_file.get(name, empty), pure=False)
            for name, ids, part in zip(self.files, self.read_ids, self.parts, strict=True)
        ]
        totals = np.sum(self.client.gather(checks), axis=0) if checks else np.zeros(3, dtype=int)
        known = set(self.files)
        stray = [f for f in by_file if f not in known]
        if stray:
            raise CirclesError(f"quarantine entries name files the run did not read: {', '.join(stray[:5])}")
        return {"read": int(totals[0]), "accepted": int(totals[1]), "quarantined": int(totals[2])}


def _gather_each(futures: list[Any]) -> list[Any]:
    """Gather results in order, each as soon as it is ready, so a worker can free it while others still run."""
    from distributed import as_completed

    order = {future.key: i for i, future in enumerate(futures)}
    out: list[Any] = [None] * len(futures)
    arriving = as_completed(futures, with_results=True)
    futures.clear()  # as_completed holds the only references now
    for future, result in arriving:
        out[order[future.key]] = result
    return out


def _memory_mb() -> tuple[int, int]:
    """This process's resident memory and its peak, in MB (the peak from ``resource``, where the OS has it)."""
    import psutil

    now = psutil.Process().memory_info().rss / 2**20
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    except ImportError:  # pragma: no cover - not on Windows
        peak = now
    return round(now), round(max(peak, now))


def _whole_run_check(name: str, read_ids: pd.Series, part: pd.DataFrame, quarantined: pd.Series) -> list[int]:
    check_partition(f"whole run, {name}", read_ids, part[ROW_ID], quarantined)
    return [len(read_ids), len(part), len(quarantined)]


def _entries(stage: str, before: pd.DataFrame, after: pd.DataFrame, quarantine: pd.DataFrame) -> list[StageAccount]:
    """One partition's accounting for a stage, checked where the rows are.

    See :class:`circles.ingest.accounting.Ledger`.
    """
    ledger = Ledger()
    ledger.record(stage, before[ROW_ID], after[ROW_ID], quarantine[ROW_ID].drop_duplicates(), before["source_file"])
    return ledger.entries


def _ledger(run: RunState, smalls: list[dict[str, Any]]) -> None:
    """Add the partitions' accounting to the run's ledger, in the pandas engine's order (by file name)."""
    entries = [e for small in smalls for e in small["entries"]]
    run.ledger.entries.extend(sorted(entries, key=lambda e: e.file))


def _quarantine(run: RunState, smalls: list[dict[str, Any]]) -> pd.DataFrame:
    frames = [s["quarantine"] for s in smalls if len(s["quarantine"])]
    quarantine = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=QUARANTINE_COLUMNS)
    run.quarantined(quarantine)
    return quarantine


def _partitions(run: RunState, stage: str) -> Partitions:
    # the spec's stage check puts 'read' first; only the engine's own ordering is checked here
    if run.records is not None:  # pragma: no cover - record-level stages run after the partitioned ones
        raise CirclesError(f"The {stage!r} stage must come before any record-level stage in the spec's stages.")
    return run.partitions


# --------------------------------------------------------------------------------------------------- read


def _read_file(spec: PipelineSpec, source_name: str, path: Path) -> tuple[tuple[pd.DataFrame, pd.Series], dict]:
    records, quarantine, entry = read_file(spec, source_name, path)
    unreadable = pd.Series(quarantine[ROW_ID].unique(), dtype=object)
    read_ids = pd.concat([records[ROW_ID], unreadable], ignore_index=True).astype("string[pyarrow]")
    ledger = Ledger()
    files = np.full(len(read_ids), path.name, dtype=object)
    ledger.record("read", read_ids, records[ROW_ID], quarantine[ROW_ID].drop_duplicates(), files)
    return (records, read_ids), {"quarantine": quarantine, "entry": entry, "entries": ledger.entries}


def _stage_read(run: RunState) -> None:
    parts = run.partitions
    client = parts.client
    files = input_files(run.spec)
    results = [client.submit(_read_file, run.spec, source, path, pure=False) for source, path in files]
    pairs = [client.submit(operator.itemgetter(0), r, pure=False) for r in results]
    smalls = _gather_each([client.submit(operator.itemgetter(1), r, pure=False) for r in results])
    del results
    parts.files = [path.name for _, path in files]
    parts.sources = [source for source, _ in files]
    parts.parts = [client.submit(operator.itemgetter(0), p, pure=False) for p in pairs]
    parts.read_ids = [client.submit(operator.itemgetter(1), p, pure=False) for p in pairs]
    _ledger(run, smalls)
    quarantine = _quarantine(run, smalls)
    for small in smalls:
        if small["entry"]["rows"] == 0:
            run.warnings.append(f"{small['entry']['file']}: a header and no rows")
    run.manifest["inputs"] = [s["entry"] for s in smalls]
    n_read = sum(e.read for s in smalls for e in s["entries"])
    run.log(
        f"read {n_read:,} rows from {len(files)} file(s) on {len(client.scheduler_info()['workers'])} Dask "
        f"worker(s); {quarantine[ROW_ID].nunique():,} unreadable"
    )


# ----------------------------------------------------------------------------------------------- validate


def _validate(part: pd.DataFrame, columns: dict[str, Any], today: Any) -> tuple[tuple, dict]:
    result = validate_records(part, columns, today=today)
    before = pd.DataFrame({"source_file": part["source_file"], ROW_ID: part[ROW_ID]})
    small = {"quarantine": result.quarantine, "failures": result.failures, "dtypes": dict(result.records.dtypes)}
    return (result.records, before, result.quarantine), small


def _normalised_keys(records: pd.DataFrame, present: list[str]) -> pd.DataFrame:
    """The duplicate key as :func:`circles.ingest.validate.flag_duplicates` compares it.

    Text without case or surrounding spaces, dates as dates (written ISO 8601), missing as missing.
    """
    columns = {}
    for key in present:
        if key not in records:
            columns[key] = pd.Series(pd.NA, index=records.index, dtype="string")
        elif pd.api.types.is_datetime64_any_dtype(records[key]):
            columns[key] = records[key].dt.strftime("%Y-%m-%dT%H:%M:%S.%f").astype("string")
        else:
            columns[key] = records[key].astype("string").str.strip().str.lower()
    return pd.DataFrame(columns, index=records.index)


def _key_hashes(validated: tuple, present: list[str]) -> pd.Series:
    records = validated[0]
    if records.empty:
        return pd.Series([], dtype="uint64", name="key")
    return pd.util.hash_pandas_object(_normalised_keys(records, present), index=False).rename("key")


def _repeated_rows(validated: tuple, present: list[str], repeated: np.ndarray, number: int) -> pd.DataFrame:
    """The rows of one partition whose key hash repeats somewhere in the run, with their global order."""
    records = validated[0]
    if records.empty or not len(repeated):
        return pd.DataFrame()
    hashes = pd.util.hash_pandas_object(_normalised_keys(records, present), index=False)
    mask = hashes.isin(repeated).to_numpy()
    keys = _normalised_keys(records.loc[mask], present)
    keys.insert(0, ROW_ID, records.loc[mask, ROW_ID].to_numpy())
    keys.insert(0, "source_file", records.loc[mask, "source_file"].to_numpy())
    keys["_partition"] = number
    keys["_position"] = np.flatnonzero(mask)
    return keys


def _apply_duplicates(
    validated: tuple, repeats: pd.DataFrame, drop: bool, schema: dict[str, Any]
) -> tuple[pd.DataFrame, dict]:
    records, before, validation_quarantine = validated
    # one schema for every partition, as concatenating the sources gives the pandas engine: a field only other
    # sources have is blank here, in its place among the fields
    missing = {c: pd.Series(index=records.index, dtype=t) for c, t in schema.items() if c not in records}
    if missing:
        records = records.assign(**missing)[list(schema)]
    repeat = records[ROW_ID].isin(repeats[ROW_ID]).to_numpy()
    out = records.assign(duplicate=repeat)
    mine = repeats[repeats[ROW_ID].isin(records[ROW_ID])] if drop else repeats.iloc[:0]
    if drop and repeat.any():
        out = out[~repeat].reset_index(drop=True)
    quarantine = pd.concat([validation_quarantine, mine], ignore_index=True)
    return out, {"entries": _entries("validate", before, out, quarantine)}


def _stage_validate(run: RunState) -> None:
    import dask.dataframe as dd

    parts, spec = _partitions(run, "validate"), run.spec
    client = parts.client
    today = spec.ingest.reference_date
    validated = [
        client.submit(_validate, part, spec.sources[source].column_specs(), today, pure=False)
        for source, part in zip(parts.sources, parts.parts, strict=True)
    ]
    parts.parts = []  # the read records go as soon as their validation has run
    smalls = _gather_each([client.submit(operator.itemgetter(1), v, pure=False) for v in validated])
    validated = [client.submit(operator.itemgetter(0), v, pure=False) for v in validated]
    validation_quarantine = _quarantine(run, smalls)

    # duplicates across every file: count key hashes on the cluster, decide the repeating rows centrally
    schema: dict[str, Any] = {}
    for small in smalls:  # every field in the order the sources and files first have it, with its type
        for column, dtype in small["dtypes"].items():
            schema.setdefault(column, dtype)
    present = [k for k in spec.ingest.duplicate_key if k in schema]
    drop = spec.ingest.duplicates == "drop"
    repeats = pd.DataFrame(columns=QUARANTINE_COLUMNS)
    n_dup = 0
    if present:
        hashes = dd.from_delayed(
            [client.submit(_key_hashes, v, present, pure=False) for v in validated],
            meta=pd.Series([], dtype="uint64", name="key"),
            verify_meta=False,
        )
        counts = hashes.value_counts()
        repeated = counts[counts > 1].compute().index.to_numpy(dtype="uint64")
        if len(repeated):
            rows = client.gather(
                [client.submit(_repeated_rows, v, present, repeated, i, pure=False) for i, v in enumerate(validated)]
            )
            candidates = pd.concat([r for r in rows if len(r)], ignore_index=True)
            candidates = candidates.sort_values(["_partition", "_position"], kind="stable", ignore_index=True)
            _, repeats, n_dup = flag_duplicates(candidates[["source_file", ROW_ID, *present]], present, drop=True)
    repeats_future = client.scatter(repeats, broadcast=True)
    parts.parts = validated
    results = parts.map(_apply_duplicates, repeats_future, drop, schema)
    _ledger(run, results)
    if drop:
        run.quarantined(repeats)
    failures: dict[str, int] = {}
    for small in smalls:
        for reason, n in small["failures"].items():
            failures[reason] = failures.get(reason, 0) + n
    accepted = sum(e.accepted for r in results for e in r["entries"])
    failing = int(validation_quarantine[ROW_ID].nunique())
    note_validation(run, failures, failing, n_dup, accepted, failing + (len(repeats) if drop else 0))


# ------------------------------------------------------------------------------------------- pseudonymise


def _pseudonymise(part: pd.DataFrame, private: dict[str, Any], key: Any, scope: str) -> tuple[pd.DataFrame, dict]:
    # a field another source has is blank here, as it is after the pandas engine concatenates the sources
    missing = {n: pd.Series(pd.NA, index=part.index, dtype="string") for n in private if n not in part}
    records = part.assign(**missing) if missing else part
    identifiers = {n: records[n].dropna().astype(str).unique() for n in private}
    protected, actions = protect_fields(records, private, key, scope)
    pseudonyms = {n: protected[n].dropna().unique() for n, a in actions.items() if a.startswith("pseudonymised")}
    small = {
        "identifiers": np.concatenate([*identifiers.values(), np.array([], dtype=object)]),
        "pseudonyms": np.concatenate([np.asarray(v, dtype=object) for v in pseudonyms.values()] or [[]]),
        "actions": actions,
        "entries": _entries("pseudonymise", part, protected, pd.DataFrame(columns=QUARANTINE_COLUMNS)),
    }
    return protected, small


def _stage_pseudonymise(run: RunState) -> None:
    parts = _partitions(run, "pseudonymise")
    private = private_fields(run.spec)
    if not private:
        run.manifest["pseudonymisation"] = {"fields": {}}
        return
    key, scope = pseudonym_key(run.spec)
    smalls = parts.map(_pseudonymise, private, key, scope)
    _ledger(run, smalls)
    for small in smalls:
        run.secrets_identifiers.update(small["identifiers"])
        run.secrets_pseudonyms.update(small["pseudonyms"])
    actions = smalls[0]["actions"] if smalls else {}
    note_pseudonymisation(run, key, scope, actions)


# ------------------------------------------------------------------------------------------------ geocode


def _geocode(
    part: pd.DataFrame, directory: pd.DataFrame, study_area: list[str] | None, area_codes: list[str]
) -> tuple[Any, dict]:
    postcodes = part["postcode"].dropna().astype(str).unique()
    result = geocode(part, directory, study_area=study_area, area_codes=area_codes)
    records = _without_geometry(result.records)
    small = {
        "postcodes": postcodes,
        "quarantine": result.quarantine,
        "outcomes": result.outcomes,
        "rows": len(part),
        "entries": _entries("geocode", part, records, result.quarantine),
    }
    return records, small


def _stage_geocode(run: RunState) -> None:
    parts, spec = _partitions(run, "geocode"), run.spec
    directory = postcode_directory(spec)
    shared = parts.client.scatter(directory, broadcast=True)  # every worker holds the directory once
    smalls = parts.map(_geocode, shared, list(spec.geography.study_area) or None, carried_area_codes(spec))
    _ledger(run, smalls)
    _quarantine(run, smalls)
    outcomes: dict[str, int] = {}
    for small in smalls:
        run.secrets_postcodes.update(small["postcodes"])
        for name, n in small["outcomes"].items():
            outcomes[name] = outcomes.get(name, 0) + n
    note_geocoding(run, len(directory), outcomes, sum(s["rows"] for s in smalls))


# ------------------------------------------------------------------------------------------- assign areas


def _has_codes(part: pd.DataFrame, column: str) -> bool:
    return bool(column in part and part[column].notna().any())


def _place_by_code(
    part: pd.DataFrame, layer: AreaLayer, rule: str, name: str, why: str, options: dict[str, Any]
) -> tuple[pd.DataFrame, dict]:
    result = place(part, layer, rule, **options)
    placed = Placement(_without_geometry(result.placed), _without_geometry(result.unplaced), result.counts)
    return _placed(part, placed, layer, name, why)


def _points(part: pd.DataFrame) -> gpd.GeoDataFrame:
    """The partition as bare points (row id and geometry, from the grid reference) for the spatial join."""
    return points_from_grid(pd.DataFrame({ROW_ID: part[ROW_ID].to_numpy(), **_grid(part)}))[[ROW_ID, "geometry"]]


def _grid(part: pd.DataFrame) -> dict[str, np.ndarray]:
    return {c: part[c].to_numpy() for c in ("oseast1m", "osnrth1m")}


def _without_geometry(frame: pd.DataFrame) -> pd.DataFrame:
    """Partitions are held without their point geometry (a few hundred bytes a record): it is rebuilt from the
    grid reference where a step needs it, and when the records are gathered."""
    return pd.DataFrame(frame.drop(columns="geometry")) if "geometry" in frame else frame


def _with_geometry(frame: pd.DataFrame) -> pd.DataFrame:
    """A gathered frame as the pandas engine holds it: points from the grid reference, placed after it."""
    if "osnrth1m" not in frame or "geometry" in frame:
        return frame
    columns = list(frame.columns)
    at = columns.index("osnrth1m") + 1
    points = points_from_grid(frame)
    return points[[*columns[:at], "geometry", *columns[at:]]]


def _place_in_polygons(
    part: gpd.GeoDataFrame, hits: pd.DataFrame, layer: AreaLayer, name: str, why: str, tolerance_m: float
) -> tuple[pd.DataFrame, dict]:
    """Finish one partition after ``dask_geopandas.sjoin``: the lowest code where a point is within several
    areas; the anti-join (rows the inner join did not return) goes to the nearest-area fallback."""
    if not hits[ROW_ID].isin(part[ROW_ID]).all():
        raise CirclesError(f"assign_areas:{name}: the spatial join returned rows of another partition")
    within = hits.assign(area_code=hits["area_code"].astype("string")).groupby(ROW_ID, sort=False)["area_code"].min()
    matched = part[ROW_ID].isin(within.index).to_numpy()
    inside = part.loc[matched].copy()
    inside[f"{layer.name}_code"] = inside[ROW_ID].map(within).astype("string")
    inside[f"{layer.name}_method"] = pd.Series("within", index=inside.index, dtype="string")
    counts = {"within": int(matched.sum()), "nearest": 0, "by_code": 0, "unplaced": 0}
    placed, unplaced = inside, part.iloc[:0].assign(distance_m=pd.Series([], dtype="float64"))
    if not matched.all():  # the anti-join: the nearest area within the tolerance (skipped when empty: 30 ms)
        rest = assign_areas(points_from_grid(part.loc[~matched]), layer, tolerance_m=tolerance_m)
        if rest.counts["within"]:
            raise CirclesError(f"assign_areas:{name}: the spatial join missed {rest.counts['within']} point(s)")
        placed = pd.concat([inside, _without_geometry(rest.placed)]) if len(rest.placed) else inside
        placed = placed.loc[part.index[part.index.isin(placed.index)]]  # input order, as assign_areas keeps it
        counts |= {"nearest": rest.counts["nearest"], "unplaced": rest.counts["unplaced"]}
        unplaced = _without_geometry(rest.unplaced)
    return _placed(part, Placement(placed=placed, unplaced=unplaced, counts=counts), layer, name, why)


def _placed(part: pd.DataFrame, result: Placement, layer: AreaLayer, name: str, why: str) -> tuple[Any, dict]:
    quarantine = unplaced_quarantine(name, layer, result.unplaced, why)
    small = {
        "quarantine": quarantine,
        "counts": result.counts,
        "entries": _entries(f"assign_areas:{name}", part, result.placed, quarantine),
    }
    return result.placed, small


def _stage_assign_areas(run: RunState) -> None:
    import dask
    import dask.dataframe as dd
    import dask_geopandas

    parts = _partitions(run, "assign_areas")
    client = parts.client
    load_layers(run)
    tolerance = run.spec.geography.nearest_tolerance_m
    placement_counts = {}
    for name, layer in run.layers.items():
        column = directory_column(run, name)
        has_codes = bool(column) and any(client.gather([client.submit(_has_codes, p, column) for p in parts.parts]))
        rule, why = placement_rule(run, name, directory_codes=has_codes)
        shared = client.scatter(layer, broadcast=True)
        if rule == "polygon":
            # points are made inside the graph, partition by partition, and dropped once joined
            points = [dask.delayed(_points, pure=False)(p) for p in parts.parts]
            empty = {ROW_ID: pd.Series([], dtype="str"), "oseast1m": [], "osnrth1m": []}
            meta = _points(pd.DataFrame(empty).astype({"oseast1m": float, "osnrth1m": float}))
            hits = dask_geopandas.sjoin(
                dd.from_delayed(points, meta=meta, verify_meta=False),
                dask_geopandas.from_geopandas(layer.areas[["area_code", "geometry"]], npartitions=1),
                how="inner",
                predicate="within",
            )
            pieces = hits.to_delayed()
            if len(pieces) != len(parts.parts):
                raise CirclesError(f"assign_areas:{name}: the spatial join changed the partitioning")
            tasks = [
                dask.delayed(_place_in_polygons)(part, piece, shared, name, why, tolerance)
                for part, piece in zip(parts.parts, pieces, strict=True)
            ]
            results = client.compute(tasks)
            del points, hits, pieces, tasks
            parts.parts = [client.submit(operator.itemgetter(0), r, pure=False) for r in results]
            smalls = _gather_each([client.submit(operator.itemgetter(1), r, pure=False) for r in results])
            del results
        else:
            lookup_spec = run.spec.geography.lookup_of(name)
            options = {
                "lookup": run.lookups.get(name),
                "via": lookup_spec.via if lookup_spec else None,
                "column": column,
                "tolerance_m": tolerance,
            }
            smalls = parts.map(_place_by_code, shared, rule, name, why, options)
        _ledger(run, smalls)
        _quarantine(run, smalls)
        counts = {how: sum(s["counts"][how] for s in smalls) for how in ("within", "nearest", "by_code", "unplaced")}
        placement_counts[name] = counts
        log_placement(run, layer, counts)
    run.manifest["placement"] = {"nearest_tolerance_m": tolerance, "by_layer": placement_counts}


# ---------------------------------------------------------------------------------------------- aggregate


def _narrow(part: pd.DataFrame, code: str, person: str) -> pd.DataFrame:
    """What the counts need, as plain text: area code, service, and the person (blank as missing)."""
    people = part[person].astype("string") if person in part else pd.Series(pd.NA, index=part.index, dtype="string")
    return pd.DataFrame(
        {
            "area_code": part[code].astype("string").to_numpy(),
            "service": part["service"].astype("string").to_numpy(),
            "person": people.where(people.str.len() > 0).to_numpy(),
        }
    )


#: Up to this many records the people in each area are counted by a tree reduction, as the records are: a tree
#: gathers at most one area-person pair a record into one worker (at 10,000,000 records a worker's peak was
#: 5.1 GB by tree, 4.0 GB shuffled); above it the pairs are shuffled, which for 14,000 records took about 7,000
#: tasks and 14-16 s against about 2,600 tasks and 4-6 s by tree.
_TREE_PEOPLE = 1_000_000


def _stage_aggregate(run: RunState) -> None:
    import dask
    import dask.dataframe as dd

    parts = _partitions(run, "aggregate")
    person = run.spec.person_field
    meta = pd.DataFrame({c: pd.Series([], dtype="string") for c in ("area_code", "service", "person")})
    totals = run.ledger.totals()
    people_out: int | bool = 1 if totals and next(reversed(totals.values()))["accepted"] <= _TREE_PEOPLE else True
    for name, layer in run.layers.items():  # a layer at a time: one layer's pairs in memory at once
        narrow = dd.from_delayed(  # made inside the graph partition by partition, dropped once counted
            [dask.delayed(_narrow, pure=False)(p, f"{name}_code", person) for p in parts.parts],
            meta=meta,
            verify_meta=False,
        )
        named = narrow[narrow["person"].notnull()]
        # the counts of records are tree reductions into one partition (split_out=1: a row an area, or an area
        # and service, so small at any size); so are the counts of people up to _TREE_PEOPLE records, above
        # which the area-person pairs are shuffled between the workers (a tree gathers every distinct pair)
        records, people, by_records, by_people, services = dask.compute(
            narrow.groupby("area_code").size(split_out=1),
            named.groupby("area_code")["person"].nunique(split_out=people_out),
            narrow.groupby(["area_code", "service"]).size(split_out=1),
            named.groupby(["area_code", "service"])["person"].nunique(split_out=people_out),
            narrow["service"].dropna().unique(split_out=1),
        )
        exact = area_table(layer, records, people)
        by_service = area_by_table(layer, "service", by_records, by_people, categories=services.tolist())
        publish_area_counts(run, name, exact, by_service)
    run.manifest.setdefault("tables", {})["area_counts"] = {n: len(t) for n, t in run.area_tables.items()}


#: The partitioned twins of the heavy stages in :data:`circles.pipeline.stages.STAGE_FUNCTIONS`.
DASK_STAGES = {
    "read": _stage_read,
    "validate": _stage_validate,
    "pseudonymise": _stage_pseudonymise,
    "geocode": _stage_geocode,
    "assign_areas": _stage_assign_areas,
    "aggregate": _stage_aggregate,
}
