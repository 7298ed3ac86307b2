"""Coding: manual codings, rule-based autocoding with a preview, and machine suggestions.

Three ways a segment gets a code, each leaving a segment table (:mod:`circles.qualitative.model`):

* **manual** — a tidy file (``source, start, end, code, coder, memo``) or :func:`code_text` from a notebook;
* **rules** — keywords and regular expressions matched per unit (sentence, turn or paragraph).
  :func:`preview_rules` shows what would be coded before :func:`apply_rules` codes it (coder ``"rules"``);
* **machine** — :func:`train_suggester` ranks units per code by character n-gram similarity to the code's
  codebook entry and its coded units (:mod:`circles.qualitative.suggestions`: few-shot, positive-unlabelled;
  scikit-learn, off-line: nothing is downloaded), measures precision at 10 and 20 and F1 per code out of fold,
  and :func:`suggest_codes` proposes codings (coder ``"machine"``, status ``"suggested"``, with their
  probability) for the codes measured good enough, for a person to :func:`accept` or :func:`reject`, in the
  order that teaches the model most (:func:`review_queue`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from circles.errors import CodingError
from circles.qualitative.model import Codebook, Source, empty_segments, make_segments
from circles.validation import suggest

__all__ = [
    "CodingError",  # circles.errors.CodingError, re-exported
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
    "accept",
    "reject",
]


# --------------------------------------------------------------------------------------------- manual


def read_codings(path: str | Path, sources: dict[str, Source], codebook: Codebook) -> pd.DataFrame:
    """Read manual codings from a tidy CSV: ``source, start, end, code, coder`` (and ``memo``).

    Instead of ``start``/``end`` a row may give the ``quote`` itself (and ``occurrence``, default 1): it is found
    in the source, so codings written by hand survive small edits elsewhere in the text. Every row is checked:
    the source exists, the code is in the codebook, the span lies in the text (or the quote is found).

    Raises
    ------
    CodingError
        Naming the file, line and column of the first problem, with the nearest valid value.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise CodingError(f"Cannot read codings {path}: {exc}") from None
    by_quote = "quote" in table.columns and "start" not in table.columns
    required = ["source", "code", "coder", *(["quote"] if by_quote else ["start", "end"])]
    for column in required:
        if column not in table.columns:
            raise CodingError(f"{path}: no column {column!r}.{suggest(column, table.columns)} Needed: {required}.")
    parts = []
    for i, row in table.iterrows():
        line = int(i) + 2
        source = sources.get(row["source"])
        if source is None:
            raise CodingError(
                f"{path}, line {line}, column 'source': no source {row['source']!r}.{suggest(row['source'], sources)}"
            )
        if row["code"] not in codebook:
            raise CodingError(
                f"{path}, line {line}, column 'code': no code {row['code']!r} in the codebook."
                f"{suggest(row['code'], codebook.ids)}"
            )
        coder, memo = row["coder"] or "unknown", row.get("memo", "")
        if by_quote:
            try:
                parts.append(
                    code_text(
                        source,
                        row["quote"],
                        row["code"],
                        codebook,
                        coder=coder,
                        memo=memo,
                        occurrence=int(row.get("occurrence") or 1),
                    )
                )
            except CodingError as exc:
                raise CodingError(f"{path}, line {line}, column 'quote': {exc}") from None
            continue
        try:
            start, end = int(row["start"]), int(row["end"])
        except ValueError:
            raise CodingError(f"{path}, line {line}: 'start' and 'end' must be whole numbers.") from None
        if not 0 <= start < end <= len(source.text):
            raise CodingError(
                f"{path}, line {line}: start {start} and end {end} must satisfy 0 <= start < end <= "
                f"{len(source.text)} (the length of source {source.id!r})."
            )
        parts.append(
            make_segments(
                [
                    {
                        "source_id": source.id,
                        "start": start,
                        "end": end,
                        "code_id": row["code"],
                        "coder": coder,
                        "memo": memo,
                    }
                ],
                sources,
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else empty_segments()


def code_text(
    source: Source, quote: str, code_id: str, codebook: Codebook, *, coder: str, memo: str = "", occurrence: int = 1
) -> pd.DataFrame:
    """Code the ``occurrence``-th appearance of ``quote`` in ``source`` (the notebook way to code by hand).

    Examples
    --------
    >>> from circles.qualitative.model import Code
    >>> book = Codebook((Code("ASP01", "stop drinking", "aspiration"),))
    >>> src = Source("n1", "Notes", "Parent E: I want to stop drinking. Not cut down, stop.")
    >>> code_text(src, "stop drinking", "ASP01", book, coder="jb")[["start", "end", "quote"]].values.tolist()
    [[20, 33, 'stop drinking']]
    """
    if code_id not in codebook:
        raise CodingError(f"No code {code_id!r} in the codebook.{suggest(code_id, codebook.ids)}")
    starts = [m.start() for m in re.finditer(re.escape(quote), source.text)]
    if len(starts) < occurrence:
        raise CodingError(f"{quote!r} occurs {len(starts)} time(s) in source {source.id!r}, not {occurrence}.")
    start = starts[occurrence - 1]
    row = {
        "source_id": source.id,
        "start": start,
        "end": start + len(quote),
        "code_id": code_id,
        "coder": coder,
        "memo": memo,
    }
    return make_segments([row], {source.id: source})


# --------------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """Code a unit when any keyword (whole words, any case) or the regular expression matches it."""

    code_id: str
    keywords: tuple[str, ...] = ()
    pattern: str | None = None

    def regex(self) -> re.Pattern[str]:
        parts = [r"\b" + re.escape(k).replace(r"\ ", r"\s+") + r"\b" for k in self.keywords]
        if self.pattern:
            parts.append(f"(?:{self.pattern})")
        if not parts:
            raise CodingError(f"Rule for {self.code_id!r} has neither keywords nor a pattern.")
        return re.compile("|".join(parts), re.IGNORECASE)


def read_rules(path: str | Path, codebook: Codebook) -> list[Rule]:
    """Read autocoding rules from YAML: ``rules: [{code: ASP01, keywords: [...], pattern: "..."}]``."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CodingError(f"Cannot read rules {path}: {exc}") from None
    rules = []
    for i, item in enumerate(data.get("rules", []), start=1):
        unknown = set(item) - {"code", "keywords", "pattern"}
        if unknown:
            key = sorted(unknown)[0]
            raise CodingError(f"{path}, rule {i}: unknown key {key!r}.{suggest(key, ['code', 'keywords', 'pattern'])}")
        code = str(item.get("code", ""))
        if code not in codebook:
            raise CodingError(f"{path}, rule {i}: no code {code!r} in the codebook.{suggest(code, codebook.ids)}")
        rule = Rule(code, tuple(str(k) for k in item.get("keywords", []) or []), item.get("pattern"))
        try:
            rule.regex()
        except re.error as exc:
            raise CodingError(
                f"{path}, rule {i} ({code}): the pattern is not a valid regular expression: {exc}."
            ) from None
        rules.append(rule)
    return rules


def preview_rules(units: pd.DataFrame, rules: Iterable[Rule]) -> pd.DataFrame:
    """What the rules would code, before anything is applied: one row per (unit, code) matched.

    Columns ``source_id, unit_id, start, end, code_id, matched, text``: ``matched`` is the text that fired.

    Examples
    --------
    >>> units = pd.DataFrame({"source_id": ["n1", "n1"], "unit_id": [0, 1], "start": [0, 20],
    ...                       "end": [19, 40], "text": ["Help only at crisis", "Open 9 to 5 only"], "speaker": ""})
    >>> preview_rules(units, [Rule("BAR01", keywords=("crisis",)), Rule("BAR02", pattern=r"9\\s*(to|-)\\s*5")])[
    ...     ["unit_id", "code_id", "matched"]].values.tolist()
    [[0, 'BAR01', 'crisis'], [1, 'BAR02', '9 to 5']]
    """
    found = []
    for rule in rules:
        regex = rule.regex()
        matched = units["text"].str.extract(f"({regex.pattern})", flags=re.IGNORECASE, expand=True)[0]
        hit = matched.notna()
        if hit.any():
            found.append(
                units.loc[hit, ["source_id", "unit_id", "start", "end", "text"]].assign(
                    code_id=rule.code_id, matched=matched[hit]
                )
            )
    if not found:
        return pd.DataFrame(columns=["source_id", "unit_id", "start", "end", "code_id", "matched", "text"])
    preview = pd.concat(found, ignore_index=True)
    preview = preview.drop_duplicates(["source_id", "unit_id", "code_id"])
    return preview.sort_values(["source_id", "start", "code_id"], ignore_index=True)[
        ["source_id", "unit_id", "start", "end", "code_id", "matched", "text"]
    ]


def apply_rules(preview: pd.DataFrame, sources: dict[str, Source]) -> pd.DataFrame:
    """Code every unit of a (possibly edited) preview: coder ``"rules"``, the matched text as the memo."""
    rows = [
        {
            "source_id": r.source_id,
            "start": int(r.start),
            "end": int(r.end),
            "code_id": r.code_id,
            "coder": "rules",
            "memo": f"matched: {r.matched}",
        }
        for r in preview.itertuples()
    ]
    return make_segments(rows, sources) if rows else empty_segments()


# --------------------------------------------------------------------------------------------- machine


def unit_labels(
    units: pd.DataFrame, segments: pd.DataFrame, codes: Sequence[str], *, threshold: float = 0.5
) -> pd.DataFrame:
    """A 0/1 matrix (units × codes): 1 where an accepted segment of the code covers at least ``threshold`` of
    the unit, or lies wholly inside it."""
    labels = pd.DataFrame(0, index=units.index, columns=list(codes), dtype="int8")
    accepted = segments[segments["status"] == "accepted"]
    for source_id, segs in accepted.groupby("source_id"):
        mine = units[units["source_id"] == source_id]
        if mine.empty:
            continue
        u_start, u_end = mine["start"].to_numpy()[:, None], mine["end"].to_numpy()[:, None]
        s_start, s_end = segs["start"].to_numpy()[None, :], segs["end"].to_numpy()[None, :]
        overlap = np.clip(np.minimum(u_end, s_end) - np.maximum(u_start, s_start), 0, None)
        length = np.maximum(u_end - u_start, 1)
        covers = (overlap / length >= threshold) | ((overlap > 0) & (overlap == (s_end - s_start)))
        for j, code in enumerate(segs["code_id"].to_numpy()):
            if code in labels.columns:
                labels.loc[mine.index[covers[:, j]], code] = 1
    return labels


@dataclass
class Suggester:
    """Per code, a few-shot ranking query over character n-grams and its calibration, with measured quality.

    Attributes
    ----------
    codes : tuple of str
        The codes whose measured quality is good enough to suggest.
    quality : pandas.DataFrame
        One row per codebook code (:func:`train_suggester`).
    vectorizer : TfidfVectorizer
        The character n-gram features (:data:`~circles.qualitative.suggestions.FEATURES`).
    queries : numpy.ndarray
        One L2-normalised query row per code of ``codes``.
    calibrations : dict of str to Calibration
        Score to probability, per code of ``codes``.
    """

    codes: tuple[str, ...]
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)
    vectorizer: object = None
    queries: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    calibrations: dict = field(default_factory=dict)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Units × ``codes``: the calibrated probability that each text is each code."""
        from circles.qualitative.suggestions import _normalise

        features = _normalise(self.vectorizer.transform(list(map(str, texts))))  # type: ignore[attr-defined]
        scores = np.asarray(features @ self.queries.T).reshape(len(texts), len(self.codes))
        return (
            np.column_stack([self.calibrations[c].probability(scores[:, j]) for j, c in enumerate(self.codes)])
            if self.codes
            else scores
        )


def train_suggester(
    units: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook,
    *,
    reviewed: pd.DataFrame | None = None,
    min_examples: int = 5,
    folds: int = 5,
    seed: int = 0,
) -> Suggester:
    """Learn a ranking per code from the coded units and the codebook, measure it, keep the codes worth suggesting.

    Learns from the units of the sources that have been coded. A unit counts as a **negative** example only if a
    person reviewed it: it lies in a ``reviewed`` range (``source_id, start, end``,
    :func:`~circles.qualitative.suggestions.read_reviewed`) without the code, or a suggestion of the code on it
    was rejected. Everything else uncoded is *unlabelled*, learned from as in positive-unlabelled learning
    (:mod:`circles.qualitative.suggestions`), never as a negative.

    The quality table has one row per code: ``coded_units``, ``reviewed_negatives``, ``precision_at_10``,
    ``precision_at_20`` of the ranking (capped at ``coded_units / k``) and ``precision``, ``recall``, ``f1`` at
    probability 0.5, all measured out of fold (lower bounds in a partly coded project), ``calibration`` and
    ``suggested``. Codes with fewer
    than ``min_examples`` coded units, or whose precision among their top ``min(10, coded_units)`` is below
    :data:`~circles.qualitative.suggestions.MIN_PRECISION_AT_10`, are not suggested; ``note`` says why.
    """
    from circles.qualitative import suggestions as sg

    coded_sources = segments.loc[segments["status"] == "accepted", "source_id"].unique()
    vectorizer = sg.fit_features(units["text"].astype(str).tolist(), codebook)
    units = units[units["source_id"].isin(coded_sources)].reset_index(drop=True)
    positives = unit_labels(units, segments, codebook.ids)
    rejected = unit_labels(units, segments[segments["status"] == "rejected"].assign(status="accepted"), codebook.ids)
    read = sg.reviewed_mask(units, reviewed)
    negatives = ((rejected == 1) | (positives == 0).mul(read, axis=0)).astype("int8") * (positives == 0)
    counts = positives.sum()
    if not (counts >= min_examples).any():
        raise CodingError(
            f"No code has {min_examples} or more coded units: code more text before asking for machine suggestions."
        )
    ranking = sg.rank_units(units, codebook, positives, negatives, vectorizer=vectorizer)
    rows, queries, calibrations = [], {}, {}
    for code in codebook.ids:
        pos, neg = positives[code].to_numpy() == 1, negatives[code].to_numpy() == 1
        row = {"code_id": code, "coded_units": int(pos.sum()), "reviewed_negatives": int(neg.sum())}
        if pos.sum() < min_examples or pos.all():
            rows.append({**row, "suggested": False, "note": "too few coded units to learn from"})
            continue
        scores = sg.out_of_fold_scores(ranking, code, pos, neg, folds=folds, seed=seed)
        calibration = sg.calibrate(scores, pos, neg)
        measured = sg.measure(scores, pos, neg, calibration)
        good = measured.pop("precision_at_r") >= sg.MIN_PRECISION_AT_10
        note = f"{min(folds, int(pos.sum()))}-fold, {calibration.kind}" + (
            ""
            if good
            else f"; measured precision among the top {min(10, int(pos.sum()))} is below {sg.MIN_PRECISION_AT_10}: "
            "not suggested (code more examples, or sharpen the codebook entry)"
        )
        rows.append({**row, **measured, "calibration": calibration.kind, "suggested": bool(good), "note": note})
        if good:
            book_vec, exclude_vec, pos_sum, neg_sum = ranking._parts[code]
            queries[code] = sg._query(book_vec, exclude_vec, pos_sum, int(pos.sum()), neg_sum, int(neg.sum()))
            calibrations[code] = calibration
    columns = ["code_id", "coded_units", "reviewed_negatives", "precision_at_10", "precision_at_20", "precision"]
    columns += ["recall", "f1", "calibration", "suggested", "note"]
    quality = pd.DataFrame(rows).reindex(columns=columns)
    codes = tuple(queries)
    matrix = np.vstack([queries[c] for c in codes]) if codes else np.zeros((0, len(vectorizer.vocabulary_)))
    return Suggester(codes=codes, quality=quality, vectorizer=vectorizer, queries=matrix, calibrations=calibrations)


def suggest_codes(
    model: Suggester,
    units: pd.DataFrame,
    sources: dict[str, Source],
    *,
    threshold: float = 0.5,
    existing: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Suggestions for every unit and code whose probability reaches ``threshold``, skipping units already
    coded with that code in ``existing``: coder ``"machine"``, status ``"suggested"``. Only the codes the
    model measured well enough (``model.codes``) are suggested."""
    if units.empty or not model.codes:
        return empty_segments()
    probabilities = model.probabilities(units["text"].to_numpy())
    already = (
        unit_labels(units, existing, model.codes).to_numpy().astype(bool)
        if existing is not None
        else np.zeros_like(probabilities, dtype=bool)
    )
    rows_i, cols_j = np.nonzero((probabilities >= threshold) & ~already)
    chosen = units.iloc[rows_i]
    rows = [
        {
            "source_id": s,
            "start": int(a),
            "end": int(b),
            "code_id": model.codes[j],
            "coder": "machine",
            "probability": round(float(probabilities[i, j]), 4),
            "status": "suggested",
        }
        for s, a, b, i, j in zip(chosen["source_id"], chosen["start"], chosen["end"], rows_i, cols_j, strict=True)
    ]
    return make_segments(rows, sources) if rows else empty_segments()


def review_queue(
    suggestions: pd.DataFrame, n: int = 20, *, quality: pd.DataFrame | None = None, diversity: float = 0.3
) -> pd.DataFrame:
    """The ``n`` suggestions to review first, in the order a person's decisions teach the model most.

    Margin sampling (least certain first: probability nearest 0.5) with a diversity penalty: maximal marginal
    relevance on the character n-gram cosine of the quotes (:func:`~circles.qualitative.suggestions.diverse_order`),
    so the queue does not show the same sentence five times. With the suggester's ``quality`` table, each code
    measured too poor to suggest gets one row instead (empty source, status ``"not suggested"``) whose ``note``
    says why; suggestions have ``note`` ``""``.
    """
    from circles.qualitative.suggestions import FEATURES, diverse_order

    pending = suggestions[suggestions["status"] == "suggested"]
    queue = pending.iloc[0:0]
    if len(pending):
        from sklearn.feature_extraction.text import TfidfVectorizer

        features = TfidfVectorizer(**FEATURES).fit_transform(pending["quote"].astype(str))
        uncertainty = 1 - np.abs(2 * pending["probability"].to_numpy() - 1)
        queue = pending.iloc[diverse_order(uncertainty, features, n, diversity=diversity)]
    queue = queue.assign(note="")
    if quality is not None and len(quality):
        poor = quality[~quality["suggested"].astype(bool)]
        notes = pd.DataFrame(
            {
                "source_id": "",
                "start": 0,
                "end": 0,
                "code_id": poor["code_id"],
                "coder": "machine",
                "status": "not suggested",
                "note": poor["note"],
            }
        )
        notes.index = -1 - np.arange(len(notes))  # never an index of the suggestions: accept() cannot take one
        queue = pd.concat([queue, notes]) if len(notes) else queue
    return queue


def accept(segments: pd.DataFrame, index: Iterable[int]) -> pd.DataFrame:
    """Mark suggestions accepted (they then count as codings, for analysis and agreement)."""
    out = segments.copy()
    out.loc[list(index), "status"] = "accepted"
    return out


def reject(segments: pd.DataFrame, index: Iterable[int]) -> pd.DataFrame:
    """Mark suggestions rejected (kept, so the model's errors can be studied)."""
    out = segments.copy()
    out.loc[list(index), "status"] = "rejected"
    return out
