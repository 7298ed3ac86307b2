"""Need coverage: which services meet which needs, and whether they are open when people need them.

Pure functions of a :class:`~circles.challenge.directory.ServiceDirectory`:

``hours_table``    opening hours per service over a reference period: hours a week, days open, evenings,
                   weekends, 24/7, and whether the service is current (open at some time in the period)
``needs_met``      which services meet which codes of the codebook, and whether each is open out of hours
``need_coverage``  per code: unmet, met or possible duplication, and out-of-hours gaps
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from circles.challenge.directory import (
    DirectoryError,
    ServiceDirectory,
    _codebook,
    validate_directory,
)
from circles.challenge.schedules import schedule_summary
from circles.qualitative.model import Codebook

__all__ = ["hours_table", "needs_met", "need_coverage"]


def hours_table(
    directory: ServiceDirectory,
    *,
    evening_from: str = "17:00",
    period: Sequence[date | str] | None = None,
) -> pd.DataFrame:
    """Opening hours per service over a reference period: hours a week, days open, evenings, weekends, 24/7, current.

    Each schedule rule is expanded into its sessions in the period (:func:`~circles.challenge.schedules.
    schedule_summary`, with :mod:`dateutil.rrule`): a fortnightly session counts half its hours, one that
    ended before the period counts none. Sessions that overlap on the same day are merged before counting.

    Parameters
    ----------
    directory : ServiceDirectory
        The directory.
    evening_from : str, default ``"17:00"``
        A service is open in the evening when it is open at any time after this, on any day.
    period : (start, end), optional
        The reference period: its first day and the first day after it (dates or ``"YYYY-MM-DD"``). Default the
        52 weeks from today (:func:`~circles.challenge.schedules.reference_period`); give the study's period to
        make the table reproducible. Weekly rows give the same hours over any period of whole weeks.

    Returns
    -------
    DataFrame
        One row per service, in directory order: ``service_id, service_name, hours_known`` (it has a
        schedule), ``hours_per_week`` (float, averaged over the period; NaN when unknown), ``days_open`` (0-7),
        ``evening_hours`` (hours a week after ``evening_from``), ``evenings``, ``weekends`` (open on Saturday or
        Sunday), ``always_open`` (24/7), ``out_of_hours`` (evenings or weekends), ``current`` (open at some
        time in the period; True when the hours are unknown) and ``not_current`` (why not, e.g. ``"no session
        from 2025-04-01 to 2026-03-30: the schedule ended 2019-03-31"``; blank when current).

    Examples
    --------
    >>> import pandas as pd
    >>> d = ServiceDirectory(
    ...     services=pd.DataFrame({"id": ["gp"], "name": ["GP"]}),
    ...     schedules=pd.DataFrame({"service_id": ["gp"] * 5, "weekday": range(5), "opens_at": ["08:00"] * 5,
    ...                             "closes_at": ["18:30"] * 5}),
    ... )
    >>> hours_table(d)[["hours_per_week", "evening_hours", "evenings", "weekends", "current"]].values.tolist()
    [[52.5, 7.5, True, False, True]]
    """
    summary = schedule_summary(
        directory.schedules, period, services=directory.services["id"].tolist(), evening_from=evening_from
    )
    summary.insert(1, "service_name", directory.services["name"].tolist())
    summary.insert(9, "out_of_hours", summary["evenings"] | summary["weekends"])
    return summary


def _active(directory: ServiceDirectory, active_only: bool, hours: pd.DataFrame) -> set[str]:
    """The services to count: all, or (``active_only``) those active and current in the period."""
    services = directory.services
    if not active_only:
        return set(services["id"])
    current = set(hours.loc[hours["current"], "service_id"])
    return {
        s
        for s, status in zip(services["id"], services["status"], strict=True)
        if status.lower() in ("", "active") and s in current
    }


def needs_met(
    directory: ServiceDirectory,
    codebook: Codebook | str | Path,
    *,
    active_only: bool = True,
    evening_from: str = "17:00",
    period: Sequence[date | str] | None = None,
) -> pd.DataFrame:
    """Which services meet which codes, with whether each service is open out of hours.

    Parameters
    ----------
    directory : ServiceDirectory
        The directory.
    codebook : Codebook or path
        The codebook whose codes the directory's ``needs`` name.
    active_only : bool, default True
        Leave out services whose status is not ``active`` (a blank status counts as active), and services that
        are not current in the period (their schedule ended before it, or starts after it).
    evening_from : str, default ``"17:00"``
        Passed to :func:`hours_table`.
    period : (start, end), optional
        The reference period, passed to :func:`hours_table` (default the 52 weeks from today).

    Returns
    -------
    DataFrame
        ``code_id, code_name, dimension, service_id, service_name, organisation, out_of_hours``; codes in
        codebook order, services in directory order.

    Raises
    ------
    DirectoryError
        When a code met is not in the codebook (naming the file, row and column it came from).

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.qualitative.model import Code, Codebook
    >>> book = Codebook((Code("NEE02", "Practical help with money and housing", "need"),))
    >>> d = ServiceDirectory(services=pd.DataFrame({"id": ["housing"], "name": ["Housing Options"]}),
    ...                      needs=pd.DataFrame({"service_id": ["housing"], "code_id": ["NEE02"]}))
    >>> needs_met(d, book).values.tolist()
    [['NEE02', 'Practical help with money and housing', 'need', 'housing', 'Housing Options', '', False]]
    """
    book = _codebook(codebook)
    validate_directory(directory, book)
    hours = hours_table(directory, evening_from=evening_from, period=period)
    active = _active(directory, active_only, hours)
    hours = hours.set_index("service_id")
    organisations = dict(zip(directory.organisations["id"], directory.organisations["name"], strict=True))
    services = directory.services.set_index("id")
    order = {s: i for i, s in enumerate(directory.services["id"])}
    records = []
    for service_id, code_id in directory.needs.itertuples(index=False, name=None):
        if service_id not in active:
            continue
        code = book.code(code_id)
        records.append(
            {
                "code_id": code_id,
                "code_name": code.name,
                "dimension": code.dimension,
                "service_id": service_id,
                "service_name": services.loc[service_id, "name"],
                "organisation": organisations.get(services.loc[service_id, "organisation_id"], ""),
                "out_of_hours": bool(hours.loc[service_id, "out_of_hours"]),
                "_order": (book.ids.index(code_id), order[service_id]),
            }
        )
    columns = ["code_id", "code_name", "dimension", "service_id", "service_name", "organisation", "out_of_hours"]
    records.sort(key=lambda r: r["_order"])
    frame = pd.DataFrame(records, columns=columns)
    return frame.astype({c: object for c in columns[:-1]}).astype({"out_of_hours": bool})


def need_coverage(
    directory: ServiceDirectory,
    codebook: Codebook | str | Path,
    *,
    duplication_threshold: int = 3,
    dimensions: Sequence[str] | None = None,
    active_only: bool = True,
    evening_from: str = "17:00",
    period: Sequence[date | str] | None = None,
) -> pd.DataFrame:
    """Per code of the codebook: how many services meet it, whether it is unmet, duplicated or only 9 to 5.

    Parameters
    ----------
    directory : ServiceDirectory
        The directory.
    codebook : Codebook or path
        The codebook; every code is listed (in codebook order), met or not.
    duplication_threshold : int, default 3
        A code met by at least this many services has status ``"possible duplication"``.
    dimensions : sequence of str, optional
        Only codes of these dimensions (e.g. ``["need", "aspiration"]``); default all.
    active_only, evening_from, period
        As for :func:`needs_met`.

    Returns
    -------
    DataFrame
        ``code_id, code_name, dimension, n_services, services`` (names joined by ``"; "``),
        ``n_out_of_hours, out_of_hours_services, status`` (``"unmet"``, ``"met"``, ``"possible duplication"``)
        and ``out_of_hours_gap`` (met, but by no service open in the evening or at weekends).

    Examples
    --------
    >>> import pandas as pd
    >>> from circles.qualitative.model import Code, Codebook
    >>> book = Codebook((Code("NEE01", "Someone to talk to out of hours", "need"),
    ...                  Code("NEE02", "Practical help with money and housing", "need")))
    >>> d = ServiceDirectory(services=pd.DataFrame({"id": ["housing"], "name": ["Housing Options"]}),
    ...                      needs=pd.DataFrame({"service_id": ["housing"], "code_id": ["NEE02"]}))
    >>> need_coverage(d, book)[["code_id", "n_services", "status", "out_of_hours_gap"]].values.tolist()
    [['NEE01', 0, 'unmet', False], ['NEE02', 1, 'met', True]]
    """
    if duplication_threshold < 2:
        raise DirectoryError(f"duplication_threshold must be at least 2, not {duplication_threshold}.")
    book = _codebook(codebook)
    met = needs_met(directory, book, active_only=active_only, evening_from=evening_from, period=period)
    wanted = None if dimensions is None else {x.lower() for x in dimensions}
    records = []
    for code in book.codes:
        if wanted is not None and code.dimension.lower() not in wanted:
            continue
        rows = met[met["code_id"] == code.id]
        late = rows[rows["out_of_hours"]]
        n = len(rows)
        status = "unmet" if n == 0 else "possible duplication" if n >= duplication_threshold else "met"
        records.append(
            {
                "code_id": code.id,
                "code_name": code.name,
                "dimension": code.dimension,
                "n_services": n,
                "services": "; ".join(rows["service_name"]),
                "n_out_of_hours": len(late),
                "out_of_hours_services": "; ".join(late["service_name"]),
                "status": status,
                "out_of_hours_gap": n > 0 and len(late) == 0,
            }
        )
    columns = ["code_id", "code_name", "dimension", "n_services", "services", "n_out_of_hours"]
    columns += ["out_of_hours_services", "status", "out_of_hours_gap"]
    frame = pd.DataFrame(records, columns=columns)
    return frame.astype({"n_services": "int64", "n_out_of_hours": "int64", "out_of_hours_gap": bool})
