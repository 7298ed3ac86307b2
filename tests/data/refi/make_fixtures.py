"""Build the small REFI-QDA projects that tests/qualitative/test_refi.py imports, the way other tools write them.

Run ``python tests/data/refi/make_fixtures.py`` to rewrite them; the output is deterministic (fixed zip
timestamps, sorted entries), and a test checks that the committed files equal a fresh build. The XML is written
by hand here, not by circles, and positions are computed with formulas independent of circles.qualitative.refi:
UTF-16 units as ``len(prefix.encode("utf-16-le")) // 2``, CRLF-as-one as ``len(prefix.replace("\\r\\n", "\\n"))``.

Fixtures:

``nvivo_like.qdpx``       origin NVivo for Windows, ``Sources/``, ``internal:/`` paths, UTF-8 with BOM, CRLF, emoji,
                          UTF-16 positions, GUIDs in braces, a user without initials, a memo as a linked Note.
``atlas_like.qdpx``       origin ATLAS.ti, ``Atlas Export.qde``, ``sources/``, CRLF counted as one, variables on the
                          source, a memo as the selection's Description.
``unknown_utf16.qdpx``    no origin, text in UTF-16 with BOM and emoji, UTF-16 positions (detection must find them).
``unknown_crlf.qdpx``     origin of a tool circles does not know, CRLF text, CRLF-as-one positions.
``invalid_colour.qdpx``   origin QualCoder, colours ``red`` and ``#12345``, a plain relative ``plainTextPath``.
``case_variables.qdpx``   variables on cases (a nameless Quirkos-style case and a named one), an absolute path and a
                          ``relative://`` path, a source value overriding its case's.
``rich_text_only.qdpx``   a source with only a ``.docx``, one with only an ``.rtf`` and one plain source.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent
NS = "urn:QDA-XML:project:1.0"
DATE = (1980, 1, 1, 0, 0, 0)

NVIVO_TEXT = (
    "Interviewer: What would help?\r\n"
    "Resident: Honestly \U0001f600 a bus pass. My kids \U0001f467\U0001f466 need the school run.\r\n"
    "Resident: I fear the bailiffs \U0001f61f every week.\r\n"
)
ATLAS_TEXT = "Q: Tell me more.\r\nA: The rent arrears letters scare me.\r\nA: I want to work again.\r\n"
UNKNOWN_TEXT = (
    "\U0001f3e0 Housing \U0001f3e0 matters. Repairs \U0001f6e0\ufe0f take months \U0001f62d and the damp "
    "\U0001f4a7 spreads. Neighbours \U0001f91d help a lot."
)
CRLF_TEXT = "Line one about benefits.\r\nLine two about debt advice.\r\nLine three about food banks.\r\n"
PLAIN_TEXT = "We need a youth club. Transport is the barrier."


def utf16(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    before = len(text[:start].encode("utf-16-le")) // 2
    return before, before + len(quote.encode("utf-16-le")) // 2


def crlf_as_one(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    before = len(text[:start].replace("\r\n", "\n"))
    return before, before + len(quote.replace("\r\n", "\n"))


def python(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def selection(guid: str, span: tuple[int, int], code: str, user: str, memo: str = "") -> str:
    description = f"<Description>{escape(memo)}</Description>" if memo else ""
    return (
        f'<PlainTextSelection guid="{guid}" name="" startPosition="{span[0]}" endPosition="{span[1]}" '
        f'creatingUser="{user}">{description}<Coding guid="{guid[:-4]}c0de" creatingUser="{user}">'
        f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
    )


def project(origin: str | None, body: str) -> bytes:
    origin_attribute = f" origin={quoteattr(origin)}" if origin else ""
    head = f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{NS}" name="Fixture"{origin_attribute}>'
    return f"{head}{body}</Project>\n".encode()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name], compresslevel=9)
    return buffer.getvalue()


def nvivo_like() -> bytes:
    user_jb, user_sam = "{5C94BC9E-DB8C-4F1D-9CD6-E900C7440860}", "6a0f0000-0000-4000-8000-000000000002"
    needs, bus, school, fear = (f"1000000{i}-0000-4000-8000-000000000000" for i in range(4))
    source = "20000000-0000-4000-8000-000000000001"
    sel = [f"3000000{i}-0000-4000-8000-00000000{i}000" for i in range(4)]
    body = (
        f'<Users><User guid="{user_jb}" id="JB" name="Jo Bloggs"/><User guid="{user_sam}" name="Sam"/></Users>'
        f'<CodeBook><Codes><Code guid="{needs}" name="Needs" isCodable="false">'
        f'<Code guid="{bus}" name="Transport" isCodable="true" color="#3366CC">'
        "<Description>Getting about.</Description></Code>"
        f'<Code guid="{school}" name="School run" isCodable="true"/></Code>'
        f'<Code guid="{fear}" name="Fears" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{{{source.upper()}}}" name="Interview 1" '
        f'plainTextPath="internal:/{source}.txt" richTextPath="internal:/{source}.docx">'
        + selection(sel[0], utf16(NVIVO_TEXT, "bus pass"), bus, user_jb)
        + selection(sel[1], utf16(NVIVO_TEXT, "the school run"), school, user_sam)
        + selection(sel[2], utf16(NVIVO_TEXT, "bailiffs \U0001f61f every week"), fear, user_jb)
        + selection(sel[3], utf16(NVIVO_TEXT, "Resident"), bus, user_jb)
        + "</TextSource></Sources>"
        '<Notes><Note guid="40000000-0000-4000-8000-000000000001" name="Memo">'
        "<PlainTextContent>A bus pass is the whole answer.</PlainTextContent></Note></Notes>"
        f'<Links><Link guid="50000000-0000-4000-8000-000000000001" originGUID="40000000-0000-4000-8000-000000000001" '
        f'targetGUID="{sel[0]}"/></Links>'
    )
    return zip_bytes(
        {
            "project.qde": project("NVivo for Windows 14.23", body),
            f"Sources/{source}.txt": b"\xef\xbb\xbf" + NVIVO_TEXT.encode("utf-8"),
        }
    )


def atlas_like() -> bytes:
    user = "6a0f0000-0000-4000-8000-000000000001"
    fear, aspiration = "10000000-0000-4000-8000-00000000000a", "10000000-0000-4000-8000-00000000000b"
    source, variable = "20000000-0000-4000-8000-00000000000a", "70000000-0000-4000-8000-00000000000a"
    body = (
        f'<Users><User guid="{user}" name="AM"/></Users>'
        f'<CodeBook><Codes><Code guid="{fear}" name="Fear: debt" isCodable="true" color="#ff9900"/>'
        f'<Code guid="{aspiration}" name="Aspiration: work" isCodable="true" color="#0a0"/></Codes></CodeBook>'
        f'<Variables><Variable guid="{variable}" name="ward" typeOfVariable="Text"/></Variables>'
        f'<Sources><TextSource guid="{source}" name="Focus group" plainTextPath="internal://{source}.txt">'
        + selection(
            "30000000-0000-4000-8000-00000000a000",
            crlf_as_one(ATLAS_TEXT, "rent arrears letters"),
            fear,
            user,
            "Letters from the council.",
        )
        + selection(
            "30000000-0000-4000-8000-00000000b000", crlf_as_one(ATLAS_TEXT, "I want to work again."), aspiration, user
        )
        + f'<VariableValue><VariableRef targetGUID="{variable}"/><TextValue>Audley</TextValue></VariableValue>'
        "</TextSource></Sources>"
    )
    return zip_bytes(
        {"Atlas Export.qde": project("ATLAS.ti Windows 23.2.1", body), f"sources/{source}.txt": ATLAS_TEXT.encode()}
    )


def _single_source(origin: str | None, text: str, data: bytes, quotes: list[str], count) -> bytes:
    user = "6a0f0000-0000-4000-8000-000000000003"
    code = "10000000-0000-4000-8000-0000000000c1"
    source = "20000000-0000-4000-8000-0000000000c1"
    body = (
        f'<Users><User guid="{user}" name="KT"/></Users>'
        f'<CodeBook><Codes><Code guid="{code}" name="Topic" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{source}" name="Notes" plainTextPath="internal://{source}.txt">'
        + "".join(
            selection(f"30000000-0000-4000-8000-0000000{i:02d}000", count(text, quote), code, user)
            for i, quote in enumerate(quotes)
        )
        + "</TextSource></Sources>"
    )
    return zip_bytes({"project.qde": project(origin, body), f"sources/{source}.txt": data})


UNKNOWN_QUOTES = ["Housing", "matters", "Repairs", "take months", "the damp", "spreads", "Neighbours", "help a lot"]
CRLF_QUOTES = ["Line two", "debt advice", "Line three", "food banks"]


def unknown_utf16() -> bytes:
    return _single_source(None, UNKNOWN_TEXT, UNKNOWN_TEXT.encode("utf-16"), UNKNOWN_QUOTES, utf16)


def unknown_crlf() -> bytes:
    return _single_source("Mystery QDA 0.9", CRLF_TEXT, CRLF_TEXT.encode(), CRLF_QUOTES, crlf_as_one)


def invalid_colour() -> bytes:
    user = "6a0f0000-0000-4000-8000-000000000004"
    red, bad = "10000000-0000-4000-8000-0000000000d1", "10000000-0000-4000-8000-0000000000d2"
    source = "20000000-0000-4000-8000-0000000000d1"
    body = (
        f'<Users><User guid="{user}" name="qc"/></Users>'
        f'<CodeBook><Codes><Code guid="{red}" name="Youth club" isCodable="true" color="red"/>'
        f'<Code guid="{bad}" name="Transport barrier" isCodable="true" color="#12345"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{source}" name="Survey" plainTextPath="Sources/survey one.txt">'
        + selection("30000000-0000-4000-8000-0000000d1000", python(PLAIN_TEXT, "a youth club"), red, user)
        + selection("30000000-0000-4000-8000-0000000d2000", python(PLAIN_TEXT, "Transport"), bad, user)
        + "</TextSource></Sources>"
    )
    return zip_bytes({"project.qde": project("QualCoder 3.6", body), "Sources/survey one.txt": PLAIN_TEXT.encode()})


def case_variables() -> bytes:
    one, two = "20000000-0000-4000-8000-0000000000e1", "20000000-0000-4000-8000-0000000000e2"
    ward, age, mode = (f"70000000-0000-4000-8000-0000000000e{i}" for i in range(1, 4))

    def value(variable: str, kind: str, text: str) -> str:
        return f'<VariableValue><VariableRef targetGUID="{variable}"/><{kind}>{text}</{kind}></VariableValue>'

    body = (
        f'<Variables><Variable guid="{ward}" name="ward" typeOfVariable="Text"/>'
        f'<Variable guid="{age}" name="age" typeOfVariable="Integer"/>'
        f'<Variable guid="{mode}" name="mode" typeOfVariable="Text"/></Variables>'
        f'<Cases><Case guid="80000000-0000-4000-8000-0000000000e1">{value(ward, "TextValue", "Audley")}'
        f'{value(age, "IntegerValue", "34")}<SourceRef targetGUID="{one}"/></Case>'
        f'<Case guid="80000000-0000-4000-8000-0000000000e2" name="Respondent 2">'
        f"{value(ward, 'TextValue', 'Shadsworth')}"
        f'{value(mode, "TextValue", "online")}<SourceRef targetGUID="{two}"/></Case></Cases>'
        f'<Sources><TextSource guid="{one}" name="Response 1" '
        'plainTextPath="absolute:///C:/Users/analyst/Documents/response1.txt"/>'
        f'<TextSource guid="{two}" name="Response 2" plainTextPath="relative://response2.txt">'
        f"{value(mode, 'TextValue', 'paper')}</TextSource></Sources>"
    )
    return zip_bytes(
        {
            "project.qde": project("Quirkos 2.5.3", body),
            "Sources/response1.txt": b"Need a bus.",
            "Sources/response2.txt": b"Fear of debt.",
        }
    )


def docx_bytes(paragraphs: list[str]) -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(
        f'<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t xml:space="preserve">'
        f"{escape(p)}</w:t></w:r></w:p>"
        for p in paragraphs
    )
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>'
    return zip_bytes({"word/document.xml": document.encode(), "[Content_Types].xml": b"<Types/>"})


def rich_text_only() -> bytes:
    user = "6a0f0000-0000-4000-8000-000000000005"
    code = "10000000-0000-4000-8000-0000000000f1"
    docx, rtf, plain = (f"20000000-0000-4000-8000-0000000000f{i}" for i in range(1, 4))
    docx_text = "We need warm homes.\nHeating costs too much."
    body = (
        f'<Users><User guid="{user}" name="RS"/></Users>'
        f'<CodeBook><Codes><Code guid="{code}" name="Warmth" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{docx}" name="Word notes" richTextPath="internal://{docx}.docx">'
        + selection("30000000-0000-4000-8000-0000000f1000", python(docx_text, "warm homes"), code, user)
        + f'</TextSource><TextSource guid="{rtf}" name="Old notes" richTextPath="internal://{rtf}.rtf">'
        + selection("30000000-0000-4000-8000-0000000f2000", (0, 4), code, user)
        + f'</TextSource><TextSource guid="{plain}" name="Plain" plainTextPath="internal://{plain}.txt">'
        + selection("30000000-0000-4000-8000-0000000f3000", python(PLAIN_TEXT, "youth club"), code, user)
        + "</TextSource></Sources>"
    )
    return zip_bytes(
        {
            "project.qde": project("NVivo 14", body),
            f"sources/{docx}.docx": docx_bytes(docx_text.split("\n")),
            f"sources/{rtf}.rtf": rb"{\rtf1 Cold house.}",
            f"sources/{plain}.txt": PLAIN_TEXT.encode(),
        }
    )


FIXTURES = {
    "nvivo_like.qdpx": nvivo_like,
    "atlas_like.qdpx": atlas_like,
    "unknown_utf16.qdpx": unknown_utf16,
    "unknown_crlf.qdpx": unknown_crlf,
    "invalid_colour.qdpx": invalid_colour,
    "case_variables.qdpx": case_variables,
    "rich_text_only.qdpx": rich_text_only,
}


def main(folder: Path = HERE) -> None:
    for name, build in FIXTURES.items():
        (folder / name).write_bytes(build())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
