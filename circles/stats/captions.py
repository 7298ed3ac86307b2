"""How a hot-spot result is described: on rates (smoothed) or on counts, and why, for every caption and title.

Hot spots are tested on the rate when the layer has a population, else on counts; a caption that said "rate"
for a layer tested on counts would contradict the numbers beside it. The map stages and the packs describe
each layer with :func:`hotspot_wording`, from what the run recorded in ``manifest.json``.

>>> manifest = {"rates": {"measure": "people"}, "hotspots": {"layers": {"lsoa": {"value": "count"}}}}
>>> hotspot_wording(manifest, "lsoa")["on"]
'of counts of people, not rates'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["hotspot_wording", "measure_words", "rate_unit", "residents"]

_MEASURE_WORDS = {"people": "people", "records": "service records"}


def hotspot_wording(manifest: dict[str, Any], layer: str) -> dict[str, Any] | None:
    """How to describe a layer's hot spots: on rates or on counts, and why.

    Returns
    -------
    dict or None
        ``value`` (``"rate"`` or ``"count"``), ``on`` (``"of the rate"`` / ``"of counts of people, not rates"``,
        to follow "Hot and cold spots"), ``clause`` (the same with the reason, to follow "Gi* hot spots by ward"),
        ``caption`` (one sentence for a figure or table), ``tested`` (short, for the method-notes table) and
        ``counts`` (``True`` for counts); ``None`` when the layer was not tested.
    """
    entry = ((manifest.get("hotspots") or {}).get("layers") or {}).get(layer)
    if not isinstance(entry, dict):
        return None
    tested = str(entry.get("tested", ""))
    value = entry.get("value") or ("count" if tested.startswith("count") else "rate")
    measure = measure_words(manifest, tested)
    if value == "rate":
        return {
            "value": "rate",
            "counts": False,
            "on": "of the rate",
            "clause": f"of the rate of {measure} per resident, smoothed (Empirical Bayes)",
            "tested": f"Rate of {measure} per resident, smoothed (Empirical Bayes)",
            "caption": f"Hot spots of the rate of {measure} per resident, smoothed (Empirical Bayes) so that small "
            "populations do not dominate",
        }
    if entry.get("value_requested", "rate") == "count":
        reason = "the spec asks for counts (hotspots: value: count)"
    else:
        reason = "no population for this layer"
    clause = (
        f"on counts of {measure} ({reason}: counts, not rates — large areas and areas with many residents will "
        "stand out)"
    )
    return {
        "value": "count",
        "counts": True,
        "on": f"of counts of {measure}, not rates",
        "tested": f"Counts of {measure}, not rates ({reason})",
        "clause": clause,
        "caption": f"Hot spots {clause}",
    }


def measure_words(manifest: dict[str, Any], tested: str = "") -> str:
    """What the run counted, in words ("people", "service records"), from its rates entry or a hot-spot label."""
    measure = (manifest.get("rates") or {}).get("measure")
    if measure is None:
        found = re.search(r"(?:count|rate) of (\w+)", tested)
        measure = found.group(1) if found else "people"
    return _MEASURE_WORDS.get(measure, measure)


def rate_unit(rates: dict[str, Any]) -> str:
    """What a rate is per, from the manifest's (or spec's) rates entry.

    >>> rate_unit({"per": 1000, "age_band": "18+"}), rate_unit({"per": 1000, "age_band": "all"})
    ('per 1,000 residents aged 18+', 'per 1,000 residents (all ages)')
    >>> rate_unit({"per": 100000, "age_band": "0-15"})
    'per 100,000 residents aged 0–15'
    """
    return f"per {int(rates.get('per') or 1000):,} {residents(rates)}"


def residents(rates: dict[str, Any]) -> str:
    """The population rates are per: ``residents (all ages)`` or ``residents aged 18+``."""
    band = str(rates.get("age_band") or "all").strip()
    if band.lower() in ("all", "all ages", ""):
        return "residents (all ages)"
    return f"residents aged {band.replace('-', '–')}"
