"""The standard fields of a take-up source, and matching an extract's header names to them.

:data:`STANDARD_FIELDS` says what each field means, how it is typed and protected and what agencies call it;
:func:`match_headers` matches header names to the fields by name, by synonym or by a fuzzy match
(:func:`normalise_header` ignores case, spacing and punctuation).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from circles.ingest.inspect.text import _q

__all__ = [
    "STANDARD_FIELDS",
    "StandardField",
    "FieldMatch",
    "match_headers",
    "normalise_header",
]

FieldType = Literal["text", "category", "date", "integer", "postcode", "nhs_number"]
Privacy = Literal["keep", "pseudonymise", "drop"]
MatchHow = Literal["name", "synonym", "fuzzy", "values"]


@dataclass(frozen=True)
class StandardField:
    """A field the pipeline knows: what it means, how it is usually typed and protected, what agencies call it.

    ``type`` and ``privacy`` are the :class:`~circles.pipeline.spec.ColumnSpec` values proposed for it;
    ``identifying`` fields never have their values shown; ``synonyms`` are header spellings (any case,
    spacing or punctuation) that mean this field.
    """

    name: str
    meaning: str
    type: FieldType = "text"
    privacy: Privacy = "keep"
    identifying: bool = False
    required: bool = True
    synonyms: tuple[str, ...] = ()


def _fields(*fields: StandardField) -> Mapping[str, StandardField]:
    return MappingProxyType({f.name: f for f in fields})


# fmt: off
#: The standard fields of a take-up source, in the order a spec lists them. ``client_id``, ``family_id`` and
#: ``nhs_number`` are pseudonymised (keyed HMAC); ``name``, ``address`` and ``date_of_birth`` are dropped at ingest
#: (the age at referral is derived from the birth date first); ``postcode`` is needed to place every record.
STANDARD_FIELDS: Mapping[str, StandardField] = _fields(
    StandardField(
        "client_id",
        "the person's id in the agency's system; links their records (the spec's person_field)",
        privacy="pseudonymise",
        identifying=True,
        synonyms=(
            "client id", "client ref", "client reference", "client number", "client no", "person id",
            "person ref", "person reference", "person number", "service user id", "service user ref",
            "service user number", "customer id", "customer ref", "patient id", "individual id", "unique id", "id",
        ),
    ),
    StandardField(
        "family_id",
        "the family or household the person belongs to (the overlap network links services by it)",
        privacy="pseudonymise",
        identifying=True,
        required=False,
        synonyms=(
            "family id", "family ref", "family reference", "family number", "family no", "family group id",
            "household id", "household ref", "household reference", "household number",
        ),
    ),
    StandardField(
        "nhs_number",
        "NHS number: ten digits with a modulus 11 check digit",
        type="nhs_number",
        privacy="pseudonymise",
        identifying=True,
        required=False,
        synonyms=("nhs number", "nhs no", "nhs num", "nhs", "nhs id", "nhs number verified"),
    ),
    StandardField(
        "age_band",
        "age group such as 0-4, 18-24 or 65+",
        type="category",
        synonyms=("age band", "age group", "age range", "age category", "age bracket"),
    ),
    StandardField(
        "sex",
        "sex or gender as the agency records it (F, M, ...)",
        type="category",
        synonyms=("sex", "gender", "sex at birth", "legal sex", "gender code", "sex code"),
    ),
    StandardField(
        "postcode",
        "the home postcode that places the record in its areas (required by every source)",
        type="postcode",
        identifying=True,
        synonyms=(
            "postcode", "post code", "postal code", "home postcode", "client postcode", "current postcode",
            "residence postcode", "address postcode", "pcode",
        ),
    ),
    StandardField(
        "service",
        "the service or intervention received",
        synonyms=(
            "service", "service name", "service type", "service description", "service area", "programme",
            "program", "intervention", "intervention type",
        ),
    ),
    StandardField(
        "provider",
        "the organisation or team that provides the service",
        synonyms=(
            "provider", "provider name", "provider organisation", "organisation", "organization", "agency",
            "agency name", "team", "delivered by",
        ),
    ),
    StandardField(
        "referral_source",
        "who referred the person (GP, self, police, A&E ...)",
        synonyms=(
            "referral source", "source of referral", "referred by", "referrer", "referral from", "referral route",
            "referring agency", "referrer type",
        ),
    ),
    StandardField(
        "referral_date",
        "date the referral was received",
        type="date",
        synonyms=(
            "referral date", "date of referral", "referral received", "referral received date",
            "date referral received", "date referred", "referred date", "referral dt", "ref date",
        ),
    ),
    StandardField(
        "start_date",
        "date the service started",
        type="date",
        synonyms=(
            "start date", "date started", "service start date", "start", "start dt", "episode start date",
            "treatment start date", "commencement date", "engagement date", "first contact date",
            "date of first contact",
        ),
    ),
    StandardField(
        "end_date",
        "date the service ended (blank while it continues)",
        type="date",
        required=False,
        synonyms=(
            "end date", "date ended", "service end date", "end", "end dt", "episode end date", "treatment end date",
            "discharge date", "date of discharge", "closure date", "closed date", "date closed", "case closed date",
            "exit date",
        ),
    ),
    StandardField(
        "outcome",
        "how the service ended (completed, dropped out, ongoing ...)",
        synonyms=(
            "outcome", "result", "discharge reason", "closure reason", "reason for closure", "exit reason",
            "end reason", "discharge outcome", "reason for discharge",
        ),
    ),
    StandardField(
        "date_of_birth",
        "date of birth: the age at referral is derived from it, then it is dropped",
        type="date",
        privacy="drop",
        identifying=True,
        required=False,
        synonyms=("date of birth", "dob", "birth date", "birthdate", "date birth", "d o b"),
    ),
    StandardField(
        "name",
        "the person's name: never needed for the analysis, dropped at ingest",
        privacy="drop",
        identifying=True,
        required=False,
        synonyms=(
            "name", "full name", "client name", "person name", "service user name", "patient name", "forename",
            "forenames", "first name", "given name", "surname", "last name",
        ),
    ),
    StandardField(
        "address",
        "the person's address: never needed (the postcode places the record), dropped at ingest",
        privacy="drop",
        identifying=True,
        required=False,
        synonyms=(
            "address", "address line 1", "address 1", "address1", "home address", "full address", "street",
            "street address", "addr",
        ),
    ),
)
# fmt: on
_FUZZY_CUTOFF = 0.85


@dataclass(frozen=True)
class FieldMatch:
    """A standard field matched to a column of the extract.

    Attributes
    ----------
    field, column : str
        The standard field and the header it was matched to.
    how : {"name", "synonym", "fuzzy", "values"}
        By the field's own name, by a synonym, by a fuzzy (:mod:`difflib`) match on a synonym, or by the
        column's values (valid postcodes or NHS numbers under an unknown header).
    score : float
        1 for a name or synonym; the :class:`difflib.SequenceMatcher` ratio for a fuzzy match; the share of
        valid values for a match by values.
    matched : str
        The synonym (or field name) the header matched, or what the values are.
    """

    field: str
    column: str
    how: MatchHow
    score: float
    matched: str

    def describe(self) -> str:
        """How the match was made, for a comment: ``"matched 'Post Code' by synonym"``."""
        column = _q(self.column)
        if self.how == "name":
            return f"matched {column} by its name"
        if self.how == "synonym":
            return f"matched {column} by synonym"
        if self.how == "fuzzy":
            return f"matched {column} to {_q(self.matched)} by fuzzy match ({self.score:.2f}): check it"
        return f"found {column} by its values: {self.score:.0%} are valid {self.matched}"


def normalise_header(text: str) -> str:
    """A header as lower-case words: case, spacing, punctuation, camel case and bracketed notes ignored.

    Examples
    --------
    >>> normalise_header("Post_Code (home)"), normalise_header("NHSNumber"), normalise_header("D.O.B.")
    ('post code', 'nhs number', 'd o b')
    >>> normalise_header("Client #")
    'client number'
    """
    text = unicodedata.normalize("NFKC", str(text))
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", text)  # "Referral Date (dd/mm/yyyy)"
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)  # ClientID, NHSNumber
    text = text.casefold().replace("&", " and ").replace("#", " number ")
    return " ".join(re.findall(r"[^\W_]+", text))


def _compact(text: str) -> str:
    return normalise_header(text).replace(" ", "")


_SYNONYMS: tuple[tuple[str, str, str], ...] = tuple(
    (f.name, phrase, _compact(phrase)) for f in STANDARD_FIELDS.values() for phrase in (f.name, *f.synonyms)
)


def match_headers(
    headers: Sequence[str],
    *,
    cutoff: float = _FUZZY_CUTOFF,
    accept: Callable[[str, str], bool] | None = None,
) -> dict[str, FieldMatch]:
    """Match header names to standard fields; each header is used for at most one field and vice versa.

    A header matches a field by the field's name or a synonym (ignoring case, spaces and punctuation: "Post
    Code", "PostCode" and "post_code" are all ``postcode``), or else by a fuzzy match on them
    (:class:`difflib.SequenceMatcher` ratio of at least ``cutoff``). The best matches are taken first.

    Parameters
    ----------
    headers : sequence of str
    cutoff : float
        Least ratio for a fuzzy match.
    accept : callable, optional
        ``accept(field, header)`` says whether a *fuzzy* match is borne out (e.g. by the column's values).

    Returns
    -------
    dict
        Standard field -> :class:`FieldMatch`, in the order of :data:`STANDARD_FIELDS`.

    Examples
    --------
    >>> found = match_headers(["Client ID", "PostCode", "NHS No", "DOB", "Gender", "Referal Date", "Keyworker"])
    >>> {f: (m.column, m.how) for f, m in found.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'client_id': ('Client ID', 'name'), 'nhs_number': ('NHS No', 'synonym'), 'sex': ('Gender', 'synonym'),
     'postcode': ('PostCode', 'synonym'), 'referral_date': ('Referal Date', 'fuzzy'),
     'date_of_birth': ('DOB', 'synonym')}
    """
    order = {name: i for i, name in enumerate(STANDARD_FIELDS)}
    candidates: list[tuple[float, int, int, int, int, FieldMatch]] = []
    for h, header in enumerate(headers):
        words = normalise_header(header)
        compact = words.replace(" ", "")
        if not compact:
            continue
        matcher = difflib.SequenceMatcher(a=compact)
        best: dict[str, tuple[float, str, MatchHow]] = {}
        for name, phrase, target in _SYNONYMS:
            if compact == target:
                how: MatchHow = "name" if words == normalise_header(name) else "synonym"
                if name not in best or best[name][0] < 1.0 or how == "name":
                    best[name] = (1.0, phrase, how)
                continue
            if len(compact) < 4 or best.get(name, (0.0,))[0] >= 1.0:
                continue
            matcher.set_seq2(target)
            if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
                ratio = matcher.ratio()
                if ratio >= cutoff and ratio > best.get(name, (0.0,))[0]:
                    best[name] = (ratio, phrase, "fuzzy")
        for name, (score, phrase, how) in best.items():
            rank = {"name": 0, "synonym": 1, "fuzzy": 2}[how]
            specific = -len(_compact(phrase))  # "Client ID" before a bare "ID"
            match = FieldMatch(name, header, how, round(score, 3), phrase)
            candidates.append((-score, rank, specific, order[name], h, match))
    taken_fields: dict[str, FieldMatch] = {}
    taken_headers: set[int] = set()
    for *_, h, match in sorted(candidates, key=lambda c: c[:5]):
        if match.field in taken_fields or h in taken_headers:
            continue
        if match.how == "fuzzy" and accept is not None and not accept(match.field, match.column):
            continue
        taken_fields[match.field] = match
        taken_headers.add(h)
    return {name: taken_fields[name] for name in STANDARD_FIELDS if name in taken_fields}


def _header_spellings() -> list[str]:
    """Header spellings of every field name and synonym, for finding the header row below any title rows."""
    spellings = set()
    for _, phrase, _ in _SYNONYMS:
        words = phrase.replace("_", " ").split()
        spellings.update(sep.join(words) for sep in (" ", "_", "", "-", "."))
    return sorted(spellings)
