"""The period the records cover, and people in treatment a year over it: the numerator of treatment penetration.

Treatment penetration divides people in treatment by the estimated need, and prevalence estimates people in need
*in a year*. Records covering two years hold about twice a year's treatment episodes: dividing the people in
treatment over the whole period by a one-year prevalence overstates penetration. :func:`records_period` finds the
period from the records' dates (the start date, else the referral date) and :func:`people_per_year` annualises:

    people a year = (distinct people in each 12-month window of the period, added up) ÷ the period in years

A person in treatment in both years counts in each year, as they would in each year's own figure; a person with
two episodes in one year counts once in that year. Over exactly one year it is the number of distinct people.

Examples
--------
>>> records = pd.DataFrame({"person": ["a", "b", "a", "c"],
...     "start_date": pd.to_datetime(["2009-04-01", "2009-06-01", "2010-05-01", "2011-03-31"])})
>>> period = records_period(records["start_date"])
>>> period.describe()
'2009-04-01 to 2011-03-31 (2.0 years)'
>>> round(people_per_year(records, person="person", date="start_date", period=period), 2)  # (2 + 2) / 2.0
2.0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

__all__ = ["DATE_FIELDS", "RecordsPeriod", "records_period", "record_dates", "people_per_year"]

#: The record fields a period is read from, in order of preference for each record.
DATE_FIELDS = ("start_date", "referral_date")

#: Days in a year, on average (a 12-month window).
YEAR_DAYS = 365.25

#: A period this close to a year (in days) is taken as one year: no warning about differing periods.
TOLERANCE_DAYS = 31


@dataclass(frozen=True)
class RecordsPeriod:
    """The first and last date of the records (both inclusive).

    Attributes
    ----------
    first, last : datetime.date
    field : str
        Where the dates came from, in words (``"start_date, else referral_date"``).
    """

    first: date
    last: date
    field: str = "start_date, else referral_date"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def years(self) -> float:
        """The length in years (at least one day's worth)."""
        return self.days / YEAR_DAYS

    @property
    def is_a_year(self) -> bool:
        """Whether the period is a year, give or take :data:`TOLERANCE_DAYS` (then no annualising is needed)."""
        return abs(self.days - YEAR_DAYS) <= TOLERANCE_DAYS

    def describe(self) -> str:
        """``2009-04-01 to 2011-03-31 (2.0 years)``."""
        return f"{self.first.isoformat()} to {self.last.isoformat()} ({self.years:.1f} years)"

    def label(self) -> str:
        """For titles: ``April 2009 to March 2011`` (``March 2011`` when it is one month).

        Examples
        --------
        >>> RecordsPeriod(date(2009, 4, 1), date(2011, 3, 31)).label()
        'April 2009 to March 2011'
        """
        first, last = f"{self.first:%B %Y}", f"{self.last:%B %Y}"
        return first if first == last else f"{first} to {last}"

    def as_dict(self) -> dict[str, object]:
        """For the run's manifest."""
        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "years": round(self.years, 2),
            "dates": self.field,
            "label": self.label(),
        }


def record_dates(records: pd.DataFrame) -> pd.Series | None:
    """Each record's date: its start date, else its referral date (:data:`DATE_FIELDS`); ``None`` without either."""
    present = [f for f in DATE_FIELDS if f in records]
    if not present:
        return None
    dates = pd.to_datetime(records[present[0]], errors="coerce").to_numpy(dtype="datetime64[ns]")
    for field in present[1:]:  # by position: the records' index need not be unique
        other = pd.to_datetime(records[field], errors="coerce").to_numpy(dtype="datetime64[ns]")
        dates = np.where(np.isnat(dates), other, dates)
    return pd.Series(dates, index=records.index, name="date")


def records_period(dates: pd.Series | None, field: str = "start_date, else referral_date") -> RecordsPeriod | None:
    """The first and last of ``dates``; ``None`` when there are none (the period is unknown)."""
    if dates is None:
        return None
    dates = pd.to_datetime(dates, errors="coerce").dropna()
    if dates.empty:
        return None
    return RecordsPeriod(dates.min().date(), dates.max().date(), field)


def people_per_year(
    records: pd.DataFrame,
    *,
    person: str,
    date: str,
    period: RecordsPeriod,
    by: str | None = None,
) -> pd.Series | float:
    """Distinct people a year over ``period``: distinct people in each 12-month window, added up, ÷ its years.

    Parameters
    ----------
    records : pandas.DataFrame
        The records to count (e.g. those of the treatment services), with ``person`` and ``date`` columns.
    person : str
        The column identifying a person.
    date : str
        The column of dates placing each record in a window (records without one are not counted).
    period : RecordsPeriod
        The period of *all* the records (windows start at its first day).
    by : str, optional
        A column to count by (an area code): a Series by its values; without it a number.

    Returns
    -------
    pandas.Series or float
        Unrounded: round (and protect) before publishing.
    """
    dates = pd.to_datetime(records[date], errors="coerce").reset_index(drop=True)
    keep = dates.notna().to_numpy()
    frame = pd.DataFrame({"person": records[person].to_numpy()[keep], "window": _window(dates[keep], period)})
    if by is None:
        return float(frame.drop_duplicates().shape[0]) / period.years
    frame["by"] = records[by].to_numpy()[keep]
    counts = frame.drop_duplicates().groupby("by", observed=True).size()
    return (counts / period.years).rename_axis(by)


def _window(dates: pd.Series, period: RecordsPeriod) -> np.ndarray:
    """The 12-month window of each date: whole years since the period's first day (anniversary to anniversary)."""
    first = period.first
    years = dates.dt.year.to_numpy() - first.year
    before = (dates.dt.month.to_numpy() * 100 + dates.dt.day.to_numpy()) < first.month * 100 + first.day
    return (years - before.astype("int64")).astype("int64")
