"""UK postcodes: normalisation and validation (vectorised).

A postcode is valid when its compact form matches the BS 7666 pattern used by the ONS and the Government
Data Standards Catalogue: an outward code of one or two area letters, a district digit and an optional
district character, then an inward code of a sector digit and two unit letters. ``GIR 0AA`` is also valid.

Two standard layouts are produced: ``pcds`` (single space, e.g. ``"BB1 1AA"``) and ``pcd`` (seven characters,
outward code left aligned, e.g. ``"BB1 1AA"`` / ``"M1  1AA"``), as in the ONS Postcode Directory.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["POSTCODE_PATTERN", "normalise_postcodes", "to_pcd7", "postcode_district"]

# Letters allowed in each position follow BS 7666 (no Q, V, X first; no I, J, Z second; ...).
_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
#: Compact (no space) postcode pattern.
POSTCODE_PATTERN = rf"^(?:{_OUTWARD}{_INWARD}|GIR0AA)$"


def normalise_postcodes(values: pd.Series) -> pd.DataFrame:
    """Normalise free-text postcodes to the ``pcds`` form and say which are valid.

    Case is folded, and every kind of whitespace (including non-breaking spaces) is removed before the
    pattern is checked, so ``" bb2  1aa"`` becomes ``"BB2 1AA"``.

    Parameters
    ----------
    values : pandas.Series
        Postcodes as typed by people; blanks and missing values are allowed.

    Returns
    -------
    pandas.DataFrame
        Same index, columns ``pcds`` (normalised, ``<NA>`` where invalid), ``valid`` (bool) and ``blank`` (bool).

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_postcodes(pd.Series([" bb2  1aa", "BB21A", ""]))["pcds"].tolist()
    ['BB2 1AA', <NA>, <NA>]
    """
    text = values.astype("string").fillna("")
    compact = text.str.upper().str.replace(r"\s+", "", regex=True)
    blank = compact.eq("")
    valid = compact.str.fullmatch(POSTCODE_PATTERN).fillna(False).astype(bool)
    pcds = (compact.str[:-3] + " " + compact.str[-3:]).where(valid, pd.NA).astype("string")
    return pd.DataFrame({"pcds": pcds, "valid": valid.to_numpy(), "blank": blank.to_numpy()}, index=values.index)


def to_pcd7(pcds: pd.Series) -> pd.Series:
    """Seven-character ``pcd`` layout from ``pcds`` (``"M1 1AA"`` -> ``"M1  1AA"``)."""
    parts = pcds.astype("string").str.split(" ", n=1, expand=True)
    return parts[0].str.pad(4, side="right") + parts[1].str[-3:] if parts.shape[1] == 2 else pcds


def postcode_district(pcds: pd.Series) -> pd.Series:
    """The outward code (postcode district), e.g. ``"BB1"``: coarse enough to keep after geocoding."""
    return pcds.astype("string").str.split(" ", n=1).str[0]
