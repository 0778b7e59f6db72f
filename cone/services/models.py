"""SQLAlchemy models: the data model of DESIGN.md."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Index,
                        Integer, MetaData, SmallInteger, String, Table, Text, UniqueConstraint,
                        text)
from sqlalchemy.orm import DeclarativeBase, Mapped, composite, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from cone.services import rights

# Named constraints so Alembic can alter them on SQLite and PostgreSQL alike
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

KINDS = ("business", "individual")
STATUSES = ("customer", "prospect")
ENTITY_TYPES = {
    "limited_company": "Limited company", "llp": "LLP", "plc": "PLC",
    "partnership": "Partnership", "sole_trader": "Sole trader", "charity": "Charity",
    "trust": "Trust", "other": "Other",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every engine (SQLite hands back naive ones)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


@dataclasses.dataclass
class Address:
    line1: str | None = None
    line2: str | None = None
    town: str | None = None
    county: str | None = None
    postcode: str | None = None
    country: str | None = None

    def lines(self) -> list[str]:
        return [v for v in dataclasses.astuple(self) if v]

    def __bool__(self) -> bool:
        return bool(self.lines())


ADDRESS_PARTS = [f.name for f in dataclasses.fields(Address)]


def address(prefix: str):
    """A composite Address stored as six nullable columns named prefix_part."""
    sizes = {"postcode": 16, "country": 80}
    return composite(Address, *(mapped_column(f"{prefix}_{part}", String(sizes.get(part, 200)))
                                for part in ADDRESS_PARTS))


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    # a built-in role's key (rights.BUILTIN_ROLES) or a custom Role's key
    role: Mapped[str] = mapped_column(String(10), default="standard")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the sign-in cookie's user id: raising it ends every session signed in before
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    custom_role: Mapped[Role | None] = relationship(
        primaryjoin="foreign(User.role) == Role.key", viewonly=True)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return rights.builtin_key(self.role) in rights.ADMIN_ROLES

    @property
    def granted_rights(self) -> frozenset[str]:
        """The rights of the user's role (none for a role that no longer exists)."""
        builtin = rights.builtin_rights(self.role)
        if builtin is not None:
            return builtin
        return frozenset(self.custom_role.rights or ()) - rights.OWNER_ONLY \
            if self.custom_role else frozenset()

    def can(self, right: str) -> bool:
        """Whether the user's role grants this right (a name in rights.RIGHTS)."""
        return right in self.granted_rights

    def get_id(self) -> str:
        """Flask-Login's id: "id" until the first forced sign-out, then "id:generation"."""
        return f"{self.id}:{self.session_generation}" if self.session_generation else str(self.id)


class Role(db.Model):
    """A custom role made by an admin: a name and the rights it grants."""
    id: Mapped[int] = mapped_column(primary_key=True)
    # What User.role holds: fixed when the role is made, so renaming it touches no user
    key: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    rights: Mapped[list] = mapped_column(JSON, default=list)  # names from rights.RIGHTS
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Invite(db.Model):
    """A one-time link to join the firm; only the token's SHA-256 is kept."""
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(10))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])


class LoginThrottle(db.Model):
    """Failed logins per key ("ip:…" or "email:…"): shared by every worker."""
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


client_tags = Table(
    "client_tags", db.metadata,
    Column("client_id", ForeignKey("client.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Client(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(12), default="customer", index=True)
    display_name: Mapped[str] = mapped_column(String(300), index=True)
    internal_reference: Mapped[str | None] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    # Business
    legal_name: Mapped[str | None] = mapped_column(String(300))
    trading_name: Mapped[str | None] = mapped_column(String(300))
    company_number: Mapped[str | None] = mapped_column(String(8), index=True)
    entity_type: Mapped[str | None] = mapped_column(String(20))
    incorporation_date: Mapped[date | None] = mapped_column(Date)
    registered_address: Mapped[Address] = address("registered")
    trading_address: Mapped[Address] = address("trading")
    sic_codes: Mapped[list | None] = mapped_column(JSON)
    vat_number: Mapped[str | None] = mapped_column(String(20), index=True)
    ct_utr: Mapped[str | None] = mapped_column(String(10), index=True)
    paye_reference: Mapped[str | None] = mapped_column(String(20))
    accounts_office_reference: Mapped[str | None] = mapped_column(String(20))
    ch_auth_code: Mapped[str | None] = mapped_column(String(6))
    website: Mapped[str | None] = mapped_column(String(300))
    # Individual
    title: Mapped[str | None] = mapped_column(String(20))
    first_name: Mapped[str | None] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    suffix: Mapped[str | None] = mapped_column(String(20))
    # The name the firm knows an individual by when it is not First Middle Last ("Doe, Jane",
    # "J Smith (rental)"): an accounting platform's display name, say
    known_as: Mapped[str | None] = mapped_column(String(300))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    ni_number: Mapped[str | None] = mapped_column(String(9), index=True)
    sa_utr: Mapped[str | None] = mapped_column(String(10), index=True)
    home_address: Mapped[Address] = address("home")
    # Every client
    year_end_day: Mapped[int | None] = mapped_column(SmallInteger)
    year_end_month: Mapped[int | None] = mapped_column(SmallInteger)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 onupdate=utcnow, index=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])
    partner: Mapped[User | None] = relationship(foreign_keys=[partner_id])
    tags: Mapped[list[Tag]] = relationship(secondary=client_tags, order_by=Tag.name)
    contact_links: Mapped[list[ClientContact]] = relationship(
        back_populates="client", cascade="all, delete-orphan")
    external_links: Mapped[list[ExternalLink]] = relationship(
        back_populates="client", cascade="all, delete-orphan")

    # A concurrent UPDATE on a stale row raises StaleDataError instead of overwriting
    __mapper_args__ = {"version_id_col": version}

    @property
    def active_link(self) -> ExternalLink | None:
        return next((link for link in self.external_links if link.active), None)

    @property
    def primary_contact(self) -> Contact | None:
        return next((cc.contact for cc in self.contact_links if cc.is_primary), None)


class Contact(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str | None] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[Address] = address("address")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    client_links: Mapped[list[ClientContact]] = relationship(back_populates="contact")

    __mapper_args__ = {"version_id_col": version}

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.last_name) if p)


class ClientContact(db.Model):
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"),
                                           primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)
    role: Mapped[str | None] = mapped_column(String(100))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    client: Mapped[Client] = relationship(back_populates="contact_links")
    contact: Mapped[Contact] = relationship(back_populates="client_links")

    __table_args__ = (
        # At most one primary contact per client, enforced by the database itself
        Index("uq_client_contact_primary", "client_id", unique=True,
              sqlite_where=text("is_primary"), postgresql_where=text("is_primary")),
    )


class ExternalLink(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    tenant_id: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_updated: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[dict | None] = mapped_column(JSON)
    # What the last import or resync could not keep: [{"field", "label", "value", "message"}],
    # the platform's value shown beside why it was left empty
    warnings: Mapped[list | None] = mapped_column(JSON)
    client: Mapped[Client] = relationship(back_populates="external_links")

    __table_args__ = (
        UniqueConstraint("provider", "tenant_id", "external_id", "client_id"),
        Index("ix_external_link_source", "provider", "tenant_id", "external_id"),
        Index("uq_external_link_active", "client_id", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )


class CompaniesHouseProfile(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), unique=True)
    company_number: Mapped[str] = mapped_column(String(8), index=True)
    company_name: Mapped[str] = mapped_column(String(300))
    company_status: Mapped[str | None] = mapped_column(String(40), index=True)
    company_type: Mapped[str | None] = mapped_column(String(60))
    date_of_creation: Mapped[date | None] = mapped_column(Date)
    date_of_cessation: Mapped[date | None] = mapped_column(Date)
    registered_office: Mapped[Address] = address("office")
    sic_codes: Mapped[list | None] = mapped_column(JSON)
    accounting_reference_day: Mapped[int | None] = mapped_column(SmallInteger)
    accounting_reference_month: Mapped[int | None] = mapped_column(SmallInteger)
    accounts_next_due: Mapped[date | None] = mapped_column(Date, index=True)
    accounts_next_made_up_to: Mapped[date | None] = mapped_column(Date)
    accounts_last_made_up_to: Mapped[date | None] = mapped_column(Date)
    accounts_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmation_statement_next_due: Mapped[date | None] = mapped_column(Date, index=True)
    confirmation_statement_next_made_up_to: Mapped[date | None] = mapped_column(Date)
    confirmation_statement_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    previous_names: Mapped[list | None] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    officers: Mapped[list[Officer]] = relationship(cascade="all, delete-orphan",
                                                   order_by="Officer.id")
    significant_controls: Mapped[list[SignificantControl]] = relationship(
        cascade="all, delete-orphan", order_by="SignificantControl.id")


class Officer(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("companies_house_profile.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    role: Mapped[str | None] = mapped_column(String(60))
    appointed_on: Mapped[date | None] = mapped_column(Date)
    resigned_on: Mapped[date | None] = mapped_column(Date)
    nationality: Mapped[str | None] = mapped_column(String(100))
    occupation: Mapped[str | None] = mapped_column(String(200))
    country_of_residence: Mapped[str | None] = mapped_column(String(100))
    birth_month: Mapped[int | None] = mapped_column(SmallInteger)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)


class SignificantControl(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("companies_house_profile.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300), index=True)
    natures_of_control: Mapped[list | None] = mapped_column(JSON)
    notified_on: Mapped[date | None] = mapped_column(Date)
    ceased_on: Mapped[date | None] = mapped_column(Date)
    nationality: Mapped[str | None] = mapped_column(String(100))
    country_of_residence: Mapped[str | None] = mapped_column(String(100))
    birth_month: Mapped[int | None] = mapped_column(SmallInteger)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    registration_number: Mapped[str | None] = mapped_column(String(40))


class Note(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 onupdate=utcnow)
    author: Mapped[User | None] = relationship()


class ActivityEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"),
                                                   index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(String(500))
    changes: Mapped[list | None] = mapped_column(JSON)  # [{"field", "before", "after"}]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_activity_event_client_created", "client_id", "created_at"),)


class Connection(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    tenant_id: Mapped[str] = mapped_column(String(100), default="")
    tenant_name: Mapped[str | None] = mapped_column(String(300))
    access_token: Mapped[str | None] = mapped_column(Text)   # Fernet ciphertext
    refresh_token: Mapped[str | None] = mapped_column(Text)  # Fernet ciphertext
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("provider", "tenant_id"),)


class ImportRun(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connection.id",
                                                                 ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="preview")
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    linked: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list | None] = mapped_column(JSON)
    plan: Mapped[list | None] = mapped_column(JSON)  # the previewed decisions
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned: Mapped[int] = mapped_column(Integer, default=0)  # records written with warnings
    # Written by the worker after every batch: a running run whose heartbeat has stopped
    # was interrupted (its process killed) and can be resumed
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undo_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a job may finish it
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class ImportRecord(db.Model):
    """What one run did with one record of its plan: written in the record's own batch, so a
    resumed run skips it and an undo knows exactly what to take back."""
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)  # the plan row's index
    outcome: Mapped[str] = mapped_column(String(10))  # created|linked|updated|skipped|failed
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="SET NULL"),
                                                  index=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("external_link.id",
                                                           ondelete="SET NULL"))
    link_was_new: Mapped[bool] = mapped_column(Boolean, default=False)  # made, not reactivated
    contact_ids: Mapped[list | None] = mapped_column(JSON)  # contacts this record created
    changes: Mapped[list | None] = mapped_column(JSON)  # [{"field", "before", "after"}]
    version: Mapped[int | None] = mapped_column(Integer)  # the client's version just after
    message: Mapped[str | None] = mapped_column(Text)  # why it failed
    warnings: Mapped[list | None] = mapped_column(JSON)  # as ExternalLink.warnings
    undo: Mapped[str | None] = mapped_column(String(20))  # removed|archived|restored|kept|…
    undo_note: Mapped[str | None] = mapped_column(Text)  # what the undo left, and why

    __table_args__ = (UniqueConstraint("run_id", "index"),)


class Setting(db.Model):
    """A firm-wide setting set on the Settings page; secrets are stored as Fernet ciphertext."""
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class RateBudget(db.Model):
    """Requests spent in the current window of an outside API, shared by every worker."""
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, default=0)  # unix seconds
    used: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[int] = mapped_column(BigInteger, default=0)  # unix seconds


def render_alembic_item(type_, obj, autogen_context):
    """Autogenerate writes UTCDateTime as the plain type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
