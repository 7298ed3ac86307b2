"""Tests for reading sources, cutting units and re-anchoring segments (circles.qualitative.sources)."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
from docx.enum.text import WD_BREAK
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from circles.demo.synthetic import DEFAULT_SEED, SYNTHETIC_NOTICE, generate_demo_data
from circles.errors import CodingError, SourceError
from circles.qualitative.model import SEGMENT_COLUMNS, Source, make_segments
from circles.qualitative.sources import UNIT_COLUMNS, all_units, read_sources, reanchor, slugify, units
from tests.helpers import DATA as TEST_DATA

DATA = TEST_DATA / "qual"
TURN_LINE = re.compile(r"^(?!- )([A-Z][^:\n]*): (.+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def demo_notes(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate_demo_data(folder, seed=DEFAULT_SEED)
    return folder / "notes"


def _check_offsets(source: Source, table: pd.DataFrame) -> None:
    for row in table.itertuples():
        assert source.text[row.start : row.end] == row.text


# ----------------------------------------------------------------------------------------------- the demo notes


def test_demo_notes_read_with_their_attributes(demo_notes):
    sources = read_sources(demo_notes)
    assert [s.id for s in sources] == [
        "01_parents_workshop",
        "02_children_young_people_workshop",
        "03_provider_interview_alcohol_services",
        "04_provider_interview_family_services",
        "05_challenge_workshop",
    ]
    for source in sources:
        raw = Path(source.path).read_text(encoding="utf-8")
        assert source.text == raw and source.encoding == "utf-8"
        assert source.name == Path(source.path).name
        date = re.search(r"^- Date: (.+)$", raw, flags=re.MULTILINE).group(1)
        assert source.attributes["Date"] == date
    parents = sources[0]
    assert re.fullmatch(r"2010-0[67]-\d\d", parents.attributes["Date"])
    assert parents.attributes["Where"] == "a community venue in Blackburn (fictional setting)"
    assert parents.attributes["Present"].startswith("Facilitator, Note-taker, Parent A, Parent B")
    assert list(parents.attributes) == ["Date", "Where", "Present", "Purpose"]
    assert sources[1].attributes["Date"].endswith(" (school holidays)")
    assert list(sources[2].attributes) == ["Date", "Interviewees", "Interviewer"]


def test_demo_notes_turns_have_the_right_speakers(demo_notes):
    for source in read_sources(demo_notes):
        turns = units(source, "turn")
        _check_offsets(source, turns)
        assert turns.loc[0, "text"] == SYNTHETIC_NOTICE and turns.loc[0, "speaker"] == ""
        expected = TURN_LINE.findall(source.text)
        spoken = turns[turns["speaker"] != ""]
        assert list(zip(spoken["speaker"], spoken["text"], strict=True)) == expected
        for row in spoken.itertuples():  # the label stands just before the turn
            assert source.text[row.start - len(row.speaker) - 2 : row.start] == f"{row.speaker}: "
        assert not turns["text"].str.contains(r"^#|^- Date:", regex=True).any()
    speakers = set(all_units(read_sources(demo_notes), "turn")["speaker"])
    assert {"Facilitator", "Youth worker", "Service manager", "Think Family advocate", "Young people's worker"} <= (
        speakers
    )
    assert {"GP", "Chair", "Alcohol service manager", "Parent representative"} <= speakers


def test_demo_challenge_workshop_actions_and_sentences(demo_notes):
    [source] = [s for s in read_sources(demo_notes) if s.id == "05_challenge_workshop"]
    sentences = units(source, "sentence")
    _check_offsets(source, sentences)
    actions = sentences[sentences["text"].str.match(r"\d\. ")]
    assert actions["text"].str[:2].tolist() == ["1.", "2.", "3.", "4.", "5.", "6."]
    assert (actions["speaker"] == "").all(), "the list under '## Actions agreed' has no speaker"
    family = sentences[sentences["speaker"] == "Family worker"]["text"].tolist()
    assert family == ["Stop calling it a referral.", "Call it an introduction, and go with them."]
    paragraphs = units(source, "paragraph")
    assert paragraphs.loc[paragraphs["text"].str.startswith("1. Offer"), "text"].str.count("\n").tolist() == [5]


# ----------------------------------------------------------------------------------------------- encodings


def test_windows_1252_notes(tmp_path):
    [source] = read_sources(DATA / "cp1252_notes.txt")
    assert source.encoding == "cp1252"
    assert source.id == "cp1252_notes"
    assert source.text == (DATA / "cp1252_notes.txt").read_bytes().decode("cp1252")
    assert "\r\n" in source.text, "line ends are kept"
    assert source.attributes == {"Date": "2010-09-14", "Where": "Café on Whalley Range (fictional)"}
    turns = units(source, "turn")
    _check_offsets(source, turns)
    assert turns["speaker"].tolist() == ["", "Facilitator", "Parent A", "Parent B"]
    assert turns.loc[2, "text"] == "The £20 a week on the meter. I’m always short by Thursday."
    assert turns.loc[3, "text"] == "Rent arrears – we’re £340 behind."
    assert units(source, "sentence")["text"].tolist()[2:4] == [
        "The £20 a week on the meter.",
        "I’m always short by Thursday.",
    ]


def test_utf8_bom_crlf_and_emoji_offsets():
    [source] = read_sources(DATA / "bom_crlf_notes.md")
    raw = (DATA / "bom_crlf_notes.md").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and source.encoding == "utf-8-sig"
    assert source.text == raw[3:].decode("utf-8") and not source.text.startswith("\ufeff")
    assert source.attributes == {"Date": "2010-10-02"}
    turns = units(source, "turn")
    _check_offsets(source, turns)
    assert turns["speaker"].tolist() == ["", "Young person A", "Youth worker"]
    young = turns.iloc[1]
    assert young.text == "It's good now 👍. It was good last time too…\r\nI check my phone all the time."
    # code points: the emoji in the heading counts as one (UTF-16 would say 126), CRLF as two
    assert (young.start, young.end) == (125, 200)
    sentences = units(source, "sentence")
    assert sentences.loc[sentences["speaker"] == "Young person A", "text"].tolist() == [
        "It's good now 👍.",
        "It was good last time too…",
        "I check my phone all the time.",
    ]
    assert "Drop-in session 🙂" not in set(units(source, "paragraph")["text"]), "headings are not units"


def test_crlf_and_emoji_in_a_source_built_in_code():
    text = "Parent A: I'm 😊 fine.\r\nStill here.\r\n\r\nParent B: Café ☕ open 9–5. Not later.\r\n"
    source = Source("s", "s", text)
    turns = units(source, "turn")
    assert turns[["start", "end", "speaker"]].values.tolist() == [[10, 34, "Parent A"], [48, 75, "Parent B"]]
    sentences = units(source, "sentence")
    assert sentences["text"].tolist() == ["I'm 😊 fine.", "Still here.", "Café ☕ open 9–5.", "Not later."]
    assert sentences[["start", "end"]].values.tolist() == [[10, 21], [23, 34], [48, 64], [65, 75]]
    _check_offsets(source, sentences)


# ----------------------------------------------------------------------------------------------- Word


def _word_notes(path: Path) -> list[str]:
    document = docx.Document()
    document.add_heading("Workshop notes, parents", level=1)  # a heading with a colon would read as a speaker
    lines = [
        "Workshop notes, parents",
        "- Date: 2011-01-05",
        "- Where: children's centre (fictional)",
        "Facilitator: What gets in the way?",
        "Parent A: Support is nine to five.",
        "My worst times are ten at night.",
        "Note: the group agreed with this.",
        "Mr Khan: We could share one assessment.",
    ]
    for line in lines[1:]:
        document.add_paragraph(line)
    table = document.add_table(rows=2, cols=2)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.text = "Actions"
    table.cell(1, 0).text = "Evening support"
    table.cell(1, 1).text = "Tell it once"
    paragraph = document.add_paragraph("Parent B: First line")
    paragraph.add_run().add_break(WD_BREAK.LINE)
    paragraph.add_run("second line.")
    document.save(path)
    return [*lines, "Actions", "Evening support", "Tell it once", "Parent B: First line\nsecond line."]


def test_docx_paragraphs_and_speaker_turns(tmp_path):
    path = tmp_path / "Parents Workshop.docx"
    lines = _word_notes(path)
    [source] = read_sources(path)
    assert source.id == "parents-workshop"
    assert source.text == "\n".join(lines)
    assert source.attributes == {"Date": "2011-01-05", "Where": "children's centre (fictional)"}
    paragraphs = units(source, "paragraph")
    _check_offsets(source, paragraphs)
    assert paragraphs["text"].tolist() == [
        "Workshop notes, parents",
        "What gets in the way?",
        "Support is nine to five.",
        "My worst times are ten at night.",
        "Note: the group agreed with this.",
        "We could share one assessment.",
        "Actions",
        "Evening support",
        "Tell it once",
        "First line",
        "second line.",
    ]
    turns = units(source, "turn")
    _check_offsets(source, turns)
    assert turns["speaker"].tolist() == ["", "Facilitator", "Parent A", "Mr Khan", "Parent B"]
    assert turns.loc[2, "text"] == (
        "Support is nine to five.\nMy worst times are ten at night.\nNote: the group agreed with this."
    )
    assert turns.loc[3, "text"] == "We could share one assessment.\nActions\nEvening support\nTell it once"
    assert units(source, "sentence").loc[lambda t: t["speaker"] == "Parent A", "text"].tolist() == [
        "Support is nine to five.",
        "My worst times are ten at night.",
        "Note: the group agreed with this.",
    ]


def test_docx_that_is_not_a_word_document(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_text("not a zip")
    with pytest.raises(SourceError, match=r"fake\.docx: cannot open it as a Word document"):
        read_sources(path)


# ----------------------------------------------------------------------------------------------- survey responses


def test_survey_csv_one_source_per_row_with_attributes():
    sources = read_sources(
        DATA / "survey.csv",
        text_column="what would help your family?",
        id_column="Response ID",
        attributes=DATA / "survey_attributes.csv",
    )
    assert [s.id for s in sources] == ["survey#R001", "survey#R003", "survey#R004"], "the blank response is left out"
    first = sources[0]
    assert first.text == "Someone to ring at night. Support stops at five."
    assert first.attributes == {"Ward": "Bastwell", "Age band": "25-34", "Wave": "2010", "Method": "online"}
    assert first.name == "survey.csv#R001" and first.encoding == "utf-8"
    two_lines = sources[1]
    assert two_lines.text == "Tell the teachers.\nA group with other kids who get it."
    turns = units(two_lines, "turn")
    assert turns[["text", "speaker"]].values.tolist() == [[two_lines.text, ""]], "a response is one turn"
    assert units(two_lines, "sentence")["text"].tolist() == [
        "Tell the teachers.",
        "A group with other kids who get it.",
    ]
    assert units(sources[2], "sentence")["text"].tolist() == ["Being asked what I want not told what I'm getting"]


def test_survey_row_ids_are_line_numbers_without_an_id_column():
    sources = read_sources(DATA / "survey.csv", text_column="What would help your family?")
    assert [s.id for s in sources] == ["survey#3", "survey#5", "survey#7"]
    assert sources[0].attributes["Response ID"] == "R001"


def test_survey_response_labels_are_not_speakers(tmp_path):
    path = tmp_path / "open.csv"
    path.write_text('id,answer\n1,"Honestly: it\'s the evenings.\n\nGP: never heard back."\n', encoding="utf-8")
    [source] = read_sources(path, text_column="answer", id_column="id")
    assert units(source, "paragraph")[["text", "speaker"]].values.tolist() == [
        ["Honestly: it's the evenings.", ""],
        ["GP: never heard back.", ""],
    ]


def test_survey_xlsx_with_a_title_row(tmp_path):
    path = tmp_path / "Family Survey.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(["Family survey 2010 (synthetic)"])
    ws.append(["Ref", "Ward", "Free text"])
    ws.append([101, "Bastwell", "Support only 9 to 5. Nobody at weekends."])
    ws.append([102, "Sudell", None])
    ws.append([103, "Shadsworth with Whitebirk", "Services aren't joined up."])
    wb.save(path)
    sources = read_sources(path, text_column="Free text", attributes={"family-survey": {"Wave": 2}})
    assert [s.id for s in sources] == ["family-survey#3", "family-survey#5"]
    assert sources[0].attributes == {"Ref": "101", "Ward": "Bastwell", "Wave": "2"}
    assert sources[1].text == "Services aren't joined up."
    by_ref = read_sources(path, text_column="free text", id_column="ref")
    assert [s.id for s in by_ref] == ["family-survey#101", "family-survey#103"]


def test_survey_errors_name_the_file_and_nearest_columns(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("Response ID,What would help your family?\nR1,Evening support.\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"plain\.csv: survey responses need text_column=.*first row: Response ID"):
        read_sources(plain)
    with pytest.raises(SourceError) as info:
        read_sources(plain, text_column="What would help your famly")
    assert "no text column 'What would help your famly'. Did you mean 'What would help your family?'" in str(info.value)
    with pytest.raises(SourceError, match=r"no id column 'Respons ID'\. Did you mean 'Response ID'\?"):
        read_sources(DATA / "survey.csv", text_column="What would help your family?", id_column="Respons ID")
    dup = tmp_path / "dup.csv"
    dup.write_text("id,text\nA,one\nB,two\nA,three\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"dup\.csv, line 4, column 'id': id 'A' is also on line 2"):
        read_sources(dup, text_column="text", id_column="id")
    broken = tmp_path / "broken.csv"
    broken.write_text('id,text\n1,fine\n2,"open quote\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"broken\.csv: 1 row\(s\) cannot be read.*Line 3"):
        read_sources(broken, text_column="text")


# ----------------------------------------------------------------------------------------------- folders and ids


def test_folder_order_ids_and_attribute_mappings(tmp_path):
    (tmp_path / "b notes.txt").write_text("Chair: Welcome.\n", encoding="utf-8")
    (tmp_path / "A Notes.md").write_text("- Date: 2010-01-01\n\nGP: Hello.\n", encoding="utf-8")
    (tmp_path / ".hidden.md").write_text("ignored", encoding="utf-8")
    (tmp_path / "~$lock.docx").write_text("ignored", encoding="utf-8")
    sources = read_sources(tmp_path, attributes={"A Notes.md": {"Date": "2010-01-02", "Ward": "Sudell"}})
    assert [s.id for s in sources] == ["a-notes", "b-notes"]
    assert sources[0].attributes == {"Date": "2010-01-02", "Ward": "Sudell"}, "given attributes win"
    assert sources[1].attributes == {}
    everyone = read_sources(tmp_path, attributes={"Project": "Circles", "Year": 2010})
    assert [s.attributes["Year"] for s in everyone] == ["2010", "2010"]
    with pytest.raises(SourceError, match=r"attributes for 'A Note\.md'.*Did you mean 'A Notes\.md'"):
        read_sources(tmp_path, attributes={"A Note.md": {"Ward": "x"}})
    with pytest.raises(SourceError, match="not a mix"):
        read_sources(tmp_path, attributes={"A Notes.md": {"Ward": "x"}, "Year": "2010"})


def test_folder_errors(tmp_path):
    (tmp_path / "notes.md").write_text("Chair: Hello.\n", encoding="utf-8")
    (tmp_path / "Notes.txt").write_text("Chair: Hello again.\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"source id 'notes' is also the id of .*Rename one of the files"):
        read_sources(tmp_path)
    (tmp_path / "Notes.txt").unlink()
    (tmp_path / "minutes.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(SourceError, match=r"cannot read minutes\.pdf as source .*Move it out of the folder"):
        read_sources(tmp_path)
    (tmp_path / "minutes.pdf").unlink()
    (tmp_path / "empty.md").write_text("\n  \n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"empty\.md: the file is empty"):
        read_sources(tmp_path)
    (tmp_path / "empty.md").write_text("- Date: 2010-01-01\n- Date: 2010-01-02\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"empty\.md, line 2: the attribute 'Date' is also given on line 1"):
        read_sources(tmp_path)
    with pytest.raises(SourceError, match="no such file or folder"):
        read_sources(tmp_path / "absent")
    undefined = tmp_path / "bad.txt"
    undefined.write_bytes(b"Chair: caf\xe9 \x81\n")
    with pytest.raises(SourceError, match=r"bad\.txt, line 1 \(byte 12\)"):
        read_sources(undefined)


def test_slugify():
    assert slugify("Parents' Workshop — 13 July") == "parents-workshop-13-july"
    assert slugify("Gweithdy Rhieni (Ŵyl)") == "gweithdy-rhieni-wyl"
    assert slugify("___") == ""


# ----------------------------------------------------------------------------------------------- unit rules


def test_speaker_rule():
    text = "\n".join(
        [
            "Parent A: yes.",
            "Mr Khan: yes.",
            "Dr. Patel: yes.",
            "Young people's worker: yes.",
            "Note: not a speaker.",
            "The problem is: not a speaker.",
            "What we heard: not a speaker.",
            "10:30: not a speaker.",
            "parent a: lower case is not a speaker.",
            "A very long label with many words: not a speaker.",
            "Facilitator:no space after the colon.",
        ]
    )
    paragraphs = units(Source("s", "s", text), "paragraph")
    assert paragraphs.loc[paragraphs["speaker"] != "", "speaker"].tolist() == [
        "Parent A",
        "Mr Khan",
        "Dr. Patel",
        "Young people's worker",
    ]
    turns = units(Source("s", "s", text), "turn")
    assert turns.loc[3, "text"].endswith("Facilitator:no space after the colon."), "unlabelled lines continue a turn"


def test_sentence_rule():
    text = (
        "Mr. Khan saw Dr. Patel at 9.30 a.m. on the ward, e.g. after the GP. It cost £3.50. Then what? "
        'Well... it went on. It ended… Then J. Smith spoke. "Stop." (Really.) She left!'
    )
    sentences = units(Source("s", "s", text), "sentence")["text"].tolist()
    assert sentences == [
        "Mr. Khan saw Dr. Patel at 9.30 a.m. on the ward, e.g. after the GP.",
        "It cost £3.50.",
        "Then what?",
        "Well... it went on.",
        "It ended…",
        "Then J. Smith spoke.",
        '"Stop."',
        "(Really.)",
        "She left!",
    ]
    listed = units(Source("s", "s", "Actions:\n1. Offer evening support\n2) Tell it once\n- Share data"), "sentence")
    assert listed["text"].tolist() == ["Actions:", "1. Offer evening support", "2) Tell it once", "- Share data"]


def test_unit_argument_is_checked():
    with pytest.raises(CodingError, match="Did you mean 'sentence'"):
        units(Source("s", "s", "x"), "sentences")  # type: ignore[arg-type]


def test_all_units_of_nothing():
    table = all_units([], "turn")
    assert list(table.columns) == UNIT_COLUMNS and table.empty
    blank = all_units([Source("s", "s", "\n \n")], "paragraph")
    assert blank.empty


# ----------------------------------------------------------------------------------------------- unit invariants

_ALPHABET = st.sampled_from(
    list("abcXYZ Pq:;.!?…,'\"()-#*•1290\t")
    + ["\n", "\r\n", "\r", "\n\n", "😊", "é", "e\u0301", "\u00a0", "\u2028", "Mr. ", "e.g. ", "A: ", "- K: v\n", "## "]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.lists(_ALPHABET, max_size=60).map("".join),
    path=st.sampled_from([None, "x.md", "x.docx", "x.csv"]),
)
def test_units_invariants(text, path):
    source = Source("s", "s", text, path=path)
    tables = {unit: units(source, unit) for unit in ("paragraph", "turn", "sentence")}
    for table in tables.values():
        assert list(table.columns) == UNIT_COLUMNS
        assert table["unit_id"].tolist() == list(range(1, len(table) + 1))
        for row in table.itertuples():
            assert text[row.start : row.end] == row.text
            assert row.start < row.end and row.text == row.text.strip()
        starts, ends = table["start"].tolist(), table["end"].tolist()
        assert all(e <= s for e, s in zip(ends, starts[1:], strict=False)), "in order, no overlap"

    def chars(table: pd.DataFrame) -> set[int]:
        return {i for r in table.itertuples() for i in range(r.start, r.end) if not text[i].isspace()}

    paragraphs, turns, sentences = tables["paragraph"], tables["turn"], tables["sentence"]
    assert chars(sentences) == chars(paragraphs), "sentences cover the paragraphs exactly"
    assert chars(paragraphs) <= chars(turns)
    for p in paragraphs.itertuples():  # each paragraph lies in one turn, with its speaker
        inside = turns[(turns["start"] <= p.start) & (turns["end"] >= p.end)]
        assert len(inside) == 1 and inside["speaker"].iloc[0] == p.speaker


# ----------------------------------------------------------------------------------------------- re-anchoring


OLD = "Parent D: Relapse. I've been here before.\n\nParent E: Having nothing to do. The days are long.\n"


def _coded(text: str = OLD) -> tuple[Source, pd.DataFrame]:
    source = Source("n", "n", text)
    rows = [
        {"source_id": "n", "start": 10, "end": 17, "code_id": "FEA01", "coder": "jb", "memo": ""},
        {"source_id": "n", "start": 53, "end": 74, "code_id": "FEA02", "coder": "rules", "memo": "check"},
    ]
    segments = make_segments(rows, {"n": source})
    assert segments["quote"].tolist() == ["Relapse", "Having nothing to do."]
    return source, segments


def test_reanchor_unchanged_source_keeps_everything():
    source, segments = _coded()
    found, lost = reanchor(segments, [source])
    pd.testing.assert_frame_equal(found, segments)
    assert lost.empty and list(lost.columns) == [*SEGMENT_COLUMNS, "reason"]


def test_reanchor_after_text_inserted_before_the_quotes():
    _, segments = _coded()
    inserted = "# Workshop\n\n- Date: 2010-07-13\n\n"
    found, lost = reanchor(segments, {"n": Source("n", "n", inserted + OLD)})
    assert lost.empty
    assert found["start"].tolist() == [10 + len(inserted), 53 + len(inserted)]
    assert found["end"].tolist() == [17 + len(inserted), 74 + len(inserted)]
    assert found["quote"].tolist() == segments["quote"].tolist()
    assert found[["code_id", "coder", "memo", "status"]].equals(segments[["code_id", "coder", "memo", "status"]])
    assert found.loc[0, "before"] == "- Date: 2010-07-13\n\nParent D: "


def test_reanchor_context_picks_the_right_copy_of_a_duplicated_quote():
    _, segments = _coded()
    # a copy of "Relapse" now stands nearer the old offset than the coded one does
    new = "Note: Relapse was raised twice.\n\n" + OLD + "\nService manager: Relapse is the fear.\n"
    found, lost = reanchor(segments, [Source("n", "n", new)])
    assert lost.empty
    start = found.loc[0, "start"]
    assert new[start - 10 : start + 8] == "Parent D: Relapse."
    assert start == new.index("Parent D: ") + 10
    # without recorded context, the copy nearest the old start wins
    blind = segments.assign(before="", after="")
    found_blind, _ = reanchor(blind, [Source("n", "n", new)])
    assert found_blind.loc[0, "start"] == new.index("Relapse")


def test_reanchor_when_the_quote_sits_at_the_old_offset_but_is_another_copy():
    _, segments = _coded()
    new = "Parent D: Relapse, relapse. Relapse. I've been here before.\n\nParent E: Having nothing to do.\n"
    found, _ = reanchor(segments, [Source("n", "n", new)])
    assert found.loc[0, "start"] == new.index("Relapse. I've")


def test_reanchor_reports_deleted_quotes_and_missing_sources():
    _, segments = _coded()
    new = "Parent D: Relapse. I've been here before.\n"
    found, lost = reanchor(segments, [Source("n", "n", new)])
    assert found["code_id"].tolist() == ["FEA01"]
    assert lost["code_id"].tolist() == ["FEA02"]
    assert lost.loc[0, "reason"] == "the quote is no longer in source 'n'"
    assert lost.loc[0, "memo"] == "check", "the lost segment keeps what it was"
    found, lost = reanchor(segments, [])
    assert found.empty and lost["reason"].str.contains("not among the sources given").all()


def test_reanchor_survives_a_change_of_line_ends():
    source = Source("n", "n", "Parent C: Support is nine to five.\nMy worst times are ten at night.\n")
    segments = make_segments(
        [{"source_id": "n", "start": 10, "end": 67, "code_id": "BAR02", "coder": "jb"}], {"n": source}
    )
    crlf = Source("n", "n", source.text.replace("\n", "\r\n"))
    found, lost = reanchor(segments, [crlf])
    assert lost.empty
    assert found.loc[0, "quote"] == "Support is nine to five.\r\nMy worst times are ten at night."
    assert crlf.text[found.loc[0, "start"] : found.loc[0, "end"]] == found.loc[0, "quote"]


def test_reanchor_needs_a_segment_table():
    with pytest.raises(CodingError, match="missing columns quote, before, after"):
        reanchor(pd.DataFrame({"source_id": [], "start": [], "end": []}), [])
