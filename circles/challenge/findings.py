"""Challenge findings: the method's challenge questions, pre-filled with the evidence the other stages found.

The Circles of Need challenge workshop asks six questions of the services around a segment. Each answer here
is built only from what the run holds (counts already through disclosure control, the codes of the run's
codebook and how often each was raised, service hours), with the number beside each statement, so it can go
straight into a pack:

1. Are we meeting the need sufficiently?
2. Are we prioritising resources in the right areas?
3. Are we proactive enough?
4. Is there duplication of activity?
5. Could we make better use of professional disciplines?
6. Can providers work more seamlessly?

Nothing is canned: a code is quoted by the name the run's codebook gives it and the counts the run published (the
sources and coded passages that raised it, and the participants when their counts are not suppressed: the counts
the pack's "What families told us" table ranks it on, in the same order), a
service by its directory name, a referral route by the name the spec lists. Where a question's evidence is
missing (no notes coded, no codebook, no network, no area statistics), its answer says which evidence is
missing and what would add it, never what a previous study found.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from circles.challenge.coverage import hours_table
from circles.challenge.directory import ServiceDirectory
from circles.challenge.schedules import Period
from circles.qualitative.analysis import ranking_columns

__all__ = ["QUESTIONS", "TOPICS", "need_findings", "challenge_questions", "services_open_late"]

QUESTIONS: tuple[str, ...] = (
    "Are we meeting the need sufficiently?",
    "Are we prioritising resources in the right areas?",
    "Are we proactive enough?",
    "Is there duplication of activity?",
    "Could we make better use of professional disciplines?",
    "Can providers work more seamlessly?",
)

#: Words in the name of a *barrier* code of the run's codebook that make it evidence for a question: opening hours
#: (question 1), help coming late (question 3) and services not working together (question 6). Only the code's own
#: name and the number of times it was raised are quoted; a codebook without such codes gives no such sentence.
TOPICS: dict[str, str] = {
    "hours": r"\b9 ?(?:to|-|–) ?5\b|office hours|out of hours|evening|weekend|night",
    "crisis": r"crisis|too late|early|prevent",
    "joined_up": r"joined|story again|repeat|new worker|every time|co-?ordinat|hand-?off|passed (?:on|around)",
}

#: What each missing piece of evidence is, for the sentence saying it is missing.
NO_NOTES = "No notes were coded in this run, so"
NO_CODEBOOK = (
    "No codebook in this run (no 'coding:' section), so the directory's services cannot be matched to the "
    "families' needs: which needs are met, unmet or met by several services is unknown"
)


def need_findings(coverage: pd.DataFrame, summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per need (any coded item a service can meet): how often it was raised, its services, hours, gaps.

    Parameters
    ----------
    coverage : pandas.DataFrame
        From :func:`circles.challenge.services.need_coverage`: ``code_id``, ``n_services``, ``services``, ``status``,
        ``out_of_hours_gap`` (and ``code_name``/``name``, ``dimension`` when present).
    summary : pandas.DataFrame, optional
        From :func:`circles.qualitative.analysis.dimension_summary`: adds ``segments`` (how often raised). Without
        it (no notes coded) there is no ``segments`` column: how often a need was raised is unknown, not zero.

    Examples
    --------
    >>> cov = pd.DataFrame({"code_id": ["NEE01", "NEE02"], "code_name": ["Out of hours", "Money help"],
    ...     "dimension": ["need", "need"], "n_services": [0, 4], "services": ["", "A; B; C; D"],
    ...     "status": ["unmet", "possible duplication"], "out_of_hours_gap": [False, True]})
    >>> need_findings(cov)["finding"].tolist()
    ['Met by no service.', 'Met by 4 services (possible duplication); none open evenings or weekends.']
    """
    table = coverage.copy()
    if "code_name" in table and "name" not in table:
        table = table.rename(columns={"code_name": "name"})
    if summary is not None:
        raised = summary.set_index("code_id")["segments"] if len(summary) else pd.Series(dtype="int64")
        table["segments"] = table["code_id"].map(raised).fillna(0).astype("int64")
    findings = []
    for row in table.itertuples():
        if row.n_services == 0:
            text = "Met by no service."
        else:
            text = f"Met by {_n(row.n_services, 'service')}"
            text += " (possible duplication)" if row.status == "possible duplication" else ""
            text += "; none open evenings or weekends." if bool(row.out_of_hours_gap) else "."
        findings.append(text)
    table["finding"] = findings
    return table


def challenge_questions(
    findings: pd.DataFrame,
    *,
    summary: pd.DataFrame | None = None,
    many_services: Mapping[int, int | None] | None = None,
    top_pairs: pd.DataFrame | None = None,
    hotspots: Mapping[str, object] | None = None,
    deprivation_share: float | None = None,
    crisis_referrals: float | None = None,
    crisis_sources: Sequence[str] = (),
    duplication_at: int = 3,
    codebook: bool | None = None,
    open_late: tuple[int, int, int] | None = None,
) -> pd.DataFrame:
    """The six challenge questions with the evidence for each, as sentences ready for a pack.

    Every argument but ``findings`` is optional: a question whose evidence is missing says which evidence is
    missing rather than guessing. Counts passed in must already be published values (``None`` for a suppressed
    count).

    Parameters
    ----------
    findings : pandas.DataFrame
        From :func:`need_findings`; empty when the run had no codebook.
    summary : pandas.DataFrame, optional
        The coded needs, barriers, aspirations, fears and provider views with ``segments``; ``None`` when no
        notes were coded.
    many_services, top_pairs : optional
        Families in at least ``k`` services, and the pairs of services sharing most families (the network).
    hotspots : mapping, optional
        ``{"statement": ...}``: the hot spots found, in words.
    deprivation_share : float, optional
        The share of people living in England's most deprived 10% of neighbourhoods.
    crisis_referrals : float, optional
        The published share of records referred by one of ``crisis_sources``.
    crisis_sources : sequence of str
        The referral sources the spec counts as crisis routes (quoted as given).
    duplication_at : int, default 3
        The number of services from which a need is flagged as possible duplication.
    codebook : bool, optional
        Whether the run had a codebook (default: ``findings`` has rows).
    open_late : tuple of int, optional
        The directory's active services open in the evenings or at weekends, those whose hours are given, and
        all of them (:func:`services_open_late`).
    """
    has_codebook = bool(len(findings)) if codebook is None else codebook
    raised = _raised(summary)
    answers = [
        _meeting_need(findings, summary, raised, has_codebook) + _hours(open_late),
        _priorities(hotspots, deprivation_share),
        _proactive(summary, crisis_referrals, crisis_sources),
        _duplication(findings, top_pairs, duplication_at, has_codebook),
        _disciplines(summary),
        _seamless(summary, many_services),
    ]
    return pd.DataFrame({"number": range(1, 7), "question": QUESTIONS, "evidence": [" ".join(a) for a in answers]})


# ------------------------------------------------------------------------------------------------ the questions
def _meeting_need(
    findings: pd.DataFrame, summary: pd.DataFrame | None, raised: pd.DataFrame, has_codebook: bool
) -> list[str]:
    """Question 1: needs met by no service, needs met only in office hours, what was raised most often."""
    if not has_codebook or findings.empty:
        out = [f"{NO_CODEBOOK}."]
    else:
        total = len(findings)
        unmet = findings[findings["n_services"] == 0]
        office = findings[findings["out_of_hours_gap"].astype(bool) & (findings["n_services"] > 0)]
        out = [
            f"Met by no service, {len(unmet)} of the {total} needs and aspirations in the codebook: "
            f"{_names(unmet, summary)}."
            if len(unmet)
            else f"All {total} needs and aspirations in the codebook are met by at least one service."
        ]
        if len(office):
            out.append(
                f"Met only by services closed in the evenings and at weekends, {len(office)} of {total}: "
                f"{_names(office, summary)}."
            )
    if summary is None:
        out.append(f"{NO_NOTES} how often families raised each need is unknown.")
        return out
    hours = _topic(summary, "hours")
    if len(hours):
        out.append(f"Barriers about opening hours raised in the coded notes: {_counted(hours)}.")
    if len(raised):
        out.append(f"Raised most often in the coded notes: {_counted(raised.head(3))}.")
    else:
        out.append("No code was raised in the coded notes.")
    return out


def _hours(open_late: tuple[int, int, int] | None) -> list[str]:
    """Question 1, from the directory alone: how many services are open in the evenings or at weekends."""
    if not open_late or not open_late[2]:
        return []
    late, known, total = open_late
    unknown = f" ({total - known} give no hours)" if known < total else ""
    return [f"The directory lists {_n(total, 'active service')}; {late} open in the evenings or at weekends{unknown}."]


def services_open_late(directory: ServiceDirectory, *, period: Period | None = None) -> tuple[int, int, int]:
    """``(open evenings or weekends, hours given, all)``, counting the directory's active services that are
    current in ``period`` (the opening hours' reference period; default the 52 weeks from today)."""
    hours = hours_table(directory, period=period)
    status = directory.services.set_index("id")["status"].astype(str).str.lower()
    hours = hours[hours["service_id"].map(status).isin(["", "active", "nan"]) & hours["current"].astype(bool)]
    return int(hours["out_of_hours"].sum()), int(hours["hours_known"].sum()), len(hours)


def _priorities(hotspots: Mapping[str, object] | None, deprivation_share: float | None) -> list[str]:
    """Question 2: where the need is concentrated (hot spots) and how deprived those places are."""
    out = []
    if hotspots and hotspots.get("statement"):
        out.append(str(hotspots["statement"]))
    if deprivation_share is not None:
        out.append(
            f"{deprivation_share:.0%} of the people in contact with services live in England's most deprived "
            "10% of neighbourhoods (IMD 2019)."
        )
    if not out:
        out.append(
            "No area statistics in this run: no hot spots found or tested, and no deprivation profile (the "
            "'hotspots' and 'deprivation' stages add them), so where the need is concentrated is unknown."
        )
    return out


def _proactive(summary: pd.DataFrame | None, crisis_referrals: float | None, sources: Sequence[str]) -> list[str]:
    """Question 3: help coming only at crisis point, in the families' words and in the referral routes."""
    out = []
    if summary is None:
        out.append(f"{NO_NOTES} whether families say help comes too late is unknown.")
    else:
        late = _topic(summary, "crisis")
        if len(late):
            out.append(f"Barriers about help coming late raised in the coded notes: {_counted(late)}.")
        else:
            out.append(
                "No barrier coded in the notes names crisis, early help or prevention (the barriers raised most "
                "often are under question 1)."
            )
    routes = _list(list(sources)) if sources else "the crisis routes"
    if crisis_referrals == 0 and sources:
        out.append(
            f"No referral came through the crisis routes listed ({routes}): check they are written as in the "
            "records' referral_source (services.crisis_referrals)."
        )
    elif crisis_referrals is not None:
        out.append(f"{crisis_referrals:.0%} of referrals came through crisis routes ({routes}).")
    else:
        out.append(
            f"The share of referrals through crisis routes ({routes}) is not available: the records have no "
            "referral_source field, no crisis routes are listed (services.crisis_referrals), or the count was "
            "suppressed."
        )
    return out


def _duplication(findings: pd.DataFrame, top_pairs: pd.DataFrame | None, at: int, has_codebook: bool) -> list[str]:
    """Question 4: needs met by several services, and the services sharing most families."""
    if not has_codebook or findings.empty:
        out = [f"{NO_CODEBOOK}."]
    else:
        dup = findings[findings["status"] == "possible duplication"]
        if len(dup):
            listed = _list([f"{r.name} ({_n(r.n_services, 'service')})" for r in dup.itertuples()])
            out = [f"Met by {at} or more services, {len(dup)} of {len(findings)}: {listed}."]
        else:
            out = [f"No need or aspiration in the codebook is met by {at} or more services."]
    if top_pairs is not None and len(top_pairs):
        pair = top_pairs.iloc[0]
        shared = "a small number of" if pd.isna(pair["shared"]) else f"about {int(pair['shared'])}"
        out.append(
            f"The two services sharing most families: {pair['service_a']} and {pair['service_b']} ({shared} "
            "families in both)."
        )
    elif top_pairs is None:
        out.append("No service-overlap network in this run (the 'network' stage), so shared families are unknown.")
    return out


def _disciplines(summary: pd.DataFrame | None) -> list[str]:
    """Question 5: what providers said about their own work."""
    if summary is None:
        return [f"{NO_NOTES} providers' own views are missing."]
    views = summary[summary["dimension"] == "provider view"]
    if not len(views):
        return ["No provider views were coded in the notes of this run."]
    return [f"Providers' own views raised in the coded notes: {_counted(views)}."]


def _seamless(summary: pd.DataFrame | None, many_services: Mapping[int, int | None] | None) -> list[str]:
    """Question 6: families in many services, and barriers about services not working together."""
    out = []
    if many_services:
        parts = [f"{'a few' if n is None else f'about {n}'} in {k} or more" for k, n in sorted(many_services.items())]
        out.append(f"Families in contact with many services: {'; '.join(parts)}.")
    else:
        out.append("No count of families in many services in this run (the 'network' stage adds it).")
    if summary is None:
        out.append(f"{NO_NOTES} whether families find services joined up is unknown.")
    else:
        joined = _topic(summary, "joined_up")
        if len(joined):
            out.append(f"Barriers about services working together raised in the coded notes: {_counted(joined)}.")
        else:
            out.append(
                "No barrier coded in the notes names joined-up working, repeating one's story, new workers or "
                "co-ordination (the barriers raised most often are under question 1)."
            )
    return out


# ------------------------------------------------------------------------------------------------ helpers
def _raised(summary: pd.DataFrame | None) -> pd.DataFrame:
    """The codes raised at least once, most raised first by the counts the published table ranks on (participants,
    sources, segments; sources then segments when participant counts are suppressed), provider views excluded
    (they are question 5's)."""
    if summary is None or summary.empty:
        return pd.DataFrame(columns=["code_id", "name", "dimension", "segments"])
    segments = pd.to_numeric(summary["segments"], errors="coerce")
    table = summary[(summary["dimension"] != "provider view") & (segments.isna() | (segments > 0))]  # NaN: suppressed
    by = [c for c in ranking_columns(summary) if c in table]
    keys = pd.DataFrame({c: pd.to_numeric(table[c], errors="coerce").fillna(0) for c in by}, index=table.index)
    return table.loc[keys.sort_values(by, ascending=False, kind="stable").index]


def _topic(summary: pd.DataFrame, topic: str) -> pd.DataFrame:
    """The barriers raised whose names match one of :data:`TOPICS`, most often first."""
    barriers = _raised(summary)
    barriers = barriers[barriers["dimension"] == "barrier"]
    return barriers[barriers["name"].astype(str).str.contains(TOPICS[topic], flags=re.IGNORECASE, regex=True)]


def _counted(codes: pd.DataFrame) -> str:
    """``'A' (4 sources, 8 passages) and 'B' (1 source, 1 passage)``: each code's name and the published counts
    its table ranks it on (a suppressed count is never printed)."""
    by = [c for c in ranking_columns(codes) if c in codes]
    return _list([f"'{r.name}'" + _counts(r, by) for r in codes.itertuples()])


def _counts(row: object, columns: Sequence[str]) -> str:
    """`` (4 sources, 8 passages)``: the published counts of ``columns``; suppressed (missing) ones left out."""
    parts = []
    for column in columns:
        value = pd.to_numeric(getattr(row, column, None), errors="coerce")
        if not pd.isna(value):
            parts.append(_n(int(value), _COUNT_WORDS[column]))
    return f" ({', '.join(parts)})" if parts else ""


#: How a count of each column of the dimension summary is said.
_COUNT_WORDS = {"participants": "participant", "sources": "source", "segments": "passage"}


def _names(rows: pd.DataFrame, summary: pd.DataFrame | None) -> str:
    """Needs by name, with the coded passages that raised each when notes were coded (the needs table's
    "Raised" column)."""
    if summary is None or "segments" not in rows:
        return _list(rows["name"].tolist())
    return _list(
        [
            f"{r.name} (raised in {_n(int(r.segments), 'passage')})"
            if not pd.isna(r.segments) and r.segments
            else f"{r.name} (not raised)"
            for r in rows.itertuples()
        ]
    )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _list(names: list[str]) -> str:
    names = [str(n) for n in names]
    if not names:
        return "none"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
