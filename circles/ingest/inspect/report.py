"""What an inspection found (:class:`ExtractInspection`), and the ``sources:`` block of YAML that proposes it.

:meth:`ExtractInspection.to_yaml` explains each guess in comments: how a column was matched, counts, date formats,
the values of categories that do not identify people, the unmatched columns and the rows that could not be parsed.
No identifying value is printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from circles.ingest.inspect.dates import DateSniff
from circles.ingest.inspect.fields import STANDARD_FIELDS, FieldMatch
from circles.ingest.inspect.profile import ColumnProfile, PostcodeCheck, Problem
from circles.ingest.inspect.text import _comment, _flow, _fmt, _listing, _natural, _pattern, _q, _rows

__all__ = ["ExtractInspection"]

_MAX_LISTED_PROBLEMS = 50
_NO_POSTCODE = "FILL IN: the postcode column"
#: The bands proposed for a column of ages in years (the demo's): edit them to those the population tables use.
_AGE_BANDS = ("0-4", "5-9", "10-15", "16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")


@dataclass(frozen=True)
class ExtractInspection:
    """What :func:`inspect_extract` found in an extract, and the mapping it proposes.

    Attributes
    ----------
    path : pathlib.Path
        The file inspected.
    format : str
        ``"csv"`` or ``"xlsx"`` (or ``"parquet"``).
    sheet : str or None
        The Excel sheet read.
    columns : tuple of str
        The header, as the reader names the columns.
    rows_read, rows_inspected : int
        Records in the file (readable or not), and in the sample.
    mapping : mapping of str to FieldMatch
        Standard field -> matched column, in the order of :data:`STANDARD_FIELDS`.
    unmatched_columns : tuple of str
        Columns no field was matched to.
    profiles : mapping of str to ColumnProfile
        Counts for every column.
    date_formats : mapping of str to DateSniff
        Date formats of the mapped date fields and of unmatched columns that hold dates, by column.
    categories : mapping of str to tuple of (value, count)
        Values and counts of low-cardinality columns that do not identify people, by column.
    postcodes : PostcodeCheck or None
        The postcode column's check (``None`` when no postcode column was found).
    problems : tuple of Problem
        Rows of the sample that could not be read or parsed, by row.
    notes : tuple of str
        Findings about the file as a whole.
    info : mapping
        The reader's description of the file (encoding, delimiter, header row, sheets).
    """

    path: Path
    format: str
    sheet: str | None
    columns: tuple[str, ...]
    rows_read: int
    rows_inspected: int
    mapping: Mapping[str, FieldMatch]
    unmatched_columns: tuple[str, ...]
    profiles: Mapping[str, ColumnProfile]
    date_formats: Mapping[str, DateSniff]
    categories: Mapping[str, tuple[tuple[str, int], ...]]
    postcodes: PostcodeCheck | None
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    info: Mapping[str, Any] = field(default_factory=dict)
    age_columns: frozenset[str] = frozenset()

    def column_specs(self) -> dict[str, str | dict[str, Any]]:
        """The proposed ``columns:`` mapping: a column name, or the keys of a ``ColumnSpec``, per standard field.

        A postcode column is always present (every source needs one): when none was found it is a placeholder to
        fill in.
        """
        specs: dict[str, str | dict[str, Any]] = {}
        for name, match in self.mapping.items():
            std = STANDARD_FIELDS[name]
            spec: dict[str, Any] = {"column": match.column}
            kind = "age_years" if match.column in self.age_columns else std.type
            allowed = self._allowed(name) if kind == "category" else list(_AGE_BANDS) if kind == "age_years" else None
            if kind == "category" and not allowed:
                kind = "text"  # values not listable: no allowed list to check them against
            if kind != "text":
                spec["type"] = kind
            if not std.required:
                spec["required"] = False
            if allowed:
                spec["allowed"] = allowed
            sniff = self.date_formats.get(match.column)
            if kind == "date" and sniff is not None and sniff.suggested:
                spec["date_formats"] = list(sniff.suggested)
            if std.privacy != "keep":
                spec["privacy"] = std.privacy
            specs[name] = match.column if spec.keys() == {"column"} else spec
        if "postcode" not in specs:
            specs["postcode"] = {"column": _NO_POSTCODE, "type": "postcode"}
        return {name: specs[name] for name in STANDARD_FIELDS if name in specs}

    def _allowed(self, name: str) -> list[str] | None:
        """Allowed values for a category field: the sample's values, one spelling per value (ignoring case)."""
        counts = self.categories.get(self.mapping[name].column)
        if not counts:
            return None
        spelling: dict[str, str] = {}
        for value, _ in counts:  # most common spelling first
            spelling.setdefault(value.casefold(), value)
        return sorted(spelling.values(), key=_natural)

    def to_yaml(self, source_name: str = "take_up") -> str:
        """A ``sources:`` block for a pipeline spec, with comments explaining each guess.

        The block validates against :class:`~circles.pipeline.spec.SourceSpec`. Comments give how each column
        was matched, counts, date formats, values of non-identifying categories, and, at the end, the unmatched
        columns and the rows that could not be parsed. No identifying value is printed.
        """
        described = f"{self.format}" + (f", sheet {_q(self.sheet)}" if self.sheet else "")
        if self.info.get("encoding"):
            described += f", {self.info['encoding']}, delimiter {_q(str(self.info.get('delimiter', ',')))}"
        header_at = self.info.get("header_line") or self.info.get("header_row")
        lines = [
            f"# circles inspect: {_comment(self.path.name)} ({_comment(described)})",
            f"# {self.rows_inspected:,} of {self.rows_read:,} rows inspected"
            + (f"; the header is on row {header_at}" if header_at else "")
            + (" (the rows above it are skipped, as circles run skips them)" if header_at and header_at > 1 else "")
            + ".",
            "# A proposed mapping: check every line before you use it.",
            "# Identifying columns are described by counts only: no identifying value is printed.",
        ]
        lines += [f"# {_comment(note)}" for note in self.notes]
        lines += [
            "sources:",
            f"  {_flow(source_name)}:",
            f"    files: {_flow(str(self.path))}  # this file; a pattern such as {_comment(_pattern(self.path))} "
            "reads every file of this layout",
        ]
        if self.sheet:
            lines.append(f"    sheet: {_flow(self.sheet)}")
        lines.append("    columns:  # standard field: column in the agency's file")
        for name, spec in self.column_specs().items():
            comments = self._field_comments(name)
            lines.append(f"      {name}: {_flow(spec)}  # {_comment(comments[0])}")
            lines += [f"      #   {_comment(c)}" for c in comments[1:]]
        private = [n for n in self.mapping if STANDARD_FIELDS[n].privacy != "keep"]
        if private:
            lines += [
                "# privacy: pseudonymise and drop need the 'pseudonymise' stage after 'read'; pseudonymise also needs",
                "# a 'pseudonymisation:' section with a key kept outside the repository (circles key new PATH).",
            ]
        lines += self._unmatched_lines() + self._problem_lines()
        return "\n".join(lines) + "\n"

    def _field_comments(self, name: str) -> list[str]:
        std = STANDARD_FIELDS[name]
        match = self.mapping.get(name)
        if match is None:  # only the postcode, which every source needs
            return [
                "no postcode column found: circles places every record by its postcode; put the column's name here",
            ]
        profile = self.profiles[match.column]
        first = match.describe()
        out = []
        if std.identifying:
            first += f"; {profile.describe()}"
        elif profile.blank and not std.required:
            first += f"; {profile.blank:,} blank"
        if std.privacy == "pseudonymise":
            out.append("pseudonymised: keyed HMAC pseudonyms link the person's records; the id never leaves ingest")
        elif std.privacy == "drop":
            out.append(
                "dropped at ingest once the age at referral is derived"
                if name == "date_of_birth"
                else "dropped at ingest: circles never needs it"
            )
        blank = profile.blank + profile.placeholders
        if std.required and blank:
            out.append(f"{blank:,} blank in the sample: those rows will be quarantined (or set required: false)")
        if match.column in self.date_formats:
            out += self.date_formats[match.column].notes()
            if self.format == "xlsx" and "%Y-%m-%d" in self.date_formats[match.column].suggested:
                out.append("cells Excel stores as dates are read as yyyy-mm-dd")
        if name == "postcode" and self.postcodes is not None and self.postcodes.invalid:
            out.append(
                f"{self.postcodes.invalid:,} of {self.postcodes.checked:,} postcodes are not valid UK postcodes: "
                f"{_rows(self.postcodes.invalid_rows)}"
            )
        if name == "nhs_number":
            bad = [p.row for p in self.problems if p.reason == "invalid_nhs_number"]
            if bad:
                out.append(f"{len(bad):,} of {profile.non_blank:,} are not valid NHS numbers: {_rows(bad)}")
        if match.column in self.age_columns:  # the exact age identifies: never listed
            bad = [p.row for p in self.problems if p.reason == "invalid_age"]
            out.append("ages in whole years: only the band of 'allowed' each falls in is kept (edit the bands)")
            return [first, *out, *([f"{len(bad):,} are not ages from 0 to 120: {_rows(bad)}"] if bad else [])]
        categories = self.categories.get(match.column)
        if categories and std.type == "category":
            out.append("allowed: the values in the sample; add any others the agency uses")
        if categories:
            out.append("values: " + _listing(categories))
        elif not std.identifying and profile.hidden and profile.hidden != "dates":
            out.append(f"values not listed: {profile.hidden}")
        return [first, *out]

    def _unmatched_lines(self) -> list[str]:
        if not self.unmatched_columns:
            return []
        lines = ["# Columns not mapped (circles does not read them; map one by hand if it holds a standard field):"]
        for column in self.unmatched_columns:
            profile = self.profiles[column]
            text = f"{_q(column)}: {profile.non_blank:,} values, {profile.describe()}"
            sniff = self.date_formats.get(column)
            if sniff is not None and sniff.suggested:
                text += "; dates (" + ", ".join(_fmt(f) for f in sniff.suggested) + ")"
            if column in self.categories:
                text += ": " + _listing(self.categories[column])
            elif profile.hidden and profile.non_blank and profile.hidden != "dates":
                text += f" (values not shown: {profile.hidden})"
            lines.append(f"#   {_comment(text)}")
        return lines

    def _problem_lines(self) -> list[str]:
        if not self.problems:
            return []
        lines = [
            f"# Rows of the sample that could not be read or parsed ({len(self.problems):,}; row numbers as in the "
            "file; values not shown):"
        ]
        for p in self.problems[:_MAX_LISTED_PROBLEMS]:
            where = f"row {p.row:,}" + (f", {_q(p.column)}" if not p.column.startswith("(") else "")
            lines.append(f"#   {_comment(f'{where}: {p.reason}: {p.message}')}")
        if len(self.problems) > _MAX_LISTED_PROBLEMS:
            lines.append(f"#   ... and {len(self.problems) - _MAX_LISTED_PROBLEMS:,} more")
        return lines
