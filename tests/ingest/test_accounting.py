from __future__ import annotations

import pandas as pd
import pytest

from circles.errors import AccountingError
from circles.ingest.accounting import Ledger, check_partition

IDS = pd.Series(["a:2", "a:3", "b:2"])


def test_exact_partition_passes_and_is_recorded_per_file():
    ledger = Ledger()
    ledger.record("geocode", IDS, pd.Series(["a:2", "b:2"]), pd.Series(["a:3"]), pd.Series(["a", "a", "b"]))
    assert [(e.file, e.read, e.accepted, e.quarantined) for e in ledger.entries] == [("a", 2, 1, 1), ("b", 1, 1, 0)]
    assert ledger.totals() == {"geocode": {"read": 3, "accepted": 2, "quarantined": 1}}
    assert all(r["balanced"] for r in ledger.as_records())


@pytest.mark.parametrize(
    ("accepted", "quarantined", "message"),
    [
        (["a:2"], ["a:3"], "lost 1 row"),
        (["a:2", "a:3", "b:2"], ["a:3"], "both accepted and quarantined"),
        (["a:2", "a:3", "b:2", "c:9"], [], "invented 1 row"),
        (["a:2", "a:2", "a:3", "b:2"], [], "repeats accepted"),
    ],
)
def test_broken_partitions_raise(accepted, quarantined, message):
    with pytest.raises(AccountingError, match=message):
        check_partition("x", IDS, pd.Series(accepted, dtype=str), pd.Series(quarantined, dtype=str))
