"""The coding stage: notes coded into needs, barriers, aspirations and fears."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from circles.ingest.disclosure import SUPPRESSED, protect_table
from circles.io.writers import write_csv
from circles.pipeline.stages.base import (
    RunState,
    disclosure_policy,
    publish_svgs,
    save_figure,
    stage,
    synthetic_mark,
    write_text,
)

if TYPE_CHECKING:
    import pandas as pd

    from circles.qualitative.study import CodingResult


@stage("coding", uses=("record_areas",), provides=("qualitative",), section="coding")
def _stage_coding(run: RunState) -> None:
    """Code the notes: manual codings, then rules, then machine suggestions; publish the analysis.

    ``run.qualitative.dimension_summary`` holds the published summary (:func:`published_summary`: participant
    counts through disclosure control, codes ranked on what is published), so every later stage quotes the
    numbers the pack's tables print.
    """
    from circles.qualitative.sources import NOTE_SUFFIXES, TABLE_SUFFIXES
    from circles.qualitative.study import code_notes

    spec = run.spec.coding
    if spec is None:
        run.log("stage 'coding' skipped: no 'coding:' section in the spec")
        return
    resolve = run.spec.resolve
    notes = resolve(spec.sources)
    readable = (*NOTE_SUFFIXES, ".docx", *TABLE_SUFFIXES)
    if notes.is_dir() and not any(p.is_file() and p.suffix.lower() in readable for p in notes.iterdir()):
        run.warnings.append(
            f"coding: no notes in {notes.name}/ yet, so nothing was coded; the engagement pack prints the codebook "
            "to collect them"
        )
        return
    screening = _screening_inputs(run) if spec.screen_quotes else {}
    result = code_notes(
        resolve(spec.codebook),
        resolve(spec.sources),
        rules=resolve(spec.rules) if spec.rules else None,
        codings=resolve(spec.codings) if spec.codings else None,
        unit=spec.unit,
        suggest=spec.suggest,
        suggestion_threshold=spec.suggestion_threshold,
        reviewed=resolve(spec.reviewed) if spec.reviewed else None,
        attributes=spec.attributes,
        text_column=spec.text_column,
        screen=spec.screen_quotes,
        **screening,
    )
    # the challenge and circle stages quote these counts beside the published tables: hand them the published ones
    result = replace(result, dimension_summary=published_summary(result, disclosure_policy(run)))
    run.qualitative = result
    _publish(run, result, refi_export=spec.refi_export)
    run.manifest["screening"] = _screening_summary(run, result)
    status = result.codings["status"].value_counts()
    quality = result.suggestion_quality
    rated = quality.dropna(subset=["precision"]).to_dict("records") if quality is not None and len(quality) else []
    withheld = [r["code_id"] for r in rated if not r.get("suggested", True)]
    run.manifest["coding"] = {
        "sources": len(result.sources),
        "units": len(result.units),
        "unit": result.unit,
        "codes": len(result.codebook),
        "codings": result.coders,
        "suggestions": {k: int(v) for k, v in status.items() if k != "accepted"},
        "suggestion_quality": rated,  # out of fold: precision at 10 and 20, precision, recall, F1 per code
        "codes_not_suggested": withheld,  # measured too poor to suggest: the review queue says why
        "agreement": result.agreement_summary,
    }
    run.log(
        f"coding: {len(result.sources)} sources, {int(status.get('accepted', 0))} codings, "
        f"{int(status.get('suggested', 0))} suggestions to review"
    )


def published_summary(result: CodingResult, policy: Any) -> pd.DataFrame:
    """The dimension summary as published: participant counts protected by ``policy``, and the codes ranked on
    the published counts (:func:`~circles.qualitative.analysis.rank_codes`: by sources then segments when any
    participant count is suppressed)."""
    from circles.qualitative.analysis import rank_codes

    protected = protect_table(result.dimension_summary, ["participants"], policy)
    return rank_codes(protected, result.codebook)


def _screening_inputs(run: RunState) -> dict[str, Any]:
    """What the screen knows for this run: public names (areas, services, organisations, places), the
    analyst's list of people to redact, and their decisions on held quotes."""
    from circles.ingest.screening import read_decisions, read_known_people

    spec = run.spec.coding
    public = [run.spec.name]
    for layer in run.layers.values():
        public += layer.areas["area_name"].dropna().astype(str).tolist()
    if run.spec.services is not None:
        from circles.pipeline.stages.challenge import service_directory

        directory = service_directory(run).directory
        for table, column in (("services", "name"), ("organisations", "name"), ("locations", "name")):
            frame = getattr(directory, table)
            if column in frame:
                public += frame[column].dropna().astype(str).tolist()
    return {
        "public_names": public,
        "known_people": read_known_people(run.spec.resolve(spec.known_people)) if spec.known_people else [],
        "decisions": read_decisions(run.spec.resolve(spec.quote_decisions)) if spec.quote_decisions else None,
    }


def _screening_summary(run: RunState, result: CodingResult) -> dict[str, Any]:
    """The manifest's account of the screen: quotes published clean, redacted, reviewed; quotes held."""
    if result.quotes_held is None:
        run.warnings.append(
            "coding: quotes were NOT screened for personal data (coding.screen_quotes: false); read every quote "
            "in coding/quote_bank.csv and the packs before they leave the analyst's machine"
        )
        return {"screened": False}
    status = result.quote_bank["screening"].value_counts() if "screening" in result.quote_bank else {}
    held = len(result.quotes_held)
    if held:
        run.warnings.append(
            f"coding: {held} quote{'s' if held != 1 else ''} held back from the packs until reviewed: see "
            "coding/quotes_held_for_review.csv, fill in 'decision' (publish, redact or withhold) and name the "
            "file as coding.quote_decisions in the spec"
        )
    return {"screened": True, "published": {k: int(v) for k, v in status.items()}, "held_for_review": held}


def _publish(run: RunState, result: CodingResult, *, refi_export: bool) -> None:
    """Queue the coding outputs: tables (counts protected by the run's disclosure policy), chart, codebook."""
    from circles.qualitative.analysis import summary_chart
    from circles.qualitative.codebook import codebook_markdown, codebook_table
    from circles.qualitative.model import SEGMENT_COLUMNS
    from circles.qualitative.refi import export_codebook, export_project

    policy = disclosure_policy(run)
    book = result.codebook
    if result.quotes_held is not None:  # the analyst's: the original quotes, with what the screen found
        held = result.quotes_held
        run.publish("coding/quotes_held_for_review.csv", lambda p, t=held: write_csv(t, p))
    for name in ("review_queue", "suggestion_quality", "agreement", "disagreements"):
        table = getattr(result, name)
        if table is not None:  # suggestions made; two or more human coders
            run.publish(f"coding/{name}.csv", lambda p, t=table: write_csv(t, p))
    published = {
        "codebook": codebook_table(book),
        "codings": result.codings[SEGMENT_COLUMNS],
        "code_counts": protect_table(result.code_counts, ["participants"], policy),
        "dimension_summary": result.dimension_summary,  # protected and ranked: published_summary
        "cooccurrence": result.cooccurrence,
        "quote_bank": result.quote_bank,
    }
    if result.rules_preview is not None and not result.rules_preview.empty:
        published["rules_preview"] = result.rules_preview
    for attribute, by in result.counts_by.items():
        published[f"code_counts_by_{attribute.lower()}"] = protect_table(by, ["participants"], policy)
    for name, table in published.items():
        run.publish(f"coding/{name}.csv", lambda p, t=table: write_csv(t, p, na_rep=SUPPRESSED))
    title = f"Needs, barriers, aspirations and fears raised{synthetic_mark(run)}"
    summary = result.dimension_summary
    chart = summary_chart(summary, book, title=title)
    run.publish("coding/dimension_summary.pdf", lambda p, f=chart: save_figure(f, p))
    publish_svgs(
        run,
        "coding/dimension_summary",
        lambda m: summary_chart(summary, book, title=title, medium=m),
        media=("print", "large", "wall", "wall_large"),
    )
    markdown = codebook_markdown(book)
    run.publish("coding/codebook.md", lambda p, text=markdown: write_text(p, text))
    if refi_export:
        sources, accepted, project = list(result.sources.values()), result.accepted, run.spec.name
        run.publish("coding/codebook.qdc", lambda p: export_codebook(book, p))
        run.publish(
            "coding/project.qdpx",
            lambda p: export_project(p, codebook=book, sources=sources, segments=accepted, project_name=project),
        )
