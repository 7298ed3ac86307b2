"""REFI-QDA import fixes of issue 17: .docx-only sources counted as NVivo counts them (CR+LF per paragraph), Sets
kept as code and source groups and re-exported, import_codebook on a .qdpx, sources named by their file, and a
warning for near-empty sources. Every project here is built in tmp_path by the test itself."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from circles.qualitative.model import Code, Codebook, Source, make_segments
from circles.qualitative.refi import export_codebook, export_project, import_codebook, import_project
from tests.helpers import DATA

_spec = importlib.util.spec_from_file_location("refi_fixtures", DATA / "refi" / "make_fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

SCHEMA = Path(__file__).resolve().parents[2] / "circles" / "qualitative" / "refi" / "Project.xsd"
USER = "6a0f0000-0000-4000-8000-000000000001"
NEED, MONEY, FEAR = (f"10000000-0000-4000-8000-00000000000{i}" for i in range(1, 4))
T1, T2, PIC = (f"20000000-0000-4000-8000-00000000000{i}" for i in range(1, 4))


def write_qdpx(path: Path, origin: str | None, body: str, files: dict[str, bytes]) -> Path:
    users = f'<Users><User guid="{USER}" name="Ann Brown" id="AB"/></Users>'
    path.write_bytes(fixtures.zip_bytes({"project.qde": fixtures.project(origin, users + body), **files}))
    return path


def quotes(project) -> list[str]:
    return project.segments["quote"].tolist()


# ------------------------------------------------------------------------------------------------ .docx only


def test_docx_only_source_takes_nvivo_positions_after_every_paragraph_break(tmp_path):
    """NVivo counts each paragraph break of a .docx as CR+LF (two UTF-16 units): its positions in the third
    paragraph are two units further on per break than an LF-joined text would put them."""
    paragraphs = ["Intro \U0001f3e0 notes.", "We need warm homes.", "", "Heating costs too much, say parents."]
    text = "\r\n".join(paragraphs)
    wanted = ["warm homes", "Heating costs", "parents"]
    selections = "".join(
        fixtures.selection(f"30000000-0000-4000-8000-00000000{i:04d}", fixtures.utf16(text, q), NEED, USER)
        for i, q in enumerate(wanted)
    )
    body = (
        f'<CodeBook><Codes><Code guid="{NEED}" name="Needs" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{T1}" name="Word notes" richTextPath="internal://{T1}.docx">{selections}'
        "</TextSource></Sources>"
    )
    path = write_qdpx(
        tmp_path / "nvivo.qdpx", "NVivo 12", body, {f"sources/{T1}.docx": fixtures.docx_bytes(paragraphs)}
    )
    project = import_project(path)
    assert project.sources["Word notes"].text == text
    assert quotes(project) == wanted
    assert project.segments[["start", "end"]].values.tolist() == [[24, 34], [39, 52], [67, 74]]
    assert project.offset_convention_used == "utf16"
    assert any("paragraphs joined by CR+LF" in w for w in project.warnings)


def test_docx_only_source_with_atlas_positions_counts_a_paragraph_break_once(tmp_path):
    paragraphs = ["First line.", "Second line about rent."]
    text = "\r\n".join(paragraphs)
    selection = fixtures.selection(
        "30000000-0000-4000-8000-000000000001", fixtures.crlf_as_one(text, "rent"), NEED, USER
    )
    body = (
        f'<CodeBook><Codes><Code guid="{NEED}" name="Needs" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{T1}" name="W" richTextPath="internal://{T1}.docx">{selection}</TextSource>'
        "</Sources>"
    )
    path = write_qdpx(
        tmp_path / "atlas.qdpx", "ATLAS.ti 23", body, {f"sources/{T1}.docx": fixtures.docx_bytes(paragraphs)}
    )
    project = import_project(path)
    assert quotes(project) == ["rent"] and project.segments["start"].tolist() == [31]


# ------------------------------------------------------------------------------------------------ sets


def sets_project(tmp_path: Path) -> Path:
    """Codes Needs/Money worries/Fear; a "Needs" code set (a dimension), a "Finance" code set, a "Parents" source
    set holding a picture source too, a mixed set, a set of notes and an empty set."""
    codes = (
        f'<CodeBook><Codes><Code guid="{NEED}" name="Needs" isCodable="true"/>'
        f'<Code guid="{MONEY}" name="Money worries" isCodable="true"/>'
        f'<Code guid="{FEAR}" name="Fear of debt" isCodable="true"/></Codes></CodeBook>'
    )
    sources = (
        f'<Sources><TextSource guid="{T1}" name="Parents 1" plainTextPath="internal://{T1}.txt">'
        + fixtures.selection("30000000-0000-4000-8000-000000000001", (0, 4), MONEY, USER)
        + f'</TextSource><TextSource guid="{T2}" name="Parents 2" plainTextPath="internal://{T2}.txt"/>'
        f'<PictureSource guid="{PIC}" name="Photo" path="internal://{PIC}.jpg"/></Sources>'
    )
    sets = (
        f'<Sets><Set guid="40000000-0000-4000-8000-000000000001" name="Needs"><MemberCode targetGUID="{NEED}"/></Set>'
        f'<Set guid="40000000-0000-4000-8000-000000000002" name="Finance"><MemberCode targetGUID="{MONEY}"/>'
        f'<MemberCode targetGUID="{FEAR}"/></Set>'
        f'<Set guid="40000000-0000-4000-8000-000000000003" name="Parents"><MemberSource targetGUID="{T1}"/>'
        f'<MemberSource targetGUID="{T2}"/><MemberSource targetGUID="{PIC}"/></Set>'
        f'<Set guid="40000000-0000-4000-8000-000000000004" name="Mixed"><MemberCode targetGUID="{FEAR}"/>'
        f'<MemberSource targetGUID="{T2}"/></Set>'
        '<Set guid="40000000-0000-4000-8000-000000000005" name="Memos">'
        '<MemberNote targetGUID="50000000-0000-4000-8000-000000000001"/></Set>'
        '<Set guid="40000000-0000-4000-8000-000000000006" name="Nothing yet"/></Sets>'
    )
    files = {f"sources/{T1}.txt": b"Rent is late.", f"sources/{T2}.txt": b"We are scared of the bailiffs."}
    return write_qdpx(tmp_path / "sets.qdpx", "MAXQDA 24", codes + sources + sets, files)


def test_sets_become_code_and_source_groups_and_what_is_lost_is_warned(tmp_path):
    project = import_project(sets_project(tmp_path))
    assert project.codebook.code("Needs").dimension == "need"  # the "Needs" set is a dimension, not a group
    assert project.code_groups == {"Finance": ("Money worries", "Fear of debt"), "Mixed": ("Fear of debt",)}
    assert project.source_groups == {"Parents": ("Parents 1", "Parents 2"), "Mixed": ("Parents 2",)}
    warnings = project.warnings
    assert (
        "Set 'Parents': 1 member(s) are not among the codes and sources read (skipped sources, or GUIDs the project "
        "does not define); left out of the group." in warnings
    )
    assert "Set 'Memos': 1 note(s) left out (circles keeps sets of codes and sources)." in warnings
    assert "Set 'Nothing yet' has no members; skipped." in warnings


def test_groups_round_trip_through_a_qdpx_that_validates(tmp_path):
    xmlschema = pytest.importorskip("xmlschema")
    first = import_project(sets_project(tmp_path))
    out = export_project(
        tmp_path / "again.qdpx",
        codebook=first.codebook,
        sources=first.sources,
        segments=first.segments,
        project_name="again",
        code_groups=first.code_groups,
        source_groups=first.source_groups,
    )
    qde = zipfile.ZipFile(out).read("project.qde").decode()
    xmlschema.XMLSchema(str(SCHEMA)).validate(qde)
    again = import_project(out)
    assert again.code_groups == first.code_groups and again.source_groups == first.source_groups
    assert not any(w.startswith("Set ") for w in again.warnings)
    names = [s.get("name") for s in ET.fromstring(qde).iter("{urn:QDA-XML:project:1.0}Set")]
    assert names[-4:] == ["Finance", "Mixed", "Parents", "Mixed"]  # after the dimensions: codes, then sources


def test_groups_naming_unknown_members_are_refused(tmp_path):
    book = Codebook((Code("A", "A", "need"),))
    arguments = {"codebook": book, "sources": [Source("s", "S", "text")], "segments": make_segments([], {})}
    with pytest.raises(Exception, match="code group 'G' names code 'B'"):
        export_project(tmp_path / "x.qdpx", project_name="x", code_groups={"G": ["B"]}, **arguments)
    with pytest.raises(Exception, match="source group 'G' names source 't'"):
        export_project(tmp_path / "x.qdpx", project_name="x", source_groups={"G": ["t"]}, **arguments)


def test_codebook_export_carries_code_groups(tmp_path):
    book = Codebook((Code("A", "Rent", "need"), Code("B", "Debt", "fear")), name="mini")
    out = export_codebook(book, tmp_path / "b.qdc", code_groups={"Money": ["A", "B"]})
    root = ET.fromstring(out.read_bytes())
    sets = {s.get("name"): [m.get("targetGUID") for m in s] for s in root.iter("{urn:QDA-XML:codebook:1.0}Set")}
    codes = {c.get("name"): c.get("guid") for c in root.iter("{urn:QDA-XML:codebook:1.0}Code")}
    assert sets["Money"][1:] == [codes["Rent"], codes["Debt"]]  # [0] is the Description
    assert import_codebook(out) == book


# ------------------------------------------------------------------------------------------------ codebook of a .qdpx


def test_import_codebook_reads_the_codebook_of_a_project(tmp_path):
    book = Codebook((Code("H1", "Housing", "need", definition="A home."), Code("F1", "Debt", "fear")), name="book")
    out = export_project(
        tmp_path / "p.qdpx", codebook=book, sources=[], segments=make_segments([], {}), project_name="Study"
    )
    assert import_codebook(out) == book
    other = sets_project(tmp_path)
    assert [(c.id, c.dimension) for c in import_codebook(other).codes] == [
        ("Needs", "need"),
        ("Money worries", ""),
        ("Fear of debt", ""),
    ]


# ------------------------------------------------------------------------------------------------ names, near-empty


def test_source_without_a_name_is_named_by_its_file_and_near_empty_sources_are_warned(tmp_path):
    body = (
        f'<Sources><TextSource guid="{T1}" plainTextPath="internal://Parents%20Workshop.txt"/>'
        f'<TextSource guid="{T2}" plainTextPath="relative://notes\\Carers.TXT"/>'
        f'<TextSource guid="{PIC}" name="Blank" plainTextPath="internal://{PIC}.txt"/></Sources>'
    )
    files = {
        "sources/Parents Workshop.txt": b"We need a bus.",
        "sources/notes/Carers.TXT": b"Respite, please.",
        f"sources/{PIC}.txt": b" ok \r\n",
    }
    project = import_project(write_qdpx(tmp_path / "names.qdpx", None, body, files))
    assert [(s.id, s.name) for s in project.sources.values()] == [
        ("Parents Workshop", "Parents Workshop"),
        ("Carers", "Carers"),
        ("Blank", "Blank"),
    ]
    near_empty = [w for w in project.warnings if "character(s) of text" in w]
    assert near_empty == [
        "Source 'Blank' has only 2 character(s) of text besides spaces; check that it was exported with its text "
        "(an empty transcript, or a picture saved as text?)."
    ]
