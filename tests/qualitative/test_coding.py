from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from circles.qualitative.analysis import (
    code_counts,
    cooccurrence,
    dimension_summary,
    quote_bank,
    speaker_labels,
    summary_chart,
)
from circles.qualitative.coding import (
    CodingError,
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
from circles.qualitative.model import Code, Codebook, Source, make_segments

BOOK = Codebook(
    (
        Code("ASP01", "stop drinking", "aspiration"),
        Code("BAR01", "help only at crisis point", "barrier"),
        Code("BAR02", "support only 9 to 5", "barrier"),
        Code("FEAR01", "relapse", "fear"),
    )
)
TEXT = (
    "Facilitator: What would help?\n"
    "Parent A: I want to stop drinking. Help only comes at crisis point.\n"
    "Parent B: Nobody answers after five. It is all 9 to 5.\n"
    "Parent A: I am scared of relapse.\n"
)
SOURCE = Source("w1", "Workshop 1", TEXT, {"workshop": "parents"})
SOURCES = {"w1": SOURCE}


def _units(source: Source = SOURCE) -> pd.DataFrame:
    """Turns of the test source, built by hand: speaker, start and end of each line's text."""
    rows, position = [], 0
    for i, line in enumerate(source.text.splitlines(keepends=True)):
        speaker, _, said = line.partition(": ")
        start = position + len(speaker) + 2
        rows.append(
            {
                "source_id": source.id,
                "unit_id": i,
                "start": start,
                "end": position + len(line.rstrip("\n")),
                "text": said.rstrip("\n"),
                "speaker": speaker,
            }
        )
        position += len(line)
    return pd.DataFrame(rows)


def test_codings_by_offsets_and_by_quote(tmp_path):
    by_offsets = tmp_path / "a.csv"
    start = TEXT.index("stop drinking")
    by_offsets.write_text(f"source,start,end,code,coder,memo\nw1,{start},{start + 13},ASP01,jb,clear\n")
    by_quote = tmp_path / "b.csv"
    by_quote.write_text("source,quote,code,coder\nw1,scared of relapse,FEAR01,ak\n")
    a, b = read_codings(by_offsets, SOURCES, BOOK), read_codings(by_quote, SOURCES, BOOK)
    assert a.loc[0, ["quote", "coder", "memo", "status"]].tolist() == ["stop drinking", "jb", "clear", "accepted"]
    assert b.loc[0, "start"] == TEXT.index("scared of relapse") and b.loc[0, "quote"] == "scared of relapse"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "source,start,end,code,coder\nw2,0,5,ASP01,jb\n",
            r"line 2, column 'source': no source 'w2'\.",
        ),
        (
            "source,start,end,code,coder\nw1,0,5,ASP1,jb\n",
            r"line 2, column 'code': no code 'ASP1'.*Did you mean 'ASP01'",
        ),
        ("source,start,end,code,coder\nw1,5,5000,ASP01,jb\n", r"line 2: start 5 and end 5000 must satisfy"),
        ("source,quote,code,coder\nw1,never said,ASP01,jb\n", r"line 2, column 'quote': 'never said' occurs 0 time"),
        ("source,begin,end,code,coder\nw1,0,5,ASP01,jb\n", r"no column 'start'"),
    ],
)
def test_bad_codings_name_the_line(tmp_path, content, message):
    path = tmp_path / "c.csv"
    path.write_text(content)
    with pytest.raises(CodingError, match=message):
        read_codings(path, SOURCES, BOOK)


def test_rules_preview_then_apply(tmp_path):
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(
        "rules:\n  - {code: BAR01, keywords: [crisis point]}\n  - {code: BAR02, pattern: '9\\s*(to|-)\\s*5'}\n"
        "  - {code: FEAR01, keywords: [relapse, slip back]}\n"
    )
    rules = read_rules(rules_file, BOOK)
    preview = preview_rules(_units(), rules)
    assert preview[["unit_id", "code_id", "matched"]].values.tolist() == [
        [1, "BAR01", "crisis point"],
        [2, "BAR02", "9 to 5"],
        [3, "FEAR01", "relapse"],
    ]
    coded = apply_rules(preview.iloc[:2], SOURCES)  # a person may drop rows from the preview first
    assert coded["coder"].tolist() == ["rules", "rules"] and coded["code_id"].tolist() == ["BAR01", "BAR02"]
    assert coded.loc[1, "quote"] == "Nobody answers after five. It is all 9 to 5."


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("rules:\n  - {code: BAR9, keywords: [x]}\n", r"rule 1: no code 'BAR9'"),
        ("rules:\n  - {code: BAR01, pattern: '(unclosed'}\n", r"rule 1 \(BAR01\): the pattern is not a valid"),
        ("rules:\n  - {code: BAR01, keyword: [x]}\n", r"unknown key 'keyword'. Did you mean 'keywords'"),
    ],
)
def test_bad_rules(tmp_path, rules, message):
    path = tmp_path / "r.yaml"
    path.write_text(rules)
    with pytest.raises(CodingError, match=message):
        read_rules(path, BOOK)


def test_unit_labels_by_overlap():
    units = _units()
    seg = code_text(SOURCE, "stop drinking", "ASP01", BOOK, coder="jb")
    labels = unit_labels(units, seg, BOOK.ids)
    assert labels["ASP01"].tolist() == [0, 1, 0, 0]  # a short quote inside a turn labels that turn
    assert labels.drop(columns="ASP01").to_numpy().sum() == 0


def _corpus(n: int = 60, seed: int = 3) -> tuple[dict[str, Source], pd.DataFrame]:
    """Two sources of the same kind of talk: ``coded`` coded in full by hand, ``new`` not coded at all."""
    rng = np.random.default_rng(seed)
    banks = {
        "ASP01": [
            "I want to stop drinking for good",
            "stopping the drink is my goal",
            "no more drinking for me",
            "giving up alcohol matters most",
        ],
        "BAR01": [
            "they only help at crisis point",
            "you have to hit crisis before anyone comes",
            "help arrives when it is a crisis",
            "only in a crisis do they listen",
        ],
        "": ["the weather was grim", "we had tea and biscuits", "the bus was late again", "my sister visited"],
    }
    sources, rows = {}, []
    for name in ("coded", "new"):
        kinds = [list(banks)[i % 3] for i in range(n)]
        text = "".join(f"Parent {i}: {banks[k][rng.integers(0, 4)]}.\n" for i, k in enumerate(kinds))
        sources[name] = Source(name, name, text)
        if name == "coded":
            for unit, kind in zip(_units(sources[name]).itertuples(), kinds, strict=True):
                if kind:
                    rows.append(
                        {"source_id": name, "start": unit.start, "end": unit.end, "code_id": kind, "coder": "jb"}
                    )
    return sources, make_segments(rows, sources)


def test_machine_suggestions_learn_quality_is_reported_and_coded_units_are_skipped():
    sources, manual = _corpus()
    units = pd.concat([_units(sources["coded"]), _units(sources["new"])], ignore_index=True)
    model = train_suggester(units, manual, BOOK, min_examples=5, folds=5)
    quality = model.quality.set_index("code_id")
    assert set(model.codes) == {"ASP01", "BAR01"}
    assert quality.loc["ASP01", "precision"] >= 0.9 and quality.loc["ASP01", "recall"] >= 0.9
    assert quality.loc["BAR02", "note"] == "too few coded units to learn from"
    suggestions = suggest_codes(model, units, sources, threshold=0.5, existing=manual)
    assert (suggestions["coder"] == "machine").all() and (suggestions["status"] == "suggested").all()
    assert (suggestions["probability"] >= 0.5).all()
    # units already coded are not suggested again; what is suggested is right
    assert set(suggestions["source_id"]) == {"new"}
    texts = suggestions["quote"].str.lower()
    asp = texts[suggestions["code_id"] == "ASP01"]
    assert len(asp) >= 5 and asp.str.contains("drink|alcohol").all()
    queue = review_queue(suggestions, n=3)
    assert len(queue) == 3 and (queue["status"] == "suggested").all()
    # the least certain suggestion comes first (diversity only orders the ones after it)
    assert (
        queue["probability"].iloc[0]
        == suggestions.loc[(suggestions["probability"] - 0.5).abs().idxmin(), "probability"]
    )
    decided = reject(accept(suggestions, queue.index[:1]), queue.index[1:2])
    assert decided.loc[queue.index[0], "status"] == "accepted" and decided.loc[queue.index[1], "status"] == "rejected"


def test_too_little_coding_to_learn_from():
    with pytest.raises(CodingError, match="code more text"):
        train_suggester(_units(), code_text(SOURCE, "relapse", "FEAR01", BOOK, coder="jb"), BOOK)


def _coded() -> pd.DataFrame:
    return pd.concat(
        [
            code_text(SOURCE, "stop drinking", "ASP01", BOOK, coder="jb"),
            code_text(SOURCE, "Help only comes at crisis point", "BAR01", BOOK, coder="jb"),
            code_text(SOURCE, "It is all 9 to 5", "BAR02", BOOK, coder="rules"),
            code_text(SOURCE, "scared of relapse", "FEAR01", BOOK, coder="jb"),
            code_text(SOURCE, "What would help?", "BAR01", BOOK, coder="jb"),
        ],
        ignore_index=True,
    )


def test_counts_name_no_one_and_list_every_code():
    counts = code_counts(_coded(), _units(), SOURCES, BOOK).set_index("code_id")
    assert counts.loc["BAR01", ["segments", "sources", "participants"]].tolist() == [
        2,
        1,
        1,
    ]  # facilitator no participant
    assert counts.loc["ASP01", "participants"] == 1 and list(counts.index) == list(BOOK.ids)
    by = code_counts(_coded(), _units(), SOURCES, BOOK, by="workshop")
    assert set(by["workshop"].dropna()) == {"parents"}


def test_cooccurrence_and_summary():
    pairs = cooccurrence(_coded(), _units(), BOOK)
    assert pairs[["code_a", "code_b", "units_with_both", "jaccard"]].values.tolist() == [["ASP01", "BAR01", 1, 0.5]]
    summary = dimension_summary(code_counts(_coded(), _units(), SOURCES, BOOK), BOOK)
    # dimensions in the codebook's order (need, barrier, aspiration, fear...), codes by how often raised
    assert summary[["dimension", "rank", "code_id"]].values.tolist() == [
        ["barrier", 1, "BAR01"],
        ["barrier", 2, "BAR02"],
        ["aspiration", 1, "ASP01"],
        ["fear", 1, "FEAR01"],
    ]


def test_quote_bank_uses_labels_not_names():
    units = _units()
    units.loc[1, "speaker"] = "Jane Doe"  # a real name as a speaker must never reach the quote bank
    bank = quote_bank(_coded(), units, SOURCES, BOOK, attributes=["workshop"])
    assert "Jane Doe" not in bank.to_csv()
    assert set(bank["speaker"]) <= {"Participant 1", "Participant 2", "Participant 3", "Facilitator"}
    # the whole sentence, with the one after it for context (it is short)
    assert bank.loc[bank["code_id"] == "ASP01", "quote"].tolist() == [
        "I want to stop drinking. Help only comes at crisis point."
    ]
    assert speaker_labels(units).tolist()[:2] == ["Facilitator", "Participant 1"]


def test_summary_chart_has_a_panel_per_dimension_with_the_codes_as_bars():
    summary = dimension_summary(code_counts(_coded(), _units(), SOURCES, BOOK), BOOK)
    figure = summary_chart(summary, BOOK, title="Raised")
    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert titles == ["Barriers", "Aspirations", "Fears"]
    barrier_bars = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert barrier_bars == ["support only 9 to 5", "help only at crisis point"]  # most raised at the top


@pytest.mark.parametrize("medium", ["print", "large", "wall"])
def test_summary_chart_title_with_its_synthetic_mark_stays_on_the_page(medium):
    summary = dimension_summary(code_counts(_coded(), _units(), SOURCES, BOOK), BOOK)
    title = "Needs, barriers, aspirations and fears raised — SYNTHETIC DATA, not real people"
    figure = summary_chart(summary, BOOK, title=title, medium=medium)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)  # the constrained layout, as saving does
    box = figure._suptitle.get_window_extent(renderer)
    assert 0 <= box.x0 and box.x1 <= figure.bbox.x1  # the whole title, "not real people" included, is printed
    assert figure._suptitle.get_text().replace("\n", " ") == title
