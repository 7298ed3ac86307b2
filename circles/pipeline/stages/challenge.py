"""Challenge stages: the service-overlap network, the circle of need, the challenge questions."""

from __future__ import annotations

from typing import Any

import pandas as pd

from circles.errors import CirclesError
from circles.figures.interactive_maps import write_html
from circles.ingest.disclosure import SUPPRESSED, protect_table
from circles.io.writers import write_csv
from circles.pipeline.stages.base import (
    RunState,
    disclosure_policy,
    records_if_any,
    records_of,
    save_figure,
    stage,
    write_text,
)
from circles.validation import suggest


@stage("network", needs=("records",), provides=("network",))
def _stage_network(run: RunState) -> None:
    """Which agencies serve the same families: the overlap network, its communities, families in many services."""
    from circles.challenge import network

    records = records_of(run, "network")
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
    run.publish("network/network_a3.pdf", lambda p, f=figure: save_figure(f, p))
    html = network.network_html(graph, measures, title=title, policy=policy, seed=spec.seed)
    run.publish("network/network.html", lambda p, f=html: write_html(f, p, plotlyjs="alongside"))
    upset = network.combinations_figure(combos, policy=policy)
    run.publish("network/combinations.pdf", lambda p, f=upset: save_figure(f, p))
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
        codebook = run.qualitative.codebook if run.qualitative else None
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


@stage("circle", needs=("qualitative",), provides=("circle",), section="services", section_required=True)
def _stage_circle(run: RunState) -> None:
    """The circle of need: the segment, its needs, barriers, aspirations and fears, the services, the providers."""
    from circles.challenge import services
    from circles.challenge.circle import circle_figure, circle_html, circle_layout

    summary = run.qualitative.dimension_summary if run.qualitative else None
    directory, codebook = _directory(run)
    spec = run.spec.services
    items = summary[summary["dimension"] != "provider view"][["code_id", "name", "dimension", "segments"]]
    links = services.needs_met(directory, codebook)
    links = links[links["code_id"].isin(items["code_id"])][["code_id", "service_id", "service_name", "organisation"]]
    layout = circle_layout(items, links, duplication_at=spec.duplication_at)
    title = "The circle of need"
    figure = circle_figure(layout, title=title, segment=spec.segment, paper="A3")
    run.publish("circle/circle_of_need_a3.pdf", lambda p, f=figure: save_figure(f, p))
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


@stage(
    "challenge",
    uses=("records", "qualitative", "network", "hotspots", "deprivation"),
    provides=("challenge",),
    section="services",
    section_required=True,
)
def _stage_challenge(run: RunState) -> None:
    """The six challenge questions, answered with the evidence the run found."""
    from circles.challenge import services
    from circles.challenge.findings import challenge_questions, need_findings

    directory, codebook = _directory(run)
    spec = run.spec.services
    summary = run.qualitative.dimension_summary if run.qualitative else None
    coverage = services.need_coverage(
        directory, codebook, duplication_threshold=spec.duplication_at, dimensions=["need", "aspiration"]
    )
    findings = need_findings(coverage, summary)
    crisis = None
    records = records_if_any(run, "challenge")
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
        "challenge/questions.md", lambda p, text="# Challenge questions\n\n" + markdown + "\n": write_text(p, text)
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
