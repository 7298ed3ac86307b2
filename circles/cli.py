"""The ``circles`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from circles import __version__
from circles.errors import CirclesError

app = typer.Typer(
    name="circles",
    help="Circles of Need: customer insight for local government and the NHS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(error: CirclesError) -> None:
    typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="Pipeline spec (YAML), e.g. pipelines/demo.yaml")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Report folder (overrides the spec)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or messages")] = False,
) -> None:
    """Run a pipeline spec and write its report folder."""
    from circles.runner import run_pipeline

    try:
        result = run_pipeline(spec, output=output, quiet=quiet, log=lambda m: typer.echo(m, err=True))
    except CirclesError as error:
        _fail(error)
        return
    rows = result.manifest["rows"]
    typer.echo(
        f"{result.manifest['pipeline']}: read {rows['read']:,} rows = accepted {rows['accepted']:,} "
        f"+ quarantined {rows['quarantined']:,}"
    )
    typer.echo(f"outputs ({len(result.outputs)} files) in {result.output_dir}")


@app.command()
def synth(
    folder: Annotated[Path, typer.Argument(help="Folder to write the synthetic demo inputs into")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files")] = 20110401,
) -> None:
    """Write the SYNTHETIC demo inputs (take-up records and workshop notes) for a seed."""
    from circles.synthetic import generate_demo_data

    try:
        data = generate_demo_data(folder, seed=seed)
    except CirclesError as error:
        _fail(error)
        return
    typer.echo(f"wrote {data.n_records:,} synthetic records and {len(data.notes_files)} notes to {data.folder}")


@app.command()
def version() -> None:
    """Print the circles version."""
    typer.echo(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
