"""Agreement between coders: percent agreement, Cohen's kappa and Krippendorff's alpha, per code and pooled.

Coders code *segments* (any span of text); agreement statistics need *units* that every coder judged. This
module turns segments into a unit × code × coder table (:func:`coding_matrix`) and computes the statistics on
it (:func:`agreement`), and lists the units the coders disagree on for a consensus meeting
(:func:`disagreements`).

Uncoded text is data
--------------------
Every unit of a source a coder worked on is judged by that coder, whether or not they coded it: leaving a
sentence uncoded says "this code does not apply here". Two coders who both leave the same sentence uncoded
*agree* on it. Tools that compare only the coded segments (or only units that at least one coder coded) drop
that agreement: for two coders who code the same 2 sentences of a 10-sentence document, counting only the
coded text gives 2 units with no variation, so kappa and alpha are undefined, while the 10 units give
kappa = alpha = 1; and when they code overlapping but different sentences, the coded-only figures are far
too low (1/3 instead of 8/10 percent agreement when one codes sentences 1-2 and the other 2-3). Here the
units are always *all* the units of the units table, coded or not.

Missing is not "absent"
-----------------------
A coder who did not code a source at all has not judged its units: their values there are *missing*, not
"code absent". Missing values are left out of every statistic (Krippendorff's alpha is defined for missing
data; percent agreement and Cohen's kappa use only units that the coders in question judged). Which coder
covered which source is given by ``coverage``; see :func:`coding_matrix`.

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and Psychological Measurement*
20(1), 37-46.

Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for Communication,
University of Pennsylvania. https://repository.upenn.edu/asc_papers/43

Krippendorff, K. (2019). *Content Analysis: An Introduction to Its Methodology*, 4th ed., ch. 12. SAGE.

O'Connor, C. and Joffe, H. (2020). Intercoder reliability in qualitative research: debates and practical
guidelines. *International Journal of Qualitative Methods* 19.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from circles.errors import AgreementError
from circles.qualitative.model import Codebook
from circles.validation import require_columns, suggest

__all__ = [
    "ALL_CODES",
    "DOCUMENT_UNIT",
    "AgreementError",  # circles.errors.AgreementError, re-exported
    "agreement",
    "coding_matrix",
    "disagreements",
    "krippendorff_alpha_nominal",
]

UnitRule = Literal["overlap", "contains", "presence"]
Coverage = Literal["all"] | Mapping[str, Iterable[str]] | pd.DataFrame | None

#: The ``code_id`` of the pooled row of :func:`agreement`.
ALL_CODES = "(all codes)"
#: The ``unit_id`` of the one unit per source under ``unit_rule="presence"``.
DOCUMENT_UNIT = "(document)"

_UNIT_COLUMNS = ("source_id", "unit_id", "start", "end", "text")
_SEGMENT_COLUMNS = ("source_id", "start", "end", "code_id", "coder", "status")
_KEY_COLUMNS = ("source_id", "unit_id", "code_id")
_UNIT_RULES = ("overlap", "contains", "presence")


# --------------------------------------------------------------------------------------------------------------
# Krippendorff's alpha


def krippendorff_alpha_nominal(reliability_data: object) -> float:
    """Krippendorff's alpha for nominal data, with missing values, by the coincidence matrix.

    Parameters
    ----------
    reliability_data
        Array-like of shape (coders, units), the layout of the ``krippendorff`` package and of Krippendorff
        (2011). Values are any categories (numbers or strings); NaN, None or ``pd.NA`` mark a missing value.

    Returns
    -------
    float
        ``alpha = 1 - D_o / D_e``. Units with fewer than two values are not pairable and are left out. NaN
        when alpha is undefined: fewer than two pairable values, or only one category among them
        (``D_e = 0``).

    Notes
    -----
    Following Krippendorff (2011, section C), each unit *u* with *m_u* >= 2 values adds ``1 / (m_u - 1)`` to
    the coincidence ``o[c, k]`` for each ordered pair of values *c*, *k* from different coders. With
    ``n_c = sum_k o[c, k]`` and ``n = sum_c n_c``, the nominal alpha is
    ``1 - (n - 1) * sum_{c != k} o[c, k] / sum_{c != k} n_c * n_k``.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. University of Pennsylvania.

    Examples
    --------
    The textbook example (Krippendorff 2011, section C.1): 4 observers, 12 units, missing values.

    >>> nan = float("nan")
    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...         [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    >>> round(krippendorff_alpha_nominal(data), 3)
    0.743
    """
    frame = pd.DataFrame(np.asarray(reliability_data, dtype=object))
    if frame.ndim != 2 or frame.size == 0:
        return float("nan")
    long = frame.stack(future_stack=True)
    long = long[long.notna()]
    if long.empty:
        return float("nan")
    # counts[u, c]: how many coders gave category c to unit u.
    counts = pd.crosstab(long.index.get_level_values(1), long.to_numpy()).to_numpy(dtype=float)
    return _alpha_from_counts(counts)


def _alpha_from_counts(counts: np.ndarray) -> float:
    """Nominal alpha from a (units, categories) array of value counts; see :func:`krippendorff_alpha_nominal`."""
    m = counts.sum(axis=1)
    counts = counts[m >= 2]
    m = m[m >= 2]
    if counts.size == 0 or counts.shape[1] < 2:
        return float("nan")
    weights = 1.0 / (m - 1.0)
    coincidence = (counts * weights[:, None]).T @ counts - np.diag((counts * weights[:, None]).sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    disagree_observed = coincidence.sum() - np.trace(coincidence)
    disagree_expected = n * n - (n_c * n_c).sum()
    if disagree_expected <= 0:
        return float("nan")
    return float(1.0 - (n - 1.0) * disagree_observed / disagree_expected)


# --------------------------------------------------------------------------------------------------------------
# Units × codes × coders


@dataclass
class _Cube:
    """The prepared data shared by the public functions."""

    units: pd.DataFrame  # source_id, unit_id, start, end, text; one row per unit, in order
    codes: list[str]
    coders: list[str]
    values: np.ndarray  # float (units, codes, coders): 1 coded, 0 not coded, NaN not judged (source not covered)


def _check_spans(frame: pd.DataFrame, what: str) -> None:
    for column in ("start", "end"):
        if frame[column].isna().any() or not pd.api.types.is_numeric_dtype(frame[column]):
            raise AgreementError(f"The {what} column {column!r} must hold whole numbers (code point offsets).")
    bad = frame.index[(frame["end"] < frame["start"]) | (frame["start"] < 0)]
    if len(bad):
        row = frame.loc[bad[0]]
        raise AgreementError(
            f"{what.capitalize()} row {bad[0]} (source {row['source_id']!r}) has start {row['start']} and end "
            f"{row['end']}: offsets must satisfy 0 <= start <= end."
        )


def _prepare_units(units: pd.DataFrame, unit_rule: str) -> pd.DataFrame:
    require_columns(units, _UNIT_COLUMNS, "The units table", error=AgreementError)
    if units.empty:
        raise AgreementError("The units table is empty: there is nothing to measure agreement on.")
    table = units.loc[:, list(_UNIT_COLUMNS)].copy()
    _check_spans(table, "units")
    table["start"] = table["start"].astype("int64")
    table["end"] = table["end"].astype("int64")
    table["text"] = table["text"].fillna("").astype(str)
    duplicated = table.duplicated(["source_id", "unit_id"])
    if duplicated.any():
        row = table[duplicated].iloc[0]
        raise AgreementError(
            f"The units table has unit {row['unit_id']!r} of source {row['source_id']!r} more than once; "
            "each (source_id, unit_id) must be unique."
        )
    order = {s: i for i, s in enumerate(pd.unique(table["source_id"]))}
    table["_order"] = table["source_id"].map(order)
    table = table.sort_values(["_order", "start", "end"], kind="stable").drop(columns="_order")
    if unit_rule == "presence":
        table = (
            table.groupby("source_id", sort=False)
            .agg(start=("start", "min"), end=("end", "max"), text=("text", " ".join))
            .reset_index()
        )
        table.insert(1, "unit_id", DOCUMENT_UNIT)
    return table.reset_index(drop=True)


def _resolve_coverage(
    coverage: Coverage, coders: list[str], sources: list[str], segments: pd.DataFrame, known: Iterable[str]
) -> dict[str, set[str]]:
    in_scope = set(sources)
    if coverage is None:
        result = {coder: set(segments.loc[segments["coder"] == coder, "source_id"]) & in_scope for coder in coders}
    elif isinstance(coverage, str):
        if coverage != "all":
            raise AgreementError(f"coverage must be None, 'all', a mapping or a DataFrame, not {coverage!r}.")
        result = {coder: set(in_scope) for coder in coders}
    elif isinstance(coverage, pd.DataFrame):
        require_columns(coverage, ("coder", "source_id"), "The coverage table", error=AgreementError)
        result = {coder: set(coverage.loc[coverage["coder"] == coder, "source_id"]) & in_scope for coder in coders}
    elif isinstance(coverage, Mapping):
        absent = [c for c in coders if c not in coverage]
        if absent:
            raise AgreementError(
                f"coverage does not say which sources coder {absent[0]!r} coded; give every coder an entry."
                + suggest(str(absent[0]), map(str, coverage))
            )
        for coder in coders:
            if isinstance(coverage[coder], str):
                raise AgreementError(
                    f"coverage[{coder!r}] must be a list of source ids, not the string {coverage[coder]!r}."
                )
        result = {coder: set(coverage[coder]) & in_scope for coder in coders}
    else:
        raise AgreementError(f"coverage must be None, 'all', a mapping or a DataFrame, not {type(coverage).__name__}.")
    for coder, covered in result.items():
        if not covered:
            hint = suggest(coder, [k for k in known if k not in coders]) if coverage is None else ""
            raise AgreementError(
                f"Coder {coder!r} covers none of the sources in the units table, so agreement with them cannot "
                f"be measured.{hint}"
            )
    return result


def _prepare(
    segments: pd.DataFrame,
    units: pd.DataFrame,
    *,
    coders: Sequence[str],
    codes: Sequence[str] | Codebook | None,
    unit_rule: str,
    threshold: float,
    coverage: Coverage,
) -> _Cube:
    coder_list = _check_settings(coders, unit_rule, threshold)
    require_columns(segments, _SEGMENT_COLUMNS, "The segments table", error=AgreementError)
    _check_spans(segments, "segments")
    table = _prepare_units(units, unit_rule)
    sources = list(pd.unique(table["source_id"]))

    ours = segments[segments["coder"].isin(coder_list) & segments["source_id"].isin(sources)]
    covered = _resolve_coverage(coverage, coder_list, sources, ours, map(str, pd.unique(segments["coder"])))
    accepted = ours[ours["status"] == "accepted"]
    code_list = _code_list(codes, accepted)
    accepted = accepted[accepted["code_id"].isin(code_list)]
    _check_covered(accepted, coder_list, covered)
    values = _values(table, accepted, code_list, coder_list, covered, unit_rule, threshold)
    return _Cube(units=table, codes=code_list, coders=coder_list, values=values)


def _check_settings(coders: Sequence[str], unit_rule: str, threshold: float) -> list[str]:
    """Check ``unit_rule``, ``threshold`` and ``coders``; return the coders as a list of names."""
    if unit_rule not in _UNIT_RULES:
        raise AgreementError(
            f"unit_rule must be one of {', '.join(_UNIT_RULES)}, not {unit_rule!r}."
            + suggest(str(unit_rule), _UNIT_RULES)
        )
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise AgreementError(f"threshold must be a number greater than 0 and at most 1, not {threshold!r}.")
    if isinstance(coders, str):
        raise AgreementError(f"coders must be a list of coder names, not the string {coders!r}.")
    coder_list = [str(c) for c in coders]
    if len(coder_list) < 2 or len(set(coder_list)) != len(coder_list):
        raise AgreementError(f"Agreement needs at least two distinct coders; got {coder_list!r}.")
    clash = [c for c in coder_list if c in _KEY_COLUMNS]
    if clash:
        raise AgreementError(f"A coder cannot be called {clash[0]!r}: that name is a column of the coding matrix.")
    return coder_list


def _code_list(codes: Sequence[str] | Codebook | None, accepted: pd.DataFrame) -> list[str]:
    """The codes to assess: those given, else every code with an accepted coding, sorted."""
    if codes is None:
        code_list = sorted(map(str, pd.unique(accepted["code_id"])))
        if not code_list:
            raise AgreementError(
                "None of the coders has an accepted coding in the sources of the units table; give codes= to "
                "measure agreement on codes nobody applied."
            )
    else:
        if isinstance(codes, str):
            raise AgreementError(f"codes must be a list of code ids, not the string {codes!r}.")
        code_list = list(codes.ids) if isinstance(codes, Codebook) else [str(c) for c in codes]
        if not code_list or len(set(code_list)) != len(code_list):
            raise AgreementError(f"codes must be a non-empty list of distinct code ids; got {code_list!r}.")
    return code_list


def _check_covered(accepted: pd.DataFrame, coder_list: list[str], covered: dict[str, set[str]]) -> None:
    """Raise when a coder has accepted codings in a source that coverage says they did not code."""
    for coder in coder_list:
        stray = accepted.loc[(accepted["coder"] == coder) & ~accepted["source_id"].isin(covered[coder]), "source_id"]
        if len(stray):
            raise AgreementError(
                f"Coder {coder!r} has accepted codings in source {stray.iloc[0]!r}, but coverage says they did not "
                "code it. Correct coverage (or the segments)."
            )


def _values(
    table: pd.DataFrame,
    accepted: pd.DataFrame,
    code_list: list[str],
    coder_list: list[str],
    covered: dict[str, set[str]],
    unit_rule: str,
    threshold: float,
) -> np.ndarray:
    """The (units, codes, coders) array of :class:`_Cube`: 1 coded, 0 not coded, NaN source not covered."""
    code_index = {c: i for i, c in enumerate(code_list)}
    coder_index = {c: i for i, c in enumerate(coder_list)}
    values = np.zeros((len(table), len(code_list), len(coder_list)))
    by_source = table.groupby("source_id", sort=False).indices
    for source_id, seg in accepted.groupby("source_id", sort=False):
        rows = by_source[source_id]
        unit_start = table["start"].to_numpy()[rows][:, None]
        unit_end = table["end"].to_numpy()[rows][:, None]
        seg_start = seg["start"].to_numpy(dtype="int64")[None, :]
        seg_end = seg["end"].to_numpy(dtype="int64")[None, :]
        if unit_rule == "presence":
            hits = np.ones((len(rows), len(seg)), dtype=bool)
        elif unit_rule == "contains":
            hits = (seg_start <= unit_start) & (unit_end <= seg_end)
        else:
            overlap = np.minimum(unit_end, seg_end) - np.maximum(unit_start, seg_start)
            shorter = np.minimum(unit_end - unit_start, seg_end - seg_start)
            hits = (overlap > 0) & (overlap >= threshold * shorter)
        unit_pos, seg_pos = np.nonzero(hits)
        values[
            rows[unit_pos],
            seg["code_id"].map(code_index).to_numpy()[seg_pos],
            seg["coder"].map(coder_index).to_numpy()[seg_pos],
        ] = 1.0
    source_of_unit = table["source_id"].to_numpy()
    for coder, j in coder_index.items():
        values[~np.isin(source_of_unit, list(covered[coder])), :, j] = np.nan
    return values


def coding_matrix(
    segments: pd.DataFrame,
    units: pd.DataFrame,
    *,
    coders: Sequence[str],
    codes: Sequence[str] | Codebook | None = None,
    unit_rule: UnitRule = "overlap",
    threshold: float = 0.5,
    coverage: Coverage = None,
) -> pd.DataFrame:
    """Whether each coder applied each code to each unit: the reliability data behind :func:`agreement`.

    Parameters
    ----------
    segments
        A segment table (:mod:`circles.qualitative.model`). Only rows with ``status == "accepted"`` are
        codings; ``"suggested"`` and ``"rejected"`` rows never are. Rows of other coders are ignored.
    units
        A units table (:func:`circles.qualitative.sources.units`) with columns ``source_id, unit_id, start,
        end, text``. **Every** unit is a unit of analysis, coded or not: uncoded text is what the coders agree
        is not the code (see the module docstring). Only sources in this table are assessed.
    coders
        The coders to compare (at least two), as in the ``coder`` column; one matrix column each.
    codes
        Code ids (or a :class:`~circles.qualitative.model.Codebook`) to assess, in this order. Default: every
        code with an accepted coding by these coders, sorted. Codes that nobody applied still get rows.
    unit_rule
        How a segment is assigned to a unit:

        ``"overlap"``
            the segment counts for a unit when the characters they share are at least ``threshold`` of the
            *shorter* of the two: of the unit, or of the segment when the segment is shorter. So a short
            quote inside a long unit counts for that unit, and a segment that spills a few characters into the
            next sentence does not count for it. The shared part must be non-empty; the test is ``>=``.
        ``"contains"``
            the segment contains the whole unit (``seg.start <= unit.start`` and ``unit.end <= seg.end``):
            for coders who select whole units; a quote shorter than its unit counts for no unit.
        ``"presence"``
            document presence: each source is one unit (``unit_id`` :data:`DOCUMENT_UNIT`), coded when the
            coder applied the code anywhere in it.
    threshold
        The share used by ``"overlap"``: greater than 0, at most 1 (at 1, one of segment and unit must contain
        the other). Ignored by the other rules.
    coverage
        Which coder coded (that is, read and judged) which sources. A coder's units in a source they did not
        cover are *missing* (``<NA>``), not "code absent". Give a mapping ``{coder: [source_id, ...]}``, a
        DataFrame with columns ``coder, source_id``, or ``"all"`` (every coder covered every source of the
        units table). Default ``None``: a coder covered the sources in which they have at least one segment
        row of any status. **A source a coder read but found nothing to code in counts as not covered under
        the default**: pass ``coverage`` explicitly when that can happen.

    Returns
    -------
    pandas.DataFrame
        One row per (unit, code), units in the order of the units table (each source's units by ``start``)
        and codes in the order of ``codes``; columns ``source_id, unit_id, code_id`` and one nullable boolean
        column per coder: True coded, False not coded, ``<NA>`` missing (source not covered).

    Raises
    ------
    AgreementError
        Missing columns, bad offsets, duplicate units, fewer than two coders, an unknown ``unit_rule``, a
        threshold outside (0, 1], a coder who covers no source, or accepted codings in a source that
        ``coverage`` says the coder did not code.

    Examples
    --------
    Two sentences; ``jb`` codes the first, ``ak`` codes nothing in the source (but read it):

    >>> import pandas as pd
    >>> from circles.qualitative.model import make_segments
    >>> units = pd.DataFrame({"source_id": ["s1", "s1"], "unit_id": [0, 1], "start": [0, 20],
    ...                       "end": [19, 40], "text": ["I need a bus pass.", "The forms are hard."]})
    >>> seg = make_segments([{"source_id": "s1", "start": 2, "end": 12, "code_id": "N1", "coder": "jb"}], {})
    >>> coding_matrix(seg, units, coders=["jb", "ak"], coverage="all")
      source_id  unit_id code_id     jb     ak
    0        s1        0      N1   True  False
    1        s1        1      N1  False  False
    """
    cube = _prepare(
        segments, units, coders=coders, codes=codes, unit_rule=unit_rule, threshold=threshold, coverage=coverage
    )
    return _cube_frame(cube)


def _cube_frame(cube: _Cube) -> pd.DataFrame:
    n_units, n_codes, _ = cube.values.shape
    frame = pd.DataFrame(
        {
            "source_id": np.repeat(cube.units["source_id"].to_numpy(), n_codes),
            "unit_id": np.repeat(cube.units["unit_id"].to_numpy(), n_codes),
            "code_id": np.tile(np.asarray(cube.codes, dtype=object), n_units),
        }
    )
    flat = cube.values.reshape(n_units * n_codes, len(cube.coders))
    for j, coder in enumerate(cube.coders):
        column = pd.array(flat[:, j] == 1.0, dtype="boolean")
        column[np.isnan(flat[:, j])] = pd.NA
        frame[coder] = column
    return frame


# --------------------------------------------------------------------------------------------------------------
# Statistics


def _statistics(values: np.ndarray, n_coders: int) -> dict[str, object]:
    """Statistics on a (units, coders) float array of 1/0/NaN."""
    present = ~np.isnan(values)
    m = present.sum(axis=1)
    pairable = m >= 2
    ones = np.nansum(values, axis=1)
    notes: list[str] = []
    n_units = int(pairable.sum())
    coded = int((ones[pairable] > 0).sum())
    if n_units == 0:
        notes.append("no unit was judged by two or more coders")
        percent = float("nan")
    else:
        percent = float(((ones[pairable] == 0) | (ones[pairable] == m[pairable])).mean())

    kappa = float("nan")
    if n_coders != 2:
        notes.append("Cohen's kappa needs exactly two coders")
    elif n_units:
        both = values[pairable]
        a, b = both[:, 0].astype(int), both[:, 1].astype(int)
        if len(set(a) | set(b)) < 2:
            notes.append("no variation: kappa and alpha are undefined")
        else:
            kappa = float(cohen_kappa_score(a, b, labels=[0, 1]))

    counts = np.stack([(values == 0).sum(axis=1), (values == 1).sum(axis=1)], axis=1).astype(float)
    alpha = _alpha_from_counts(counts[:, counts.sum(axis=0) > 0]) if n_units else float("nan")
    if n_units and np.isnan(alpha) and not any(note.startswith("no variation") for note in notes):
        notes.append("no variation: alpha is undefined")
    return {
        "units": n_units,
        "coded_by_any": coded,
        "percent_agreement": percent,
        "cohen_kappa": kappa,
        "krippendorff_alpha": alpha,
        "note": "; ".join(notes),
    }


def agreement(
    segments: pd.DataFrame,
    units: pd.DataFrame,
    *,
    coders: Sequence[str],
    codes: Sequence[str] | Codebook | None = None,
    unit_rule: UnitRule = "overlap",
    threshold: float = 0.5,
    coverage: Coverage = None,
) -> pd.DataFrame:
    """Percent agreement, Cohen's kappa and Krippendorff's alpha between coders, per code and pooled.

    The unit-level values come from :func:`coding_matrix` (same parameters): each code is a binary nominal
    variable (applied / not applied) on **every** unit, coded or not. Units whose source a coder did not cover
    are missing for that coder.

    Parameters
    ----------
    segments, units, coders, codes, unit_rule, threshold, coverage
        As for :func:`coding_matrix`.

    Returns
    -------
    pandas.DataFrame
        One row per code, then a pooled row with ``code_id`` :data:`ALL_CODES` computed over all
        (unit, code) pairs as if each pair were a unit. Columns:

        ``units``
            units judged by at least two coders (the pairable units the statistics use); pooled: such
            (unit, code) pairs.
        ``coded_by_any``
            of those, the units that at least one coder coded.
        ``percent_agreement``
            share of those units on which all coders who judged the unit gave the same value (for two coders:
            the usual proportion of agreement). No chance correction; inflated when a code is rare.
        ``cohen_kappa``
            only for exactly two coders (else NaN): :func:`sklearn.metrics.cohen_kappa_score` (Cohen 1960) on
            the two binary unit vectors, over the units both coders judged. NaN when undefined: no variation
            (both coders gave every unit the same value, e.g. a code nobody applied).
        ``krippendorff_alpha``
            nominal alpha (Krippendorff 2011) by :func:`krippendorff_alpha_nominal`, any number of coders,
            missing values allowed. NaN when undefined (only one value among the pairable values).
        ``note``
            why a statistic is NaN, "" otherwise.

    Notes
    -----
    Kappa and alpha can differ: kappa takes each coder's own marginal distribution as chance, alpha the pooled
    one, and alpha corrects for small samples (Krippendorff 2019, ch. 12). A code applied to very few units
    gives unstable kappa and alpha; read them with ``coded_by_any``.

    Examples
    --------
    Ten sentences; both coders code sentences 3 and 4 with ``N1``; ``jb`` also codes sentence 7 with ``B2``.
    The eight sentences neither coded with ``N1`` are agreements too:

    >>> import pandas as pd
    >>> from circles.qualitative.model import make_segments
    >>> units = pd.DataFrame({"source_id": "s1", "unit_id": range(10), "start": range(0, 100, 10),
    ...                       "end": range(9, 100, 10), "text": "..."})
    >>> seg = make_segments([{"source_id": "s1", "start": 30, "end": 49, "code_id": "N1", "coder": "jb"},
    ...                      {"source_id": "s1", "start": 30, "end": 49, "code_id": "N1", "coder": "ak"},
    ...                      {"source_id": "s1", "start": 70, "end": 79, "code_id": "B2", "coder": "jb"}], {})
    >>> table = agreement(seg, units, coders=["jb", "ak"])
    >>> table[["code_id", "units", "coded_by_any", "percent_agreement", "cohen_kappa"]].round(3)
           code_id  units  coded_by_any  percent_agreement  cohen_kappa
    0           B2     10             1               0.90        0.000
    1           N1     10             2               1.00        1.000
    2  (all codes)     20             3               0.95        0.773
    """
    cube = _prepare(
        segments, units, coders=coders, codes=codes, unit_rule=unit_rule, threshold=threshold, coverage=coverage
    )
    n_coders = len(cube.coders)
    rows = [{"code_id": code, **_statistics(cube.values[:, i, :], n_coders)} for i, code in enumerate(cube.codes)]
    pooled = cube.values.reshape(-1, n_coders)
    rows.append({"code_id": ALL_CODES, **_statistics(pooled, n_coders)})
    frame = pd.DataFrame(rows)
    frame["units"] = frame["units"].astype("int64")
    frame["coded_by_any"] = frame["coded_by_any"].astype("int64")
    return frame


def _truncate(text: str, max_chars: int) -> str:
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    return text[: max_chars - 1].rstrip() + "…"


def disagreements(
    segments: pd.DataFrame,
    units: pd.DataFrame,
    *,
    coders: Sequence[str],
    codes: Sequence[str] | Codebook | None = None,
    unit_rule: UnitRule = "overlap",
    threshold: float = 0.5,
    coverage: Coverage = None,
    max_chars: int = 120,
) -> pd.DataFrame:
    """The units and codes on which the coders differ: the agenda of a consensus meeting.

    Parameters
    ----------
    segments, units, coders, codes, unit_rule, threshold, coverage
        As for :func:`coding_matrix`.
    max_chars
        The unit text is shown with runs of whitespace collapsed and cut to this many characters (ending in
        "…" when cut). Under ``unit_rule="presence"`` the text is the source's units joined.

    Returns
    -------
    pandas.DataFrame
        One row per (unit, code) where, among the coders who judged the unit, at least one coded it and at
        least one did not; in unit order, then code order. Columns ``source_id, unit_id, code_id, start, end,
        text``, then ``coded_by`` and ``not_coded_by`` (coder names joined by ", ", in the order of
        ``coders``) and ``missing`` (coders who did not cover the source, "" when none).

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.qualitative.model import make_segments
    >>> units = pd.DataFrame({"source_id": ["s1", "s1"], "unit_id": [0, 1], "start": [0, 20],
    ...                       "end": [19, 40], "text": ["I need a bus pass.", "The forms are hard."]})
    >>> seg = make_segments([{"source_id": "s1", "start": 0, "end": 19, "code_id": "N1", "coder": "jb"},
    ...                      {"source_id": "s1", "start": 20, "end": 40, "code_id": "B1", "coder": "jb"},
    ...                      {"source_id": "s1", "start": 20, "end": 40, "code_id": "B1", "coder": "ak"}], {})
    >>> disagreements(seg, units, coders=["jb", "ak"])[["unit_id", "code_id", "text", "coded_by", "not_coded_by"]]
       unit_id code_id                text coded_by not_coded_by
    0        0      N1  I need a bus pass.       jb           ak
    """
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 2:
        raise AgreementError(f"max_chars must be a whole number of at least 2, not {max_chars!r}.")
    cube = _prepare(
        segments, units, coders=coders, codes=codes, unit_rule=unit_rule, threshold=threshold, coverage=coverage
    )
    coded = cube.values == 1.0
    uncoded = cube.values == 0.0
    unit_pos, code_pos = np.nonzero(coded.any(axis=2) & uncoded.any(axis=2))
    columns = ["source_id", "unit_id", "code_id", "start", "end", "text", "coded_by", "not_coded_by", "missing"]
    records = []
    for u, c in zip(unit_pos, code_pos, strict=True):
        unit = cube.units.iloc[u]
        records.append(
            {
                "source_id": unit["source_id"],
                "unit_id": unit["unit_id"],
                "code_id": cube.codes[c],
                "start": int(unit["start"]),
                "end": int(unit["end"]),
                "text": _truncate(unit["text"], max_chars),
                "coded_by": ", ".join(k for j, k in enumerate(cube.coders) if coded[u, c, j]),
                "not_coded_by": ", ".join(k for j, k in enumerate(cube.coders) if uncoded[u, c, j]),
                "missing": ", ".join(k for j, k in enumerate(cube.coders) if np.isnan(cube.values[u, c, j])),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["start"] = frame["start"].astype("int64")
    frame["end"] = frame["end"].astype("int64")
    return frame
