"""One coding study end to end (:func:`circles.qualitative.study.code_notes`), on the demo and on tiny notes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from circles.demo.synthetic import generate_demo_data
from circles.qualitative import CodingResult, code_notes
from circles.qualitative.model import SEGMENT_COLUMNS
from circles.qualitative.reliability import ALL_CODES

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
KEY = ["source_id", "start", "end", "code_id"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[CodingResult, Path]:
    """The demo's coding, as ``pipelines/demo.yaml`` asks for it, and the folder of notes it read."""
    notes = generate_demo_data(tmp_path_factory.mktemp("demo"), seed=20110401).folder / "notes"
    result = code_notes(
        PIPELINES / "demo_codebook.yaml",
        notes,
        rules=PIPELINES / "demo_coding_rules.yaml",
        codings=PIPELINES / "demo_codings.csv",
        unit="sentence",
        suggest=True,
        suggestion_threshold=0.3,
        attributes=["Date"],
    )
    return result, notes


def _write_tiny(folder: Path) -> Path:
    """A two-code codebook and one workshop note of three turns; returns the codebook."""
    (folder / "notes").mkdir()
    (folder / "notes" / "workshop.md").write_text(
        "Facilitator: What would help?\n\n"
        "Parent A: I want to stop drinking. Help only comes at crisis point.\n\n"
        "Parent B: Nobody answers after five.\n",
        encoding="utf-8",
    )
    return _write_book(folder)


def _write_book(folder: Path) -> Path:
    """The two-code codebook of the tiny studies."""
    book = folder / "book.yaml"
    book.write_text(
        "codes:\n"
        "  - {id: ASP01, name: Stop drinking, dimension: aspiration}\n"
        "  - {id: BAR01, name: Help only at crisis point, dimension: barrier}\n",
        encoding="utf-8",
    )
    return book


def test_every_note_is_a_source(demo: tuple[CodingResult, Path]) -> None:
    result, notes = demo
    assert len(result.sources) == 5
    assert list(result.sources) == sorted(p.stem for p in notes.glob("*.md"))
    assert set(result.units["source_id"]) == set(result.sources)
    assert result.unit == "sentence"
    assert len(result.turns) < len(result.units)


def test_codings_by_coder_are_the_manual_file_then_the_rules(demo: tuple[CodingResult, Path]) -> None:
    result, _ = demo
    manual = pd.read_csv(PIPELINES / "demo_codings.csv")["coder"].value_counts()
    assert set(manual.index) == {"ak", "jb"}
    assert result.coders == {
        "ak": int(manual["ak"]),
        "jb": int(manual["jb"]),
        "rules": len(result.rules_preview),
    }
    assert list(result.codings.columns[: len(SEGMENT_COLUMNS)]) == SEGMENT_COLUMNS


def test_rules_preview_rows_are_the_rule_codings(demo: tuple[CodingResult, Path]) -> None:
    result, _ = demo
    preview = result.rules_preview
    assert preview is not None and len(preview) > 0
    applied = result.codings[result.codings["coder"] == "rules"]
    assert sorted(map(tuple, preview[KEY].values.tolist())) == sorted(map(tuple, applied[KEY].values.tolist()))
    assert sorted("matched: " + preview["matched"]) == sorted(applied["memo"])
    assert (applied["status"] == "accepted").all()


def test_machine_suggestions_wait_for_review(demo: tuple[CodingResult, Path]) -> None:
    result, _ = demo
    suggested = result.codings[result.codings["status"] == "suggested"]
    assert len(suggested) > 0
    assert set(suggested["coder"]) == {"machine"}
    assert (suggested["probability"] >= 0.3).all()
    queue = result.review_queue
    assert queue is not None and 0 < (queue["status"] == "suggested").sum() <= 20
    assert list(queue.columns) == [*SEGMENT_COLUMNS, "note"]
    offered = queue[queue["status"] == "suggested"]
    assert set(map(tuple, offered[KEY].values.tolist())) <= set(map(tuple, suggested[KEY].values.tolist()))
    assert (offered["note"] == "").all() and len(offered) > 0
    # every code not suggested is in the queue, saying why
    quality = result.suggestion_quality
    withheld = queue[queue["status"] == "not suggested"]
    assert set(withheld["code_id"]) == set(quality.loc[~quality["suggested"].astype(bool), "code_id"])
    assert withheld["note"].str.len().gt(0).all()
    assert list(result.suggestion_quality["code_id"]) == list(result.codebook.ids)


def test_agreement_between_the_two_human_coders(demo: tuple[CodingResult, Path]) -> None:
    result, _ = demo
    summary = result.agreement_summary
    assert summary["coders"] == ["ak", "jb"]
    assert summary["unit"] == "sentence"
    assert summary["sources"] == 1
    pooled = result.agreement.iloc[-1]
    assert pooled["code_id"] == ALL_CODES
    assert summary["cohen_kappa"] == pooled["cohen_kappa"]
    assert 0 < summary["percent_agreement"] < 1
    assert result.disagreements is not None and len(result.disagreements) > 0


def test_summary_has_the_dimensions_and_counts_add_up(demo: tuple[CodingResult, Path]) -> None:
    result, _ = demo
    summary = result.dimension_summary
    assert list(summary["dimension"].unique()) == list(result.codebook.dimensions)
    assert (summary.groupby("dimension")["rank"].min() == 1).all()
    counts = result.code_counts
    assert list(counts["code_id"]) == list(result.codebook.ids)
    assert counts["segments"].sum() == len(result.accepted)
    assert list(result.counts_by) == ["Date"]
    assert result.counts_by["Date"]["segments"].sum() == counts["segments"].sum()
    assert "Date" in result.quote_bank.columns
    assert set(result.quote_bank["code_id"]) <= set(summary["code_id"])
    assert set(result.cooccurrence["code_a"]) | set(result.cooccurrence["code_b"]) <= set(summary["code_id"])


def test_result_is_frozen(demo: tuple[CodingResult, Path]) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        demo[0].codings = pd.DataFrame()  # type: ignore[misc]


def test_without_rules_or_codings_nothing_is_coded_or_suggested(tmp_path: Path) -> None:
    book = _write_tiny(tmp_path)
    result = code_notes(book, tmp_path / "notes", unit="turn", suggest=True)
    assert list(result.sources) == ["workshop"]
    assert len(result.units) == len(result.turns) == 3
    assert result.codings.empty and result.coders == {}
    assert result.rules_preview is None
    assert result.suggestion_quality is None and result.review_queue is None
    assert result.agreement is None and result.disagreements is None and result.agreement_summary == {}
    assert result.code_counts["segments"].tolist() == [0, 0]
    assert result.dimension_summary.empty


def test_two_human_coders_on_tiny_notes(tmp_path: Path) -> None:
    book = _write_tiny(tmp_path)
    codings = tmp_path / "codings.csv"
    codings.write_text(
        "source,quote,code,coder\n"
        "workshop,stop drinking,ASP01,jb\n"
        "workshop,stop drinking,ASP01,ak\n"
        "workshop,crisis point,BAR01,ak\n",
        encoding="utf-8",
    )
    result = code_notes(book, tmp_path / "notes", codings=codings, suggest=False)
    assert result.coders == {"ak": 2, "jb": 1}
    assert result.review_queue is None
    assert result.agreement_summary["coders"] == ["ak", "jb"]
    assert result.agreement_summary["sources"] == 1
    differ = result.disagreements
    assert differ is not None and differ["code_id"].tolist() == ["BAR01"]
    summary = result.dimension_summary.set_index("code_id")
    assert summary.loc["ASP01", "segments"] == 2
    assert summary.loc["ASP01", "participants"] == 1
    assert summary.loc["BAR01", "dimension"] == "barrier"


def test_quotes_are_screened_held_and_released_by_a_decision(tmp_path: Path) -> None:
    """A speaker's own name is redacted wherever it is said; an unknown place holds its quote until decided."""
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "workshop.md").write_text(
        "- Present: Facilitator, Jo Bloggs, Parent B\n\n"
        "Jo Bloggs: I want to stop drinking, Jo Bloggs says so.\n\n"
        "Parent B: Help only comes at crisis point in Frobisham.\n",
        encoding="utf-8",
    )
    book = _write_book(tmp_path)
    rules = tmp_path / "codings.csv"  # quotes come from codings a person made, never from bare rule matches
    rules.write_text("source,quote,code,coder\nworkshop,stop drinking,ASP01,jb\nworkshop,crisis point,BAR01,jb\n")
    result = code_notes(book, tmp_path / "notes", codings=rules, suggest=False, unit="turn")
    assert result.quote_bank[["code_id", "quote", "speaker", "screening"]].values.tolist() == [
        ["ASP01", "I want to stop drinking, [name] says so.", "Participant 1", "redacted"]
    ]
    held = result.quotes_held
    assert held[["code_id", "quote", "decision"]].values.tolist() == [
        ["BAR01", "Help only comes at crisis point in Frobisham.", ""]
    ]
    decided = code_notes(
        book, tmp_path / "notes", codings=rules, suggest=False, unit="turn", decisions={held["text_id"][0]: "redact"}
    )
    assert decided.quote_bank["quote"].tolist()[-1] == "Help only comes at crisis point in [name]."
    assert decided.quote_bank["screening"].tolist() == ["redacted", "reviewed: redact"]
    assert decided.quotes_held.empty
    unscreened = code_notes(book, tmp_path / "notes", codings=rules, suggest=False, unit="turn", screen=False)
    assert unscreened.quotes_held is None and "screening" not in unscreened.quote_bank
    assert "Jo Bloggs says so" in unscreened.quote_bank["quote"].iloc[0]
