"""Analysis of codings: counts by attribute, co-occurrence, the quote bank, and the summary per dimension.

Only accepted codings count (manual, rules, and machine suggestions a person accepted). Speakers never appear
by name: :func:`speaker_labels` numbers participants within the report ("Participant 3") and keeps role labels
("Facilitator"), so a quote can be attributed without identifying anyone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from circles.qualitative.coding import unit_labels
from circles.qualitative.model import Codebook, Source

if TYPE_CHECKING:
    from circles.ingest.screening import Screener

__all__ = [
    "ROLES",
    "speaker_labels",
    "code_counts",
    "cooccurrence",
    "quote_bank",
    "quotes_held",
    "dimension_summary",
    "summary_chart",
]

#: A list item's number or bullet at the start of a quote ("3. ", "- ", "• ").
_LIST_MARK = r"^(?:[0-9]{1,2}[.)]|[-*•])\s+"

#: Speaker labels that name a role, not a person: kept as they are.
ROLES = ("facilitator", "note-taker", "note taker", "interviewer", "moderator", "chair")


def _accepted(segments: pd.DataFrame) -> pd.DataFrame:
    return segments[segments["status"] == "accepted"]


def speaker_labels(units: pd.DataFrame) -> pd.Series:
    """Map each (source, speaker) to a label that identifies no one: roles kept, people numbered in order.

    Examples
    --------
    >>> units = pd.DataFrame({"source_id": ["a", "a", "b"], "speaker": ["Facilitator", "Jane", "Jane"]})
    >>> speaker_labels(units).tolist()
    ['Facilitator', 'Participant 1', 'Participant 2']
    """
    keys = units["source_id"].astype(str) + "\x1f" + units["speaker"].fillna("").astype(str)
    people = [k for k in dict.fromkeys(keys) if k.split("\x1f", 1)[1] and not _is_role(k.split("\x1f", 1)[1])]
    numbers = {k: f"Participant {i}" for i, k in enumerate(people, start=1)}
    speaker = units["speaker"].fillna("").astype(str)
    return pd.Series(
        np.where(speaker.map(_is_role), speaker, keys.map(numbers).fillna("")), index=units.index, dtype="object"
    )


def _is_role(name: str) -> bool:
    return re.sub(r"\s+", " ", name.strip().lower()) in ROLES


def _segment_units(segments: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Each accepted segment with the unit (turn or sentence) it starts in, for speakers and co-occurrence."""
    out = []
    for source_id, segs in _accepted(segments).groupby("source_id"):
        mine = units[units["source_id"] == source_id].sort_values("start")
        if mine.empty:
            out.append(segs.assign(unit_id=-1, speaker=""))
            continue
        position = np.searchsorted(mine["start"].to_numpy(), segs["start"].to_numpy(), side="right") - 1
        position = np.clip(position, 0, len(mine) - 1)
        out.append(
            segs.assign(unit_id=mine["unit_id"].to_numpy()[position], speaker=mine["speaker"].to_numpy()[position])
        )
    return pd.concat(out, ignore_index=True) if out else _accepted(segments).assign(unit_id=[], speaker=[])


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
    """Every quotable segment, best first within its code, one per speaker and source, in the bank's columns."""
    located = _segment_units(segments, units)
    labels = speaker_labels(units)
    label_of = dict(zip(zip(units["source_id"], units["speaker"], strict=True), labels, strict=True))
    located["speaker_label"] = [
        label_of.get((s, p), "") for s, p in zip(located["source_id"], located["speaker"], strict=True)
    ]
    located["manual"] = ~located["coder"].isin(["rules", "machine"])
    located["participant"] = ~located["speaker"].astype(str).map(_is_role)
    located["length"] = located["quote"].str.len()
    located = located[located["length"] <= max_length]
    located = located.sort_values(
        ["code_id", "participant", "manual", "length"], ascending=[True, False, False, False], kind="stable"
    )
    located = located.drop_duplicates(["code_id", "source_id", "speaker_label"])
    names = {c.id: c.name for c in codebook.codes}
    dims = {c.id: c.dimension for c in codebook.codes}
    out = pd.DataFrame(
        {
            "dimension": located["code_id"].map(dims),
            "code_id": located["code_id"],
            "code": located["code_id"].map(names),
            # a quote from an action list loses its bullet or number: "3. Test evening support" -> "Test ..."
            "quote": located["quote"].str.strip().str.replace(_LIST_MARK, "", regex=True),
            "speaker": located["speaker_label"],
            "source": located["source_id"].map(lambda s: sources[s].name if s in sources else s),
        }
    )
    for attribute in attributes:
        out[attribute] = located["source_id"].map(lambda s, a=attribute: sources[s].attributes.get(a, ""))
    return out


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
    """The best quotes per code: participants' words before facilitators' summaries, manual codings before
    automatic ones, then the longest, one quote per speaker.

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
    """Needs, barriers, aspirations, fears (…): codes ranked by how often they were raised, per dimension.

    Takes :func:`code_counts` (without ``by``); ``rank`` is 1 for the most raised code of its dimension.
    """
    table = counts[counts["segments"] > 0].copy()
    order = {d: i for i, d in enumerate(codebook.dimensions)}
    table["rank"] = table.groupby("dimension")["segments"].rank(method="first", ascending=False).astype("int64")
    table = table.sort_values(["dimension", "rank"], key=lambda s: s.map(order) if s.name == "dimension" else s)
    return table[["dimension", "rank", "code_id", "name", "theme", "segments", "sources", "participants"]].reset_index(
        drop=True
    )


def summary_chart(summary: pd.DataFrame, codebook: Codebook, *, title: str, top: int = 6) -> object:
    """Print chart of :func:`dimension_summary`: one panel per dimension, its most raised codes as bars.

    Bars are coloured with each code's codebook colour and labelled with the number of coded segments.
    Returns a matplotlib figure (A4 portrait) for :func:`circles.figures.print_maps.save_print_map`-style saving.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dimensions = [d for d in codebook.dimensions if d in set(summary["dimension"])]
    fig, axes = plt.subplots(max(len(dimensions), 1), 1, figsize=(8.27, 11.69), layout="constrained", squeeze=False)
    colours = {c.id: c.colour for c in codebook.codes}
    for ax, dimension in zip(axes[:, 0], dimensions, strict=False):
        rows = summary[summary["dimension"] == dimension].nsmallest(top, "rank").iloc[::-1]
        ax.barh(rows["name"], rows["segments"], color=[colours.get(c, "#808080") for c in rows["code_id"]])
        for y, value in enumerate(rows["segments"]):
            ax.text(value, y, f" {value}", va="center", fontsize=8)
        ax.set_title(
            dimension.capitalize() + "s" if not dimension.endswith("s") else dimension.capitalize(),
            loc="left",
            fontsize=11,
            fontweight="bold",
        )
        ax.tick_params(labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlabel("coded segments", fontsize=8)
    fig.suptitle(title, x=0.02, ha="left", fontsize=13, fontweight="bold")
    return fig
