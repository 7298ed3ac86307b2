"""Finding and decoding the files a REFI-QDA project refers to: source texts and notes, in the archive or on disk.

See the section *Tolerance on import* of :mod:`circles.qualitative.refi` for the paths, encodings and rich-text
files read.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import unquote
from xml.etree import ElementTree as ET

from circles.errors import RefiError
from circles.qualitative.refi.common import _first, _items, _norm_guid, _text_of

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _decode(data: bytes, where: str, warnings: list[str]) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            warnings.append(f"{where} starts with a UTF-8 BOM but is not valid UTF-8; bad bytes were replaced.")
            return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        warnings.append(f"{where} is not UTF-8; read as Windows-1252 (cp1252).")
        return data.decode("cp1252", errors="replace"), "cp1252"


def _docx_text(data: bytes) -> str:
    """The text of a .docx: its paragraphs (tables included) joined by CR+LF; tabs and line breaks kept.

    Paragraphs are joined with CR+LF because that is how the tools count a paragraph break in the positions
    they export: NVivo (UTF-16) counts two units per break, as Word's own plain-text export writes CR+LF, and
    ATLAS.ti and QualCoder (CRLF as one) count one, which CR+LF also gives them. Joined with LF, every NVivo
    position after the n-th paragraph drifted n characters to the right (on a real NVivo export only 3 of 303
    coded passages ended on a line boundary instead of 274). A line break inside a paragraph (``w:br``, Shift+Enter)
    stays one LF: no exporter we could check documents how it counts one.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as docx:
        root = ET.fromstring(docx.read("word/document.xml"))
    paragraphs = []
    for paragraph in root.iter(_W + "p"):
        parts = []
        for run in paragraph.iter(_W + "r"):
            for child in run:
                if child.tag == _W + "t":
                    parts.append(child.text or "")
                elif child.tag == _W + "tab":
                    parts.append("\t")
                elif child.tag in (_W + "br", _W + "cr"):
                    parts.append("\n")
        paragraphs.append("".join(parts))
    return "\r\n".join(paragraphs)


class _Archive:
    """Find the files a project refers to: in the zip (any case, any separator), then on disk."""

    def __init__(self, archive: zipfile.ZipFile, folder: Path, base_path: str | None) -> None:
        self.archive = archive
        self.folder = folder
        self.base_path = base_path
        self.members: dict[str, zipfile.ZipInfo] = {}
        self.by_basename: dict[str, list[zipfile.ZipInfo]] = {}
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename.replace("\\", "/").lstrip("/").lower()
            self.members[name] = info
            self.by_basename.setdefault(name.rsplit("/", 1)[-1], []).append(info)

    def _member(self, name: str) -> zipfile.ZipInfo | None:
        name = name.replace("\\", "/").lstrip("/").lower()
        return self.members.get(name) or self.members.get("sources/" + name)

    def _basename(self, name: str) -> zipfile.ZipInfo | None:
        found = self.by_basename.get(name.replace("\\", "/").rsplit("/", 1)[-1].lower(), [])
        return found[0] if len(found) == 1 else None

    def read(self, reference: str) -> tuple[bytes, str] | None:
        reference = reference.strip()
        match = re.match(r"(?i)^(internal|relative|absolute|file):/*(.*)$", reference)
        scheme, rest = (match.group(1).lower(), unquote(match.group(2))) if match else ("", reference)
        in_zip: list[str] = []
        on_disk: list[Path] = []
        if scheme == "internal":
            in_zip.append(rest)
        elif scheme == "relative":
            in_zip.append(rest)
            if self.base_path:
                on_disk.append(Path(self.base_path) / rest)
            on_disk.append(self.folder / rest)
        elif scheme in ("absolute", "file") or _is_absolute(rest):
            windows = re.match(r"^[A-Za-z]:[\\/]", rest)
            candidate = Path(rest if windows or rest.startswith("/") else "/" + rest)
            if candidate.is_absolute():  # a Windows path is not one on POSIX: found by file name below
                on_disk.append(candidate)
        else:
            in_zip.append(rest)
            on_disk.append(self.folder / rest)
        for name in in_zip:
            info = self._member(name)
            if info is not None:
                return self.archive.read(info), f"{info.filename} in the archive"
        for candidate in on_disk:
            if candidate.is_file():
                return candidate.read_bytes(), str(candidate)
        info = self._basename(rest)
        if info is not None:
            return self.archive.read(info), f"{info.filename} in the archive"
        return None


def _find_qde(archive: zipfile.ZipFile, path: Path, warnings: list[str]) -> zipfile.ZipInfo:
    """The project XML of a ``.qdpx``: ``project.qde``, else the shallowest ``.qde`` (with a warning if several)."""
    candidates = [i for i in archive.infolist() if i.filename.lower().endswith(".qde") and not i.is_dir()]
    if not candidates:
        raise RefiError(f"{path} holds no .qde file (the project XML, normally project.qde).")
    for info in candidates:
        if info.filename.replace("\\", "/").lower() == "project.qde":
            return info
    candidates.sort(key=lambda i: (i.filename.count("/"), i.filename))
    if len(candidates) > 1:
        warnings.append(f"{path.name} holds several .qde files; read {candidates[0].filename}.")
    return candidates[0]


def _path_stem(reference: str | None) -> str:
    """The file name without its suffix of a ``plainTextPath``/``path`` (``internal://a/Notes 1.txt`` -> ``Notes 1``).

    >>> _path_stem("file:///C:/Users/jb/Workshop%202.docx"), _path_stem(None)
    ('Workshop 2', '')
    """
    rest = re.sub(r"(?i)^(internal|relative|absolute|file):/*", "", (reference or "").strip())
    name = unquote(rest).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, _ = name.rpartition(".")
    return (stem if dot and stem else name).strip()


def _is_absolute(path: str) -> bool:
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute()


def _read_notes(root: ET.Element, files: _Archive, warnings: list[str]) -> dict[str, str]:
    notes = {}
    for note in _items(root, "Notes", "Note"):
        text = _text_of(_first(note, "PlainTextContent"))
        if not text and note.get("plainTextPath"):
            found = files.read(note.get("plainTextPath") or "")
            if found is not None:
                text = _decode(found[0], found[1], warnings)[0]
        text = text or _text_of(_first(note, "Description"))
        if text:
            notes[_norm_guid(note.get("guid"))] = text
    return notes


def _source_text(element: ET.Element, name: str, files: _Archive, warnings: list[str]) -> tuple[str, str] | None:
    content = _first(element, "PlainTextContent")
    if content is not None:
        return _text_of(content), "xml"
    plain, rich = element.get("plainTextPath"), element.get("richTextPath")
    if plain:
        found = files.read(plain)
        if found is not None:
            return _decode(found[0], found[1], warnings)
        if not rich:
            warnings.append(f"Source {name!r} skipped: its text file {plain!r} is not in the archive nor on disk.")
            return None
    if not rich:
        warnings.append(f"Source {name!r} skipped: it names no text (no plainTextPath, richTextPath or content).")
        return None
    found = files.read(rich)
    if found is None:
        warnings.append(f"Source {name!r} skipped: its rich-text file {rich!r} is not in the archive nor on disk.")
        return None
    if not rich.lower().endswith(".docx"):
        suffix = rich.rsplit(".", 1)[-1] if "." in rich else "?"
        warnings.append(
            f"Source {name!r} skipped: it has only a rich-text file ({rich!r}) and circles reads rich text from "
            f".docx only, not .{suffix}; export it from the other tool with plain text."
        )
        return None
    try:
        text = _docx_text(found[0])
    except (zipfile.BadZipFile, KeyError, ET.ParseError) as error:
        warnings.append(f"Source {name!r} skipped: its rich-text file {rich!r} cannot be read as .docx ({error}).")
        return None
    warnings.append(
        f"Source {name!r} has no plain-text file; its text was taken from {rich!r} (paragraphs joined by CR+LF, as "
        "NVivo counts them), so selection positions may not line up exactly."
    )
    return text, "docx"
