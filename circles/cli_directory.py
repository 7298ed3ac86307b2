"""``circles directory``: read, check and convert service directories (HSDS 3.0, Open Referral UK, YAML, JSON).

``circles directory import PATH`` reads a directory in any format circles knows and says what it read and left
out; ``circles directory export PATH --to DIR`` writes it as an HSDS 3.0 package (``--profile uk`` for the Open
Referral UK profile); ``circles directory validate PATH`` checks a package against the official descriptor (or
HSDS JSON against the official JSON Schema) and exits 1 when there are problems. Errors in the input are
printed, never a traceback, with exit status 2.

The readers are imported when a command runs, so ``circles --help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from circles.errors import CirclesError

if TYPE_CHECKING:
    from circles.challenge.directory import ServiceDirectory
    from circles.challenge.open_referral import ImportReport

__all__ = ["directory_app"]

directory_app = typer.Typer(
    help="Service directories: import, export (HSDS 3.0) and validate against the official Open Referral schemas.",
    no_args_is_help=True,
)

PathArg = Annotated[Path, typer.Argument(help="A folder of CSV tables, an HSDS JSON file, or a YAML directory")]
ProfileOpt = Annotated[str, typer.Option("--profile", help="hsds (HSDS 3.0) or uk (Open Referral UK profile)")]
CodebookOpt = Annotated[Path | None, typer.Option("--codebook", help="Codebook: every code met must be in it")]


def _read(path: Path, codebook: Path | None) -> tuple[ServiceDirectory, ImportReport | None]:
    from circles.challenge.services import read_any_directory

    return read_any_directory(path, codebook=codebook)


def _fail(error: CirclesError) -> None:
    typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _summary(directory: ServiceDirectory, report: ImportReport | None) -> list[str]:
    from circles.challenge.directory import TABLES

    lines = ["read: " + ", ".join(f"{len(getattr(directory, t))} {t}" for t in TABLES)]
    if report is not None:
        for name, rows in report.read.items():
            skipped = report.skipped_columns.get(name) or []
            left = f"; columns not read: {', '.join(skipped)}" if skipped else ""
            lines.append(f"  {name}: {rows} rows{left}")
        if report.skipped_tables:
            lines.append(f"tables not read: {', '.join(report.skipped_tables)}")
    return lines


@directory_app.command("import")
def import_(path: PathArg, codebook: CodebookOpt = None) -> None:
    """Read a service directory and say what was read, and which tables and columns were left out."""
    try:
        directory, report = _read(path, codebook)
    except CirclesError as error:
        _fail(error)
    typer.echo("\n".join(_summary(directory, report)))


@directory_app.command("export")
def export(
    path: PathArg,
    to: Annotated[Path, typer.Option("--to", help="The folder to write the HSDS 3.0 package into")],
    profile: ProfileOpt = "hsds",
    codebook: CodebookOpt = None,
) -> None:
    """Read a directory in any format and write it as an HSDS 3.0 CSV package (official descriptor)."""
    from circles.challenge.hsds import export_hsds

    try:
        directory, report = _read(path, codebook)
        package = export_hsds(directory, to, profile=profile)  # type: ignore[arg-type]
    except CirclesError as error:
        _fail(error)
    typer.echo("\n".join(_summary(directory, report)))
    typer.echo(f"wrote {package}")


@directory_app.command("validate")
def validate(path: PathArg, profile: ProfileOpt = "hsds") -> None:
    """Check a package against the official HSDS 3.0 (or UK profile) descriptor, or HSDS JSON against its schema.

    Prints, per table, the rows read, the problems and the columns not read; exits 1 when there are problems.
    """
    from circles.challenge.hsds import validate_hsds
    from circles.challenge.hsds_json import import_hsds_json
    from circles.challenge.open_referral import ImportReport, import_directory_report

    try:
        if path.is_file() and path.suffix.lower() == ".json":
            directory = import_hsds_json(path)  # raises, naming each problem, when the JSON breaks the schema
            typer.echo("\n".join(_summary(directory, None)) + "\nno problems")
            return
        problems = validate_hsds(path, profile=profile)  # type: ignore[arg-type]
        try:
            _, report = import_directory_report(path)
        except CirclesError as error:  # the tables break the schema so badly that circles cannot read them
            report = ImportReport()
            typer.echo(f"circles cannot read these tables: {error}")
    except CirclesError as error:
        _fail(error)
    files = list(dict.fromkeys([*report.read, *(p.file for p in problems)]))
    for name in files:
        found = [p for p in problems if p.file == name]
        rows = f"{report.read[name]} rows" if name in report.read else "not read"
        skipped = report.skipped_columns.get(name) or []
        typer.echo(f"{name}: {rows}, {len(found)} problem{'s' * (len(found) != 1)}")
        for problem in found:
            typer.echo(f"  - {problem}")
        if skipped:
            typer.echo(f"  columns not read: {', '.join(skipped)}")
    if report.skipped_tables:
        typer.echo(f"tables not read: {', '.join(report.skipped_tables)}")
    typer.echo(f"{len(problems)} problem{'s' * (len(problems) != 1)} against the official descriptor ({profile})")
    if problems:
        raise typer.Exit(code=1)
