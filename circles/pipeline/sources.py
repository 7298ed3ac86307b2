"""How a source's files are read: its column mapping (:class:`SourceSpec`) and each field's rules (:class:`ColumnSpec`).

Part of the pipeline spec (:mod:`circles.pipeline.spec`, which re-exports both). A field is read from a source
``column``, set to a constant ``value``, or a ``copy_of`` another field; ``type: age_years`` keeps only the band of
an age. One source column feeds one field: a column mapped twice is a spec error naming both fields and the
line, e.g.::

    pipelines/police.yaml, line 14, sources.police.columns.start_date: fields 'referral_date' and 'start_date' both
    read the column 'Incident date'; one source column feeds one field. Map 'start_date' to its own column, or, if
    it really holds the same value, declare it a copy: start_date: {copy_of: referral_date}
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from circles.ingest.parse import DEFAULT_DATE_FORMATS, age_bands, parse_dates, parse_integers
from circles.validation import error_at, suggest

__all__ = ["StrictModel", "ColumnSpec", "SourceSpec", "share_age_bands"]


class StrictModel(BaseModel):
    """A spec mapping: unknown keys are errors and the parsed spec cannot change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(StrictModel):
    """How one standard field is read from a source column and checked.

    A field is read from a ``column`` of the file, set to a constant ``value`` for every row of the source (the
    provider of a single-provider extract), or a ``copy_of`` another field of the same source (an extract with one
    date for referral and start): exactly one of the three. A copy takes the other field's text as read, before
    validation, and is then checked by its own rules: those of the field it copies (type, formats, allowed,
    required, privacy), overridden by any it gives; a copy that gives its own ``type`` keeps only ``required``
    and ``privacy`` from the other field.

    ``type: age_years`` reads ages in whole years (0-120; ``"45"``, ``"45.0"``, ``" 45 "``) and keeps only the band
    of ``allowed`` each falls in (``"0-4"``, ``"18-24"``, ``"65+"``, ``"under 18"``, ``"85 and over"``): the exact
    age never leaves ingest. Without its own ``allowed`` the field takes the bands of the same field in another
    source. Bands that overlap are a spec error (an age would have two bands); an age in no band (a gap, or an
    adults-only list) quarantines its row (``age_outside_bands``).

    ``privacy`` says what ingest does with a field that identifies a person: ``pseudonymise`` (HMAC-SHA256
    pseudonym; client ids, NHS numbers, family ids), ``drop`` (never leaves ingest: names, addresses, dates of
    birth once the age is derived) or ``keep``.
    """

    column: str | None = Field(None, description="the source column the field is read from")
    value: str | None = Field(None, description="a constant: the field's value in every row of the source")
    copy_of: str | None = Field(None, description="another field of the source whose value this field takes")
    required: bool = True
    type: Literal["text", "category", "date", "integer", "postcode", "nhs_number", "age_years"] = "text"
    allowed: list[str] | None = None
    date_formats: list[str] | None = None
    minimum: int | None = None
    max_length: int = Field(1000, ge=1)
    privacy: Literal["keep", "pseudonymise", "drop"] = "keep"

    @field_validator("value", mode="before")
    @classmethod
    def _value_as_text(cls, value: Any) -> Any:
        """A YAML number or date (``value: 3``, ``value: 2010-04-01``) as the text a file would hold."""
        if isinstance(value, bool):
            raise ValueError("give the value as text, e.g. value: 'yes'")
        if isinstance(value, int | float | dt.date):
            return value.isoformat() if isinstance(value, dt.date) else str(value)
        return value

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnSpec:
        given = [k for k in ("column", "value", "copy_of") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'column' (read from the file), 'value' (a constant for every row) or "
                f"'copy_of' (another field's value){'; this gives ' + ' and '.join(given) if given else ''}"
            )
        if self.value is not None and not self.value.strip():
            raise ValueError("'value' is blank: give the constant every row takes, or leave the field out")
        if self.value is not None and self.type == "age_years":
            raise ValueError("'type: age_years' reads ages from a 'column'; a constant band is 'value' with 'allowed'")
        return self

    @model_validator(mode="after")
    def _rules_fit_type(self) -> ColumnSpec:
        if self.date_formats and self.type != "date":
            raise ValueError("'date_formats' applies to 'type: date' only")
        if self.minimum is not None and self.type != "integer":
            raise ValueError("'minimum' applies to 'type: integer' only")
        if self.type == "age_years":
            if not self.allowed:
                raise ValueError(
                    "'type: age_years' bands each age into the 'allowed' bands: give them, e.g. "
                    "allowed: ['0-17', '18-24', '25-64', '65+'] (or on the same field of another source)"
                )
            age_bands(self.allowed)  # a ValueError names a band that cannot be read or two that overlap
        return self

    @model_validator(mode="after")
    def _value_fits(self) -> ColumnSpec:
        """A constant is checked once here, rather than quarantining every row of the source for it."""
        if self.value is None:
            return self
        if self.allowed and self.value.strip().lower() not in {a.strip().lower() for a in self.allowed}:
            raise ValueError(f"'value' {self.value!r} is not one of 'allowed': {', '.join(self.allowed)}")
        one = pd.Series([self.value])
        if self.type == "integer" and parse_integers(one).isna().iloc[0]:
            raise ValueError(f"'value' {self.value!r} is not a whole number (type: integer)")
        if self.type == "date" and parse_dates(one, self.date_formats or DEFAULT_DATE_FORMATS).isna().iloc[0]:
            raise ValueError(f"'value' {self.value!r} is not a date in the column's date_formats (type: date)")
        return self

    def origin(self) -> str:
        """Where the field's value comes from, for messages: ``column 'Age'``, ``value 'X'``, ``copy of 'f'``."""
        if self.column is not None:
            return f"column {self.column!r}"
        return f"value {self.value!r}" if self.value is not None else f"copy of {self.copy_of!r}"


class SourceSpec(StrictModel):
    """A group of agency files with the same layout.

    Each source column feeds one field: a second field with the same value is declared ``copy_of`` the first
    (a source column mapped twice is a spec error, so a mistaken mapping is caught before any row is read).
    """

    files: str = Field(description="file or glob pattern, relative to the spec")
    agency: str | None = None
    sheet: str | None = Field(None, description="Excel sheet (default: the first)")
    columns: dict[str, str | ColumnSpec]

    @field_validator("columns")
    @classmethod
    def _need_postcode(cls, value: dict[str, str | ColumnSpec]) -> dict[str, str | ColumnSpec]:
        if "postcode" not in value:
            raise ValueError("the column mapping needs a 'postcode' field (where the record's postcode is)")
        return value

    @model_validator(mode="after")
    def _one_field_per_column(self) -> SourceSpec:
        first: dict[str, str] = {}
        for name, col in self.column_specs().items():
            if col.column is None:
                continue
            key = col.column.strip().casefold()
            if key in first:
                raise error_at(
                    ("columns", name),
                    f"fields {first[key]!r} and {name!r} both read the column {col.column!r}; one source column "
                    f"feeds one field. Map {name!r} to its own column, or, if it really holds the same value, "
                    f"declare it a copy: {name}: {{copy_of: {first[key]}}}",
                )
            first[key] = name
        return self

    @model_validator(mode="after")
    def _copies_name_fields(self) -> SourceSpec:
        specs = self.column_specs()
        for name, col in specs.items():
            if col.copy_of is None:
                continue
            target = specs.get(col.copy_of)
            if target is None:
                raise error_at(
                    ("columns", name, "copy_of"),
                    f"no field {col.copy_of!r} in this source to copy.{suggest(col.copy_of, specs)} "
                    f"Fields: {', '.join(specs)}",
                )
            if col.copy_of == name or target.copy_of is not None:
                raise error_at(
                    ("columns", name, "copy_of"),
                    f"{name!r} copies {col.copy_of!r}, which is "
                    + ("itself" if col.copy_of == name else f"a copy of {target.copy_of!r}: copy that field")
                    + "; a copy names a field read from a column or given a value",
                )
        return self

    def column_specs(self) -> dict[str, ColumnSpec]:
        """Every field as a :class:`ColumnSpec` (a bare string means a required text column), copies with their rules.

        A ``copy_of`` field takes the rules of the field it copies, overridden by those it gives (see
        :class:`ColumnSpec`).
        """
        specs = {k: (ColumnSpec(column=v) if isinstance(v, str) else v) for k, v in self.columns.items()}
        return {k: _with_copied_rules(col, specs.get(col.copy_of or "")) for k, col in specs.items()}


_TYPE_RULES = ("type", "allowed", "date_formats", "minimum", "max_length")


def _with_copied_rules(col: ColumnSpec, target: ColumnSpec | None) -> ColumnSpec:
    """A copy's rules: the copied field's, overridden by the copy's own (only ``required`` and ``privacy`` when the
    copy gives its own ``type``)."""
    if col.copy_of is None or target is None or target.copy_of is not None:
        return col
    given = col.model_fields_set
    skip = {"column", "value", "copy_of", *given, *(_TYPE_RULES if "type" in given else ())}
    inherited = {k: v for k, v in target.model_dump().items() if k not in skip}
    return ColumnSpec(**col.model_dump(include=given | {"copy_of"}), **inherited)


def share_age_bands(data: Any) -> Any:
    """A spec's YAML with each ``type: age_years`` field lacking ``allowed`` given the bands of the same field in
    another source (the first that lists them), so a police extract of ages and a health extract of bands share one
    set of bands. Anything else is left as it is, for the models to report.
    """
    sources = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(sources, dict):
        return data
    columns = {
        n: s["columns"] for n, s in sources.items() if isinstance(s, dict) and isinstance(s.get("columns"), dict)
    }
    bands: dict[str, Any] = {}
    for mapping in columns.values():
        for name, col in mapping.items():
            if isinstance(col, dict) and col.get("allowed"):
                bands.setdefault(name, col["allowed"])

    def filled(name: str, col: Any) -> Any:
        lacking = isinstance(col, dict) and col.get("type") == "age_years" and not col.get("allowed")
        return {**col, "allowed": bands[name]} if lacking and name in bands else col

    shared = {n: {**sources[n], "columns": {f: filled(f, c) for f, c in m.items()}} for n, m in columns.items()}
    return {**data, "sources": {**sources, **shared}}
