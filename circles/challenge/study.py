"""The challenge study, end to end: the service-overlap network and the six challenge questions.

:func:`overlap_network` is what the pipeline's ``network`` stage calls, and what a notebook calls to get the
same tables: the pairs of services sharing families, the caseloads, the graph and its measures, the families
in many services and the commonest combinations of services. It returns a :class:`NetworkResult`;
disclosure control is the caller's (:func:`publish_network` applies a policy and returns the
:class:`PublishedNetwork` the challenge questions quote).

:func:`read_directory` reads a service directory in any of the formats the pipeline accepts, and
:func:`answer_challenge` is what the ``challenge`` stage calls: need coverage, per-need findings and the six
questions, returned as a :class:`ChallengeResult`. Counts passed to it must already be published values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from circles.challenge import network
from circles.challenge.coverage import need_coverage
from circles.challenge.directory import ServiceDirectory
from circles.challenge.directory_yaml import read_services_yaml
from circles.challenge.findings import challenge_questions, need_findings, services_open_late
from circles.challenge.hsds import import_hsds
from circles.challenge.open_referral import import_open_referral
from circles.ingest.disclosure import DisclosurePolicy, protect_table
from circles.qualitative.model import Codebook
from circles.validation import suggest

__all__ = [
    "ChallengeResult",
    "NeedsDirectory",
    "NetworkResult",
    "PublishedNetwork",
    "answer_challenge",
    "crisis_referral_share",
    "overlap_network",
    "publish_network",
    "read_directory",
]

#: The columns of the published per-need findings, in order (those the findings have).
NEED_COLUMNS = (
    "code_id",
    "name",
    "dimension",
    "segments",
    "n_services",
    "services",
    "out_of_hours_services",
    "status",
    "out_of_hours_gap",
    "finding",
)

#: The columns of :func:`~circles.challenge.coverage.need_coverage`, for the empty table of a run without a codebook.
_COVERAGE_COLUMNS = {
    "code_id": object,
    "code_name": object,
    "dimension": object,
    "n_services": "int64",
    "services": object,
    "n_out_of_hours": "int64",
    "out_of_hours_services": object,
    "status": object,
    "out_of_hours_gap": bool,
}

#: Readers of a service directory, by the ``format`` of the spec's ``services:`` section.
READERS = {"yaml": read_services_yaml, "hsds": import_hsds, "open_referral": import_open_referral}


@dataclass(frozen=True)
class NetworkResult:
    """What :func:`overlap_network` found, before disclosure control.

    Attributes
    ----------
    edges : pandas.DataFrame
        Pairs of services sharing at least ``min_shared`` families (:func:`~circles.challenge.service_overlap`).
    caseloads : pandas.Series
        Distinct families per service.
    graph : networkx.Graph
        The service graph (:func:`~circles.challenge.overlap_graph`).
    measures : pandas.DataFrame
        Per service: centrality and community (:func:`~circles.challenge.network_measures`).
    families_in_many : pandas.DataFrame
        Families in contact with at least 3, 5 and 7 services.
    combinations : pandas.DataFrame
        The commonest exact sets of services per family.
    weight : str
        The edge weight the graph and measures use.
    """

    edges: pd.DataFrame
    caseloads: pd.Series
    graph: nx.Graph
    measures: pd.DataFrame
    families_in_many: pd.DataFrame
    combinations: pd.DataFrame
    weight: str

    @property
    def communities(self) -> list[str]:
        """The names of the communities found, sorted (empty when none were named)."""
        if "community_name" not in self.measures:
            return []
        return sorted(self.measures["community_name"].unique().tolist())


@dataclass(frozen=True)
class PublishedNetwork:
    """The network's tables after disclosure control: what is published and what the challenge questions quote."""

    pairs: pd.DataFrame
    services: pd.DataFrame
    many: pd.DataFrame
    combinations: pd.DataFrame

    @property
    def many_services(self) -> dict[int, int | None]:
        """Published families in at least ``k`` services, by ``k`` (``None`` for a suppressed count)."""
        return {int(r.min_services): (None if pd.isna(r.families) else int(r.families)) for r in self.many.itertuples()}

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by their path in a run's output folder."""
        return {
            "network/service_pairs.csv": self.pairs,
            "network/services.csv": self.services,
            "network/families_in_many_services.csv": self.many,
            "network/combinations.csv": self.combinations,
        }


@dataclass(frozen=True)
class NeedsDirectory:
    """A service directory with the codebook its needs refer to (``None`` without one)."""

    directory: ServiceDirectory
    codebook: Codebook | None


@dataclass(frozen=True)
class ChallengeResult:
    """What :func:`answer_challenge` found.

    Attributes
    ----------
    findings : pandas.DataFrame
        Per need and aspiration: the services meeting it, its status and the finding in words.
    needs : pandas.DataFrame
        ``findings`` restricted to the published columns (:data:`NEED_COLUMNS`).
    answers : pandas.DataFrame
        The six questions with their evidence (``number``, ``question``, ``evidence``).
    markdown : str
        The questions and evidence as a markdown document.
    summary : dict
        Code ids that are ``unmet``, show ``possible_duplication`` or are ``office_hours_only``.
    """

    findings: pd.DataFrame
    needs: pd.DataFrame
    answers: pd.DataFrame
    markdown: str
    summary: dict[str, list[str]]


def overlap_network(
    records: pd.DataFrame,
    *,
    family: str = "family_id",
    service: str = "service",
    min_shared: int = 1,
    weight: str = "shared",
    combinations: int | None = 15,
    seed: int = 42,
) -> NetworkResult:
    """Which services work with the same families: the overlap network, its measures, families in many services.

    Parameters
    ----------
    records : pandas.DataFrame
        One row per contact, with a ``family`` and a ``service`` column.
    family, service : str
        The columns naming the family and the service.
    min_shared : int
        The fewest shared families for a pair of services to be an edge.
    weight : str
        The edge weight of the graph and its measures (a column of :func:`~circles.challenge.service_overlap`).
    combinations : int or None
        How many of the commonest combinations of services to keep (``None``: all).
    seed : int
        Seed of the community detection.

    Raises
    ------
    NetworkError
        When the records lack the family or service column.
    """
    for column in (family, service):
        if column not in records:
            raise network.NetworkError(
                f"network: the records have no field {column!r}.{suggest(column, records.columns)}"
            )
    keys = {"family": family, "service": service}
    edges = network.service_overlap(records, min_shared=min_shared, **keys)
    caseloads = network.service_caseloads(records, **keys)
    graph = network.overlap_graph(edges, caseloads, weight=weight)
    return NetworkResult(
        edges=edges,
        caseloads=caseloads,
        graph=graph,
        measures=network.network_measures(graph, weight=weight, seed=seed),
        families_in_many=network.families_in_many(records, **keys),
        combinations=network.service_combinations(records, combinations, **keys),
        weight=weight,
    )


def publish_network(result: NetworkResult, policy: DisclosurePolicy) -> PublishedNetwork:
    """The network's tables with ``policy`` applied: small counts suppressed and rounded."""
    return PublishedNetwork(
        pairs=network.publishable_edges(result.edges, policy),
        services=network.publishable_measures(result.measures, policy, weight=result.weight),
        many=protect_table(result.families_in_many, ["families", "all_families"], policy),
        combinations=protect_table(result.combinations.drop(columns="services"), ["families"], policy),
    )


def read_directory(path: str | Path, *, format: str = "yaml", codebook: Codebook | None = None) -> ServiceDirectory:
    """A service directory in one of the :data:`READERS` formats: ``yaml``, ``hsds`` or ``open_referral``."""
    return READERS[format](path, codebook=codebook)


def crisis_referral_share(
    records: pd.DataFrame | None, referrals: Sequence[str], policy: DisclosurePolicy
) -> float | None:
    """The published share of records referred by a crisis source; ``None`` when it cannot be shown.

    Both the crisis count and the total are protected with ``policy`` first; ``None`` without a
    ``referral_source`` column, when either count is suppressed, or when the total is zero.
    """
    if records is None or "referral_source" not in records:
        return None
    counted = pd.DataFrame({"n": [int(records["referral_source"].isin(referrals).sum()), len(records)]})
    published = protect_table(counted, ["n"], policy)["n"]
    if published.notna().all() and published.iloc[1]:
        return float(published.iloc[0] / published.iloc[1])
    return None


def answer_challenge(
    directory: ServiceDirectory,
    codebook: Codebook | str | Path | None,
    *,
    summary: pd.DataFrame | None = None,
    duplication_at: int = 3,
    many_services: Mapping[int, int | None] | None = None,
    top_pairs: pd.DataFrame | None = None,
    hotspots_statement: str | None = None,
    deprivation_share: float | None = None,
    crisis_share: float | None = None,
    crisis_sources: Sequence[str] = (),
) -> ChallengeResult:
    """The six challenge questions, answered with the evidence given.

    Need coverage of ``directory`` (needs and aspirations of ``codebook``), findings per need with the mentions
    in ``summary`` (:attr:`~circles.qualitative.study.CodingResult.dimension_summary`), then the questions.
    Every count passed in must already be published (``None`` for a suppressed one); evidence that is
    missing is said to be missing. ``hotspots_statement`` is quoted inside "Hot spots (...)";
    ``crisis_sources`` are the referral sources ``crisis_share`` counted, quoted by name.

    Without a ``codebook`` (a run with no ``coding:`` section) the directory's services cannot be matched to
    needs: the findings are empty and the questions say so. Without a ``summary`` (no notes coded) the
    questions say how often each need was raised is unknown.
    """
    if codebook is None:
        coverage = pd.DataFrame({c: pd.Series(dtype=t) for c, t in _COVERAGE_COLUMNS.items()})
    else:
        coverage = need_coverage(
            directory, codebook, duplication_threshold=duplication_at, dimensions=["need", "aspiration"]
        )
    findings = need_findings(coverage, summary)
    answers = challenge_questions(
        findings,
        summary=summary,
        many_services=many_services,
        top_pairs=top_pairs,
        hotspots={"statement": f"Hot spots ({hotspots_statement})."} if hotspots_statement else None,
        deprivation_share=deprivation_share,
        crisis_referrals=crisis_share,
        crisis_sources=crisis_sources,
        duplication_at=duplication_at,
        codebook=codebook is not None,
        open_late=services_open_late(directory),
    )
    body = "\n\n".join(f"## {r.number}. {r.question}\n\n{r.evidence}" for r in answers.itertuples())
    outcome: dict[str, Any] = {
        "unmet": findings.loc[findings["n_services"] == 0, "code_id"].tolist(),
        "possible_duplication": findings.loc[findings["status"] == "possible duplication", "code_id"].tolist(),
        "office_hours_only": findings.loc[findings["out_of_hours_gap"].astype(bool), "code_id"].tolist(),
    }
    return ChallengeResult(
        findings=findings,
        needs=findings[[c for c in NEED_COLUMNS if c in findings]],
        answers=answers,
        markdown="# Challenge questions\n\n" + body + "\n",
        summary=outcome,
    )
