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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
from circles.challenge.schedules import Period
from circles.ingest.disclosure import DisclosurePolicy, protect_table
from circles.qualitative.model import Codebook
from circles.validation import suggest

__all__ = [
    "ChallengeResult",
    "agency_map",
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
    pairs : pandas.DataFrame
        Every pair tested against chance (:func:`~circles.challenge.network.overlap_tests`).
    agencies : pandas.DataFrame or None
        How each record's service was mapped to an agency (:func:`agency_map`); ``None`` without a directory.
    unit : str
        What a node is: ``"agency"`` (mapped to the directory) or ``"service"`` (the records' own services).
    """

    edges: pd.DataFrame
    caseloads: pd.Series
    graph: nx.Graph
    measures: pd.DataFrame
    families_in_many: pd.DataFrame
    combinations: pd.DataFrame
    weight: str
    pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    agencies: pd.DataFrame | None = None
    unit: str = "service"

    @property
    def unmapped(self) -> list[str]:
        """The agencies that match no organisation of the directory and keep their own name (sorted)."""
        if self.agencies is None:
            return []
        return sorted(set(self.agencies.loc[self.agencies["matched"] == "", "agency"].astype(str)))

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
    agencies: pd.DataFrame | None = None

    @property
    def many_services(self) -> dict[int, int | None]:
        """Published families in at least ``k`` services, by ``k`` (``None`` for a suppressed count)."""
        return {int(r.min_services): (None if pd.isna(r.families) else int(r.families)) for r in self.many.itertuples()}

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by their path in a run's output folder."""
        tables = {
            "network/service_pairs.csv": self.pairs,
            "network/services.csv": self.services,
            "network/families_in_many_services.csv": self.many,
            "network/combinations.csv": self.combinations,
        }
        return tables if self.agencies is None else tables | {"network/agencies.csv": self.agencies}


@dataclass(frozen=True)
class NeedsDirectory:
    """A service directory with the codebook its needs refer to (``None`` without one)."""

    directory: ServiceDirectory
    codebook: Codebook | None
    period: Period | None = None  # the opening hours' reference period (None: the 52 weeks from today)


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


_STOP_WORDS = frozenset({"the", "of", "for", "and", "service", "services"})


def _words(name: object) -> frozenset[str]:
    """The words of a name that identify it: case, punctuation, numbers, plurals and filler words ignored
    (``"GP practice 07"`` and ``"GP practices"`` both give ``{"gp", "practice"}``)."""
    text = str(name).casefold().replace("&", " and ").replace("'", "").replace("’", "")
    words = (w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"[a-z0-9]+", text))
    return frozenset(w for w in words if not w.isdigit() and w not in _STOP_WORDS)


def _directory_names(directory: ServiceDirectory) -> list[tuple[frozenset[str], str, str]]:
    """(words, organisation name, what matched) for each organisation's and each service's name and id."""
    organisations = dict(zip(directory.organisations["id"], directory.organisations["name"], strict=True))
    entries = [(_words(v), name, f"organisation {v!r}") for i, name in organisations.items() for v in (name, i)]
    for row in directory.services.itertuples(index=False):
        owner = organisations.get(row.organisation_id) or row.name
        entries += [(_words(v), owner, f"service {v!r}") for v in (row.name, row.id)]
    return [e for e in entries if e[0]]


def _match(name: object, entries: list[tuple[frozenset[str], str, str]]) -> tuple[str, str] | None:
    """The one organisation whose directory name has the same words as ``name`` or, failing that, words that all
    appear in ``name`` (or the other way round); ``None`` when none does or several organisations do."""
    words = _words(name)
    if not words:
        return None
    for test in (lambda w: w == words, lambda w: w <= words or words <= w):
        found = [(org, how) for w, org, how in entries if test(w)]
        if len({org for org, _ in found}) == 1:
            return found[0]
        if found:
            return None
    return None


def agency_map(
    records: pd.DataFrame,
    directory: ServiceDirectory,
    *,
    service: str = "service",
    provider: str | None = "provider",
    agencies: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Which agency of the directory each record's service belongs to, so the network and the circle share names.

    For each distinct ``(service, provider)`` of the records, the agency is the first of: the spec's explicit
    ``agencies`` entry for the provider or the service; the directory organisation whose organisation or
    service name (or id) has the same words as the provider, then as the service; the one organisation whose
    name's words all appear in the provider's (or the service's), or the other way round. Words ignore case,
    punctuation, numbers, plurals and ``the/of/for/and/service`` (``"GP practice 07"`` is ``"GP practices"``).
    A name matching several organisations matches none. What matches nothing keeps its own name (the provider's
    when there is one, else the service's) and ``matched`` is empty: list these to the analyst, never drop them.

    Returns
    -------
    pandas.DataFrame
        ``service``, ``provider``, ``agency``, ``matched`` (how: ``"provider = service 'Lifeline'"``); one row per
        distinct pair, sorted. Names only, no counts.

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.challenge.directory import ServiceDirectory
    >>> d = ServiceDirectory(
    ...     organisations=pd.DataFrame({"id": ["c"], "name": ["The Council"], "description": [""]}),
    ...     services=pd.DataFrame({"id": ["h"], "organisation_id": ["c"], "name": ["Housing"], "description": [""],
    ...                            "status": [""]}))
    >>> r = pd.DataFrame({"service": ["Tenancy", "Tenancy", "Drink driving"],
    ...                   "provider": ["Council housing options team", "Landlord", "Police"]})
    >>> for row in agency_map(r, d).itertuples():
    ...     print(f"{row.provider} -> {row.agency} ({row.matched or 'no match'})")
    Police -> Police (no match)
    Council housing options team -> The Council (provider ≈ organisation 'The Council')
    Landlord -> Landlord (no match)
    """
    explicit = {str(k): str(v) for k, v in (agencies or {}).items()}
    entries = _directory_names(directory)
    has_provider = bool(provider) and provider in records and records[provider].notna().any()
    columns = [service, provider] if has_provider else [service]
    pairs = records[columns].dropna(subset=[service]).drop_duplicates()
    rows = []
    for values in pairs.itertuples(index=False):
        svc = values[0]
        prov = values[1] if has_provider and pd.notna(values[1]) else None
        agency, how = None, ""
        for column, name in (("provider", prov), ("service", svc)):
            if name is not None and str(name) in explicit:
                agency, how = explicit[str(name)], f"{column} named in the spec's network agencies"
                break
        for column, name in (("provider", prov), ("service", svc)):
            found = None if agency or name is None else _match(name, entries)
            if found:
                same = _words(name) == _words(found[1].split("'")[1])
                agency, how = found[0], f"{column} {'=' if same else '≈'} {found[1]}"
        rows.append((svc, prov, agency or (prov if prov is not None else svc), how))
    table = pd.DataFrame(rows, columns=["service", "provider", "agency", "matched"])
    return table.sort_values(["service", "provider"], key=lambda c: c.astype(str)).reset_index(drop=True)


def overlap_network(
    records: pd.DataFrame,
    *,
    family: str = "family_id",
    service: str = "service",
    min_shared: int = 1,
    weight: str = "shared",
    combinations: int | None = 15,
    seed: int = 42,
    alpha: float | None = None,
    directory: ServiceDirectory | None = None,
    provider: str | None = "provider",
    agencies: Mapping[str, str] | None = None,
) -> NetworkResult:
    """Which agencies work with the same families: the overlap network, its measures, families in many of them.

    With a ``directory``, each record's service is first mapped to the directory's organisation
    (:func:`agency_map`), so the nodes are agencies named as in the circle of need; without one the nodes are
    the records' services. Every pair is tested against chance (:func:`~circles.challenge.network.overlap_tests`:
    lift with a one-sided hypergeometric test, Benjamini–Hochberg FDR); with ``alpha`` the graph keeps only the
    pairs sharing more families than chance (``lift > 1``, ``q < alpha``), so an agency in contact with every
    family links to nothing. ``alpha=None`` keeps every pair sharing ``min_shared`` families.

    Parameters
    ----------
    records : pandas.DataFrame
        One row per contact, with a ``family`` and a ``service`` column.
    family, service : str
        The columns naming the family and the service.
    min_shared : int
        The fewest shared families for a pair to be an edge.
    weight : str
        The edge weight of the graph and its measures (``shared``, ``jaccard``, ``overlap`` or ``lift``).
    combinations : int or None
        How many of the commonest combinations to keep (``None``: all).
    seed : int
        Seed of the community detection.
    alpha : float or None
        The false discovery rate at which pairs are kept; ``None`` keeps all pairs (no test applied).
    directory : ServiceDirectory, optional
        The service directory whose organisations name the agencies.
    provider : str or None, default "provider"
        A column naming who provided the service, matched before the service (ignored when absent).
    agencies : mapping, optional
        Explicit ``record service or provider → agency`` names, before any matching.

    Raises
    ------
    NetworkError
        When the records lack the family or service column.

    Examples
    --------
    >>> import pandas as pd
    >>> fams = [f"F{i}" for i in range(40)]
    >>> r = pd.DataFrame({"family_id": fams + fams[:10] + fams[2:12], "service": ["A"] * 40 + ["B"] * 10 + ["C"] * 10})
    >>> result = overlap_network(r, alpha=0.05)
    >>> list(result.graph.edges), result.unit
    ([('B', 'C')], 'service')
    """
    for column in (family, service):
        if column not in records:
            raise network.NetworkError(
                f"network: the records have no field {column!r}.{suggest(column, records.columns)}"
            )
    mapped = None
    if directory is not None:
        mapped = agency_map(records, directory, service=service, provider=provider, agencies=agencies)
        on = [service, provider] if provider and provider in records and records[provider].notna().any() else [service]
        records = records[[family, *on]].merge(
            mapped.rename(columns={"service": service, "provider": provider})[[*on, "agency"]], on=on, how="left"
        )
        service = "agency"
    keys = {"family": family, "service": service}
    pairs = network.overlap_tests(records, alpha=alpha or 0.05, **keys)
    edges = pairs[(pairs["shared"] >= min_shared) & (pairs["kept"] if alpha is not None else True)]
    caseloads = network.service_caseloads(records, **keys)
    graph = network.overlap_graph(edges.reset_index(drop=True), caseloads, weight=weight)
    graph.graph["families"] = int(records[[family, service]].dropna()[family].nunique())
    return NetworkResult(
        edges=edges.reset_index(drop=True),
        caseloads=caseloads,
        graph=graph,
        measures=network.network_measures(graph, weight=weight, seed=seed),
        families_in_many=network.families_in_many(records, **keys),
        combinations=network.service_combinations(records, combinations, **keys),
        weight=weight,
        pairs=pairs,
        agencies=mapped,
        unit="agency" if mapped is not None else "service",
    )


def publish_network(result: NetworkResult, policy: DisclosurePolicy) -> PublishedNetwork:
    """The network's tables with ``policy`` applied: small counts suppressed and rounded.

    ``pairs`` is every pair tested (:func:`~circles.challenge.network.publishable_pairs`: lift and expected from
    published counts, suppressed with the count), most shared families first; ``agencies`` the name mapping.
    """
    pairs = result.pairs if len(result.pairs.columns) else result.edges
    publish = network.publishable_pairs if "lift" in pairs.columns else network.publishable_edges
    return PublishedNetwork(
        pairs=publish(pairs, policy),
        services=network.publishable_measures(result.measures, policy, weight=result.weight),
        many=protect_table(result.families_in_many, ["families", "all_families"], policy),
        combinations=protect_table(result.combinations.drop(columns="services"), ["families"], policy),
        agencies=result.agencies,
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
    period: Period | None = None,
) -> ChallengeResult:
    """The six challenge questions, answered with the evidence given.

    Need coverage of ``directory`` (needs and aspirations of ``codebook``), findings per need with the mentions
    in ``summary`` (:attr:`~circles.qualitative.study.CodingResult.dimension_summary`), then the questions.
    Every count passed in must already be published (``None`` for a suppressed one); evidence that is
    missing is said to be missing. ``hotspots_statement`` is quoted inside "Hot spots (...)";
    ``crisis_sources`` are the referral sources ``crisis_share`` counted, quoted by name. Opening hours are
    averaged over ``period`` (:func:`~circles.challenge.schedules.reference_period`; default the 52 weeks from
    today), and a service with no session in it is not counted as meeting a need.

    Without a ``codebook`` (a run with no ``coding:`` section) the directory's services cannot be matched to
    needs: the findings are empty and the questions say so. Without a ``summary`` (no notes coded) the
    questions say how often each need was raised is unknown.
    """
    if codebook is None:
        coverage = pd.DataFrame({c: pd.Series(dtype=t) for c, t in _COVERAGE_COLUMNS.items()})
    else:
        coverage = need_coverage(
            directory, codebook, duplication_threshold=duplication_at, dimensions=["need", "aspiration"], period=period
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
        open_late=services_open_late(directory, period=period),
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
