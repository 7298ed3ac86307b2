"""Tests for codebooks: reading, validation errors, round trips and printing (circles.qualitative.codebook)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from circles.errors import CirclesError, CodingError
from circles.qualitative.codebook import (
    DEFAULT_COLOUR,
    FIELDS,
    codebook_markdown,
    codebook_table,
    read_codebook,
    validate_codebook,
    write_codebook,
)
from circles.qualitative.model import DIMENSIONS, Code, Codebook
from tests.helpers import ROOT

DEMO = ROOT / "pipelines" / "demo_codebook.yaml"


def _yaml(tmp_path: Path, text: str, name: str = "book.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path, **kwargs) -> str:
    with pytest.raises(CodingError) as info:
        read_codebook(path, **kwargs)
    return str(info.value)


# ----------------------------------------------------------------------------------------------- the demo codebook


def test_demo_codebook_loads_with_the_case_study_codes():
    book = read_codebook(DEMO)
    assert book.name == "Circles of Need demo codebook"
    assert book.dimensions == DIMENSIONS
    assert len(book) == 28
    assert Counter(c.dimension for c in book.codes) == {
        "need": 7,
        "barrier": 6,
        "aspiration": 5,
        "fear": 5,
        "provider view": 5,
    }
    names = {c.name for c in book.codes}
    for expected in (
        "Stop drinking",
        "A good future for my children",
        "Strong family relationships",
        "Know what support exists",
        "Feel of value",
        "Relapse",
        "Having nothing to do",
        "Help only at crisis point",
        "Support only 9 to 5",
        "Telling my story again to every new service",
        "Services not joined up",
        "Being 'referred' feels like failure",
        "Someone to talk to out of hours",
        "Practical help with money and housing",
        "Support for the children",
        "A single key worker",
        "Families disengage",
        "Thresholds too high",
        "Data not shared",
    ):
        assert expected in names
    assert all(re.fullmatch(r"(ASP|FEA|BAR|NEE|PRO)\d\d", c.id) for c in book.codes)
    assert len({c.colour for c in book.codes}) == len(book), "every code has its own colour"
    assert all(c.definition and c.include and c.exclude and c.example and c.theme for c in book.codes)
    assert {c.theme for c in book.codes} >= {"health", "housing", "employment", "family", "money"}
    assert book.code("BAR06").parent == "BAR03"


def test_demo_codebook_examples_are_quotes_the_synthetic_notes_voice():
    generator = (ROOT / "circles" / "demo" / "notes.py").read_text(encoding="utf-8")
    for code in read_codebook(DEMO).codes:
        assert code.example in generator or code.example.replace("'", "\\'") in generator, code.id


# ----------------------------------------------------------------------------------------------- validation


GOOD = """\
name: mini
codes:
  - id: B1
    name: Help only at crisis point
    dimension: barrier
    colour: "#e41a1c"
  - id: B2
    name: Support only 9 to 5
    dimension: barrier
"""


def test_minimal_yaml_defaults_and_normalisation(tmp_path):
    book = read_codebook(_yaml(tmp_path, GOOD))
    assert book.name == "mini"
    assert book.dimensions == DIMENSIONS
    assert book.code("B1").colour == "#E41A1C"
    assert book.code("B2").colour == DEFAULT_COLOUR
    assert book.code("B2").theme is None and book.code("B2").parent is None


def test_yaml_values_stay_text_as_written(tmp_path):
    path = _yaml(
        tmp_path,
        """\
codes:
  - {id: 0012, name: no, dimension: NEED, theme: 1.10, example: 2010-07-13}
""",
    )
    code = read_codebook(path).codes[0]
    assert (code.id, code.name, code.dimension, code.theme, code.example) == (
        "0012",
        "no",
        "need",
        "1.10",
        "2010-07-13",
    )


def test_duplicate_id_names_both_lines(tmp_path):
    path = _yaml(tmp_path, GOOD + "  - {id: b1, name: Again, dimension: barrier}\n")
    message = _error(path)
    assert "line 10, code 'b1', field 'id': duplicate id, first used at line 3" in message
    assert "ignoring case" in message


def test_missing_parent_with_suggestion(tmp_path):
    path = _yaml(tmp_path, GOOD + "  - {id: B3, name: Waiting, dimension: barrier, parent: B11}\n")
    message = _error(path)
    assert "line 10, code 'B3', field 'parent': there is no code 'B11'." in message
    assert "Did you mean 'B1'" in message


def test_parent_ids_match_exactly_and_broken_parents_are_not_blamed_twice(tmp_path):
    path = _yaml(
        tmp_path,
        GOOD
        + "  - {id: B3, name: Waiting, dimension: barrier, parent: b1}\n"
        + "  - {id: N1, name: Bad colour, dimension: need, colour: red}\n"
        + "  - {id: N2, name: Child of a bad code, dimension: need, parent: N1}\n",
    )
    message = _error(path)
    assert "line 10, code 'B3', field 'parent': there is no code 'b1'. Did you mean 'B1'?" in message
    assert "code 'N1', field 'colour'" in message
    assert "code 'N2'" not in message


def test_parent_cycle(tmp_path):
    path = _yaml(
        tmp_path,
        """\
codes:
  - {id: A, name: a, dimension: need, parent: C}
  - {id: B, name: b, dimension: need, parent: A}
  - {id: C, name: c, dimension: need, parent: B}
  - {id: D, name: d, dimension: need, parent: D}
""",
    )
    message = _error(path)
    assert "line 2, code 'A', field 'parent': the parents form a cycle ('A' → 'C' → 'B' → 'A')" in message
    assert "line 5, code 'D', field 'parent': the parents form a cycle ('D' → 'D')" in message
    assert message.count("form a cycle") == 2, "each cycle is reported once"


def test_bad_colour(tmp_path):
    path = _yaml(tmp_path, GOOD.replace('"#e41a1c"', "red"))
    message = _error(path)
    assert "line 3, code 'B1', field 'colour': 'red' is not a colour; write it as #RRGGBB" in message
    short = _yaml(tmp_path, GOOD.replace('"#e41a1c"', '"#fff"'), "short.yaml")
    assert "'#fff' is not a colour" in _error(short)


def test_unknown_dimension_with_suggestion(tmp_path):
    path = _yaml(tmp_path, GOOD.replace("dimension: barrier\n    colour", "dimension: barier\n    colour"))
    message = _error(path)
    assert "line 3, code 'B1', field 'dimension': 'barier' is not a dimension of this codebook." in message
    assert "Did you mean 'barrier'?" in message
    assert "Dimensions: need, barrier, aspiration, fear, provider view." in message


def test_declared_dimensions_replace_the_defaults(tmp_path):
    path = _yaml(
        tmp_path, "dimensions: [strength, need]\ncodes:\n  - {id: S1, name: Faith group, dimension: Strength}\n"
    )
    book = read_codebook(path)
    assert book.dimensions == ("strength", "need")
    assert book.code("S1").dimension == "strength"
    bad = _yaml(tmp_path, "dimensions: [strength]\ncodes:\n  - {id: N1, name: x, dimension: need}\n", "bad.yaml")
    assert "'need' is not a dimension of this codebook." in _error(bad)


def test_unknown_code_key_with_suggestion(tmp_path):
    path = _yaml(tmp_path, GOOD.replace("    colour:", "    color:"))
    message = _error(path)
    assert "line 6, code 'B1', 'color': unknown field. Did you mean 'colour'?" in message


def test_unknown_top_level_key_with_suggestion(tmp_path):
    path = _yaml(tmp_path, "dimension: [need]\n" + GOOD)
    message = _error(path)
    assert "line 1, 'dimension': unknown key. Did you mean 'dimensions'?" in message


def test_required_fields(tmp_path):
    path = _yaml(tmp_path, "codes:\n  - {id: N1, dimension: need}\n  - {name: no id, dimension: need}\n")
    message = _error(path)
    assert "line 2, code 'N1', field 'name': missing; every code needs an id, a name and a dimension." in message
    assert "line 3, field 'id': missing" in message


def test_sub_code_must_share_its_parents_dimension(tmp_path):
    path = _yaml(tmp_path, GOOD + "  - {id: F1, name: Relapse, dimension: fear, parent: B1}\n")
    message = _error(path)
    assert "line 10, code 'F1', field 'parent': the code is in dimension 'fear' but its parent 'B1'" in message


def test_every_problem_is_reported_at_once(tmp_path):
    path = _yaml(
        tmp_path,
        """\
codes:
  - {id: A1, name: a, dimension: aspiration, colour: blue}
  - {id: A1, name: b, dimension: aspiration}
  - {id: A2, name: c, dimension: hope}
""",
    )
    message = _error(path)
    assert message.startswith(f"Invalid codebook {path}:")
    assert "line 2" in message and "line 3" in message and "line 4" in message
    assert isinstance(CodingError(message), CirclesError)


def test_not_yaml_and_wrong_shapes(tmp_path):
    assert "book.yaml, line 3: not valid YAML" in _error(_yaml(tmp_path, "codes:\n  - id: N1\n   name: x\n"))
    assert "a codebook is a YAML mapping" in _error(_yaml(tmp_path, "- just\n- a list\n", "list.yaml"))
    assert "give a list of codes" in _error(_yaml(tmp_path, "codes: none here\n", "scalar.yaml"))
    assert "field 'definition': give text, not dict" in _error(
        _yaml(tmp_path, "codes:\n  - {id: N1, name: x, dimension: need, definition: {a: 1}}\n", "nested.yaml")
    )
    assert "unknown codebook type '.json'" in _error(tmp_path / "book.json")
    assert "no such codebook file" in _error(tmp_path / "absent.yaml")


def test_csv_codebook_errors_name_the_line(tmp_path):
    path = tmp_path / "book.csv"
    path.write_text(
        "id,name,dimension,colour,defintion\n"
        "N1,Someone to talk to,need,#1f77b4,x\n"
        "N1,Duplicate,need,,\n"
        "N2,Bad colour,need,#12345,\n",
        encoding="utf-8",
    )
    message = _error(path)
    assert "line 1, column 'defintion': unknown column. Did you mean 'definition'" in message
    assert "line 3, code 'N1', field 'id': duplicate id, first used at line 2" in message
    assert "line 4, code 'N2', field 'colour': '#12345' is not a colour" in message


def test_csv_codebook_blank_lines_pass_and_broken_lines_fail(tmp_path):
    path = tmp_path / "book.csv"
    path.write_text("id,name,dimension\nN1,One,need\n\nN2,Two,need\n", encoding="utf-8")
    assert read_codebook(path).ids == ("N1", "N2")
    path.write_text('id,name,dimension\nN1,One,need\nN2,"Two,need\n', encoding="utf-8")
    assert "Line 3: a quote is opened and never closed" in _error(path)


def test_csv_codebook_in_windows_1252_with_a_title_row(tmp_path):
    path = tmp_path / "Demo codes.csv"
    text = "Codebook for the café workshops\r\nid,name,dimension,theme\r\nF1,Fear of ‘referral’,fear,\r\n"
    path.write_bytes(text.encode("cp1252"))
    book = read_codebook(path)
    assert book.name == "Demo codes"
    assert book.code("F1").name == "Fear of ‘referral’"
    assert book.code("F1").theme is None


def test_excel_codebook(tmp_path):
    path = tmp_path / "codes.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "name", "dimension", "parent"])
    ws.append(["N1", "Key worker", "need", None])
    ws.append(["N1a", "Same worker for the children", "need", "N1"])
    ws.append(["N2", "Bad", "needs", None])
    wb.save(path)
    assert "row 4, code 'N2', field 'dimension': 'needs'" in _error(path)


def test_validate_codebook_built_in_python():
    book = Codebook((Code("A", "a", "need", parent="B"), Code("B", "b", "need", parent="A")))
    with pytest.raises(CodingError, match=r"code 1, code 'A', field 'parent': the parents form a cycle"):
        validate_codebook(book)


# ----------------------------------------------------------------------------------------------- round trips


def test_demo_codebook_round_trips_through_yaml_and_csv(tmp_path):
    book = read_codebook(DEMO)
    again = read_codebook(write_codebook(book, tmp_path / "demo.yaml"))
    assert again == book
    assert read_codebook(write_codebook(again, tmp_path / "again.yaml")) == book
    from_csv = read_codebook(write_codebook(book, tmp_path / "demo.csv"), name=book.name)
    assert from_csv == book
    assert (tmp_path / "demo.csv").read_bytes().startswith(b"\xef\xbb\xbfid,name,dimension,theme,parent,")


def test_awkward_values_round_trip(tmp_path):
    book = Codebook(
        (
            Code(
                "yes", "no", "strength", theme="1.10", definition="Line one.\nLine two: with a colon.", colour="#ABCDEF"
            ),
            Code(
                "007",
                'Said "tell it once", then left',
                "strength",
                parent="yes",
                include="- starts with a dash, =SUM(A1), commas, ‘quotes’ and émojis 😊",
                exclude="null",
                example="~",
            ),
        ),
        dimensions=("strength",),
        name="Awkward: a codebook",
    )
    assert read_codebook(write_codebook(book, tmp_path / "a.yaml")) == book
    assert read_codebook(write_codebook(book, tmp_path / "a.csv"), dimensions=("strength",), name=book.name) == book


def test_write_refuses_other_types_and_invalid_codebooks(tmp_path):
    book = read_codebook(DEMO)
    with pytest.raises(CodingError, match=r"written as \.yaml or \.csv"):
        write_codebook(book, tmp_path / "demo.json")
    with pytest.raises(CodingError, match="not a colour"):
        write_codebook(Codebook((Code("N1", "x", "need", colour="red"),)), tmp_path / "bad.yaml")
    assert not (tmp_path / "bad.yaml").exists()


# ----------------------------------------------------------------------------------------------- printing


def test_codebook_table_order():
    book = read_codebook(DEMO)
    table = codebook_table(book)
    assert list(table.columns) == [
        "dimension",
        "theme",
        "level",
        *[f for f in FIELDS if f not in ("dimension", "theme")],
    ]
    assert len(table) == len(book)
    first_rows = table.drop_duplicates("dimension")["dimension"].tolist()
    assert first_rows == list(DIMENSIONS), "dimensions in declared order"
    ids = table["id"].tolist()
    assert ids.index("BAR06") == ids.index("BAR03") + 1, "a sub-code follows its parent"
    assert table.set_index("id").loc["BAR06", "level"] == 1
    assert table.set_index("id").loc["BAR03", "level"] == 0
    need_themes = table.loc[table["dimension"] == "need", "theme"].tolist()
    assert need_themes == sorted(need_themes, key=need_themes.index), "themes grouped together"
    assert (table["parent"] == "").sum() == len(book) - 1


def test_codebook_markdown_has_a_section_per_dimension():
    book = read_codebook(DEMO)
    text = codebook_markdown(book)
    assert text.startswith("# Circles of Need demo codebook\n")
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings == ["Need", "Barrier", "Aspiration", "Fear", "Provider view"]
    for code in book.codes:
        assert f"**{code.id} " in text
    assert "**BAR06 A new worker every time** (under BAR03)" in text
    assert "> I want to stop drinking. Not cut down, stop. I've done cutting down." in text
    assert "### Access to services" in text
    assert "28 codes: 7 need, 6 barrier, 5 aspiration, 5 fear, 5 provider view." in text


def test_codebook_markdown_escapes_and_empty_dimensions():
    book = Codebook((Code("N_1", "A *bold* claim", "need", example="<b>hi</b>"),), name="x")
    text = codebook_markdown(book)
    assert r"**N\_1 A \*bold\* claim**" in text
    assert r"> \<b\>hi\</b\>" in text
    assert text.count("*No codes.*") == 4
