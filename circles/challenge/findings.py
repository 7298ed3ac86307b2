"""Challenge findings: the method's challenge questions, pre-filled with the evidence the other stages found.

The Circles of Need challenge workshop asks six questions of the services around a segment. Each answer here
is a short statement built only from published figures (counts already through disclosure control, codes
and their mention counts, service hours) so it can go straight into a pack:

1. Are we meeting the need sufficiently?
2. Are we prioritising resources in the right areas?
3. Are we proactive enough?
4. Is there duplication of activity?
5. Could we make better use of professional disciplines?
6. Can providers work more seamlessly?
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["QUESTIONS", "need_findings", "challenge_questions"]

QUESTIONS: tuple[str, ...] = (
    "Are we meeting the need sufficiently?",
    "Are we prioritising resources in the right areas?",
    "Are we proactive enough?",
    "Is there duplication of activity?",
    "Could we make better use of professional disciplines?",
    "Can providers work more seamlessly?",
)


def need_findings(coverage: pd.DataFrame, summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per need (any coded item a service can meet): how often it was raised, its services, hours, gaps.

    Parameters
    ----------
    coverage : pandas.DataFrame
        From :func:`circles.challenge.services.need_coverage`: ``code_id``, ``n_services``, ``services``, ``status``,
        ``out_of_hours_gap`` (and ``code_name``/``name``, ``dimension`` when present).
    summary : pandas.DataFrame, optional
        From :func:`circles.qualitative.analysis.dimension_summary`: adds ``segments`` (how often raised).

    Examples
    --------
    >>> cov = pd.DataFrame({"code_id": ["NEE01", "NEE02"], "code_name": ["Out of hours", "Money help"],
    ...     "dimension": ["need", "need"], "n_services": [0, 4], "services": ["", "A; B; C; D"],
    ...     "status": ["unmet", "possible duplication"], "out_of_hours_gap": [False, True]})
    >>> need_findings(cov)["finding"].tolist()
    ['Met by no service.', 'Met by 4 services (possible duplication); only in office hours.']
    """
    table = coverage.copy()
    if "code_name" in table and "name" not in table:
        table = table.rename(columns={"code_name": "name"})
    if summary is not None and len(summary):
        raised = summary.set_index("code_id")["segments"]
        table["segments"] = table["code_id"].map(raised).fillna(0).astype("int64")
    findings = []
    for row in table.itertuples():
        if row.n_services == 0:
            text = "Met by no service."
        else:
            text = f"Met by {row.n_services} service{'s' if row.n_services != 1 else ''}"
            text += " (possible duplication)" if row.status == "possible duplication" else ""
            text += "; only in office hours." if bool(row.out_of_hours_gap) else "."
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
) -> pd.DataFrame:
    """The six challenge questions with the evidence for each, as sentences ready for a pack.

    Every argument but ``findings`` is optional: a question whose evidence is missing says so rather than
    guessing. Counts passed in must already be published values (``None`` for a suppressed count).
    """
    raised = _raised(summary)
    unmet = findings.loc[findings["n_services"] == 0, "name"].tolist()
    dup = findings.loc[findings["status"] == "possible duplication", "name"].tolist()
    office = findings.loc[findings["out_of_hours_gap"].astype(bool) & (findings["n_services"] > 0), "name"].tolist()
    evidence: dict[str, list[str]] = {q: [] for q in QUESTIONS}

    q1 = evidence[QUESTIONS[0]]
    q1.append(f"Needs met by no service: {_list(unmet)}." if unmet else "Every need raised is met by some service.")
    if office:
        q1.append(
            f"Needs met only in office hours: {_list(office)} — the families' own complaint was support only 9 to 5."
        )
    if raised:
        q1.append(f"Raised most often: {_list(raised[:3])}.")

    q2 = evidence[QUESTIONS[1]]
    if hotspots:
        q2.append(str(hotspots.get("statement", "")))
    if deprivation_share is not None:
        q2.append(
            f"{deprivation_share:.0%} of the people in contact with services live in England's most deprived "
            "10% of neighbourhoods."
        )
    if not q2:
        q2.append("No area statistics in this run (hotspots and deprivation stages not run).")

    q3 = evidence[QUESTIONS[2]]
    crisis = _mentions(summary, "BAR01")
    if crisis:
        q3.append(f"'Help only at crisis point' was raised {crisis} times in workshops and interviews.")
    if crisis_referrals is not None:
        q3.append(f"{crisis_referrals:.0%} of referrals came through crisis routes (A&E, police).")
    if not q3:
        q3.append("No evidence on timing of help in this run.")

    q4 = evidence[QUESTIONS[3]]
    q4.append(f"Needs met by several services: {_list(dup)}." if dup else "No need is met by three or more services.")
    if top_pairs is not None and len(top_pairs):
        pair = top_pairs.iloc[0]
        shared = "a small number of" if pd.isna(pair["shared"]) else f"about {int(pair['shared'])}"
        q4.append(
            f"The two services sharing most families: {pair['service_a']} and {pair['service_b']} ({shared} "
            "families in both)."
        )

    q5 = evidence[QUESTIONS[4]]
    views = [] if summary is None else summary.loc[summary["dimension"] == "provider view", "name"].tolist()
    q5.append(f"Providers' own views: {_list(views)}." if views else "No provider views coded in this run.")

    q6 = evidence[QUESTIONS[5]]
    if many_services:
        parts = [f"{'a few' if n is None else f'about {n}'} in {k} or more" for k, n in sorted(many_services.items())]
        q6.append(f"Families in contact with many services: {'; '.join(parts)}.")
    for code, label in (("BAR03", "Telling my story again to every new service"), ("BAR04", "Services not joined up")):
        n = _mentions(summary, code)
        if n:
            q6.append(f"'{label}' was raised {n} times.")
    if not q6:
        q6.append("No evidence on joint working in this run.")

    return pd.DataFrame(
        {"number": range(1, 7), "question": QUESTIONS, "evidence": [" ".join(e) for e in evidence.values()]}
    )


def _raised(summary: pd.DataFrame | None) -> list[str]:
    if summary is None or summary.empty:
        return []
    return summary.sort_values("segments", ascending=False, kind="stable")["name"].tolist()


def _mentions(summary: pd.DataFrame | None, code_id: str) -> int:
    if summary is None or summary.empty:
        return 0
    hit = summary.loc[summary["code_id"] == code_id, "segments"]
    return int(hit.iloc[0]) if len(hit) else 0


def _list(names: list[str]) -> str:
    names = [str(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else "none"
