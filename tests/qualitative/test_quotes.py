"""The quote bank holds participants' own words, from codings a person made or accepted, as whole sentences; the
dimension summary is ranked on what is published, and its chart is drawn for the page it is printed on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from circles.figures.media import MEDIA
from circles.ingest.disclosure import get_policy
from circles.pipeline.stages.qualitative import published_summary
from circles.qualitative import code_notes
from circles.qualitative.analysis import (
    quote_bank,
    rank_codes,
    speaker_role,
    summary_chart,
)
from circles.qualitative.coding import accept, code_text
from circles.qualitative.model import Code, Codebook, Source, make_segments
from circles.qualitative.text_units import all_units

BOOK = Codebook(
    (
        Code("NEE01", "Someone to talk to out of hours", "need"),
        Code("BAR02", "Support only 9 to 5", "barrier"),
        Code("BAR03", "Telling my story again", "barrier"),
        Code("PRO05", "Demand out of hours", "provider view"),
    )
)
NOTES = (
    "# Parents' workshop\n\n"
    "Facilitator: Would evening and weekend support help? Tell us about the nights.\n\n"
    "Parent A: Support is nine to five. My worst times are ten at night, when there is nobody to ring.\n\n"
    "Parent B: Telling my story again to every new service. Every form, every worker, right from the start.\n\n"
    "Recovery worker: The calls we miss are evenings and weekends.\n\n"
    "## Actions agreed\n\n"
    "1. Test evening and weekend support in the pilot wards.\n"
    "2. Share one assessment.\n"
)
SOURCE = Source("w1", "Parents' workshop", NOTES)
SOURCES = {"w1": SOURCE}


def _turns() -> pd.DataFrame:
    return all_units([SOURCE], "turn")


def _manual(quote: str, code: str, coder: str = "jb") -> pd.DataFrame:
    return code_text(SOURCE, quote, code, BOOK, coder=coder)


def test_speaker_roles_of_the_notes():
    assert _turns()["speaker"].map(speaker_role).tolist() == [
        "facilitator",
        "participant",
        "participant",
        "professional",
        "",  # the numbered actions after a heading: the notes' own narrative
    ]


def test_facilitator_turns_numbered_actions_and_provider_remarks_are_never_quoted_under_a_need():
    codings = pd.concat(
        [
            _manual("Would evening and weekend support help?", "NEE01"),  # the facilitator asks
            _manual("Test evening and weekend support in the pilot wards.", "NEE01"),  # a numbered action
            _manual("The calls we miss are evenings and weekends", "NEE01"),  # a provider's remark
            _manual("My worst times are ten at night", "NEE01"),  # a parent
        ],
        ignore_index=True,
    )
    bank = quote_bank(codings, _turns(), SOURCES, BOOK)
    assert bank[["code_id", "quote", "speaker", "origin"]].values.tolist() == [
        ["NEE01", "My worst times are ten at night, when there is nobody to ring.", "Participant 1", "manual"]
    ]


def test_a_provider_view_is_quoted_from_the_provider_only():
    codings = pd.concat(
        [_manual("The calls we miss", "PRO05"), _manual("My worst times are ten at night", "PRO05")],
        ignore_index=True,
    )
    bank = quote_bank(codings, _turns(), SOURCES, BOOK)
    assert bank[["quote", "speaker"]].values.tolist() == [
        ["The calls we miss are evenings and weekends.", "Provider 1"]
    ]


def test_a_rule_match_is_counted_but_not_quoted_and_an_accepted_suggestion_is_quoted():
    start = NOTES.index("Support is nine to five.")
    rule = make_segments(
        [{"source_id": "w1", "start": start, "end": start + 24, "code_id": "BAR02", "coder": "rules"}], SOURCES
    )
    start = NOTES.index("Every form")
    suggestion = make_segments(
        [
            {"source_id": "w1", "start": start, "end": start + 47, "code_id": "BAR03", "coder": "machine"},
            {"source_id": "w1", "start": start, "end": start + 10, "code_id": "NEE01", "coder": "machine"},
        ],
        SOURCES,
    ).assign(status="suggested", probability=[0.8, 0.6])
    assert quote_bank(pd.concat([rule, suggestion], ignore_index=True), _turns(), SOURCES, BOOK).empty
    accepted = accept(suggestion, [0])  # a person accepted the first suggestion only
    bank = quote_bank(pd.concat([rule, accepted], ignore_index=True), _turns(), SOURCES, BOOK)
    assert bank[["code_id", "origin"]].values.tolist() == [["BAR03", "accepted suggestion"]]


def test_a_quote_is_whole_sentences_never_a_fragment():
    bank = quote_bank(_manual("Every form", "BAR03"), _turns(), SOURCES, BOOK)
    # the coded words' sentence, with the one before it since it is short on its own
    assert bank["quote"].tolist() == [
        "Telling my story again to every new service. Every form, every worker, right from the start."
    ]
    short = quote_bank(_manual("Every form", "BAR03"), _turns(), SOURCES, BOOK, max_length=50)
    assert short["quote"].tolist() == ["Every form, every worker, right from the start."]
    # a coded span across both sentences, cut at the sentence boundary that fits
    cut = quote_bank(
        _manual("story again to every new service. Every", "BAR03"), _turns(), SOURCES, BOOK, max_length=50
    )
    assert cut["quote"].tolist() == ["Telling my story again to every new service."]


def test_code_notes_quotes_only_what_participants_said_as_a_person_coded_it(tmp_path: Path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "w1.md").write_text(NOTES, encoding="utf-8")
    book = tmp_path / "book.yaml"
    book.write_text(
        "codes:\n"
        "  - {id: NEE01, name: Someone to talk to out of hours, dimension: need}\n"
        "  - {id: BAR02, name: Support only 9 to 5, dimension: barrier}\n",
        encoding="utf-8",
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {code: NEE01, keywords: [evening and weekend, evenings and weekends]}\n")
    codings = tmp_path / "codings.csv"
    codings.write_text("source,quote,code,coder\nw1,nine to five,BAR02,jb\nw1,Share one assessment,NEE01,jb\n")
    result = code_notes(book, tmp_path / "notes", rules=rules, codings=codings, suggest=False, screen=False)
    # the rule matched the facilitator, a provider and an action: counted, never quoted
    assert result.dimension_summary.set_index("code_id").loc["NEE01", "segments"] == 4
    assert result.quote_bank[["code_id", "quote", "speaker"]].values.tolist() == [
        [
            "BAR02",
            "Support is nine to five. My worst times are ten at night, when there is nobody to ring.",
            "Participant 1",
        ]
    ]


def _summary() -> pd.DataFrame:
    """Four barriers: participants all under the disclosure threshold; sources and segments disagree."""
    book = Codebook(tuple(Code(f"BAR0{i}", f"Barrier {i}", "barrier") for i in range(1, 5)))
    table = pd.DataFrame(
        {
            "dimension": "barrier",
            "code_id": [f"BAR0{i}" for i in range(1, 5)],
            "name": [f"Barrier {i}" for i in range(1, 5)],
            "theme": "",
            "segments": [9, 7, 8, 3],
            "sources": [2, 4, 4, 1],
            "participants": [4, 6, 5, 2],
        }
    )
    return rank_codes(table, book), book


def test_with_suppressed_participant_counts_codes_are_ranked_by_sources_then_segments():
    exact, book = _summary()
    assert exact["code_id"].tolist() == ["BAR02", "BAR03", "BAR01", "BAR04"]  # by participants
    assert exact["ranked_by"].iloc[0] == "participants, sources, segments"
    result = type("Result", (), {"dimension_summary": exact, "codebook": book})()
    published = published_summary(result, get_policy("nhs", suppress_below=10))
    assert published["participants"].isna().all()
    assert published[["rank", "code_id", "sources", "segments"]].values.tolist() == [
        [1, "BAR03", 4, 8],  # 4 sources, then the most passages
        [2, "BAR02", 4, 7],
        [3, "BAR01", 2, 9],
        [4, "BAR04", 1, 3],
    ]
    assert set(published["ranked_by"]) == {"sources, segments"}


@pytest.mark.parametrize("key", list(MEDIA))
def test_the_dimension_chart_is_drawn_for_its_medium(key: str):
    medium = MEDIA[key]
    summary, book = _summary()
    figure = summary_chart(summary, book, title="Barriers raised", medium=medium)
    figure.canvas.draw()
    width, height = figure.get_size_inches() * 25.4
    assert width == pytest.approx(medium.width_mm) and height <= medium.height_mm + 0.01
    sizes = [t.get_fontsize() for t in figure.findobj(lambda a: hasattr(a, "get_fontsize")) if t.get_text()]
    assert min(sizes) >= medium.min_pt
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert labels[-1] == " 6 participants, 4 sources, 7 passages"  # the top code, counts it is ranked by
