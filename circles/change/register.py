"""The benefits register: each benefit, its measure, baseline, target, owner, latest value and status.

What a programme office keeps (HM Treasury / IPA benefits management practice): one line a benefit, tracked to a
measure the run computes. The status says where the latest value stands against the target:

``target met``                   the latest value is at or beyond the target in the benefit's direction, and so is
                                 the whole of its interval when it has one
``target met, not yet certain``  the estimate meets the target but its interval reaches the wrong side of it
``improving``                    moved from the baseline in the right direction, target not yet met
``not improving``                level with or worse than the baseline
``too few to publish``           a count the disclosure policy suppresses (the register shows ``*``)
``not yet measured``             the run could not compute the measure (its data is missing)

References
----------
Infrastructure and Projects Authority (2017). *Guide for Effective Benefits Management in Major Projects*, sections
on the benefits register and benefits realisation.

Examples
--------
>>> from circles.change.case import Benefit
>>> b = Benefit(id="B1", benefit="Fewer crisis contacts", measure="crisis_contacts_per_family_month",
...             baseline=0.8, target=0.5, direction="down", owner="Head of Early Help")
>>> table = benefits_register([b], latest={"crisis_contacts_per_family_month": 0.62})
>>> table[["id", "baseline", "latest", "status"]].values.tolist()
[['B1', 0.8, 0.62, 'improving']]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from circles.change.case import FROM_COMPARISON, MEASURES, Benefit

__all__ = ["REGISTER_COLUMNS", "STATUSES", "benefits_register", "benefit_status"]

REGISTER_COLUMNS = (
    "id",
    "benefit",
    "measure",
    "what_is_measured",
    "baseline",
    "target",
    "direction",
    "owner",
    "latest",
    "latest_low",
    "latest_high",
    "status",
)
STATUSES = (
    "target met",
    "target met, not yet certain",
    "improving",
    "not improving",
    "too few to publish",
    "not yet measured",
)
#: A latest value given as this is a count the disclosure policy suppressed.
SUPPRESSED = "*"


def benefit_status(
    baseline: float | None,
    target: float,
    latest: float | str | None,
    direction: str,
    interval: tuple[float, float] | None = None,
) -> str:
    """Where ``latest`` stands against ``target`` (and ``baseline``) for a benefit going ``direction``.

    Examples
    --------
    >>> benefit_status(10, 5, 4, "down"), benefit_status(10, 5, 12, "down"), benefit_status(2, 6, None, "up")
    ('target met', 'not improving', 'not yet measured')
    >>> benefit_status(0, 100, 120, "up", interval=(20, 220)), benefit_status(0, 10, "*", "up")
    ('target met, not yet certain', 'too few to publish')
    """
    if isinstance(latest, str) and latest == SUPPRESSED:
        return "too few to publish"
    if latest is None or pd.isna(latest):
        return "not yet measured"
    sign = -1 if direction == "down" else 1
    if sign * (latest - target) >= 0:
        if interval is not None and min(sign * (v - target) for v in interval) < 0:
            return "target met, not yet certain"
        return "target met"
    if baseline is not None and not pd.isna(baseline) and sign * (latest - baseline) > 0:
        return "improving"
    return "not improving"


def benefits_register(
    benefits: Sequence[Benefit],
    latest: Mapping[str, float | str | None],
    baselines: Mapping[str, float | None] | None = None,
    intervals: Mapping[str, tuple[float, float]] | None = None,
    descriptions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The register: one row a benefit, with its latest value (and interval) and status.

    Parameters
    ----------
    benefits : sequence of Benefit
        The case for change file's ``benefits``.
    latest : mapping
        Measure → its latest value (``None`` when the run could not compute it, ``"*"`` when it is a count the
        disclosure policy suppressed).
    baselines : mapping, optional
        Measure → the baseline the comparison group gives, for benefits whose baseline is
        "from the comparison group".
    intervals : mapping, optional
        Measure → the (low, high) interval of its latest value, when it has one.
    descriptions : mapping, optional
        Measure → what it is, for ``what_is_measured`` (default :data:`circles.change.case.MEASURES`; see
        :func:`circles.change.case.describe_measures` to name the crisis contacts).
    """
    rows, descriptions = [], descriptions or MEASURES
    for b in benefits:
        baseline = (baselines or {}).get(b.measure) if b.baseline == FROM_COMPARISON else b.baseline
        baseline = None if baseline is None or pd.isna(baseline) else round(float(baseline), 3)
        value = latest.get(b.measure)
        if not (isinstance(value, str) and value == SUPPRESSED):
            value = None if value is None or pd.isna(value) else round(float(value), 3)
        interval = (intervals or {}).get(b.measure)
        low, high = (round(float(v), 3) for v in interval) if interval else (None, None)
        status = benefit_status(baseline, b.target, value, b.direction, interval)
        row = [b.id, b.benefit, b.measure, descriptions[b.measure], baseline, b.target, b.direction, b.owner]
        rows.append([*row, value, low, high, status])
    return pd.DataFrame(rows, columns=list(REGISTER_COLUMNS))
