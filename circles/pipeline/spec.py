"""Pipeline specs: YAML files that declare sources, geography, stages and publication rules.

A spec is validated completely before any work starts. Unknown keys, wrong types and missing files are
reported in one message that names each key and its line in the YAML file, e.g.::

    pipelines/demo.yaml, line 14, geography.layers.ward2025.cod: unknown key. Did you mean 'code'? Allowed: embedded,
    path, lookup, code, name, title, layer, directory, optional.

The sources' column mappings (:class:`ColumnSpec`, :class:`SourceSpec`) are in :mod:`circles.pipeline.sources`.
Relative paths are resolved against the folder holding the spec.
"""

from __future__ import annotations

import datetime as dt
import glob
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from circles.errors import SpecError
from circles.geo.embedded import (
    EMBEDDED_DEPRIVATION,
    EMBEDDED_LAYERS,
    EMBEDDED_LOOKUPS,
    EMBEDDED_POPULATIONS,
    EmbeddedTable,
    embedded_geo_dir,
)
from circles.pipeline.sources import ColumnSpec, SourceSpec, share_age_bands
from circles.pipeline.sources import StrictModel as _Strict
from circles.pipeline.spec_change import ChangeSpec
from circles.pipeline.spec_design import DesignSpec
from circles.pipeline.stages import STAGES as STAGE_REGISTRY
from circles.pipeline.stages import check_stage_order
from circles.validation import KeyLines, line_for, read_yaml, suggest, validate_model

__all__ = [
    "STAGES",
    "PLANNED_STAGES",
    "PARTITIONED_STAGES",
    "DaskSpec",
    "PipelineSpec",
    "SourceSpec",
    "ColumnSpec",
    "LayerSpec",
    "load_spec",
]

#: Stages the runner executes, in data-flow order: the registry's names (each with what it needs and provides).
STAGES = tuple(STAGE_REGISTRY)
#: Stages that may be declared now and are built by later releases; the runner skips them with a message.
PLANNED_STAGES: dict[str, str] = {}
#: Stages that run on the written report folder (before its audit), not on the records: packs are built
#: from published files only.
REPORT_STAGES = ("packs",)
#: Stages the Dask engine runs partitioned (one partition per input file); the rest run on the small area
#: tables in pandas whichever engine is chosen.
PARTITIONED_STAGES = ("read", "validate", "pseudonymise", "geocode", "assign_areas", "aggregate")

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class LookupSpec(_Strict):
    """Build a layer from a best-fit lookup table (e.g. the ONS LSOA -> ward lookup) over another layer."""

    path: Path
    via: str = Field(description="the finer layer the lookup starts from, e.g. 'lsoa'")
    from_code: str = Field(alias="from", description="column of the finer layer's codes")
    to_code: str = Field(alias="to", description="column of the coarser layer's codes")
    to_name: str | None = Field(None, alias="name")


class LayerSpec(_Strict):
    """An area layer: embedded, any polygon file with its code and name columns, or a lookup over another layer.

    ``embedded`` names the data circles ships for Blackburn with Darwen (:mod:`circles.geo.embedded`): ``lsoa11``,
    ``msoa11``, ``ward2025``, ``ward2004`` or ``ward2017`` (the LSOAs grouped by the ONS best-fit lookup, built over
    the spec's ``embedded: lsoa11`` layer). ``directory: lsoa11`` assigns records by the postcode directory's own
    area code column when the directory has it (a join), and by point in polygon otherwise.
    """

    embedded: str | None = Field(None, description="embedded layer: lsoa11, msoa11, ward2025, ward2004, ward2017")
    path: Path | None = None
    lookup: LookupSpec | None = None
    code: str | None = None
    name: str | None = None
    title: str | None = None
    layer: str | None = None
    directory: str | None = None
    optional: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> LayerSpec:
        if sum(x is not None for x in (self.embedded, self.path, self.lookup)) != 1:
            raise ValueError("give exactly one of 'embedded', 'path' or 'lookup'")
        if self.path is not None and not self.code:
            raise ValueError("a layer read from 'path' needs 'code' (the column holding the area code)")
        known = {**EMBEDDED_LAYERS, **EMBEDDED_LOOKUPS}
        if self.embedded is not None and self.embedded not in known:
            raise ValueError(
                f"no embedded layer {self.embedded!r}.{suggest(self.embedded, known)} "
                f"Embedded layers: {', '.join(known)}"
            )
        return self

    @property
    def is_lookup(self) -> bool:
        """Whether the layer groups another layer's areas by a lookup table (declared or embedded)."""
        return self.lookup is not None or self.embedded in EMBEDDED_LOOKUPS


class GeographySpec(_Strict):
    """Where records are placed: the postcode directory, the study area and the area layers."""

    postcode_directory: Literal["embedded"] | Path = Field(
        "embedded", description="'embedded' (Blackburn with Darwen) or an ONSPD/NSPL file or zip, as downloaded"
    )
    study_area: list[str] = Field(default_factory=list, description="local authority codes (oslaua)")
    nearest_tolerance_m: float = Field(200.0, ge=0, le=5000)
    layers: dict[str, LayerSpec]
    name_by: dict[str, str] = Field(
        default_factory=dict,
        description="name a layer's areas after the area of another layer they lie in, e.g. {lsoa: ward2025}: "
        "'Bastwell & Daisyfield 004A', the ward beside each LSOA in its table and ward outlines on its maps",
    )

    @model_validator(mode="after")
    def _name_by_layers(self) -> GeographySpec:
        for child, parent in self.name_by.items():
            for role, key in (("named layer", child), ("layer it is named by", parent)):
                if key not in self.layers:
                    raise ValueError(f"name_by: the {role} {key!r} is not a layer.{suggest(key, self.layers)}")
            if child == parent:
                raise ValueError(f"name_by: layer {child!r} cannot be named after itself")
            if self.layers[parent].is_lookup:
                raise ValueError(
                    f"name_by: {parent!r} is built from a lookup and has no boundaries to name {child!r}'s areas by; "
                    "name them by a layer with boundaries"
                )
        return self

    @field_validator("layers")
    @classmethod
    def _layer_names(cls, value: dict[str, LayerSpec]) -> dict[str, LayerSpec]:
        if not value:
            raise ValueError("declare at least one area layer")
        for key in value:
            if not _NAME.match(key):
                raise ValueError(f"layer name {key!r} must be lower case letters, digits, '_' or '-'")
        for key, layer in value.items():
            entry = EMBEDDED_LOOKUPS.get(layer.embedded or "")
            if entry and not any(other.embedded == entry.via for other in value.values()):
                raise ValueError(
                    f"layer {key!r} (embedded: {layer.embedded}) groups the embedded {entry.via} areas: declare a "
                    f"layer with 'embedded: {entry.via}' too"
                )
        return value

    def lookup_of(self, name: str) -> LookupSpec | None:
        """The lookup layer ``name`` is built with: the declared one, or the embedded one's; ``None`` for polygons."""
        layer = self.layers[name]
        if layer.lookup is not None or layer.embedded not in EMBEDDED_LOOKUPS:
            return layer.lookup
        entry = EMBEDDED_LOOKUPS[layer.embedded]
        via = next(key for key, other in self.layers.items() if other.embedded == entry.via)
        return LookupSpec.model_validate(
            {
                "path": embedded_geo_dir() / entry.file,
                "via": via,
                "from": entry.from_code,
                "to": entry.to_code,
                "name": entry.to_name,
            }
        )

    def layer_file(self, name: str) -> Path | None:
        """The file layer ``name`` is read from (its boundaries, or its lookup table), as the spec declares it."""
        layer = self.layers[name]
        lookup = self.lookup_of(name)
        if lookup is not None:
            return lookup.path
        if layer.embedded is not None:
            return embedded_geo_dir() / EMBEDDED_LAYERS[layer.embedded].file
        return layer.path


class SyntheticSpec(_Strict):
    """Generate the synthetic demo inputs from a seed before reading (demo specs only)."""

    seed: int = Field(ge=0)
    folder: Path


class IngestSpec(_Strict):
    """Row-level rules applied while reading."""

    duplicates: Literal["keep", "drop"] = "drop"
    duplicate_key: list[str] = Field(
        default_factory=lambda: ["client_id", "service", "referral_date", "start_date", "end_date"]
    )
    reference_date: dt.date | None = Field(None, description="dates after this are 'future' (default: today)")


class DaskSpec(_Strict):
    """Where the Dask engine runs (``engine: dask``).

    With no ``scheduler`` a :class:`distributed.LocalCluster` of worker *processes* is started for the run and
    closed after it; with one, the run connects to that cluster (``tcp://host:8786`` or ``tls://...``).
    """

    scheduler: str | None = Field(None, description="address of a running Dask scheduler")
    workers: int | None = Field(None, ge=1, description="local workers (default: one per CPU core)")
    threads_per_worker: int = Field(1, ge=1)
    memory_limit: str = Field("auto", description="per local worker, e.g. '4GB' ('auto': RAM / workers)")

    @field_validator("scheduler")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(tcp|tls|inproc|ucx|ws|wss)://\S+$", value):
            raise ValueError("a scheduler address looks like 'tcp://host:8786' or 'tls://host:8786'")
        return value


class PseudonymisationSpec(_Strict):
    """Where the pseudonymisation key comes from, and the scope that keeps projects unlinkable.

    ``key: demo`` uses a fixed, published key: for synthetic data only, never for real records.
    """

    key: Literal["env", "file", "demo"] = "env"
    key_env: str = "CIRCLES_PSEUDONYM_KEY"
    key_file: Path | None = None
    scope: str = Field(min_length=1)

    @model_validator(mode="after")
    def _file_given(self) -> PseudonymisationSpec:
        if self.key == "file" and self.key_file is None:
            raise ValueError("'key: file' needs 'key_file' (a path outside the repository)")
        return self


class DisclosureSpec(_Strict):
    """Disclosure control applied to every published count."""

    policy: Literal["nhs", "ndtms"] = Field(
        "nhs", description="nhs: 0 stays 0, 1-7 suppressed, others rounded to 5; ndtms: 1-4 suppressed, not rounded"
    )
    suppress_below: int | None = Field(None, ge=1, description="suppress counts from 1 to this minus one")
    round_to: int | None = Field(None, ge=1, description="round the other counts to a multiple of this")


class MapsSpec(_Strict):
    """Print and interactive maps of each layer."""

    measure: Literal["people", "records"] = Field("people", description="what the maps count")
    paper: list[Literal["A4", "A3"]] = Field(default_factory=lambda: ["A4"], description="print sizes")
    labels: list[str] = Field(default_factory=list, description="layers whose areas are labelled by name")
    plotlyjs: Literal["inline", "alongside"] = Field(
        "inline",
        description="interactive pages (maps, funnel plots, network, circle): 'inline' embeds plotly.js so each "
        "page opens on its own when sent by e-mail (about 5 MB each); 'alongside' shares one plotly.min.js beside them",
    )


def _expand_embedded(data: Any, catalogue: dict[str, EmbeddedTable], what: str, fields: dict[str, str]) -> Any:
    """``{embedded: KEY}`` in a section's YAML, with the embedded file's path and columns filled in.

    The key is kept, so that the manifest and the reports can say the data is the embedded extract.
    """
    if not isinstance(data, dict) or data.get("embedded") is None:
        return data
    key = data["embedded"]
    if key not in catalogue:
        raise ValueError(f"no embedded {what} {key!r}.{suggest(str(key), catalogue)} Embedded: {', '.join(catalogue)}")
    entry = catalogue[key]
    filled = {"path": embedded_geo_dir() / entry.file, **{k: getattr(entry, attr) for k, attr in fields.items()}}
    clash = [k for k, v in filled.items() if k in data and str(data[k]) != str(v)]
    if clash:
        raise ValueError(f"'embedded: {key}' names a file and its columns: leave out {', '.join(sorted(clash))}")
    return {**data, **filled}


class PopulationSpec(_Strict):
    """A population table for one layer: a file, ``embedded`` data, or ``derive_from`` another layer's (best fit).

    ``embedded`` names a population circles ships for Blackburn with Darwen: ``lsoa11_mid2020`` (ONS mid-2020
    estimates by LSOA) or ``ward2025_census2021`` (Census 2021 by ward).
    """

    embedded: str | None = Field(None, description="embedded population: lsoa11_mid2020, ward2025_census2021")
    path: Path | None = None
    code: str | None = None
    layout: Literal["syoa", "nomis_ts007", "age_groups"] = "syoa"
    group_column: str | None = None
    value_column: str | None = None
    derive_from: str | None = None
    optional: bool = False

    @model_validator(mode="before")
    @classmethod
    def _embedded(cls, data: Any) -> Any:
        return _expand_embedded(data, EMBEDDED_POPULATIONS, "population", {"code": "code", "layout": "layout"})

    @model_validator(mode="after")
    def _one_source(self) -> PopulationSpec:
        if (self.path is None) == (self.derive_from is None):
            raise ValueError("give exactly one of 'path' (with 'code') or 'derive_from' (a layer name)")
        if self.path is not None and not self.code:
            raise ValueError("a population read from 'path' needs 'code' (the column of area codes)")
        return self


class RatesSpec(_Strict):
    """Rates per ``per`` people of an age band, with intervals, against the study area's own rate."""

    measure: Literal["people", "records"] = "people"
    age_band: str = "all"
    per: int = Field(1000, ge=1)
    confidence: float = Field(0.95, gt=0.5, lt=1)
    populations: dict[str, PopulationSpec] = Field(default_factory=dict)


class DeprivationSpec(_Strict):
    """IMD 2019 for one layer (LSOAs by default): a file, or ``embedded: imd2019`` (Blackburn with Darwen's LSOAs)."""

    embedded: str | None = Field(None, description="embedded IMD table: imd2019")
    path: Path = Field(description="the IMD table: one row per area, with its code and IMD decile")
    layer: str = "lsoa"
    code: str = "lsoa_code"
    decile: str = "IMD_decile"
    optional: bool = False

    @model_validator(mode="before")
    @classmethod
    def _embedded(cls, data: Any) -> Any:
        return _expand_embedded(data, EMBEDDED_DEPRIVATION, "IMD table", {"code": "code", "decile": "decile"})


class CodingSpec(_Strict):
    """Qualitative coding of workshop and interview notes (see :mod:`circles.qualitative`)."""

    codebook: Path
    sources: Path = Field(description="a file or a folder of .txt/.md/.docx notes, or a survey .csv/.xlsx")
    text_column: str | None = Field(None, description="for survey files: the column holding the response")
    rules: Path | None = None
    codings: Path | None = Field(None, description="manual codings: source, start, end, code, coder, memo")
    unit: Literal["sentence", "turn", "paragraph"] = "sentence"
    suggest: bool = True
    suggestion_threshold: float = Field(0.5, gt=0, lt=1)
    reviewed: Path | None = Field(
        None,
        description="ranges a coder has read through (source, start, end; blank start and end: the whole source): "
        "only there is an uncoded unit a negative example for the suggestions",
    )
    attributes: list[str] = Field(default_factory=list, description="source attributes to break counts down by")
    refi_export: bool = True
    screen_quotes: bool = Field(
        True, description="screen quotes for names, places, phone numbers... before they are published"
    )
    known_people: Path | None = Field(
        None, description="a text file of people's names (staff, participants), one a line, always redacted"
    )
    quote_decisions: Path | None = Field(
        None, description="decisions on held quotes: coding/quotes_held_for_review.csv with 'decision' filled in"
    )


class NetworkSpec(_Strict):
    """The service-overlap network: which agencies serve the same families."""

    family_field: str = "family_id"
    service_field: str = "service"
    provider_field: str | None = Field("provider", description="who provided it: matched to the directory first")
    agencies: dict[str, str] = Field(
        default_factory=dict, description="record service or provider -> agency name, before directory matching"
    )
    alpha: float = Field(0.05, gt=0, lt=1, description="false discovery rate at which a pair is kept")
    weight: Literal["shared", "jaccard", "overlap", "lift"] = "shared"
    min_shared: int = Field(1, ge=1)
    seed: int = 42
    combinations: int = Field(15, ge=1)


class ServicesSpec(_Strict):
    """The service directory: the demo's YAML, an HSDS 3.0 / UK 3.0 CSV package or Open Referral UK v1 tables."""

    directory: Path
    format: Literal["yaml", "hsds", "open_referral"] = "yaml"
    duplication_at: int = Field(3, ge=2)
    export_hsds: bool = True
    export_profile: Literal["hsds", "uk"] = Field(
        "hsds", description="the published directory's profile: HSDS 3.0, or the Open Referral UK 3.0 profile"
    )
    hours_from: dt.date | None = Field(
        None,
        description="opening hours are averaged over the 52 weeks from this date (schedules are recurrence rules: "
        "fortnightly, monthly, valid from and to); default: the day of the run, recorded in the manifest",
    )
    segment: str = Field("the customer segment", description="the centre of the circle of need")
    crisis_referrals: list[str] = Field(
        default_factory=lambda: ["A&E", "Police", "999 call", "Ambulance"],
        description="referral sources that mean help came at crisis point",
    )


class CostScenarioSpec(_Strict):
    """A savings scenario: how many sustain change, and whether they are people or families."""

    count: int = Field(ge=0, description="the number assumed to sustain change")
    unit: Literal["person", "family"] = Field(description="what is counted: a person (a case) or a family")


class CostsSpec(_Strict):
    """The scale and cost of the problem: prevalence by area, treatment penetration, the cost model, scenarios."""

    model: Path
    prevalence: dict[str, float] = Field(default_factory=lambda: {"hazardous": 0.176, "harmful": 0.055})
    need: str = Field("harmful", description="the prevalence category that treatment should reach")
    adult_age_band: str = "18+"
    child_age_band: str = "0-17"
    layer: str = Field("lsoa", description="the area layer whose population file gives the estimates by area")
    in_treatment: list[str] = Field(
        default_factory=lambda: ["Specialist alcohol treatment"], description="services that count as treatment"
    )
    scenarios: dict[str, int | CostScenarioSpec] = Field(
        default_factory=lambda: {"3 people sustaining change": 3, "30 families": 30},
        description="name → the number sustaining change (a name saying 'families' counts families), or → "
        "{count, unit: person or family}",
    )
    years: int = Field(1, ge=1)
    discount_rate: float = Field(0.035, ge=0, lt=1)


class HotspotsSpec(_Strict):
    """Getis-Ord Gi* and local Moran's I (esda) on each listed layer."""

    layers: list[str] = Field(default_factory=lambda: ["lsoa"])
    value: Literal["rate", "count"] = "rate"
    weights: Literal["queen", "rook", "knn", "distance"] = "queen"
    k: int = Field(5, ge=1)
    threshold_m: float | None = Field(None, gt=0)
    islands: Literal["report", "nearest"] = "report"
    permutations: int = Field(9999, ge=99)
    seed: int = 12345
    alpha: float = Field(0.05, gt=0, lt=0.5)
    correction: Literal["fdr", "bonferroni", "none"] = "fdr"


class PipelineSpec(_Strict):
    """A whole pipeline spec (see ``pipelines/demo.yaml``)."""

    name: str = Field(description="the pipeline's name: lower case letters, digits, '_' or '-'")
    description: str = Field("", description="what the study is about, printed on the packs")
    output: Path = Field(description="the report folder (relative to the spec; `circles run -o` overrides it)")
    synthetic: SyntheticSpec | None = None
    person_field: str = Field("client_id", description="the standard field that identifies a person")
    geography: GeographySpec
    sources: dict[str, SourceSpec]
    stages: list[str] = Field(description="the stages to run, in data-flow order (`circles stages` lists them)")
    engine: Literal["pandas", "dask"] = Field("pandas", description="pandas (one machine) or dask (partitioned)")
    dask: DaskSpec = DaskSpec()
    ingest: IngestSpec = IngestSpec()
    pseudonymisation: PseudonymisationSpec | None = None
    disclosure: DisclosureSpec = DisclosureSpec()
    maps: MapsSpec = MapsSpec()
    rates: RatesSpec = RatesSpec()
    deprivation: DeprivationSpec | None = None
    hotspots: HotspotsSpec = HotspotsSpec()
    coding: CodingSpec | None = None
    network: NetworkSpec = NetworkSpec()
    services: ServicesSpec | None = None
    costs: CostsSpec | None = None
    design: DesignSpec | None = None
    change: ChangeSpec | None = None
    spec_path: Path | None = Field(None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _shared_age_bands(cls, data: Any) -> Any:
        return share_age_bands(data)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("the pipeline name must be lower case letters, digits, '_' or '-' (it names a folder)")
        return value

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, value: list[str]) -> list[str]:
        known = (*STAGES, *REPORT_STAGES, *PLANNED_STAGES)
        for stage in value:
            if stage not in known:
                raise ValueError(f"unknown stage {stage!r}.{suggest(stage, known)} Stages: {', '.join(known)}")
        if len(set(value)) != len(value):
            raise ValueError("a stage is listed twice")
        return value

    @model_validator(mode="after")
    def _stages_in_order(self) -> PipelineSpec:
        problems = check_stage_order(self.stages, self.sections())
        if problems:
            raise ValueError("; ".join(f"stages[{i}] {message}" for i, message in problems))
        return self

    def sections(self) -> set[str]:
        """The spec's sections that are present (optional sections left out are not)."""
        return {name for name in type(self).model_fields if getattr(self, name) is not None}

    @model_validator(mode="after")
    def _identifiers_are_protected(self) -> PipelineSpec:
        private = [
            f"{source}.{name}"
            for source, spec in self.sources.items()
            for name, col in spec.column_specs().items()
            if col.privacy != "keep"
        ]
        if private and "pseudonymise" not in self.stages:
            raise ValueError(
                f"fields {', '.join(private)} identify people; add the 'pseudonymise' stage after 'read' so "
                "they never leave ingest in clear"
            )
        if (
            private
            and self.pseudonymisation is None
            and any(col.privacy == "pseudonymise" for s in self.sources.values() for col in s.column_specs().values())
        ):
            raise ValueError(
                "fields are marked 'privacy: pseudonymise' but there is no 'pseudonymisation:' section "
                "(key and scope); make a key with `circles key new PATH`"
            )
        return self

    @property
    def base_dir(self) -> Path:
        return self.spec_path.parent if self.spec_path else Path.cwd()

    def resolve(self, path: Path | str) -> Path:
        """A path from the spec, resolved against the spec's folder."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def with_synthetic_folder(self, folder: str | Path) -> PipelineSpec:
        """The spec with its synthetic inputs written to, and read from, ``folder`` (``circles demo --inputs``).

        Every path under the old synthetic folder (the sources' files, the coding notes, the pilot's files) moves
        with it, so the embedded demo spec runs from any folder.

        Raises
        ------
        SpecError
            If the spec has no ``synthetic:`` section.
        """
        if self.synthetic is None:
            raise SpecError(f"{self.spec_path}: no 'synthetic:' section, so there are no synthetic inputs to move.")
        old, new = self.resolve(self.synthetic.folder), Path(folder).expanduser().resolve()

        def moved(path: str | Path) -> Path:
            resolved = self.resolve(path)
            return new / resolved.relative_to(old) if resolved.is_relative_to(old) else resolved

        update: dict[str, Any] = {
            "synthetic": self.synthetic.model_copy(update={"folder": new}),
            "sources": {n: s.model_copy(update={"files": str(moved(s.files))}) for n, s in self.sources.items()},
        }
        if self.coding is not None:
            update["coding"] = self.coding.model_copy(update={"sources": moved(self.coding.sources)})
        if self.change is not None:
            files = {}
            for key in ("cohort", "outcomes", "family_needs"):
                paths = getattr(self.change, key)
                if paths is not None:
                    files[key] = [moved(p) for p in paths] if isinstance(paths, list) else moved(paths)
            update["change"] = self.change.model_copy(update=files)
        return self.model_copy(update=update)

    def source_files(self, source: SourceSpec) -> list[Path]:
        """The files a source's pattern matches, sorted by name."""
        pattern = str(self.resolve(source.files))
        return sorted(Path(p) for p in glob.glob(pattern)) if glob.has_magic(pattern) else [Path(pattern)]


def load_spec(path: str | Path, *, output: str | Path | None = None) -> PipelineSpec:
    """Read, validate and resolve a pipeline spec; check that every declared file exists.

    Parameters
    ----------
    path : path-like
        The YAML spec.
    output : path-like, optional
        Override the spec's output folder (relative to the current directory).

    Raises
    ------
    SpecError
        One message listing every problem with its key and line.
    """
    path = Path(path)
    data, lines = read_yaml(path, "pipeline spec", error=SpecError)
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a pipeline spec is a YAML mapping with keys such as name, sources, stages.")
    _check_stages(path, data, lines)
    spec = validate_model(
        PipelineSpec,
        {**data, "spec_path": path.resolve()},
        path=path,
        lines=lines,
        what="pipeline spec",
        error=SpecError,
    )
    if output is not None:
        spec = spec.model_copy(update={"output": Path(output).resolve()})
    missing = _missing_files(spec, lines)
    if missing:
        raise SpecError(f"{path}: " + "; ".join(missing))
    return spec


def _check_stages(path: Path, data: dict[str, Any], lines: KeyLines) -> None:
    """The stage list's order and prerequisites, each problem with the line of the stage it concerns.

    (The model checks the same when a spec is built in code; here the message can name the YAML line.)
    """
    stages = data.get("stages")
    if not (isinstance(stages, list) and all(isinstance(s, str) for s in stages)):
        return  # the model reports the type error
    present = {key for key, value in data.items() if value is not None}
    sections = present | {
        n for n, f in PipelineSpec.model_fields.items() if not f.is_required() and f.default is not None
    }
    problems = check_stage_order(stages, sections)
    if problems:
        found = [f"{path}, line {line_for(lines, ('stages', i))}, stages: {message}" for i, message in problems]
        raise SpecError("Invalid pipeline spec:\n  " + "\n  ".join(found))


def _missing_files(spec: PipelineSpec, lines: dict[tuple[Any, ...], int]) -> list[str]:
    """Declared files that do not exist (files the synthetic generator will write are exempt)."""
    problems = []
    generated = spec.resolve(spec.synthetic.folder) if spec.synthetic else None

    def will_be_generated(p: Path) -> bool:
        return generated is not None and generated in p.parents

    for name, source in spec.sources.items():
        pattern = spec.resolve(source.files)
        if will_be_generated(pattern):
            continue
        if not spec.source_files(source) or not all(p.exists() for p in spec.source_files(source)):
            line = line_for(lines, ("sources", name, "files"))
            problems.append(f"line {line}, sources.{name}.files: no file matches {pattern}")
    for name, layer in spec.geography.layers.items():
        declared = layer.lookup.path if layer.lookup else layer.path
        if declared is not None and not layer.optional and not spec.resolve(declared).exists():
            key = ("geography", "layers", name, *(("lookup", "path") if layer.lookup else ("path",)))
            line = line_for(lines, key)
            problems.append(
                f"line {line}, {'.'.join(key)}: {spec.resolve(declared)} does not exist "
                "(mark the layer 'optional: true' to run without it)"
            )
    declared_files = [
        (("rates", "populations", n, "path"), p.path, p.optional) for n, p in spec.rates.populations.items()
    ]
    if spec.deprivation is not None:
        declared_files.append((("deprivation", "path"), spec.deprivation.path, spec.deprivation.optional))
    if spec.costs is not None:
        declared_files.append((("costs", "model"), spec.costs.model, False))
    if spec.services is not None:
        declared_files.append((("services", "directory"), spec.services.directory, False))
    if spec.design is not None:
        for key in ("unit_costs", "options"):
            if isinstance(getattr(spec.design, key), Path):
                declared_files.append((("design", key), getattr(spec.design, key), False))
        declared_files.append((("design", "best_placed", "centroids"), spec.design.best_placed.centroids, False))
    if spec.change is not None:
        for key in ("cohort", "outcomes", "family_needs", "case"):
            paths = getattr(spec.change, key)
            listed = paths if isinstance(paths, list) else [paths]
            for i, path in enumerate(listed):
                if path is not None and not will_be_generated(spec.resolve(path)):
                    where = ("change", key, i) if isinstance(paths, list) else ("change", key)
                    declared_files.append((where, path, False))
    if spec.coding is not None:
        for key in ("codebook", "rules", "codings", "known_people", "quote_decisions"):
            declared_files.append((("coding", key), getattr(spec.coding, key), False))
        if not (generated and generated in spec.resolve(spec.coding.sources).parents):
            declared_files.append((("coding", "sources"), spec.coding.sources, False))
    for key, declared, optional in declared_files:
        if declared is not None and not optional and not spec.resolve(declared).exists():
            where = ".".join(map(str, key))
            problems.append(f"line {line_for(lines, key)}, {where}: {spec.resolve(declared)} does not exist")
    directory = spec.geography.postcode_directory
    if directory != "embedded" and not spec.resolve(directory).exists():
        line = line_for(lines, ("geography", "postcode_directory"))
        problems.append(f"line {line}, geography.postcode_directory: {spec.resolve(directory)} does not exist")
    return problems
