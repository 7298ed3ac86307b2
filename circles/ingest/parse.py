"""Parse the text of agency extracts into typed values: dates, whole numbers, NHS numbers, ages and their bands.

Every parser is vectorised and never raises on a bad value: it gives a missing value, and the checks of
:mod:`circles.ingest.validate` turn those into quarantine entries with their reasons. The pipeline spec uses the
same parsers to check a constant (``value:``) and the age bands of a ``type: age_years`` field when it is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_DATE_FORMATS",
    "MAX_AGE",
    "parse_dates",
    "parse_integers",
    "parse_ages",
    "age_bands",
    "band_ages",
    "normalise_nhs_numbers",
]

#: Accepted date layouts when a column gives none: UK day first, ISO, and Excel serial day numbers.
DEFAULT_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "excel")
#: The oldest age ``type: age_years`` accepts; older (and negative) ages are quarantined as ``age_out_of_range``.
MAX_AGE = 120
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EARLIEST = pd.Timestamp("1900-01-01")


def parse_dates(values: pd.Series, formats: Sequence[str] = DEFAULT_DATE_FORMATS) -> pd.Series:
    """Parse text dates, trying each format in turn per value (vectorised); blanks and failures are ``NaT``.

    ``"excel"`` accepts Excel serial day numbers (1900 date system, 1 to 2958465) as whole numbers. Values may
    carry a time of day after the date (``"2010-04-01 10:30:00"``), which is dropped: circles works in days.
    Impossible dates (31/02/2010) fail rather than roll over. Each distinct text is parsed once: extracts repeat
    dates a lot.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_dates(pd.Series(["01/04/2010", "2010-04-02", "40271", "31/02/2010", ""])).dt.strftime("%Y-%m-%d").tolist()
    ['2010-04-01', '2010-04-02', '2010-04-03', nan, nan]
    """
    codes, uniques = pd.factorize(values.astype("string").fillna("").str.strip())
    text = pd.Series(uniques, dtype="string")
    if text.str.contains(":", regex=False).any():  # a date with a time of day (Excel date-times): keep the date
        text = text.str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", regex=True)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna() & text.ne("")
        if not todo.any():
            break
        if fmt == "excel":
            serial = pd.to_numeric(text[todo].where(text[todo].str.fullmatch(r"\d{1,7}")), errors="coerce")
            serial = serial.where(serial.between(1, 2958465))
            found = _EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
        else:
            found = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        parsed[todo] = found.astype("datetime64[ns]")
    parsed = parsed.where(parsed >= _EARLIEST)
    out = parsed.to_numpy()[codes]
    out[codes < 0] = np.datetime64("NaT")
    return pd.Series(out, index=values.index, dtype="datetime64[ns]")


def parse_integers(values: pd.Series) -> pd.Series:
    """Parse whole numbers written as digits (optional sign); anything else is ``<NA>``.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_integers(pd.Series(["42", " -3 ", "1e3", "12.5", ""])).tolist()
    [42, -3, <NA>, <NA>, <NA>]
    """
    text = values.astype("string").fillna("").str.strip()
    ok = text.str.fullmatch(r"[+-]?\d{1,15}").fillna(False).astype(bool)
    return pd.to_numeric(text.where(ok), errors="coerce").astype("Int64")


def parse_ages(values: pd.Series) -> pd.Series:
    """Parse ages in whole years (``"45"``, ``"45.0"``, ``" 45 "``, ``"-3"``); anything else is ``<NA>``.

    The range (0 to :data:`MAX_AGE`) is checked by the schema, so that a negative age and a word get different
    reasons.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_ages(pd.Series(["45", "45.0", " 45 ", "-3", "45.5", "abc", ""])).tolist()
    [45, 45, 45, -3, <NA>, <NA>, <NA>]
    """
    text = values.astype("string").fillna("").str.strip()
    whole = text.str.extract(r"^([+-]?\d{1,6})(?:\.0*)?$", expand=False)
    return pd.to_numeric(whole, errors="coerce").astype("Int64")


def age_bands(allowed: Sequence[str]) -> list[tuple[int, int | None, str]]:
    """The bands of a ``type: age_years`` field as ``(low, high, label)``, youngest first (``high=None``: and over).

    Bands read as ONS labels do: ``"18-24"``, ``"65+"``, ``"under 18"``, ``"85 and over"``, ``"16"``.

    Raises
    ------
    ValueError
        Naming a band that cannot be read, or two bands that overlap (an age would fall in both).

    Examples
    --------
    >>> age_bands(["18-24", "0-17", "65+"])
    [(0, 17, '0-17'), (18, 24, '18-24'), (65, None, '65+')]
    >>> age_bands(["0-17", "16-24"])
    Traceback (most recent call last):
    ...
    ValueError: age bands '0-17' and '16-24' overlap: ages 16 to 17 would be in both
    """
    from circles.geo.populations import parse_age_label  # the geo package imports ingest: loaded on use

    bands = []
    for label in allowed:
        parsed = parse_age_label(str(label))
        if parsed is None:
            raise ValueError(
                f"age band {label!r} is not understood: write bands such as '0-4', '18-24', '65+' or 'under 18'"
            )
        bands.append((*parsed, str(label)))
    bands.sort(key=lambda b: (b[0], b[1] if b[1] is not None else np.inf))
    for (_, high, label), (low2, high2, label2) in zip(bands, bands[1:], strict=False):
        if high is None or low2 <= high:
            end = min((x for x in (high, high2) if x is not None), default=None)
            ages = f"ages {low2} and over" if end is None else f"ages {low2} to {end}" if end > low2 else f"age {end}"
            raise ValueError(f"age bands {label!r} and {label2!r} overlap: {ages} would be in both")
    return bands


def band_ages(ages: pd.Series, bands: Sequence[tuple[int, int | None, str]]) -> pd.Series:
    """The band label of each age; ``<NA>`` for a missing age and for an age in no band.

    Examples
    --------
    >>> import pandas as pd
    >>> band_ages(pd.Series([17, 18, 65, 3, None], dtype="Int64"), age_bands(["16-17", "18-24", "65+"])).tolist()
    ['16-17', '18-24', '65+', <NA>, <NA>]
    """
    out = pd.Series(pd.NA, index=ages.index, dtype="string")
    for low, high, label in bands:
        inside = ages >= low if high is None else ages.between(low, high)
        out[inside.fillna(False).to_numpy(dtype=bool)] = label
    return out


def normalise_nhs_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalise NHS numbers to ten digits and validate the modulus 11 check digit (vectorised).

    Spaces and dashes are removed (``"943 476 5919"`` -> ``"9434765919"``). The check digit is
    ``11 - (sum of the first nine digits weighted 10..2) mod 11``; 11 means 0 and 10 means the number is invalid
    (NHS Data Dictionary, NHS Number).

    Returns
    -------
    (normalised, valid)
        ``normalised`` holds the ten digits where valid and ``<NA>`` elsewhere; ``valid`` is ``False`` for
        blanks too (test blanks separately).

    Examples
    --------
    >>> import pandas as pd
    >>> digits, ok = normalise_nhs_numbers(pd.Series(["943 476 5919", "943-476-5918", "9.43E+09", ""]))
    >>> digits.tolist(), ok.tolist()
    (['9434765919', <NA>, <NA>, <NA>], [True, False, False, False])
    """
    codes, uniques = pd.factorize(values.astype("string").fillna(""))
    text = pd.Series(uniques, dtype="string")
    # only values with something besides ASCII digits can hold a space or a dash: the regex (a Python one, per
    # value) runs on those alone
    spaced = ~text.str.fullmatch(r"[0-9]*").fillna(False).astype(bool).to_numpy()
    if spaced.any():
        text[spaced] = text[spaced].str.replace(r"[\s\-]", "", regex=True)
    shaped = text.str.fullmatch(r"\d{10}").fillna(False).astype(bool).to_numpy()
    valid = np.zeros(len(text), dtype=bool)
    if shaped.any():
        digits = np.frombuffer("".join(text[shaped].tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 10) - 48
        total = digits[:, :9].astype(np.int64) @ np.arange(10, 1, -1)
        check = 11 - total % 11
        check[check == 11] = 0
        valid[shaped] = (check != 10) & (check == digits[:, 9])
    # each distinct value's result taken to its rows (a blank or missing value has code -1: not valid, missing)
    normal_rows = text.where(valid, pd.NA).array.take(codes, allow_fill=True)
    valid_rows = np.append(valid, False)[codes]
    return (pd.Series(normal_rows, index=values.index, dtype="string"), pd.Series(valid_rows, index=values.index))
