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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from circles.errors import DisclosureError, suggest

__all__ = ["DisclosurePolicy", "POLICIES", "get_policy", "protect_counts", "protect_total", "SUPPRESSED"]

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
