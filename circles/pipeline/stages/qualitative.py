"""The coding stage: notes coded into needs, barriers, aspirations and fears."""

from __future__ import annotations

import pandas as pd

from circles.ingest.disclosure import SUPPRESSED, protect_table
from circles.io.writers import write_csv
from circles.pipeline.stages.base import RunState, disclosure_policy, save_figure, stage, write_text


@stage("coding", provides=("qualitative",), section="coding")
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
    run.publish("coding/dimension_summary.pdf", lambda p, f=chart: save_figure(f, p))
    markdown = codebook_markdown(codebook)
    run.publish("coding/codebook.md", lambda p, text=markdown: write_text(p, text))
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
