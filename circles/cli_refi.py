"""``circles refi``: import, export and validate REFI-QDA projects (``.qdpx``) and codebooks (``.qdc``).

``circles refi import PROJECT.qdpx --to FOLDER`` writes what the pipeline's ``coding:`` section reads:

* ``codebook.yaml``  the codebook (:func:`circles.qualitative.codebook.write_codebook`);
* ``sources/``       one ``<source id>.txt`` per text source (UTF-8 with a BOM, line ends as in the project),
  named so that :func:`circles.qualitative.sources.read_sources` gives each the same id;
* ``codings.csv``    ``source, start, end, code, coder, memo`` in code points of those texts
  (:func:`circles.qualitative.coding.read_codings`);
* ``attributes.csv`` ``file`` and one column per attribute, plus one ``set: <name>`` column (``yes``/``no``)
  per source set (the ``attributes`` argument of ``read_sources``), when the project has any;
* ``groups.yaml``    the project's code groups and source groups (REFI ``Set`` elements that are not dimensions),
  by code id and by the source ids ``read_sources`` gives (``export --groups`` reads it back);
* ``refi-import.json`` what was written and every warning, so that a later import into the same folder replaces
  these files and never one circles did not write.

``circles refi export --codebook X --codings Y --sources S --to P.qdpx`` writes a project from those files (the
codebook may be YAML, CSV or a ``.qdc``); ``circles refi validate FILE`` checks a ``.qdpx``, ``.qde`` or ``.qdc``
against the REFI-QDA project schema (``Project.xsd``, MIT, shipped with circles) with ``xmlschema``.

Each prints what was read, what was skipped and what was guessed; a file that cannot be used is a one-line error
and exit status 1.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Annotated
from xml.etree import ElementTree as ET

import pandas as pd
import typer
import yaml

from circles.errors import CirclesError, RefiError

__all__ = ["refi_app"]

SCHEMA = Path(__file__).parent / "qualitative" / "refi" / "Project.xsd"
MARKER = "refi-import.json"

refi_app = typer.Typer(
    name="refi",
    help="Exchange codebooks and coded projects with NVivo, ATLAS.ti, MAXQDA, QualCoder (REFI-QDA).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(error: Exception) -> None:
    typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def _listing(title: str, lines: list[str]) -> None:
    typer.echo(f"{title}: {len(lines) if lines else 'none'}")
    for line in lines:
        typer.echo(f"  - {line}")


# --------------------------------------------------------------------------------------------------- import


@refi_app.command("import")
def import_command(
    project: Annotated[Path, typer.Argument(help="The REFI-QDA project (.qdpx)")],
    to: Annotated[Path, typer.Option("--to", help="Folder to write (new, empty, or one this command wrote)")],
    unassigned: Annotated[
        str | None,
        typer.Option("--unassigned", metavar="DIMENSION", help="Dimension for codes the project gives none"),
    ] = None,
) -> None:
    """Read a .qdpx and write the codebook, sources, codings and attributes circles reads."""
    from circles.qualitative.refi import import_project

    try:
        read = import_project(project)
        written, guessed, skipped = _write_import(read, to, unassigned)
    except (CirclesError, OSError) as error:
        _fail(error)
    typer.echo(
        f"read {project.name}: {len(read.codebook)} codes, {len(read.sources)} text sources, "
        f"{len(read.segments)} codings, {len(read.code_groups)} code group(s), {len(read.source_groups)} source "
        f"group(s) (origin {read.origin or 'not given'})"
    )
    typer.echo(f"wrote {len(written)} file(s) into {to}")
    _listing("skipped or repaired", [*read.warnings, *skipped])
    _listing("guessed", [f"offset convention {read.offset_convention_used}: {read.offset_convention_reason}", *guessed])


def _source_files(read) -> dict[str, str]:
    """Source id -> the file name that ``read_sources`` reads back as that id."""
    from circles.qualitative.sources import slugify

    names: dict[str, str] = {}
    for source_id in read.sources:
        slug = slugify(source_id)
        if not slug:
            raise RefiError(f"Source {source_id!r} has no letters or digits to name its file by; rename it first.")
        if slug in names.values():
            raise RefiError(f"Sources {source_id!r} and another one would both be read back as {slug!r}; rename one.")
        names[source_id] = slug
    return names


def _import_codebook(read, unassigned: str | None) -> tuple[object, list[str]]:
    """The codebook with a dimension for every code (``unassigned`` for those without), and what was guessed."""
    from dataclasses import replace

    book = read.codebook
    missing = [c.id for c in book.codes if not c.dimension]
    if not missing:
        return book, []
    shown = ", ".join(map(repr, missing[:5])) + (" ..." if len(missing) > 5 else "")
    if unassigned is None:
        raise RefiError(
            f"{len(missing)} code(s) have no Circles dimension ({shown}): set one in the other tool (a code set named "
            f"after a dimension, e.g. 'Needs'), or give --unassigned with one of {', '.join(book.dimensions)}."
        )
    codes = tuple(replace(c, dimension=c.dimension or unassigned) for c in book.codes)
    return replace(book, codes=codes), [f"dimension {unassigned!r} given to {len(missing)} code(s): {shown}"]


def _write_import(read, folder: Path, unassigned: str | None) -> tuple[list[str], list[str], list[str]]:
    """Write the import's files into ``folder``; return their names (relative), what was guessed and skipped."""
    from circles.io.writers import atomic_path, write_csv
    from circles.qualitative.codebook import write_codebook

    book, guessed = _import_codebook(read, unassigned)
    files = _source_files(read)
    planned = {"codebook.yaml", "codings.csv", "groups.yaml", MARKER, *(f"sources/{n}.txt" for n in files.values())}
    attributes = _attributes_table(read, files)
    if attributes is not None:
        planned.add("attributes.csv")
    previous = _check_folder(folder, planned)
    (folder / "sources").mkdir(parents=True, exist_ok=True)
    write_codebook(book, folder / "codebook.yaml")
    for source_id, name in files.items():
        with atomic_path(folder / "sources" / f"{name}.txt") as tmp:
            tmp.write_bytes(b"\xef\xbb\xbf" + read.sources[source_id].text.encode("utf-8", "surrogatepass"))
    codings = read.segments.rename(columns={"source_id": "source", "code_id": "code"})
    codings = codings.assign(source=codings["source"].map(files))
    empty = codings["start"] >= codings["end"]
    skipped = [f"{int(empty.sum())} empty coding(s) (start = end) not written: circles codes passages"]
    skipped = skipped if empty.any() else []
    codings = codings[~empty]
    write_csv(codings[["source", "start", "end", "code", "coder", "memo"]], folder / "codings.csv")
    if attributes is not None:
        write_csv(attributes, folder / "attributes.csv")
    source_groups = {name: [files[m] for m in members] for name, members in read.source_groups.items()}
    groups = {"code_groups": _plain(read.code_groups), "source_groups": source_groups}
    with atomic_path(folder / "groups.yaml") as tmp:
        tmp.write_text(yaml.safe_dump(groups, sort_keys=False, allow_unicode=True), encoding="utf-8")
    for stale in previous - planned:
        (folder / stale).unlink(missing_ok=True)  # written by an earlier import, listed in its marker
    marker = {"written_by": "circles refi import", "files": sorted(planned), "warnings": list(read.warnings)}
    with atomic_path(folder / MARKER) as tmp:
        tmp.write_text(json.dumps(marker, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return sorted(planned), guessed, skipped


def _plain(groups: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    return {name: list(members) for name, members in groups.items()}


def _attributes_table(read, files: dict[str, str]) -> pd.DataFrame | None:
    """``file`` and the sources' attributes, with a ``set: <name>`` column per source group; None when empty."""
    rows = []
    for source_id, source in read.sources.items():
        row = {"file": f"{files[source_id]}.txt", **source.attributes}
        for name, members in read.source_groups.items():
            row[f"set: {name}"] = "yes" if source_id in members else "no"
        rows.append(row)
    table = pd.DataFrame(rows, dtype=str).fillna("")
    return table if len(table.columns) > 1 else None


def _check_folder(folder: Path, planned: set[str]) -> set[str]:
    """The files an earlier import wrote into ``folder``; refuses a folder holding files circles did not write."""
    if folder.exists() and not folder.is_dir():
        raise RefiError(f"{folder} is a file; give a folder to write the import into.")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()
    previous: set[str] = set()
    if (folder / MARKER).is_file():
        try:
            previous = set(json.loads((folder / MARKER).read_text(encoding="utf-8"))["files"])
        except (ValueError, KeyError, TypeError) as error:
            raise RefiError(f"{folder / MARKER} is not the record of an earlier import ({error}).") from None
    foreign = sorted(present - previous)
    if foreign:
        raise RefiError(
            f"{folder} holds {len(foreign)} file(s) circles did not write ({', '.join(foreign[:3])}); "
            "import into a new or empty folder."
        )
    return previous


# --------------------------------------------------------------------------------------------------- export


@refi_app.command("export")
def export_command(
    codebook: Annotated[Path, typer.Option("--codebook", help="Codebook: YAML, CSV or .qdc")],
    codings: Annotated[Path, typer.Option("--codings", help="Codings CSV: source, start, end, code, coder, memo")],
    sources: Annotated[Path, typer.Option("--sources", help="The notes the codings refer to (file or folder)")],
    to: Annotated[Path, typer.Option("--to", help="The project to write (.qdpx)")],
    attributes: Annotated[Path | None, typer.Option("--attributes", help="Attributes CSV (file, ...)")] = None,
    groups: Annotated[Path | None, typer.Option("--groups", help="groups.yaml written by refi import")] = None,
    offsets: Annotated[str, typer.Option("--offsets", help="python, utf16 (NVivo) or crlf_as_one")] = "python",
    name: Annotated[str | None, typer.Option("--name", help="Project name (default: the file name)")] = None,
) -> None:
    """Write a .qdpx from a codebook, codings and their sources."""
    try:
        summary = _export(codebook, codings, sources, to, attributes, groups, offsets, name)
    except (CirclesError, OSError) as error:
        _fail(error)
    typer.echo(summary)
    _listing("skipped", [])
    _listing("guessed", [])


def _export(codebook, codings, sources, to, attributes, groups, offsets, name) -> str:
    from circles.io.writers import atomic_path
    from circles.qualitative.codebook import read_codebook
    from circles.qualitative.coding import read_codings
    from circles.qualitative.refi import export_project, import_codebook
    from circles.qualitative.sources import read_sources

    if to.suffix.lower() != ".qdpx":
        raise RefiError(f"{to}: a REFI-QDA project is written as .qdpx, not {to.suffix or 'no suffix'!r}.")
    _check_overwrite(to)
    book = import_codebook(codebook) if codebook.suffix.lower() == ".qdc" else read_codebook(codebook)
    texts = {s.id: s for s in read_sources(sources, attributes=attributes)}
    table = read_codings(codings, texts, book)
    code_groups, source_groups = _read_groups_file(groups)
    with atomic_path(to) as tmp:
        export_project(
            tmp,
            codebook=book,
            sources=texts,
            segments=table,
            project_name=name or to.stem,
            offsets=offsets,
            code_groups=code_groups,
            source_groups=source_groups,
        )
    return (
        f"read {codebook.name}, {codings.name} and {len(texts)} source(s); wrote {to}: {len(book)} codes, "
        f"{len(texts)} sources, {len(table)} codings, {len(code_groups)} code group(s), {len(source_groups)} source "
        f"group(s), positions counted as {offsets}"
    )


def _check_overwrite(path: Path) -> None:
    """Refuse to replace a file that is not a project circles exported."""
    if not path.exists():
        return
    try:
        with zipfile.ZipFile(path) as archive:
            root = ET.fromstring(archive.read("project.qde"))
        ours = (root.get("origin") or "").startswith("circles")
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError):
        ours = False
    if not ours:
        raise RefiError(f"{path} exists and was not exported by circles; choose another name or move it first.")


def _read_groups_file(path: Path | None) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    if path is None:
        return {}, {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise RefiError(f"Cannot read groups {path}: {error}") from None
    found = []
    for key in ("code_groups", "source_groups"):
        value = document.get(key) or {} if isinstance(document, dict) else None
        if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
            raise RefiError(f"{path}: {key!r} must map each group name to a list of ids, as refi import writes it.")
        found.append({str(k): [str(m) for m in v] for k, v in value.items()})
    return found[0], found[1]


# --------------------------------------------------------------------------------------------------- validate


@refi_app.command("validate")
def validate_command(
    file: Annotated[Path, typer.Argument(help="A .qdpx project, its .qde XML, or a .qdc codebook")],
    schema: Annotated[Path | None, typer.Option("--schema", help="Another Project.xsd to check against")] = None,
) -> None:
    """Check a REFI-QDA file against the official project schema (Project.xsd)."""
    try:
        xml, what = _validation_xml(file)
        errors = _schema_errors(xml, schema or SCHEMA)
    except (CirclesError, OSError) as error:
        _fail(error)
    typer.echo(f"read {file.name}: {what}; checked against {(schema or SCHEMA).name}")
    _listing("schema errors", errors[:20] + ([f"... and {len(errors) - 20} more"] if len(errors) > 20 else []))
    _listing("guessed", [])
    if errors:
        raise typer.Exit(code=1)
    typer.echo(f"{file.name} is valid REFI-QDA.")


def _validation_xml(path: Path) -> tuple[str, str]:
    """The project XML to validate and a description; a codebook is wrapped into a project."""
    from circles.qualitative.refi import CODEBOOK_NS, PROJECT_NS
    from circles.qualitative.refi.archive import _find_qde
    from circles.qualitative.refi.common import _parse_xml

    if not path.is_file():
        raise RefiError(f"{path} does not exist.")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            qde = _find_qde(archive, path, [])
            data, what = archive.read(qde), f"project {qde.filename} in the archive"
    else:
        data, what = path.read_bytes(), "project XML"
    root = _parse_xml(data, str(path))
    if root.tag != f"{{{CODEBOOK_NS}}}CodeBook":
        return data.decode("utf-8", errors="replace"), what
    # No well-formed codebook XSD is published: its types are the project's, so it is checked inside a project.
    project = ET.Element(f"{{{PROJECT_NS}}}Project", {"name": path.stem})
    holder = ET.SubElement(project, f"{{{PROJECT_NS}}}CodeBook")
    for element in root.iter():
        element.tag = element.tag.replace(CODEBOOK_NS, PROJECT_NS)
    for child in list(root):
        (holder if child.tag.endswith("}Codes") else project).append(child)
    return ET.tostring(project, encoding="unicode"), "codebook (checked as the CodeBook and Sets of a project)"


def _schema_errors(xml: str, schema_path: Path) -> list[str]:
    try:
        import xmlschema
    except ImportError:
        raise RefiError("Validation needs the xmlschema package: pip install xmlschema.") from None
    try:
        schema = xmlschema.XMLSchema(str(schema_path))
    except (xmlschema.XMLSchemaException, OSError) as error:
        raise RefiError(f"Cannot read the schema {schema_path}: {error}") from None
    errors = []
    for error in schema.iter_errors(xml):
        line = f"line {error.sourceline}: " if getattr(error, "sourceline", None) else ""
        errors.append(f"{line}{error.reason} (at {error.path})")
    return errors
