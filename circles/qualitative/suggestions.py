"""Machine suggestions that learn from few examples: zero-shot, few-shot and positive-unlabelled ranking.

Real projects have 5 to 30 coded units per code and are only partly coded, so most uncoded units were simply
not read yet. This module ranks units for each code by their similarity to

* the code's **codebook entry** — name, definition, include terms and example quote; the exclude terms pull
  the ranking down — which works before anything is coded (*zero-shot*), and
* the **centroid of its coded units**, once there are some (*few-shot*): a Rocchio query (Rocchio 1971,
  "Relevance feedback in information retrieval"), blended with the codebook vector, the codebook counting for
  less as examples accumulate; the centroid of units a coder *rejected* for the code pulls down.

Features are character n-grams within words (``TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5),
sublinear_tf=True)``), so inflected and non-English text matches without a stemmer or a model download.

**Honest negatives.** A unit counts as a negative example for a code only if a person *reviewed* it: it lies
inside a reviewed range (a table ``source_id, start, end``, :func:`read_reviewed`) or a suggestion of that code
on it was rejected. Unreviewed units are *unlabelled*, never negatives. Probabilities come from a one-feature
logistic regression on the ranking score: positives against reviewed negatives when there are enough of them,
otherwise positives against unlabelled units corrected as in Elkan & Noto (2008), "Learning classifiers from
only positive and unlabeled data" (KDD): ``p(y=1 | x) = g(x) / c`` with ``c`` the mean of ``g`` over the
positives.

**Measured quality.** :func:`measure` scores every positive with a query built without it (k folds), ranks
the units and reports precision at 10 and 20, and precision, recall and F1 at probability 0.5. In a partly
coded project an unlabelled unit ranked high may be a positive nobody has read yet, so these figures are lower
bounds. A code whose measured precision@10 is below :data:`MIN_PRECISION_AT_10` is not suggested: the review
queue says so instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from circles.errors import CodingError
from circles.qualitative.model import Code, Codebook, Source
from circles.validation import suggest

__all__ = [
    "FEATURES",
    "MIN_PRECISION_AT_10",
    "Ranking",
    "codebook_text",
    "fit_features",
    "rank_units",
    "update_ranking",
    "out_of_fold_scores",
    "Calibration",
    "calibrate",
    "measure",
    "precision_at_k",
    "read_reviewed",
    "reviewed_mask",
    "diverse_order",
]

#: The features: character 2- to 5-grams inside word boundaries, sub-linear term frequency.
FEATURES: dict[str, object] = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "min_df": 1}
#: A code is suggested only when its measured precision among its top ``min(10, coded units)`` reaches this.
MIN_PRECISION_AT_10 = 0.3
#: How many coded examples the codebook entry counts as in the few-shot blend.
CODEBOOK_WEIGHT = 3.0
#: How hard reviewed negatives and the exclude terms pull a code's query away.
NEGATIVE_WEIGHT = 0.25


@dataclass(frozen=True)
class Ranking:
    """Each unit's score for each code, and what the scores were learned from.

    Attributes
    ----------
    scores : pandas.DataFrame
        Units × codes (index as the units given), cosine similarity of the unit to the code's query, in [-1, 1].
    codes : tuple of str
        The codes ranked, in codebook order.
    mode : dict of str to str
        Per code, ``"zero-shot"`` (codebook only) or ``"few-shot"`` (codebook and coded examples).
    positives, negatives : dict of str to int
        Per code, the coded units and the reviewed negative units the query was built from.
    features : scipy.sparse.csr_matrix
        The units' L2-normalised feature rows (units × n-grams), kept for incremental updates and diversity.
    vectorizer : sklearn.feature_extraction.text.TfidfVectorizer
        The fitted vectorizer.
    """

    scores: pd.DataFrame
    codes: tuple[str, ...]
    mode: dict[str, str]
    positives: dict[str, int]
    negatives: dict[str, int]
    features: sparse.csr_matrix
    vectorizer: object
    _parts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

    def top(self, code: str, n: int = 10) -> pd.Index:
        """The index of the ``n`` units ranked highest for ``code`` (stable: ties keep unit order)."""
        return self.scores[code].sort_values(ascending=False, kind="stable").index[:n]


def codebook_text(code: Code) -> tuple[str, str]:
    """What a code's codebook entry says it is, and what it says it is not: ``(positive, exclude)``.

    Examples
    --------
    >>> codebook_text(Code("A1", "Stop drinking", "aspiration", definition="Wants to stop.", exclude="Relapse."))
    ('Stop drinking. Wants to stop.', 'Relapse.')
    """
    positive = ". ".join(p.strip().rstrip(".") for p in (code.name, code.definition, code.include, code.example) if p)
    return (positive + "." if positive else ""), code.exclude.strip()


def fit_features(texts: Sequence[str], codebook: Codebook | None = None) -> object:
    """The character n-gram vectorizer (:data:`FEATURES`) fitted on the units' text and the codebook's."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    extra = [t for c in (codebook.codes if codebook else ()) for t in codebook_text(c) if t]
    return TfidfVectorizer(**FEATURES).fit([*map(str, texts), *extra])


def reviewed_mask(units: pd.DataFrame, reviewed: pd.DataFrame | None) -> np.ndarray:
    """True for each unit lying wholly inside a reviewed range (``source_id, start, end``) of its source.

    Examples
    --------
    >>> units = pd.DataFrame({"source_id": ["a", "a", "b"], "start": [0, 10, 0], "end": [9, 20, 5]})
    >>> reviewed_mask(units, pd.DataFrame({"source_id": ["a"], "start": [0], "end": [12]})).tolist()
    [True, False, False]
    """
    mask = np.zeros(len(units), dtype=bool)
    if reviewed is None or reviewed.empty:
        return mask
    u_source, u_start, u_end = (units[c].to_numpy() for c in ("source_id", "start", "end"))
    for r in reviewed.itertuples():
        mask |= (u_source == r.source_id) & (u_start >= r.start) & (u_end <= r.end)
    return mask


def read_reviewed(path: str | Path, sources: dict[str, Source]) -> pd.DataFrame:
    """Read the ranges a coder has read through: a CSV ``source, start, end`` (``start``/``end`` optional:
    blank means the whole source). Units inside a range with no code are negative examples for every code.

    Raises
    ------
    CodingError
        Naming the file, line and column of the first problem.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise CodingError(f"Cannot read reviewed ranges {path}: {exc}") from None
    if "source" not in table.columns:
        raise CodingError(f"{path}: no column 'source'.{suggest('source', table.columns)} Needed: source, start, end.")
    rows = []
    for i, row in table.iterrows():
        line, source = int(i) + 2, sources.get(row["source"])
        if source is None:
            raise CodingError(
                f"{path}, line {line}, column 'source': no source {row['source']!r}.{suggest(row['source'], sources)}"
            )
        try:
            start = int(row.get("start") or 0)
            end = int(row.get("end") or len(source.text))
        except ValueError:
            raise CodingError(f"{path}, line {line}: 'start' and 'end' must be whole numbers or blank.") from None
        if not 0 <= start < end <= len(source.text):
            raise CodingError(
                f"{path}, line {line}: start {start} and end {end} must satisfy 0 <= start < end <= "
                f"{len(source.text)} (the length of source {source.id!r})."
            )
        rows.append({"source_id": source.id, "start": start, "end": end})
    return pd.DataFrame(rows, columns=["source_id", "start", "end"])


def _normalise(rows: sparse.spmatrix) -> sparse.csr_matrix:
    from sklearn.preprocessing import normalize

    return normalize(sparse.csr_matrix(rows))


def _query(
    book_vec: np.ndarray, exclude_vec: np.ndarray, pos_sum: np.ndarray, n_pos: int, neg_sum: np.ndarray, n_neg: int
) -> np.ndarray:
    """The Rocchio query of one code: codebook and example centroid blended, negatives and exclude terms
    subtracted; L2-normalised (dense, one row)."""

    def unit(v: np.ndarray) -> np.ndarray:
        norm = np.linalg.norm(v)
        return v / norm if norm > 0 else v

    weight = CODEBOOK_WEIGHT / (CODEBOOK_WEIGHT + n_pos)
    query = weight * unit(book_vec) + (1 - weight) * unit(pos_sum)
    query -= NEGATIVE_WEIGHT * (unit(neg_sum) if n_neg else 0) + NEGATIVE_WEIGHT * unit(exclude_vec)
    return unit(query)


def rank_units(
    units: pd.DataFrame,
    codebook: Codebook,
    positives: pd.DataFrame | None = None,
    negatives: pd.DataFrame | None = None,
    *,
    vectorizer: object | None = None,
) -> Ranking:
    """Score every unit for every code: zero-shot from the codebook, few-shot from coded examples too.

    Parameters
    ----------
    units : pandas.DataFrame
        Units with a ``text`` column (:func:`~circles.qualitative.text_units.all_units`).
    codebook : Codebook
    positives, negatives : pandas.DataFrame, optional
        0/1 matrices (units × code ids, as :func:`~circles.qualitative.coding.unit_labels`): the units coded
        with each code, and the units a person reviewed and found not to be that code. Missing: none.
    vectorizer : TfidfVectorizer, optional
        A fitted vectorizer (:func:`fit_features`); fitted on the units and the codebook when not given.

    Examples
    --------
    >>> book = Codebook((Code("BAR01", "Help only at crisis point", "barrier", include="crisis; emergency"),
    ...                  Code("ASP01", "Stop drinking", "aspiration", include="sober; dry; give up drink")))
    >>> units = pd.DataFrame({"text": ["The bus was late", "They only came at the crisis point",
    ...                                "I want to be sober and give up the drink"]})
    >>> ranking = rank_units(units, book)
    >>> ranking.top("BAR01", 1).tolist(), ranking.top("ASP01", 1).tolist(), ranking.mode["ASP01"]
    ([1], [2], 'zero-shot')
    """
    texts = units["text"].astype(str).tolist()
    vectorizer = vectorizer or fit_features(texts, codebook)
    features = _normalise(vectorizer.transform(texts))  # type: ignore[attr-defined]
    codes = codebook.ids
    book = _normalise(vectorizer.transform([codebook_text(c)[0] for c in codebook.codes]))  # type: ignore[attr-defined]
    exclude = _normalise(vectorizer.transform([codebook_text(c)[1] for c in codebook.codes]))  # type: ignore[attr-defined]
    parts, columns, mode, n_pos, n_neg = {}, [], {}, {}, {}
    for j, code in enumerate(codes):
        pos = _column(positives, code, len(units))
        neg = _column(negatives, code, len(units)) & ~pos
        pos_sum = np.asarray(features[pos].sum(axis=0)).ravel()
        neg_sum = np.asarray(features[neg].sum(axis=0)).ravel()
        parts[code] = (book[j].toarray().ravel(), exclude[j].toarray().ravel(), pos_sum, neg_sum)
        n_pos[code], n_neg[code] = int(pos.sum()), int(neg.sum())
        mode[code] = "few-shot" if n_pos[code] else "zero-shot"
        columns.append(features @ _query(*parts[code][:3], n_pos[code], parts[code][3], n_neg[code]))
    scores = pd.DataFrame(np.column_stack(columns) if columns else None, index=units.index, columns=list(codes))
    return Ranking(scores, codes, mode, n_pos, n_neg, features, vectorizer, parts)


def _column(labels: pd.DataFrame | None, code: str, n: int) -> np.ndarray:
    if labels is None or code not in labels.columns:
        return np.zeros(n, dtype=bool)
    return labels[code].to_numpy().astype(bool)


def update_ranking(ranking: Ranking, position: int, code: str, *, accepted: bool) -> Ranking:
    """The ranking after a person accepted (or rejected) unit number ``position`` (0-based row) for ``code``.

    Only that code's query and scores change: one sparse product, milliseconds for 10,000 units.

    Examples
    --------
    >>> book = Codebook((Code("FEA01", "Relapse", "fear", definition="Fear of drinking again"),))
    >>> units = pd.DataFrame({"text": ["scared I will slip back", "the bus was late", "I might slip back"]})
    >>> before = rank_units(units, book)
    >>> after = update_ranking(before, 0, "FEA01", accepted=True)
    >>> after.mode["FEA01"], after.positives["FEA01"], after.top("FEA01", 2).tolist()
    ('few-shot', 1, [0, 2])
    """
    book_vec, exclude_vec, pos_sum, neg_sum = ranking._parts[code]
    row = ranking.features[position].toarray().ravel()
    positives, negatives = dict(ranking.positives), dict(ranking.negatives)
    if accepted:
        pos_sum, positives[code] = pos_sum + row, positives[code] + 1
    else:
        neg_sum, negatives[code] = neg_sum + row, negatives[code] + 1
    query = _query(book_vec, exclude_vec, pos_sum, positives[code], neg_sum, negatives[code])
    scores = ranking.scores.copy()
    scores[code] = ranking.features @ query
    parts = {**ranking._parts, code: (book_vec, exclude_vec, pos_sum, neg_sum)}
    mode = {**ranking.mode, code: "few-shot" if positives[code] else "zero-shot"}
    return replace(ranking, scores=scores, positives=positives, negatives=negatives, mode=mode, _parts=parts)


def precision_at_k(scores: Sequence[float], labels: Sequence[int], k: int) -> float:
    """The share of positives among the ``k`` highest scores (ties broken by position); NaN with no units.

    Examples
    --------
    >>> precision_at_k([0.9, 0.8, 0.7, 0.1, 0.6], [1, 0, 1, 1, 0], 3)
    0.6666666666666666
    """
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels, dtype=int)
    if not len(scores):
        return float("nan")
    top = np.argsort(-scores, kind="stable")[: min(k, len(scores))]
    return float(labels[top].mean())


def out_of_fold_scores(
    ranking: Ranking, code: str, positives: np.ndarray, negatives: np.ndarray, *, folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Each unit's score for ``code`` from a query that did not see it.

    The labelled units (``positives`` and reviewed ``negatives``, boolean per unit) are split into ``folds``
    folds, each scored by the query built from the others; unlabelled units keep the full query's score.
    """
    book_vec, exclude_vec, _, _ = ranking._parts[code]
    features = ranking.features
    scores = ranking.scores[code].to_numpy().copy()
    labelled = np.flatnonzero(positives | negatives)
    k = max(1, min(folds, int(positives.sum())))
    fold_of = np.random.default_rng(seed).permutation(len(labelled)) % k
    for f in range(k):
        held = labelled[fold_of == f]
        p, n = positives.copy(), negatives.copy()
        p[held], n[held] = False, False
        pos_sum, neg_sum = (np.asarray(features[m].sum(axis=0)).ravel() for m in (p, n))
        scores[held] = features[held] @ _query(book_vec, exclude_vec, pos_sum, int(p.sum()), neg_sum, int(n.sum()))
    return scores


@dataclass(frozen=True)
class Calibration:
    """Score to probability for one code: ``p = min(1, sigmoid(slope * score + intercept) / c)``.

    ``kind`` is ``"reviewed negatives"`` (Platt scaling against units a person reviewed; ``c`` = 1) or
    ``"positive-unlabelled"`` (Elkan & Noto 2008: labelled against unlabelled, ``c`` the mean over positives).
    """

    slope: float
    intercept: float
    c: float
    kind: str

    def probability(self, scores: np.ndarray) -> np.ndarray:
        g = 1 / (1 + np.exp(-(self.slope * np.asarray(scores, dtype=float) + self.intercept)))
        return np.clip(g / self.c, 0, 1)


#: Reviewed negatives needed before they, not the unlabelled units, calibrate a code.
MIN_NEGATIVES = 10


def calibrate(scores: np.ndarray, positives: np.ndarray, negatives: np.ndarray) -> Calibration:
    """Fit the :class:`Calibration` of one code on out-of-fold ``scores`` (booleans per unit for the labels).

    Examples
    --------
    >>> scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1, 0.15, 0.3, 0.05])
    >>> cal = calibrate(scores, scores > 0.5, np.zeros(8, bool))
    >>> cal.kind, bool(cal.probability([0.85])[0] > 0.5 > cal.probability([0.1])[0])
    ('positive-unlabelled', True)
    """
    from sklearn.linear_model import LogisticRegression

    scores = np.asarray(scores, dtype=float)
    if negatives.sum() >= MIN_NEGATIVES:
        keep, y, kind = positives | negatives, positives, "reviewed negatives"
    else:
        keep, y, kind = np.ones(len(scores), bool), positives, "positive-unlabelled"
    model = LogisticRegression(C=100.0).fit(scores[keep, None], y[keep].astype(int))
    slope, intercept = float(model.coef_[0, 0]), float(model.intercept_[0])
    cal = Calibration(slope, intercept, 1.0, kind)
    if kind == "positive-unlabelled":
        cal = replace(cal, c=max(float(cal.probability(scores[positives]).mean()), 1e-6))
    return cal


def measure(scores: np.ndarray, positives: np.ndarray, negatives: np.ndarray, calibration: Calibration) -> dict:
    """What the analyst would see for one code, from out-of-fold ``scores``: precision at 10 and 20 of the
    ranking, ``precision_at_r`` (at ``min(10, positives)``: what precision@10 can reach with fewer than 10
    coded units), and precision, recall and F1 at probability 0.5. Unreviewed units count as not the code, so in a
    partly coded project these are lower bounds.

    Examples
    --------
    >>> cal = Calibration(slope=10.0, intercept=-5.0, c=1.0, kind="positive-unlabelled")
    >>> m = measure(np.array([0.9, 0.8, 0.1, 0.6]), np.array([1, 0, 0, 1], bool), np.zeros(4, bool), cal)
    >>> m["precision_at_10"], m["precision"], m["recall"], m["f1"]
    (0.5, 0.667, 1.0, 0.8)
    """
    scope = (positives | negatives) if calibration.kind == "reviewed negatives" else np.ones(len(scores), bool)
    s, y = scores[scope], positives[scope].astype(int)
    predicted = calibration.probability(s) >= 0.5
    hits = int((predicted & (y == 1)).sum())
    precision = float(hits / predicted.sum()) if predicted.sum() else 0.0
    recall = float(hits / y.sum()) if y.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision_at_10": round(precision_at_k(s, y, 10), 3),
        "precision_at_20": round(precision_at_k(s, y, 20), 3),
        "precision_at_r": round(precision_at_k(s, y, int(min(10, max(1, y.sum())))), 3),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
    }


def diverse_order(uncertainty: np.ndarray, features: sparse.spmatrix, n: int, *, diversity: float = 0.5) -> list[int]:
    """Pick ``n`` rows greedily by maximal marginal relevance (Carbonell & Goldstein 1998): the most uncertain
    first, each next one scoring ``(1 - diversity) * uncertainty - diversity * (highest cosine similarity to a
    row already picked)`` on the (L2-normalised) ``features``.

    Examples
    --------
    >>> from scipy import sparse
    >>> rows = sparse.csr_matrix(np.array([[1.0, 0], [1.0, 0], [0, 1.0]]))
    >>> diverse_order(np.array([0.9, 0.85, 0.5]), rows, 3)
    [0, 2, 1]
    """
    uncertainty = np.asarray(uncertainty, dtype=float)
    n = min(n, len(uncertainty))
    picked: list[int] = []
    closest = np.zeros(len(uncertainty))
    for _ in range(n):
        value = (1 - diversity) * uncertainty - diversity * closest
        value[picked] = -np.inf
        best = int(np.argmax(value))
        picked.append(best)
        closest = np.maximum(closest, np.asarray((features @ features[best].T).todense()).ravel())
    return picked
