"""Money in whole pence, pounds in UK style, and the error every cost calculation raises.

Money is added up in whole pence (:func:`to_pence`, :func:`to_pounds`) so that declared totals agree with the sum
of their lines to the penny. :func:`as_money` is the test a cost model's amounts must pass; :func:`format_gbp`
writes pounds to the penny or pound (``£33,550,763``) for analysts' tables; :func:`format_gbp_rounded` writes an
estimate the way a pack quotes it, to 3 significant figures (``£33.6 million``), since an estimate built from
rates and average costs is not known to the pound.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from numbers import Real
from typing import Any

import numpy as np

from circles.costs.estimates import round_half_up
from circles.errors import CirclesError

__all__ = ["CostError", "to_pence", "to_pounds", "as_money", "format_gbp", "round_significant", "format_gbp_rounded"]


class CostError(CirclesError):
    """A cost model, cost per case, savings scenario or apportionment cannot be computed from what was given."""


def to_pence(value: float) -> int:
    """Whole pence from pounds (as written: 0.1 is 10p exactly).

    Parameters
    ----------
    value : float
        Pounds.

    Returns
    -------
    int

    Examples
    --------
    >>> to_pence(0.1), to_pence(11631409)
    (10, 1163140900)
    """
    return int(Decimal(repr(float(value))).scaleb(2).to_integral_value())


def to_pounds(pence: int) -> float:
    """Pounds from whole pence.

    Parameters
    ----------
    pence : int

    Returns
    -------
    float

    Examples
    --------
    >>> to_pounds(1163140901)
    11631409.01
    """
    return float(Decimal(pence).scaleb(-2))


def as_money(value: Any) -> Decimal | None:
    """A non-negative amount of money with at most 2 decimal places, or ``None`` if it is not one.

    Negative amounts are returned (the caller says why they are wrong); text, booleans, infinities and fractions
    of a penny are not amounts of money.

    Parameters
    ----------
    value : Any
        A value read from YAML.

    Returns
    -------
    decimal.Decimal or None

    Examples
    --------
    >>> as_money(1250.5), as_money(-3), as_money(99.999), as_money("£100")
    (Decimal('1250.5'), Decimal('-3'), None, None)
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(int(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return amount


def format_gbp(value: float, *, pence: bool = False) -> str:
    """Pounds in UK style: ``£33,550,763``; negative as ``-£1,234``; rounded half up.

    Parameters
    ----------
    value : float
        Pounds.
    pence : bool, default False
        Show pence (``£12.50``) rather than whole pounds.

    Returns
    -------
    str
        The amount, or ``""`` for NaN or infinity.

    Examples
    --------
    >>> format_gbp(33550763), format_gbp(-1234.5), format_gbp(5935.04), format_gbp(12.5, pence=True)
    ('£33,550,763', '-£1,235', '£5,935', '£12.50')
    >>> format_gbp(float("nan"))
    ''
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise CostError(f"format_gbp needs a number of pounds; got {value!r}.")
    if not np.isfinite(value):
        return ""
    places = 2 if pence else 0
    amount = round_half_up(float(value), places)
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.{places}f}"


def round_significant(value: float, figures: int = 3) -> float:
    """``value`` rounded half up to ``figures`` significant figures (5,474.3 → 5,470; 33,550,763 → 33,600,000).

    Parameters
    ----------
    value : float
    figures : int, default 3

    Returns
    -------
    float
        NaN and infinities unchanged; 0 stays 0.

    Examples
    --------
    >>> round_significant(33550763), round_significant(5474.26), round_significant(17805.1, 2)
    (33600000.0, 5470.0, 18000.0)
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise CostError(f"round_significant needs a number; got {value!r}.")
    if isinstance(figures, bool) or not isinstance(figures, int) or figures < 1:
        raise CostError(f"figures must be a whole number, 1 or more; got {figures!r}.")
    number = float(value)
    if not np.isfinite(number) or number == 0:
        return number
    exponent = Decimal(repr(abs(number))).adjusted()
    return round_half_up(number, figures - 1 - exponent)


def format_gbp_rounded(value: float, figures: int = 3) -> str:
    """An estimate in pounds as a pack quotes it: 3 significant figures, millions in words.

    ``£33.6 million``, ``£5,470``, ``£178,000``, ``£102``: an estimate made from prevalence rates and average
    costs is not known to the pound, so it is not quoted to the pound (the CSVs keep the full values for
    analysts).

    Parameters
    ----------
    value : float
        Pounds.
    figures : int, default 3
        Significant figures.

    Returns
    -------
    str
        ``""`` for NaN or infinity.

    Examples
    --------
    >>> format_gbp_rounded(33550763), format_gbp_rounded(5474.26), format_gbp_rounded(178051.2)
    ('£33.6 million', '£5,470', '£178,000')
    >>> format_gbp_rounded(1_250_000_000), format_gbp_rounded(-1234), format_gbp_rounded(102.16)
    ('£1.25 billion', '-£1,230', '£102')
    >>> format_gbp_rounded(10029121), format_gbp_rounded(123_456_789)
    ('£10.0 million', '£123 million')
    """
    rounded = round_significant(value, figures)
    if not np.isfinite(rounded):
        return ""
    sign, amount = ("-" if rounded < 0 else ""), abs(rounded)
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if amount >= size:
            digits = len(str(int(amount // size)))  # keep the significant figures: £10.0 million, not £10 million
            return f"{sign}£{amount / size:.{max(figures - digits, 0)}f} {word}"
    return f"{sign}£{amount:,.0f}"
