from __future__ import annotations

import pandas as pd
import pytest

from circles.io.writers import atomic_path, neutralise_formulas, write_csv


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("new")
        raise RuntimeError
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_formula_injection_is_neutralised_but_numbers_are_not(tmp_path):
    frame = pd.DataFrame({"text": ['=HYPERLINK("x")', "+1", "-cmd", "@SUM(A1)", "plain"], "n": [-1, 2, 3, 4, 5]})
    out = neutralise_formulas(frame)
    assert out["text"].tolist() == ['\'=HYPERLINK("x")', "'+1", "'-cmd", "'@SUM(A1)", "plain"]
    assert out["n"].tolist() == [-1, 2, 3, 4, 5]
    write_csv(frame, tmp_path / "t.csv")
    assert "'=HYPERLINK" in (tmp_path / "t.csv").read_text()
