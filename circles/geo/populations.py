"""Population denominators by area and age band, read from ONS and Census tables.

Three layouts are read:

``syoa``
    One row per area, one column per single year of age named ``"0"`` … ``"89"`` and an open top group
    ``"90+"`` (ONS small area population estimates, e.g. mid-2020 by LSOA).
``nomis_ts007``
    One row per area with Nomis TS007 (Census 2021 age by single year) labels: ``"Aged under 1 year"``,
    ``"Aged 1 year"``, ``"Aged 2 years"`` … ``"Aged 100 years and over"``. The table also holds subtotals
    (``"Aged 5 to 9 years"``, ``"Aged 85 years and over"``) and a total; only the single years and the open top
    group are added up, so nothing is counted twice.
``age_groups``
    A long table, one row per area and labelled age group (``"Aged 15 years and under"``,
    ``"Aged 16 to 24 years"`` … ``"Aged 65 years and over"``), e.g. Census 2021 usual residents in 6 groups.

An age band is a whole number of groups: ``"18+"`` adds the single years from 18 up, but cannot be made from
groups of 16–24 and 25–34, and :func:`read_population` says which bands the file can give. Counts are checked
(whole numbers of zero or more, one row per area, a stated total matching its parts) and every problem is a
:class:`~circles.errors.GeographyError` naming the file, the line and the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from circles.errors import GeographyError, SourceError
from circles.geo.layers import AreaLayer
from circles.geo.naming import parent_areas
from circles.ingest.accounting import ROW_ID
from circles.io.readers import read_source
from circles.validation import suggest

__all__ = [
    "AGE_BANDS",
    "AgeBand",
    "parse_age_band",
    "parse_age_label",
    "age_band_label",
    "read_population",
    "derive_population",
]

#: An age band as ``(lowest age, highest age)``, both included; ``None`` as the highest age means "and over".
AgeBand = tuple[int, int | None]

#: Named age bands. Any ``"low-high"`` or ``"low+"`` string, or a ``(low, high)`` tuple, works too.
AGE_BANDS: dict[str, AgeBand] = {
    "all": (0, None),
    "0-15": (0, 15),
    "0-17": (0, 17),
    "16+": (16, None),
    "18+": (18, None),
    "16-64": (16, 64),
    "18-64": (18, 64),
    "65+": (65, None),
}

Layout = Literal["syoa", "nomis_ts007", "age_groups"]
LAYOUTS: tuple[str, ...] = ("syoa", "nomis_ts007", "age_groups")

# Columns that state an all-ages total, checked against the sum of the age groups.
_TOTAL_COLUMNS = ("total_population", "all_ages", "all ages", "total", "total: all usual residents")


def age_band_label(band: AgeBand) -> str:
    """``"all"``, ``"18+"`` or ``"16-64"`` for a ``(low, high)`` band.

    Examples
    --------
    >>> age_band_label((18, None)), age_band_label((0, None)), age_band_label((16, 64))
    ('18+', 'all', '16-64')
    """
    low, high = band
    if high is None:
        return "all" if low == 0 else f"{low}+"
    return f"{low}-{high}"


def parse_age_band(band: str | tuple[int, int | None]) -> AgeBand:
    """Turn a band name (``"18+"``), range (``"16-64"``, ``"16 to 64"``) or ``(low, high)`` tuple into a band.

    Parameters
    ----------
    band : str or tuple
        A key of :data:`AGE_BANDS`, ``"low-high"`` (both ages included), ``"low+"``, a single age ``"17"``, or a
        ``(low, high)`` tuple with ``high=None`` for "and over".

    Returns
    -------
    tuple
        ``(low, high)``; ``high`` is ``None`` for an open band.

    Raises
    ------
    GeographyError
        If the band cannot be read or its ages are negative or reversed.

    Examples
    --------
    >>> parse_age_band("18+"), parse_age_band("16-64"), parse_age_band((0, 15)), parse_age_band("all")
    ((18, None), (16, 64), (0, 15), (0, None))
    """
    if isinstance(band, str):
        text = band.strip().lower()
        if text in AGE_BANDS:
            return AGE_BANDS[text]
        parsed = parse_age_label(text)
        if parsed is None:
            raise GeographyError(
                f"Age band {band!r} is not understood. Use one of {', '.join(map(repr, AGE_BANDS))}, "
                "a range such as '16-64' (both ages included), an open band such as '75+', or a (low, high) tuple."
            )
        low, high = parsed
    elif isinstance(band, tuple | list) and len(band) == 2:
        low, high = band
    else:
        raise GeographyError(
            f"Age band {band!r} is not understood; give a string such as '18+' or a (low, high) tuple."
        )
    if not isinstance(low, int | np.integer) or (high is not None and not isinstance(high, int | np.integer)):
        raise GeographyError(f"Age band {band!r}: ages must be whole numbers (high may be None for 'and over').")
    if low < 0 or (high is not None and high < low):
        raise GeographyError(f"Age band {band!r}: ages must be zero or more and the highest not below the lowest.")
    return int(low), None if high is None else int(high)


_LABEL_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (r"under (\d+)(?: years?)?", "under"),
        (r"(\d+)(?: years?)? and under", "and_under"),
        (r"(\d+)(?: years?)? (?:and|or) (?:over|older|above)", "and_over"),
        (r"(\d+)(?: years?)?\s*\+", "and_over"),
        (r"(\d+)(?: years?)?\s*(?:to|-|–)\s*(\d+)(?: years?)?", "range"),
        (r"(\d+)(?: years?)?", "single"),
    )
)


def parse_age_label(label: str) -> AgeBand | None:
    """The ages an ONS/Nomis age-group label covers, or ``None`` if it is not an age label.

    Reads ``"Aged under 1 year"``, ``"Aged 7 years"``, ``"Aged 16 to 24 years"``, ``"Aged 15 years and
    under"``, ``"Aged 65 years and over"``, ``"90+"``, ``"16-24"`` and ``"42"``; a Nomis download's
    ``"Age: "`` prefix and ``"; measures: Value"`` suffix are ignored.

    Examples
    --------
    >>> [parse_age_label(s) for s in ["Aged under 1 year", "Aged 1 year", "Aged 16 to 24 years"]]
    [(0, 0), (1, 1), (16, 24)]
    >>> parse_age_label("Aged 15 years and under"), parse_age_label("90+"), parse_age_label("lsoa11_code")
    ((0, 15), (90, None), None)
    """
    text = " ".join(str(label).strip().lower().split())
    text = re.sub(r";\s*measures:\s*value$", "", text)
    text = re.sub(r"^age:\s*", "", text)
    text = re.sub(r"^aged?\s+", "", text)
    for pattern, kind in _LABEL_PATTERNS:
        match = pattern.fullmatch(text)
        if not match:
            continue
        first = int(match.group(1))
        if kind == "under":
            return (0, first - 1) if first >= 1 else None
        if kind == "and_under":
            return 0, first
        if kind == "and_over":
            return first, None
        if kind == "range":
            second = int(match.group(2))
            return (first, second) if second >= first else None
        return first, first
    return None


@dataclass(frozen=True)
class _Group:
    low: int
    high: int | None
    column: str

    @property
    def label(self) -> str:
        return self.column


def _where(frame: pd.DataFrame, row: int) -> str:
    return str(frame[ROW_ID].iloc[row])


def _find_column(frame: pd.DataFrame, name: str, path: Path, what: str, parameter: str) -> str:
    present = [c for c in frame.columns if c not in ("source_file", ROW_ID)]
    if name in present:
        return name
    folded = {c.strip().casefold(): c for c in present}
    if name.strip().casefold() in folded:
        return folded[name.strip().casefold()]
    raise GeographyError(
        f"{path}: no {what} column {name!r}.{suggest(name, present)} Columns found: {', '.join(present)}. "
        f"Pass the right name as {parameter}=."
    )


def _counts(frame: pd.DataFrame, columns: list[str], path: Path) -> np.ndarray:
    """The named text columns as an int64 matrix; the first bad cell raises with its line and column."""
    out = np.empty((len(frame), len(columns)), dtype=np.int64)
    for j, column in enumerate(columns):
        plain = _plain_counts(frame[column])
        if plain is not None:
            out[:, j] = plain
            continue
        text = frame[column].astype("string").str.strip().str.replace(",", "", regex=False)
        values = pd.to_numeric(text, errors="coerce").astype("Float64")
        bad = values.isna() | (values < 0) | (values % 1 != 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy(dtype=bool, na_value=True))[0])
            raw = frame[column].iloc[row]
            problem = (
                "is blank"
                if pd.isna(raw) or not str(raw).strip()
                else f"holds {str(raw)!r}, which is not a whole number of zero or more"
            )
            raise GeographyError(
                f"{path}: {_where(frame, row)}, column {column!r} {problem}. Population counts must be whole "
                "numbers of zero or more; correct the file or download it again."
            )
        out[:, j] = values.to_numpy(dtype=np.int64)
    return out


def _plain_counts(column: pd.Series) -> np.ndarray | None:
    """The column as int64 when every cell is digits (commas and spaces around allowed) of zero or more, by
    Arrow's cast (a national table's 91 single-year columns: 0.03 s, not 0.75 s); ``None`` for anything else,
    which :func:`_counts` then checks cell by cell to name the first bad one."""
    try:
        text = pa.array(column.astype("string"), type=pa.large_string())
        values = pc.cast(pc.replace_substring(pc.utf8_trim_whitespace(text), ",", ""), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if values.null_count or (len(values) and pc.min(values).as_py() < 0):
        return None
    return values.to_numpy(zero_copy_only=False)


def _codes(frame: pd.DataFrame, code: str, path: Path) -> pd.Series:
    codes = frame[code].astype("string").str.strip()
    blank = codes.isna() | (codes == "")
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy(dtype=bool))[0])
        raise GeographyError(
            f"{path}: {_where(frame, row)} has no area code in column {code!r}; fill it in or remove it."
        )
    return codes


def _single_year_groups(frame: pd.DataFrame, path: Path, layout: str) -> list[_Group]:
    """Single-year columns 0..K and the open group K+1 and over; subtotals and totals are left out."""
    singles: dict[int, str] = {}
    opens: dict[int, str] = {}
    for column in frame.columns:
        if column in ("source_file", ROW_ID):
            continue
        name = str(column).strip()
        if layout == "syoa":
            if re.fullmatch(r"\d+", name):
                parsed: AgeBand | None = (int(name), int(name))
            elif re.fullmatch(r"\d+\s*\+", name):
                parsed = (int(name.rstrip("+ ")), None)
            else:
                parsed = None
        else:  # nomis_ts007: only "Aged under 1 year", "Aged N year(s)" and "Aged N years and over"
            lowered = name.lower()
            if not re.search(r"\baged?\b", lowered):
                continue
            parsed = parse_age_label(name)
            if parsed is not None and parsed[1] is not None and parsed[0] != parsed[1]:
                parsed = None  # a subtotal range such as "Aged 5 to 9 years" or "Aged 4 years and under"
        if parsed is None:
            continue
        low, high = parsed
        target = singles if high is not None else opens
        if low in target:
            raise GeographyError(
                f"{path}: columns {target[low]!r} and {column!r} both hold age {low}"
                f"{'' if high is not None else ' and over'}; keep one of them."
            )
        target[low] = column
    example = (
        "'0' … '89' and '90+'" if layout == "syoa" else "'Aged under 1 year', 'Aged 1 year' … 'Aged 100 years and over'"
    )
    if not singles:
        other = "nomis_ts007" if layout == "syoa" else "syoa"
        raise GeographyError(
            f"{path}: no single-year-of-age columns for layout={layout!r} (expected {example}). "
            f"Check the layout: layout={other!r} or layout='age_groups' may fit this file."
        )
    top = max(singles)
    missing = sorted(set(range(top + 1)) - set(singles))
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
        raise GeographyError(
            f"{path}: single-year columns are missing for age(s) {shown} (expected {example}); "
            "use the complete table from ONS or Nomis."
        )
    if top + 1 not in opens:
        raise GeographyError(
            f"{path}: after the single years 0 to {top} there is no open top group such as '{top + 1}+' or "
            f"'Aged {top + 1} years and over', so no band can include the oldest ages. Use the complete table."
        )
    groups = [_Group(age, age, singles[age]) for age in range(top + 1)]
    groups.append(_Group(top + 1, None, opens[top + 1]))
    return groups


def _partition(groups: list[_Group], path: Path) -> list[_Group]:
    """Check labelled groups cover ages 0 upwards once each, with an open top group."""
    groups = sorted(groups, key=lambda g: (g.low, np.inf if g.high is None else g.high))
    expected_low = 0
    for i, group in enumerate(groups):
        if group.low != expected_low:
            if group.low < expected_low:
                raise GeographyError(
                    f"{path}: age groups {groups[i - 1].label!r} and {group.label!r} overlap; each age must be in "
                    "exactly one group. Remove subtotal groups from the file."
                )
            raise GeographyError(
                f"{path}: no age group covers age {expected_low} (after {groups[i - 1].label!r}); "
                "the groups must cover every age."
                if i
                else f"{path}: the youngest age group {group.label!r} starts at {group.low}, not 0."
            )
        if group.high is None:
            if i != len(groups) - 1:
                raise GeographyError(
                    f"{path}: the open group {group.label!r} overlaps {groups[i + 1].label!r}; "
                    "remove subtotal groups from the file."
                )
            return groups
        expected_low = group.high + 1
    raise GeographyError(
        f"{path}: the oldest age group {groups[-1].label!r} is closed; an open group such as "
        f"'Aged {expected_low} years and over' is needed so that no one is left out."
    )


def _choose(groups: list[_Group], band: AgeBand, path: Path, text: str) -> list[_Group]:
    """The groups that make up ``band`` exactly, or an error saying which bands are possible."""
    low, high = band
    lows = [g.low for g in groups]
    highs = [g.high for g in groups if g.high is not None]
    top = groups[-1]
    problems = []
    if low not in lows:
        inside = next((g for g in groups if g.low < low and (g.high is None or low <= g.high)), None)
        problems.append(f"age {low} falls inside the group {inside.label!r}" if inside else f"no group starts at {low}")
    if high is not None and high not in highs:
        if high >= top.low:
            problems.append(f"the oldest group {top.label!r} is open-ended, so a band cannot stop at {high}")
        else:
            inside = next(g for g in groups if g.low <= high and (g.high is None or high < g.high))
            problems.append(f"age {high} falls inside the group {inside.label!r}")
    if problems:
        many = len(groups) > 20
        starts = "any age from 0 to " + str(top.low) if many else ", ".join(map(str, lows))
        ends = "any age from 0 to " + str(top.low - 1) if many else ", ".join(map(str, highs))
        named = [name for name, (lo, hi) in AGE_BANDS.items() if lo in lows and (hi is None or hi in highs)]
        raise GeographyError(
            f"{path}: age band {text!r} cannot be made from this file's age groups: {'; '.join(problems)}. "
            f"Bands from this file start at {starts} and end at {ends} or have no upper limit "
            f"(named bands it can give: {', '.join(map(repr, named))}). Choose one of those, or use a population "
            "file with single years of age."
        )
    return [g for g in groups if g.low >= low and (high is None or (g.high is not None and g.high <= high))]


def _check_total(frame: pd.DataFrame, values: np.ndarray, path: Path) -> None:
    folded = {str(c).strip().casefold(): c for c in frame.columns}
    column = next((folded[name] for name in _TOTAL_COLUMNS if name in folded), None)
    if column is None:
        return
    stated = _counts(frame, [column], path)[:, 0]
    added = values.sum(axis=1)
    wrong = np.flatnonzero(stated != added)
    if len(wrong):
        row = int(wrong[0])
        raise GeographyError(
            f"{path}: {_where(frame, row)}: the age columns add up to {added[row]:,} but {column!r} says "
            f"{stated[row]:,}. The file may hold subtotal columns under another layout, or be damaged; check the "
            "layout, or pass check_total=False if the difference is expected."
        )


def _duplicates(codes: pd.Series, frame: pd.DataFrame, path: Path, code: str) -> None:
    repeated = codes.duplicated(keep=False)
    if repeated.any():
        first = codes[repeated].iloc[0]
        rows = [_where(frame, int(i)) for i in np.flatnonzero((codes == first).to_numpy(dtype=bool))]
        raise GeographyError(
            f"{path}: area code {first!r} in column {code!r} appears more than once ({', '.join(rows[:5])}). "
            "A population file needs one row per area; remove the repeats."
        )


def _wide(frame: pd.DataFrame, code: str, path: Path, layout: str) -> tuple[pd.Series, list[_Group], np.ndarray]:
    groups = _single_year_groups(frame, path, layout)
    codes = _codes(frame, code, path)
    _duplicates(codes, frame, path, code)
    values = _counts(frame, [g.column for g in groups], path)
    return codes, groups, values


def _long(
    frame: pd.DataFrame, code: str, path: Path, group_column: str | None, value_column: str | None
) -> tuple[pd.Series, list[_Group], np.ndarray]:
    present = [c for c in frame.columns if c not in ("source_file", ROW_ID, code)]
    if group_column is None:
        labelled = [c for c in present if frame[c].map(lambda v: parse_age_label(str(v)) is not None).all()]
        labelled = [c for c in labelled if not frame[c].astype("string").str.fullmatch(r"\s*[\d,]+\s*").all()]
        if len(labelled) != 1:
            found = f" (candidates: {', '.join(map(repr, labelled))})" if labelled else ""
            raise GeographyError(
                f"{path}: cannot tell which column holds the age groups{found}; pass group_column=. "
                "(A wide table with one column per single year of age needs layout='syoa' or 'nomis_ts007'.)"
            )
        group_column = labelled[0]
    else:
        group_column = _find_column(frame, group_column, path, "age group", "group_column")
    if value_column is None:
        numeric = [
            c
            for c in present
            if c != group_column
            and frame[c].astype("string").str.strip().str.replace(",", "", regex=False).str.fullmatch(r"\d+").all()
        ]
        if len(numeric) != 1:
            found = f" (candidates: {', '.join(map(repr, numeric))})" if numeric else ""
            raise GeographyError(f"{path}: cannot tell which column holds the counts{found}; pass value_column=.")
        value_column = numeric[0]
    else:
        value_column = _find_column(frame, value_column, path, "count", "value_column")

    codes = _codes(frame, code, path)
    labels = frame[group_column].astype("string").str.strip()
    for row, label in enumerate(labels):
        if pd.isna(label) or parse_age_label(label) is None:
            raise GeographyError(
                f"{path}: {_where(frame, row)}, column {group_column!r}: {label!r} is not an age group label "
                "such as 'Aged 16 to 24 years' or '65+'."
            )
    counts = _counts(frame, [value_column], path)[:, 0]
    key = codes + "\x00" + labels
    repeated = key.duplicated(keep=False)
    if repeated.any():
        row = int(np.flatnonzero(repeated.to_numpy(dtype=bool))[0])
        rows = [_where(frame, int(i)) for i in np.flatnonzero((key == key.iloc[row]).to_numpy(dtype=bool))]
        raise GeographyError(
            f"{path}: area code {codes.iloc[row]!r} has more than one row for {labels.iloc[row]!r} "
            f"({', '.join(rows[:5])}); keep one row per area and age group."
        )
    order = list(dict.fromkeys(labels))
    groups = _partition([_Group(*parse_age_label(label), label) for label in order], path)  # type: ignore[misc]
    table = pd.DataFrame({"code": codes, "group": labels, "n": counts}).pivot(index="code", columns="group", values="n")
    table = table.reindex(index=list(dict.fromkeys(codes)), columns=[g.column for g in groups])
    incomplete = table.isna().any(axis=1)
    if incomplete.any():
        area = table.index[incomplete.to_numpy()][0]
        lacking = [c for c in table.columns if pd.isna(table.loc[area, c])]
        raise GeographyError(
            f"{path}: area {area!r} has no row for age group(s) {', '.join(map(repr, lacking))}; "
            "every area needs a row for every age group (0 where nobody is in it)."
        )
    return pd.Series(table.index, dtype="string"), groups, table.to_numpy(dtype=np.int64)


def read_population(
    path: str | Path,
    *,
    code: str,
    age_band: str | tuple[int, int | None] = "all",
    layout: Layout = "syoa",
    group_column: str | None = None,
    value_column: str | None = None,
    check_total: bool = True,
) -> pd.Series:
    """Population of each area in an age band, from an ONS or Census table.

    Single years of age are added up for the band (ages ``low`` to ``high`` inclusive); labelled groups are
    added up only when the band starts and ends on group boundaries, since a count cannot be split between
    ages without an assumption about how people are spread inside the group.

    Parameters
    ----------
    path : path-like
        CSV (``.csv``/``.tsv``/``.txt``), Excel (``.xlsx``) or Parquet file. Title lines above the header (as
        in Nomis downloads) are skipped.
    code : str
        The column holding area codes, e.g. ``"lsoa11_code"`` or ``"ward_code"``.
    age_band : str or tuple, default "all"
        A key of :data:`AGE_BANDS`, a range such as ``"16-64"`` or ``"75+"``, or ``(low, high)`` with
        ``high=None`` for "and over" (see :func:`parse_age_band`).
    layout : {"syoa", "nomis_ts007", "age_groups"}
        ``"syoa"``: single-year columns ``"0"`` … ``"89"`` and ``"90+"``. ``"nomis_ts007"``: Nomis TS007
        labels; subtotal and total columns are ignored. ``"age_groups"``: a long table of labelled groups.
    group_column, value_column : str, optional
        For ``layout="age_groups"``: the columns holding the group labels and the counts (found by their
        contents when not given).
    check_total : bool, default True
        For the wide layouts, if the file states an all-ages total (``total_population``, ``all_ages``,
        ``Total: All usual residents``), check that the single years add up to it in every row.

    Returns
    -------
    pandas.Series
        ``int64`` population per area, indexed by area code (index name ``"area_code"``), named
        ``"population"``, in file order. ``attrs`` records the source file, layout, age band and the columns or
        groups added up.

    Raises
    ------
    GeographyError
        The code column is missing (nearest names suggested); a count is blank, negative, fractional or not a
        number (file, line and column named); an area code appears twice; the age groups overlap or leave ages
        out; or the band cannot be made from the file's groups (the possible bands are listed).
    SourceError
        The file is missing, empty or unreadable.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = tempfile.TemporaryDirectory()
    >>> csv = pathlib.Path(folder.name, "pop.csv")
    >>> _ = csv.write_text("code,0,1,2,3+\\nA,10,10,10,70\\nB,5,5,5,5\\n")
    >>> read_population(csv, code="code").to_dict()
    {'A': 100, 'B': 20}
    >>> read_population(csv, code="code", age_band="2+").to_dict()
    {'A': 80, 'B': 10}
    >>> groups = pathlib.Path(folder.name, "groups.csv")
    >>> _ = groups.write_text("code,age_group,n\\nA,Aged 15 years and under,30\\nA,Aged 16 years and over,70\\n")
    >>> read_population(groups, code="code", layout="age_groups", age_band="16+").to_dict()
    {'A': 70}
    >>> folder.cleanup()
    """
    path = Path(path)
    if layout not in LAYOUTS:
        raise GeographyError(
            f"Unknown population layout {layout!r}.{suggest(str(layout), LAYOUTS)} Use one of {LAYOUTS}."
        )
    band = parse_age_band(age_band)
    text = age_band if isinstance(age_band, str) else age_band_label(band)
    try:
        source = read_source(path, expected=[code])  # finds the header below any title lines
    except SourceError:
        # No header names the code column: read from the first row, so the error below can suggest names
        # (population tables hold no personal data). A file that cannot be read at all raises again here.
        source = read_source(path)
    if len(source.quarantine):
        first = source.quarantine.iloc[0]
        raise GeographyError(
            f"{path}: {first[ROW_ID]} could not be read ({first['message']}); a population file must be read whole. "
            "Fix or re-download the file."
        )
    frame = source.frame.reset_index(drop=True)
    if frame.empty:
        raise GeographyError(f"{path}: the file has a header but no rows of areas.")
    code = _find_column(frame, code, path, "area code", "code")

    if layout == "age_groups":
        codes, groups, values = _long(frame, code, path, group_column, value_column)
    else:
        codes, groups, values = _wide(frame, code, path, layout)
        if check_total:
            _check_total(frame, values, path)

    chosen = _choose(groups, band, path, str(text))
    picked = [groups.index(g) for g in chosen]
    totals = values[:, picked].sum(axis=1)
    out = pd.Series(totals, index=pd.Index(codes.to_numpy(dtype=object), name="area_code"), name="population")
    out = out.astype("int64")
    out.attrs.update(
        {
            "source": str(path),
            "layout": layout,
            "age_band": age_band_label(band),
            "columns": [g.column for g in chosen],
        }
    )
    return out


def derive_population(population: pd.Series, source: AreaLayer, target: AreaLayer) -> pd.Series:
    """Sum a finer layer's population into a coarser layer by best fit.

    Each source area goes wholly to the target area containing its representative point (a point inside the
    polygon), the same idea as the ONS best-fit lookups, which use population-weighted centroids instead; a point
    outside every target area takes the nearest. Exact where the finer areas nest in the coarser ones (LSOAs in
    MSOAs); an approximation where boundaries cut across (LSOAs and the 2004 wards).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> small = AreaLayer("lsoa", "LSOA", gpd.GeoDataFrame({"area_code": ["a", "b", "c"], "area_name": ["a", "b", "c"]},
    ...                   geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs=27700), "example")
    >>> big = AreaLayer("ward", "Ward", gpd.GeoDataFrame({"area_code": ["W1", "W2"], "area_name": ["W1", "W2"]},
    ...                 geometry=[box(0, 0, 2, 1), box(2, 0, 3, 1)], crs=27700), "example")
    >>> derive_population(pd.Series([10, 20, 30], index=["a", "b", "c"]), small, big).to_dict()
    {'W1': 30, 'W2': 30}
    """
    best = parent_areas(source.areas, target.areas)["parent_code"]
    values = population.reindex(best.index).fillna(0).astype("int64")
    out = values.groupby(best.to_numpy()).sum().reindex(target.areas["area_code"], fill_value=0).astype("int64")
    out.index.name = "area_code"
    out.name = "population"
    out.attrs = {"derived_from": source.name, "method": "best fit by representative point"}
    return out
