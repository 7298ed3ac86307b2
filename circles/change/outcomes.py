"""The Change stage's inputs: the cohort, the outcomes a month and the family needs, read and checked row by row.

Three CSV files, each read as text and checked with a :class:`pandera.pandas.DataFrameSchema` (every failing cell
in one pass). A row that fails a check is **quarantined** with the file, its line, the column and a reason —
never dropped unseen, never a traceback — and the rest are parsed:

``cohort``
    One row a family: ``family_id``, ``group`` (``pilot`` or ``comparison``), ``start_date`` (the pilot start, or
    a comparison family's index date), ``age_band``, ``lsoa_code``, ``ward_code``; optional
    ``lead_practitioner`` and ``whole_family_plan`` (yes/no) and ``closed_date`` (when support closed).
``outcomes``
    One row a family, month and measure: ``family_id``, ``period`` (``YYYY-MM``), ``measure``, ``value``.
``family_needs``
    One row a family and Supporting Families headline outcome: ``family_id``, ``headline_outcome``,
    ``identified_date``, ``outcome`` (``positive``, ``not yet`` or ``worse``), ``outcome_date``, ``sustained_to``.

The planner writes all three (``circles planner export``); the demo generator writes synthetic ones. A column
the file lacks is a :class:`~circles.errors.ChangeError` naming the file and the column; a family in the outcomes
or needs that the cohort does not list is quarantined ("family not in the cohort").

Examples
--------
>>> import io, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "cohort.csv").write_text(
...     "family_id,group,start_date,age_band,lsoa_code,ward_code\\n"
...     "F1,pilot,2011-04-01,25-34,E01012579,E05001621\\n"
...     "F2,control,2011-04-01,25-34,E01012579,E05001621\\n")
>>> cohort = read_cohort(folder / "cohort.csv")
>>> cohort.frame["family_id"].tolist(), cohort.quarantine[["source_row", "field", "reason"]].values.tolist()
(['F1'], [['cohort.csv:3', 'group', 'not pilot or comparison']])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from circles.errors import ChangeError
from circles.ingest.accounting import QUARANTINE_COLUMNS, ROW_ID

__all__ = [
    "GROUPS",
    "OUTCOME_VALUES",
    "COHORT_COLUMNS",
    "OUTCOME_COLUMNS",
    "FAMILY_NEEDS_COLUMNS",
    "ChangeTable",
    "read_cohort",
    "read_outcomes",
    "read_family_needs",
    "keep_cohort_families",
    "combine_tables",
    "frame_of",
]

#: The two groups of a cohort.
GROUPS = ("pilot", "comparison")
#: The outcome of a need, as a family needs file gives it.
OUTCOME_VALUES = ("positive", "not yet", "worse")

_YES, _NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0", ""}
_DATE = "%Y-%m-%d"


@dataclass(frozen=True)
class ChangeTable:
    """One input file as read: the rows accepted (parsed) and those quarantined (with reasons).

    Attributes
    ----------
    frame : pandas.DataFrame
        The accepted rows, parsed (dates as ``datetime64``, periods as ``Period[M]``, values as floats); the
        column ``source_row`` says where each came from (``cohort.csv:12``).
    quarantine : pandas.DataFrame
        :data:`circles.ingest.accounting.QUARANTINE_COLUMNS`: stage ``change``, file, source row, field, reason,
        message; one row per failing cell.
    file : str
        The file's name.
    read : int
        Rows read (accepted + rows quarantined).
    """

    frame: pd.DataFrame
    quarantine: pd.DataFrame
    file: str
    read: int

    @property
    def accepted(self) -> int:
        return len(self.frame)


# ------------------------------------------------------------------------------------------------- cell checks
def _blank(s: pd.Series) -> pd.Series:
    return s.str.strip().eq("")


def _date_ok(s: pd.Series, required: bool = True) -> pd.Series:
    parsed = pd.to_datetime(s.str.strip(), format=_DATE, errors="coerce")
    return parsed.notna() | (~pd.Series(required, index=s.index) & _blank(s))


def _period_ok(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.str.strip(), format="%Y-%m", errors="coerce").notna()


def _number_ok(s: pd.Series) -> pd.Series:
    value = pd.to_numeric(s.str.strip(), errors="coerce")
    return value.notna() & (value >= 0)


def _yes_no_ok(s: pd.Series) -> pd.Series:
    return s.str.strip().str.lower().isin(_YES | _NO)


#: column -> [(reason, check)] for each file; a column marked optional may be left out of the file.
_Checks = Mapping[str, list[tuple[str, Callable[[pd.Series], pd.Series]]]]
_COHORT: _Checks = {
    "family_id": [("blank family id", lambda s: ~_blank(s))],
    "group": [("not pilot or comparison", lambda s: s.str.strip().str.lower().isin(GROUPS))],
    "start_date": [("not a date (YYYY-MM-DD)", _date_ok)],
    "age_band": [],
    "lsoa_code": [],
    "ward_code": [],
    "lead_practitioner": [("not yes or no", _yes_no_ok)],
    "whole_family_plan": [("not yes or no", _yes_no_ok)],
    "closed_date": [("not a date (YYYY-MM-DD)", lambda s: _date_ok(s, required=False))],
}
_OUTCOMES: _Checks = {
    "family_id": [("blank family id", lambda s: ~_blank(s))],
    "period": [("not a month (YYYY-MM)", _period_ok)],
    "measure": [("blank measure", lambda s: ~_blank(s))],
    "value": [("not a number of 0 or more", _number_ok)],
}
_NEEDS: _Checks = {
    "family_id": [("blank family id", lambda s: ~_blank(s))],
    "headline_outcome": [("blank headline outcome", lambda s: ~_blank(s))],
    "identified_date": [("not a date (YYYY-MM-DD)", _date_ok)],
    "outcome": [("not positive, not yet or worse", lambda s: s.str.strip().str.lower().isin(OUTCOME_VALUES))],
    "outcome_date": [("not a date (YYYY-MM-DD)", lambda s: _date_ok(s, required=False))],
    "sustained_to": [("not a date (YYYY-MM-DD)", lambda s: _date_ok(s, required=False))],
}
_OPTIONAL = {"lead_practitioner", "whole_family_plan", "closed_date", "age_band", "lsoa_code", "ward_code"}
#: The columns of each file, in the order the planner's export and the demo generator write them.
COHORT_COLUMNS: tuple[str, ...] = tuple(_COHORT)
OUTCOME_COLUMNS: tuple[str, ...] = tuple(_OUTCOMES)
FAMILY_NEEDS_COLUMNS: tuple[str, ...] = tuple(_NEEDS)


def _read(path: Path, checks: _Checks, what: str, key: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Read ``path`` as text, check every cell, quarantine failing rows and duplicates of ``key``."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ChangeError(f"{path}: cannot read the {what} file ({exc}). Give a UTF-8 CSV with a header row.") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in checks if c not in raw and c not in _OPTIONAL]
    if missing:
        raise ChangeError(
            f"{path}: the {what} file has no '{missing[0]}' column (columns: {', '.join(raw.columns) or 'none'}). "
            f"It needs {', '.join(c for c in checks if c not in _OPTIONAL)}."
        )
    raw.insert(0, ROW_ID, [f"{path.name}:{i + 2}" for i in range(len(raw))])
    schema = pa.DataFrameSchema(
        {
            column: pa.Column(
                str, checks=[pa.Check(test, name=reason) for reason, test in tests], required=False, nullable=False
            )
            for column, tests in checks.items()
        },
        strict=False,
        coerce=False,
    )
    failures = []
    try:
        schema.validate(raw, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases.dropna(subset=["index"])
        for _, case in cases.iterrows():
            row = int(case["index"])
            failures.append(
                (
                    "change",
                    path.name,
                    raw.at[row, ROW_ID],
                    case["column"],
                    case["check"],
                    f"{case['column']} {raw.at[row, case['column']]!r}: {case['check']}",
                )
            )
    quarantine = pd.DataFrame(failures, columns=QUARANTINE_COLUMNS)
    bad = raw[ROW_ID].isin(quarantine[ROW_ID])
    good = raw[~bad]
    duplicated = good.duplicated(subset=key, keep="first")
    if duplicated.any():
        dupes = good[duplicated]
        reason = f"duplicate {' and '.join(key)}"
        quarantine = pd.concat(
            [
                quarantine,
                pd.DataFrame(
                    {
                        "stage": "change",
                        "file": path.name,
                        ROW_ID: dupes[ROW_ID],
                        "field": key[0],
                        "reason": reason,
                        "message": f"{reason}: an earlier row has the same",
                    }
                ),
            ],
            ignore_index=True,
        )
        good = good[~duplicated]
    return good.reset_index(drop=True), quarantine, len(raw)


def _yes(s: pd.Series) -> pd.Series:
    return s.str.strip().str.lower().isin(_YES)


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.str.strip().replace("", None), format=_DATE, errors="coerce")


def read_cohort(path: str | Path) -> ChangeTable:
    """The cohort file: one row a family, its group, start (index) date and what matching and the SFOF rule read.

    Raises
    ------
    ChangeError
        The file cannot be read, or lacks a required column (``family_id``, ``group``, ``start_date``).
    """
    good, quarantine, read = _read(Path(path), _COHORT, "cohort", ["family_id"])
    frame = good.assign(
        family_id=good["family_id"].str.strip(),
        group=good["group"].str.strip().str.lower(),
        start_date=_dates(good["start_date"]),
    )
    for column in ("age_band", "lsoa_code", "ward_code"):
        frame[column] = frame[column].str.strip() if column in frame else ""
    for column in ("lead_practitioner", "whole_family_plan"):
        frame[column] = _yes(frame[column]) if column in frame else False
    frame["closed_date"] = _dates(frame["closed_date"]) if "closed_date" in frame else pd.NaT
    return ChangeTable(frame, quarantine, Path(path).name, read)


def read_outcomes(path: str | Path) -> ChangeTable:
    """The outcomes file: one row a family, month (``Period[M]``) and measure, with its value (a float ≥ 0).

    Raises
    ------
    ChangeError
        The file cannot be read, or lacks ``family_id``, ``period``, ``measure`` or ``value``.
    """
    good, quarantine, read = _read(Path(path), _OUTCOMES, "outcomes", ["family_id", "period", "measure"])
    frame = pd.DataFrame(
        {
            ROW_ID: good[ROW_ID],
            "family_id": good["family_id"].str.strip(),
            "period": pd.PeriodIndex(good["period"].str.strip(), freq="M"),
            "measure": good["measure"].str.strip(),
            "value": pd.to_numeric(good["value"].str.strip()).astype(float),
        }
    )
    return ChangeTable(frame, quarantine, Path(path).name, read)


def read_family_needs(path: str | Path) -> ChangeTable:
    """The family needs file: one row a family and headline outcome, with its outcome and dates.

    Raises
    ------
    ChangeError
        The file cannot be read, or lacks one of its columns.
    """
    good, quarantine, read = _read(Path(path), _NEEDS, "family needs", ["family_id", "headline_outcome"])
    frame = good.assign(
        family_id=good["family_id"].str.strip(),
        headline_outcome=good["headline_outcome"].str.strip(),
        outcome=good["outcome"].str.strip().str.lower(),
        **{c: _dates(good[c]) for c in ("identified_date", "outcome_date", "sustained_to")},
    )
    return ChangeTable(frame, quarantine, Path(path).name, read)


def keep_cohort_families(table: ChangeTable, cohort: ChangeTable) -> ChangeTable:
    """``table`` with rows of families the cohort does not list moved to its quarantine."""
    known = table.frame["family_id"].isin(cohort.frame["family_id"])
    if known.all():
        return table
    stray = table.frame[~known]
    moved = pd.DataFrame(
        {
            "stage": "change",
            "file": table.file,
            ROW_ID: stray[ROW_ID],
            "field": "family_id",
            "reason": "family not in the cohort",
            "message": f"the family is not in {cohort.file}",
        }
    )
    return ChangeTable(
        table.frame[known].reset_index(drop=True),
        pd.concat([table.quarantine, moved], ignore_index=True),
        table.file,
        table.read,
    )


def combine_tables(tables: list[ChangeTable], key: list[str]) -> list[ChangeTable]:
    """Several files of one kind read as one: a row whose ``key`` an earlier file already gave is quarantined
    ("given by an earlier file") in its own file's table, so each file still accounts for every row it had.

    Examples
    --------
    >>> one = ChangeTable(pd.DataFrame({ROW_ID: ["a.csv:2"], "family_id": ["F1"]}), pd.DataFrame(), "a.csv", 1)
    >>> two = ChangeTable(pd.DataFrame({ROW_ID: ["b.csv:2", "b.csv:3"], "family_id": ["F1", "F2"]}),
    ...                   pd.DataFrame(), "b.csv", 2)
    >>> [t.frame["family_id"].tolist() for t in combine_tables([one, two], ["family_id"])]
    [['F1'], ['F2']]
    """
    seen: pd.DataFrame | None = None
    out = []
    for table in tables:
        frame = table.frame
        if seen is not None and len(frame):
            given = frame[key].merge(seen.drop_duplicates(), on=key, how="left", indicator=True)["_merge"].eq("both")
            given.index = frame.index
            if given.any():
                moved = pd.DataFrame(
                    {"stage": "change", "file": table.file, ROW_ID: frame.loc[given, ROW_ID], "field": key[0],
                     "reason": "given by an earlier file", "message": f"an earlier file has the same {', '.join(key)}"}
                )  # fmt: skip
                quarantine = pd.concat([table.quarantine, moved], ignore_index=True)
                table = ChangeTable(frame[~given].reset_index(drop=True), quarantine, table.file, table.read)
        seen = table.frame[key] if seen is None else pd.concat([seen, table.frame[key]], ignore_index=True)
        out.append(table)
    return out


def frame_of(tables: list[ChangeTable]) -> pd.DataFrame:
    """The accepted rows of several files of one kind, one after another."""
    return pd.concat([t.frame for t in tables], ignore_index=True)
