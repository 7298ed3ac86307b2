"""The evaluation corpus for the personal-data screen loads, is large enough and is marked up consistently."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

MODULE_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "screening_corpus.py"


def _load_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screening_corpus", MODULE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


sc = _load_module()


@pytest.fixture(scope="module")
def corpus() -> list:
    return sc.load_corpus()


def test_kinds_are_kinds_the_screen_finds() -> None:
    from circles.ingest.screening import KINDS

    assert len(sc.KINDS) == 9 and set(sc.KINDS) <= set(KINDS)


def test_corpus_has_enough_planted_and_clean_lines(corpus: list) -> None:
    planted = [s for s in corpus if not s.clean_section]
    clean = [s for s in corpus if s.clean_section]
    assert len(planted) >= 220
    assert len(clean) >= 220
    # every line before the clean marker plants something; nothing after it does
    assert all(s.planted for s in planted)
    assert not any(s.planted for s in clean)
    # some lines carry two or three kinds at once
    assert sum(1 for s in planted if len({p.kind for p in s.planted}) >= 2) >= 20
    assert any(len({p.kind for p in s.planted}) >= 3 for s in planted)


def test_each_kind_is_planted_often_enough(corpus: list) -> None:
    counts = sc.kind_counts(corpus)
    assert set(counts) == set(sc.KINDS)
    for kind in sc.KINDS:
        assert counts[kind] >= (80 if kind == "name" else 20), kind


def test_spans_match_the_stripped_text(corpus: list) -> None:
    for sentence in corpus:
        assert "[[" not in sentence.text and "]]" not in sentence.text, sentence.line
        previous_end = 0
        for planted in sentence.planted:
            assert planted.kind in sc.KINDS
            assert sentence.text[planted.start : planted.end] == planted.text, sentence.line
            assert planted.text == planted.text.strip(), sentence.line
            assert planted.start >= previous_end, sentence.line
            previous_end = planted.end


def test_nhs_numbers_are_valid(corpus: list) -> None:
    numbers = [p.text for s in corpus for p in s.planted if p.kind == "nhs_number"]
    assert numbers
    for number in numbers:
        assert sc.nhs_check_digit_ok(number), number
        assert len(number.replace(" ", "").replace("-", "")) == 10


@pytest.mark.parametrize(
    ("number", "valid"),
    [("9434765919", True), ("943 476 5919", True), ("943-476-5919", True), ("9434765918", False), ("943476591", False)],
)
def test_nhs_check_digit(number: str, valid: bool) -> None:
    assert sc.nhs_check_digit_ok(number) is valid


def test_nhs_check_digit_of_ten_is_invalid() -> None:
    # weights 10..2 on 000000006 give 12; 11 - 12 % 11 = 10, so no check digit makes it valid
    assert not any(sc.nhs_check_digit_ok(f"000000006{d}") for d in range(10))


def test_offsets_of_a_small_line() -> None:
    sentence = sc.parse_line("Ring [[name:Jo]] on [[phone:07700 900123]].", 1)
    assert sentence.text == "Ring Jo on 07700 900123."
    assert [(p.kind, p.start, p.end, p.text) for p in sentence.planted] == [
        ("name", 5, 7, "Jo"),
        ("phone", 11, 23, "07700 900123"),
    ]


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_loader_reads_a_small_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "# comment", "", "Hi [[name:Jo]].", "# --- clean ---", "I will.")
    sentences = sc.load_corpus(path)
    assert [(s.text, s.line, s.clean_section, len(s.planted)) for s in sentences] == [
        ("Hi Jo.", 3, False, 1),
        ("I will.", 5, True, 0),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "Ring [[mobile:07700 900123]] now.",  # unknown kind
        "Ring [[phone:07700 900123 now.",  # unclosed
        "Ring phone:07700 900123]] now.",  # closed without opening
        "Ring [[07700 900123]] now.",  # no kind
        "Ring [[phone:]] now.",  # empty span
        "Ring [[name:Jo [[name:Al]]]] now.",  # nested
        "Her number is [[nhs_number:943 476 5918]].",  # bad check digit
    ],
)
def test_loader_rejects_bad_markup(tmp_path: Path, bad: str) -> None:
    path = _write(tmp_path, "Fine [[name:Jo]].", bad)
    with pytest.raises(ValueError, match="line 2"):
        sc.load_corpus(path)


def test_loader_rejects_a_planted_span_in_the_clean_section(tmp_path: Path) -> None:
    path = _write(tmp_path, "Fine [[name:Jo]].", "# --- clean ---", "Clean.", "Not clean, [[name:Al]].")
    with pytest.raises(ValueError, match="line 4: planted span in the clean section"):
        sc.load_corpus(path)
