"""Typed ORM tables. Entity tables carry exactly the columns of ``features.schema``.

Only portable types are used (String, Text, Integer, BigInteger, Float, Boolean, Date,
naive DateTime, JSON) so that SQLite and PostgreSQL behave the same. Text columns of entity
tables are NOT NULL with "" for "absent", which is what ``features.schema.conform`` produces.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY autoincrements.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Naive UTC now (columns are ``DateTime(timezone=False)`` and hold UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy reads it as a class attr
        str: String(),
        int: Integer(),
        float: Float(),
        bool: Boolean(),
        dt.date: Date(),
        dt.datetime: DateTime(timezone=False),
    }


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class (for bulk inserts and selects without the ORM)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


# ----------------------------------------------------------------------------- reference
class City(Base):
    """A prefecture-level city or Shanghai district, with its official pairing partner."""

    __tablename__ = "cities"
    city_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    short_name: Mapped[str] = mapped_column(String(32), default="")
    name_en: Mapped[str] = mapped_column(String(64), default="")
    province: Mapped[str] = mapped_column(String(32), default="")
    level: Mapped[str] = mapped_column(String(16), default="")
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    role: Mapped[str] = mapped_column(String(16), default="")
    partner_code: Mapped[str] = mapped_column(String(6), default="")


class Industry(Base):
    """A GB/T 4754-2017 code at any level (section letter to 4-digit class)."""

    __tablename__ = "industries"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    level: Mapped[int]
    section: Mapped[str] = mapped_column(String(1), default="")
    division: Mapped[str] = mapped_column(String(2), default="")
    name: Mapped[str] = mapped_column(String(128))
    remark: Mapped[str] = mapped_column(Text, default="")


class IoSector(Base):
    """A sector of the 42-sector national input-output table."""

    __tablename__ = "io_sectors"
    io_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128), default="")


class Chain(Base):
    """An industry chain (产业链) of the programme."""

    __tablename__ = "chains"
    chain_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128), default="")


class ChainNode(Base):
    """A node of a chain; tier 0 is the most upstream."""

    __tablename__ = "chain_nodes"
    node_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    chain_id: Mapped[str] = mapped_column(ForeignKey("chains.chain_id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    tier: Mapped[int] = mapped_column(default=0)
    gbt_classes: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(Text, default="")


class ChainEdge(Base):
    """``src`` supplies ``dst`` within ``chain_id``."""

    __tablename__ = "chain_edges"
    src: Mapped[str] = mapped_column(ForeignKey("chain_nodes.node_id"), primary_key=True)
    dst: Mapped[str] = mapped_column(ForeignKey("chain_nodes.node_id"), primary_key=True)
    chain_id: Mapped[str] = mapped_column(ForeignKey("chains.chain_id"), index=True)


# ----------------------------------------------------------------------------- entities
class Enterprise(Base):
    """A firm; columns of ``features.schema.ENTERPRISE``."""

    __tablename__ = "enterprises"
    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    city_code: Mapped[str] = mapped_column(String(6), index=True)
    industry_code: Mapped[str] = mapped_column(String(8), index=True)
    products: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(String(64), default="")
    inputs: Mapped[str] = mapped_column(Text, default="")
    chain_nodes: Mapped[str] = mapped_column(Text, default="")
    employees: Mapped[int | None]
    revenue_wan: Mapped[float | None]
    founded: Mapped[int | None]
    is_leading: Mapped[bool] = mapped_column(default=False, index=True)
    srdi_level: Mapped[str] = mapped_column(String(16), default="none")
    is_high_tech: Mapped[bool] = mapped_column(default=False)
    listed: Mapped[bool] = mapped_column(default=False)
    # registry-export fields (migration 0003)
    status: Mapped[str] = mapped_column(
        String(16), default="active", server_default="active", index=True
    )
    founded_on: Mapped[dt.date | None]
    registered_capital_wan: Mapped[float | None]
    capital_currency: Mapped[str] = mapped_column(String(3), default="", server_default="")
    size_band: Mapped[str] = mapped_column(String(8), default="", server_default="")
    chain_nodes_source: Mapped[str] = mapped_column(String(8), default="", server_default="")


class Park(Base):
    """A Wanbei development zone or co-built park; columns of ``features.schema.PARK``."""

    __tablename__ = "parks"
    park_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    city_code: Mapped[str] = mapped_column(String(6), index=True)
    leading_industries: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(32), default="")
    partner_city_code: Mapped[str] = mapped_column(String(6), default="")
    area_ha: Mapped[float | None]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    chain_nodes: Mapped[str] = mapped_column(Text, default="")


class Need(Base):
    """What a leading firm or a park seeks; columns of ``features.schema.NEED``."""

    __tablename__ = "needs"
    need_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(16))
    # uscc or park_id, so no foreign key
    owner_id: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text)
    chain_nodes: Mapped[str] = mapped_column(Text, default="")
    industry_code: Mapped[str] = mapped_column(String(8), default="")
    created: Mapped[dt.date | None]


class Event(Base):
    """A matchmaking event; columns of ``features.schema.EVENT``."""

    __tablename__ = "events"
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    date: Mapped[dt.date] = mapped_column(index=True)
    city_code: Mapped[str] = mapped_column(String(6), index=True)
    venue: Mapped[str] = mapped_column(String(256), default="")
    n_slots: Mapped[int | None]
    slot_minutes: Mapped[int | None]
    n_tables: Mapped[int | None]
    theme_chains: Mapped[str] = mapped_column(Text, default="")


class EventParticipant(Base):
    """A firm registered for an event; columns of ``features.schema.PARTICIPANT``."""

    __tablename__ = "event_participants"
    event_id: Mapped[str] = mapped_column(ForeignKey("events.event_id"), primary_key=True)
    uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    min_meetings: Mapped[int | None]
    max_meetings: Mapped[int | None]
    available_slots: Mapped[str] = mapped_column(Text, default="")
    # added by migration 0002; the server default fills rows stored before it
    must_meet: Mapped[str] = mapped_column(Text, default="", server_default="")
    no_meet: Mapped[str] = mapped_column(Text, default="", server_default="")


class Meeting(Base):
    """One planned 1:1 meeting; nobody is in two places in one slot of one plan."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("event_id", "plan_version", "slot", "table_no"),
        UniqueConstraint("event_id", "plan_version", "slot", "leading_uscc"),
        UniqueConstraint("event_id", "plan_version", "slot", "supporting_uscc"),
    )
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.event_id"), index=True)
    plan_version: Mapped[int]
    slot: Mapped[int]
    table_no: Mapped[int]
    leading_uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"))
    supporting_uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"))
    value: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="planned")


class Outcome(Base):
    """One dated funnel step of a (query, candidate) pair; unique on the OUTCOME key."""

    __tablename__ = "outcomes"
    __table_args__ = (
        UniqueConstraint("query_kind", "query_id", "candidate_id", "stage", "date"),
        Index(None, "query_kind", "query_id"),
    )
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    query_kind: Mapped[str] = mapped_column(String(16))
    query_id: Mapped[str] = mapped_column(String(32))
    candidate_id: Mapped[str] = mapped_column(String(32), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(index=True)
    event_id: Mapped[str] = mapped_column(String(64), default="")
    amount_wan: Mapped[float | None]


# ----------------------------------------------------------------------------- operations
class ModelVersion(Base):
    """A trained ranker: at most one ``production`` per kind (enforced by the repository)."""

    __tablename__ = "model_versions"
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="candidate", index=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    path: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")


class ApiKey(Base):
    """An API key; only the sha256 of the secret is stored, ``prefix`` identifies it."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(32))
    city_code: Mapped[str | None] = mapped_column(String(6))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]  # none: never expires
    replaced_by: Mapped[int | None]  # the key issued when this one was rotated


class UserAccount(Base):
    """A person who signs in to the pages: user name, argon2 password hash, role and city.

    ``password_changed_at`` is part of the session cookie's reference, so a new password ends
    every session signed in with the old one; ``disabled_at`` ends them too.
    """

    __tablename__ = "user_accounts"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    city_code: Mapped[str | None] = mapped_column(String(6))
    label: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]  # none: never expires


class AuditEntry(Base):
    """Who did what to which sensitive thing (lists viewed or exported, models promoted,
    sign-ins that failed); written by ``recommender.security.audit``, readable by admins only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "action", "at"), Index(None, "actor", "at"))
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))  # user:NAME, key:ID, cli:OSUSER
    role: Mapped[str] = mapped_column(String(32), default="")
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(512), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client: Mapped[str] = mapped_column(String(64), default="")


class RecommendationLogEntry(Base):
    """One candidate shown in one answer (exposure; feeds exposure caps and retraining)."""

    __tablename__ = "recommendation_log"
    __table_args__ = (Index(None, "query_kind", "query_id"),)
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    shown_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    query_kind: Mapped[str] = mapped_column(String(16))
    query_id: Mapped[str] = mapped_column(String(32))
    candidate_id: Mapped[str] = mapped_column(String(32), index=True)
    rank: Mapped[int]
    score: Mapped[float]
    model_version: Mapped[str] = mapped_column(String(64), default="")


class RetrainJob(Base):
    """A retrain request and its progress (queued → running → succeeded/failed)."""

    __tablename__ = "retrain_jobs"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    message: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[str] = mapped_column(String(64), default="")


# ----------------------------------------------------------------------------- projects
class Project(Base):
    """An investment project of a ledger (台账); columns of ``features.schema.PROJECT``."""

    __tablename__ = "projects"
    # covering indexes of the dashboard's two grouped queries (no table lookups, no sort)
    __table_args__ = (
        Index(
            # city IN (...) and stage IN (签约, 开工, 投产) are equalities and signed_date a
            # range: a planner without statistics (SQLite) still prefers this index for the
            # signed/srdi/list queries, and the covering park index for the park query
            "ix_projects_dash_signed",
            "city_code", "stage", "signed_date", "source_city_code", "agreed_investment_yi",
            "investor_uscc", "project_id",
        ),
        Index(
            "ix_projects_dash_parks",
            "city_code", "park_id", "stage", "signed_date", "agreed_investment_yi",
        ),
        Index(None, "park_id", "investor_uscc"),
    )  # fmt: skip
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    investor_name: Mapped[str] = mapped_column(String(256))
    investor_uscc: Mapped[str] = mapped_column(String(18), default="")
    city_code: Mapped[str] = mapped_column(String(6), default="")
    park_id: Mapped[str] = mapped_column(String(32), default="")
    source_city_code: Mapped[str] = mapped_column(String(6), default="")
    industry: Mapped[str] = mapped_column(String(128), default="")
    chain_nodes: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(16), index=True)
    stage_date: Mapped[dt.date]
    signed_date: Mapped[dt.date | None]
    agreed_investment_yi: Mapped[float | None]
    fixed_asset_yi: Mapped[float | None]
    land_mu: Mapped[float | None]
    contact: Mapped[str] = mapped_column(String(128), default="")
    source_list: Mapped[str] = mapped_column(String(128), default="")
    model_version: Mapped[str] = mapped_column(String(64), default="")


class ProjectStage(Base):
    """One dated step of a project's stage history (a stage may be reached again later)."""

    __tablename__ = "project_stages"
    __table_args__ = (UniqueConstraint("project_id", "stage", "date"),)
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.project_id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(index=True)


class ParkMember(Base):
    """A firm in a park (from its firm list or a landed project); ``PARK_MEMBER`` columns."""

    __tablename__ = "park_members"
    park_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), primary_key=True, index=True)
    since: Mapped[dt.date | None]
    source: Mapped[str] = mapped_column(String(16), default="")


class ProjectTarget(Base):
    """An office's yearly targets for its city (``park_id`` "") or one of its parks."""

    __tablename__ = "project_targets"
    city_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    park_id: Mapped[str] = mapped_column(String(32), primary_key=True, default="")
    year: Mapped[int] = mapped_column(primary_key=True)
    signed_projects: Mapped[int | None]
    agreed_investment_yi: Mapped[float | None]
    srdi_cultivated: Mapped[int | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FunnelCount(Base):
    """Outcome records per Wanbei city, year and stage: the dashboard's funnel, kept up to
    date from the outcomes after ``FunnelWatermark.last_outcome_id`` (outcomes are only ever
    inserted, with increasing ids)."""

    __tablename__ = "funnel_counts"
    city_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class FunnelWatermark(Base):
    """The last outcome id counted into ``funnel_counts`` (one row, id 1)."""

    __tablename__ = "funnel_watermark"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_outcome_id: Mapped[int] = mapped_column(BigInteger, default=0)


# entity kind (features.schema.SCHEMAS) -> table
ENTITY_MODELS: dict[str, type[Base]] = {
    "enterprises": Enterprise,
    "parks": Park,
    "needs": Need,
    "events": Event,
    "participants": EventParticipant,
    "outcomes": Outcome,
    "projects": Project,
    "park_members": ParkMember,
}
