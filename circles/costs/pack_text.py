"""What the packs say about costs, from the run's manifest and published tables: every £ rounded as the estimate
it is, with the source and price year beside it.

The pack context (:mod:`circles.packs.context`) calls these with the manifest's ``costs`` entry (from
:func:`circles.costs.problem.cost_of_problem`'s summary) and the rows of ``costs/scenarios.csv``.
"""

from __future__ import annotations

import math
from typing import Any

from circles.costs.money import format_gbp_rounded

__all__ = ["money", "provenance_text", "prices_text", "family_note", "scenario_rows", "savings_shares"]


def _number(value: Any) -> float | None:
    try:
        number = float(str(value).replace(",", "").replace("£", ""))
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def money(value: Any) -> str:
    """An estimate in pounds to 3 significant figures; text (``*``) unchanged; blank as an en dash.

    Examples
    --------
    >>> money("33550763.0"), money("*"), money(None)
    ('£33.6 million', '*', '–')
    """
    number = _number(value)
    if number is not None:
        return format_gbp_rounded(number)
    return "–" if value is None or str(value).strip() in ("", "nan", "None") else str(value)


def _count(value: Any) -> str:
    number = _number(value)
    return f"{number:,.0f}" if number is not None and number.is_integer() else str(value)


def _pct(value: Any) -> str:
    number = _number(value)
    return f"{100 * number:.0f}%" if number is not None else money(value)


def provenance_text(costs: dict[str, Any]) -> str:
    """``Source: …. Prices: not stated by the source. Rounded to 3 significant figures.``: beside every £ figure."""
    sources = [str(s) for s in costs.get("sources") or []]
    year = str(costs.get("price_year") or "not stated")
    if not sources and "price_year" not in costs:
        return ""
    prices = "not stated by the source" if year == "not stated" else year
    return (
        f"Source: {'; '.join(sources) or 'not given'}. Prices: {prices}. "
        "Estimates are rounded to 3 significant figures."
    )


def prices_text(costs: dict[str, Any]) -> str:
    """``prices not stated by the source``, ``2012/13 prices`` or ``mixed price years (…), not uprated``."""
    if "price_year" not in costs:
        return ""
    year = str(costs.get("price_year") or "not stated")
    if year == "not stated":
        return "prices not stated by the source"
    return year if year.startswith("mixed") else f"{year} prices"


def family_note(costs: dict[str, Any]) -> str:
    """How a family's cost is made up: adults in need × the cost per case + each cost per family, and where the
    number of adults comes from; ``""`` without a family.

    Examples
    --------
    >>> note = family_note({"cost_per_family_rounded": "£4,000", "family": {"adults_per_family": 1.5, "adults_source":
    ...     "a survey", "costs_per_family": [{"line": "children's care", "annual_cost": 2500, "source": "PSSRU"}]}})
    >>> note.split(": ", 1)[1]
    "1.5 × the cost per case + £2,500 children's care (PSSRU). Adults in need per family: a survey."
    """
    family = costs.get("family")
    if not family or not costs.get("cost_per_family_rounded"):
        return ""
    adults = float(family.get("adults_per_family") or 0)
    extras = family.get("costs_per_family") or []
    extra = " + ".join(f"{money(e.get('annual_cost'))} {e.get('line', '')} ({e.get('source', '')})" for e in extras)
    lower = " (the model has no costs per family beyond its adults', so this is a lower bound)"
    cost = f"{adults:g} × the cost per case" + (f" + {extra}" if extra else lower)
    return (
        f"A family ({family.get('description') or 'a family'}) is priced at {costs['cost_per_family_rounded']} a "
        f"year: {cost}. Adults in need per family: {family.get('adults_source', 'source not given')}."
    )


def scenario_rows(rows: list[dict[str, str]] | None) -> list[dict[str, str]] | None:
    """The savings scenarios (rows of ``costs/scenarios.csv``), each priced per person or per family, rounded to
    3 significant figures."""
    if not rows or "scenario" not in rows[0]:
        return rows  # an older report's table, as it was published
    return [
        {
            "Scenario": r.get("scenario", ""),
            "Assumed number": f"{_count(r.get('assumed_number_sustaining_change'))} "
            + ("families" if r.get("unit") == "family" else "people"),
            "Cost a year each": f"{money(r.get('cost_per_unit'))} per {r.get('unit', 'person')}",
            "Low": money(r.get("low")),
            "Central": money(r.get("central")),
            "High": money(r.get("high")),
        }
        for r in rows
    ]


def savings_shares(costs: dict[str, Any]) -> list[dict[str, str]] | None:
    """What each scenario avoids: ``High: 100% of a case's annual cost — all the average annual cost …``."""
    shares = costs.get("savings_shares") or {}
    return [
        {"name": name.capitalize(), "share": _pct(value.get("share")), "avoids": value.get("avoids") or ""}
        for name, value in shares.items()
    ] or None
