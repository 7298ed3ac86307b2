"""Ingest: every input row validated, pseudonymised and accounted for; every published count disclosure-controlled.

Modules, in data-flow order:

``inspect``       before a spec exists: a sample of an extract read, its column mapping proposed as YAML
``accounting``    the ledger: read = accepted + quarantined, per stage and per file
``validate``      column rules (pandera), typed values, duplicates; quarantine reasons
``pseudonyms``    keyed HMAC pseudonyms for identifiers; keys
``disclosure``    small-number suppression and rounding policies
``screening``     free text (quotes, notes) screened for names, places, phone numbers... before it is published
"""

from circles.ingest.accounting import (
    QUARANTINE_COLUMNS,
    ROW_ID,
    Ledger,
    StageAccount,
    check_partition,
    quarantine_frame,
)
from circles.ingest.disclosure import (
    POLICIES,
    SUPPRESSED,
    UNRESOLVED_ATTR,
    DisclosurePolicy,
    drop_raw,
    get_policy,
    protect_counts,
    protect_table,
    protect_total,
    rate_from_published,
    secondary_suppression,
)
from circles.ingest.inspect import (
    SNIFFED_DATE_FORMATS,
    STANDARD_FIELDS,
    ColumnProfile,
    DateSniff,
    ExtractInspection,
    FieldMatch,
    PostcodeCheck,
    Problem,
    StandardField,
    inspect_extract,
    match_headers,
    normalise_header,
    sniff_date_formats,
)
from circles.ingest.pseudonyms import (
    DEMO_KEY,
    PseudonymKey,
    PseudonymKeyError,
    load_key,
    new_key,
    protect_identifiers,
    pseudonymise,
    write_key_file,
)
from circles.ingest.screening import (
    DECISIONS,
    Screener,
    ScreenResult,
    find_structured,
    text_id,
)
from circles.ingest.validate import (
    DATE_ORDER,
    DEFAULT_DATE_FORMATS,
    PLACEHOLDERS,
    Validated,
    build_schema,
    flag_duplicates,
    normalise_nhs_numbers,
    parse_dates,
    parse_integers,
    validate_records,
)

__all__ = [
    "ROW_ID",
    "QUARANTINE_COLUMNS",
    "StageAccount",
    "Ledger",
    "check_partition",
    "quarantine_frame",
    "DEFAULT_DATE_FORMATS",
    "PLACEHOLDERS",
    "DATE_ORDER",
    "Validated",
    "parse_dates",
    "parse_integers",
    "normalise_nhs_numbers",
    "build_schema",
    "validate_records",
    "flag_duplicates",
    "DEMO_KEY",
    "PseudonymKey",
    "PseudonymKeyError",
    "new_key",
    "write_key_file",
    "load_key",
    "pseudonymise",
    "protect_identifiers",
    "DisclosurePolicy",
    "POLICIES",
    "get_policy",
    "protect_counts",
    "protect_total",
    "secondary_suppression",
    "drop_raw",
    "protect_table",
    "rate_from_published",
    "SUPPRESSED",
    "UNRESOLVED_ATTR",
    "STANDARD_FIELDS",
    "SNIFFED_DATE_FORMATS",
    "StandardField",
    "FieldMatch",
    "ColumnProfile",
    "DateSniff",
    "PostcodeCheck",
    "Problem",
    "ExtractInspection",
    "inspect_extract",
    "match_headers",
    "normalise_header",
    "sniff_date_formats",
    "Screener",
    "ScreenResult",
    "DECISIONS",
    "find_structured",
    "text_id",
]
