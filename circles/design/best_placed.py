"""Who is best placed to meet each need: candidate services scored on five criteria, weighted, ranked.

For each need of the codebook, the candidates are the services the directory says meet it
(:func:`circles.challenge.coverage.needs_met`). Each is scored from 0 to 1 on:

``meets``        breadth: how many of the segment's needs the service meets, over the most any service meets
                 (one door for more of a family's needs means telling the story fewer times);
``hours``        out-of-hours cover: 1 when open around the clock, else ½ for evenings plus ½ for weekends
                 (:func:`circles.challenge.coverage.hours_table`); 0 when the hours are unknown;
``reach``        the mean, over the distance bands (1, 2 and 5 km), of the share of the segment's families whose
                 home area's population-weighted centroid lies within that distance of one of the service's
                 locations (:func:`reach_shares`). Scored only when the directory gives service locations and the
                 centroids are known; otherwise left out and the result says why (never guessed);
``caseload``     the segment's families its organisation already works with (published counts), over the most of
                 any candidate for the same need (a suppressed count scores 0);
``duplication``  1 minus the share of the service's needs that are possible duplication (met by
                 ``duplication_at`` services or more, as the challenge table judges it).

The score is the weighted mean of the criteria scored, with the weights normalised to add up to 1 over them
(a facilitator changes ``design.best_placed.weights`` in the spec and re-runs). Pure functions of DataFrames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from circles.errors import SourceError

__all__ = ["NO_SERVICE", "CRITERIA", "BestPlacedResult", "best_placed", "normalised_weights", "reach_shares"]

#: ``service_name`` of the row of a need no service in the directory meets.
NO_SERVICE = "No service in the directory meets this need"
#: The criteria, in the order the table gives them.
CRITERIA: tuple[str, ...] = ("meets", "hours", "reach", "caseload", "duplication")


@dataclass(frozen=True)
class BestPlacedResult:
    """Candidate services per need, scored and ranked, as :func:`best_placed` returns them.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per need and candidate service: ``code_id``, ``code_name``, ``rank`` (1 best), ``service_id``,
        ``service_name``, ``organisation``, ``<criterion>_score`` for each criterion (blank when not scored),
        ``score``, and the evidence: ``needs_met`` (of the segment's needs), ``out_of_hours``, ``families``
        (the organisation's published caseload).
    weights : pandas.DataFrame
        ``criterion``, ``weight`` (as given), ``normalised`` (over the criteria scored), ``scored``, ``note``.
    reach_note : str or None
        Why reach was not scored (``None`` when it was).
    """

    table: pd.DataFrame
    weights: pd.DataFrame
    reach_note: str | None


def normalised_weights(weights: Mapping[str, float], scored: Sequence[str]) -> dict[str, float]:
    """The weights of the ``scored`` criteria, divided by their sum (criteria not given weigh 0).

    Raises
    ------
    SourceError
        An unknown criterion, a negative weight, or no scored criterion with a weight above 0.

    Examples
    --------
    >>> normalised_weights({"meets": 2, "hours": 1, "reach": 1}, ["meets", "hours"])
    {'meets': 0.6666666666666666, 'hours': 0.3333333333333333}
    """
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        raise SourceError(
            f"best placed: unknown criterion {unknown[0]!r} in the weights; criteria: {', '.join(CRITERIA)}"
        )
    if any(float(w) < 0 for w in weights.values()):
        raise SourceError("best placed: a weight is 0 or more.")
    total = sum(float(weights.get(c, 0.0)) for c in scored)
    if total <= 0:
        raise SourceError(
            f"best placed: no criterion scored ({', '.join(scored)}) has a weight above 0; give one a weight."
        )
    return {c: float(weights.get(c, 0.0)) / total for c in scored}


def _hours_score(hours: pd.DataFrame) -> pd.Series:
    known = hours["hours_known"].astype(bool)
    score = 0.5 * hours["evenings"].astype(float) + 0.5 * hours["weekends"].astype(float)
    score = np.where(hours["always_open"].astype(bool), 1.0, score)
    return pd.Series(np.where(known, score, 0.0), index=hours["service_id"].to_numpy())


def _service_scores(needs: pd.DataFrame, hours: pd.DataFrame, duplication_at: int) -> pd.DataFrame:
    """Per service: needs met (breadth), its meets, hours and duplication scores."""
    counts = needs.groupby("code_id")["service_id"].nunique()
    duplicated = needs["code_id"].map(counts) >= duplication_at
    per_service = (
        needs.assign(_dup=duplicated).groupby("service_id").agg(needs_met=("code_id", "nunique"), _dup=("_dup", "mean"))
    )
    per_service["meets_score"] = per_service["needs_met"] / per_service["needs_met"].max()
    per_service["duplication_score"] = 1.0 - per_service.pop("_dup")
    per_service["hours_score"] = _hours_score(hours).reindex(per_service.index).fillna(0.0)
    return per_service


def best_placed(
    needs: pd.DataFrame,
    hours: pd.DataFrame,
    *,
    weights: Mapping[str, float],
    caseload: pd.DataFrame | None = None,
    reach: pd.DataFrame | None = None,
    reach_note: str | None = None,
    duplication_at: int = 3,
    dimensions: Sequence[str] = ("need",),
    codes: pd.DataFrame | None = None,
) -> BestPlacedResult:
    """Score and rank the services that meet each need (see the module's description of the criteria).

    Parameters
    ----------
    needs : pandas.DataFrame
        :func:`circles.challenge.coverage.needs_met`: ``code_id``, ``code_name``, ``dimension``, ``service_id``,
        ``service_name``, ``organisation``, ``out_of_hours``.
    hours : pandas.DataFrame
        :func:`circles.challenge.coverage.hours_table`: ``service_id``, ``hours_known``, ``evenings``,
        ``weekends``, ``always_open``.
    weights : mapping
        Criterion → weight (0 or more); normalised over the criteria scored.
    caseload : pandas.DataFrame, optional
        ``organisation``, ``families``: the segment's families each organisation works with (published counts;
        ``<NA>`` when suppressed). Without it, caseload is not scored.
    reach : pandas.DataFrame, optional
        :func:`reach_shares`: ``service_id`` and one ``reach_<d>km`` column a band. Without it, reach is not
        scored and ``reach_note`` says why.
    reach_note : str, optional
    duplication_at : int, default 3
    dimensions : sequence of str, default ("need",)
        The codebook dimensions whose codes are scored.
    codes : pandas.DataFrame, optional
        ``code_id``, ``code_name``, ``dimension`` of every code of the codebook: a need that no service meets gets
        a row saying so (``service_name`` :data:`NO_SERVICE`, no rank or score).

    Returns
    -------
    BestPlacedResult

    Examples
    --------
    Two services meet "someone to talk to": the line open evenings and weekends, meeting both needs, ranks first.

    >>> import pandas as pd
    >>> needs = pd.DataFrame({"code_id": ["N1", "N1", "N2"], "code_name": ["Talk", "Talk", "Money"],
    ...     "dimension": "need", "service_id": ["line", "gp", "line"], "service_name": ["Line", "GP", "Line"],
    ...     "organisation": ["Charity", "NHS", "Charity"], "out_of_hours": [True, False, True]})
    >>> hours = pd.DataFrame({"service_id": ["line", "gp"], "hours_known": True, "evenings": [True, False],
    ...     "weekends": [True, False], "always_open": False})
    >>> result = best_placed(needs, hours, weights={"meets": 1, "hours": 1}, reach_note="no locations")
    >>> result.table[["code_id", "rank", "service_id", "meets_score", "hours_score", "score"]].values.tolist()
    [['N1', 1, 'line', 1.0, 1.0, 1.0], ['N1', 2, 'gp', 0.5, 0.0, 0.25], ['N2', 1, 'line', 1.0, 1.0, 1.0]]
    """
    missing = [c for c in ("code_id", "code_name", "service_id", "service_name", "organisation") if c not in needs]
    if missing:
        raise SourceError(f"best placed: the needs-met table has no column {missing[0]!r}.")
    if "dimension" in needs:
        needs = needs[needs["dimension"].isin(dimensions)]
    needs = needs.drop_duplicates(["code_id", "service_id"])
    scored = [
        c for c in CRITERIA if not (c == "reach" and reach is None) and not (c == "caseload" and caseload is None)
    ]
    w = normalised_weights(weights, scored)
    table = needs.join(_service_scores(needs, hours, duplication_at), on="service_id")
    if caseload is not None:
        families = caseload.set_index("organisation")["families"].astype("Float64")
        table["families"] = table["organisation"].map(families).astype("Float64")
        most = table.groupby("code_id")["families"].transform("max").astype("Float64")
        table["caseload_score"] = (table["families"].fillna(0) / most.where(most > 0)).fillna(0.0).astype(float)
    if reach is not None:
        bands = [c for c in reach.columns if c.startswith("reach_")]
        mean = reach.set_index("service_id")[bands].mean(axis=1)
        table["reach_score"] = table["service_id"].map(mean).fillna(0.0).astype(float)
    table["score"] = sum(w[c] * table[f"{c}_score"] for c in scored)
    table = table.sort_values(["code_id", "score", "service_name"], ascending=[True, False, True], kind="stable")
    table.insert(2, "rank", table.groupby("code_id").cumcount() + 1)
    for c in CRITERIA:
        if f"{c}_score" not in table:
            table[f"{c}_score"] = np.nan
    evidence = ["needs_met"] + [c for c in ("out_of_hours", "families") if c in table]
    columns = ["code_id", "code_name", "rank", "service_id", "service_name", "organisation"]
    table = table[columns + [f"{c}_score" for c in CRITERIA] + ["score", *evidence]].reset_index(drop=True)
    table = _with_unmet(table, codes, dimensions)
    notes = {"reach": reach_note or "not scored", "caseload": "not scored: no records of the segment's families"}
    weights_table = pd.DataFrame(
        {
            "criterion": list(CRITERIA),
            "weight": [float(weights.get(c, 0.0)) for c in CRITERIA],
            "normalised": [w.get(c, 0.0) for c in CRITERIA],
            "scored": [c in scored for c in CRITERIA],
            "note": ["" if c in scored else notes.get(c, "") for c in CRITERIA],
        }
    )
    return BestPlacedResult(table, weights_table, None if reach is not None else (reach_note or "not scored"))


def _with_unmet(table: pd.DataFrame, codes: pd.DataFrame | None, dimensions: Sequence[str]) -> pd.DataFrame:
    """A row for each code of ``dimensions`` that no candidate meets, in codebook order with the others."""
    if codes is None:
        return table
    codes = codes[codes["dimension"].isin(dimensions)] if "dimension" in codes else codes
    unmet = codes[~codes["code_id"].isin(table["code_id"])]
    if unmet.empty:
        return table
    rows = pd.DataFrame({"code_id": unmet["code_id"], "code_name": unmet["code_name"], "service_name": NO_SERVICE})
    out = pd.concat([table, rows], ignore_index=True).astype({"rank": "Int64"})
    order = {code: i for i, code in enumerate(codes["code_id"])}
    out["_order"] = out["code_id"].map(order).fillna(len(order))
    return out.sort_values(["_order", "rank"], kind="stable").drop(columns="_order").reset_index(drop=True)


def reach_shares(
    residents: pd.Series,
    centroids: pd.DataFrame,
    locations: pd.DataFrame,
    *,
    bands_km: Sequence[float] = (1.0, 2.0, 5.0),
) -> pd.DataFrame:
    """The share of residents within each distance of one of each service's locations.

    Parameters
    ----------
    residents : pandas.Series
        The segment's families (or people) by area code.
    centroids : pandas.DataFrame
        ``code``, ``x``, ``y``: each area's population-weighted centroid in metres (British National Grid).
    locations : pandas.DataFrame
        ``service_id``, ``x``, ``y``: where each service is delivered, in the same grid.
    bands_km : sequence of float, default (1, 2, 5)

    Returns
    -------
    pandas.DataFrame
        ``service_id`` and ``reach_<d>km`` (0–1) for each band, one row a service with a location.

    Raises
    ------
    SourceError
        An area with residents has no centroid, or there are no residents.

    Examples
    --------
    >>> res = pd.Series({"A": 30, "B": 10})
    >>> cen = pd.DataFrame({"code": ["A", "B"], "x": [0.0, 3000.0], "y": [0.0, 0.0]})
    >>> loc = pd.DataFrame({"service_id": ["s"], "x": [500.0], "y": [0.0]})
    >>> reach_shares(res, cen, loc).values.tolist()
    [['s', 0.75, 0.75, 1.0]]
    """
    residents = residents[residents > 0]
    if residents.sum() <= 0:
        raise SourceError("reach: there are no residents to measure reach for.")
    points = centroids.set_index("code").reindex(residents.index)
    if points[["x", "y"]].isna().any(axis=None):
        missing = points.index[points["x"].isna()][0]
        raise SourceError(f"reach: area {missing!r} has residents but no population-weighted centroid.")
    xy = points[["x", "y"]].to_numpy(dtype=float)
    weight = residents.to_numpy(dtype=float) / residents.sum()
    rows = []
    for service_id, places in locations.groupby("service_id", sort=True):
        d = np.hypot(xy[:, None, 0] - places["x"].to_numpy()[None], xy[:, None, 1] - places["y"].to_numpy()[None])
        nearest = d.min(axis=1)
        rows.append([service_id, *(float(weight[nearest <= km * 1000].sum()) for km in bands_km)])
    return pd.DataFrame(rows, columns=["service_id", *(f"reach_{km:g}km" for km in bands_km)])
