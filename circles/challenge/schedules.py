"""Opening sessions from schedule rules: HSDS 3.0 schedules, which are iCalendar recurrence rules, over a period.

An HSDS 3.0 ``schedule`` row (https://docs.openreferral.org/en/latest/hsds/schema_reference.html#schedule) is an
iCalendar recurrence rule (RFC 5545, section 3.3.10 "Recurrence Rule") with the hours of its sessions:

==============================  ============================================================================
field                           meaning
==============================  ============================================================================
``freq``                        ``WEEKLY``, ``DAILY`` or ``MONTHLY`` (the frequencies circles computes)
``interval``                    every ``interval`` weeks, days or months: 2 with ``WEEKLY`` is fortnightly
``byday``                       ``MO`` ... ``SU``; with ``MONTHLY`` an ordinal: ``1MO`` the first Monday,
                                ``-1FR`` the last Friday of the month
``bymonthday``                  days of the month, ``15`` or ``-1`` (the last day)
``byweekno``                    ISO weeks of the year (``-1`` the last)
``dtstart``                     the first day of the recurrence; it anchors ``interval`` (which weeks)
``until`` / ``count``           the last day of the recurrence / how many times it happens
``valid_from`` / ``valid_to``   the first and last day the schedule holds (HSDS's own fields)
``opens_at`` / ``closes_at``    the hours of each session
==============================  ============================================================================

The ``timezone``, ``wkst`` (weeks start on Monday here) and ``byyearday`` fields are not used. Every rule is
expanded by :class:`dateutil.rrule.rrule`; nothing here hand-rolls recurrence.

A service's hours are a *reference period*'s: hours a week are the hours of all its sessions in the period,
overlaps merged, divided by the period's weeks. A fortnightly session counts half; a schedule that ended before
the period counts nothing, and the service is not *current*. A weekly row (``weekday, opens_at, closes_at`` with
no rule) gives the same hours a week over any period of whole weeks.

``reference_period``  the period: 52 weeks from a date (or from today)
``opening_sessions``  every session of every service in a period, overlaps merged
``schedule_summary``  per service: hours a week, days open, evenings, weekends, 24/7, current
``rule_rows``         one schedule rule -> the tidy ``schedules`` rows of a
                      :class:`~circles.challenge.directory.ServiceDirectory` (used by the readers)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from dateutil import rrule

from circles.challenge.directory import (
    FREQS,
    RULE_COLUMNS,
    DirectoryError,
    _byday_key,
    _byday_text,
    _minutes,
    _parse_byday,
    _parse_date,
    _parse_numbers,
    _parse_time,
)

__all__ = ["Period", "reference_period", "opening_sessions", "schedule_summary", "rule_rows"]


class _Overnight(ValueError):
    """An overnight session of a rule that cannot be split at midnight (not every week on given days)."""


#: A reference period ``(start, end)``: ``start`` is its first day, ``end`` the first day after it.
Period = tuple[date, date]
_RRULE_FREQ = {"WEEKLY": rrule.WEEKLY, "DAILY": rrule.DAILY, "MONTHLY": rrule.MONTHLY}
_SUMMARY = {
    "service_id": object,
    "hours_known": bool,
    "hours_per_week": "float64",
    "days_open": "int64",
    "evening_hours": "float64",
    "evenings": bool,
    "weekends": bool,
    "always_open": bool,
    "current": bool,
    "not_current": object,
}


def reference_period(start: date | str | None = None, *, weeks: int = 52) -> Period:
    """The ``weeks`` weeks from ``start`` (default today): ``(start, end)``, ``end`` the first day after them.

    A period of whole weeks holds every weekday equally often, so a weekly session's hours a week do not depend
    on the day it starts.

    Examples
    --------
    >>> reference_period("2025-04-01")
    (datetime.date(2025, 4, 1), datetime.date(2026, 3, 31))
    >>> reference_period("2025-04-01", weeks=1)[1]
    datetime.date(2025, 4, 8)
    """
    if weeks < 1:
        raise DirectoryError(f"a reference period of {weeks} weeks: give at least 1 week.")
    first = date.today() if start is None else _day(start, "the start of the reference period")
    return first, first + timedelta(weeks=weeks)


def _day(value: date | str, what: str) -> date:
    if isinstance(value, datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_parse_date(value))
    except ValueError as error:
        raise DirectoryError(f"{what}: {error}.") from None


def _period(period: Sequence[date | str] | None) -> Period:
    """A checked ``(start, end)``; ``None`` is :func:`reference_period` (52 weeks from today)."""
    if period is None:
        return reference_period()
    if isinstance(period, str) or len(period) != 2:
        raise DirectoryError(f"a reference period is (start, end), e.g. ('2025-04-01', '2026-03-31'), not {period!r}.")
    start = _day(period[0], "the start of the reference period")
    end = _day(period[1], "the end of the reference period")
    if end <= start:
        raise DirectoryError(f"the reference period ends ({end}) before it starts ({start}); give (start, end).")
    return start, end


# ---------------------------------------------------------------------------------------------- expansion
def _rule(row: dict[str, Any], anchor: date) -> rrule.rrule:
    """The :class:`dateutil.rrule.rrule` of one tidy schedule row; ``anchor`` is the dtstart when it has none."""
    pairs = _parse_byday(row.get("byday", ""))
    weekday = int(row["weekday"])
    if weekday >= 0:
        pairs = [(n, d) for n, d in pairs if d == weekday] or [(0, weekday)]
    start = _parse_date(row.get("dtstart", "")) or anchor.isoformat()
    options: dict[str, Any] = {
        "dtstart": datetime.fromisoformat(start),
        "interval": int(row.get("interval", 1) or 1),
        "wkst": rrule.MO,
    }
    if pairs:
        options["byweekday"] = [rrule.weekday(d, n or None) for n, d in pairs]
    if row.get("bymonthday"):
        options["bymonthday"] = _parse_numbers(row["bymonthday"], 31, "day of the month")
    if row.get("byweekno"):
        options["byweekno"] = _parse_numbers(row["byweekno"], 53, "week of the year")
    if _parse_date(row.get("until", "")):
        options["until"] = datetime.fromisoformat(_parse_date(row["until"]))
    if int(row.get("count", 0) or 0) > 0:
        options["count"] = int(row["count"])
    freq = str(row.get("freq") or "WEEKLY").upper()
    if freq not in _RRULE_FREQ:
        raise ValueError(f"freq {freq!r} is not one of {', '.join(FREQS)}")
    return rrule.rrule(_RRULE_FREQ[freq], **options)


def _dates(row: dict[str, Any], start: date, end: date) -> list[date]:
    """The days of the period (``start`` to the day before ``end``) on which one schedule row has a session."""
    try:
        valid_from, valid_to = _parse_date(row.get("valid_from", "")), _parse_date(row.get("valid_to", ""))
        rule = _rule(row, start)
    except ValueError as error:
        raise DirectoryError(
            f"schedule of service {row['service_id']!r}: not a rule circles can compute ({error}); "
            "check the directory with validate_directory."
        ) from None
    first = max(start, date.fromisoformat(valid_from)) if valid_from else start
    last = end - timedelta(days=1)
    if valid_to:
        last = min(last, date.fromisoformat(valid_to))
    if first > last:
        return []
    midnight = datetime.min.time()
    found = rule.between(datetime.combine(first, midnight), datetime.combine(last, midnight), inc=True)
    return [moment.date() for moment in found]


def _rows(schedules: pd.DataFrame) -> list[dict[str, Any]]:
    """The schedule rows as dicts, a weekly table (``service_id, weekday, opens_at, closes_at``) filled in."""
    frame = schedules.copy()
    for column in RULE_COLUMNS:
        if column not in frame.columns:
            frame[column] = {"interval": 1, "count": 0, "freq": "WEEKLY"}.get(column, "")
    return frame.to_dict("records")


def _merged(schedules: pd.DataFrame, period: Period) -> dict[str, dict[date, list[tuple[int, int]]]]:
    """Service -> day -> its sessions in minutes of the day, overlaps merged."""
    start, end = period
    spans: dict[str, dict[date, list[tuple[int, int]]]] = {}
    for row in _rows(schedules):
        opens, closes = _minutes(str(row["opens_at"])), _minutes(str(row["closes_at"]))
        days = spans.setdefault(str(row["service_id"]), {})
        for day in _dates(row, start, end):
            days.setdefault(day, []).append((opens, closes))
    for days in spans.values():
        for day, found in days.items():
            out: list[tuple[int, int]] = []
            for first, last in sorted(found):
                if out and first <= out[-1][1]:
                    out[-1] = (out[-1][0], max(out[-1][1], last))
                else:
                    out.append((first, last))
            days[day] = out
    return spans


def opening_sessions(schedules: pd.DataFrame, period: Sequence[date | str] | None = None) -> pd.DataFrame:
    """Every session of every service in a reference period, sessions overlapping on a day merged.

    Parameters
    ----------
    schedules : DataFrame
        A directory's ``schedules`` table (``service_id, weekday, opens_at, closes_at`` and, optionally, the
        rule columns: a row without them is weekly, every week, always valid).
    period : (start, end), optional
        Dates (or ``"YYYY-MM-DD"``): the first day of the period and the first day after it. Default
        :func:`reference_period`: the 52 weeks from today.

    Returns
    -------
    DataFrame
        ``service_id, date`` (``datetime64``), ``weekday`` (0 Monday), ``opens_at, closes_at, hours``, sorted by
        service, date and time.

    Examples
    --------
    The first Monday of the month, 10:00 to 12:00 (``byday`` ``1MO``, RFC 5545), in the first quarter of 2025:

    >>> import pandas as pd
    >>> rules = pd.DataFrame({"service_id": ["cafe"], "weekday": [0], "opens_at": ["10:00"], "closes_at": ["12:00"],
    ...                       "freq": ["MONTHLY"], "byday": ["1MO"]})
    >>> s = opening_sessions(rules, ("2025-01-01", "2025-04-01"))
    >>> s["date"].dt.strftime("%d %b").tolist(), s["hours"].tolist()
    (['06 Jan', '03 Feb', '03 Mar'], [2.0, 2.0, 2.0])
    """
    merged = _merged(schedules, _period(period))
    records = [
        (service_id, pd.Timestamp(day), day.weekday(), _clock(first), _clock(last), (last - first) / 60)
        for service_id, days in merged.items()
        for day, spans in days.items()
        for first, last in spans
    ]
    columns = ["service_id", "date", "weekday", "opens_at", "closes_at", "hours"]
    frame = pd.DataFrame(records, columns=columns).astype({"date": "datetime64[ns]", "weekday": "int64"})
    return (
        frame.astype({"hours": "float64"}).sort_values(columns[:2] + ["opens_at"], kind="stable").reset_index(drop=True)
    )


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# ---------------------------------------------------------------------------------------------- summary
def schedule_summary(
    schedules: pd.DataFrame,
    period: Sequence[date | str] | None = None,
    *,
    services: Iterable[str] | None = None,
    evening_from: str = "17:00",
) -> pd.DataFrame:
    """Per service: hours a week averaged over a reference period, days open, evenings, weekends, 24/7, current.

    Parameters
    ----------
    schedules : DataFrame
        A directory's ``schedules`` table (see :func:`opening_sessions`).
    period : (start, end), optional
        As for :func:`opening_sessions`; default the 52 weeks from today.
    services : iterable of str, optional
        The services to list, in this order (a service without a schedule has ``hours_known`` False); default
        the services of ``schedules``, in order of first appearance.
    evening_from : str, default ``"17:00"``
        Hours after this time are evening hours.

    Returns
    -------
    DataFrame
        ``service_id, hours_known`` (it has a schedule), ``hours_per_week`` (the hours of its sessions in the
        period divided by the period's weeks; NaN when unknown), ``days_open`` (how many days of the week, 0-7,
        it opens on in the period), ``evening_hours`` (a week, after ``evening_from``), ``evenings``,
        ``weekends`` (open on a Saturday or Sunday in the period), ``always_open`` (every hour of the period),
        ``current`` (a session in the period; True when the hours are unknown) and ``not_current`` (why not:
        the day its schedule ended or starts; blank when current).

    Examples
    --------
    A fortnightly Monday 9 to 5 (``interval`` 2) is 4 hours a week; a schedule that ended in 2019 is not current:

    >>> import pandas as pd
    >>> rules = pd.DataFrame({"service_id": ["group", "old"], "weekday": [0, 2], "opens_at": ["09:00", "10:00"],
    ...                       "closes_at": ["17:00", "12:00"], "interval": [2, 1], "valid_to": ["", "2019-03-31"]})
    >>> t = schedule_summary(rules, ("2025-04-07", "2026-04-06"))
    >>> t[["service_id", "hours_per_week", "days_open", "current"]].values.tolist()
    [['group', 4.0, 1, True], ['old', 0.0, 0, False]]
    >>> t.loc[1, "not_current"]
    'no session from 2025-04-07 to 2026-04-05: the schedule ended 2019-03-31'
    """
    start, end = _period(period)
    evening = _minutes(_parse_time(evening_from, closing=False))
    merged = _merged(schedules, (start, end))
    rows = _rows(schedules)
    order = list(dict.fromkeys(services if services is not None else (str(r["service_id"]) for r in rows)))
    weeks = (end - start).days / 7
    records = []
    for service_id in order:
        days = merged.get(service_id)
        known = days is not None
        days = days or {}
        minutes = sum(last - first for spans in days.values() for first, last in spans)
        late = sum(max(0, last - max(first, evening)) for spans in days.values() for first, last in spans)
        whole = len(days) == (end - start).days and all(spans == [(0, 1440)] for spans in days.values())
        current = not known or bool(days)
        records.append(
            {
                "service_id": service_id,
                "hours_known": known,
                "hours_per_week": minutes / 60 / weeks if known else float("nan"),
                "days_open": len({day.weekday() for day in days}),
                "evening_hours": late / 60 / weeks if known else float("nan"),
                "evenings": late > 0,
                "weekends": any(day.weekday() >= 5 for day in days),
                "always_open": known and whole,
                "current": current,
                "not_current": "" if current else _why_not(rows, service_id, start, end),
            }
        )
    return pd.DataFrame(records, columns=list(_SUMMARY)).astype(_SUMMARY)


def _why_not(rows: list[dict[str, Any]], service_id: str, start: date, end: date) -> str:
    """Why a service has no session in the period: when its schedules ended or start."""
    reasons: list[str] = []
    for row in (r for r in rows if str(r["service_id"]) == service_id):
        ended = [d for d in (_parse_date(row.get(c, "")) for c in ("until", "valid_to")) if d]
        begins = [d for d in (_parse_date(row.get(c, "")) for c in ("dtstart", "valid_from")) if d]
        if ended and min(ended) < start.isoformat():
            reasons.append(f"the schedule ended {min(ended)}")
        elif begins and max(begins) >= end.isoformat():
            reasons.append(f"the schedule starts {max(begins)}")
        elif int(row.get("count", 0) or 0) > 0:
            reasons.append(f"its {int(row['count'])} sessions fall outside it")
        else:
            reasons.append("its rule gives no day in it")
    last = end - timedelta(days=1)
    return f"no session from {start} to {last}: " + "; ".join(dict.fromkeys(reasons))


# ---------------------------------------------------------------------------------------------- readers
def rule_rows(
    opens: str,
    closes: str,
    *,
    days: Sequence[tuple[int, int]] = (),
    freq: str = "WEEKLY",
    interval: int = 1,
    bymonthday: str = "",
    byweekno: str = "",
    dtstart: str = "",
    until: str = "",
    count: int = 0,
    valid_from: str = "",
    valid_to: str = "",
) -> list[dict[str, Any]]:
    """The tidy ``schedules`` rows (without ``service_id``) of one schedule rule with parsed parts.

    ``opens``/``closes`` are ``"HH:MM"`` (a closing ``"00:00"`` is midnight; a closing time before the opening
    time runs past midnight); ``days`` are ``(ordinal, weekday)`` pairs as
    :func:`~circles.challenge.directory._parse_byday` gives them; the other parts are as in the directory's
    ``schedules`` table (numbers and dates as text). A rule is one row per weekday, except a rule with a
    ``count`` (one row, ``weekday`` -1). ``DAILY`` every day is written ``WEEKLY`` on all seven days (the same
    sessions). An overnight session is split at midnight, its second part on the next day with the rule's dates
    a day later: only a rule every week on given weekdays can be split. Raises ``ValueError`` with a reason.

    Examples
    --------
    >>> rows = rule_rows("09:00", "17:00", days=[(0, 0), (0, 2)], interval=2, dtstart="2025-01-06")
    >>> [(r["weekday"], r["interval"], r["dtstart"]) for r in rows]
    [(0, 2, '2025-01-06'), (2, 2, '2025-01-06')]
    >>> [(r["weekday"], r["byday"]) for r in rule_rows("10:00", "12:00", days=[(1, 0)], freq="MONTHLY")]
    [(0, '1MO')]
    """
    freq = (freq or "WEEKLY").upper()
    if freq not in FREQS:
        raise ValueError(f"freq {freq!r} is not one of {', '.join(FREQS)}")
    closes = "24:00" if closes == "00:00" else closes
    if opens == "24:00":
        raise ValueError("a session cannot open at '24:00'; write '00:00'")
    if opens == closes:
        raise ValueError(f"opens and closes at the same time ({opens})")
    pairs = sorted(set(days), key=_byday_key)
    if freq == "DAILY" and interval == 1 and not (count or bymonthday or byweekno):
        freq, pairs = "WEEKLY", pairs or [(0, d) for d in range(7)]
    base = {"freq": freq, "interval": interval, "bymonthday": bymonthday, "byweekno": byweekno, "count": count}
    dates = {"dtstart": dtstart, "until": until, "valid_from": valid_from, "valid_to": valid_to}
    if count or not pairs:
        rules = [{"weekday": -1, "byday": _byday_text(pairs), **base, **dates}]
    else:
        weekdays = dict.fromkeys(d for _, d in pairs)
        plain = {d for n, d in pairs if n == 0}
        rules = [
            {"weekday": d, "byday": "" if d in plain else _byday_text(p for p in pairs if p[1] == d), **base, **dates}
            for d in weekdays
        ]
    if opens < closes:
        return [{**rule, "opens_at": opens, "closes_at": closes} for rule in rules]
    if (
        freq != "WEEKLY"
        or interval != 1
        or bymonthday
        or byweekno
        or any(r["weekday"] < 0 or r["byday"] for r in rules)
    ):
        raise _Overnight(
            f"an overnight session ({opens} to {closes}) of a rule that is not every week on given days cannot be "
            "split at midnight; give its two parts as two schedules"
        )
    later = {k: (date.fromisoformat(v) + timedelta(days=1)).isoformat() if v else "" for k, v in dates.items()}
    out = [{**rule, "opens_at": opens, "closes_at": "24:00"} for rule in rules]
    out += [
        {**rule, **later, "weekday": (rule["weekday"] + 1) % 7, "opens_at": "00:00", "closes_at": closes}
        for rule in rules
    ]
    return out
