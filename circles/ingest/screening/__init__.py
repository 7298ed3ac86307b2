"""Screening: free text checked for personal data before it can be published.

Quotes from workshops and interviews name people and places in passing. :class:`Screener` finds names, places,
phone numbers, e-mail and web addresses, NHS and National Insurance numbers, postcodes and dates (Microsoft
Presidio's analyzer, with circles' recognisers for names, places and written dates), replaces each with what
it was ("[name]", "[phone]") and holds for review any text it is unsure of. No model is downloaded: names come
from the run's own knowledge, a gazetteer (``data/README.md``) and capitalisation and relationship cues.

Modules: ``recognisers`` (the Presidio recognisers and the offline analyzer), ``screen`` (the screen and its
verdicts), ``files`` (the analyst's decisions and known names), ``build_gazetteer`` (rebuilds the name lists).
"""

from circles.ingest.screening.files import read_decisions, read_known_people
from circles.ingest.screening.screen import (
    AUDITED,
    DECISIONS,
    KINDS,
    PLACEHOLDERS,
    STRUCTURED,
    Detection,
    Screener,
    ScreenResult,
    find_structured,
    text_id,
)

__all__ = [
    "AUDITED",
    "find_structured",
    "DECISIONS",
    "KINDS",
    "PLACEHOLDERS",
    "STRUCTURED",
    "Detection",
    "Screener",
    "ScreenResult",
    "text_id",
    "read_decisions",
    "read_known_people",
]
