"""What the pack templates are given: the published files of a report folder, read and formatted for print.

Only the published files are read (tables, maps, coding summaries, the manifest), never the records. A missing
optional file gives ``None`` and the template says "not available in this run"; when the *spec* lacked what a
section needs (a layer, a population, the IMD, the services or costs section), the section gets the
:class:`~circles.packs.missing.Missing` note saying what is missing and the spec lines that add it
(:mod:`circles.packs.missing`, from the manifest). :func:`_context` builds the whole template context, one helper
per pack section.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from circles.io.writers import atomic_path
from circles.packs.assets import IMAGE_MAX_WIDTH, PAGE_SIZES, TITLES, UNAVAILABLE, PackError, font_files
from circles.packs.missing import MissingData, hotspot_wording, missing_data
from circles.packs.values import _csv, _fmt, _num, _pct
from circles.stats.captions import rate_unit, residents
from circles.stats.hotspot_classes import HOTSPOT_NOTE


def _money(value: Any) -> str:
    """An estimate in pounds as a pack quotes it, to 3 significant figures (``£33.6 million``, ``£5,470``), or the
    text unchanged if it is not a number: an estimate is not known to the pound (the CSVs keep full values)."""
    from circles.costs.money import format_gbp_rounded

    number = _num(value)
    return format_gbp_rounded(number) if number is not None else _fmt(value)


def _rate(row: dict[str, str]) -> str:
    """``6.6 (3.2–12.2)`` from rate, rate_lower and rate_upper; ``*`` if suppressed."""
    if _num(row.get("rate")) is None:
        return "*" if str(row.get("rate", "")).strip() == "*" else "–"
    low, high = _num(row.get("rate_lower")), _num(row.get("rate_upper"))
    interval = f" ({low:.1f}–{high:.1f})" if low is not None and high is not None else ""
    return f"{_num(row['rate']):.1f}{interval}"


def _has_rates(rows: list[dict[str, str]] | None) -> bool:
    """Whether an area table has rates: a ``rate`` column (the layer had a population)."""
    return bool(rows) and "rate" in rows[0]


def _area_rows(
    rows: list[dict[str, str]] | None, *, top: int | None = None, count: str = "people"
) -> list[dict[str, str]] | None:
    """Area table rows for print; ``top`` keeps the first few.

    Highest rate first when the table has rates, else highest ``count`` first; suppressed values last, then by
    name.
    """
    if rows is None:
        return None
    if _has_rates(rows):
        ordered = sorted(rows, key=lambda r: (-(_num(r.get("rate")) or -1.0), r.get("area_name", "")))
    else:
        ordered = sorted(rows, key=lambda r: (-(_num(r.get(count)) or -1.0), r.get("area_name", "")))
    out = [
        {
            "name": r.get("area_name") or r.get("area_code", ""),
            "code": r.get("area_code", ""),
            "people": _fmt(r.get("people")),
            "records": _fmt(r.get("records")),
            "rate": _rate(r),
            "comparison": r.get("comparison", "") or "–",
            "gi": r.get("hotspot") or r.get("gi_label", ""),
            "imd": r.get("imd_decile", ""),
        }
        for r in ordered
    ]
    return out[:top] if top else out


def population_source(manifest: dict[str, Any], layer: str) -> str | None:
    """The population behind ``layer``'s rates, from what the manifest knows: ``ONS mid-2020 LSOA estimates``.

    A layer whose population file is one circles embeds is named by that file's title (its year and source);
    another file is named by its file name. A layer without a file of its own had its population summed by best
    fit from another layer's: the layer with a file and the same total, when there is exactly one.
    """
    from circles.geo.embedded import EMBEDDED_POPULATIONS

    titles = {table.file: table.title for table in EMBEDDED_POPULATIONS.values()}
    files = {
        str(f.get("key", "")).removeprefix("rates.populations."): str(f.get("file", ""))
        for f in manifest.get("reference_files") or []
        if str(f.get("key", "")).startswith("rates.populations.")
    }
    if layer in files:
        return titles.get(files[layer], files[layer])
    layers = (manifest.get("rates") or {}).get("layers") or {}
    total = (layers.get(layer) or {}).get("population")
    if total is None:
        return None
    same = [name for name in files if name in layers and (layers[name] or {}).get("population") == total]
    if len(same) == 1:
        source = titles.get(files[same[0]], files[same[0]])
        return f"summed by best fit from the {_layer_title(same[0], manifest)} populations ({source})"
    return "summed by best fit from another layer's populations"


def _layers(report: Path) -> list[str]:
    """Area layers with a published table, LSOA first, then wards (the newest, the ones in use, first), then the
    rest."""
    names = sorted(p.name.removesuffix("_areas.csv") for p in (report / "tables").glob("*_areas.csv"))
    wards = sorted((n for n in names if n.startswith("ward")), reverse=True)
    return [n for n in names if n == "lsoa"] + wards + [n for n in names if n != "lsoa" and n not in wards]


def _layer_title(layer: str, manifest: dict[str, Any]) -> str:
    """ "LSOA (neighbourhoods)", "MSOA", or a ward layer's title as the spec gave it ("Wards (2025)"; a best-fit
    layer says it is LSOAs grouped), else "Wards (year)"."""
    layers = (manifest.get("geography") or {}).get("layers") or {}
    titles = {name: str(entry["title"]) for name, entry in layers.items() if (entry or {}).get("title")}
    if layer == "lsoa":
        return "LSOA (neighbourhoods)"
    if layer == "msoa":
        return "MSOA"
    if layer.startswith("ward"):
        year = layer.removeprefix("ward")
        return titles.get(layer) or (f"Wards ({year})" if year else "Wards")
    return titles.get(layer) or layer


class _Images:
    """The report's figures for one pack, in ``<out>/img/``, referenced relatively from the HTML.

    :meth:`vector` gives the SVG drawn for this pack's page (:mod:`circles.figures.media`): ``print`` or ``large``
    for a figure in the text column, ``wall`` or ``wall_large`` for the A3 challenge pack's big diagrams. Calling
    the object gives a downscaled copy of a PNG (for figures not yet drawn for a medium).
    """

    def __init__(self, report: Path, out: Path, *, large_print: bool = False) -> None:
        self.report, self.out, self.large_print = report, out, large_print

    def medium(self, *, wall: bool = False) -> str:
        """The medium key of this pack: ``print``/``large``, or ``wall``/``wall_large`` with ``wall=True``."""
        if wall:
            return "wall_large" if self.large_print else "wall"
        return "large" if self.large_print else "print"

    def vector(self, stem: str, *, wall: bool = False) -> str | None:
        """The SVG of figure ``stem`` (``"maps/lsoa_hotspots"``) for this pack, copied beside it; ``None`` if the
        report has none."""
        rel = f"{stem}_{self.medium(wall=wall)}.svg"
        source = self.report / rel
        if not source.is_file():
            return None
        target = self.out / "img" / rel.replace("/", "_")
        with atomic_path(target) as tmp:  # packs render in parallel: another may be reading this file
            shutil.copyfile(source, tmp)
        return target.relative_to(self.out).as_posix()

    def __call__(self, rel: str, *, max_width: int = IMAGE_MAX_WIDTH) -> str | None:
        source = self.report / rel
        if not source.is_file():
            return None
        target = self.out / "img" / rel.replace("/", "_")
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            with atomic_path(target) as tmp:  # whole or absent: packs render in parallel
                try:
                    from PIL import Image

                    with Image.open(source) as image:
                        if image.width > max_width:
                            image = image.resize((max_width, round(image.height * max_width / image.width)))
                        image.save(tmp, optimize=False)
                except Exception:  # an unreadable image is copied as it is; the browser or WeasyPrint decides
                    shutil.copyfile(source, tmp)
        return target.relative_to(self.out).as_posix()


def _context(name: str, report: Path, out: Path, large_print: bool) -> dict[str, Any]:
    """Everything the templates need, read from the report folder's published files only."""
    from circles.packs.change_context import change_context
    from circles.packs.design_context import design_context

    manifest = _manifest(report)
    missing = missing_data(manifest)
    image = _Images(report, out, large_print=large_print)
    wide = 2 * IMAGE_MAX_WIDTH if PAGE_SIZES[name] == "A3 landscape" else IMAGE_MAX_WIDTH
    layers = _layers(report)
    wards = [layer for layer in layers if layer.startswith("ward")]

    def layer_info(layer: str, *, top: int | None = None) -> dict[str, Any]:
        return _layer_info(report, manifest, missing, layer, image, wide, top=top)

    return {
        **_common(name, report, manifest, large_print),
        # what the spec lacked: every note, and each where its section looks for it
        "missing": list(missing),
        "missing_lsoa": missing.layer("lsoa"),
        "missing_ward": missing.layer("ward"),
        "missing_hotspot_layers": [n for n in missing if n.key.startswith("hotspots_layer:")],
        "missing_hotspots": missing.get("hotspots"),
        "missing_ward_map": missing.layer("ward")
        or next((n for n in missing if n.key.startswith("hotspots_layer:ward")), None),
        "missing_populations": [n for n in missing if n.key.startswith("population:")],
        "missing_deprivation": missing.get("deprivation"),
        "missing_costs": missing.get("costs") or missing.get("costs_population"),
        "missing_services": missing.get("services"),
        "missing_coding": missing.get("coding"),
        "missing_network": missing.get("network"),
        "missing_maps": missing.get("maps"),
        # customer definition
        "lsoa": layer_info("lsoa", top=15) if "lsoa" in layers else None,
        "ward": layer_info(wards[0], top=12) if wards else None,
        "quintiles": _quintiles(report),
        "quintile_rates": any(
            _num(r.get("rate")) is not None for r in _csv(report, "tables/deprivation_quintile.csv") or []
        ),
        **_costs(report, manifest, image, wide),
        # customer engagement
        "codebook": _codebook(report),
        # challenge
        **_challenge(report, manifest, image, wide, wards),
        # design
        **design_context(report, manifest, image, missing),
        # case for change
        **change_context(report, manifest, image, missing),
        # hotspot report
        "layers": [layer_info(layer) for layer in layers if layer == "lsoa" or layer.startswith("ward")],
    }


def _manifest(report: Path) -> dict[str, Any]:
    """The report folder's ``manifest.json``; a folder without one is not a report folder."""
    manifest_path = report / "manifest.json"
    if not manifest_path.is_file():
        raise PackError(f"{report} is not a report folder: manifest.json is missing. Run `circles run SPEC` first.")
    try:
        return json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackError(f"{manifest_path} cannot be read as JSON: {exc}") from exc


def _common(name: str, report: Path, manifest: dict[str, Any], large_print: bool) -> dict[str, Any]:
    """What every pack prints: titles, the run, the synthetic notice, the methods and the attributions."""
    from circles import __version__
    from circles.geo.deprivation import IMD_ATTRIBUTION
    from circles.geo.layers import ATTRIBUTION

    synthetic = manifest.get("synthetic")
    if synthetic is not None:
        note = synthetic.get("note") if isinstance(synthetic, dict) else None
        synthetic = note or "SYNTHETIC records: not real people"
    rates = manifest.get("rates") or {}
    hotspots = manifest.get("hotspots") or {}
    return {
        "name": name,
        "title": TITLES[name][0],
        "subtitle": TITLES[name][1],
        "page_size": PAGE_SIZES[name],
        "large_print": large_print,
        "pipeline": manifest.get("pipeline") or report.name,
        "description": manifest.get("description") or "",
        "report_name": report.name,
        "version": __version__,
        "built": date.today().isoformat(),
        "synthetic": synthetic,
        "fonts": {key: f"fonts/{path.name}" for key, path in font_files().items()},  # copied beside the pack
        "unavailable": UNAVAILABLE,
        "disclosure_rule": (manifest.get("disclosure") or {}).get("rule"),
        "quotes_held": (manifest.get("screening") or {}).get("held_for_review") or 0,
        "records_period": (manifest.get("records_period") or {}).get("label"),
        "rates_method": rates.get("method"),
        "rates_per": _fmt(rates.get("per", 1000)),
        "rate_unit": rate_unit(rates),
        "rate_residents": residents(rates),
        "rate_counts": "service records" if rates.get("measure") == "records" else "people in contact with services",
        "rate_sources": [
            {"title": _layer_title(layer, manifest), "source": source}
            for layer in (rates.get("layers") or {})
            if (source := population_source(manifest, layer))
        ],
        "rates_confidence": _pct(rates.get("confidence")) if rates.get("confidence") else None,
        "rated_layers": [_layer_title(k, manifest) for k in (rates.get("layers") or {})],
        "hotspots_published": hotspots.get("published"),
        "hotspot_note": HOTSPOT_NOTE,
        "hotspot_layers": [
            {
                "key": key,
                "title": _layer_title(key, manifest),
                "tested": (hotspot_wording(manifest, key) or {}).get("tested") or spec.get("tested", ""),
                "caption": (hotspot_wording(manifest, key) or {}).get("caption", ""),
                "counts": (hotspot_wording(manifest, key) or {}).get("counts", False),
                "weights": spec.get("weights", ""),
                "correction": spec.get("correction", ""),
                "permutations": _fmt(spec.get("permutations")),
                "hot": _hot_count(spec, "Hot spot", "hot_spots"),
                "cold": _hot_count(spec, "Cold spot", "cold_spots"),
            }
            for key, spec in (hotspots.get("layers") or {}).items()
        ],
        "attribution": ATTRIBUTION,
        "imd_attribution": IMD_ATTRIBUTION,
    }


def _layer_info(
    report: Path,
    manifest: dict[str, Any],
    missing: MissingData,
    layer: str,
    image: _Images,
    wide: int,
    *,
    top: int | None = None,
) -> dict[str, Any]:
    """One area layer: its table (the ``top`` rows), rates against the study area, hot spots and maps.

    A layer without rates is titled and sorted by its counts, never "by rate", and carries the note saying
    which spec lines add its population; its hot spots say they are on counts.
    """
    rates = manifest.get("rates") or {}
    hotspots = manifest.get("hotspots") or {}
    stats = (rates.get("layers") or {}).get(layer) or {}
    spots = (hotspots.get("layers") or {}).get(layer)
    table = _csv(report, f"tables/{layer}_areas.csv")
    has_rates = _has_rates(table)
    count = "records" if rates.get("measure") == "records" else "people"
    noun = {"people": "people", "records": "service records"}[count]
    title = _layer_title(layer, manifest)
    place = "Neighbourhoods" if layer == "lsoa" else title
    plural = {"lsoa": "LSOAs", "msoa": "MSOAs"}.get(layer, "wards" if layer.startswith("ward") else "areas")
    by = "rate" if has_rates else f"number of {noun}"
    wording = hotspot_wording(manifest, layer)
    unit = rate_unit(rates)
    return {
        "key": layer,
        "title": title,
        "has_rates": has_rates,
        "count_key": count,
        "count_label": count.capitalize(),
        "heading": f"{place} with the highest rates"
        if has_rates
        else f"{place} with the most {noun}{' in contact with services' if count == 'people' else ''}",
        "caption": f"Top {top} {plural} by {by}" if top else f"All {plural}, by {by}",
        "population_note": missing.population(layer) if not has_rates else None,
        "hotspots": wording,
        "rows": _area_rows(table, top=top, count=count),
        "population": _fmt(stats.get("population")) if stats else None,
        "population_source": population_source(manifest, layer) if has_rates else None,
        "rate_unit": unit,
        "rate_counts": "service records" if count == "records" else "people in contact with services",
        "study_rate": _fmt(stats.get("study_area_rate"), 1) if stats else None,
        "higher": stats.get("higher"),
        "lower": stats.get("lower"),
        "hot": _hot_count(spots, "Hot spot", "hot_spots"),
        "cold": _hot_count(spots, "Cold spot", "cold_spots"),
        "next_to_hot": ((spots or {}).get("classes") or {}).get("Next to a hot spot"),
        "hot_areas": (spots or {}).get("hot_spot_areas") or [],
        "has_classes": bool((spots or {}).get("classes")),
        "maps": [  # (heading, caption, SVG): one map a page
            (heading, label, image.vector(f"maps/{layer}_{what}"))
            for what, heading, label in (
                (count, noun, "People in contact with services" if count == "people" else "Service records"),
                ("rate", "rate", f"Rate {unit}"),
                ("hotspots", "hot spots", _hotspot_map_label(spots, wording)),
            )
        ],
        "has_gi": any(r.get("hotspot") or r.get("gi_label") for r in table or []),
        "funnel": image.vector(f"maps/{layer}_funnel") if has_rates else None,
    }


def _hot_count(spots: dict[str, Any] | None, label: str, raw: str) -> int | None:
    """Areas labelled ``label`` (own rate and cluster), or Gi*'s raw count for a layer tested on counts."""
    if not spots:
        return None
    classes = spots.get("classes")
    return int(classes.get(label, 0)) if classes else sum((spots.get(raw) or {}).values())


def _hotspot_map_label(spots: dict[str, Any] | None, wording: dict[str, Any] | None) -> str:
    if spots and spots.get("classes"):
        return "Hot spots (own rate high, among high neighbours)"
    return f"Gi* hot spots {wording['on']}" if wording else "Gi* hot spots"


def _quintiles(report: Path) -> list[dict[str, str]] | None:
    """The deprivation profile: people by IMD quintile, with shares and rates."""
    return [
        {
            "quintile": r.get("imd_quintile", ""),
            "areas": _fmt(r.get("areas")),
            "people": _fmt(r.get("people")),
            "share": _pct(r.get("share")),
            "interval": f"{_pct(r.get('share_lower'))}–{_pct(r.get('share_upper'))}"
            if _num(r.get("share_lower")) is not None
            else "–",
            "rate": _fmt(r.get("rate"), 1),
        }
        for r in _csv(report, "tables/deprivation_quintile.csv") or []
    ] or None


def _costs(report: Path, manifest: dict[str, Any], image: _Images, wide: int) -> dict[str, Any]:
    """The scale and cost of the problem: prevalence, treatment penetration, costs by sector, scenarios; every £
    rounded, with its source and price year (:mod:`circles.costs.pack_text`)."""
    from circles.costs import pack_text

    costs = manifest.get("costs") or {}
    sector = _csv(report, "costs/sector_totals.csv")
    penetration = costs.get("treatment_penetration")
    return {
        "prevalence": _prevalence(report, costs),
        "penetration": _pct(penetration, 1) if penetration is not None else None,
        "penetration_detail": _penetration_detail(costs) if penetration is not None else None,
        "penetration_suppressed": "treatment_penetration" in costs and penetration is None,
        "penetration_note": costs.get("penetration_note"),
        "penetration_table": any((report / "costs").glob("treatment_penetration_*.csv")),
        "total_cost": costs.get("total_rounded")
        or _money(costs.get("total") or (sector[-1].get("annual_cost") if sector else None))
        if costs.get("total") or sector
        else None,
        "cost_per_case": costs.get("cost_per_case_rounded") or costs.get("cost_per_case"),
        "cost_per_family": costs.get("cost_per_family_rounded"),
        "family_note": pack_text.family_note(costs),
        "cost_provenance": pack_text.provenance_text(costs),
        "cost_prices": pack_text.prices_text(costs),
        "family_lower_bound": bool(costs.get("family")) and not (costs.get("family") or {}).get("costs_per_family"),
        "children_affected": _fmt(costs.get("children_affected")) if costs.get("children_affected") else None,
        "age_band": costs.get("age_band"),
        "sectors": [
            {"sector": r.get("sector", ""), "cost": _money(r.get("annual_cost")), "share": _pct(r.get("share"))}
            for r in sector
        ]
        if sector
        else None,
        "scenarios": pack_text.scenario_rows(_csv(report, "costs/scenarios.csv")),
        "savings_shares": pack_text.savings_shares(costs),
        "cost_chart": image.vector("costs/cost_by_sector") or image("costs/cost_by_sector.png", max_width=wide),
    }


def _prevalence(report: Path, costs: dict[str, Any]) -> list[dict[str, str]] | None:
    """Each prevalence category's estimate, with the rate and the population it was applied to."""
    counts = costs.get("prevalence") or {}
    if not counts:
        return None
    table = next(iter(sorted((report / "costs").glob("prevalence_*.csv"))), None)
    rows = _csv(report, f"costs/{table.name}") if table else None
    population = sum(_num(r.get("population")) or 0 for r in rows) if rows and "population" in rows[0] else None
    band = str(costs.get("age_band") or "").strip()
    residents = f"residents aged {band.replace('-', '–')}" if band and band.lower() != "all" else "residents"
    rates = costs.get("prevalence_rates") or {}
    out = []
    for category, count in counts.items():
        rate = rates.get(category)
        rate = rate.get("estimate") if isinstance(rate, dict) else rate
        if rate is not None:
            basis = f"{_pct(rate, 1)} of {_fmt(population) + ' ' if population else 'the '}{residents}"
        elif set(counts) - {category} and all(c in rates for c in counts if c != category):
            basis = " + ".join(c for c in counts if c != category)
        else:
            basis = ""
        out.append({"category": category, "value": _fmt(count), "basis": basis})
    return out


def _penetration_detail(costs: dict[str, Any]) -> str:
    """``about 630 people in treatment a year ÷ 6,131 people estimated harmful``."""
    need = costs.get("need")
    estimate = (costs.get("prevalence") or {}).get(need) if need else None
    treated = costs.get("in_treatment_per_year")
    if treated is None or estimate is None:
        return ""
    return f"about {treated:,} people in treatment a year ÷ {estimate:,} people estimated {need}"


def _codebook(report: Path) -> list[dict[str, str]] | None:
    """The codebook for the coding sheets of the customer engagement pack."""
    codebook = _csv(report, "coding/codebook.csv")
    return (
        [
            {
                "dimension": r.get("dimension", ""),
                "id": r.get("id", ""),
                "name": r.get("name", ""),
                "definition": r.get("definition", ""),
                "level": r.get("level", "0"),
            }
            for r in codebook
        ]
        if codebook
        else None
    )


def _challenge(report: Path, manifest: dict[str, Any], image: _Images, wide: int, wards: list[str]) -> dict[str, Any]:
    """The challenge pack's maps, circle and network pictures, what families told us, and the questions."""
    ward = next((w for w in wards if image.vector(f"maps/{w}_hotspots")), None)

    def caption(layer: str | None, where: str) -> str:
        wording = hotspot_wording(manifest, layer) if layer else None
        if wording is None:
            return f"Gi* hot spots, by {where}"
        if wording["counts"]:
            return f"Gi* hot spots by {where}, {wording['clause']}"
        return f"Gi* hot spots of the rate, by {where}"

    return {
        "hotspot_map": image.vector("maps/lsoa_hotspots"),
        "hotspot_caption": caption("lsoa", "neighbourhood (LSOA)"),
        "ward_hotspot_map": image.vector(f"maps/{ward}_hotspots") if ward else None,
        "ward_hotspot_caption": caption(ward, "ward"),
        "circle_image": image.vector("circle/circle_of_need", wall=True)
        or (None if image.large_print else image("circle/circle_of_need_a3.png", max_width=wide)),
        "circle_key": _csv(report, "circle/circle_key_wall_large.csv") if image.large_print else None,
        "network_image": image.vector("network/network", wall=True) or image("network/network_a3.png", max_width=wide),
        "matrix_image": image.vector("network/overlap_matrix", wall=True),
        "combinations_image": image.vector("network/combinations", wall=True)
        or image("network/combinations.png", max_width=wide),
        "network_unit": (manifest.get("network") or {}).get("nodes", ""),
        "many_services": [
            {"min": r.get("min_services", ""), "families": _fmt(r.get("families")), "all": _fmt(r.get("all_families"))}
            for r in _csv(report, "network/families_in_many_services.csv") or []
        ]
        or None,
        "dimensions": _dimensions(report) or None,
        "dimension_chart": image("coding/dimension_summary.png", max_width=wide),
        "questions": _csv(report, "challenge/questions.csv"),
        **_needs(report),
    }


def _needs(report: Path) -> dict[str, Any]:
    """The unmet-need and duplication table; ``needs_raised`` only when notes were coded (else unknown, not 0)."""
    rows = _csv(report, "challenge/needs.csv")
    raised = bool(rows) and "segments" in rows[0]
    return {
        "needs": [
            {
                "name": r.get("name", ""),
                "code_id": r.get("code_id", ""),
                "segments": _fmt(r.get("segments")),
                "services": r.get("services") or "none",
                "out_of_hours_services": r.get("out_of_hours_services") or "none",
                "status": r.get("status", ""),
                "finding": r.get("finding", ""),
            }
            for r in rows or []
        ]
        or None,
        "needs_raised": raised,
        "needs_published": rows is not None,
    }


def _dimensions(report: Path) -> list[dict[str, Any]]:
    """Needs, barriers, aspirations and fears: each dimension's codes in rank order, with up to two quotes.

    Each dimension carries ``ranking``, the sentence saying what the codes are ranked by (the published table's
    ``ranked_by``: participants, or sources and passages when participant counts are suppressed).
    """
    summary = _csv(report, "coding/dimension_summary.csv")
    quotes = _csv(report, "coding/quote_bank.csv")
    dimensions = []
    ranking = _ranking_note(summary)
    if summary is not None:
        for dim in ("need", "barrier", "aspiration", "fear"):
            codes = [r for r in summary if r.get("dimension") == dim]
            dimensions.append(
                {
                    "key": dim,
                    "title": {"need": "Needs", "barrier": "Barriers", "aspiration": "Aspirations", "fear": "Fears"}[
                        dim
                    ],
                    "codes": [
                        {
                            "rank": r.get("rank", ""),
                            "code_id": r.get("code_id", ""),
                            "name": r.get("name", ""),
                            "participants": _fmt(r.get("participants")),
                            "sources": _fmt(r.get("sources")),
                            "passages": _fmt(r.get("segments")),
                            "quotes": [
                                {"quote": q.get("quote", ""), "speaker": q.get("speaker", "") or "Participant"}
                                for q in (quotes or [])
                                if q.get("code_id") == r.get("code_id")
                            ][:2],
                        }
                        for r in codes
                    ],
                    "ranking": ranking,
                }
            )
    return dimensions


def _ranking_note(summary: list[dict[str, str]] | None) -> str:
    """What the published dimension summary ranks its codes by, in words (from its ``ranked_by`` column)."""
    ranked_by = (summary or [{}])[0].get("ranked_by", "")
    if ranked_by.startswith("participants"):
        return "Codes ranked by how many participants raised them, then by sources and passages."
    if ranked_by:
        return (
            "Codes ranked by how many sources and passages raised them; participant counts are suppressed where "
            "small (“*”), so the ranking does not use them."
        )
    return "Codes ranked by how often they were raised."
