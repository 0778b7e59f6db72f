"""Import previews: classify each incoming customer against the register before anything is written.

*linked* (the same platform record is already a client's source), *match* (an existing client
shares its company number, VAT number or e-mail, or has a similar name), *new*, *duplicate* (the
same person or company as an earlier record of the same import), *subcustomer* (a QuickBooks
job: skipped unless a person says create) or *skipped* (archived or not a customer, unless
asked; unreadable). Each row carries the warnings its record would be written with, and new
rows the kind a person may change. The ImportRun keeps the plan and the decisions.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import delete

from cone.services import connections
from cone.services.imports.apply import customer_from_json, customer_json, name_problem
from cone.services.imports.cleaning import clean_customer
from cone.services.imports.incoming import Twins
from cone.services.imports.match import Indexes
from cone.services.models import KINDS, Connection, ImportRun, User, db
from cone.services.providers.accounting import ExternalCustomer
from cone.services.sources import source_name
from cone.services.tx import transaction

CLASSIFICATIONS = ("new", "linked", "match", "duplicate", "subcustomer", "skipped")
# What a person may decide for each kind of row, the default first where it is not computed
CHOICES = {"new": ("create", "skip"), "linked": ("update", "skip"),
           "match": ("link", "create", "skip"), "duplicate": ("skip", "create"),
           "subcustomer": ("skip", "create"), "skipped": ("skip",)}


class ImportRefused(ValueError):
    """The run cannot do what was asked; str() is a sentence for the user."""


@dataclass
class PreviewRow:
    index: int
    customer: ExternalCustomer
    classification: str        # "new" | "linked" | "match" | "skipped"
    client_id: int | None
    reason: str
    score: int
    decision: str              # "create" | "update" | "link" | "skip"
    client_name: str | None = None
    exact: bool = False        # a match on an identifier, safe to link without a person
    warnings: list[dict] = field(default_factory=list)  # what writing it would leave empty
    kind: str | None = None    # "business" | "individual": what a new client is created as
    inactive: bool = False     # skipped as archived or not a customer (shown when asked)


def _classify(index: int, customer: ExternalCustomer, indexes: Indexes, twins: Twins,
              include_inactive: bool) -> PreviewRow:
    """One row of the preview: what the customer is to the register, and why."""
    row = PreviewRow(index, customer, "new", None, "Not in the register yet", 0, "create",
                     kind=customer.kind)
    linked = indexes.linked(customer)
    source = source_name(customer.provider)
    twin = None
    if not customer.problems and linked is None and not customer.parent_external_id:
        twin = twins.first(customer)
    if customer.problems:
        row.classification, row.reason = "skipped", "; ".join(customer.problems)
    elif not include_inactive and customer.archived:
        row.classification, row.inactive = "skipped", True
        row.reason = f"Archived in {source}"
    elif linked is not None:
        row.classification, row.client_id, row.score = "linked", linked, 100
        row.reason = f"Already linked to {source}"
    elif customer.parent_external_id:
        parent = customer.parent_name or customer.parent_external_id
        row.classification, row.reason = "subcustomer", f"Sub-customer of {parent}: skipped"
    elif not include_inactive and not customer.is_customer:
        row.classification, row.inactive = "skipped", True
        row.reason = f"Not marked as a customer in {source}"
    elif twin is not None:
        row.classification = "duplicate"
        row.reason = f"Same as {twin.name} (row {twin.index + 1}) on {source}: {twin.why}"
    else:
        match = indexes.match(customer)
        if match is not None:
            row.classification, row.client_id = "match", match.client_id
            row.reason, row.score, row.exact = match.reason, match.score, match.exact
    if row.client_id is not None:
        row.client_name = indexes.client_name(row.client_id)
    if row.classification in ("new", "match", "linked"):
        twins.add(index, customer)
    if not customer.problems:
        cleaned = clean_customer(customer, customer.kind)
        row.warnings = cleaned.warnings
        problem = name_problem(customer, customer.kind, cleaned.values)
        if problem and row.classification != "linked":  # said now, not first in the summary
            row.warnings.append({"field": "name", "label": "Name", "value": customer.name,
                                 "message": f"{problem} Creating it will fail."})
    return row


def default_decisions(rows: Iterable[PreviewRow]) -> dict[int, str]:
    """Create new, update linked, link exact matches; fuzzy matches wait for a person."""
    decisions = {}
    for row in rows:
        if row.classification == "new":
            decisions[row.index] = "create"
        elif row.classification == "linked":
            decisions[row.index] = "update"
        elif row.classification == "match" and row.exact:
            decisions[row.index] = "link"
        else:
            decisions[row.index] = "skip"
    return decisions


def build_preview(customers: Iterable[ExternalCustomer], *,
                  include_inactive: bool = False) -> list[PreviewRow]:
    """Classify every customer against the register, with the default decision for each."""
    customers = list(customers)
    indexes, twins = Indexes.load({(c.provider, c.tenant_id) for c in customers}), Twins()
    rows = [_classify(i, c, indexes, twins, include_inactive) for i, c in enumerate(customers)]
    for index, decision in default_decisions(rows).items():
        rows[index].decision = decision
    return rows


def row_json(row: PreviewRow) -> dict:
    """A preview row as stored in ImportRun.plan."""
    return {"index": row.index, "classification": row.classification,
            "client_id": row.client_id, "client_name": row.client_name, "reason": row.reason,
            "score": row.score, "exact": row.exact, "decision": row.decision,
            "warnings": row.warnings, "kind": row.kind or row.customer.kind,
            "inactive": row.inactive, "customer": customer_json(row.customer)}


def row_from_json(r: dict) -> PreviewRow:
    """A stored plan row as a PreviewRow; its customer has the kind a person chose."""
    customer = customer_from_json(r["customer"])
    kind = r.get("kind") or customer.kind
    if kind != customer.kind:
        customer = dataclasses.replace(customer, kind=kind)
    return PreviewRow(r["index"], customer, r["classification"], r["client_id"], r["reason"],
                      r["score"], r["decision"], r.get("client_name"), r.get("exact", False),
                      list(r.get("warnings") or []), kind, bool(r.get("inactive")))


def plan_rows(run: ImportRun) -> list[PreviewRow]:
    """The run's plan as PreviewRows (the stored customers included)."""
    return [row_from_json(r) for r in run.plan or []]


def create_preview_run(provider: str, rows: list[PreviewRow], *, user: User | None,
                       connection_id: int | None = None,
                       replaces: int | None = None) -> ImportRun:
    """Store the preview as an ImportRun in status "preview"; nothing else is written.

    It replaces the run `replaces` and the connection's other previews, so no stale preview is
    left to start by mistake."""
    run = ImportRun(provider=provider, connection_id=connection_id, status="preview",
                    total=len(rows), plan=[row_json(r) for r in rows], errors=[],
                    started_by_id=user.id if user else None)
    stale = ImportRun.id == replaces
    if connection_id is not None:
        stale = stale | (ImportRun.connection_id == connection_id)
    with transaction():
        db.session.execute(delete(ImportRun).where(stale, ImportRun.status == "preview")
                           .execution_options(synchronize_session="fetch"))
        db.session.add(run)
    return run


def preview_customers(provider: str, customers: Iterable[ExternalCustomer], *,
                      include_inactive: bool, user: User | None,
                      connection_id: int | None = None,
                      replaces: int | None = None) -> ImportRun:
    """Classify the customers and keep the result as a new preview run."""
    rows = build_preview(customers, include_inactive=include_inactive)
    return create_preview_run(provider, rows, user=user, connection_id=connection_id,
                              replaces=replaces)


def preview_connection(connection: Connection, config, *, include_inactive: bool,
                       user: User | None) -> ImportRun:
    """Fetch the connected organisation's contacts and keep a preview run of them."""
    with connections.open_provider(connection, config) as platform:
        # Every contact comes along; the preview skips the inactive ones unless asked
        customers = list(platform.list_customers(include_non_customers=True))
    return preview_customers(connection.provider, customers, include_inactive=include_inactive,
                             user=user, connection_id=connection.id)


def preview_again(run: ImportRun, *, include_inactive: bool, user: User | None) -> ImportRun:
    """Classify a preview's records again, with or without the inactive ones, as a new run that
    replaces it (the platform's own kind for each record, as at first)."""
    if run.status != "preview":
        raise ImportRefused("This import has already started.")
    customers = [customer_from_json(r["customer"]) for r in run.plan or []]
    return preview_customers(run.provider, customers, include_inactive=include_inactive,
                             user=user, connection_id=run.connection_id, replaces=run.id)


def set_decisions(run: ImportRun, decisions: dict[int, str], *, user: User | None,
                  kinds: dict[int, str] | None = None) -> ImportRun:
    """Change the decision (and, for rows that can create a client, the kind) of some rows;
    refused once the run has started or if not allowed."""
    if run.status != "preview":
        raise ImportRefused("This import has already started: its decisions cannot change.")
    plan = [dict(r) for r in run.plan or []]
    by_index = {r["index"]: r for r in plan}
    for index, kind in (kinds or {}).items():
        row = by_index.get(int(index))
        if row is None:
            raise ImportRefused(f"Row {index} is not part of this import.")
        if kind not in KINDS or "create" not in CHOICES[row["classification"]]:
            raise ImportRefused(f"{row['customer']['name']} cannot be created as “{kind}”.")
        row["kind"] = kind
    for index, decision in decisions.items():
        row = by_index.get(int(index))
        if row is None:
            raise ImportRefused(f"Row {index} is not part of this import.")
        if decision not in CHOICES[row["classification"]]:
            raise ImportRefused(f"“{decision}” is not a choice for {row['customer']['name']}.")
        if decision == "link" and row["client_id"] is None:
            raise ImportRefused(f"{row['customer']['name']} has no matching client to link to.")
        row["decision"] = decision
    run.plan = plan  # a new list, so the JSON column is written
    db.session.commit()
    return run
