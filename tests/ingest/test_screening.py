"""The free-text screen: what it redacts, what it holds, what it leaves, the analyst's decisions, and its
measured recall on the planted corpora (benchmarks/data)."""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path

import pandas as pd
import pytest

from circles.errors import ScreeningError
from circles.ingest.screening import Screener, find_structured, read_decisions, read_known_people, text_id

ROOT = Path(__file__).resolve().parents[2]
#: What a Blackburn with Darwen run knows to be public (wards, services): a small part of it.
PUBLIC = ["Roe Lee", "Shadsworth with Whitebirk", "Audley & Queen's Park", "Early Help", "Recovery Connections"]


@pytest.fixture(scope="module")
def screen() -> Screener:
    return Screener(people=["Dean Walsh"], public=PUBLIC)


def _bench():
    """benchmarks/bench_screening.py as a module (the benchmarks folder is not a package)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("bench_screening", ROOT / "benchmarks" / "bench_screening.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


# ------------------------------------------------------------------------------------------------ what it finds


@pytest.mark.parametrize(
    ("text", "published"),
    [
        ("My daughter Chloe rang 07700 900123 last night.", "My daughter [name] rang [phone] last night."),
        ("Email me at kerry.h84@gmail.com please", "Email me at [email] please"),
        ("Her NHS number is 943 476 5919.", "Her NHS number is [NHS number]."),
        ("We moved to bb2 1aa in the summer.", "We moved to [postcode] in the summer."),
        ("She was born on 3 March 2015, DOB 14/02/2012.", "She was born on [date of birth], DOB [date of birth]."),
        ("The fight was on 14 June 2023.", "The fight was on [date]."),
        ("His page is facebook.com/jo.bloggs.77 now", "His page is [web address] now"),
        ("The social worker at Audley Range said nothing.", "The social worker at [place] said nothing."),
        ("Mrs Patel from St Barnabas Primary rang.", "[name] from [place] rang."),
        ("Me and Kyle's dad moved to Roe Lee.", "Me and [name]'s dad moved to Roe Lee."),
        ("I told Dean Walsh at Early Help.", "I told [name] at Early Help."),
        ("my son jake said our Kiera was scared", "my son [name] said our [name] was scared"),
        ("Then Aisha Khan came with Ruby-Mae.", "Then [name] came with [name]."),
        ("+44 (0)161 496 0984 is the grandad's number", "[phone] is the grandad's number"),
    ],
)
def test_personal_data_is_redacted_with_what_it_was(screen, text, published):
    result = screen.screen(text)
    assert (result.status, result.text) == ("redacted", published)
    assert result.original == text


@pytest.mark.parametrize(
    "text",
    [
        "I drink 3 cans a day, £250 a month, every 6 weeks, from 9 to 5, Tier 4, 10 units.",
        "I went to A&E at Christmas and the GP said nothing. Mum was fuming.",
        "In May I will go to Recovery Connections on Mondays and Early Help on Tuesdays.",
        "There's no hope of getting an appointment in 2019 or last March.",
        "Shadsworth with Whitebirk and Roe Lee have nothing open after five.",
        "Ring 999 or 111, not 101, and the case ref is 2024/118.",
        "My Key Worker and the Recovery Coordinator rang every week.",
        "The rate was 0.07834202212357166 and 006399202847838 is not a phone number.",
    ],
)
def test_ordinary_text_passes_unchanged(screen, text):
    result = screen.screen(text)
    assert (result.status, result.text, result.detections) == ("clean", text, ())


def test_an_unknown_capitalised_word_holds_the_text_and_says_why(screen):
    result = screen.screen("They worry all day, and the help at Brookhouse stops at half past three.")
    assert result.status == "held"
    assert [(d.kind, d.text, d.certain) for d in result.detections] == [("name", "Brookhouse", False)]
    assert "Brookhouse" in result.reasons() and result.reasons().startswith("unsure: name")
    assert result.decided("publish") == result.original  # nothing certain to redact
    assert result.decided("redact") == "They worry all day, and the help at [name] stops at half past three."
    assert result.decided("withhold") is None


def test_a_name_that_is_also_a_word_is_held_at_the_start_of_a_sentence_and_redacted_inside_one(screen):
    assert screen.screen("Hope is all I have left.").status == "held"
    assert screen.screen("We had Grace round on Monday.").text == "We had [name] round on Monday."


def test_the_screen_never_touches_the_network(monkeypatch, tmp_path):
    """tldextract (behind Presidio's e-mail check) fetches the public-suffix list unless told not to, and swallows
    the failure: so every attempt is recorded, not only refused. Its default extractor is given an empty cache,
    so code that fell back on it would try the network here."""
    import tldextract.tldextract

    from circles.ingest.screening import recognisers

    monkeypatch.setattr(tldextract.tldextract, "TLD_EXTRACTOR", tldextract.TLDExtract(cache_dir=str(tmp_path)))
    recognisers._offline_suffixes.cache_clear()
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args[:2])
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    result = Screener(public=["x"]).screen("Mail jo@bloggs.co.uk or see www.example.org/jo")
    assert result.text == "Mail [email] or see [web address]"
    assert attempts == []


def test_find_structured_finds_what_the_audit_flags_and_nothing_in_numbers():
    text = "DOB 14/02/2012, NHS 943 476 5919 (not 943 476 5918), ring 07700 900123, jo@x.com; 0.0770090012345"
    assert [(d.kind, d.text) for d in find_structured(text)] == [
        ("date_of_birth", "14/02/2012"),
        ("nhs_number", "943 476 5919"),
        ("phone", "07700 900123"),
        ("email", "jo@x.com"),
    ]
    with pytest.raises(ValueError, match="name"):
        find_structured(text, ("name",))


def test_a_phone_number_among_thousands_of_numbers_is_found_where_it_stands():
    # the phone matcher reads only the lines that may hold a phone number: the rest of the table is blanked for
    # it, but the offsets and the checks on either side are the text's own
    rows = [f"E0{i:07d},{i * 0.0123456789:.12f},{i % 7},-2.{i:05d},53.{i:06d}" for i in range(3000)]
    rows[1700] = "E01001700,call (01254) 585 585 after 5pm,3,-2.4,53.7"
    rows[2100] = "E01002100,x07700 900123,3,-2.4,53.7"  # inside a code: not a phone number
    text = "\n".join(rows)
    found = [(d.kind, d.text, d.start) for d in find_structured(text, ("phone",))]
    assert found == [("phone", "(01254) 585 585", text.index("(01254)"))]


def test_long_decimals_are_passed_over_and_a_phone_among_them_is_found():
    # a column of rates written to 17 significant figures: every run of decimals follows a dot, so none is tried
    # as a phone number; a phone number standing in its own cell, or after a space, still is
    cells = [repr(i / 7 + 0.012345678901) for i in range(1, 5000)]
    cells[2000] = "01254 585585"
    cells[3000] = "tel:07700900123"  # after a colon: a number standing alone
    cells[4000] = "12.01254585585"  # the decimals of a number: not a phone number
    cells[4500] = "x01254585585"  # inside a code: not a phone number
    text = ",\n".join(cells)
    found = [(d.text, d.start) for d in find_structured(text, ("phone",))]
    assert found == [("01254 585585", text.index("01254 585585")), ("07700900123", text.index("07700900123"))]


def test_the_decimals_of_a_rate_are_not_an_nhs_number_and_one_in_a_csv_field_is():
    # 6671214603 passes the modulus-11 check: as the ten decimals of a rate it is no one's number
    assert find_structured("E01004567,0.6671214603,12.6671214603", ("nhs_number",)) == []
    text = "E01004567,6671214603,3\nNHS no. 943 476 5919. Seen"
    found = [d.text for d in find_structured(text, ("nhs_number",))]
    assert found == ["6671214603", "943 476 5919"]


def test_a_digit_then_a_slash_or_a_dot_is_not_the_start_of_a_phone_number():
    # the matcher reads "0/7.5/074204 x2" as one number; a number people write keeps its digits together
    assert find_structured("0/7.5/074204 x2 or 0.161.496.0000", ("phone",)) == []
    assert [d.text for d in find_structured("or 0161 496 0000.", ("phone",))] == ["0161 496 0000"]


# ------------------------------------------------------------------------------------------------ tables


def test_screen_column_publishes_redacted_rows_and_holds_the_unsure_until_decided(screen):
    quotes = pd.DataFrame(
        {
            "code": ["A", "B", "C"],
            "quote": ["Our Kayden loves football.", "Nobody from Frobisham came.", "It was hard."],
        }
    )
    published, held = screen.screen_column(quotes, "quote")
    assert published["quote"].tolist() == ["Our [name] loves football.", "It was hard."]
    assert published["screening"].tolist() == ["redacted", "clean"]
    assert held[["text_id", "code", "quote", "decision"]].values.tolist() == [
        [text_id("Nobody from Frobisham came."), "B", "Nobody from Frobisham came.", ""]
    ]
    assert "Frobisham" in held["found"].iloc[0]
    key = text_id("Nobody from Frobisham came.")
    published, held = screen.screen_column(quotes, "quote", decisions={key: "redact"})
    assert published["quote"].tolist() == ["Our [name] loves football.", "Nobody from [name] came.", "It was hard."]
    assert published["screening"].tolist() == ["redacted", "reviewed: redact", "clean"] and held.empty
    published, held = screen.screen_column(quotes, "quote", decisions={key: "withhold"})
    assert "B" not in published["code"].tolist() and held["decision"].tolist() == ["withhold"]


def test_read_decisions_and_its_errors_name_the_row_and_column(tmp_path):
    path = tmp_path / "held.csv"
    path.write_text("text_id,quote,found,decision\nab12cd34ef56,x,y,Publish\n0123456789ab,x,y,\n")
    assert read_decisions(path) == {"ab12cd34ef56": "publish"}
    path.write_text("text_id,quote,decision\nab12cd34ef56,x,print it\n")
    with pytest.raises(ScreeningError, match=r"row 2, column 'decision': 'print it' is not a decision"):
        read_decisions(path)
    path.write_text("id,verdict\nab,publish\n")
    with pytest.raises(ScreeningError, match="needs the columns 'text_id' and 'decision'"):
        read_decisions(path)
    names = tmp_path / "people.txt"
    names.write_text("# staff\nDean Walsh\n\n  Jo Bloggs  \n")
    assert read_known_people(names) == ["Dean Walsh", "Jo Bloggs"]


# ------------------------------------------------------------------------------------------------ measured


@pytest.mark.parametrize(
    ("corpus", "name_recall"),
    [("screening_corpus.txt", 0.95), ("screening_corpus_heldout.txt", 0.88)],
)
def test_recall_on_the_planted_corpora(corpus, name_recall):
    """Issue 23's target: recall >= 0.95 for the structured kinds on both corpora; names at their measured level
    (development 0.966, held-out 0.904 when this test was written) so a regression fails."""
    bench = _bench()
    measured = bench.measure(corpus_path=ROOT / "benchmarks" / "data" / corpus)
    planted, hit = measured["planted"], measured["hit"]
    for kind in ("phone", "email", "nhs_number", "postcode", "date_of_birth", "url"):
        assert hit[kind] / planted[kind] >= 0.95, (kind, hit[kind], planted[kind])
    assert hit["name"] / planted["name"] >= name_recall
    clean = measured["clean"]
    assert clean["redacted"] / clean["lines"] <= 0.02  # almost no ordinary sentence is changed
    assert clean["held"] / clean["lines"] <= 0.10
