"""What an audit finds (:class:`Finding`, one of :data:`KINDS`) and the report people read (:func:`format_findings`).

:func:`circles.pipeline.audit.audit_report` returns the findings; ``circles audit`` and a refused run print them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["KINDS", "Finding", "format_findings", "sorted_findings"]

#: Every kind of :class:`Finding`.
KINDS = (
    "identifier",
    "pseudonym",
    "postcode",
    "small_count",
    "phone",
    "email",
    "nhs_number",
    "date_of_birth",
    "path",
    "unreadable",
)


@dataclass(frozen=True)
class Finding:
    """One problem in an audited report folder.

    Attributes
    ----------
    file : str
        Path relative to the audited folder (``/``-separated). A folder or file name that itself contains
        personal data is replaced by ``<name withheld N>``.
    location : str
        Where in the file: ``"line 12, column 'people'"``, ``"layer 'lsoa', row 3, column 'people'"``,
        ``"page 2"``, ``"sheet 'Areas', cell B7"``, ``"$.inputs[0].file"``, ``"file name"``.
    kind : str
        One of :data:`KINDS`.
    detail : str
        A human explanation. It never repeats the secret itself.
    """

    file: str
    location: str
    kind: str
    detail: str


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """By file, then location with its numbers in natural order (line 2 before line 10), kind and detail.

    Examples
    --------
    >>> found = [Finding("a.csv", "line 10", "phone", ""), Finding("a.csv", "line 2", "email", "")]
    >>> [f.location for f in sorted_findings(found)]
    ['line 2', 'line 10']
    """
    return sorted(findings, key=lambda f: (f.file, _natural(f.location), f.kind, f.detail))


def _natural(text: str) -> tuple[Any, ...]:
    parts = re.split(r"([0-9]+)", text)  # text, number, text, number, ..., text
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts))


def format_findings(findings: list[Finding], *, limit_per_file: int | None = 50) -> str:
    """A readable report of ``findings`` for the command line, grouped by file.

    Parameters
    ----------
    findings : list of Finding
    limit_per_file : int or None
        Show at most this many findings per file, then say how many more there are (``None``: all).

    Examples
    --------
    >>> print(format_findings([]))
    Audit passed: no personal data, small counts or unreadable files found.
    >>> print(format_findings([Finding("tables/a.csv", "line 3, column 'people'", "small_count", "holds 3")]))
    Audit FAILED: 1 finding in 1 file (small_count 1). Do not share this report until each is resolved.
    <BLANKLINE>
    tables/a.csv
      line 3, column 'people'  [small_count]  holds 3
    """
    if not findings:
        return "Audit passed: no personal data, small counts or unreadable files found."
    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.file, []).append(finding)
    kinds = {kind: sum(f.kind == kind for f in findings) for kind in KINDS}
    tally = ", ".join(f"{kind} {n}" for kind, n in kinds.items() if n)
    plural = "s" if len(findings) != 1 else ""
    files = f"{len(by_file)} file" + ("s" if len(by_file) != 1 else "")
    lines = [
        f"Audit FAILED: {len(findings)} finding{plural} in {files} ({tally}). "
        "Do not share this report until each is resolved."
    ]
    for file, items in by_file.items():
        lines += ["", file]
        shown = items if limit_per_file is None else items[:limit_per_file]
        width = max(len(f.location) for f in shown)
        lines += [f"  {f.location:<{width}}  [{f.kind}]  {f.detail}" for f in shown]
        if len(items) > len(shown):
            lines.append(f"  ... and {len(items) - len(shown)} more in this file")
    return "\n".join(lines)
