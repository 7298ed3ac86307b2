"""One coding study, end to end: notes coded into needs, barriers, aspirations and fears, and analysed.

:func:`code_notes` is what the pipeline's ``coding`` stage calls, and what a notebook calls to get the same
tables: it reads the codebook and the sources, cuts the units, reads the manual codings, applies the rules
(keeping their preview), adds machine suggestions for review, measures the agreement between human coders,
and counts the codes. It returns a :class:`CodingResult`; publishing (and disclosure control of the counts)
is the caller's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from circles.qualitative import analysis, coding
from circles.qualitative.codebook import read_codebook
from circles.qualitative.model import SEGMENT_COLUMNS, Codebook, Source, empty_segments
from circles.qualitative.reliability import agreement, disagreements
from circles.qualitative.sources import read_sources
from circles.qualitative.suggestions import read_reviewed
from circles.qualitative.text_units import UnitKind, all_units

__all__ = ["CodingResult", "code_notes", "people_named", "PEOPLE_ATTRIBUTES"]

#: Coders that are not people: their codings do not count towards agreement between coders.
AUTOMATIC_CODERS = frozenset({"rules", "machine"})


@dataclass(frozen=True)
class CodingResult:
    """What :func:`code_notes` found: the codings and their analysis.

    Attributes
    ----------
    codebook : Codebook
        The codebook read.
    sources : dict of str to Source
        The sources, by id, in file order.
    unit : str
        The coding unit: ``"sentence"``, ``"turn"`` or ``"paragraph"``.
    units : pandas.DataFrame
        The sources cut into ``unit`` units (what rules and suggestions code).
    turns : pandas.DataFrame
        The sources cut into speaker turns (what the counts and quotes are located in).
    codings : pandas.DataFrame
        Every segment: manual codings, then rule codings, then machine suggestions (status ``"suggested"``).
    rules_preview : pandas.DataFrame or None
        What the rules matched, one row per unit and code (:func:`~circles.qualitative.coding.preview_rules`);
        ``None`` without rules.
    suggestion_quality : pandas.DataFrame or None
        Per code, the suggester's out-of-fold precision at 10 and 20, precision, recall and F1, and whether it
        is suggested (:func:`~circles.qualitative.coding.train_suggester`); ``None`` when no suggestions were made.
    review_queue : pandas.DataFrame or None
        The suggestions to review first (segment columns and ``note``), then one ``"not suggested"`` row per code
        measured too poor to suggest, its ``note`` saying why; ``None`` when no suggestions were made.
    agreement : pandas.DataFrame or None
        Agreement per code and pooled between the human coders, on the sources two or more of them coded;
        ``None`` with fewer than two human coders.
    disagreements : pandas.DataFrame or None
        The units and codes on which those coders differ; ``None`` as ``agreement``.
    agreement_summary : dict
        ``coders``, ``sources``, ``unit`` and the pooled ``percent_agreement``, ``cohen_kappa`` and
        ``krippendorff_alpha``; empty with fewer than two human coders.
    code_counts : pandas.DataFrame
        Segments, sources and participants per code (exact: protect before publishing).
    dimension_summary : pandas.DataFrame
        The codes raised, ranked within each dimension (exact: protect before publishing).
    counts_by : dict of str to pandas.DataFrame
        ``code_counts`` broken down by each requested source attribute (exact: protect before publishing).
    cooccurrence : pandas.DataFrame
        Pairs of codes applied within the same turn.
    quote_bank : pandas.DataFrame
        The best quotes per code, with the requested source attributes; screened for personal data unless
        ``code_notes(screen=False)``.
    quotes_held : pandas.DataFrame or None
        Quotes the screen held for review (:func:`~circles.qualitative.analysis.quotes_held`): the analyst's
        only. ``None`` when quotes were not screened.
    """

    codebook: Codebook
    sources: dict[str, Source]
    unit: str
    units: pd.DataFrame
    turns: pd.DataFrame
    codings: pd.DataFrame
    rules_preview: pd.DataFrame | None
    suggestion_quality: pd.DataFrame | None
    review_queue: pd.DataFrame | None
    agreement: pd.DataFrame | None
    disagreements: pd.DataFrame | None
    agreement_summary: dict[str, Any]
    code_counts: pd.DataFrame
    dimension_summary: pd.DataFrame
    counts_by: dict[str, pd.DataFrame]
    cooccurrence: pd.DataFrame
    quote_bank: pd.DataFrame
    quotes_held: pd.DataFrame | None = None

    @property
    def accepted(self) -> pd.DataFrame:
        """The codings that count: every segment with status ``"accepted"``."""
        return self.codings[self.codings["status"] == "accepted"]

    @property
    def coders(self) -> dict[str, int]:
        """Accepted codings per coder (people, ``"rules"``, ``"machine"``), coders in name order."""
        return {coder: int(n) for coder, n in self.accepted["coder"].value_counts().sort_index().items()}


def code_notes(
    codebook: str | Path,
    sources: str | Path,
    *,
    rules: str | Path | None = None,
    codings: str | Path | None = None,
    reviewed: str | Path | None = None,
    unit: UnitKind = "sentence",
    suggest: bool = True,
    suggestion_threshold: float = 0.5,
    attributes: Sequence[str] = (),
    text_column: str | None = None,
    screen: bool = True,
    public_names: Sequence[str] = (),
    known_people: Sequence[str] = (),
    decisions: Mapping[str, str] | None = None,
) -> CodingResult:
    """Code notes with a codebook: manual codings, then rules, then machine suggestions; count what was raised.

    Parameters
    ----------
    codebook : path-like
        The codebook, YAML or CSV (:func:`~circles.qualitative.codebook.read_codebook`).
    sources : path-like
        A file or a folder of notes, or a survey table (:func:`~circles.qualitative.sources.read_sources`).
    rules : path-like, optional
        Autocoding rules (YAML, :func:`~circles.qualitative.coding.read_rules`), applied to every unit.
    codings : path-like, optional
        Manual codings (CSV, :func:`~circles.qualitative.coding.read_codings`).
    reviewed : path-like, optional
        The ranges coders have read through (CSV ``source, start, end``,
        :func:`~circles.qualitative.suggestions.read_reviewed`): their uncoded units are the suggester's negative
        examples. Without it no unit is taken as a negative (positive-unlabelled learning).
    unit : {"sentence", "turn", "paragraph"}
        The unit rules and suggestions code, and agreement is measured on.
    suggest : bool
        Train a suggester on the codings so far and add its suggestions (status ``"suggested"``), when there
        are codings to learn from.
    suggestion_threshold : float
        The probability a suggestion must reach.
    attributes : sequence of str
        Source attributes to break the counts down by, and to show beside each quote.
    text_column : str, optional
        For survey tables: the column holding the responses.
    screen : bool
        Screen the quote bank for personal data (:class:`circles.ingest.screening.Screener`): redact names,
        places, phone numbers and the like, and hold back quotes the screen is unsure of.
    public_names : sequence of str
        Names that are public and never redacted: services, organisations, wards. The codebook's code names
        are added.
    known_people : sequence of str
        Names of people the run knows (staff, participants): always redacted. Speakers' names and the names in
        sources' ``Present``/``Participants``/``Interviewee`` attributes are added (:func:`people_named`).
    decisions : mapping of str to str, optional
        An analyst's decisions on held quotes, by ``text_id``: ``publish``, ``redact`` or ``withhold``.

    Returns
    -------
    CodingResult
        The codings, the rules preview, the suggestions' quality, agreement between coders and the counts.
        The counts are exact: apply disclosure control before publishing them.

    Raises
    ------
    CodingError
        When the codebook, a source, a coding or a rule cannot be read, or suggestions are asked for and no
        code has enough coded units to learn from.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     folder = pathlib.Path(folder)
    ...     _ = (folder / "book.yaml").write_text(
    ...         "codes:\\n  - {id: ASP01, name: Stop drinking, dimension: aspiration}\\n"
    ...         "  - {id: BAR01, name: Help only at crisis point, dimension: barrier}\\n")
    ...     _ = (folder / "rules.yaml").write_text("rules:\\n  - {code: BAR01, keywords: [crisis point]}\\n")
    ...     _ = (folder / "notes").mkdir()
    ...     _ = (folder / "notes" / "workshop.md").write_text(
    ...         "Parent A: I want to stop drinking. Help only comes at crisis point.\\n\\n"
    ...         "Parent B: It was crisis point before anyone came.\\n")
    ...     _ = (folder / "codings.csv").write_text("source,quote,code,coder\\nworkshop,stop drinking,ASP01,jb\\n")
    ...     result = code_notes(folder / "book.yaml", folder / "notes", rules=folder / "rules.yaml",
    ...                         codings=folder / "codings.csv", suggest=False)
    >>> list(result.sources), result.coders, result.rules_preview["matched"].tolist()
    (['workshop'], {'jb': 1, 'rules': 2}, ['crisis point', 'crisis point'])
    >>> result.dimension_summary[["dimension", "code_id", "segments", "participants"]].values.tolist()
    [['barrier', 'BAR01', 2, 2], ['aspiration', 'ASP01', 1, 1]]
    """
    book = read_codebook(codebook)
    by_id = {s.id: s for s in read_sources(sources, text_column=text_column)}
    units = all_units(by_id.values(), unit)
    turns = all_units(by_id.values(), "turn")
    parts = [coding.read_codings(codings, by_id, book)] if codings else []
    preview = None
    if rules:
        preview = coding.preview_rules(units, coding.read_rules(rules, book))
        parts.append(coding.apply_rules(preview, by_id))
    coded = pd.concat(parts, ignore_index=True) if parts else empty_segments()
    quality = queue = None
    if suggest and len(coded):
        read = read_reviewed(reviewed, by_id) if reviewed else None
        model = coding.train_suggester(units, coded, book, reviewed=read)
        quality = model.quality
        suggestions = coding.suggest_codes(model, units, by_id, threshold=suggestion_threshold, existing=coded)
        coded = pd.concat([coded, suggestions], ignore_index=True)
        queue = coding.review_queue(suggestions, quality=quality)[[*SEGMENT_COLUMNS, "note"]]
    table, differ, summary = _agreement(coded, units, book, unit)
    counts = analysis.code_counts(coded, turns, by_id, book)
    screener = held = None
    if screen:
        from circles.ingest.screening import Screener

        public = [*public_names, *(c.name for c in book.codes), *(t for c in book.codes for t in [c.theme] if t)]
        screener = Screener(people=[*known_people, *people_named(by_id.values(), turns)], public=public)
        held = analysis.quotes_held(coded, turns, by_id, book, screener, attributes=attributes, decisions=decisions)
    return CodingResult(
        codebook=book,
        sources=by_id,
        unit=unit,
        units=units,
        turns=turns,
        codings=coded,
        rules_preview=preview,
        suggestion_quality=quality,
        review_queue=queue,
        agreement=table,
        disagreements=differ,
        agreement_summary=summary,
        code_counts=counts,
        dimension_summary=analysis.dimension_summary(counts, book),
        counts_by={a: analysis.code_counts(coded, turns, by_id, book, by=a) for a in attributes},
        cooccurrence=analysis.cooccurrence(coded, turns, book),
        quote_bank=analysis.quote_bank(
            coded, turns, by_id, book, attributes=attributes, screener=screener, decisions=decisions
        ),
        quotes_held=held,
    )


#: Source attributes that list the people present.
PEOPLE_ATTRIBUTES = ("present", "participants", "attendees", "interviewee", "interviewer", "staff", "who")
#: Speaker labels that are not names ("Parent A", "Participant 3", "Young person 2").
_LABEL = re.compile(
    r"^(?:parent|participant|young person|child|speaker|provider|worker|carer|respondent|interviewee|"
    r"facilitator|note[- ]?taker|interviewer|moderator|chair|mum|dad|staff|manager|officer|p|yp)"
    r"(?:\s*[0-9A-Za-z]{0,2})?$",
    re.IGNORECASE,
)


def people_named(sources: Iterable[Source], turns: pd.DataFrame) -> list[str]:
    """The people's names a study knows: speakers that are not role labels, and names in ``Present``-like
    attributes (:data:`PEOPLE_ATTRIBUTES`, split at commas and "and").

    Examples
    --------
    >>> from circles.qualitative.model import Source
    >>> src = Source("s", "Notes", "", {"Present": "Facilitator, Parent A, Dean Walsh and Jo"})
    >>> turns = pd.DataFrame({"speaker": ["Facilitator", "Parent A", "Sam Patel"]})
    >>> people_named([src], turns)
    ['Dean Walsh', 'Jo', 'Sam Patel']
    """
    names = [str(s).strip() for s in turns["speaker"].dropna().unique()] if "speaker" in turns else []
    for source in sources:
        for key, value in source.attributes.items():
            if key.strip().lower() in PEOPLE_ATTRIBUTES and isinstance(value, str):
                names += [part.strip() for part in re.split(r",|;|\band\b|&", value)]
    from circles.ingest.screening.recognisers import looks_like_a_name

    return sorted({n for n in names if n and not _LABEL.match(n) and looks_like_a_name(n)})


def _agreement(
    codings: pd.DataFrame, units: pd.DataFrame, codebook: Codebook, unit: str
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict[str, Any]]:
    """Agreement and disagreements between the human coders on the sources two or more of them coded.

    ``(None, None, {})`` with fewer than two human coders.
    """
    coders = sorted(set(codings.loc[codings["status"] == "accepted", "coder"]) - AUTOMATIC_CODERS)
    if len(coders) < 2:
        return None, None, {}
    human = codings[codings["coder"].isin(coders)]
    shared = human.groupby("source_id")["coder"].nunique()
    double = units[units["source_id"].isin(shared.index[shared >= 2])]
    table = agreement(human, double, coders=coders, codes=codebook)
    differ = disagreements(human, double, coders=coders, codes=codebook)
    pooled = table.iloc[-1]
    summary = {
        "coders": coders,
        "sources": int(double["source_id"].nunique()),
        "unit": unit,
        "percent_agreement": pooled["percent_agreement"],
        "cohen_kappa": pooled["cohen_kappa"],
        "krippendorff_alpha": pooled["krippendorff_alpha"],
    }
    return table, differ, summary
