"""Geography stages: geocode the records through the postcode directory, place them in every area layer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from circles.errors import GeographyError, SpecError
from circles.geo.areas import Placement, assign_areas, assign_by_code, layer_from_lookup
from circles.geo.geocoding import geocode
from circles.geo.layers import (
    EMBEDDED_LOOKUPS,
    AreaLayer,
    embedded_layer,
    is_pseudo_code,
    pseudo_code_note,
    read_area_layer,
    read_lookup,
    read_postcode_directory,
)
from circles.geo.naming import name_layer
from circles.ingest.accounting import quarantine_frame
from circles.pipeline.stages.base import RunState, account, records_of, stage
from circles.validation import suggest

if TYPE_CHECKING:  # the spec imports the stage registry
    from circles.pipeline.spec import PipelineSpec


@stage("geocode", needs=("records",), provides=("points",))
def _stage_geocode(run: RunState) -> None:
    """Place each record at its postcode's point through the ONS Postcode Directory."""
    spec, records = run.spec, records_of(run, "geocode")
    directory = postcode_directory(spec)
    run.secrets_postcodes.update(records["postcode"].dropna().astype(str).unique().tolist())  # a list: 4x quicker
    result = geocode(
        records, directory, study_area=spec.geography.study_area or None, area_codes=carried_area_codes(spec)
    )
    account(run, "geocode", records, result.records, result.quarantine)
    run.records = result.records
    note_geocoding(run, len(directory), result.outcomes, len(records))


def carried_area_codes(spec: PipelineSpec) -> list[str]:
    """The area-code fields records may carry instead of a postcode: ``directory_<code>`` of every layer placed by
    the directory's codes (``geography.layers.<name>.directory``) that a source maps as a field.

    A record with no postcode but all of these is placed by them (the family service planner's export); with
    none declared, a record without a postcode is quarantined as ``blank``.
    """
    fields = {name for source in spec.sources.values() for name in source.column_specs()}
    layers = spec.geography.layers.values()
    return [
        f"directory_{layer.directory}"
        for layer in layers
        if layer.directory and f"directory_{layer.directory}" in fields
    ]


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
    geography = run.spec.geography
    specs = geography.layers
    for name, layer in sorted(specs.items(), key=lambda item: item[1].is_lookup):  # lookups last
        if layer.embedded and not layer.is_lookup:
            found[name] = embedded_layer(layer.embedded, layer_name=name, title=layer.title)
            continue
        lookup = geography.lookup_of(name)
        path = run.spec.resolve(lookup.path if lookup else layer.path)
        if not path.exists():
            missing.append(name)
            run.warnings.append(f"optional layer {name!r} not found at {path}; running without it")
            continue
        if lookup is None:
            found[name] = read_area_layer(
                path,
                code=layer.code,
                name=layer.name,
                layer_name=name,
                title=layer.title,
                layer=layer.layer,
                warnings=run.warnings,
            )
            continue
        found[name] = _lookup_layer(run, name, found, path)
    run.layers = {name: found[name] for name in specs if name in found}  # the spec's order
    for child, parent in geography.name_by.items():  # "Bastwell & Daisyfield 004A", with its ward beside it
        if child in run.layers and parent in run.layers:
            run.layers[child] = name_layer(run.layers[child], run.layers[parent])
    run.manifest["geography"] = {
        "layers": {
            n: {
                "title": lay.title,
                "source": _relative(lay.source, run.spec.base_dir),
                "areas": len(lay),
                "built_from_lookup": specs[n].is_lookup,
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


def _lookup_layer(run: RunState, name: str, found: dict[str, AreaLayer], path: Path) -> AreaLayer:
    """Layer ``name`` built from its lookup over a layer already read; a lookup for other areas is a SpecError."""
    layer, lookup = run.spec.geography.layers[name], run.spec.geography.lookup_of(name)
    assert lookup is not None
    at = f"geography.layers.{name}." + ("lookup" if layer.lookup is not None else "embedded")
    via = found.get(lookup.via)
    if via is None:
        raise SpecError(f"{at}.via: no layer {lookup.via!r} to build it over.{suggest(lookup.via, found)}")
    table = read_lookup(path, lookup.from_code, lookup.to_code, lookup.to_name)
    run.lookups[name] = dict(zip(table[lookup.from_code], table[lookup.to_code], strict=True))
    try:
        return layer_from_lookup(
            via,
            table,
            from_code=lookup.from_code,
            to_code=lookup.to_code,
            to_name=lookup.to_name,
            layer_name=name,
            title=layer.title or (EMBEDDED_LOOKUPS[layer.embedded].title if layer.embedded else name),
            source=f"embedded:{layer.embedded} ({path.name})" if layer.embedded else str(path),
            warnings=run.warnings,
        )
    except GeographyError as exc:
        raise SpecError(f"{at}: {exc}") from None


def placement_rule(run: RunState, name: str, *, directory_codes: bool) -> tuple[str, str]:
    """How records are placed in layer ``name``, and why a record that cannot be is quarantined.

    ``"lookup"`` through a best-fit lookup from another layer; ``"directory"`` by the postcode directory's own
    area codes (when the layer names a directory column and the records carry any such code:
    ``directory_codes``); otherwise ``"polygon"``, point in polygon with the nearest-area fallback.
    """
    spec = run.spec.geography.layers[name]
    lookup = run.spec.geography.lookup_of(name)
    if lookup is not None:
        return "lookup", f"its {lookup.via} area is not in the lookup"
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
    """Quarantine entries for records not placed in a layer, with the distance to its nearest area if known.

    A record whose code (``given_code``: the directory's, or the one a lookup maps it to) is an ONS pseudo-code
    lies outside the study area altogether (Scotland, the Channel Islands...): its reason is
    ``outside_study_area`` and the message says where, not that the code is missing from the layer.
    """
    distance = unplaced["distance_m"].map(lambda d: "" if pd.isna(d) else f"; the nearest is {d:,.0f} m away")
    message = (f"Not placed in {layer.title}: {why}" + distance.astype(str) + ".").to_numpy(dtype=object)
    reason = np.full(len(unplaced), "outside_areas", dtype=object)
    if "given_code" in unplaced:
        pseudo = is_pseudo_code(unplaced["given_code"]).to_numpy()
        notes = [pseudo_code_note(code) for code in unplaced["given_code"].to_numpy()[pseudo]]
        message[pseudo] = [f"Not placed in {layer.title}: outside the study area ({note})." for note in notes]
        reason[pseudo] = "outside_study_area"
    message = pd.Series(message, index=unplaced.index, dtype=object)
    quarantine = quarantine_frame(f"assign_areas:{name}", unplaced, field="postcode", reason="", message=message)
    quarantine["reason"] = reason
    return quarantine


def log_placement(run: RunState, layer: AreaLayer, counts: dict[str, int]) -> None:
    run.log(
        f"{layer.title}: "
        + ", ".join(f"{n:,} {how}" for how, n in counts.items() if n or how in ("within", "unplaced"))
    )


@stage("assign_areas", needs=("points",), provides=("record_areas",))
def _stage_assign_areas(run: RunState) -> None:
    """Place each record in an area of every layer: by the directory's codes or point in polygon."""
    records = records_of(run, "assign_areas")
    load_layers(run)
    placement_counts = {}
    for name, layer in run.layers.items():
        column = directory_column(run, name)
        has_codes = bool(column and column in records and records[column].notna().any())
        rule, why = placement_rule(run, name, directory_codes=has_codes)
        lookup_spec = run.spec.geography.lookup_of(name)
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
        account(run, f"assign_areas:{name}", records, result.placed, quarantine)
        placement_counts[name] = result.counts
        records = result.placed
        log_placement(run, layer, result.counts)
    run.records = records
    run.manifest["placement"] = {
        "nearest_tolerance_m": run.spec.geography.nearest_tolerance_m,
        "by_layer": placement_counts,
    }


def _relative(source: str, base: Path) -> str:
    return source if source.startswith("embedded") else os.path.relpath(source, base)
