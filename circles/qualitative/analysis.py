"""Analysis of codings: counts by attribute, co-occurrence, the quote bank, and the summary per dimension.

Only accepted codings count (manual, rules, and machine suggestions a person accepted). Speakers never appear
by name: :func:`speaker_labels` numbers participants within the report ("Participant 3") and keeps role labels
("Facilitator"), so a quote can be attributed without identifying anyone.

The quote bank (:func:`quote_bank`) holds only what participants said, as a person coded it: the speech of a
participant (:func:`speaker_role`), never a facilitator's question or summary, a professional's remark or the
notes' own narrative (headings, summaries, numbered actions); from codings a person made or accepted
(:func:`coding_origin`), never a bare rule match; and whole sentences (:func:`~circles.qualitative.text_units.
whole_sentences`), never a fragment.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from circles.qualitative.coding import unit_labels
from circles.qualitative.model import Codebook, Source
from circles.qualitative.text_units import whole_sentences

if TYPE_CHECKING:
    from circles.figures.media import Medium
    from circles.ingest.screening import Screener

__all__ = [
    "ROLES",
    "PROFESSIONS",
    "PROVIDER_DIMENSIONS",
    "RANKINGS",
    "speaker_labels",
    "speaker_role",
    "coding_origin",
    "code_counts",
    "cooccurrence",
    "quote_bank",
    "quotes_held",
    "dimension_summary",
    "rank_codes",
    "ranking_columns",
    "summary_chart",
]

#: A line that is a list item ("3. ", "2) ", "- ", "• "): the notes' own structure, never a participant's quote.
_LIST_ITEM = re.compile(r"^[ \t]*(?:[0-9]{1,3}[.)]|[-*•])[ \t]+", re.MULTILINE)

#: Speaker labels that name a role, not a person: kept as they are.
ROLES = ("facilitator", "note-taker", "note taker", "interviewer", "moderator", "chair")

#: Words in a speaker label that make the speaker a professional ("Recovery worker", "Housing officer", "GP"):
#: a provider's words are not a family's, so they are never quoted as a participant's.
PROFESSIONS = frozenset(
    "worker workers keyworker manager officer advocate commissioner inspector sergeant constable pc police gp doctor "
    "dr nurse midwife visitor paramedic teacher headteacher senco practitioner coordinator co-ordinator clinician "
    "consultant counsellor therapist psychologist psychiatrist pharmacist director lead provider staff councillor "
    "cllr caseworker navigator mentor".split()
)

#: Dimensions whose codes are what professionals said about their own work: quoted from professionals only. Every
#: other dimension (needs, barriers, aspirations, fears) is quoted from participants only.
PROVIDER_DIMENSIONS = ("provider view",)

#: How :func:`rank_codes` orders each dimension's codes: by participants (then sources, then segments) when
#: every participant count is published, by sources then segments when any is suppressed.
RANKINGS: dict[str, tuple[str, ...]] = {
    "participants": ("participants", "sources", "segments"),
    "sources": ("sources", "segments"),
}

#: Quotes shorter than this take in the sentence before (or after) them from the same turn, for context.
MIN_QUOTE_LENGTH = 60


def _accepted(segments: pd.DataFrame) -> pd.DataFrame:
    return segments[segments["status"] == "accepted"]


def speaker_labels(units: pd.DataFrame) -> pd.Series:
    """Map each (source, speaker) to a label that identifies no one: roles kept, participants numbered in order
    ("Participant 2"), and professionals (:func:`speaker_role`) numbered apart ("Provider 1").

    Examples
    --------
    >>> units = pd.DataFrame({"source_id": ["a", "a", "b", "b"],
    ...                       "speaker": ["Facilitator", "Jane", "Jane", "Recovery worker"]})
    >>> speaker_labels(units).tolist()
    ['Facilitator', 'Participant 1', 'Participant 2', 'Provider 1']
    """
    keys = units["source_id"].astype(str) + "\x1f" + units["speaker"].fillna("").astype(str)
    numbers = {}
    for role, label in (("participant", "Participant"), ("professional", "Provider")):
        people = [k for k in dict.fromkeys(keys) if speaker_role(k.split("\x1f", 1)[1]) == role]
        numbers |= {k: f"{label} {i}" for i, k in enumerate(people, start=1)}
    speaker = units["speaker"].fillna("").astype(str)
    return pd.Series(
        np.where(speaker.map(_is_role), speaker, keys.map(numbers).fillna("")), index=units.index, dtype="object"
    )


def _is_role(name: str) -> bool:
    return re.sub(r"\s+", " ", name.strip().lower()) in ROLES


def speaker_role(label: object) -> str:
    """Who a speaker label names: ``"participant"``, ``"facilitator"`` (:data:`ROLES`), ``"professional"`` (a
    word of :data:`PROFESSIONS`) or ``""`` (no speaker: the notes' own narrative, headings and lists).

    Examples
    --------
    >>> [speaker_role(s) for s in ["Parent A", "Facilitator", "Think Family advocate", "GP", "", "Mr Khan"]]
    ['participant', 'facilitator', 'professional', 'professional', '', 'participant']
    """
    name = "" if label is None or (isinstance(label, float) and np.isnan(label)) else str(label).strip()
    if not name:
        return ""
    if _is_role(name):
        return "facilitator"
    words = {w.strip("'’.()") for w in re.split(r"[\s/&]+", name.casefold())}
    return "professional" if words & PROFESSIONS else "participant"


def coding_origin(segments: pd.DataFrame) -> pd.Series:
    """How each segment was coded: ``"manual"`` (a person), ``"rules"`` (a rule matched), ``"suggestion"``
    (the machine's, accepted or not: see ``status``).

    Examples
    --------
    >>> coding_origin(pd.DataFrame({"coder": ["jb", "rules", "machine"]})).tolist()
    ['manual', 'rules', 'suggestion']
    """
    coder = segments["coder"].astype(str)
    return pd.Series(
        np.select([coder == "rules", coder == "machine"], ["rules", "suggestion"], "manual"),
        index=segments.index,
        dtype="object",
    )


def _segment_units(segments: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Each accepted segment with the unit (turn or sentence) it starts in, for speakers and co-occurrence."""
    out = []
    for source_id, segs in _accepted(segments).groupby("source_id"):
        mine = units[units["source_id"] == source_id].sort_values("start")
        if mine.empty:
            out.append(segs.assign(unit_id=-1, speaker="", unit_start=0, unit_text=""))
            continue
        position = np.searchsorted(mine["start"].to_numpy(), segs["start"].to_numpy(), side="right") - 1
        position = np.clip(position, 0, len(mine) - 1)
        out.append(
            segs.assign(
                unit_id=mine["unit_id"].to_numpy()[position],
                speaker=mine["speaker"].to_numpy()[position],
                unit_start=mine["start"].to_numpy()[position],
                unit_text=mine["text"].to_numpy()[position],
            )
        )
    if not out:
        return _accepted(segments).assign(unit_id=[], speaker=[], unit_start=[], unit_text=[])
    return pd.concat(out, ignore_index=True)


def code_counts(
    segments: pd.DataFrame,
    units: pd.DataFrame,
    sources: dict[str, Source],
    codebook: Codebook,
    *,
    by: str | None = None,
) -> pd.DataFrame:
    """Per code (and per value of source attribute ``by``): segments, sources and distinct participants.

    ``units`` must be turns (they carry the speaker). Every code of the codebook is listed, zeros included.
    """
    located = _segment_units(segments, units)
    located = located.assign(participant=located["source_id"] + "\x1f" + located["speaker"].astype(str))
    located.loc[located["speaker"].astype(str).map(lambda s: not s or _is_role(s)), "participant"] = np.nan
    keys = ["code_id"]
    if by is not None:
        located[by] = located["source_id"].map(lambda s: sources[s].attributes.get(by, "") if s in sources else "")
        keys.append(by)
    grouped = located.groupby(keys)
    table = pd.DataFrame(
        {
            "segments": grouped.size(),
            "sources": grouped["source_id"].nunique(),
            "participants": grouped["participant"].nunique(),
        }
    )
    codes = codebook.to_frame()[["id", "name", "dimension", "theme"]].rename(columns={"id": "code_id"})
    if by is None:
        table = codes.merge(table, left_on="code_id", right_index=True, how="left")
    else:
        table = codes.merge(table.reset_index(), on="code_id", how="left")
    table[["segments", "sources", "participants"]] = (
        table[["segments", "sources", "participants"]].fillna(0).astype("int64")
    )
    return table.reset_index(drop=True)


def cooccurrence(segments: pd.DataFrame, units: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Pairs of codes applied within the same unit (turn or sentence): units with both, and Jaccard.

    Jaccard = units with both ÷ units with either. Only pairs that co-occur at least once are listed.
    """
    labels = unit_labels(units, _accepted(segments), codebook.ids).astype(bool)
    labels = labels.loc[:, labels.any()]
    matrix = labels.to_numpy().astype(np.int64)
    both = matrix.T @ matrix
    counts = matrix.sum(axis=0)
    rows = []
    codes = list(labels.columns)
    for i in range(len(codes)):
        for j in range(i + 1, len(codes)):
            if both[i, j]:
                either = counts[i] + counts[j] - both[i, j]
                rows.append(
                    {
                        "code_a": codes[i],
                        "code_b": codes[j],
                        "units_with_both": int(both[i, j]),
                        "jaccard": round(float(both[i, j] / either), 4),
                    }
                )
    table = pd.DataFrame(rows, columns=["code_a", "code_b", "units_with_both", "jaccard"])
    return table.sort_values(["units_with_both", "jaccard"], ascending=False, ignore_index=True)


def _quote_candidates(
    segments: pd.DataFrame,
    units: pd.DataFrame,
    sources: dict[str, Source],
    codebook: Codebook,
    *,
    attributes: Sequence[str],
    max_length: int,
) -> pd.DataFrame:
    """Every quotable segment, best first within its code, one per speaker and source, in the bank's columns.

    Quotable: a participant's speech (:func:`speaker_role`; a professional's for the codes of
    :data:`PROVIDER_DIMENSIONS`), not a list item, coded by a person or a suggestion a person accepted
    (:func:`coding_origin`), quoted as the whole sentences that hold it (:func:`whole_sentences`).
    """
    located = _segment_units(segments, units)
    dims = {c.id: c.dimension for c in codebook.codes}
    speakers = np.where(located["code_id"].map(dims).isin(PROVIDER_DIMENSIONS), "professional", "participant")
    located = located.assign(origin=coding_origin(located) if len(located) else [])
    located = located[
        (located["origin"] != "rules") & (located["speaker"].map(speaker_role).to_numpy() == speakers)
    ].reset_index(drop=True)
    quotes = [
        _whole_quote(text, start - unit_start, end - unit_start, max_length)
        for text, unit_start, start, end in zip(
            located["unit_text"], located["unit_start"], located["start"], located["end"], strict=True
        )
    ]
    located = located.assign(quote=quotes).dropna(subset=["quote"])
    labels = speaker_labels(units)
    label_of = dict(zip(zip(units["source_id"], units["speaker"], strict=True), labels, strict=True))
    located["speaker_label"] = [
        label_of.get((s, p), "") for s, p in zip(located["source_id"], located["speaker"], strict=True)
    ]
    located["manual"] = located["origin"] == "manual"
    located["length"] = located["quote"].map(len).astype("int64")
    located = located.sort_values(["code_id", "manual", "length"], ascending=[True, False, False], kind="stable")
    located = located.drop_duplicates(["code_id", "source_id", "speaker_label"])
    names = {c.id: c.name for c in codebook.codes}
    out = pd.DataFrame(
        {
            "dimension": located["code_id"].map(dims),
            "code_id": located["code_id"],
            "code": located["code_id"].map(names),
            "quote": located["quote"],
            "speaker": located["speaker_label"],
            "source": located["source_id"].map(lambda s: sources[s].name if s in sources else s),
            "origin": located["origin"].map({"manual": "manual", "suggestion": "accepted suggestion"}),
        }
    )
    for attribute in attributes:
        out[attribute] = located["source_id"].map(lambda s, a=attribute: sources[s].attributes.get(a, ""))
    return out


def _whole_quote(text: str, start: int, end: int, max_length: int) -> str | None:
    """The whole sentences of a turn's ``text`` holding ``text[start:end]``; ``None`` when the span lies in a list
    item (a numbered or bulleted line: the notes' structure) or outside the turn, or no whole sentence fits."""
    start, end = max(start, 0), min(end, len(text))
    if start >= end:
        return None
    line_start = text.rfind("\n", 0, start) + 1
    if _LIST_ITEM.match(text, line_start):
        return None
    return whole_sentences(text, start, end, max_length=max_length, min_length=MIN_QUOTE_LENGTH)


def _in_codebook_order(table: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    order = {c.id: i for i, c in enumerate(codebook.codes)}
    return table.sort_values("code_id", key=lambda s: s.map(order), kind="stable", ignore_index=True)


def quote_bank(
    segments: pd.DataFrame,
    units: pd.DataFrame,
    sources: dict[str, Source],
    codebook: Codebook,
    *,
    per_code: int = 3,
    attributes: Sequence[str] = (),
    max_length: int = 300,
    screener: Screener | None = None,
    decisions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The best quotes per code, in participants' own words: manual codings before accepted suggestions, then
    the longest, one quote per speaker and source.

    Only what a participant said is quoted (:func:`speaker_role`): never a facilitator's question or summary,
    the notes' own narrative (headings, summaries, numbered or bulleted actions) or a professional's remark,
    which is quoted only under a provider-view code (:data:`PROVIDER_DIMENSIONS`). Only codings a person made
    or accepted are quoted (:func:`coding_origin`): a bare rule match is counted, never quoted. A quote is the
    whole sentence(s) holding the coded span, with the sentence before when it is short (under
    :data:`MIN_QUOTE_LENGTH` characters), cut at a sentence boundary to at most ``max_length`` characters
    (:func:`~circles.qualitative.text_units.whole_sentences`); ``origin`` says ``manual`` or ``accepted
    suggestion``.

    Each quote carries its code, a speaker label that identifies no one (:func:`speaker_labels`), the source
    name and the chosen source attributes (e.g. workshop, date).

    With a ``screener`` (:class:`circles.ingest.screening.Screener`) every candidate is screened first: names,
    places, phone numbers and the like are redacted ("[name]"), and a quote the screen is unsure of is left out
    (the next best takes its place) unless an analyst's ``decisions`` (by
    :func:`~circles.ingest.screening.text_id`) say ``publish`` or ``redact``; :func:`quotes_held` lists them.
    A ``screening`` column says what happened to each quote.
    """
    candidates = _quote_candidates(segments, units, sources, codebook, attributes=attributes, max_length=max_length)
    if screener is not None:
        candidates, _ = screener.screen_column(candidates, "quote", decisions=decisions)
    best = candidates.groupby("code_id", sort=False).head(per_code)
    return _in_codebook_order(best, codebook)


def quotes_held(
    segments: pd.DataFrame,
    units: pd.DataFrame,
    sources: dict[str, Source],
    codebook: Codebook,
    screener: Screener,
    *,
    per_code: int = 3,
    attributes: Sequence[str] = (),
    max_length: int = 300,
    decisions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The quotes :func:`quote_bank` would have printed but the screen held for review, for the analyst.

    One row per held quote that ranks among its code's best ``per_code``: ``text_id`` (what a decisions file
    names), the bank's columns with the original quote, ``found`` (what the screen found and why) and
    ``decision`` (blank until an analyst writes ``publish``, ``redact`` or ``withhold``). It holds personal
    data: the analyst's files only, never a pack.
    """
    candidates = _quote_candidates(segments, units, sources, codebook, attributes=attributes, max_length=max_length)
    ranked = candidates.assign(_rank=candidates.groupby("code_id", sort=False).cumcount())
    _, held = screener.screen_column(ranked, "quote", decisions=decisions)
    held = held[held["_rank"] < per_code].drop(columns="_rank")
    return _in_codebook_order(held, codebook)


def dimension_summary(counts: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Needs, barriers, aspirations, fears (…): the codes raised, ranked within each dimension by :func:`rank_codes`.

    Takes :func:`code_counts` (without ``by``); ``rank`` is 1 for the most raised code of its dimension. After
    disclosure control, rank the published table again with :func:`rank_codes`.
    """
    table = counts[counts["segments"] > 0]
    return rank_codes(table, codebook)


def ranking_columns(summary: pd.DataFrame) -> tuple[str, ...]:
    """What a summary's codes are ranked by (:data:`RANKINGS`): participants, sources, segments when every
    participant count is there; sources then segments when any is suppressed (missing) or there is none.

    Examples
    --------
    >>> ranking_columns(pd.DataFrame({"participants": [3, 1], "sources": [2, 1], "segments": [5, 1]}))
    ('participants', 'sources', 'segments')
    >>> ranking_columns(pd.DataFrame({"participants": [None, 1], "sources": [2, 1], "segments": [5, 1]}))
    ('sources', 'segments')
    """
    if "ranked_by" in summary and len(summary):
        return tuple(c.strip() for c in str(summary["ranked_by"].iloc[0]).split(","))
    participants = pd.to_numeric(summary["participants"], errors="coerce") if "participants" in summary else None
    published = participants is not None and bool(participants.notna().all())
    return RANKINGS["participants" if published else "sources"]


def rank_codes(summary: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Rank each dimension's codes by the counts the table shows: :func:`ranking_columns`, most first, ties in
    codebook order; ``ranked_by`` names the columns (e.g. ``"sources, segments"``). Other columns (such as
    ``participants_suppressed``) are kept after the summary's own.

    A suppressed participant count (missing, printed ``*``) is never ranked on, so the published order gives
    nothing away and matches the numbers printed beside it.

    Examples
    --------
    >>> from circles.qualitative.model import Code
    >>> book = Codebook((Code("B1", "Nine to five", "barrier"), Code("B2", "Crisis point", "barrier")))
    >>> published = pd.DataFrame({"dimension": ["barrier", "barrier"], "code_id": ["B1", "B2"],
    ...     "name": ["Nine to five", "Crisis point"], "theme": "", "segments": [7, 4], "sources": [2, 3],
    ...     "participants": [None, None]})
    >>> rank_codes(published, book)[["rank", "code_id", "ranked_by"]].values.tolist()
    [[1, 'B2', 'sources, segments'], [2, 'B1', 'sources, segments']]
    """
    by = ranking_columns(summary.drop(columns="ranked_by", errors="ignore"))
    dimensions = {d: i for i, d in enumerate(codebook.dimensions)}
    codes = {c: i for i, c in enumerate(codebook.ids)}
    keys = pd.DataFrame(
        {
            "_dimension": summary["dimension"].map(dimensions),
            **{f"_{c}": -pd.to_numeric(summary[c], errors="coerce").fillna(0) for c in by},
            "_code": summary["code_id"].map(codes),
        },
        index=summary.index,
    )
    table = summary.loc[keys.sort_values(list(keys.columns), kind="stable").index].copy()
    table["rank"] = table.groupby("dimension", sort=False).cumcount().astype("int64") + 1
    table["ranked_by"] = ", ".join(by)
    columns = ["dimension", "rank", "code_id", "name", "theme", "segments", "sources", "participants", "ranked_by"]
    return table[columns + [c for c in table.columns if c not in columns]].reset_index(drop=True)


def summary_chart(
    summary: pd.DataFrame, codebook: Codebook, *, title: str, top: int = 6, medium: Medium | str = "print"
) -> object:
    """Chart of :func:`dimension_summary` for a pack page: one panel per dimension, its top codes as bars.

    Drawn for ``medium`` (:class:`~circles.figures.media.Medium`): the full text width, as tall as the panels
    need (at most the medium's height), every text at least ``medium.min_pt``. Codes come in the table's rank
    order; each bar is as long as the first count it is ranked by (:func:`ranking_columns`) and labelled with
    the counts it is ranked by, so the chart says what the table says. Bars take each code's codebook colour.

    Examples
    --------
    >>> from circles.qualitative.model import Code
    >>> book = Codebook((Code("B1", "Nine to five", "barrier"),))
    >>> table = pd.DataFrame({"dimension": ["barrier"], "rank": [1], "code_id": ["B1"], "name": ["Nine to five"],
    ...     "segments": [7], "sources": [2], "participants": [None]})
    >>> figure = summary_chart(table, book, title="Raised", medium="large")
    >>> min(t.get_fontsize() for t in figure.findobj(lambda a: hasattr(a, "get_fontsize")) if t.get_text())
    16.0
    >>> figure.axes[0].texts[0].get_text()
    ' 2 sources, 7 passages'
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from circles.figures.media import medium as as_medium

    m = as_medium(medium)
    by = ranking_columns(summary)
    dimensions = [d for d in codebook.dimensions if d in set(summary["dimension"])]
    panels = [summary[summary["dimension"] == d].sort_values("rank").head(top).iloc[::-1] for d in dimensions]
    wrap = m.chars_per_line("small", width_mm=m.width_mm * 0.38)
    labels = [[textwrap.fill(str(n), wrap) for n in rows["name"]] for rows in panels]
    line_mm = m.type["small"] * 0.3528 * 1.35
    heights = [max(2, sum(lab.count("\n") + 1 for lab in labs)) * line_mm * 1.3 + 4 * line_mm for labs in labels]
    title = textwrap.fill(title, m.chars_per_line("title", bold=True))  # the SYNTHETIC mark is never cut off
    title_mm = (title.count("\n") + 1) * m.type["title"] * 0.3528 * 1.3
    fig = Figure(figsize=m.figsize(height_mm=sum(heights) + 10 * line_mm + title_mm), layout="constrained")
    axes = fig.subplots(max(len(dimensions), 1), 1, squeeze=False, gridspec_kw={"height_ratios": heights or [1]})
    colours = {c.id: c.colour for c in codebook.codes}
    for ax, dimension, rows, names in zip(axes[:, 0], dimensions, panels, labels, strict=False):
        values = pd.to_numeric(rows[by[0]], errors="coerce").fillna(0)
        ax.barh(names, values, color=[colours.get(c, "#808080") for c in rows["code_id"]])
        for y, (value, row) in enumerate(zip(values, rows.itertuples(), strict=True)):
            ax.text(value, y, " " + _counts_label(row, by), va="center", fontsize=m.type["small"])
        ax.set_title(_plural(dimension), loc="left", fontsize=m.type["heading"], fontweight="bold")
        ax.tick_params(labelsize=m.type["small"])
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, max(float(values.max()), 1) * 1.6)
        ax.set_xlabel(_BAR_LABEL[by[0]], fontsize=m.type["small"])
    fig.suptitle(title, x=0.02, ha="left", fontsize=m.type["title"], fontweight="bold")
    return fig


_BAR_LABEL = {"participants": "participants who raised it", "sources": "sources (notes) that raised it"}
_COUNT_WORDS = {"participants": "participant", "sources": "source", "segments": "passage"}


def _counts_label(row: object, by: Sequence[str]) -> str:
    """``2 sources, 7 passages``: the counts a code is ranked by."""
    parts = []
    for column in by:
        value = pd.to_numeric(getattr(row, column), errors="coerce")
        if not pd.isna(value):
            parts.append(f"{int(value)} {_COUNT_WORDS[column]}{'' if int(value) == 1 else 's'}")
    return ", ".join(parts)


def _plural(dimension: str) -> str:
    return dimension.capitalize() + ("" if dimension.endswith("s") else "s")
