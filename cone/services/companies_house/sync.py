"""Clients mapped to Companies House: create from a company, link, resync, unlink.

While a client is mapped, Companies House owns its legal name, number, type, incorporation
date, registered office and SIC codes (sources.OWNED_FIELDS): only a sync writes them. Every
function fetches before it writes anything, so a provider failure leaves the database as it was.
People (officers, PSCs) live in people.py, bulk work in bulk.py and runs.py.
"""
from __future__ import annotations

from sqlalchemy import select

from cone.services import audit
from cone.services.clients import changes, editing
from cone.services.companies_house.records import (PROFILE_LABELS, fetched_values, payload,
                                      profile_snapshot, store_profile)
from cone.services.clients.contacts import ContactsInput, attach_contacts, prepare_contacts
from cone.services.clients.fields import (FIELD_LABELS, Errors, check_year_end, clean_client,
                                         display_name)
from cone.services.models import Client, CompaniesHouseProfile, ExternalLink, User, db, utcnow
from cone.services.providers.base import ProviderError
from cone.services.providers.codes import describe_company_status
from cone.services.providers.companies_house import normalise_company_number
from cone.services.providers.companies_house_records import CompanyRecord
from cone.services.sources import OWNED_FIELDS, NotLinked, SyncResult, link_to
from cone.services.tx import retry_on_stale, transaction

PROVIDER = "companies_house"
OWNED = tuple(sorted(OWNED_FIELDS[PROVIDER]))
ENTITY_TYPES = {
    "ltd": "limited_company", "private-unlimited": "limited_company",
    "private-unlimited-nsc": "limited_company", "private-limited-guarant-nsc": "limited_company",
    "private-limited-guarant-nsc-limited-exemption": "limited_company",
    "private-limited-shares-section-30-exemption": "limited_company",
    "plc": "plc", "old-public-company": "plc", "llp": "llp",
    "limited-partnership": "partnership", "scottish-partnership": "partnership",
    "charitable-incorporated-organisation": "charity",
    "scottish-charitable-incorporated-organisation": "charity",
}


class DuplicateCompany(Exception):
    """A client (archived or not) already has this company number."""

    def __init__(self, client: Client):
        self.client = client
        where = " (archived)" if client.archived_at else ""
        super().__init__(f"{client.display_name}{where} already has company number "
                         f"{client.company_number}: open that client instead.")


class AlreadyLinked(ProviderError):
    default = "This client already has a source: switch it to manual first."


def entity_type(company_type: str | None) -> str:
    """Our entity type for a Companies House company type ("ltd" → "limited_company")."""
    return ENTITY_TYPES.get(company_type or "", "other")


def prefill_data(record: CompanyRecord) -> dict:
    """The client fields Companies House provides, ready for the create form."""
    return fetched_values(record, entity_type(record.company_type))


def find_by_number(number: str, *, exclude: Client | None = None) -> Client | None:
    """The client with this company number (archived ones too), if any."""
    stmt = select(Client).where(Client.company_number == number)
    if exclude is not None:
        stmt = stmt.where(Client.id != exclude.id)
    return db.session.scalars(stmt.order_by(Client.id).limit(1)).first()


def _refuse_duplicate(number: str, exclude: Client | None = None) -> None:
    """DuplicateCompany when another client already has this number."""
    existing = find_by_number(number, exclude=exclude)
    if existing is not None:
        raise DuplicateCompany(existing)


def _year_end(values: dict, record: CompanyRecord) -> None:
    """No year end typed: take the accounting reference date."""
    if values.get("year_end_day") is None and values.get("year_end_month") is None:
        if record.accounting_reference_day and record.accounting_reference_month:
            values["year_end_day"] = record.accounting_reference_day
            values["year_end_month"] = record.accounting_reference_month


def create_from_companies_house(number: str, provider, data: dict,
                                contacts: ContactsInput | None, *, user: User) -> Client:
    """Create a client mapped to a company: fetched fields win over whatever data says."""
    number = normalise_company_number(number)
    _refuse_duplicate(number)
    record = provider.fetch_company(number)
    _refuse_duplicate(record.company_number)
    errors = Errors()
    typed = {k: v for k, v in (data or {}).items() if k not in OWNED and k != "kind"}
    values = clean_client("business", typed, errors, partial=True)
    values.update(prefill_data(record))
    _year_end(values, record)
    check_year_end(values, errors)
    changes.check_users(values, errors)
    prepared, unknown = None, False
    if contacts is not None and (contacts.new or contacts.existing or contacts.primary):
        prepared, unknown = prepare_contacts("business", contacts, errors)
    changes.refuse(errors, unknown)
    with transaction():
        client = changes.new_client("business", values, user)
        now = utcnow()
        db.session.add(ExternalLink(client=client, provider=PROVIDER,
                                    external_id=record.company_number, active=True,
                                    last_synced_at=now, source_updated=record.etag,
                                    payload=payload(record)))
        store_profile(client, record, now)
        audit.record("created", f"Created business client {client.display_name} "
                     f"from Companies House ({record.company_number})", user=user,
                     client_id=client.id, changes=changes.created(client))
        if prepared is not None:
            attach_contacts(client, prepared, user=user)
    return client


def preview_link(client: Client, record: CompanyRecord) -> list[dict]:
    """What linking would overwrite: {field, label, current, incoming} for each differing field."""
    return audit.compare(client, prefill_data(record), OWNED, FIELD_LABELS,
                         ("current", "incoming"))


def _profile(client: Client) -> CompaniesHouseProfile | None:
    """The client's stored Companies House details, if any."""
    return db.session.scalars(select(CompaniesHouseProfile).where(
        CompaniesHouseProfile.client_id == client.id)).first()


def _owned_snapshot(client: Client) -> dict:
    """The fields Companies House owns, as plain values for a diff."""
    return {name: audit.plain(getattr(client, name)) for name in OWNED}


def _apply_record(client: Client, link: ExternalLink, record: CompanyRecord,
                  user: User | None) -> SyncResult:
    """Write a fetched company over the client and its profile; the diff of what changed."""
    before_client = _owned_snapshot(client)
    profile = _profile(client)
    before_profile = profile_snapshot(profile) if profile else {}
    values = prefill_data(record)
    changed = [n for n in OWNED if audit.plain(values[n]) != before_client[n]]
    with db.session.no_autoflush:
        for name in changed:
            setattr(client, name, values[name])
        if changed:
            client.display_name = display_name("business", {
                n: getattr(client, n) for n in ("legal_name", "trading_name")})
            client.updated_by_id = user.id if user else None
    now = utcnow()
    profile = store_profile(client, record, now)
    after_profile = profile_snapshot(profile)
    link.last_synced_at, link.source_updated, link.payload = now, record.etag, payload(record)
    changes = [{"field": n, "label": FIELD_LABELS[n], "before": before_client[n],
                "after": audit.plain(values[n])} for n in changed]
    if before_profile:
        changes += [{"field": f"ch.{n}", "label": PROFILE_LABELS[n], "before": before_profile[n],
                     "after": after_profile[n]}
                    for n in PROFILE_LABELS if before_profile[n] != after_profile[n]
                    and n != "company_name"]
    old_status = before_profile.get("company_status")
    return SyncResult(
        changes=changes, synced_at=now, name=record.company_name,
        name_changed="legal_name" in changed,
        status_changed=bool(before_profile) and old_status != after_profile["company_status"],
        status=describe_company_status(record.company_status) or None)


def _summary(verb: str, result: SyncResult) -> str:
    """The activity line for a sync: what changed, or that nothing did."""
    if not result.changes:
        return f"{verb} from Companies House: no changes"
    labels = ", ".join(c["label"].lower() for c in result.changes)
    return f"{verb} from Companies House: {labels}"


def _ch_link(client: Client) -> ExternalLink:
    """The client's active Companies House link; NotLinked when it has none."""
    link = client.active_link
    if link is None or link.provider != PROVIDER:
        raise NotLinked("This client is not linked to Companies House.")
    return link


def resync(client: Client, provider, *, user: User | None,
           record_unchanged: bool = True) -> SyncResult:
    """Re-fetch the company and store it; records the field-level diff as a "resynced" event."""
    record = provider.fetch_company(_ch_link(client).external_id)

    def work():
        result = _apply_record(client, _ch_link(client), record, user)
        if result.changed or record_unchanged:
            audit.record("resynced", _summary("Resynced", result), user=user,
                         client_id=client.id, changes=result.changes or None)
        return result
    return retry_on_stale(work, refresh=lambda: db.session.refresh(client))


def link_company(client: Client, number: str, provider, *, user: User) -> SyncResult:
    """Map a manual business client to a company, overwriting the fields it owns."""
    if client.kind != "business":
        raise AlreadyLinked("Only a business client can be linked to Companies House.")
    if client.active_link is not None:
        raise AlreadyLinked()
    number = normalise_company_number(number)
    _refuse_duplicate(number, exclude=client)
    record = provider.fetch_company(number)
    _refuse_duplicate(record.company_number, exclude=client)

    def work():
        link = link_to(client, PROVIDER, record.company_number)
        link.active = True
        result = _apply_record(client, link, record, user)
        result.changes = [c for c in result.changes if not c["field"].startswith("ch.")]
        audit.record("linked", f"Linked to Companies House company {record.company_number} "
                     f"({record.company_name})", user=user, client_id=client.id,
                     changes=result.changes or None)
        return result
    return retry_on_stale(work, refresh=lambda: db.session.refresh(client))


def unlink(client: Client, *, user: User) -> None:
    """Switch to manual: the mapping ends, the fields keep their values and become editable.

    The stored Companies House details stay as they were at the last sync (with its time),
    so the firm keeps that history; a later link replaces them.
    """
    _ch_link(client)
    editing.unlink_source(client, user=user, source="Companies House")
