"""The ``circles`` command line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from circles import __version__
from circles.cli_directory import directory_app
from circles.cli_planner import planner_app
from circles.cli_refi import refi_app
from circles.errors import CirclesError

if TYPE_CHECKING:
    from circles.pipeline.runner import RunResult

app = typer.Typer(
    name="circles",
    help="Circles of Need: customer insight for local government and the NHS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# options shared by `circles run` and `circles demo`
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or messages")]
FromStage = Annotated[
    str | None,
    typer.Option(
        "--from",
        metavar="STAGE",
        help="Run STAGE and every stage after it again, whatever the stage cache beside the report holds",
    ),
]
NoCache = Annotated[
    bool, typer.Option("--no-cache", help="Run every stage and leave the stage cache beside the report as it is")
]


@app.callback()
def _machine() -> None:
    """Circles of Need: customer insight for local government and the NHS."""
    # outputs are written and packs rendered on every core (circles.parallel):
    # safe here, where spawned processes re-import only this command's guarded entry point
    from circles.parallel import usable_cores

    os.environ.setdefault("CIRCLES_WORKERS", str(usable_cores()))


def _stop_on(findings: list) -> None:
    """Print an audit's findings and exit with status 1 when there are any."""
    if findings:
        from circles.pipeline.audit import format_findings

        typer.secho(format_findings(findings), fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1)


def _fail(error: CirclesError) -> None:
    typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="Pipeline spec (YAML), e.g. pipelines/demo.yaml")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Report folder (overrides the spec)")] = None,
    quiet: Quiet = False,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine", help="pandas (one machine) or dask (partitioned on a Dask cluster); overrides the spec"
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="A running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --engine dask); "
            "without it the Dask engine starts a local cluster",
        ),
    ] = None,
    from_stage: FromStage = None,
    no_cache: NoCache = False,
) -> None:
    """Run a pipeline spec and write its report folder."""
    from circles.pipeline.runner import run_pipeline

    try:
        result = run_pipeline(
            spec,
            output=output,
            quiet=quiet,
            log=lambda m: typer.echo(m, err=True),
            engine=engine,
            scheduler=scheduler,
            from_stage=from_stage,
            cache=not no_cache,
        )
    except CirclesError as error:
        _fail(error)
        return
    _summarise(result)


def _summarise(result: RunResult) -> None:
    """The last lines of a run: the row accounting and where the report folder is."""
    rows = result.manifest["rows"]
    typer.echo(
        f"{result.manifest['pipeline']}: read {rows['read']:,} rows = accepted {rows['accepted']:,} "
        f"+ quarantined {rows['quarantined']:,}"
    )
    typer.echo(f"outputs ({len(result.outputs)} files) in {result.output_dir}")


@app.command()
def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Report folder (relative to the current folder)")
    ] = Path("reports/demo"),
    inputs: Annotated[Path, typer.Option("--inputs", help="Where the SYNTHETIC inputs are written and read")] = Path(
        "data/demo"
    ),
    quiet: Quiet = False,
    from_stage: FromStage = None,
    no_cache: NoCache = False,
) -> None:
    """Run the embedded demo (Blackburn with Darwen, synthetic records) from any folder: what `make demo` does."""
    from circles.pipeline.runner import run_pipeline
    from circles.pipeline.spec import load_spec
    from circles.resources import demo_spec

    try:
        spec = load_spec(demo_spec(), output=output).with_synthetic_folder(inputs)
        result = run_pipeline(
            spec, quiet=quiet, log=lambda m: typer.echo(m, err=True), from_stage=from_stage, cache=not no_cache
        )
    except CirclesError as error:
        _fail(error)
        return
    _summarise(result)


@app.command()
def synth(
    folder: Annotated[Path, typer.Argument(help="Folder to write the synthetic demo inputs into")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files")] = 20110401,
) -> None:
    """Write the SYNTHETIC demo inputs (take-up records and workshop notes) for a seed."""
    from circles.demo.synthetic import generate_demo_data

    try:
        data = generate_demo_data(folder, seed=seed)
    except CirclesError as error:
        _fail(error)
        return
    typer.echo(f"wrote {data.n_records:,} synthetic records and {len(data.notes_files)} notes to {data.folder}")


@app.command()
def check(
    spec: Annotated[Path, typer.Argument(help="Pipeline spec (YAML)")],
    rows: Annotated[int, typer.Option(min=1, help="Rows of each file to validate")] = 1000,
) -> None:
    """Check a spec and its files without running: headers found, columns present, a sample of rows parsed."""
    from circles.pipeline.check import check_spec

    try:
        result = check_spec(spec, sample=rows)
    except CirclesError as error:
        _fail(error)
        return
    typer.echo(result.format())
    if not result.ok:
        raise typer.Exit(code=1)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="The project folder to make (new, or empty)")],
    name: Annotated[str | None, typer.Option(help="Pipeline name (default: from the folder name)")] = None,
    key: Annotated[
        Path | None,
        typer.Option("--key", help="Where to make the pseudonymisation key (default ~/.config/circles/keys/NAME.key)"),
    ] = None,
    local_authority: Annotated[
        str | None, typer.Option("--la", help="The council's ONS code, e.g. E06000008 (Blackburn with Darwen)")
    ] = None,
) -> None:
    """Make a project for a council's own data: a commented spec, data and report folders, a key outside it."""
    from circles.pipeline.scaffold import scaffold_project

    try:
        result = scaffold_project(folder, name=name, key_path=key, local_authority=local_authority)
    except CirclesError as error:
        _fail(error)
        return
    typer.echo(result.summary())


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="An agency extract: CSV or XLSX")],
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first)")] = None,
    rows: Annotated[int, typer.Option(min=1, help="Rows to read for the proposal")] = 1000,
    source: Annotated[str, typer.Option(help="The source's name in the spec")] = "take_up",
) -> None:
    """Propose the spec's column mapping for an extract, as YAML to paste under `sources:` (no values shown)."""
    from circles.ingest.inspect import inspect_extract

    try:
        inspection = inspect_extract(file, sheet=sheet, sample_rows=rows)
    except CirclesError as error:
        _fail(error)
        return
    typer.echo(inspection.to_yaml(source), nl=False)


key_app = typer.Typer(help="Pseudonymisation keys.", no_args_is_help=True)
app.add_typer(key_app, name="key")
app.add_typer(directory_app, name="directory")
app.add_typer(refi_app, name="refi")
app.add_typer(planner_app, name="planner")


@key_app.command("new")
def key_new(
    path: Annotated[Path, typer.Argument(help="Where to write the key: a file OUTSIDE any repository")],
) -> None:
    """Make a new random pseudonymisation key (32 bytes, file mode 0600)."""
    from circles.ingest.pseudonyms import write_key_file

    try:
        key = write_key_file(path)
    except CirclesError as error:
        _fail(error)
        return
    typer.echo(f"wrote a new key to {path} (fingerprint {key.fingerprint}).")
    typer.echo("Name it in the pipeline spec: pseudonymisation: {key: file, key_file: " + str(path) + ", scope: ...}")
    typer.echo("Keep it safe and backed up: without it, pseudonyms cannot be reproduced to link new extracts.")


@app.command()
def audit(
    report_dir: Annotated[Path, typer.Argument(help="A report folder written by `circles run`")],
    spec: Annotated[Path | None, typer.Option(help="The run's spec (default: the one its manifest names)")] = None,
) -> None:
    """Scan a report folder: identifiers, pseudonyms, full postcodes, small counts; phone numbers, e-mails, NHS
    numbers and dates of birth in published files."""
    from circles.pipeline.runner import audit_folder

    try:
        findings = audit_folder(report_dir, spec)
    except CirclesError as error:
        _fail(error)
        return
    _stop_on(findings)
    typer.echo(
        "audit passed: no identifiers, pseudonyms, full postcodes or small counts, and no phone numbers, e-mail "
        f"addresses, NHS numbers or dates of birth in published files, in {report_dir}"
    )


@app.command()
def pack(
    name: Annotated[
        str, typer.Argument(help="customer_definition, customer_engagement, challenge, design or hotspot_report")
    ],
    pipeline: Annotated[Path, typer.Option("--pipeline", "-p", help="The spec whose report folder to build from")],
    large_print: Annotated[bool, typer.Option("--large-print", help="Body text 16 pt or more")] = False,
) -> None:
    """Render one pack (PDF and HTML) from a report folder's published files, then audit the folder."""
    from circles.packs.render import build_pack
    from circles.pipeline.publish import check_report, real_output, record_outputs, snapshot
    from circles.pipeline.runner import audit_folder
    from circles.pipeline.spec import load_spec

    try:
        spec = load_spec(pipeline)
        report = real_output(spec.resolve(spec.output))
        check_report(report)  # writes only into a report circles wrote
        before = snapshot(report / "packs")
        paths = build_pack(name, report, large_print=large_print)
        record_outputs(report, before)  # so the next run may still replace the folder
        findings = audit_folder(report, spec)
    except CirclesError as error:
        _fail(error)
        return
    _stop_on(findings)
    for kind, path in paths.items():
        typer.echo(f"{kind}: {path}")


@app.command()
def stages() -> None:
    """List the pipeline's stages in data-flow order, with what each needs, uses and provides."""
    from circles.pipeline.stages import STAGES

    for s in STAGES.values():
        typer.echo(f"{s.name}: {s.summary}")
        for label, values in (("needs", s.needs), ("uses", s.uses), ("provides", s.provides)):
            if values:
                typer.echo(f"    {label}: {', '.join(sorted(values))}")
        if s.section:
            typer.echo(f"    section: {s.section}:" + ("" if s.section_required else " (skipped without it)"))


@app.command()
def version() -> None:
    """Print the circles version."""
    typer.echo(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
