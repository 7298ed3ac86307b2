"""The qualitative side of the method: sources → codings → needs, barriers, aspirations and fears.

Modules, in data-flow order:

``model``        the shared records: :class:`Code`, :class:`Codebook`, :class:`Source` and the segment table
``codebook``     reading, validating and printing codebooks (YAML, CSV)
``sources``      reading workshop notes, interviews and survey responses (re-exports ``units``, ``all_units``
                 and ``reanchor``)
``text_units``   cutting sources into units: sentences, speaker turns, paragraphs
``anchoring``    re-anchoring segments when a source changes
``coding``       manual codings, rule-based autocoding with a preview, machine suggestions (scikit-learn)
``reliability``  percent agreement, Cohen's kappa and Krippendorff's alpha between coders
``analysis``     counts by attribute, co-occurrence, the quote bank, the summary per dimension
``study``        one study end to end: :func:`code_notes` returns a :class:`CodingResult` (what the pipeline's
                 ``coding`` stage calls)
``refi``         REFI-QDA exchange (a sub-package): ``offsets``, ``codebook`` (.qdc), ``project`` (.qdpx),
                 ``archive`` (files inside a project), ``common`` (XML and GUIDs)

Errors are members of the one family of :mod:`circles.errors`: :class:`~circles.errors.CodingError` and its
subclass :class:`~circles.errors.AgreementError` (re-exported here).
"""

from circles.qualitative.analysis import (
    ROLES,
    code_counts,
    cooccurrence,
    dimension_summary,
    quote_bank,
    speaker_labels,
    summary_chart,
)
from circles.qualitative.anchoring import reanchor
from circles.qualitative.codebook import (
    DEFAULT_COLOUR,
    FIELDS,
    REQUIRED_FIELDS,
    codebook_markdown,
    codebook_table,
    read_codebook,
    validate_codebook,
    write_codebook,
)
from circles.qualitative.coding import (
    Rule,
    Suggester,
    accept,
    apply_rules,
    code_text,
    preview_rules,
    read_codings,
    read_rules,
    reject,
    review_queue,
    suggest_codes,
    train_suggester,
    unit_labels,
)
from circles.qualitative.model import (
    CONTEXT,
    DIMENSIONS,
    NOTE_SUFFIXES,
    SEGMENT_COLUMNS,
    TABLE_SUFFIXES,
    Code,
    Codebook,
    Source,
    empty_segments,
    make_segments,
)
from circles.qualitative.refi import (
    CODEBOOK_NS,
    CONVENTIONS,
    PROJECT_NS,
    Project,
    export_codebook,
    export_project,
    from_python_offsets,
    import_codebook,
    import_project,
    to_python_offsets,
)
from circles.qualitative.reliability import (
    ALL_CODES,
    DOCUMENT_UNIT,
    AgreementError,
    agreement,
    coding_matrix,
    disagreements,
    krippendorff_alpha_nominal,
)
from circles.qualitative.sources import read_sources, slugify
from circles.qualitative.study import CodingResult, code_notes
from circles.qualitative.suggestions import (
    Ranking,
    rank_units,
    read_reviewed,
    update_ranking,
)
from circles.qualitative.text_units import (
    ABBREVIATIONS,
    ATTRIBUTE_SEARCH_LINES,
    MAX_SPEAKER_CHARS,
    MAX_SPEAKER_WORDS,
    NON_SPEAKER_LABELS,
    NOT_IN_SPEAKER_LABEL,
    UNIT_COLUMNS,
    UNITS,
    all_units,
    units,
)

__all__ = [
    "DIMENSIONS",
    "SEGMENT_COLUMNS",
    "CONTEXT",
    "Code",
    "Codebook",
    "Source",
    "make_segments",
    "empty_segments",
    "FIELDS",
    "REQUIRED_FIELDS",
    "DEFAULT_COLOUR",
    "read_codebook",
    "validate_codebook",
    "write_codebook",
    "codebook_table",
    "codebook_markdown",
    "UNITS",
    "UNIT_COLUMNS",
    "NOTE_SUFFIXES",
    "TABLE_SUFFIXES",
    "ABBREVIATIONS",
    "NON_SPEAKER_LABELS",
    "NOT_IN_SPEAKER_LABEL",
    "MAX_SPEAKER_WORDS",
    "MAX_SPEAKER_CHARS",
    "ATTRIBUTE_SEARCH_LINES",
    "read_sources",
    "slugify",
    "units",
    "all_units",
    "reanchor",
    "Rule",
    "read_rules",
    "read_codings",
    "code_text",
    "preview_rules",
    "apply_rules",
    "unit_labels",
    "Suggester",
    "train_suggester",
    "suggest_codes",
    "review_queue",
    "Ranking",
    "rank_units",
    "read_reviewed",
    "update_ranking",
    "accept",
    "reject",
    "ALL_CODES",
    "DOCUMENT_UNIT",
    "AgreementError",
    "agreement",
    "coding_matrix",
    "disagreements",
    "krippendorff_alpha_nominal",
    "ROLES",
    "speaker_labels",
    "code_counts",
    "cooccurrence",
    "quote_bank",
    "dimension_summary",
    "summary_chart",
    "CodingResult",
    "code_notes",
    "CONVENTIONS",
    "PROJECT_NS",
    "CODEBOOK_NS",
    "Project",
    "to_python_offsets",
    "from_python_offsets",
    "export_codebook",
    "export_project",
    "import_codebook",
    "import_project",
]
