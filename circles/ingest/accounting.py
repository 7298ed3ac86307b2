"""Row accounting: every input row is accepted or quarantined, never lost.

Each record carries a ``source_row`` id (``"file.csv:12"`` for line 12 of that file, or ``"book.xlsx!Sheet1:7"``)
from the moment it is read. After each stage :func:`check_partition` proves that the ids going in are exactly
the ids coming out plus the ids quarantined — no id lost, none duplicated, none invented — and a
:class:`Ledger` keeps the figures for the run manifest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from circles.errors import AccountingError

__all__ = ["ROW_ID", "QUARANTINE_COLUMNS", "StageAccount", "Ledger", "check_partition", "quarantine_frame"]

ROW_ID = "source_row"
#: Columns of every quarantine table.
QUARANTINE_COLUMNS = ["stage", "file", ROW_ID, "field", "reason", "message"]


@dataclass(frozen=True)
class StageAccount:
    """Rows in and out of one stage for one source file."""

    stage: str
    file: str
    read: int
    accepted: int
    quarantined: int

    @property
    def balanced(self) -> bool:
        return self.read == self.accepted + self.quarantined


@dataclass
class Ledger:
    """Collects :class:`StageAccount` entries for the manifest."""

    entries: list[StageAccount] = field(default_factory=list)

    def record(
        self, stage: str, ids_in: pd.Series, accepted: pd.Series, quarantined: pd.Series, files: pd.Series | None = None
    ) -> None:
        """Check the partition for ``stage`` and record it per file (``files`` maps ids to their file)."""
        (id_codes, accepted_codes, quarantined_codes), n = _id_codes(ids_in, accepted, quarantined)
        if not _partitions(id_codes, accepted_codes, quarantined_codes, n):
            check_partition(stage, ids_in, accepted, quarantined)  # names the problem
        labels = np.full(len(id_codes), "all", dtype=object) if files is None else pd.Series(files).to_numpy()
        codes, names = pd.factorize(labels)
        # each id's position in ids_in (the ids partition exactly, so every accepted or quarantined id is found)
        position = np.zeros(n, dtype=np.int64)
        position[id_codes] = np.arange(len(id_codes))
        counts = [
            np.bincount(codes[positions], minlength=len(names))
            for positions in (np.arange(len(id_codes)), position[accepted_codes], position[quarantined_codes])
        ]
        for i in sorted(range(len(names)), key=lambda i: str(names[i])):
            self.entries.append(
                StageAccount(
                    stage=stage,
                    file=str(names[i]),
                    read=int(counts[0][i]),
                    accepted=int(counts[1][i]),
                    quarantined=int(counts[2][i]),
                )
            )

    def as_records(self) -> list[dict]:
        return [asdict(e) | {"balanced": e.balanced} for e in self.entries]

    def totals(self) -> dict[str, dict[str, int]]:
        """Per stage: rows read, accepted and quarantined over all files."""
        out: dict[str, dict[str, int]] = {}
        for e in self.entries:
            t = out.setdefault(e.stage, {"read": 0, "accepted": 0, "quarantined": 0})
            t["read"] += e.read
            t["accepted"] += e.accepted
            t["quarantined"] += e.quarantined
        return out


def check_partition(stage: str, ids_in: pd.Series, accepted: pd.Series, quarantined: pd.Series) -> None:
    """Raise :class:`AccountingError` unless ``accepted`` and ``quarantined`` partition ``ids_in`` exactly.

    Examples
    --------
    >>> import pandas as pd
    >>> check_partition("geocode", pd.Series(["a:2", "a:3"]), pd.Series(["a:2"]), pd.Series(["a:3"]))
    >>> check_partition("geocode", pd.Series(["a:2", "a:3"]), pd.Series(["a:2"]), pd.Series([], dtype=str))
    Traceback (most recent call last):
    ...
    circles.errors.AccountingError: Stage 'geocode' lost 1 row(s) (read 2 = accepted 1 + quarantined 0 fails): a:3
    """
    codes, n = _id_codes(ids_in, accepted, quarantined)
    if _partitions(*codes, n):
        return
    ids_in, accepted, quarantined = (pd.Index(pd.Series(s).astype(str)) for s in (ids_in, accepted, quarantined))
    problems = []
    for label, ids in (("input", ids_in), ("accepted", accepted), ("quarantined", quarantined)):
        if ids.has_duplicates:
            problems.append(f"repeats {label} row id(s) {', '.join(ids[ids.duplicated()].unique()[:5])}")
    both = accepted.intersection(quarantined)
    if len(both):
        problems.append(f"both accepted and quarantined: {', '.join(both[:5])}")
    out = accepted.union(quarantined)
    lost = ids_in.difference(out)
    extra = out.difference(ids_in)
    if len(extra):
        problems.append(f"invented {len(extra)} row(s): {', '.join(extra[:5])}")
    if len(lost):
        problems.append(
            f"lost {len(lost)} row(s) (read {len(ids_in)} = accepted {len(accepted)} + quarantined "
            f"{len(quarantined)} fails): {', '.join(lost[:5])}"
        )
    if problems:
        raise AccountingError(f"Stage {stage!r} " + "; ".join(problems))


def _id_codes(*ids: pd.Series) -> tuple[list[np.ndarray], int]:
    """The ids of each series as integer codes over all of them (compared as text), and how many distinct ids."""
    texts = [pd.Series(s).astype(str) for s in ids]
    codes, uniques = pd.factorize(pd.concat(texts, ignore_index=True), use_na_sentinel=False)
    return np.split(codes, np.cumsum([len(t) for t in texts])[:-1]), len(uniques)


def _partitions(ids_in: np.ndarray, accepted: np.ndarray, quarantined: np.ndarray, n: int) -> bool:
    """Whether ``accepted`` and ``quarantined`` (codes of ``n`` ids) partition ``ids_in`` exactly: each id once, in one.

    Counting codes is the quick test of every stage; :func:`check_partition` names what is wrong when it fails.
    """
    counts = [np.bincount(c, minlength=n) for c in (ids_in, accepted, quarantined)]
    if any((c > 1).any() for c in counts):
        return False
    return bool(((counts[1] + counts[2]) == counts[0]).all())


def quarantine_frame(
    stage: str,
    rows: pd.DataFrame,
    *,
    field: str,
    reason: str,
    message: pd.Series | str,
    file_column: str = "source_file",
) -> pd.DataFrame:
    """Build quarantine entries for ``rows`` (which carry ``source_row`` and ``source_file``)."""
    return pd.DataFrame(
        {
            "stage": stage,
            "file": rows[file_column].astype(str).to_numpy(),
            ROW_ID: rows[ROW_ID].astype(str).to_numpy(),
            "field": field,
            "reason": reason,
            "message": message.to_numpy() if isinstance(message, pd.Series) else message,
        },
        columns=QUARANTINE_COLUMNS,
    )
