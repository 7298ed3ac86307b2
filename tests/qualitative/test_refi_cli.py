"""``circles refi import|export|validate`` (circles.cli_refi) with typer's CliRunner, on projects built here."""

from __future__ import annotations

import importlib.util
import zipfile

import pytest
import yaml
from typer.testing import CliRunner

from circles.cli_refi import refi_app
from circles.qualitative.codebook import read_codebook
from circles.qualitative.coding import read_codings
from circles.qualitative.refi import export_codebook, import_project
from circles.qualitative.sources import read_sources
from tests.helpers import DATA

_spec = importlib.util.spec_from_file_location("refi_fixtures", DATA / "refi" / "make_fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

runner = CliRunner()
USER = "6a0f0000-0000-4000-8000-000000000001"
NEED, FEAR = "10000000-0000-4000-8000-000000000001", "10000000-0000-4000-8000-000000000002"
T1, T2 = "20000000-0000-4000-8000-000000000001", "20000000-0000-4000-8000-000000000002"
TEXT1 = "Caf\u00e9 \U0001f3e0 group.\r\nWe need a bus.\r\n"
TEXT2 = "Scared of the bailiffs."


def nvivo_project(path, fear_name: str = "Fears"):
    body = (
        f'<Users><User guid="{USER}" name="Ann" id="AB"/></Users>'
        f'<CodeBook><Codes><Code guid="{NEED}" name="Needs" isCodable="true"/>'
        f'<Code guid="{FEAR}" name="{fear_name}" isCodable="true"/></Codes></CodeBook>'
        f'<Variables><Variable guid="70000000-0000-4000-8000-000000000001" name="ward" typeOfVariable="Text"/>'
        "</Variables>"
        f'<Sources><TextSource guid="{T1}" name="Parents Group" plainTextPath="internal://{T1}.txt">'
        + fixtures.selection("30000000-0000-4000-8000-000000000001", fixtures.utf16(TEXT1, "a bus"), NEED, USER)
        + '<VariableValue><VariableRef targetGUID="70000000-0000-4000-8000-000000000001"/>'
        "<TextValue>Audley</TextValue></VariableValue>"
        f'</TextSource><TextSource guid="{T2}" name="Carers" plainTextPath="internal://{T2}.txt">'
        + fixtures.selection("30000000-0000-4000-8000-000000000002", fixtures.utf16(TEXT2, "bailiffs"), FEAR, USER)
        + "</TextSource></Sources>"
        f'<Sets><Set guid="40000000-0000-4000-8000-000000000001" name="Evening sessions">'
        f'<MemberSource targetGUID="{T1}"/></Set>'
        f'<Set guid="40000000-0000-4000-8000-000000000002" name="Money"><MemberCode targetGUID="{FEAR}"/></Set></Sets>'
    )
    files = {f"sources/{T1}.txt": TEXT1.encode("utf-8-sig"), f"sources/{T2}.txt": TEXT2.encode()}
    path.write_bytes(fixtures.zip_bytes({"project.qde": fixtures.project("NVivo 14", body), **files}))
    return path


def test_import_writes_what_the_coding_stage_reads(tmp_path):
    result = runner.invoke(refi_app, ["import", str(nvivo_project(tmp_path / "p.qdpx")), "--to", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "read p.qdpx: 2 codes, 2 text sources, 2 codings, 1 code group(s), 1 source group(s)" in result.output
    assert "offset convention utf16: origin 'NVivo 14'" in result.output
    out = tmp_path / "out"
    book = read_codebook(out / "codebook.yaml")
    assert [(c.id, c.dimension) for c in book.codes] == [("Needs", "need"), ("Fears", "fear")]
    sources = {s.id: s for s in read_sources(out / "sources", attributes=out / "attributes.csv")}
    assert sources["parents-group"].text == TEXT1
    assert sources["parents-group"].attributes == {"ward": "Audley", "set: Evening sessions": "yes"}
    assert sources["carers"].attributes == {"set: Evening sessions": "no"}
    codings = read_codings(out / "codings.csv", sources, book)
    assert codings[["source_id", "quote", "code_id", "coder"]].values.tolist() == [
        ["parents-group", "a bus", "Needs", "AB"],
        ["carers", "bailiffs", "Fears", "AB"],
    ]
    assert yaml.safe_load((out / "groups.yaml").read_text()) == {
        "code_groups": {"Money": ["Fears"]},
        "source_groups": {"Evening sessions": ["parents-group"]},
    }
    # a second import into the folder it wrote replaces its own files
    again = runner.invoke(refi_app, ["import", str(tmp_path / "p.qdpx"), "--to", str(out)])
    assert again.exit_code == 0, again.output


def test_import_refuses_a_folder_with_files_circles_did_not_write(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep me")
    result = runner.invoke(refi_app, ["import", str(nvivo_project(tmp_path / "p.qdpx")), "--to", str(tmp_path / "out")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "holds 1 file(s) circles did not write (mine.txt)" in result.output
    assert (tmp_path / "out" / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["mine.txt"]


def test_codes_without_a_dimension_need_unassigned(tmp_path):
    project = nvivo_project(tmp_path / "p.qdpx", fear_name="Bailiff visits")
    refused = runner.invoke(refi_app, ["import", str(project), "--to", str(tmp_path / "a")])
    assert refused.exit_code == 1 and "1 code(s) have no Circles dimension ('Bailiff visits')" in refused.output
    assert "--unassigned" in refused.output and not (tmp_path / "a").exists()
    done = runner.invoke(refi_app, ["import", str(project), "--to", str(tmp_path / "b"), "--unassigned", "fear"])
    assert done.exit_code == 0, done.output
    assert "dimension 'fear' given to 1 code(s): 'Bailiff visits'" in done.output
    assert read_codebook(tmp_path / "b" / "codebook.yaml").code("Bailiff visits").dimension == "fear"


def test_bad_files_are_one_line_errors(tmp_path):
    (tmp_path / "plain.qdpx").write_text("not a zip")
    result = runner.invoke(refi_app, ["import", str(tmp_path / "plain.qdpx"), "--to", str(tmp_path / "o")])
    assert result.exit_code == 1 and "must be a zip archive" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(refi_app, ["validate", str(tmp_path / "nope.qdpx")])
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_export_round_trips_an_import_with_its_groups(tmp_path):
    runner.invoke(refi_app, ["import", str(nvivo_project(tmp_path / "p.qdpx")), "--to", str(tmp_path / "out")])
    out = tmp_path / "out"
    arguments = ["export", "--codebook", str(out / "codebook.yaml"), "--codings", str(out / "codings.csv")]
    arguments += ["--sources", str(out / "sources"), "--groups", str(out / "groups.yaml"), "--offsets", "utf16"]
    result = runner.invoke(refi_app, [*arguments, "--to", str(tmp_path / "back.qdpx")])
    assert result.exit_code == 0, result.output
    assert "2 codes, 2 sources, 2 codings, 1 code group(s), 1 source group(s), positions counted as utf16" in (
        result.output
    )
    back = import_project(tmp_path / "back.qdpx")
    assert back.segments[["source_id", "quote"]].values.tolist() == [["carers", "bailiffs"], ["parents-group", "a bus"]]
    assert back.code_groups == {"Money": ("Fears",)}
    assert back.source_groups == {"Evening sessions": ("parents-group",)}
    # its own export may be replaced; a file circles did not write may not
    assert runner.invoke(refi_app, [*arguments, "--to", str(tmp_path / "back.qdpx")]).exit_code == 0
    (tmp_path / "theirs.qdpx").write_bytes(b"precious")
    refused = runner.invoke(refi_app, [*arguments, "--to", str(tmp_path / "theirs.qdpx")])
    assert refused.exit_code == 1 and "was not exported by circles" in refused.output
    assert (tmp_path / "theirs.qdpx").read_bytes() == b"precious"


def test_validate_projects_and_codebooks(tmp_path):
    pytest.importorskip("xmlschema")
    runner.invoke(refi_app, ["import", str(nvivo_project(tmp_path / "p.qdpx")), "--to", str(tmp_path / "out")])
    out = tmp_path / "out"
    runner.invoke(
        refi_app,
        [
            "export",
            *("--codebook", str(out / "codebook.yaml"), "--codings", str(out / "codings.csv")),
            *(
                "--sources",
                str(out / "sources"),
                "--groups",
                str(out / "groups.yaml"),
                "--to",
                str(tmp_path / "c.qdpx"),
            ),
        ],
    )
    good = runner.invoke(refi_app, ["validate", str(tmp_path / "c.qdpx")])
    assert good.exit_code == 0 and "c.qdpx is valid REFI-QDA." in good.output
    qdc = export_codebook(read_codebook(out / "codebook.yaml"), tmp_path / "b.qdc", code_groups={"M": ["Fears"]})
    assert runner.invoke(refi_app, ["validate", str(qdc)]).exit_code == 0
    broken = tmp_path / "broken.qdpx"
    qde = zipfile.ZipFile(tmp_path / "c.qdpx").read("project.qde").replace(b' name="Needs"', b"", 1)
    broken.write_bytes(fixtures.zip_bytes({"project.qde": qde}))
    bad = runner.invoke(refi_app, ["validate", str(broken)])
    assert bad.exit_code == 1 and "schema errors: 1" in bad.output and "name" in bad.output
