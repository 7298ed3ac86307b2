"""What the design workshop pack is given: the design stage's published files, read and formatted for print.

Only the files under ``design/`` and the ``design`` entry of ``manifest.json`` are read (never the records). Each
count is shown as published (``*`` suppressed); money is in pounds with thousands separators, with the unit
costs' sources and price year; whether the unit costs and options are illustrative comes from the run (the
unit-cost file's ``illustrative`` flag, its sources), never assumed. A run without the design stage gives
``design: None`` and the :class:`~circles.packs.missing.Missing` note saying which spec lines add it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from circles.packs.missing import MissingData
from circles.packs.values import _csv, _fmt, _num, _pct

__all__ = ["design_context"]

#: Criteria of "who is best placed", in the order the published table gives them, with their headings.
CRITERIA = (
    ("meets", "Meets needs"),
    ("hours", "Hours"),
    ("reach", "Reach"),
    ("caseload", "Caseload"),
    ("duplication", "No duplication"),
)


def design_context(report: Path, manifest: dict[str, Any], image: Any, missing: MissingData) -> dict[str, Any]:
    """The design pack's context: ``design`` (``None`` without a ``design/`` folder) and ``missing_design``.

    ``image`` is the pack's :class:`circles.packs.context._Images` (its ``vector`` gives a figure's SVG).
    """
    summary = manifest.get("design")
    if not (report / "design").is_dir():
        return {"design": None, "missing_design": missing.get("design")}
    summary = summary if isinstance(summary, dict) else {}
    return {
        "design": {
            "method": summary.get("method") or {},
            "crisis_routes": ", ".join(summary.get("crisis_routes") or []),
            "sankey": (report / "design" / "journeys_sankey.html").is_file(),
            **_journeys(report, summary),
            **_time_to_planned(report, summary, image),
            **_story(report, summary),
            "repeats": _repeats(report),
            **_failure(report, summary),
            **_best_placed(report, summary),
            **_options(report, summary, image),
        },
        "missing_design": None,
    }


def gbp(value: Any) -> str:
    """``£1,225,615``, ``-£293,983``: pounds to the pound with thousands separators; ``*`` and text unchanged."""
    from circles.costs.money import format_gbp

    number = _num(value)
    return format_gbp(number) if number is not None else _fmt(value)


def _interval(row: dict[str, str], low: str, high: str, digits: int = 1) -> str:
    """``25.3–27.8%`` from two proportions, or ``""`` when either is suppressed or blank."""
    lower, upper = _num(row.get(low)), _num(row.get(high))
    if lower is None or upper is None:
        return ""
    return f"{100 * lower:.{digits}f}–{100 * upper:.{digits}f}%"


def _total(values: list[str]) -> tuple[str, bool]:
    """The sum of the published counts, and whether a suppressed count was left out of it (so "at least")."""
    numbers = [_num(v) for v in values]
    return _fmt(sum(n for n in numbers if n is not None)), any(n is None for n in numbers)


# ------------------------------------------------------------------------------------------------ journeys
def _journeys(report: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """The commonest journeys (``Other journeys`` kept last) and the routes in, crisis and planned."""
    journeys = _csv(report, "design/journeys_common.csv")
    routes = _csv(report, "design/routes_in.csv") or []
    out: dict[str, Any] = {
        "journeys": [
            {"journey": r.get("journey", ""), "families": _fmt(r.get("families")), "other": not r.get("step_1")}
            for r in journeys or []
        ]
        or None,
        "families": _fmt(summary.get("families")) if summary.get("families") is not None else None,
        "routes_published": bool(routes),
    }
    for kind in ("crisis", "planned"):
        rows = [r for r in routes if r.get("route_type") == kind]
        total, partial = _total([r.get("families", "") for r in rows])
        out[f"routes_{kind}"] = [{"route": r.get("route", ""), "families": _fmt(r.get("families"))} for r in rows]
        out[f"routes_{kind}_total"] = total if rows else None
        out[f"routes_{kind}_partial"] = partial
    return out


def _time_to_planned(report: Path, summary: dict[str, Any], image: Any) -> dict[str, Any]:
    """The Kaplan–Meier curve, its median and quartiles in words, and the table at the published days."""
    stats = summary.get("time_to_planned_support") or {}
    rows = _csv(report, "design/time_to_planned_support.csv")
    table = [
        {
            "day": r.get("day", ""),
            "waiting": _pct(r.get("survival")),
            "waiting_interval": _interval(r, "survival_lower", "survival_upper", 0),
            "at_risk": _fmt(r.get("at_risk")),
            "reached_in": _fmt(r.get("reached")),
            "censored": _fmt(r.get("censored")),
        }
        for r in rows or []
    ]

    def days(key: str) -> str | None:
        value = _num(stats.get(key))
        return None if value is None else f"{value:,.0f} day{'s' if value != 1 else ''}"

    return {
        "ttp_figure": image.vector("design/time_to_planned_support"),
        "ttp_table": table or None,
        "ttp_families": _fmt(stats.get("families_in_crisis")) if stats.get("families_in_crisis") is not None else None,
        "ttp_reached": _fmt(stats.get("reached_planned_support"))
        if stats.get("reached_planned_support") is not None
        else None,
        "ttp_median": days("median_days"),
        "ttp_lower_quartile": days("lower_quartile_days"),
        "ttp_upper_quartile": days("upper_quartile_days"),
        "ttp_censored_at": stats.get("censored_at"),
        "ttp_last_day": table[-1]["day"] if table else None,
    }


def _story(report: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """ "Telling my story again": families by the distinct services they met; the share from published counts."""
    rows = _csv(report, "design/telling_my_story.csv")
    total = _num(summary.get("story_families")) or sum(_num(r.get("families")) or 0 for r in rows or [])
    again = [r for r in rows or [] if r.get("services", "").strip() not in ("", "0", "1")]
    again_total, again_partial = _total([r.get("families", "") for r in again])
    return {
        "story": [
            {
                "services": r.get("services", ""),
                "families": _fmt(r.get("families")),
                "share": _share(r.get("families"), total),
            }
            for r in rows or []
        ]
        or None,
        "story_families": _fmt(total) if total else None,
        "story_again": again_total if again else None,
        "story_again_partial": again_partial,
        "story_again_share": _pct(_num(again_total) / total) if again and total else None,
    }


def _share(count: Any, total: float | None) -> str:
    """A published count's share of ``total`` (``*`` stays ``*``)."""
    number = _num(count)
    if number is None or not total:
        return _fmt(count)
    return _pct(number / total)


def _repeats(report: Path) -> list[dict[str, str]] | None:
    """Repeat presentations at each window: crisis contacts back within the window, with the Wilson interval."""
    return [
        {
            "window": r.get("window_days", ""),
            "crisis_contacts": _fmt(r.get("crisis_contacts")),
            "repeats": _fmt(r.get("repeats")),
            "families": _fmt(r.get("families")),
            "families_back": _fmt(r.get("families_back")),
            "share": _pct(r.get("share"), 1),
            "interval": _interval(r, "share_lower", "share_upper"),
        }
        for r in _csv(report, "design/repeat_presentations.csv") or []
    ] or None


# ------------------------------------------------------------------------------------------------ failure demand
def _failure(report: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """Failure demand per service (highest share first, suppressed last) and the "All services" row in words."""
    rows = _csv(report, "design/failure_demand.csv") or []
    every = next((r for r in rows if r.get("service") == "All services"), None)
    services = sorted(
        (r for r in rows if r is not every),
        key=lambda r: (-(_num(r.get("failure_demand_share")) or -1.0), r.get("service", "")),
    )
    sources = sorted({(r.get("cost_source") or "").strip() for r in rows} - {""})
    years = sorted({(r.get("price_year") or "").strip() for r in rows} - {""})
    unit_costs = summary.get("unit_costs") if isinstance(summary.get("unit_costs"), dict) else {}
    illustrative = bool(unit_costs.get("illustrative")) or any(s.lower().endswith("illustrative") for s in sources)
    return {
        "failure": [_failure_row(r) for r in services] or None,
        "failure_all": _failure_row(every) if every else None,
        "failure_costed": any(_num(r.get("unit_cost")) is not None for r in rows),
        "failure_uncosted": [r.get("service", "") for r in services if not (r.get("unit_cost") or "").strip()],
        "cost_sources": sources,
        "price_year": ", ".join(years) or unit_costs.get("price_year"),
        "costs_illustrative": illustrative,
    }


def _failure_row(row: dict[str, str]) -> dict[str, str]:
    unit = _num(row.get("unit_cost"))
    return {
        "service": row.get("service", ""),
        "contacts": _fmt(row.get("contacts")),
        "failure_demand": _fmt(row.get("failure_demand")),
        "repeat": _fmt(row.get("repeat")),
        "re_referral": _fmt(row.get("re_referral")),
        "crisis_after_planned": _fmt(row.get("crisis_after_planned")),
        "share": _pct(row.get("failure_demand_share"), 1),
        "interval": _interval(row, "failure_demand_lower", "failure_demand_upper"),
        "unit_cost": gbp(unit) if unit is not None else "not costed",
        "cost": gbp(row.get("failure_cost")) if (row.get("failure_cost") or "").strip() else "–",
    }


# ------------------------------------------------------------------------------------------------ best placed
def _best_placed(report: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """Each need's candidates with their scores; the weights, and the criteria not scored with the reason."""
    rows = _csv(report, "design/best_placed.csv")
    weights = _csv(report, "design/best_placed_weights.csv") or []
    scored = {w.get("criterion", ""): str(w.get("scored", "")).lower() == "true" for w in weights}
    columns = [(key, label) for key, label in CRITERIA if scored.get(key, rows is not None and bool(rows))]
    needs: dict[str, dict[str, Any]] = {}
    for r in rows or []:
        code = r.get("code_id", "")
        need = needs.setdefault(code, {"code_id": code, "name": r.get("code_name", ""), "candidates": [], "none": ""})
        if not (r.get("rank") or "").strip():
            need["none"] = r.get("service_name", "") or "No service in the directory meets this need"
            continue
        need["candidates"].append(
            {
                "rank": r.get("rank", ""),
                "service": r.get("service_name", ""),
                "organisation": r.get("organisation", ""),
                "score": _fmt(r.get("score"), 2),
                "criteria": [_fmt(r.get(f"{key}_score"), 2) for key, _ in columns],
                "families": _fmt(r.get("families")),
                "out_of_hours": str(r.get("out_of_hours", "")).lower() == "true",
            }
        )
    not_scored = summary.get("best_placed") if isinstance(summary.get("best_placed"), str) else None
    return {
        "best_placed": list(needs.values()) or None,
        "best_columns": [label for _, label in columns],
        "best_weights": [
            {"criterion": _label(w), "weight": _pct(w.get("normalised"))}
            for w in weights
            if scored.get(w.get("criterion", ""))
        ],
        "best_not_scored": [
            {"criterion": _label(w), "note": _reason(w)}
            for w in weights
            if not scored.get(w.get("criterion", ""), True)
        ],
        "best_placed_skipped": not_scored,
        "no_service": [f"“{n['name']}” ({n['code_id']})" for n in needs.values() if not n["candidates"]],
    }


def _label(weight: dict[str, str]) -> str:
    """A criterion's heading (``No duplication``), or its name as published."""
    name = weight.get("criterion", "")
    return dict(CRITERIA).get(name, name)


def _reason(weight: dict[str, str]) -> str:
    """Why a criterion was not scored, from the weights file's note (``not scored: no centroids …``)."""
    note = (weight.get("note") or "").strip()
    return note.removeprefix("not scored:").strip() or "the run did not score it"


# ------------------------------------------------------------------------------------------------ options
def _range(row: dict[str, str]) -> str:
    """An assumption's low and high values: ``£2,500 to £4,000`` for a cost, ``0.05 to 0.3`` otherwise."""
    money = str(row.get("assumption", "")).lower().startswith("cost")

    def one(value: Any) -> str:
        number = _num(value)
        if money or number is None:
            return gbp(value)
        return f"{number:,.0f}" if number == round(number) else f"{number:g}"

    return f"{one(row.get('low'))} to {one(row.get('high'))}"


def _options(report: Path, summary: dict[str, Any], image: Any) -> dict[str, Any]:
    """The options appraised: NPV low/central/high, benefit–cost ratio, and each option's tornado."""
    rows = _csv(report, "design/options.csv")
    tornado = _csv(report, "design/options_tornado.csv") or []
    meta = summary.get("options") if isinstance(summary.get("options"), dict) else {}
    options = []
    for r in rows or []:
        key = r.get("option_id", "")
        swings = sorted((t for t in tornado if t.get("option_id") == key), key=lambda t: -(_num(t.get("swing")) or 0))
        options.append(
            {
                "id": key,
                "name": r.get("option", key),
                "needs": r.get("needs", ""),
                "families": _fmt(r.get("families")),
                "cost_per_family": gbp(r.get("cost_per_family")),
                "pv_cost": gbp(r.get("pv_cost")),
                "pv_avoided": gbp(r.get("pv_avoided")),
                "npv_low": gbp(r.get("npv_low")),
                "npv_central": gbp(r.get("npv_central")),
                "npv_high": gbp(r.get("npv_high")),
                "central": _num(r.get("npv_central")),
                "bcr": _fmt(r.get("benefit_cost_ratio"), 2),
                "tornado": image.vector(f"design/options_tornado_{key}"),
                "swings": [
                    {
                        "assumption": t.get("assumption", ""),
                        "range": _range(t),
                        "npv_range": f"{gbp(t.get('npv_low'))} to {gbp(t.get('npv_high'))}",
                        "swing": gbp(t.get("swing")),
                    }
                    for t in swings[:3]
                ],
            }
        )
    first = (rows or [{}])[0]
    rate = _num(first.get("discount_rate") or meta.get("discount_rate"))
    return {
        "options": options or None,
        "options_years": first.get("years") or meta.get("years"),
        "options_rate": f"{100 * rate:g}%" if rate is not None else None,
        "options_price_year": first.get("price_year"),
        "options_illustrative": bool(meta.get("illustrative")),
        "options_method": meta.get("method"),
        "options_all_negative": bool(options) and all(o["central"] is not None and o["central"] < 0 for o in options),
    }
