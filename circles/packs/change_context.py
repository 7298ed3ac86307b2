"""What the case for change pack is given: the Change stage's published files, read and worded for print.

Only the files under ``change/`` (and, for the reason for change, the costs, challenge and design files the other
packs read too) and the ``change`` entry of ``manifest.json`` are read, never the records. Every count is shown as
published (``*`` suppressed). The words that judge a result come from its numbers: an interval that spans zero
"cannot yet rule out no effect", whatever the estimate; a register line keeps the status the stage gave it.
A run without the change stage gives ``change: None`` and the :class:`~circles.packs.missing.Missing` note
saying which spec lines add it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from circles.packs.design_context import gbp
from circles.packs.missing import MissingData
from circles.packs.values import _csv, _fmt, _num

__all__ = ["change_context", "effect_sentence"]


def effect_sentence(estimate: float, lower: float, upper: float, *, unit: str, money: bool = False) -> str:
    """The effect in words that follow from its interval, never from hope.

    Parameters
    ----------
    estimate, lower, upper : float
        The difference-in-differences and its interval (negative: fewer after the start than expected).
    unit : str
        What is counted, e.g. ``"crisis contacts a family-month"``.
    money : bool
        Format the numbers as pounds.

    Examples
    --------
    >>> effect_sentence(-0.2, -0.35, -0.03, unit="crisis contacts a family-month")[:73]
    'fell by 0.20 crisis contacts a family-month (interval 0.03 to 0.35 fewer)'
    >>> effect_sentence(-0.2, -0.45, 0.05, unit="a family-month")[-29:]
    'cannot yet rule out no effect'
    >>> effect_sentence(-72.6, -137.2, 3.7, unit="a family-month", money=True)[:60]
    'fell by £73 a family-month (interval £137 fewer to £4 more):'
    """

    def size(value: float) -> str:
        return gbp(round(abs(value))) if money else f"{abs(value):.2f}"

    def side(value: float) -> str:
        return f"{size(value)} {'fewer' if value < 0 else 'more'}"

    if upper < 0:
        return (
            f"fell by {size(estimate)} {unit} (interval {size(upper)} to {size(lower)} fewer): the interval is "
            "wholly below zero, so chance alone is an unlikely explanation"
        )
    if lower > 0:
        return (
            f"rose by {size(estimate)} {unit} (interval {size(lower)} to {size(upper)} more): the interval is "
            "wholly above zero"
        )
    moved = "fell" if estimate < 0 else "rose" if estimate > 0 else "did not move"
    by = f" by {size(estimate)} {unit}" if estimate else f" ({unit})"
    return (
        f"{moved}{by} (interval {side(lower)} to {side(upper)}): the interval includes zero, so this evaluation "
        "cannot yet rule out no effect"
    )


def _first_upper(text: str) -> str:
    """``text`` with its first letter upper case and the rest as it was (``str.capitalize`` lowers "A&E")."""
    return text[:1].upper() + text[1:]


def change_context(report: Path, manifest: dict[str, Any], image: Any, missing: MissingData) -> dict[str, Any]:
    """The case for change pack's context: ``change`` (``None`` without a ``change/`` folder), ``change_case`` (the
    case file's words) and ``missing_change``.

    ``image`` is the pack's :class:`circles.packs.context._Images` (its ``vector`` gives a figure's SVG).
    """
    summary = manifest.get("change")
    case = _case(report)
    if not (report / "change").is_dir() or not isinstance(summary, dict):
        return {"change": None, "change_case": case, "missing_change": missing.get("change")}
    return {
        "change_case": case,
        "change": {
            "as_of": summary.get("as_of"),
            "after_months": summary.get("after_months"),
            "before_months": summary.get("before_months"),
            "method": summary.get("method") or {},
            **_effect(report, summary, image),
            **_benefits(report, summary, image),
            **_family_outcomes(report, summary),
            "register": _register(report),
        },
        "missing_change": None,
    }


def _case(report: Path) -> dict[str, Any]:
    """``change/case_for_change.json`` (the case file's words); blanks and empty lists without one."""
    path = report / "change" / "case_for_change.json"
    try:
        case = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        case = {}
    case = case if isinstance(case, dict) else {}
    for key in ("champions", "owners", "risks", "measures", "next_steps"):
        case.setdefault(key, [])
    for key in ("name", "reason", "option", "crisis_contacts"):
        case.setdefault(key, "")
    case.setdefault("illustrative", False)
    return case


def _effect(report: Path, summary: dict[str, Any], image: Any) -> dict[str, Any]:
    """The difference-in-differences of each measure in words, the families compared, and the detectable effect."""
    effects = []
    for row in _csv(report, "change/effect.csv") or []:
        estimate, lower, upper = (_num(row.get(k)) for k in ("difference_in_differences", "lower", "upper"))
        measure = row.get("measure", "")
        money = measure.startswith("crisis cost")
        label = measure.removesuffix(" a family-month").replace(" (£)", "")
        show = gbp if money else (lambda v: _fmt(v, 2))
        effects.append(
            {
                "measure": _first_upper(label),
                "pilot_before": show(row.get("pilot_before")),
                "pilot_after": show(row.get("pilot_after")),
                "comparison_before": show(row.get("comparison_before")),
                "comparison_after": show(row.get("comparison_after")),
                "estimate": show(row.get("difference_in_differences")),
                "interval": f"{show(row.get('lower'))} to {show(row.get('upper'))}",
                "level": f"{100 * (_num(row.get('level')) or 0.95):.0f}%",
                "sentence": effect_sentence(estimate, lower, upper, unit="a family-month", money=money)
                if None not in (estimate, lower, upper)
                else None,
                "pilot_families": _fmt(row.get("pilot_families")),
                "comparison_families": _fmt(row.get("comparison_families")),
            }
        )
    detectable = summary.get("detectable") or {}
    return {
        "effects": effects or None,
        "detectable": detectable.get("statement"),
        "balance_max": _fmt(summary.get("balance_max_smd_after"), 2)
        if summary.get("balance_max_smd_after") is not None
        else None,
        "match_on": ", ".join(str(c).replace("_", " ") for c in summary.get("match_on") or []),
        "trend_figure": image.vector("change/crisis_trend"),
        "balance_figure": image.vector("change/balance"),
    }


def _benefits(report: Path, summary: dict[str, Any], image: Any) -> dict[str, Any]:
    """Benefits realised so far against those the appraisal expected, with their intervals, and the chart."""
    b = summary.get("benefits")
    if not isinstance(b, dict):
        return {"benefits": None}
    quarters = _csv(report, "change/benefits_by_quarter.csv") or []
    realised, low, high = (_num(b.get(k)) for k in ("realised", "realised_low", "realised_high"))
    return {
        "benefits": {
            "realised": gbp(realised),
            "realised_interval": f"{gbp(low)} to {gbp(high)}",
            "realised_spans_zero": low is not None and high is not None and low < 0 < high,
            "expected": gbp(b.get("expected")),
            "expected_interval": f"{gbp(b.get('expected_low'))} to {gbp(b.get('expected_high'))}",
            "level": f"{100 * (_num(b.get('level')) or 0.95):.0f}%",
            "rate": f"{100 * (_num(b.get('discount_rate')) or 0):g}%",
            "price_year": b.get("price_year"),
            "option": b.get("option"),
            "not_measured": ", ".join(b.get("expected_not_measured") or []),
            "first_quarter": quarters[0].get("quarter") if quarters else None,
            "last_quarter": quarters[-1].get("quarter") if quarters else None,
            "figure": image.vector("change/benefits_by_quarter"),
            "method": b.get("method"),
        }
    }


def _family_outcomes(report: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """Families by Supporting Families status (as published) and the headline needs holding the rest back."""
    outcomes = summary.get("family_outcomes")
    if not isinstance(outcomes, dict):
        return {"family_outcomes": None}
    statuses = [
        {"status": _first_upper(r.get("status", "")), "families": _fmt(r.get("families"))}
        for r in _csv(report, "change/family_outcomes.csv") or []
    ]
    holding = [
        {"outcome": r.get("outcome") or r.get("headline_outcome", ""), "families": _fmt(r.get("families"))}
        for r in _csv(report, "change/holding_back.csv") or []
    ]
    return {
        "family_outcomes": {
            "assessed": _fmt(outcomes.get("assessed")),
            "statuses": statuses,
            "holding_back": holding,
            "rule": outcomes.get("rule"),
            "as_of": outcomes.get("as_of"),
        }
    }


def _register(report: Path) -> list[dict[str, str]] | None:
    """The benefits register as published: each benefit's baseline, target, latest value (interval) and status."""
    rows = _csv(report, "change/benefits_register.csv")
    if not rows:
        return None
    out = []
    for r in rows:
        money = r.get("measure", "").endswith("gbp") or "cost" in r.get("measure", "")
        show = gbp if money else (lambda v: _fmt(v, 2) if _num(v) is not None and _num(v) % 1 else _fmt(v))
        low, high = r.get("latest_low", ""), r.get("latest_high", "")
        out.append(
            {
                "id": r.get("id", ""),
                "benefit": r.get("benefit", ""),
                "what": r.get("what_is_measured", ""),
                "baseline": show(r.get("baseline")),
                "target": f"{'at most' if r.get('direction') == 'down' else 'at least'} {show(r.get('target'))}",
                "latest": show(r.get("latest")),
                "interval": f"{show(low)} to {show(high)}" if low and high else "",
                "status": r.get("status", ""),
                "owner": r.get("owner", ""),
            }
        )
    return out
