"""The planner's audit log: every read and write of a family record, sign-in and admin change; who, when, what.

Entries are only ever added (the database refuses UPDATE and DELETE on the table: see the first migration).
They hold identifiers and actions, never personal data: an erased family leaves its entries, and they name no one.
Admins export the log as CSV (:func:`export_audit`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.planner.models import AuditEntry, User

__all__ = ["AUDIT_COLUMNS", "export_audit", "record"]

AUDIT_COLUMNS = ("id", "at", "user_id", "username", "action", "object_type", "object_id", "outcome", "detail")


def record(
    session: Session,
    user: User | None,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    detail: str = "",
    *,
    outcome: str = "ok",
) -> AuditEntry:
    """Add one entry (flushed with the session's other changes, so a failed change leaves none)."""
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else "",
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        outcome=outcome,
        detail=detail[:500],
    )
    session.add(entry)
    return entry


def export_audit(session: Session, path: str | Path) -> int:
    """Write the whole log to ``path`` as CSV, oldest first, formulas neutralised; returns the number of entries."""
    import pandas as pd

    from circles.io.writers import write_csv

    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    table = pd.DataFrame([[getattr(row, c) for c in AUDIT_COLUMNS] for row in rows], columns=list(AUDIT_COLUMNS))
    write_csv(table, Path(path))
    return len(rows)
