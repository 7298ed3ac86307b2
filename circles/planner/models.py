"""The planner's tables (SQLAlchemy 2, declarative with typed columns); Alembic migrations create them.

A **family** has members, consents, issues (captured as they come to light, with who raised them and when), plan
items (a service against an issue: suggested → referred → engaged → ended), the family's own goals and its
progress scores (a wellbeing self-rating per area, 1–10, over time). Names, dates of birth, addresses and notes
are :class:`Sealed` (AES-GCM with a key outside the database); area codes (ward, LSOA, MSOA) are kept in clear for
analysis, the postcode only sealed inside the address. Users have one role; the audit log is append-only (the
migration adds triggers that refuse UPDATE and DELETE on it, on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from circles.errors import PlannerError

__all__ = [
    "ROLES",
    "STATUSES",
    "AuditEntry",
    "Base",
    "Consent",
    "Family",
    "FamilyIssue",
    "FamilyShare",
    "Goal",
    "Member",
    "PlanEvent",
    "PlanItem",
    "ProgressScore",
    "Sealed",
    "Service",
    "Team",
    "User",
    "WebSession",
    "new_id",
    "utcnow",
]

#: The four roles: an advisor works a caseload, a manager sees their team's, an analyst sees aggregates only, an
#: admin manages users and the directory (never family records).
ROLES = ("advisor", "manager", "analyst", "admin")

#: A plan item's statuses, in order.
STATUSES = ("suggested", "referred", "engaged", "ended")

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, in UTC, to the second (what every timestamp column holds)."""
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None)


def new_id() -> str:
    """A random identifier (32 hex digits) for a family: not guessable, not a count of families."""
    return uuid.uuid4().hex


class Sealed(TypeDecorator):
    """Text stored encrypted: the engine's cipher (``engine.dialect.circles_cipher``) seals it for its column.

    The database sees only bytes; reading the column gives the text back. An engine made without a cipher
    (``circles.planner.db.connect``) refuses to read or write a sealed column rather than store it in clear.
    """

    impl = LargeBinary
    cache_ok = True

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def _cipher(self, dialect: Any):
        cipher = getattr(dialect, "circles_cipher", None)
        if cipher is None:
            raise PlannerError("This database connection has no planner key: open it with circles.planner.db.connect.")
        return cipher

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        if value is None:
            return None
        return self._cipher(dialect).seal(str(value), self.column)

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return self._cipher(dialect).open(bytes(value), self.column)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)


class Team(Base):
    __tablename__ = "team"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    team: Mapped[Team | None] = relationship()


class WebSession(Base):
    """A server-side session: the cookie holds a random token; the table holds its SHA-256, never the token."""

    __tablename__ = "web_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class Family(Base):
    __tablename__ = "family"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(Sealed("family.name"))
    address: Mapped[str | None] = mapped_column(Sealed("family.address"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    # from geocoding the postcode (the postcode itself is kept only inside the sealed address)
    ward_code: Mapped[str | None] = mapped_column(String(9))
    lsoa_code: Mapped[str | None] = mapped_column(String(9))
    msoa_code: Mapped[str | None] = mapped_column(String(9))
    lead_practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    members: Mapped[list[Member]] = relationship(back_populates="family", cascade="all, delete-orphan")
    consents: Mapped[list[Consent]] = relationship(cascade="all, delete-orphan")
    issues: Mapped[list[FamilyIssue]] = relationship(cascade="all, delete-orphan", order_by="FamilyIssue.raised_at")
    plan_items: Mapped[list[PlanItem]] = relationship(cascade="all, delete-orphan", order_by="PlanItem.id")
    goals: Mapped[list[Goal]] = relationship(cascade="all, delete-orphan", order_by="Goal.id")
    scores: Mapped[list[ProgressScore]] = relationship(
        cascade="all, delete-orphan", order_by="ProgressScore.recorded_at"
    )
    shares: Mapped[list[FamilyShare]] = relationship(cascade="all, delete-orphan")


class FamilyShare(Base):
    """A family shared with another advisor (who may then read and change it)."""

    __tablename__ = "family_share"
    __table_args__ = (UniqueConstraint("family_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("family.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)


class Member(Base):
    __tablename__ = "member"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("family.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Sealed("member.name"))
    date_of_birth: Mapped[str | None] = mapped_column(Sealed("member.date_of_birth"))
    relationship_to_family: Mapped[str] = mapped_column(String(40), default="")
    # the age band (the pipeline's bands) is kept in clear for analysis and export; the date of birth is sealed
    age_band: Mapped[str | None] = mapped_column(String(8))

    family: Mapped[Family] = relationship(back_populates="members")


class Consent(Base):
    """Consent recorded with its date and scope (what may be shared, with whom); withdrawn consent keeps its row."""

    __tablename__ = "consent"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("family.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(200))
    given_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class FamilyIssue(Base):
    """An issue as it came to light: a plain-language issue code, who raised it, when, and an optional note."""

    __tablename__ = "family_issue"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("family.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    issue_code: Mapped[str] = mapped_column(String(40), index=True)
    raised_by: Mapped[str] = mapped_column(String(80), default="")
    raised_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(Sealed("family_issue.note"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)


class PlanItem(Base):
    """A service in the family's plan against an issue, with its status, owner, review date and notes."""

    __tablename__ = "plan_item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("family.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("family_issue.id", ondelete="SET NULL"))
    service_id: Mapped[str] = mapped_column(String(120), index=True)
    service_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="suggested")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    review_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Sealed("plan_item.notes"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    # loaded with the items (one query for all of a family's items, not one per item)
    events: Mapped[list[PlanEvent]] = relationship(
        cascade="all, delete-orphan", order_by="PlanEvent.at", lazy="selectin"
    )


class PlanEvent(Base):
    """Each change of a plan item's status, when and by whom (time from issue to engaged comes from these)."""

    __tablename__ = "plan_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_item_id: Mapped[int] = mapped_column(ForeignKey("plan_item.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Goal(Base):
    """The family's own goal (an aspiration), in its own words."""

    __tablename__ = "goal"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("family.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    area: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Sealed("goal.text"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ProgressScore(Base):
    """A wellbeing self-rating (1–10) for one area, as the family scored it on a date."""

    __tablename__ = "progress_score"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("family.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    area: Mapped[str] = mapped_column(String(40))
    score: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Service(Base):
    """A service of the directory, as imported (HSDS, Open Referral UK or YAML), ready to search."""

    __tablename__ = "service"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    taxonomy: Mapped[list[str]] = mapped_column(JSON, default=list)
    postcode: Mapped[str] = mapped_column(String(8), default="")  # a service's site: not personal data
    easting: Mapped[float | None] = mapped_column()
    northing: Mapped[float | None] = mapped_column()
    hours: Mapped[str] = mapped_column(Text, default="")
    evenings: Mapped[bool] = mapped_column(Boolean, default=False)
    weekends: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int | None] = mapped_column(Integer)


class AuditEntry(Base):
    """One read or write of a family record (or a user or directory change): who, when, what. Append-only."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    detail: Mapped[str] = mapped_column(Text, default="")
