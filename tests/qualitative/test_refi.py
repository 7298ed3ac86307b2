"""REFI-QDA export and import (circles.qualitative.refi): schema validity, byte-identical re-exports, exact round
trips, offset conventions (NVivo UTF-16, ATLAS.ti CRLF-as-one, Python code points) and tolerant imports of what
other tools write (fixtures built by tests/data/refi/make_fixtures.py)."""

from __future__ import annotations

import importlib.util
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circles.errors import CirclesError, RefiError
from circles.qualitative.model import Code, Codebook, Source, make_segments
from circles.qualitative.refi import (
    CODEBOOK_NS,
    CONVENTIONS,
    PROJECT_NS,
    export_codebook,
    export_project,
    from_python_offsets,
    import_codebook,
    import_project,
    to_python_offsets,
)
from tests.helpers import DATA, ROOT

SHARED_REFI = ROOT.parent / "shared" / "refi"
FIXTURES = DATA / "refi"

_spec = importlib.util.spec_from_file_location("refi_fixtures", FIXTURES / "make_fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)


@pytest.fixture(scope="session")
def shared_refi() -> Path:
    if not (SHARED_REFI / "Project.xsd").exists():
        pytest.skip("../shared/refi is not beside the repository")
    return SHARED_REFI


@pytest.fixture(scope="session")
def project_schema(shared_refi: Path):
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(str(shared_refi / "Project.xsd"))


# ------------------------------------------------------------------------------------------------ sample data

BOM_FILE = b"\xef\xbb\xbf" + "Caf\u00e9 notes\r\nWe need a warm space. \U0001f9e3 Scarves help.\r\n".encode()


def sample_codebook() -> Codebook:
    return Codebook(
        (
            Code(
                "B1", "Barriers to services", "barrier", theme="Access", definition="What stops people.", colour="#c00"
            ),
            Code(
                "N1",
                "Housing need",
                "need",
                theme="Housing",
                definition="Needs a safe home.\r\nIncludes repairs.",
                include="damp, repairs\nrent arrears",
                exclude="homelessness (use N2)",
                example="\u201cThe damp is in the kids\u2019 room.\u201d",
                colour="#1f77b4",
            ),
            Code("B2", "Transport", "barrier", parent="B1", colour="teal"),
            Code("N2", "Homelessness", "need", parent="N1", theme=None, definition=""),
            Code("S1", "Family support", "strength", definition="A strength \U0001f4aa the person names."),
        ),
        dimensions=("need", "barrier", "aspiration", "fear", "provider view", "strength"),
        name="Blackburn codebook",
    )


def sample_sources() -> list[Source]:
    return [
        Source(
            "w1",
            "Workshop 1",
            "I want \U0001f600 a job.\r\nMy kids \U0001f467\U0001f466 need me.\r\n",
            {"ward": "Audley"},
        ),
        Source(
            "w2", "Workshop 2", "Plain line one.\nPlain line two with caf\u00e9.", {"ward": "Shadsworth", "n": "12"}
        ),
        Source("w3", "Café notes", BOM_FILE.decode("utf-8-sig"), {}, "cafe.txt", "utf-8-sig"),
        Source("w4", "Empty", "", {"ward": ""}),
    ]


def sample_segments(sources: list[Source]) -> pd.DataFrame:
    by_id = {s.id: s for s in sources}

    def span(source: str, quote: str) -> tuple[int, int]:
        start = by_id[source].text.index(quote)
        return start, start + len(quote)

    rows = []
    for source, quote, code, coder, memo in [
        ("w1", "a job", "S1", "jb", ""),
        ("w1", "My kids \U0001f467\U0001f466 need me", "N1", "jb", "Said twice.\r\nStrongly."),
        ("w1", "need me", "B2", "am", ""),
        ("w1", "need me", "B2", "am", ""),  # the same coding twice: both kept
        ("w2", "Plain line one.\nPlain", "B1", "rules", "\u00e9 \U0001f600 <b>&"),
        ("w3", "warm space", "N1", "am", ""),
        ("w3", "Scarves", "N2", "machine", ""),
    ]:
        start, end = span(source, quote)
        rows.append({"source_id": source, "start": start, "end": end, "code_id": code, "coder": coder, "memo": memo})
    # a whole-text coding of the BOM file, ending exactly at its CRLF-terminated end
    rows.append({"source_id": "w3", "start": 0, "end": len(by_id["w3"].text), "code_id": "B1", "coder": "jb"})
    frame = make_segments(rows, by_id)
    suggestion = make_segments(
        [{"source_id": "w2", "start": 0, "end": 5, "code_id": "N2", "coder": "machine", "status": "suggested"}], by_id
    )
    return pd.concat([frame, suggestion], ignore_index=True)


KEY = ["source_id", "start", "end", "code_id", "coder", "memo"]


def comparable(segments: pd.DataFrame) -> pd.DataFrame:
    frame = segments[segments["status"] == "accepted"][KEY + ["quote", "before", "after"]]
    return frame.sort_values(KEY).reset_index(drop=True)


def source_fields(sources) -> list[tuple]:
    return [(s.id, s.name, s.text, dict(s.attributes)) for s in sources]


def export_sample(path: Path, offsets: str = "python", name: str = "Blackburn 2024", **kwargs) -> Path:
    sources = sample_sources()
    return export_project(
        path,
        codebook=sample_codebook(),
        sources=sources,
        segments=sample_segments(sources),
        project_name=name,
        offsets=offsets,
        **kwargs,
    )


def qde_of(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("project.qde")


# --------------------------------------------------------------------------------------------------- exports


@pytest.mark.parametrize("offsets", CONVENTIONS)
def test_project_export_validates_against_the_refi_schema(tmp_path, project_schema, offsets):
    out = export_sample(tmp_path / "p.qdpx", offsets=offsets)
    project_schema.validate(qde_of(out).decode("utf-8"))


def test_minimal_and_empty_exports_validate_and_omit_empty_containers(tmp_path, project_schema):
    book = Codebook((Code("A", "Only code", "need"),), dimensions=(), name="tiny")
    out = export_project(
        tmp_path / "tiny.qdpx",
        codebook=book,
        sources=[Source("s", "S", "text")],
        segments=make_segments([], {}),
        project_name="tiny",
    )
    xml = qde_of(out).decode()
    project_schema.validate(xml)
    for container in ("Users", "Variables", "Cases", "Sets", "Notes", "Links", "VariableValue", "PlainTextSelection"):
        assert f"<{container}" not in xml
    assert not re.search(r"<(\w+)(\s[^>]*)?/>", xml.replace("<Code ", "<X ").replace('isCodable="true"/>', "")), xml

    nothing = export_project(
        tmp_path / "empty.qdpx",
        codebook=Codebook((), dimensions=(), name="none"),
        sources=[],
        segments=make_segments([], {}),
        project_name="empty",
    )
    project_schema.validate(qde_of(nothing).decode())
    assert "<CodeBook" not in qde_of(nothing).decode()
    assert import_project(nothing).codebook.codes == ()


def test_codebook_export_is_a_valid_codebook(tmp_path, project_schema):
    """No well-formed Codebook.xsd is available: its CodeBook, Codes, Code and Set types are those of the project
    schema, so the .qdc is checked by moving its content into a Project in the project namespace."""
    out = export_codebook(sample_codebook(), tmp_path / "book.qdc")
    root = ET.fromstring(out.read_bytes())
    assert root.tag == f"{{{CODEBOOK_NS}}}CodeBook" and root.get("origin") == "circles"
    assert [child.tag.split("}")[1] for child in root] == ["Codes", "Sets"]
    project = ET.Element(f"{{{PROJECT_NS}}}Project", {"name": "wrapper"})
    codebook = ET.SubElement(project, f"{{{PROJECT_NS}}}CodeBook")
    for element in root.iter():
        element.tag = element.tag.replace(CODEBOOK_NS, PROJECT_NS)
    codebook.append(root.find(f"{{{PROJECT_NS}}}Codes"))
    project.append(root.find(f"{{{PROJECT_NS}}}Sets"))
    project_schema.validate(ET.tostring(project, encoding="unicode"))


def test_re_export_is_byte_identical_and_guids_are_stable(tmp_path):
    first = export_sample(tmp_path / "a.qdpx").read_bytes()
    second = export_sample(tmp_path / "b.qdpx").read_bytes()
    assert first == second
    assert export_codebook(sample_codebook(), tmp_path / "a.qdc").read_bytes() == (
        export_codebook(sample_codebook(), tmp_path / "b.qdc").read_bytes()
    )
    other = qde_of(export_sample(tmp_path / "c.qdpx", name="Another project")).decode()
    guids = set(re.findall(r'guid="([0-9a-f-]{36})"', qde_of(tmp_path / "a.qdpx").decode()))
    assert len(guids) > 20 and not guids & set(re.findall(r'guid="([0-9a-f-]{36})"', other))
    with zipfile.ZipFile(tmp_path / "a.qdpx") as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) and names[:2] == ["project.qde", "sources/"]
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    assert all(re.fullmatch(r"sources/([0-9a-f-]{36}\.txt)?", n) for n in names[1:])


def test_exported_texts_keep_line_ends_and_carry_a_bom(tmp_path):
    out = export_sample(tmp_path / "p.qdpx")
    xml = qde_of(out).decode()
    with zipfile.ZipFile(out) as archive:
        for guid in re.findall(r'plainTextPath="internal://([0-9a-f-]{36})\.txt"', xml):
            data = archive.read(f"sources/{guid}.txt")
            assert data.startswith(b"\xef\xbb\xbf")
        texts = {archive.read(n)[3:].decode() for n in archive.namelist() if n.endswith(".txt")}
    assert {s.text for s in sample_sources()} == texts


def test_positions_are_written_in_the_convention_asked(tmp_path):
    """In Workshop 1, "My kids 👧👦 need me" (17 code points, two of them emoji) follows one emoji and one CRLF.

    "I want 😀 a job." is 15 code points (0-14), CR is 15, LF 16, so the quote is 17-35 in Python; NVivo counts the
    emoji before it and the two in it twice: 18-38; ATLAS.ti counts the CRLF once: 16-34.
    """
    text = sample_sources()[0].text
    assert text.index("My kids") == 17
    expected = {"python": (17, 35), "utf16": (18, 38), "crlf_as_one": (16, 34)}
    for convention, (start, end) in expected.items():
        xml = qde_of(export_sample(tmp_path / f"{convention}.qdpx", offsets=convention)).decode()
        assert f'startPosition="{start}" endPosition="{end}"' in xml, convention
        assert 'origin="circles"' in xml and f'offsets: "{convention}"' in xml


def test_only_accepted_segments_are_exported(tmp_path):
    xml = qde_of(export_sample(tmp_path / "p.qdpx")).decode()
    assert xml.count("<PlainTextSelection") == 8  # 9 rows, one of them a suggestion
    assert xml.count("<User ") == 4  # jb, am, rules, machine


# ------------------------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("offsets", CONVENTIONS)
def test_round_trip_restores_codebook_sources_and_segments(tmp_path, offsets):
    sources = sample_sources()
    segments = sample_segments(sources)
    out = export_sample(tmp_path / "p.qdpx", offsets=offsets)
    project = import_project(out)
    assert project.name == "Blackburn 2024" and project.origin == "circles"
    assert project.offset_convention_used == offsets
    assert project.codebook == sample_codebook()
    assert source_fields(project.sources.values()) == source_fields(sources)
    pd.testing.assert_frame_equal(comparable(project.segments), comparable(segments))
    assert (project.segments["status"] == "accepted").all() and project.segments["probability"].isna().all()
    # the only warnings: the colour 'teal' is not #RRGGBB (kept as it is), and the sample's empty source
    assert project.warnings == (
        "Code 'Transport' has an invalid colour 'teal'; kept as it is.",
        "Source 'Empty' has only 0 character(s) of text besides spaces; check that it was exported with its text "
        "(an empty transcript, or a picture saved as text?).",
    )
    assert project.code_groups == {} and project.source_groups == {}


def test_round_trip_of_a_project_exported_as_another_tool(tmp_path):
    """Positions declared by circles win over the origin; the origin is kept."""
    out = export_sample(tmp_path / "p.qdpx", offsets="utf16", origin="NVivo 14 (via circles)")
    project = import_project(out)
    assert project.origin == "NVivo 14 (via circles)" and project.offset_convention_used == "utf16"
    pd.testing.assert_frame_equal(comparable(project.segments), comparable(sample_segments(sample_sources())))


def test_codebook_round_trip(tmp_path):
    book = sample_codebook()
    restored = import_codebook(export_codebook(book, tmp_path / "any file name.qdc"))
    assert restored == book
    assert [c.id for c in restored.codes] == ["B1", "N1", "B2", "N2", "S1"]  # codebook order, not tree order


def test_edits_made_in_another_tool_come_back(tmp_path):
    """A definition edited in the visible part of the Description, a renamed code and a recoloured code."""
    path = export_codebook(sample_codebook(), tmp_path / "book.qdc")
    xml = path.read_text(encoding="utf-8")
    xml = xml.replace("What stops people.", "What stops people using services.")
    xml = xml.replace('name="Transport"', 'name="Buses and trains"')
    xml = xml.replace('color="#1F77B4"', 'color="#00FF00"')
    path.write_text(xml, encoding="utf-8")
    codes = {c.id: c for c in import_codebook(path).codes}
    assert codes["B1"].definition == "What stops people using services."
    assert codes["B2"].name == "Buses and trains" and codes["B2"].parent == "B1"
    assert codes["N1"].colour == "#00FF00"
    assert codes["B1"].colour == "#c00"  # unchanged: the exact spelling comes back from the circles block


# ---------------------------------------------------------------------------------------------------- offsets


def test_hand_computed_offsets():
    text = "a\U0001f600b\r\nc"  # a, grinning face (2 UTF-16 units), b, CR, LF, c
    assert text.index("c") == 5
    assert from_python_offsets(text, [0, 1, 2, 3, 5, 6], "python").tolist() == [0, 1, 2, 3, 5, 6]
    assert from_python_offsets(text, [0, 1, 2, 3, 5, 6], "utf16").tolist() == [0, 1, 3, 4, 6, 7]
    assert from_python_offsets(text, [0, 1, 2, 3, 5, 6], "crlf_as_one").tolist() == [0, 1, 2, 3, 4, 5]
    assert to_python_offsets(text, [0, 1, 3, 4, 6, 7], "utf16").tolist() == [0, 1, 2, 3, 5, 6]
    assert to_python_offsets(text, [0, 1, 2, 3, 4, 5], "crlf_as_one").tolist() == [0, 1, 2, 3, 5, 6]
    # between CR and LF there is no ATLAS.ti position: it maps to the one after the pair
    assert from_python_offsets(text, [4], "crlf_as_one").tolist() == [4]


def test_bom_is_not_counted():
    """NVivo does not count a BOM: the text circles keeps has none, so offsets start after it."""
    data = b"\xef\xbb\xbf" + "x\U0001f600y".encode()
    text = data.decode("utf-8-sig")
    assert to_python_offsets(text, [3], "utf16").tolist() == [2] and text[2] == "y"
    assert from_python_offsets(text, [2, 3], "utf16").tolist() == [3, 4]


def test_offsets_keep_the_array_shape_and_accept_numpy():
    text = "\U0001f600\U0001f600 ok\r\nok"
    positions = np.array([[0, 1], [2, 4]])
    assert from_python_offsets(text, positions, "utf16").tolist() == [[0, 2], [4, 6]]
    assert to_python_offsets(text, np.array([[0, 2], [4, 6]]), "utf16").tolist() == [[0, 1], [2, 4]]
    assert to_python_offsets("", [0], "utf16").tolist() == [0]


@pytest.mark.parametrize(
    ("positions", "convention", "message"),
    [([1], "utf16", "inside a character"), ([9], "utf16", "past the end"), ([-1], "python", "past the end")],
)
def test_impossible_positions_raise(positions, convention, message):
    with pytest.raises(RefiError, match=message):
        to_python_offsets("\U0001f600abc", positions, convention)


def test_bad_offsets_and_conventions_raise():
    with pytest.raises(RefiError, match="outside the text"):
        from_python_offsets("abc", [4], "python")
    with pytest.raises(RefiError, match="Did you mean 'utf16'"):
        from_python_offsets("abc", [1], "utf-16")
    assert issubclass(RefiError, CirclesError)


texts = st.text(alphabet=["a", "Z", " ", ".", "\r", "\n", "\u00e9", "\U0001f600", "\U0001f467", "\ufeff"], max_size=40)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_conversions_match_independent_formulas_and_round_trip(text):
    indices = np.arange(len(text) + 1)
    utf16 = from_python_offsets(text, indices, "utf16")
    assert utf16.tolist() == [len(text[:i].encode("utf-16-le")) // 2 for i in indices]
    crlf = from_python_offsets(text, indices, "crlf_as_one")
    clean = [i for i in indices if not (0 < i < len(text) and text[i - 1] == "\r" and text[i] == "\n")]
    assert crlf[clean].tolist() == [len(text[:i].replace("\r\n", "\n")) for i in clean]
    for convention in CONVENTIONS:
        units = from_python_offsets(text, clean, convention)
        assert to_python_offsets(text, units, convention).tolist() == clean
        assert (np.diff(from_python_offsets(text, indices, convention)) >= 0).all()
    assert to_python_offsets(
        text, np.arange(utf16[-1] + 1)[np.isin(np.arange(utf16[-1] + 1), utf16)], "utf16"
    ).tolist() == (indices.tolist())


# ------------------------------------------------------------------------------------------- tolerant imports


def test_committed_fixtures_are_what_the_script_builds():
    for name, build in fixtures.FIXTURES.items():
        assert (FIXTURES / name).read_bytes() == build(), f"rerun tests/data/refi/make_fixtures.py ({name})"
        assert build() == build()


def quotes(project) -> list[str]:
    return project.segments["quote"].tolist()


def test_nvivo_like_project():
    project = import_project(FIXTURES / "nvivo_like.qdpx")
    assert project.offset_convention_used == "utf16" and "NVivo" in project.offset_convention_reason
    (source,) = project.sources.values()
    assert source.id == "Interview 1" and source.encoding == "utf-8-sig"
    assert source.text == fixtures.NVIVO_TEXT  # BOM removed, CRLF kept
    assert quotes(project) == ["bus pass", "the school run", "bailiffs \U0001f61f every week", "Resident"]
    assert project.segments["coder"].tolist() == ["JB", "Sam", "JB", "JB"]  # initials (id) when the user has them
    assert project.segments["memo"].tolist() == ["A bus pass is the whole answer.", "", "", ""]  # a linked Note
    codes = {c.id: c for c in project.codebook.codes}
    assert codes["Transport"].parent == "Needs" and codes["Transport"].colour == "#3366CC"
    assert codes["Transport"].definition == "Getting about."
    assert {c.id: c.dimension for c in codes.values()} == {
        "Needs": "need",
        "Transport": "need",
        "School run": "need",
        "Fears": "fear",
    }
    assert project.warnings == ()


def test_atlas_like_project():
    project = import_project(FIXTURES / "atlas_like.qdpx")  # its XML is "Atlas Export.qde"
    assert project.offset_convention_used == "crlf_as_one"
    assert quotes(project) == ["rent arrears letters", "I want to work again."]
    assert project.segments["memo"].tolist() == ["Letters from the council.", ""]
    assert project.sources["Focus group"].attributes == {"ward": "Audley"}
    assert "\r\n" in project.sources["Focus group"].text
    assert [c.colour for c in project.codebook.codes] == ["#ff9900", "#0a0"]


def test_unknown_origin_is_detected_from_word_boundaries():
    utf16 = import_project(FIXTURES / "unknown_utf16.qdpx")
    assert utf16.origin is None and utf16.offset_convention_used == "utf16"
    assert utf16.offset_convention_reason.startswith("origin None unknown; detected: 16 of 16")
    assert quotes(utf16) == fixtures.UNKNOWN_QUOTES
    assert utf16.sources["Notes"].encoding == "utf-16"

    crlf = import_project(FIXTURES / "unknown_crlf.qdpx")
    assert crlf.offset_convention_used == "crlf_as_one" and quotes(crlf) == fixtures.CRLF_QUOTES
    assert "detected: 8 of 8" in crlf.offset_convention_reason


def test_invalid_colours_are_kept_with_a_warning():
    project = import_project(FIXTURES / "invalid_colour.qdpx")
    assert [c.colour for c in project.codebook.codes] == ["red", "#12345"]
    assert "Code 'Youth club' has an invalid colour 'red'; kept as it is." in project.warnings
    assert "Code 'Transport barrier' has an invalid colour '#12345'; kept as it is." in project.warnings
    assert quotes(project) == ["a youth club", "Transport"]  # plainTextPath "Sources/survey one.txt"
    assert project.offset_convention_used == "crlf_as_one"  # QualCoder


def test_variables_on_cases_and_on_sources():
    project = import_project(FIXTURES / "case_variables.qdpx")
    assert project.sources["Response 1"].attributes == {"ward": "Audley", "age": "34"}  # nameless case
    assert project.sources["Response 2"].attributes == {"mode": "paper", "ward": "Shadsworth"}  # source wins
    assert project.sources["Response 1"].text == "Need a bus."  # absolute:///C:/... found by name in the archive
    assert project.sources["Response 2"].text == "Fear of debt."  # relative://
    assert any("'mode' is 'paper' on the source and 'online' on its case" in w for w in project.warnings)


def test_rich_text_only_sources():
    project = import_project(FIXTURES / "rich_text_only.qdpx")
    # paragraphs joined by CR+LF, as NVivo counts a paragraph break (test_refi_sets_and_sources.py checks offsets)
    assert project.sources["Word notes"].text == "We need warm homes.\r\nHeating costs too much."
    assert "Old notes" not in project.sources
    assert quotes(project) == ["warm homes", "youth club"]
    assert any("'Word notes' has no plain-text file" in w for w in project.warnings)
    assert any("'Old notes' skipped" in w and ".rtf" in w for w in project.warnings)
    assert "1 selection(s) of skipped source 'Old notes' dropped." in project.warnings


def build_project(origin: str | None, text: bytes, selections: str, extra: str = "") -> bytes:
    code = "10000000-0000-4000-8000-000000000001"
    source = "20000000-0000-4000-8000-000000000001"
    body = (
        f'<CodeBook><Codes><Code guid="{code}" name="Need" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{source}" name="T" plainTextPath="internal://{source}.txt">'
        f"{selections.replace('CODE', code)}</TextSource></Sources>{extra}"
    )
    return fixtures.zip_bytes({"project.qde": fixtures.project(origin, body), f"sources/{source}.txt": text})


def test_origin_that_does_not_fit_falls_back_to_detection(tmp_path):
    """An "NVivo" project whose positions are really Python ones: position 3 is inside the second emoji."""
    text = "\U0001f600\U0001f600 word here"
    selection = fixtures.selection("30000000-0000-4000-8000-000000000001", (3, 7), "CODE", "")
    path = tmp_path / "odd.qdpx"
    path.write_bytes(build_project("NVivo 12", text.encode(), selection))
    project = import_project(path)
    assert project.offset_convention_used == "python" and quotes(project) == ["word"]
    assert project.segments["coder"].tolist() == ["unknown"]
    assert any("do not fit the texts when counted as 'utf16'" in w for w in project.warnings)


@pytest.mark.parametrize("convention", ["utf16", "crlf_as_one"])
def test_detection_decides_by_word_boundaries_alone(tmp_path, convention):
    """Every position is valid in every convention here, and none falls between CR and LF: only words decide."""
    text = (
        "\U0001f600\U0001f600 Intro.\r\n\r\nRent is late again and again, every month since spring. "
        "We wrote to them twice."
    )
    count = fixtures.utf16 if convention == "utf16" else fixtures.crlf_as_one
    words = ["late again", "every month", "since spring"]
    selections = "".join(
        fixtures.selection(f"30000000-0000-4000-8000-00000000000{i}", count(text, w), "CODE", "")
        for i, w in enumerate(words)
    )
    path = tmp_path / "words.qdpx"
    path.write_bytes(build_project("Unknown tool", text.encode(), selections))
    project = import_project(path)
    assert project.offset_convention_used == convention and quotes(project) == words
    assert "invalid" not in project.offset_convention_reason


def test_whole_source_codings_annotations_and_unknown_codes(tmp_path):
    selections = (
        '<PlainTextSelection guid="30000000-0000-4000-8000-000000000001" startPosition="0" endPosition="2"/>'
        + fixtures.selection("30000000-0000-4000-8000-000000000002", (0, 2), "99999999-0000-4000-8000-000000000000", "")
        + fixtures.selection("30000000-0000-4000-8000-000000000003", (50, 60), "CODE", "")
        + '<Coding guid="30000000-0000-4000-8000-000000000004"><CodeRef targetGUID="CODE"/></Coding>'
    )
    path = tmp_path / "misc.qdpx"
    path.write_bytes(build_project(None, b"Hi there", selections))
    project = import_project(path)
    assert project.segments[["start", "end", "quote"]].values.tolist() == [[0, 8, "Hi there"]]
    assert "1 selection(s) without a code (annotations) skipped." in project.warnings
    assert "1 coding(s) refer to codes that are not in the codebook; skipped." in project.warnings
    assert any("Selection 50-60 of source 'T' does not fit its text" in w for w in project.warnings)


def test_text_files_outside_the_archive(tmp_path):
    """External sources: an absolute path, and a path relative to the .qdpx."""
    (tmp_path / "notes").mkdir()
    (tmp_path / "outside.txt").write_bytes(b"\xef\xbb\xbfAbsolute text")
    (tmp_path / "notes" / "beside.txt").write_text("Relative text", encoding="utf-8")
    body = (
        f'<Sources><TextSource guid="20000000-0000-4000-8000-000000000001" name="A" '
        f'plainTextPath="{(tmp_path / "outside.txt").as_posix()}"/>'
        '<TextSource guid="20000000-0000-4000-8000-000000000002" name="B" plainTextPath="notes/beside.txt"/>'
        '<TextSource guid="20000000-0000-4000-8000-000000000003" name="C" plainTextPath="internal://gone.txt"/>'
        '<TextSource guid="20000000-0000-4000-8000-000000000004" name="D"><PlainTextContent>Inline</PlainTextContent>'
        "</TextSource></Sources>"
    )
    (tmp_path / "ext.qdpx").write_bytes(fixtures.zip_bytes({"project.qde": fixtures.project("MAXQDA 24", body)}))
    project = import_project(tmp_path / "ext.qdpx")
    assert {s.id: s.text for s in project.sources.values()} == {
        "A": "Absolute text",
        "B": "Relative text",
        "D": "Inline",
    }
    assert any("'C' skipped" in w and "gone.txt" in w for w in project.warnings)
    assert project.offset_convention_used == "python" and "MAXQDA" in project.offset_convention_reason


def test_unreadable_projects_raise(tmp_path):
    with pytest.raises(RefiError, match="does not exist"):
        import_project(tmp_path / "missing.qdpx")
    (tmp_path / "plain.qdpx").write_text("not a zip")
    with pytest.raises(RefiError, match="must be a zip archive"):
        import_project(tmp_path / "plain.qdpx")
    (tmp_path / "noqde.qdpx").write_bytes(fixtures.zip_bytes({"sources/a.txt": b"x"}))
    with pytest.raises(RefiError, match="holds no .qde file"):
        import_project(tmp_path / "noqde.qdpx")
    (tmp_path / "broken.qdpx").write_bytes(fixtures.zip_bytes({"project.qde": b"<Project><Users>"}))
    with pytest.raises(RefiError, match="not well-formed XML"):
        import_project(tmp_path / "broken.qdpx")
    (tmp_path / "other.qdpx").write_bytes(fixtures.zip_bytes({"project.qde": b"<CodeBook/>"}))
    with pytest.raises(RefiError, match="not a REFI-QDA project"):
        import_project(tmp_path / "other.qdpx")
    (tmp_path / "bad.qdc").write_text("<Project xmlns='x'/>x")
    with pytest.raises(RefiError, match="not well-formed"):
        import_codebook(tmp_path / "bad.qdc")


def test_invalid_exports_raise(tmp_path):
    sources = sample_sources()
    segments = sample_segments(sources)
    book = sample_codebook()

    def export(**changes):
        arguments = {"codebook": book, "sources": sources, "segments": segments, "project_name": "x"}
        arguments.update(changes)
        return export_project(tmp_path / "x.qdpx", **arguments)

    with pytest.raises(RefiError, match="not in the codebook"):
        export(segments=segments.assign(code_id="ZZ"))
    with pytest.raises(RefiError, match="not among the sources"):
        export(sources=sources[1:])
    with pytest.raises(RefiError, match="does not lie within its text"):
        export(segments=segments.assign(end=10_000))
    with pytest.raises(RefiError, match="two codes with id"):
        export(codebook=Codebook(book.codes + (book.codes[0],)))
    with pytest.raises(RefiError, match="a loop"):
        export(codebook=Codebook((Code("A", "a", "need", parent="B"), Code("B", "b", "need", parent="A"))))
    with pytest.raises(RefiError, match="not in the codebook"):
        export(codebook=Codebook((Code("A", "a", "need", parent="Q"),)))
    with pytest.raises(RefiError, match="Unknown offset convention"):
        export(offsets="nvivo")
    with pytest.raises(RefiError, match="U\\+0007"):
        export(sources=[Source("w1", "bell\x07", "x")] + sources[1:], segments=segments[segments.source_id != "w1"])
    with pytest.raises(RefiError, match="folder"):
        export_project(tmp_path / "no" / "x.qdpx", codebook=book, sources=sources, segments=segments, project_name="x")
    with pytest.raises(RefiError, match="at least one code"):
        export_codebook(Codebook(()), tmp_path / "empty.qdc")
