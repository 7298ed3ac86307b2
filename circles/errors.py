"""One exception family for circles.

Every error a user can cause is a :class:`CirclesError`. Messages say what went wrong, where (file, row,
column, spec key and line) and what to do about it. The command line prints the message and exits with
status 2; it never shows a traceback for these.
"""

from __future__ import annotations

__all__ = [
    "CirclesError",
    "SpecError",
    "SourceError",
    "GeographyError",
    "AccountingError",
    "DisclosureError",
    "PseudonymKeyError",
    "AuditError",
    "RateError",
    "CodingError",
    "AgreementError",
    "RefiError",
    "EngineError",
    "PublishError",
    "ScreeningError",
    "PlannerError",
    "ChangeError",
]


class CirclesError(Exception):
    """Base class of every error circles raises on purpose."""


class SpecError(CirclesError):
    """The pipeline spec (YAML) is invalid: unknown key, wrong type, missing file."""


class SourceError(CirclesError):
    """An input file cannot be used as a whole (unreadable, empty, missing a required column)."""


class GeographyError(CirclesError):
    """A reference geography (postcode directory, area layer, lookup) is missing or malformed."""


class AccountingError(CirclesError):
    """Rows were lost or duplicated between stages: read != accepted + quarantined."""


class DisclosureError(CirclesError):
    """A table about to be published has not passed disclosure control."""


class PseudonymKeyError(CirclesError):
    """The pseudonymisation key is missing, malformed or stored somewhere unsafe."""


class AuditError(CirclesError):
    """A report folder holds personal data or unsuppressed small counts."""


class RateError(CirclesError):
    """Counts, denominators or settings given to a rate, proportion or confidence interval cannot be used."""


class CodingError(CirclesError):
    """A codebook, a coding or a segment table is invalid: duplicate or unknown code, bad parent, bad offsets.

    Also a codings file, a rule or a coding request that cannot be used as given.
    """


class AgreementError(CodingError):
    """Segments, units, coders, codes or settings given to an agreement statistic cannot be used."""


class RefiError(CirclesError):
    """A REFI-QDA codebook (.qdc) or project (.qdpx) cannot be read or written."""


class EngineError(CirclesError):
    """The Dask engine cannot run: Dask is not installed, or its cluster cannot be started or reached."""


class PublishError(CirclesError):
    """The report folder cannot be published: files circles did not write, a held lock, a full or read-only disk.

    Raised before any input is read when the output folder is not a circles report of the same pipeline or
    another run holds its lock; raised while writing when the disk is full or cannot be written. The previous
    report is unchanged either way.
    """


class ScreeningError(CirclesError):
    """A file the free-text screen reads (quote decisions, known names) cannot be used as given."""


class PlannerError(CirclesError):
    """The family service planner cannot do what was asked: its database, key file or an input is unusable.

    Also raised for a request the person's role does not allow; the web pages and the API turn it into the HTTP
    status the message names.
    """


class ChangeError(CirclesError):
    """The Change stage's data cannot be analysed: an empty or too small group, a missing covariate or column."""
