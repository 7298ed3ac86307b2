"""Statistical disclosure control for every count circles publishes.

Policies follow NHS practice for small numbers in published health statistics:

``nhs`` (default)
    0 stays 0; counts 1–7 are suppressed; other counts are rounded to the nearest 5.
``ndtms``
    counts 1–4 are suppressed (National Drug Treatment Monitoring System publications); no rounding.

A custom policy sets ``suppress_below`` (counts from 1 up to this value minus one are suppressed) and
``round_to``. Published tables keep the protected count (``<NA>`` when suppressed) and a boolean
``<column>_suppressed`` column; writers print suppressed cells as ``*``. Totals are computed from the
unrounded values and then protected (:func:`protect_total`), so rounding errors do not add up.

Secondary (complementary) suppression (:func:`secondary_suppression`) stops a suppressed cell being recovered by
subtraction from a published margin. It ranks cells by their unprotected counts, which the caller keeps in
``<column>_raw`` until :func:`drop_raw` removes them; :func:`protect_table` runs the whole sequence and is what the
pipeline calls. Rates and percentages are computed from the published counts (:func:`rate_from_published`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from circles.errors import DisclosureError
from circles.validation import suggest

__all__ = [
    "DisclosurePolicy",
    "POLICIES",
    "get_policy",
    "protect_counts",
    "protect_total",
    "secondary_suppression",
    "drop_raw",
    "protect_table",
    "rate_from_published",
    "SUPPRESSED",
    "UNRESOLVED_ATTR",
]

#: How a suppressed cell is printed.
SUPPRESSED = "*"


@dataclass(frozen=True)
class DisclosurePolicy:
    """A small-number rule.

    Attributes
    ----------
    name : str
    suppress_below : int
        Counts ``1 <= n < suppress_below`` are suppressed; 0 is published as 0.
    round_to : int
        Publish other counts rounded to the nearest multiple of this (1 = no rounding).
    """

    name: str
    suppress_below: int
    round_to: int = 1

    def __post_init__(self) -> None:
        if self.suppress_below < 1 or self.round_to < 1:
            raise DisclosureError(
                f"Disclosure policy {self.name!r}: suppress_below and round_to must be whole numbers of at least 1."
            )

    def describe(self) -> str:
        parts = [f"counts of 1 to {self.suppress_below - 1} are suppressed (shown as {SUPPRESSED})"]
        if self.round_to > 1:
            parts.append(f"other counts are rounded to the nearest {self.round_to}")
        return "; ".join(parts) + "."


POLICIES: dict[str, DisclosurePolicy] = {
    "nhs": DisclosurePolicy("nhs", suppress_below=8, round_to=5),
    "ndtms": DisclosurePolicy("ndtms", suppress_below=5, round_to=1),
}


def get_policy(
    name: str = "nhs", *, suppress_below: int | None = None, round_to: int | None = None
) -> DisclosurePolicy:
    """A named policy, or a custom one when thresholds are given (``name`` then labels it)."""
    if suppress_below is not None or round_to is not None:
        base = POLICIES.get(name, POLICIES["nhs"])
        return DisclosurePolicy(
            name,
            suppress_below if suppress_below is not None else base.suppress_below,
            round_to if round_to is not None else base.round_to,
        )
    if name not in POLICIES:
        raise DisclosureError(
            f"Unknown disclosure policy {name!r}.{suggest(name, POLICIES)} "
            f"Known policies: {', '.join(POLICIES)}; or give suppress_below and round_to."
        )
    return POLICIES[name]


def _protect(values: pd.Series, policy: DisclosurePolicy) -> tuple[pd.Series, pd.Series]:
    raw = pd.to_numeric(values, errors="raise")
    if (raw < 0).any() or (raw % 1 != 0).any():
        raise DisclosureError("Disclosure control applies to counts: whole numbers of zero or more.")
    suppressed = (raw >= 1) & (raw < policy.suppress_below)
    rounded = (np.floor(raw / policy.round_to + 0.5) * policy.round_to).astype("Int64")  # halves round up
    return rounded.mask(suppressed), suppressed.astype(bool)


def protect_counts(table: pd.DataFrame, columns: Iterable[str], policy: DisclosurePolicy) -> pd.DataFrame:
    """Apply ``policy`` to count columns, adding ``<column>_suppressed`` beside each.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"area": list("abcde"), "people": [0, 3, 8, 12, 143]})
    >>> protect_counts(t, ["people"], POLICIES["nhs"])["people"].tolist()
    [0, <NA>, 10, 10, 145]
    """
    out = table.copy()
    for column in columns:
        protected, suppressed = _protect(out[column], policy)
        out[column] = protected
        out.insert(out.columns.get_loc(column) + 1, f"{column}_suppressed", suppressed)
    return out


def protect_total(values: pd.Series, policy: DisclosurePolicy) -> tuple[int | None, bool]:
    """A total computed from unrounded ``values``, then protected: ``(published value or None, suppressed)``."""
    total = pd.Series([int(pd.to_numeric(values).sum())])
    protected, suppressed = _protect(total, policy)
    value = protected.iloc[0]
    return (None if pd.isna(value) else int(value)), bool(suppressed.iloc[0])


# ------------------------------------------------------------------------------------------------ secondary suppression

#: ``DataFrame.attrs`` key listing groups left with a single suppressed cell that no published cell could hide.
UNRESOLVED_ATTR = "disclosure_unresolved"


def _normalise_groups(groups: Sequence[Sequence[str] | str], columns: pd.Index) -> list[list[str]]:
    """``groups`` as a list of column lists; a bare string is a one-column group."""
    if isinstance(groups, str):
        raise DisclosureError(f"groups must be a list of column lists, e.g. [[{groups!r}]], not the string {groups!r}.")
    specs = [[g] if isinstance(g, str) else list(g) for g in groups]
    for spec in specs:
        for column in spec:
            if column not in columns:
                hint = suggest(str(column), map(str, columns))
                raise DisclosureError(f"Secondary suppression group column {column!r} is not in the table.{hint}")
    return specs


def _group_codes(table: pd.DataFrame, spec: list[str]) -> tuple[np.ndarray, int]:
    """Integer group number of every row (table order), and the number of groups. ``[]`` is one whole-table group."""
    if not spec:
        return np.zeros(len(table), dtype=np.int64), 1 if len(table) else 0
    grouped = table.groupby(spec, sort=False, dropna=False)
    return grouped.ngroup().to_numpy(dtype=np.int64), grouped.ngroups


def _raw_counts(table: pd.DataFrame, raw_column: str) -> np.ndarray:
    raw = pd.to_numeric(table[raw_column], errors="raise")
    if raw.isna().any() or (raw < 0).any() or (raw % 1 != 0).any():
        raise DisclosureError(f"{raw_column!r} must hold the unprotected counts: whole numbers of zero or more.")
    return raw.to_numpy(dtype=np.int64)


def _scalar(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def secondary_suppression(
    table: pd.DataFrame,
    value: str,
    *,
    groups: Sequence[Sequence[str] | str],
    policy: DisclosurePolicy,
) -> pd.DataFrame:
    """Suppress complementary cells so no suppressed count can be recovered by subtraction from a published total.

    Within a group of cells that add up to a published margin (all services in one area, say), a single
    suppressed cell equals the margin minus the other cells. The standard rule in UK official statistics is then
    to suppress one more cell of that group: here the unsuppressed cell with the smallest nonzero *unprotected*
    count (ties go to the first in table order). A published 0 gives nothing away, so zeros are never chosen; a
    group whose other cells are all zero is left as it is and recorded (see Returns). A group whose own total is
    suppressed under ``policy`` (``1 <= total < suppress_below``) publishes no margin and needs nothing.
    Passes over all groups repeat until nothing changes, since a new suppression can leave a single suppressed
    cell in another group.

    Parameters
    ----------
    table : pandas.DataFrame
        A long table (one row per cell) that went through :func:`protect_counts`: it has ``value`` (``<NA>``
        where suppressed) and ``<value>_suppressed``. The caller must also keep the unprotected count in
        ``<value>_raw`` (copy it before calling :func:`protect_counts`); it ranks the candidate cells and gives
        the group totals. Remove it with :func:`drop_raw` before anything is written. :func:`protect_table`
        does all of this.
    value : str
        The count column.
    groups : list of lists of str
        Each list names the columns whose values identify the cells adding up to one published margin, e.g.
        ``[["area_code"], ["service"]]`` for an area × service table (a bare string is a one-column group;
        ``[]`` is the whole table adding up to a grand total).
    policy : DisclosurePolicy
        The policy used for the primary suppression; decides whether a group total is itself suppressed.

    Returns
    -------
    pandas.DataFrame
        A copy with the secondary cells set to ``<NA>`` and ``True`` in ``<value>_suppressed``, and a column
        ``<value>_suppression`` after it holding ``"primary"``, ``"secondary"`` or ``""``. Groups left with a
        single suppressed cell because every other cell is zero (while their total is published) are listed in
        ``result.attrs["disclosure_unresolved"]`` as ``{"column", "group", "key"}`` dictionaries.

    Raises
    ------
    DisclosureError
        If ``value``, ``<value>_suppressed``, ``<value>_raw`` or a group column is missing, or the raw counts
        are not whole numbers of zero or more.

    Examples
    --------
    Two areas × two services. Area ``a``'s 3 is suppressed; without more, it is the area total minus 20.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"area": list("aabb"), "service": list("xyxy"), "n": [3, 20, 30, 40]})
    >>> t["n_raw"] = t["n"]
    >>> t = protect_counts(t, ["n"], POLICIES["nhs"])
    >>> out = secondary_suppression(t, "n", groups=[["area"], ["service"]], policy=POLICIES["nhs"])
    >>> out["n"].tolist()
    [<NA>, <NA>, <NA>, <NA>]
    >>> out["n_suppression"].tolist()
    ['primary', 'secondary', 'secondary', 'secondary']
    >>> secondary_suppression(t, "n", groups=[["area"]], policy=POLICIES["nhs"])["n"].tolist()
    [<NA>, <NA>, 30, 40]
    """
    raw_column, flag_column, label_column = f"{value}_raw", f"{value}_suppressed", f"{value}_suppression"
    missing = [c for c in (value, flag_column, raw_column) if c not in table.columns]
    if missing:
        hint = " Keep the unprotected counts in '<column>_raw' (protect_table does)." if raw_column in missing else ""
        raise DisclosureError(f"Secondary suppression of {value!r} needs the column(s) {missing}.{hint}")
    specs = _normalise_groups(groups, table.columns)
    raw = _raw_counts(table, raw_column)
    initial = table[flag_column].fillna(False).to_numpy(dtype=bool)
    suppressed = initial.copy()
    nonzero = raw > 0

    # Group numbers and which group totals are published never change between passes.
    layouts = []
    for spec in specs:
        codes, n_groups = _group_codes(table, spec)
        totals = np.bincount(codes, weights=raw, minlength=n_groups)
        total_published = ~((totals >= 1) & (totals < policy.suppress_below))
        layouts.append((spec, codes, n_groups, total_published))

    def exposed(codes: np.ndarray, n_groups: int, total_published: np.ndarray) -> np.ndarray:
        """Per group: exactly one suppressed cell and a published total."""
        return (np.bincount(codes, weights=suppressed, minlength=n_groups) == 1) & total_published

    changed = True
    while changed:
        changed = False
        for _spec, codes, n_groups, total_published in layouts:
            candidate = exposed(codes, n_groups, total_published)[codes] & ~suppressed & nonzero
            if not candidate.any():
                continue
            rows = np.flatnonzero(candidate)
            rows = rows[np.lexsort((rows, raw[rows], codes[rows]))]  # by group, then raw count, then table order
            first = np.r_[True, codes[rows][1:] != codes[rows][:-1]]
            suppressed[rows[first]] = True
            changed = True

    unresolved = []
    for spec, codes, n_groups, total_published in layouts:
        for group in np.flatnonzero(exposed(codes, n_groups, total_published)):
            row = int(np.flatnonzero(codes == group)[0])
            key = {column: _scalar(table[column].iloc[row]) for column in spec}
            unresolved.append({"column": value, "group": list(spec), "key": key})

    out = table.copy()
    added = suppressed & ~initial
    out[value] = out[value].mask(added)
    out[flag_column] = suppressed
    if label_column in out.columns:
        labels = out[label_column].fillna("").astype(object).to_numpy(copy=True)
        labels[initial & (labels == "")] = "primary"
    else:
        labels = np.where(initial, "primary", "").astype(object)
    labels[added] = "secondary"
    labels[~suppressed] = ""
    if label_column in out.columns:
        out[label_column] = labels
    else:
        out.insert(out.columns.get_loc(flag_column) + 1, label_column, labels)
    kept = [r for r in out.attrs.get(UNRESOLVED_ATTR, []) if r.get("column") != value]
    out.attrs[UNRESOLVED_ATTR] = kept + unresolved
    return out


def drop_raw(table: pd.DataFrame) -> pd.DataFrame:
    """Drop every ``*_raw`` column, so unprotected counts never reach a writer.

    Examples
    --------
    >>> import pandas as pd
    >>> drop_raw(pd.DataFrame({"n": [10], "n_suppressed": [False], "n_raw": [12]})).columns.tolist()
    ['n', 'n_suppressed']
    """
    out = table.drop(columns=[c for c in table.columns if str(c).endswith("_raw")])
    out.attrs = dict(table.attrs)
    return out


def protect_table(
    table: pd.DataFrame,
    columns: Iterable[str],
    policy: DisclosurePolicy,
    *,
    groups: Sequence[Sequence[str] | str] | None = None,
) -> pd.DataFrame:
    """Protect count columns for publication: primary suppression and rounding, then secondary suppression.

    Keeps each column's unprotected counts in ``<column>_raw``, applies :func:`protect_counts`, then
    :func:`secondary_suppression` for each column when ``groups`` is given, and finally :func:`drop_raw`.

    Parameters
    ----------
    table : pandas.DataFrame
        A long table of exact counts, one row per cell.
    columns : iterable of str
        The count columns to protect.
    policy : DisclosurePolicy
    groups : list of lists of str, optional
        Cells adding up to published margins (see :func:`secondary_suppression`); ``None`` skips secondary
        suppression.

    Returns
    -------
    pandas.DataFrame
        The publishable table: no ``*_raw`` column; ``<column>_suppressed`` beside each count, and
        ``<column>_suppression`` too when ``groups`` is given.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"area": list("aabb"), "service": list("xyxy"), "n": [3, 20, 30, 42]})
    >>> out = protect_table(t, ["n"], POLICIES["nhs"], groups=[["area"], ["service"]])
    >>> out.columns.tolist()
    ['area', 'service', 'n', 'n_suppressed', 'n_suppression']
    >>> protect_table(t, ["n"], POLICIES["nhs"])["n"].tolist()
    [<NA>, 20, 30, 40]
    """
    columns = list(columns)
    for column in columns:
        if str(column).endswith("_raw"):
            raise DisclosureError(f"Count column {column!r} ends in '_raw', which marks unprotected counts; rename it.")
    out = table.copy()
    for column in columns:
        out[f"{column}_raw"] = out[column]
    out = protect_counts(out, columns, policy)
    if groups is not None:
        for column in columns:
            out = secondary_suppression(out, column, groups=groups, policy=policy)
    return drop_raw(out)


def rate_from_published(
    count: pd.Series,
    denominator: pd.Series | float,
    per: float = 1000,
    *,
    policy: DisclosurePolicy | None = None,
) -> pd.Series:
    """A rate per ``per`` (``per=100`` gives a percentage) from *published* counts.

    Rates must come from the protected counts (rounded, ``<NA>`` when suppressed): a rate from the exact count
    would give the count back. A suppressed count gives a ``<NA>`` rate, and so does a missing or zero
    denominator.

    Parameters
    ----------
    count : pandas.Series
        Published counts (output of :func:`protect_counts` / :func:`protect_table`).
    denominator : pandas.Series or number
        Population or other base, aligned with ``count``.
    per : float, default 1000
    policy : DisclosurePolicy, optional
        When given, counts that are not multiples of ``policy.round_to`` are refused, which catches exact
        counts passed by mistake.

    Returns
    -------
    pandas.Series
        ``Float64`` rates, on ``count``'s index.

    Raises
    ------
    DisclosureError
        For a negative denominator, or (with ``policy``) a count that cannot have been published under it.

    Examples
    --------
    >>> import pandas as pd
    >>> published = protect_counts(pd.DataFrame({"n": [12, 3, 40]}), ["n"], POLICIES["nhs"])["n"]
    >>> rate_from_published(published, pd.Series([1000, 1000, 0])).tolist()
    [10.0, <NA>, <NA>]
    >>> rate_from_published(published, 200, per=100).tolist()
    [5.0, <NA>, 20.0]
    """
    counts = pd.to_numeric(pd.Series(count), errors="raise").astype("Float64")
    if isinstance(denominator, pd.Series | np.ndarray | list | tuple):
        base = pd.Series(denominator, index=counts.index if not isinstance(denominator, pd.Series) else None)
        base = pd.to_numeric(base, errors="raise").astype("Float64")
    else:
        base = pd.Series(denominator, index=counts.index, dtype="Float64")
    if (base < 0).any():
        raise DisclosureError("Rate denominators must be zero or more.")
    if policy is not None and policy.round_to > 1 and (counts % policy.round_to != 0).any():
        raise DisclosureError(
            f"Rates must use published counts: some counts are not multiples of {policy.round_to} "
            f"(policy {policy.name!r}). Pass the protected column, not the exact counts."
        )
    return (counts * per / base.mask(base == 0)).astype("Float64")
