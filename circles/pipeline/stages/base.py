"""The stage contract: each stage is registered with what it needs and what it provides.

A stage is a small function of the :class:`RunState`. It reads what it declared it needs, makes its library
call and publishes; nothing is written until the whole run has succeeded (:meth:`RunState.publish`). The
registry (:data:`STAGES`) records, for each stage, the *artefacts* it needs from an earlier stage, those it uses
when an earlier stage made them, those it provides, and the spec section it reads. :func:`check_stage_order`
orders them (with :mod:`graphlib`, as Kedro orders its nodes) when the spec is loaded, so a missing or
misplaced prerequisite is a :class:`~circles.errors.SpecError` naming the YAML line, not an error half-way
through a run.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from circles.figures.media import MEDIA, Medium, save_svg, svg_name
from circles.figures.print_maps import save_print_map
from circles.geo.layers import (
    AreaLayer,
)
from circles.ingest.accounting import ROW_ID, Ledger
from circles.ingest.disclosure import get_policy
from circles.io.writers import atomic_path

if TYPE_CHECKING:  # the spec imports this registry to check its stage list
    from circles.challenge.study import NeedsDirectory, PublishedNetwork
    from circles.costs.problem import CostOfProblem
    from circles.pipeline.spec import PipelineSpec
    from circles.qualitative.study import CodingResult


@dataclass
class RunState:
    spec: PipelineSpec
    log: Callable[[str], None]
    quiet: bool = False
    #: Processes the outputs are written in (:func:`circles.pipeline.writing.write_outputs`).
    workers: int = 1
    ledger: Ledger = field(default_factory=Ledger)
    warnings: list[str] = field(default_factory=list)
    quarantine: list[pd.DataFrame] = field(default_factory=list)
    records: pd.DataFrame | None = None
    #: Dask engine only: the records partitioned across the cluster (:class:`circles.pipeline.dask_engine.Partitions`);
    #: gathered into ``records`` only when a record-level stage after ``aggregate`` asks for them.
    partitions: Any = None
    read_ids: pd.Series | None = None
    read_files: pd.Series | None = None
    secrets_identifiers: set[str] = field(default_factory=set)
    secrets_pseudonyms: set[str] = field(default_factory=set)
    secrets_postcodes: set[str] = field(default_factory=set)
    layers: dict[str, AreaLayer] = field(default_factory=dict)
    area_tables: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    exact_counts: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    exact_totals: dict[str, dict[str, int]] = field(default_factory=dict)
    lookups: dict[str, dict[str, str]] = field(default_factory=dict)
    qualitative: CodingResult | None = None
    populations: dict[str, pd.Series] | None = None
    network: PublishedNetwork | None = None
    challenge: NeedsDirectory | None = None
    costs: CostOfProblem | None = None
    writers: dict[str, Callable[[Path], Any]] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    def publish(self, relative: str, writer: Callable[[Path], Any]) -> None:
        """Queue an output; it is written only when the whole run has succeeded."""
        self.writers[relative] = writer

    def quarantined(self, frame: pd.DataFrame) -> None:
        if len(frame):
            self.quarantine.append(frame)


def account(run: RunState, stage: str, before: pd.DataFrame, after: pd.DataFrame, quarantine: pd.DataFrame) -> None:
    run.ledger.record(stage, before[ROW_ID], after[ROW_ID], quarantine[ROW_ID].drop_duplicates(), before["source_file"])
    run.quarantined(quarantine)


def save_figure(figure: Any, path: Path) -> None:
    """Write a print map as PDF and 300 dpi PNG beside it, then free the figure."""
    import matplotlib.pyplot as plt

    save_print_map(figure, path.with_suffix(""))
    plt.close(figure)


def publish_svgs(
    run: RunState, stem: str, draw: Callable[[Medium], Any], media: Collection[str] = ("print", "large")
) -> None:
    """Queue ``<stem>_<medium>.svg`` for each of ``media``: the figure a pack prints, drawn at its printed size.

    ``draw(medium)`` returns a matplotlib figure sized and typeset for that :class:`~circles.figures.media.Medium`;
    it is called when the run publishes (so no figure waits in memory), saved with real text
    (:func:`~circles.figures.media.save_svg`) and closed.
    """
    import matplotlib.pyplot as plt

    def write(path: Path, key: str) -> None:
        figure = draw(MEDIA[key])
        try:
            save_svg(figure, path)
        finally:
            plt.close(figure)

    for key in media:
        run.publish(svg_name(stem, key), lambda p, k=key: write(p, k))


def records_if_any(run: RunState, stage: str) -> pd.DataFrame | None:
    """The records when the run read any (gathered from the cluster by the Dask engine), else ``None``."""
    if run.records is None and run.partitions is not None and run.partitions.files:
        return records_of(run, stage)
    return run.records


def records_of(run: RunState, stage: str) -> pd.DataFrame:
    if run.records is None and run.partitions is not None:
        run.records = run.partitions.collect()
        run.log(f"{stage}: gathered {len(run.records):,} records from the cluster")
    return run.records


def period_suffix(run: RunState) -> str:
    """ ", April 2009 to March 2011": the period of the records (the aggregate stage finds it), for every title of a
    map, table or figure drawn from them; empty when unknown."""
    label = (run.manifest.get("records_period") or {}).get("label")
    return f", {label}" if label else ""


def synthetic_mark(run: RunState) -> str:
    """ " — SYNTHETIC DATA, not real people" for the title of every standalone figure of a synthetic run, else ""."""
    return " — SYNTHETIC DATA, not real people" if run.manifest.get("synthetic") is not None else ""


def disclosure_policy(run: RunState):
    d = run.spec.disclosure
    return get_policy(d.policy, suppress_below=d.suppress_below, round_to=d.round_to)


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Stage:
    """One pipeline stage and its contract.

    Attributes
    ----------
    name : str
        The name the spec's ``stages:`` list uses.
    func : callable
        ``func(run)``; reads the artefacts it declared and publishes its outputs.
    needs : frozenset of str
        Artefacts an earlier stage must provide (``records``, ``area_counts``...).
    uses : frozenset of str
        Artefacts used when an earlier listed stage provides them; without them the stage does less.
    provides : frozenset of str
        Artefacts this stage adds to the run.
    section : str or None
        The optional spec section the stage reads; without it the stage is skipped with a message...
    section_required : bool
        ...unless the stage cannot run without it: then a spec listing the stage without the section is
        refused when it loads.
    secrets : callable or None
        ``secrets(run)`` adds the identifiers and pseudonyms the stage reads to the run's (for the audit to
        search every published file for). It runs when the stage is reused from the stage cache, which never
        keeps them.
    """

    name: str
    func: Callable[[RunState], None]
    needs: frozenset[str] = frozenset()
    uses: frozenset[str] = frozenset()
    provides: frozenset[str] = frozenset()
    section: str | None = None
    section_required: bool = False
    secrets: Callable[[RunState], None] | None = None

    @property
    def summary(self) -> str:
        """The first line of the stage function's docstring."""
        doc = self.func.__doc__ or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""


#: Every stage, by name, in the method's data-flow order (filled by the modules of this package).
STAGES: dict[str, Stage] = {}


def stage(
    name: str,
    *,
    needs: tuple[str, ...] = (),
    uses: tuple[str, ...] = (),
    provides: tuple[str, ...] = (),
    section: str | None = None,
    section_required: bool = False,
    secrets: Callable[[RunState], None] | None = None,
) -> Callable[[Callable[[RunState], None]], Callable[[RunState], None]]:
    """Register a stage function under ``name`` with its contract (see :class:`Stage`)."""

    def register(func: Callable[[RunState], None]) -> Callable[[RunState], None]:
        if name in STAGES:
            raise ValueError(f"stage {name!r} is registered twice")
        STAGES[name] = Stage(
            name, func, frozenset(needs), frozenset(uses), frozenset(provides), section, section_required, secrets
        )
        return func

    return register


def check_stage_order(stages: list[str], sections: Collection[str] | None = None) -> list[tuple[int, str]]:
    """Problems with a spec's stage list, as ``(index in the list, message)``; empty when it can run.

    Every artefact a stage needs must come from a stage listed before it; an artefact a stage uses must, when
    a listed stage provides it, come before it too. The order that would work is computed with
    :class:`graphlib.TopologicalSorter` over the listed stages and suggested in the message. With
    ``sections`` (the spec's sections that are present), a stage whose optional section is absent provides
    nothing (it will be skipped), and a stage that cannot run without its section is a problem.

    Examples
    --------
    >>> check_stage_order(["read", "validate", "aggregate"])[0][1]
    "'aggregate' needs record_areas, which 'assign_areas' provides: add 'assign_areas' before 'aggregate'."
    >>> check_stage_order(["read", "geocode", "assign_areas", "rates", "aggregate"])[0][1]
    "'rates' needs area_counts from 'aggregate', which is listed after it: list read, geocode, assign_areas, \
aggregate, rates."
    """
    listed = [s for s in stages if s in STAGES]
    position = {name: stages.index(name) for name in listed}
    problems: list[tuple[int, str]] = []
    skipped = set()
    if sections is not None:
        for name in listed:
            section = STAGES[name].section
            if section is not None and section not in sections:
                skipped.add(name)
                if STAGES[name].section_required:
                    problems.append((position[name], f"{name!r} reads the '{section}:' section: add it to the spec."))
    providers: dict[str, list[str]] = {}
    for name in listed:
        for artefact in STAGES[name].provides if name not in skipped else ():
            providers.setdefault(artefact, []).append(name)
    graph = {
        name: {p for a in STAGES[name].needs | STAGES[name].uses for p in providers.get(a, []) if p != name}
        for name in listed
    }
    for name in listed:
        contract = STAGES[name]
        for artefact in sorted(contract.needs | contract.uses):
            makers = [p for p in providers.get(artefact, []) if p != name]
            if not makers and artefact in contract.needs:
                registered = [s.name for s in STAGES.values() if artefact in s.provides]
                if set(registered) & skipped:
                    section = STAGES[registered[0]].section
                    problems.append(
                        (
                            position[name],
                            f"{name!r} needs {artefact}, which {registered[0]!r} provides only with a "
                            f"'{section}:' section: add one to the spec.",
                        )
                    )
                    continue
                fix = (
                    f"'{registered[0]}' provides: add {registered[0]!r}" if registered else "no stage provides: add one"
                )
                problems.append((position[name], f"{name!r} needs {artefact}, which {fix} before {name!r}."))
            elif makers and all(position[p] > position[name] for p in makers):
                order = ", ".join(_topological(listed, graph))
                problems.append(
                    (
                        position[name],
                        f"{name!r} needs {artefact} from {makers[0]!r}, which is listed after it: list {order}.",
                    )
                )
    return sorted(problems)


def _topological(listed: list[str], graph: dict[str, set[str]]) -> list[str]:
    """The listed stages in an order that meets every contract, as close to the listed order as it can be.

    :class:`graphlib.TopologicalSorter` gives the stages whose prerequisites are done; of those, the one listed
    first goes next. A contract cycle raises :class:`graphlib.CycleError` (the registry's tests rule it out).
    """
    from graphlib import TopologicalSorter

    sorter = TopologicalSorter(graph)
    sorter.prepare()
    ready: set[str] = set()
    out: list[str] = []
    while sorter.is_active():
        ready.update(sorter.get_ready())
        first = min(ready, key=listed.index)
        ready.discard(first)
        out.append(first)
        sorter.done(first)
    return out
