"""Challenge stages: the service-overlap network, the circle of need, the challenge questions."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from circles.figures.interactive_maps import write_html
from circles.ingest.disclosure import SUPPRESSED
from circles.io.writers import write_csv
from circles.pipeline.stages.base import (
    RunState,
    disclosure_policy,
    period_suffix,
    publish_svgs,
    records_if_any,
    records_of,
    save_figure,
    stage,
    synthetic_mark,
    write_text,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from circles.challenge.study import NeedsDirectory
    from circles.figures.media import Medium


@stage("network", needs=("records",), provides=("network",))
def _stage_network(run: RunState) -> None:
    """Which agencies serve the same families: pairs sharing more families than chance, the network and its matrix."""
    from circles.challenge import combinations_figure, network_figure, network_html
    from circles.challenge.network import overlap_matrix_figure
    from circles.challenge.study import overlap_network, publish_network

    spec = run.spec.network
    records = records_of(run, "network")
    lacking = [f for f in (spec.family_field, spec.service_field) if f not in records or records[f].isna().all()]
    if lacking:
        run.warnings.append(
            f"network: the records have no '{lacking[0]}' values, so no service-overlap network (it links services "
            f"through the families they share): map '{lacking[0]}' under sources, or leave 'network' out of stages"
        )
        return
    directory = service_directory(run).directory if run.spec.services is not None else None
    result = overlap_network(
        records,
        family=spec.family_field,
        service=spec.service_field,
        min_shared=spec.min_shared,
        weight=spec.weight,
        combinations=spec.combinations,
        seed=spec.seed,
        alpha=spec.alpha,
        directory=directory,
        provider=spec.provider_field,
        agencies=spec.agencies,
    )
    policy = disclosure_policy(run)
    run.network = publish_network(result, policy)
    for relative, table in run.network.tables().items():
        run.publish(relative, lambda p, t=table: write_csv(t, p, na_rep=SUPPRESSED))
    graph, measures, unit = result.graph, result.measures, result.unit
    many = "agencies" if unit == "agency" else "services (no service directory, so not agencies)"
    title = f"{many[0].upper()}{many[1:]} sharing more families than chance{period_suffix(run)}{synthetic_mark(run)}"
    common = {"title": title, "policy": policy, "unit": unit}
    figure = network_figure(graph, measures, seed=spec.seed, **common)
    run.publish("network/network_a3.pdf", lambda p, f=figure: save_figure(f, p))
    pairs, combos, wall = result.pairs, result.combinations, ("wall", "wall_large")

    def drawn(m: Medium) -> Figure:
        return network_figure(graph, measures, seed=spec.seed, medium=m, **_fit(m, alone=True), **common)

    publish_svgs(run, "network/network", drawn, wall)
    publish_svgs(
        run,
        "network/overlap_matrix",
        lambda m: overlap_matrix_figure(pairs, measures, medium=m, **_fit(m, alone=True), **common),
        wall,
    )
    publish_svgs(
        run, "network/combinations", lambda m: combinations_figure(combos, policy=policy, medium=m, **_fit(m)), wall
    )
    html = network_html(graph, measures, title=title, policy=policy, seed=spec.seed, unit=unit)
    run.publish("network/network.html", lambda p, f=html: write_html(f, p, plotlyjs=run.spec.maps.plotlyjs))
    upset = combinations_figure(result.combinations, policy=policy)
    run.publish("network/combinations.pdf", lambda p, f=upset: save_figure(f, p))
    if result.unmapped:
        run.warnings.append(
            f"network: {len(result.unmapped)} provider(s) or service(s) match no organisation of the service directory "
            f"and keep their own name: {', '.join(result.unmapped)} (see network/agencies.csv; name them under "
            "network: agencies: in the spec)"
        )
    kept = int(result.pairs["kept"].sum()) if len(result.pairs) else 0
    run.manifest["network"] = {
        "services": int(graph.number_of_nodes()),
        "nodes": "agencies (directory organisations)" if unit == "agency" else "services (no service directory)",
        "pairs": int(graph.number_of_edges()),
        "pairs_tested": int(len(result.pairs)),
        "pairs_kept": kept,
        "alpha": spec.alpha,
        "unmapped": result.unmapped,
        "weight": spec.weight,
        "communities": result.communities,
        "families_in_many_services": run.network.many_services,
    }
    run.log(f"network: {graph.number_of_nodes()} {unit} nodes, {kept} of {len(result.pairs)} pairs above chance")


def _fit(medium: Medium, *, alone: bool = False) -> dict[str, float]:
    """The height a network figure is drawn at: under the pack's largest figure (print.css, large.css); the whole
    height in large print when it is ``alone`` on its page (the overlap matrix, whose cells need it, and the
    network, whose numbered agencies' key needs it: at 16 pt neither shares its A3 page with the other)."""
    if alone and medium.large_print:
        return {"height_mm": medium.height_mm}
    return {"height_mm": min(medium.height_mm, 150.0 if medium.large_print else 180.0)}


def service_directory(run: RunState) -> NeedsDirectory:
    """The service directory and the codebook its needs refer to, read once per run."""
    from circles.challenge import export_hsds, import_directory_report, reference_period
    from circles.challenge.study import NeedsDirectory, read_directory
    from circles.qualitative.codebook import read_codebook

    if run.challenge is None:
        spec = run.spec.services
        codebook = run.qualitative.codebook if run.qualitative else None
        if codebook is None and run.spec.coding is not None:
            codebook = read_codebook(run.spec.resolve(run.spec.coding.codebook))
        path = run.spec.resolve(spec.directory)
        read: dict[str, Any] = {}
        if spec.format == "yaml":
            directory = read_directory(path, format=spec.format, codebook=codebook)
        else:  # a council's own package: say which of its tables and columns circles did not read
            directory, report = import_directory_report(path, standard=spec.format, codebook=codebook)
            run.warnings.extend(f"services: {line}" for line in report.warnings())
            read = {"tables_read": report.read, "tables_not_read": report.skipped_tables}
            read["columns_not_read"] = {k: v for k, v in report.skipped_columns.items() if v}
        period = reference_period(spec.hours_from)
        hours = {"hours_from": period[0].isoformat(), "hours_until": (period[1] - timedelta(days=1)).isoformat()}
        run.manifest["services"] = read | hours  # the 52 weeks opening hours are averaged over
        run.challenge = NeedsDirectory(directory, codebook, period)
        if spec.export_hsds:
            run.publish(
                "services/datapackage.json",
                lambda p, d=directory: export_hsds(d, p.parent, profile=spec.export_profile),
            )
    return run.challenge


@stage("circle", needs=("qualitative",), provides=("circle",), section="services", section_required=True)
def _stage_circle(run: RunState) -> None:
    """The circle of need: the segment, its needs, barriers, aspirations and fears, the services, the providers.

    Ring 1 holds every code a service meets or the notes raised (so a need nobody raised but three services meet
    still shows its duplication), judged as the challenge table judges it.
    """
    from circles.challenge import services
    from circles.challenge.circle import CircleError, circle_figure, circle_html, circle_items, circle_layout
    from circles.challenge.circle_figures import circle_key
    from circles.pipeline.stages.base import publish_svgs
    from circles.qualitative.codebook import codebook_table

    summary = run.qualitative.dimension_summary if run.qualitative else None
    if summary is None:
        run.warnings.append(
            "circle: no coded notes in this run, so no circle of need (it is drawn from the needs, barriers, "
            "aspirations and fears the notes raise)"
        )
        return
    services_read = service_directory(run)
    directory, codebook = services_read.directory, services_read.codebook
    spec = run.spec.services
    links = services.needs_met(directory, codebook, period=services_read.period)
    items = circle_items(codebook_table(codebook), summary, links)
    links = links[links["code_id"].isin(items["code_id"])][["code_id", "service_id", "service_name", "organisation"]]
    layout = circle_layout(items, links, duplication_at=spec.duplication_at)
    title = f"The circle of need{synthetic_mark(run)}"
    figure = circle_figure(layout, title=title, segment=spec.segment, paper="A3")
    run.publish("circle/circle_of_need_a3.pdf", lambda p, f=figure: save_figure(f, p))
    media = ["wall", "wall_large"]
    # at 16 pt the key cannot sit beside the diagram: large print draws without it and prints the key as a table;
    # 170 mm tall, so the page holds its heading and caption too
    large = {"title": title, "segment": spec.segment, "medium": "wall_large", "key_in_figure": False, "height_mm": 170}
    try:  # drawn now, so a diagram too big even for a page of its own is a warning, not a failed run
        key = circle_key(layout, **large)
    except CircleError as exc:
        media.remove("wall_large")
        run.warnings.append(f"circle: no large-print circle of need (the large-print pack says so): {exc}")
    else:
        run.publish("circle/circle_key_wall_large.csv", lambda p, t=key: write_csv(t, p))

    def draw(m: Medium) -> Figure:
        if m.large_print:
            return circle_figure(layout, **{**large, "medium": m})
        return circle_figure(layout, title=title, segment=spec.segment, medium=m)

    publish_svgs(run, "circle/circle_of_need", draw, media=media)
    html = circle_html(layout, title=title, segment=spec.segment)
    run.publish("circle/circle_of_need.html", lambda p, f=html: write_html(f, p, plotlyjs=run.spec.maps.plotlyjs))
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


@stage(
    "challenge",
    uses=("records", "qualitative", "network", "hotspots", "deprivation"),
    provides=("challenge",),
    section="services",
    section_required=True,
)
def _stage_challenge(run: RunState) -> None:
    """The six challenge questions, answered with the evidence the run found."""
    from circles.challenge.coverage import hours_table
    from circles.challenge.study import answer_challenge, crisis_referral_share

    spec, services = run.spec.services, service_directory(run)
    crisis = list(spec.crisis_referrals or [])
    result = answer_challenge(
        services.directory,
        services.codebook,
        summary=run.qualitative.dimension_summary if run.qualitative else None,
        duplication_at=spec.duplication_at,
        many_services=run.network.many_services if run.network else None,
        top_pairs=run.network.pairs if run.network else None,
        hotspots_statement=_hot_spots_statement(run),
        deprivation_share=(run.manifest.get("deprivation") or {}).get("share_of_cases", {}).get("most_deprived_10pct"),
        crisis_share=crisis_referral_share(records_if_any(run, "challenge"), crisis, disclosure_policy(run))
        if crisis
        else None,
        crisis_sources=crisis,
        period=services.period,
    )
    run.publish("challenge/needs.csv", lambda p, t=result.needs: write_csv(t, p))
    run.publish("challenge/questions.csv", lambda p, t=result.answers: write_csv(t, p))
    run.publish("challenge/questions.md", lambda p, text=result.markdown: write_text(p, text))
    # each service's opening hours over the reference period, and why one that has stopped is not current
    hours = hours_table(services.directory, period=services.period).round({"hours_per_week": 1, "evening_hours": 1})
    run.publish("challenge/service_hours.csv", lambda p, t=hours: write_csv(t, p))
    run.manifest["challenge"] = result.summary | {"services_not_current": int((~hours["current"]).sum())}
    run.log(
        f"challenge: {len(result.summary['unmet'])} unmet need(s), "
        f"{len(result.summary['possible_duplication'])} with possible duplication"
    )


def _hot_spots_statement(run: RunState) -> str | None:
    """``LSOA (2011): 4 areas hot; ...`` for the layers whose hot spots were tested, or ``None`` when none were."""
    hot = (run.manifest.get("hotspots") or {}).get("layers") or {}
    titles = {name: layer.title for name, layer in run.layers.items() if getattr(layer, "title", None)}
    parts = []
    for name, found in hot.items():
        if "hot_spots" not in found:
            continue
        classes = found.get("classes")
        if classes:  # own rate significantly higher and among high neighbours: named, they are public areas
            n, areas = classes.get("Hot spot", 0), found.get("hot_spot_areas") or []
            named = f": {', '.join(areas)}" if areas and name != "lsoa" else ""
            plural = "" if n == 1 else "s"
            parts.append(
                f"{titles.get(name, name)}: {n} area{plural} whose own rate is significantly high among high "
                f"neighbours{named}"
            )
            continue
        n = sum((found.get("hot_spots") or {}).values())
        counts = " (tested on counts, not rates)" if found.get("value") == "count" else ""
        parts.append(f"{titles.get(name, name)}: {n} area{'' if n == 1 else 's'} hot by Gi*{counts}")
    return "; ".join(parts) or None


def publish_codebook(run: RunState) -> None:
    """Publish the spec's codebook for the packs when the ``coding`` stage did not (no notes coded yet).

    The customer engagement pack is the one used to collect the notes: it prints the codebook on its coding
    sheets whenever the spec has one, before any note is coded. A codebook that cannot be read is a warning (the
    pack then prints blank sheets and says why), never a failed run.
    """
    from circles.errors import CirclesError
    from circles.qualitative.codebook import codebook_markdown, codebook_table, read_codebook

    if run.spec.coding is None or "coding/codebook.csv" in run.writers:
        return
    try:
        book = run.challenge.codebook if run.challenge and run.challenge.codebook else None
        book = book or read_codebook(run.spec.resolve(run.spec.coding.codebook))
    except CirclesError as exc:
        run.warnings.append(f"packs: the codebook could not be read for the coding sheets: {exc}")
        return
    table, markdown = codebook_table(book), codebook_markdown(book)
    run.publish("coding/codebook.csv", lambda p: write_csv(table, p))
    run.publish("coding/codebook.md", lambda p: write_text(p, markdown))
