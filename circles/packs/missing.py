"""What a run could not show because its spec lacked something, and the spec lines that would add it.

This module is the one place that knows which spec lines add an area layer, a population, the IMD table, the
service directory or the cost model, and how hot spots tested on counts must be described. It reads only what
the run recorded in ``manifest.json`` (its layers, ``geography.optional_layers_missing``, the layers with rates,
what each hot-spot layer tested, the sections that ran, the warnings) and never the spec itself: a note says what
this run lacked, not what a spec might hold.

The packs print these notes where a section is empty (:mod:`circles.packs.context`), the hot-spot report's
method notes list them all, :func:`circles.packs.render.build_all` writes them to ``packs/missing_data.md``, and
the map stages title hot-spot maps with :func:`circles.stats.captions.hotspot_wording`. A run with everything
(the demo) has no notes.

Examples
--------
>>> manifest = {
...     "geography": {"layers": {"lsoa": {"title": "LSOA (2011)", "source": "lsoa.geojson"}}},
...     "rates": {"measure": "people", "per": 1000, "layers": {}},
...     "hotspots": {"layers": {"lsoa": {"tested": "count of people", "value": "count", "value_requested": "rate"}}},
...     "stages": [{"stage": s} for s in ("aggregate", "rates", "hotspots")],
... }
>>> missing = missing_data(manifest)
>>> missing.population("lsoa").what
'No population for LSOA (2011)'
>>> print(missing.population("lsoa").snippet)
rates:
  populations:
    lsoa: {path: population_lsoa.csv, code: lsoa_code, layout: syoa}
>>> hotspot_wording(manifest, "lsoa")["caption"]  # doctest: +NORMALIZE_WHITESPACE
'Hot spots on counts of people (no population for this layer: counts, not rates — large areas and areas
 with many residents will stand out)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from circles.stats.captions import hotspot_wording

__all__ = ["Missing", "MissingData", "missing_data", "hotspot_wording", "MISSING_FILE"]

#: Written by :func:`circles.packs.render.build_all` beside the packs when a run lacked something.
MISSING_FILE = "missing_data.md"


@dataclass(frozen=True)
class Missing:
    """One thing a run lacked: what, what it would give, and the spec lines that add it.

    Attributes
    ----------
    key : str
        ``"layer:ward"``, ``"layer:lsoa"``, ``"hotspots_layer:<name>"``, ``"population:<layer>"``,
        ``"deprivation"``, ``"hotspots"``, ``"services"``, ``"costs"``, ``"costs_population"``, ``"coding"``,
        ``"network"``, ``"design"`` or ``"maps"``.
    what : str
        What is missing, as a heading (``"No population for Wards (2025)"``).
    gives : str
        What it would give, completing "It would give ...".
    snippet : str
        The YAML spec lines that would add it (paths are examples: use your own file's name and columns).
    detail : str
        Why this run lacks it, when the run recorded a reason (a declared file that was not found).
    embedded : str
        The Blackburn with Darwen alternative, embedded in circles (only when the run used embedded geography).
    """

    key: str
    what: str
    gives: str
    snippet: str
    detail: str = ""
    embedded: str = ""

    def markdown(self) -> str:
        """The note as Markdown (for ``packs/missing_data.md``)."""
        lines = [f"## {self.what}", ""]
        if self.detail:
            lines += [self.detail, ""]
        lines += [f"It would give {self.gives}. To add it, put these lines in the spec:", "", "```yaml"]
        lines += [self.snippet, "```", ""]
        if self.embedded:
            lines += [f"Blackburn with Darwen: the embedded copy does the same: `{self.embedded}`.", ""]
        return "\n".join(lines)


@dataclass(frozen=True)
class MissingData:
    """Every :class:`Missing` note of a run, with look-ups by what a pack section needs."""

    notes: tuple[Missing, ...]

    def __bool__(self) -> bool:
        return bool(self.notes)

    def __iter__(self):
        return iter(self.notes)

    def get(self, key: str) -> Missing | None:
        return next((n for n in self.notes if n.key == key), None)

    def population(self, layer: str) -> Missing | None:
        """Why ``layer`` has no rates, or ``None`` when it has them (or is not in the run)."""
        return self.get(f"population:{layer}")

    def layer(self, kind: str) -> Missing | None:
        """Why the run has no layer of ``kind`` (``"ward"`` or ``"lsoa"``)."""
        return self.get(f"layer:{kind}")

    def keys(self) -> list[str]:
        return [n.key for n in self.notes]

    def markdown(self, pipeline: str = "") -> str:
        """All the notes as one Markdown document, or ``""`` when nothing is missing."""
        if not self.notes:
            return ""
        head = f"# What this run could not show{f' ({pipeline})' if pipeline else ''}\n\n"
        intro = (
            "The spec of this run lacked the data below, so the packs and maps leave these parts out (or, for hot "
            "spots, use counts instead of rates). Each note gives the spec lines that add it; the file names and "
            "columns are examples: use your own file's.\n\n"
        )
        return head + intro + "\n".join(n.markdown() for n in self.notes)


# ------------------------------------------------------------------------------------------------ the notes
def missing_data(manifest: dict[str, Any]) -> MissingData:
    """What the run recorded in ``manifest`` as missing, each with the spec lines that add it.

    Only what the run recorded counts: a section whose stage did not run, a layer the packs look for (LSOAs,
    wards) that is absent, a layer with no rates, a hot-spot layer that was skipped, a declared file that was not
    found (from the run's warnings). A manifest that records none of the pipeline's stages (a bare copy) gives
    no notes.
    """
    if not isinstance(manifest, dict) or "geography" not in manifest:
        return MissingData(())
    run = _Run(manifest)
    layer_notes = {kind: run.layer_note(kind) for kind in ("lsoa", "ward")}
    folded = tuple(kind for kind, note in layer_notes.items() if note is not None)  # their notes say it
    notes: list[Missing | None] = [
        *layer_notes.values(),
        *(run.hotspot_layer_note(n) for n in run.hotspot_layers_missing() if not n.startswith(folded)),
        *(run.population_note(name) for name in run.layers),
        run.hotspots_note(),
        run.deprivation_note(),
        run.costs_note(),
        run.costs_population_note(),
        run.services_note(),
        run.coding_note(),
        run.network_note(),
        run.design_note(),
        run.change_note(),
        run.maps_note(),
    ]
    return MissingData(tuple(n for n in notes if n is not None))


# ------------------------------------------------------------------------------------------------ the run
class _Run:
    """What the manifest recorded, read once, and the notes built from it."""

    def __init__(self, manifest: dict[str, Any]) -> None:
        self.manifest = manifest
        geography = manifest.get("geography") or {}
        self.layers: dict[str, dict[str, Any]] = dict(geography.get("layers") or {})
        self.declared_missing: list[str] = list(geography.get("optional_layers_missing") or [])
        self.stages = {s.get("stage") for s in manifest.get("stages") or [] if isinstance(s, dict)}
        self.warnings = [str(w) for w in manifest.get("warnings") or []]
        self.rates = manifest.get("rates")
        self.rated = set(((self.rates or {}).get("layers") or {}).keys())
        self.bwd = any(str(v.get("source", "")).startswith("embedded:") for v in self.layers.values()) or str(
            (manifest.get("geocoding") or {}).get("postcode_directory", "")
        ).startswith("embedded")

    # helpers
    def title(self, layer: str) -> str:
        return str((self.layers.get(layer) or {}).get("title") or layer)

    def lsoa_layer(self) -> str:
        return next((n for n in self.layers if n.startswith("lsoa")), "lsoa")

    def listed(self, stage: str) -> bool:
        """Whether the run's stage list had ``stage`` (unknown when the manifest lists no stages: assume so)."""
        return not self.stages or stage in self.stages

    def _stage_line(self, stage: str, after: str) -> str:
        return "" if self.listed(stage) else f"\n# and list '{stage}' in stages:, after '{after}'"

    def _not_found(self, pattern: str) -> str | None:
        """The file name a warning says was not found (``pattern`` is a regex whose group 1 is the path)."""
        for warning in self.warnings:
            found = re.search(pattern, warning)
            if found:
                return PurePath(found.group(1).strip()).name
        return None

    # layers
    def layer_note(self, kind: str) -> Missing | None:
        """Why the run has no layer of ``kind`` (``"lsoa"`` or ``"ward"``), which the packs look for."""
        if any(name.startswith(kind) for name in self.layers):
            return None
        declared = [n for n in self.declared_missing if n.startswith(kind)]
        asked = [n for n in self.hotspot_layers_missing() if n.startswith(kind) and n not in declared]
        details = []
        for name in declared:
            found = self._not_found(rf"optional layer '{re.escape(name)}' not found at (.+?); running")
            details.append(f"The spec declares geography.layers.{name}, but {found or 'its file'} was not found.")
        if not declared:
            details.append(f"The spec declares no {'ward' if kind == 'ward' else 'LSOA'} layer.")
        if asked:
            details.append(
                f"The spec's hotspots.layers asks for {', '.join(asked)}, so hot spots by "
                f"{kind if kind == 'ward' else 'LSOA'} were skipped."
            )
        name = (declared + asked + [{"ward": "ward2025", "lsoa": "lsoa"}[kind]])[0]
        embedded = _embedded_layer(name) or {"ward": "ward2025", "lsoa": "lsoa11"}[kind]
        if kind == "ward":
            details.append(
                "No ward boundaries? A layer can also group the LSOAs by the ONS best-fit lookup (a layer with "
                "'lookup:', as ward2017 in pipelines/demo.yaml)."
            )
            return Missing(
                key="layer:ward",
                what="No ward layer",
                detail=" ".join(details),
                gives="tables, maps and hot spots by ward, the areas councillors and commissioners know (give the "
                f"ward layer a population too, or derive_from: {self.lsoa_layer()}, for rates)",
                snippet=_layer_snippet(name),
                embedded=f"{name}: {{embedded: {embedded}}}" if self.bwd else "",
            )
        return Missing(
            key="layer:lsoa",
            what="No LSOA (neighbourhood) layer",
            detail=" ".join(details),
            gives="the neighbourhood tables and maps, the deprivation profile (IMD is by LSOA) and hot spots by "
            "neighbourhood",
            snippet=_layer_snippet(name),
            embedded=f"{name}: {{embedded: {embedded}}}" if self.bwd else "",
        )

    def hotspot_layers_missing(self) -> list[str]:
        hotspots = self.manifest.get("hotspots") or {}
        recorded = hotspots.get("layers_missing")
        if recorded is None:  # runs before the hotspots stage recorded them: its warnings say the same
            recorded = [
                m.group(1)
                for w in self.warnings
                if (m := re.match(r"hotspots: layer '([^']+)' not available; skipped", w))
            ]
        return [n for n in recorded if n not in self.layers]

    def hotspot_layer_note(self, name: str) -> Missing:
        return Missing(
            key=f"hotspots_layer:{name}",
            what=f"No layer {name} for the hot spots asked for",
            detail=f"hotspots.layers lists {name}, but geography.layers has no layer {name} in this run"
            + (", so it was skipped." if name not in self.declared_missing else " (its file was not found)."),
            gives=f"hot and cold spots (Gi*) and clusters (local Moran's I) by {name}",
            snippet=_layer_snippet(name),
            embedded=f"{name}: {{embedded: {_embedded_layer(name)}}}" if self.bwd and _embedded_layer(name) else "",
        )

    # populations
    def population_note(self, layer: str) -> Missing | None:
        if layer in self.rated:
            return None
        lsoa = self.lsoa_layer()
        line, embedded = _population_line(layer, self.layers.get(layer) or {})
        snippet = f"rates:\n  populations:\n    {line}"
        if not layer.startswith("lsoa") and lsoa in self.layers:
            snippet += (
                f"\n    # or, summed from the LSOA populations by best fit:\n    # {layer}: {{derive_from: {lsoa}}}"
            )
        snippet += self._stage_line("rates", "aggregate")
        found = self._not_found(rf"population for '{re.escape(layer)}' not found at (.+?); no rates")
        detail = (
            f"The spec declares rates.populations.{layer}, but {found} was not found."
            if found
            else ("The spec lists no 'rates' stage." if not self.listed("rates") else "")
        )
        return Missing(
            key=f"population:{layer}",
            what=f"No population for {self.title(layer)}",
            detail=detail,
            gives="rates per 1,000 residents with 95% intervals, each area compared with the study area, and hot "
            "spots of the rate (without one, hot spots are tested on counts, so large areas and areas with many "
            "residents stand out)",
            snippet=snippet,
            embedded=f"{layer}: {{embedded: {embedded}}}" if self.bwd and embedded else "",
        )

    # sections
    def hotspots_note(self) -> Missing | None:
        if "hotspots" in self.manifest or not self.stages:
            return None
        layers = [n for n in (self.lsoa_layer(), next((n for n in self.layers if n.startswith("ward")), None)) if n]
        return Missing(
            key="hotspots",
            what="No hot-spot analysis",
            detail="The spec lists no 'hotspots' stage.",
            gives="hot and cold spots (Getis-Ord Gi*) and clusters (local Moran's I) on the maps and in the area "
            "tables",
            snippet=_yaml_block(
                "hotspots",
                [(f"layers: [{', '.join(layers)}]", ""), ("value: rate", "the rate where a population is known")],
            )
            + self._stage_line("hotspots", "rates"),
        )

    def deprivation_note(self) -> Missing | None:
        if self.manifest.get("deprivation"):
            return None
        found = self._not_found(r"IMD table not found at (.+?); no deprivation")
        if found:
            detail = f"The spec declares deprivation.path, but {found} was not found."
        elif not self.listed("deprivation"):
            detail = "The spec has no 'deprivation' stage."
        else:
            detail = "The spec has no 'deprivation:' section."
        lsoa = self.lsoa_layer()
        return Missing(
            key="deprivation",
            what="No deprivation (IMD 2019)",
            detail=detail,
            gives="the deprivation profile: people by national IMD 2019 decile and quintile, the share living in "
            "England's most deprived 10% of neighbourhoods, and each LSOA's decile in the area table",
            snippet=_yaml_block(
                "deprivation",
                [
                    ("path: imd2019_lsoa.csv", "IMD 2019 by LSOA (MHCLG, File 1)"),
                    (f"layer: {lsoa}", ""),
                    ("code: lsoa_code", "the column of LSOA codes"),
                    ("decile: IMD_decile", "the column of deciles"),
                ],
            )
            + self._stage_line("deprivation", "rates"),
            embedded=f"deprivation: {{embedded: imd2019, layer: {lsoa}}}" if self.bwd else "",
        )

    def costs_note(self) -> Missing | None:
        if "costs" in self.manifest or not self.stages:
            return None
        return Missing(
            key="costs",
            what="No cost model",
            detail="The spec has no 'costs:' section." if self.listed("costs") else "The spec has no 'costs' stage.",
            gives="the scale of the problem: estimated prevalence and treatment penetration, the annual cost to "
            "public services by sector, and what sustained change would save",
            snippet=_yaml_block(
                "costs",
                [
                    ("model: costs.yaml", "cost lines by sector, as pipelines/demo_costs.yaml"),
                    (f"layer: {self.lsoa_layer()}", "its population file gives prevalence by area"),
                ],
            )
            + self._stage_line("costs", "aggregate"),
        )

    def costs_population_note(self) -> Missing | None:
        costs = self.manifest.get("costs")
        if not costs or costs.get("prevalence"):
            return None
        layer = next(
            (m.group(1) for w in self.warnings if (m := re.match(r"costs: no population for layer '([^']+)'", w))),
            None,
        )
        if layer is None:
            return None
        line, embedded = _population_line(layer, self.layers.get(layer) or {})
        rates = list((costs.get("prevalence_rates") or {}).keys())
        categories = f"({' and '.join(rates)})" if rates else "in each prevalence category"
        return Missing(
            key="costs_population",
            what=f"No prevalence estimate: no population file for {self.title(layer)}",
            detail=f"costs.layer is {layer}, and rates.populations has no population file for it (a derive_from "
            "population does not count here).",
            gives=f"estimated numbers of people {categories}, children affected, treatment penetration and the "
            "cost per case",
            snippet=f"rates:\n  populations:\n    {line}",
            embedded=f"{layer}: {{embedded: {embedded}}}" if self.bwd and embedded else "",
        )

    def services_note(self) -> Missing | None:
        if "challenge" in self.manifest or "circle" in self.manifest or not self.stages:
            return None
        stages = (
            ""
            if self.listed("challenge")
            else "\n# and list 'circle' and 'challenge' in stages:, after 'coding' and 'network'"
        )
        coding = "" if "coding" in self.manifest else " (the circle also needs a 'coding:' section)"
        return Missing(
            key="services",
            what="No service directory",
            detail="The spec has no 'services:' section.",
            gives="the circle of need, the unmet-need and duplication table, and the six challenge questions with "
            f"their evidence{coding}",
            snippet=_yaml_block(
                "services",
                [
                    ("directory: services.yaml", "or an HSDS 3.0 / Open Referral UK package"),
                    ("format: yaml", "yaml | hsds | open_referral"),
                    ("segment: the customer segment, in a few words", ""),
                ],
            )
            + stages,
        )

    def coding_note(self) -> Missing | None:
        """No notes coded: what families said is missing from the packs (and, without a codebook, the sheets)."""
        if "coding" in self.manifest or not self.stages:
            return None
        codebook = any(f.get("key") == "coding.codebook" for f in self.manifest.get("reference_files") or [])
        if codebook:
            detail = "The spec has a codebook, but no notes were coded in this run" + (
                " (the spec lists no 'coding' stage)." if not self.listed("coding") else "."
            )
        else:
            detail = "The spec has no 'coding:' section, so there is no codebook and no coded notes."
        return Missing(
            key="coding",
            what="No coded notes" if codebook else "No codebook and no coded notes",
            detail=detail,
            gives="what families said, coded: needs, barriers, aspirations and fears ranked by how often they were "
            "raised, with quotes; how often each need was raised, in the challenge questions and the unmet-need "
            "table; providers' own views; and the circle of need"
            + ("" if codebook else ". The codebook alone gives the coding sheets of the customer engagement pack"),
            snippet=_yaml_block(
                "coding",
                [
                    ("codebook: codebook.yaml", "the codes, as pipelines/demo_codebook.yaml"),
                    ("sources: notes", "the typed-up workshop and interview notes"),
                ],
            )
            + self._stage_line("coding", "read"),
        )

    def network_note(self) -> Missing | None:
        """No service-overlap network: families in many services and the services sharing them are missing."""
        if "network" in self.manifest or not self.stages:
            return None
        return Missing(
            key="network",
            what="No service-overlap network",
            detail="The spec lists no 'network' stage.",
            gives="the services that work with the same families, how many families are in contact with 3, 5 or 7 "
            "or more services, and the pairs of services sharing most families (challenge questions 4 and 6)",
            snippet=_yaml_block("network", [("family_field: family_id", "the field naming each record's family")])
            + self._stage_line("network", "validate"),
        )

    def design_note(self) -> Missing | None:
        """No design stage: the journeys, failure demand, who is best placed and the options are missing."""
        if "design" in self.manifest or not self.stages:
            return None
        if not self.listed("design"):
            detail = "The spec lists no 'design' stage."
        else:
            warning = next((w for w in self.warnings if w.startswith("design: ") and "so no customer" in w), None)
            detail = (
                f"The design stage found no customer journeys: {warning.removeprefix('design: ')}."
                if warning
                else "The spec has no 'design:' section."
            )
        return Missing(
            key="design",
            what="No design stage",
            detail=detail,
            gives="the design workshop pack: the commonest customer journeys and routes into support, the time "
            "from a family's first crisis contact to planned support, how often families tell their story again, "
            "repeat presentations, failure demand per service and its cost, who is best placed to meet each need, "
            "and the options appraised (net present value and tornado charts)",
            snippet=_yaml_block(
                "design",
                [
                    ("unit_costs: unit_costs.yaml", "cost per contact, each with source and price year"),
                    ("repeat_windows: [30, 90]", "back in crisis within 30 and 90 days"),
                    ("options: options.yaml", "the options to appraise, as pipelines/demo_options.yaml"),
                ],
            )
            + self._stage_line("design", "challenge"),
        )

    def change_note(self) -> Missing | None:
        """No change stage: the pilot's effect, the benefits realised and the register are missing."""
        if "change" in self.manifest or not self.stages:
            return None
        detail = (
            "The spec lists no 'change' stage." if not self.listed("change") else "The spec has no 'change:' section."
        )
        return Missing(
            key="change",
            what="No change stage",
            detail=detail,
            gives="the case for change pack's evidence: the pilot's effect on crisis contacts against a matched "
            "comparison group (difference-in-differences with its interval, and the smallest effect the pilot "
            "could detect), the benefits realised so far against those expected, the Supporting Families "
            "successful family outcomes, and the benefits register",
            snippet=_yaml_block(
                "change",
                [
                    ("cohort: pilot/cohort.csv", "pilot and comparison families: group, start date, LSOA, age band"),
                    ("outcomes: pilot/outcomes.csv", "family, month, measure, value (A&E, police, wellbeing)"),
                    ("family_needs: pilot/family_needs.csv", "Supporting Families headline needs (planner export)"),
                    ("case: case_for_change.yaml", "reason, champions, risks, measures, benefits register"),
                ],
            )
            + self._stage_line("change", "design"),
        )

    def maps_note(self) -> Missing | None:
        """No print maps: the packs' map sections are empty."""
        if self.listed("maps") or not self.stages:
            return None
        return Missing(
            key="maps",
            what="No maps",
            detail="The spec lists no 'maps' stage.",
            gives="print maps of the people in contact with services, the rates and the hot spots by area, in the "
            "packs and as A4 and A3 PDFs",
            snippet=_yaml_block("maps", [("measure: people", ""), ("paper: [A4, A3]", "")])
            + "\n# and list 'maps' in stages:, after 'hotspots'",
        )


# ------------------------------------------------------------------------------------------------ spec lines
def _yaml_block(section: str, lines: list[tuple[str, str]]) -> str:
    """``section:`` and its indented ``key: value`` lines, with their comments aligned."""
    width = max((len(line) for line, comment in lines if comment), default=0) + 2
    body = [f"  {line:<{width}}# {comment}".rstrip() if comment else f"  {line}" for line, comment in lines]
    return "\n".join([f"{section}:", *body])


def _layer_snippet(name: str) -> str:
    """``geography.layers.<name>`` read from a boundary file, with the ONS column names its name suggests."""
    code, label = _layer_columns(name)
    title = ""
    year = re.fullmatch(r"ward(\d{4})", name)
    if year:
        title = f", title: Wards ({year.group(1)})"
    return f"geography:\n  layers:\n    {name}: {{path: {name}.geojson, code: {code}, name: {label}{title}}}"


def _layer_columns(name: str) -> tuple[str, str]:
    year = re.fullmatch(r"ward\d{2}(\d{2})", name)
    if year:
        return f"WD{year.group(1)}CD", f"WD{year.group(1)}NM"
    if name.startswith("lsoa"):
        return "LSOA11CD", "LSOA11NM"
    if name.startswith("msoa"):
        return "MSOA11CD", "MSOA11NM"
    return "AREA_CODE_COLUMN", "AREA_NAME_COLUMN"


def _embedded_layer(name: str) -> str:
    """The embedded Blackburn with Darwen layer of that name, or ``""``."""
    known = {"lsoa": "lsoa11", "lsoa11": "lsoa11", "msoa": "msoa11", "msoa11": "msoa11"}
    if name in ("ward2025", "ward2004", "ward2017"):
        return name
    return known.get(name, "")


def _population_line(layer: str, info: dict[str, Any]) -> tuple[str, str]:
    """``rates.populations.<layer>`` from a file, and the embedded Blackburn with Darwen population (or ``""``)."""
    source = str(info.get("source", ""))
    if layer.startswith("lsoa"):
        embedded = "lsoa11_mid2020" if source.startswith("embedded:lsoa11") or layer in ("lsoa", "lsoa11") else ""
        return f"{layer}: {{path: population_lsoa.csv, code: lsoa_code, layout: syoa}}", embedded
    if layer.startswith("ward"):
        embedded = "ward2025_census2021" if layer == "ward2025" or source.startswith("embedded:ward2025") else ""
        return f"{layer}: {{path: population_ward.csv, code: ward_code, layout: nomis_ts007}}", embedded
    return f"{layer}: {{path: population_{layer}.csv, code: {layer}_code, layout: syoa}}", ""
