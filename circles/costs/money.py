"""Money in whole pence, pounds in UK style, and the error every cost calculation raises.

Money is added up in whole pence (:func:`to_pence`, :func:`to_pounds`) so that declared totals agree with the sum
of their lines to the penny. :func:`as_money` is the test a cost model's amounts must pass; :func:`format_gbp`
writes pounds the way a pack shows them (``£33,550,763``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from numbers import Real
from typing import Any

import numpy as np

from circles.costs.estimates import round_half_up
from circles.errors import CirclesError

__all__ = ["CostError", "to_pence", "to_pounds", "as_money", "format_gbp"]


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
