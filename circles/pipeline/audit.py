"""Audit a finished report folder for personal data and unsuppressed small counts before it travels.

Disclosure control is applied when a report is written; this module checks the result independently, the
way a second pair of eyes would. :func:`audit_report` reads every file under a report folder and looks for

``identifier``
    a clear identifier from the inputs (client id, family id, NHS number, name, date of birth, ...);
``pseudonym``
    a pseudonym the run computed;
``postcode``
    a full postcode from the inputs (a postcode district such as ``BB2``, or a masked ``BB2 ***``, is fine);
``small_count``
    a count from 1 to ``suppress_below - 1`` in a count column of a table (CSV, XLSX, GeoPackage);
``phone``, ``email``, ``nhs_number``, ``date_of_birth``
    in a *published* file (not one of :data:`ANALYST_FILES`), anything shaped like a UK phone number, an e-mail
    address, an NHS number with a valid check digit, or a date of birth (a full date after "born", "DOB"..., or
    any value of a column named like ``dob``), whether or not it came from the inputs: the free-text screen
    (:mod:`circles.ingest.screening`) removes them from quotes, so one here slipped past it. Phone numbers and
    e-mail addresses the report's own service directory (``services/``) publishes are a service's contact
    details and pass;
``unreadable``
    a file the audit could not read. An audit that cannot read a file must fail, not pass.

The secrets are given as a :class:`Secrets` (built with :meth:`Secrets.from_values` from the input columns and
the run's pseudonyms). A :class:`Finding` says where the problem is and what kind it is, but never repeats
the secret itself, so findings can be printed, logged and shared. :class:`Secrets` and the scanner that
searches text for them are in :mod:`circles.pipeline.audit_secrets`; this module reads the files and reports.

What is read
------------
========================================  ==================================================================
file                                      read as
========================================  ==================================================================
``.csv``, ``.tsv``                        every cell (csv module); counts checked
``.xlsx``, ``.xlsm``                      every cell of every sheet, formulas and cached values, sheet names,
                                          document properties (openpyxl); counts checked
``.gpkg``                                 every attribute of every vector layer, layer names (pyogrio); counts
                                          checked. Geometries are not examined.
``.json``, ``.geojson``                   every key and value, located by a JSON path (``$.inputs[0].file``);
                                          text that is not valid JSON is read line by line instead
``.html``, ``.htm``, ``.svg``, ``.xml``   text with entities decoded, both with tags (attributes, comments,
                                          scripts; matplotlib writes SVG text as comments) and without them
``.pdf``                                  extracted text of every page and the document information (pypdf)
raster images (``.png``, ``.jpg``, ...)   not read: they hold no searchable text
fonts (``.ttf``, ``.otf``, ``.woff``)      not read: the packs' own fonts, glyphs only
anything else                             as UTF-8 text, line by line; a file that is not text is reported as
                                          ``unreadable``
========================================  ==================================================================

Not examined: text drawn inside raster images, PDF annotations and bookmarks, spreadsheet comments and charts,
and geometries (a layer of points at home addresses would pass).
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import json
import os
import re
import sys
import warnings
import zipfile
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from circles.ingest.disclosure import POLICIES, DisclosurePolicy
from circles.parallel import forked_map, share_out
from circles.pipeline.audit_cells import COUNT_COLUMNS, as_number, column_letter, count_columns, plain
from circles.pipeline.audit_findings import KINDS, Finding, format_findings, sorted_findings
from circles.pipeline.audit_markup import MARKUP, line_locator, markup_texts
from circles.pipeline.audit_secrets import MIN_SECRET_LENGTH, Secrets, _is_missing, _Scanner, update_digest

__all__ = [
    "Finding",
    "Secrets",
    "audit_report",
    "format_findings",
    "KINDS",
    "ANALYST_FILES",
    "COUNT_COLUMNS",
    "MIN_SECRET_LENGTH",
]

#: Files of a report that are the analyst's, not for publishing: they hold the notes' text (codings, REFI-QDA
#: projects, the quotes held for review) or row-level accounts. The audit still searches them for the inputs'
#: identifiers, pseudonyms and postcodes, but not for phone numbers, e-mails, NHS numbers or dates of birth.
ANALYST_FILES = (
    "manifest.json",
    "quarantine.csv",
    "coding/codings.csv",
    "coding/rules_preview.csv",
    "coding/review_queue.csv",
    "coding/suggestion_quality.csv",
    "coding/agreement.csv",
    "coding/disagreements.csv",
    "coding/quotes_held_for_review.csv",
    "coding/project.qdpx",
    "coding/codebook.*",
)
#: ``file://`` links and this machine's home, Python and working folders: a published file holds none of them.
_MACHINE_PATHS = re.compile(
    "|".join(
        [r"file://[^\s\"'<>)]+"]
        + [
            re.escape(p.rstrip("/")) + r"/[^\s\"'<>)]*"
            for p in {str(Path.home()), sys.prefix, sys.base_prefix, os.getcwd()}
            if len(p.rstrip("/")) > 5  # not "/" or "/root": too common as text
        ]
    )
)
#: Columns (compared case-insensitively) whose every value is a date of birth.
_DOB_COLUMN = re.compile(r"(?:date_?of_?birth|dob|d_o_b|birth_?date|birthdate|born)", re.IGNORECASE)
#: What a pattern finding says: the kind, never the value.
_PATTERN_DETAIL = {
    "phone": "a phone number",
    "email": "an e-mail address",
    "nhs_number": "an NHS number (its check digit is valid)",
    "date_of_birth": "a date of birth",
}

#: Between the cells of a column read as one text: no secret, phone number or address runs across a comma.
_CELLS = ",\n"

#: Texts up to this length (table cells, names) are remembered once read clean.
_MEMO_LENGTH = 256

_JSON_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_RASTER = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ico"})
#: Font files the packs carry beside their HTML: glyphs, no data.
_FONTS = frozenset({".ttf", ".otf", ".woff", ".woff2"})
#: Zip archives whose members are read one by one (REFI-QDA projects are zips of XML and text).
_ARCHIVES = frozenset({".qdpx", ".zip"})
_JSON = frozenset({".json", ".geojson"})
_TABLES = {".csv": ",", ".tsv": "\t"}
_SPREADSHEETS = frozenset({".xlsx", ".xlsm"})
_TEXT = frozenset({".txt", ".md", ".markdown", ".rst", ".log", ".yaml", ".yml", ".tex", ".qmd", ".css", ".js"})


# --------------------------------------------------------------------------------------------------- the audit


class _Audit:
    def __init__(
        self,
        folder: Path,
        secrets: Secrets,
        policy: DisclosurePolicy,
        exempt: Collection[str],
        clean: set[str] | None = None,
        workers: int = 1,
    ) -> None:
        self.folder = folder
        self.workers = workers
        self.secrets = secrets
        self.scanner = _Scanner(secrets)
        self.policy = policy
        self.exempt = tuple(exempt)
        self.findings: dict[tuple[str, str, str, str], Finding] = {}
        #: findings of each file content already read, by (sha256, suffix, patterns, counts): copies are read once
        self._seen: dict[tuple[str, str, bool, bool], list[tuple[str, str, str, str]]] = {}
        #: contents found clean by an earlier audit with the same secrets, policy and contacts (see audit_report)
        self.clean = clean
        self._known: set[str] = set()
        self._context = ""
        self.patterns = False  # look for phone numbers, e-mails... in the file being read (a published one)
        self.public_contacts: set[str] = set()
        self.withheld = 0
        self.names: dict[tuple[str, ...], str] = {}  # relative path parts -> the part as shown
        #: short texts (table cells) read clean, with the patterns flag: a repeated cell is checked once; and the
        #: SHA-256 of whole columns read clean (:meth:`suspect`)
        self._clean_texts: set[tuple[str | bytes, bool]] = set()

    # ------------------------------------------------------------------ recording

    def add(self, file: str, location: str, kind: str, detail: str, key: str | None = None) -> None:
        ident = (file, location, kind, key if key is not None else detail)
        self.findings.setdefault(ident, Finding(file, location, kind, detail))

    def text(self, file: str, text: str, locate: Callable[[int], str] | str) -> None:
        memo = (text, self.patterns) if len(text) <= _MEMO_LENGTH else None
        if memo is not None and memo in self._clean_texts:
            return  # the same cell text was read clean already: the checks depend on the text alone
        flagged = set()
        hits = self.scanner.scan(text)
        for hit in hits:
            location = locate if isinstance(locate, str) else locate(hit.offset)
            self.add(file, location, hit.kind, hit.detail, hit.key)
            flagged.add(location)
        patterns = self._patterns(file, text, locate, flagged) if self.patterns else False
        if memo is not None and not hits and not patterns:
            self._clean_texts.add(memo)

    def _patterns(self, file: str, text: str, locate: Callable[[int], str] | str, flagged: set[str]) -> bool:
        """Machine paths, phone numbers, e-mails, NHS numbers and dates of birth in a published file's text;
        whether any was found."""
        machines = list(_MACHINE_PATHS.finditer(text))
        for machine in machines:
            location = locate if isinstance(locate, str) else locate(machine.start())
            self.add(
                file,
                location,
                "path",
                "a path of the machine that made the report (it may hold a user name); publish relative links",
                machine.group().casefold(),
            )
        structured = self.structured(text)
        for found in structured:
            location = locate if isinstance(locate, str) else locate(found.start)
            if location in flagged:  # an identifier from the inputs was found there: said once is enough
                continue
            self.add(
                file,
                location,
                found.kind,
                f"{_PATTERN_DETAIL[found.kind]} in a published file; redact it, or move the file to the analyst's",
                _contact(found.text),
            )
        return bool(machines or structured)

    def suspect(self, text: str) -> bool:
        """Whether a whole table's text (its cells joined by :data:`_CELLS`) may hold a secret or, in a published
        file, a phone number, e-mail...: when it does not, no cell does, and only the counts need a look."""
        memo = (hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest(), self.patterns)
        if memo in self._clean_texts:
            return False  # the same column read clean already (a GeoPackage's layer in two projections)
        found = not self.scanner.clean(text) or (self.patterns and bool(self.structured(text)))
        if not found:
            self._clean_texts.add(memo)
        return found

    def structured(self, text: str) -> list[Any]:
        """Phone numbers, e-mails, NHS numbers and dates of birth in ``text``, but the directory's contacts."""
        from circles.ingest.screening import find_structured

        return [d for d in find_structured(text) if _contact(d.text) not in self.public_contacts]

    def date_of_birth_column(self, file: str, location: str, column: str) -> None:
        self.add(file, location, "date_of_birth", f"column {column} holds dates of birth in a published file")

    def label(self, name: Any, quoted: str, positional: str) -> str:
        """``quoted`` when ``name`` is free of secrets, else ``positional``: locations never leak."""
        return quoted if self.scanner.clean(str(name)) else positional

    def unreadable(self, file: str, path: Path, error: BaseException | str) -> None:
        message = error if isinstance(error, str) else f"{type(error).__name__}: {error}".strip().rstrip(":")
        message = message.replace(str(path), file).replace(str(self.folder), ".")
        if not self.scanner.clean(message):
            message = "the error message is withheld because it quotes personal data"
        self.add(
            file,
            "whole file",
            "unreadable",
            f"could not be read ({message}); an audit that cannot read a file cannot pass it",
        )

    def small_count(self, file: str, location: str, column: str, value: Any) -> None:
        number = as_number(value)
        if number is not None and 1 <= number < self.policy.suppress_below:
            self.add(
                file,
                location,
                "small_count",
                f"count column {column} holds {plain(number)}; the {self.policy.name!r} policy suppresses "
                f"counts of 1 to {self.policy.suppress_below - 1}",
            )

    # ------------------------------------------------------------------ walking

    def run(self) -> list[Finding]:
        if not self.folder.is_dir():
            what = "does not exist" if not self.folder.exists() else "is not a folder"
            self.add(".", "whole folder", "unreadable", f"the audited folder {what}; nothing was checked")
        else:
            self._directory_contacts()
            self._context = self._context_digest()
            if self.clean is not None:
                self._known, self.clean = set(self.clean), self.clean
                self.clean.clear()  # on return: the keys of the contents this audit found clean
            paths = list(self._files())
            for path in paths:  # every name first: "<name withheld 1>"... as one process numbers them
                self._name(path)
            for findings, clean in forked_map(self._read, _shares(paths, self.workers)):
                self.findings.update(findings)
                if self.clean is not None:
                    self.clean |= clean  # in place: the caller's set (the stage cache keeps it)
        return sorted_findings(self.findings.values())

    def _read(self, paths: list[Path]) -> tuple[dict[tuple[str, str, str, str], Finding], set[str]]:
        """Read ``paths`` (here, or in a forked child): every finding so far, and the contents found clean."""
        for path in paths:
            self._file(path)
        return self.findings, set(self.clean or ())

    def _directory_contacts(self) -> None:
        """The phone numbers and e-mail addresses of the published service directory (``services/*.csv``)."""
        from circles.ingest.screening import find_structured

        for path in sorted(self.folder.glob("services/*.csv")):
            try:
                text = self._read_text(path)
            except OSError:
                continue  # reported when the file itself is read
            self.public_contacts |= {_contact(d.text) for d in find_structured(text, ("phone", "email"))}

    def _context_digest(self) -> str:
        """What a content's findings depend on besides its bytes: secrets, policy, exemptions, public contacts."""
        digest = hashlib.sha256(b"circles audit\x1f" + repr((self.policy.describe(), self.exempt)).encode())
        for group in (self.secrets.identifiers, self.secrets.pseudonyms, self.secrets.postcodes, self.public_contacts):
            update_digest(digest, group)
        return digest.hexdigest()

    def _clean_key(self, same: tuple[str, str, bool, bool]) -> str:
        return hashlib.sha256(f"{self._context}\x1f{same}".encode()).hexdigest()

    def _files(self) -> Iterator[Path]:
        for root, dirs, files in os.walk(self.folder):
            dirs.sort()
            for name in list(dirs):
                if os.path.islink(os.path.join(root, name)):
                    dirs.remove(name)
                    link = Path(root, name)
                    self.unreadable(self._name(link), link, "a link to a folder, which the audit does not follow")
            for name in sorted(files):
                yield Path(root, name)

    def _name(self, path: Path) -> str:
        """The relative path, with any part that contains a secret withheld (and reported once)."""
        parts: list[str] = []
        relative = path.relative_to(self.folder).parts
        for depth, part in enumerate(relative):
            original = relative[: depth + 1]
            if original not in self.names:
                hits = self.scanner.scan(part)
                if hits:
                    self.withheld += 1
                    shown = f"<name withheld {self.withheld}>"
                    self.add("/".join([*parts, shown]), "file name", hits[0].kind, f"the name holds {hits[0].detail}")
                else:
                    shown = part
                self.names[original] = shown
            parts.append(self.names[original])
        return "/".join(parts)

    def _file(self, path: Path) -> None:
        file = self._name(path)
        suffix = path.suffix.lower()
        if suffix in _RASTER or suffix in _FONTS:
            return
        relative = path.relative_to(self.folder).as_posix()
        counts = not any(relative == p or fnmatch.fnmatchcase(relative, p) for p in self.exempt)
        analyst = any(relative == p or fnmatch.fnmatchcase(relative, p) for p in ANALYST_FILES)
        # code (plotly.min.js) and style sheets are not content; the directory's contacts are public
        self.patterns = not analyst and suffix not in {".js", ".css"} and not relative.startswith("services/")
        # a copy of a file already read (a pack's copy of a figure) has the same findings: read once
        same = (hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "", suffix, self.patterns, counts)
        if same[0] and same in self._seen:
            for found in self._seen[same]:
                self.add(file, *found)
            return
        if same[0] and self.clean is not None and self._clean_key(same) in self._known:
            self._seen[same] = []  # read clean by an earlier audit with the same secrets and rules
            self.clean.add(self._clean_key(same))
            return
        before = set(self.findings)
        self._dispatch(file, path, suffix, counts)
        self._seen[same] = [(f.location, f.kind, f.detail, i[3]) for i, f in self.findings.items() if i not in before]
        if same[0] and self.clean is not None and not self._seen[same]:
            self.clean.add(self._clean_key(same))

    def _dispatch(self, file: str, path: Path, suffix: str, counts: bool) -> None:
        try:
            if not path.is_file():
                self.unreadable(file, path, "not a regular file")
            elif suffix in _TABLES:
                self._csv(file, path, _TABLES[suffix], counts)
            elif suffix in _SPREADSHEETS:
                self._xlsx(file, path, counts)
            elif suffix == ".gpkg":
                self._gpkg(file, path, counts)
            elif suffix == ".pdf":
                self._pdf(file, path)
            elif suffix in _JSON:
                self._json(file, path)
            elif suffix in MARKUP:
                self._markup(file, path)
            elif suffix in _ARCHIVES:
                self._archive(file, path)
            else:
                self._plain_text(file, path, known=suffix in _TEXT)
        except Exception as error:  # any failure to read is a finding, never a pass
            self.unreadable(file, path, error)

    # ------------------------------------------------------------------ file types

    @staticmethod
    def _read_text(path: Path) -> str:
        data = path.read_bytes()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("latin-1")  # e.g. a cp1252 CSV from Excel: ASCII secrets still match

    def _csv(self, file: str, path: Path, delimiter: str, counts: bool) -> None:
        text = self._read_text(path)
        # one pass over the whole file first: when it holds no secret, no cell does (quoting aside, handled by
        # also checking the text with "" unescaped), and only the counts need a look cell by cell
        suspect = self.suspect(text) or ('""' in text and not self.scanner.clean(text.replace('""', '"')))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        labels: list[str] = []
        count_at: set[int] = set()
        born_at: set[int] = set()
        end = 0
        for number, row in enumerate(reader):
            line, end = end + 1, reader.line_num  # a quoted cell may run over lines: report where the row starts
            if number == 0:
                labels = [self.label(name, f"column {name!r}", f"column {j + 1}") for j, name in enumerate(row)]
                count_at = count_columns(row) if counts else set()
                born_at = (
                    {j for j, name in enumerate(row) if _DOB_COLUMN.fullmatch(name.strip())} if self.patterns else set()
                )
                for j, cell in enumerate(row):
                    if suspect:
                        self.text(file, cell, f"line {line}, column {j + 1} (header)")
                continue
            for j, cell in enumerate(row):
                if j in born_at and cell.strip():
                    self.date_of_birth_column(file, f"line {line}", labels[j].removeprefix("column "))
                if not (j in count_at or (cell and suspect)):
                    continue
                where = f"line {line}, {labels[j] if j < len(labels) else f'column {j + 1}'}"
                if cell and suspect:
                    self.text(file, cell, where)
                if j in count_at:
                    self.small_count(file, where, labels[j].removeprefix("column "), cell)

    def _xlsx(self, file: str, path: Path, counts: bool) -> None:
        import openpyxl

        if not zipfile.is_zipfile(path):
            raise ValueError("not an Excel workbook (not a zip archive)")
        for data_only in (False, True):  # formulas as written, then the values Excel last computed
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
            try:
                if not data_only:
                    for field in ("title", "subject", "creator", "description", "keywords", "lastModifiedBy"):
                        value = getattr(book.properties, field, None)
                        if value:
                            self.text(file, str(value), f"document properties, {field}")
                for index, sheet in enumerate(book.worksheets, start=1):
                    self.text(file, sheet.title, f"sheet {index} name")
                    name = self.label(sheet.title, f"sheet {sheet.title!r}", f"sheet {index}")
                    self._sheet(file, sheet, name, counts and data_only)
            finally:
                book.close()

    def _sheet(self, file: str, sheet: Any, name: str, counts: bool) -> None:
        labels: list[str] = []
        count_at: set[int] = set()
        header_seen = False
        for r, row in enumerate(sheet.iter_rows(min_row=1, min_col=1, values_only=True), start=1):
            is_header = not header_seen and any(v is not None and str(v).strip() for v in row)
            if is_header:
                header_seen = True
                names = ["" if v is None else str(v) for v in row]
                labels = [self.label(v, f"column {v!r}", f"column {column_letter(j)}") for j, v in enumerate(names)]
                count_at = count_columns(names) if counts else set()
            for j, value in enumerate(row):
                if value is None:
                    continue
                where = f"{name}, cell {column_letter(j)}{r}"
                self.text(file, str(value), where)
                if j in count_at and not is_header:
                    self.small_count(file, where, labels[j].removeprefix("column "), value)

    def _gpkg(self, file: str, path: Path, counts: bool) -> None:
        import pyogrio

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        for index, layer in enumerate(layers, start=1):
            self.text(file, layer, f"layer {index} name")
            name = self.label(layer, f"layer {layer!r}", f"layer {index}")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
            columns = [str(c) for c in frame.columns if c != "geometry"]
            count_at = count_columns(columns) if counts else set()
            for j, column in enumerate(columns):
                self.text(file, column, f"{name}, column {j + 1} name")
                label = self.label(column, f"column {column!r}", f"column {j + 1}")
                cells = [
                    (row, value, str(value))
                    for row, value in enumerate(frame[column].tolist(), start=1)
                    if not (_is_missing(value) or isinstance(value, bool))
                ]
                suspect = self.suspect(_CELLS.join(text for *_, text in cells))
                for row, value, text in cells:
                    if suspect or j in count_at:
                        where = f"{name}, row {row}, {label}"
                    if suspect:
                        self.text(file, text, where)
                    if j in count_at:
                        self.small_count(file, where, label.removeprefix("column "), value)

    def _pdf(self, file: str, path: Path) -> None:
        """The document information and every page's text, read with PDFium (:mod:`pypdfium2`): the text a
        reader can select or copy, about twenty times faster than a pure-Python parser."""
        import pypdfium2 as pdfium

        try:
            document = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as error:
            raise ValueError(f"PDFium cannot open it ({error}): an encrypted or damaged PDF cannot be read") from None
        try:
            for key, value in document.get_metadata_dict(skip_empty=True).items():
                self.text(file, str(value), f"document information, {key}")
            for number in range(len(document)):
                page = document[number]
                text_page = page.get_textpage()
                self.text(file, text_page.get_text_bounded(), f"page {number + 1}")
                text_page.close()
                page.close()
        finally:
            document.close()

    def _json(self, file: str, path: Path) -> None:
        text = self._read_text(path)
        try:
            data = json.loads(text)
        except ValueError:
            self.text(file, text, line_locator(text))
            return
        for location, value in self._leaves(data, "$"):
            self.text(file, value, location)

    def _leaves(self, value: Any, at: str) -> Iterator[tuple[str, str]]:
        stack: list[tuple[str, Any]] = [(at, value)]
        while stack:
            at, value = stack.pop()
            if isinstance(value, dict):
                items = []
                for index, (key, child) in enumerate(value.items()):
                    if not self.scanner.clean(key):
                        step = f"[key {index}]"
                    elif _JSON_NAME.fullmatch(key):
                        step = f".{key}"
                    else:
                        step = f"[{json.dumps(key, ensure_ascii=False)}]"
                    yield f"{at}{step} (key)", key
                    items.append((f"{at}{step}", child))
                stack.extend(reversed(items))
            elif isinstance(value, list):
                stack.extend(reversed([(f"{at}[{i}]", child) for i, child in enumerate(value)]))
            elif isinstance(value, str):
                yield at, value
            elif isinstance(value, int | float) and not isinstance(value, bool):
                yield at, str(value)

    def _markup(self, file: str, path: Path) -> None:
        for text in markup_texts(self._read_text(path)):
            self.text(file, text, line_locator(text))

    def _archive(self, file: str, path: Path) -> None:
        """Every member of a zip archive, as text (markup with and without its tags), located by member name."""
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.namelist()):
                if member.endswith("/"):
                    continue
                data = archive.read(member)
                if b"\x00" in data[:4096]:
                    raise ValueError(f"member {member!r} is binary, and a type the audit cannot read")
                raw = data.decode("utf-8-sig")
                variants = markup_texts(raw) if Path(member).suffix.lower() in MARKUP else (raw,)
                for text in variants:
                    self.text(file, text, line_locator(text, f" of {member}"))

    def _plain_text(self, file: str, path: Path, *, known: bool) -> None:
        if known:
            text = self._read_text(path)
        else:
            data = path.read_bytes()
            if b"\x00" in data:
                raise ValueError(f"a binary file of a type the audit cannot read ({path.suffix or 'no suffix'})")
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise ValueError(f"not UTF-8 text, and a type the audit cannot read ({error.reason})") from None
        self.text(file, text, line_locator(text))


def _contact(text: str) -> str:
    """A phone number as its digits (``+44`` as ``0``), anything else lower case: to compare, never shown."""
    digits = re.sub(r"[^0-9+]", "", text)
    if "@" not in text and len(digits) >= 10:
        return "0" + digits[3:] if digits.startswith("+44") else digits
    return text.strip().casefold()


def audit_report(
    folder: str | Path,
    secrets: Secrets,
    *,
    policy: DisclosurePolicy = POLICIES["nhs"],
    count_exempt: Collection[str] = ("manifest.json", "quarantine.csv"),
    clean: set[str] | None = None,
    workers: int = 1,
) -> list[Finding]:
    """Check every file under a report folder for personal data and unsuppressed small counts.

    A pure function of the folder's contents: it writes nothing and uses no network. It never raises on a
    bad file: a file it cannot read becomes an ``unreadable`` finding (so is a folder that does not exist).

    Detection rules
    ---------------
    * identifiers and pseudonyms made only of letters and digits are compared, case-insensitively, with the
      letter-and-digit runs (tokens) of the text: ``C000123`` is found in ``"C000123"`` or ``"id=C000123."``
      but not inside ``"C0001234"``. This is a set lookup, fast for many secrets and large files.
    * identifiers holding spaces or punctuation (names, addresses, ``1985-03-02``) are found as whole words
      in the whitespace-collapsed, casefolded text (``"Jane  Doe"`` matches ``"jane doe"``, across lines).
    * a 10-digit identifier (an NHS number) is also found written ``943 476 5919`` or ``943-476-5919``.
    * postcode-shaped text (``BB2 1AA``, ``bb21aa``) is compacted and reported when it is a full postcode
      from the inputs. A district (``BB2``) or a masked ``BB2 ***`` is not reported.
    * in CSV, XLSX and GeoPackage tables, a count column is one named (case-insensitively) in
      :data:`COUNT_COLUMNS`, ending in ``_count``, or having a ``<name>_suppressed`` companion. A value ``v``
      with ``1 <= v < policy.suppress_below`` in a count column is a finding; ``0``, ``*`` and blanks are fine.
      In a spreadsheet the header is the first non-empty row of each sheet.

    Parameters
    ----------
    folder : str or Path
        The report folder, searched recursively. Links to folders are not followed (each is a finding).
    secrets : Secrets
        What must not appear.
    policy : DisclosurePolicy
        The small-number rule the counts must meet.
    count_exempt : collection of str
        Files whose counts are not checked (they are still searched for secrets): relative ``/`` paths or
        ``fnmatch`` patterns matched against them. By default the analyst-only ``manifest.json`` and
        ``quarantine.csv``.
    clean : set of str, optional
        Contents an earlier audit found clean (the stage cache keeps them between runs). A file is skipped when
        its key -- a SHA-256 over its bytes' checksum, its kind, and the secrets, policy, exemptions and public
        contacts of this audit -- is in the set. On return the set holds the keys of the contents this audit
        found clean. The keys reveal nothing: a change to any secret or rule changes them all.
    workers : int
        Processes to read in: the files are shared out by size (copies together) and read in forked children
        where :func:`circles.parallel.fork_is_safe`; the findings are the same.

    Returns
    -------
    list of Finding
        Sorted by file, then location (numbers in natural order: line 2 before line 10). Empty when clean.
    """
    return _Audit(Path(folder), secrets, policy, count_exempt, clean, workers).run()


def _shares(paths: list[Path], workers: int) -> list[list[Path]]:
    """``paths`` in at most ``workers`` shares of about equal bytes, each in the walk's order; files of one size
    stay together, so a copy (a pack's figure) is in the same share as its original and read once."""
    by_size: dict[int, list[Path]] = {}
    for path in paths:
        by_size.setdefault(path.lstat().st_size, []).append(path)
    place = {path: i for i, path in enumerate(paths)}
    shares = share_out(list(by_size.items()), workers, lambda item: item[0] + 1)
    return [sorted((path for _, group in share for path in group), key=place.__getitem__) for share in shares]
