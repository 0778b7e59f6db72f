"""What the import page reads from a run's plan: the preview's counts and pages, and once the
run has finished, the rows that failed and the clients it wrote."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Text, cast, func, select

from cone.services.imports.preview import CLASSIFICATIONS
from cone.services.models import ImportRecord, ImportRun, db
from cone.services.sources import PRODUCT_NAMES

PER_PAGE = 100
WRITTEN_SHOWN = PER_PAGE * 5  # a summary lists this many clients written; the list has the rest


@dataclass
class PreviewPage:
    """One page of a preview's rows, filtered by classification, with the counts of each."""
    show: str                 # the classification shown, "" for all
    counts: dict[str, int]
    rows: list[dict]
    shown_total: int
    page: int
    pages: int
    includes_inactive: bool   # archived or non-customer records were classified, not skipped


WRITTEN = ("created", "linked", "updated")


@dataclass
class Finished:
    """What a run's committed batches did, from its ImportRecords (the first few of each list).

    failures: [{"index", "name", "client_id", "message"}] every record that failed, and why;
    written: [{"index", "name", "client_id", "outcome"}] clients created, linked or updated;
    warned: [{"index", "name", "client_id", "warnings"}] records written with warnings
    (ExternalLink.warnings: [{"field", "label", "value", "message"}]).
    """
    failures: list[dict]
    written: list[dict]
    written_total: int
    warned: list[dict]
    warned_total: int


def has_json(column):
    """SQL: a JSON column holds a value (neither SQL NULL nor JSON null)."""
    return func.coalesce(cast(column, Text), "null") != "null"


def includes_inactive(plan: list[dict]) -> bool:
    """Whether the preview classified archived or non-customer records instead of skipping them."""
    # a sub-customer is never a customer on its own: it has its own classification and choice
    return any((r["customer"].get("archived") or not (r["customer"].get("is_customer", True)
                                                      or r["customer"].get("parent_external_id")))
               and r["classification"] != "skipped" for r in plan)


def preview_page(run: ImportRun, show: str = "", page: int = 1,
                 per_page: int = PER_PAGE) -> PreviewPage:
    """One page of the rows of one classification ("" for all); past the end, the last page."""
    plan = run.plan or []
    counts = {c: 0 for c in CLASSIFICATIONS}
    for r in plan:
        counts[r["classification"]] = counts.get(r["classification"], 0) + 1
    shown = [r for r in plan if not show or r["classification"] == show]
    pages = max(1, -(-len(shown) // per_page))
    page = min(max(page, 1), pages)
    return PreviewPage(show, counts, shown[(page - 1) * per_page:page * per_page], len(shown),
                       page, pages, includes_inactive(plan))


def _records(run_id: int, *where, limit: int | None = None) -> list[ImportRecord]:
    stmt = select(ImportRecord).where(ImportRecord.run_id == run_id, *where)
    return list(db.session.scalars(stmt.order_by(ImportRecord.index).limit(limit)))


def _count(run_id: int, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(ImportRecord)
                             .where(ImportRecord.run_id == run_id, *where))


def finished(run: ImportRun, shown: int | None = WRITTEN_SHOWN) -> Finished:
    """What a platform or CSV run has done so far: failures, clients written, warnings (the
    first shown of each list of written and warned records; None: all of them)."""
    names = {r["index"]: r["customer"].get("name") or "" for r in run.plan or []}

    def entry(record: ImportRecord, **more) -> dict:
        return {"index": record.index, "name": names.get(record.index, ""),
                "client_id": record.client_id, **more}
    written = ImportRecord.outcome.in_(WRITTEN)
    warned = (written, has_json(ImportRecord.warnings))
    return Finished(
        [entry(r, message=r.message or "") for r in
         _records(run.id, ImportRecord.outcome == "failed")],
        [entry(r, outcome=r.outcome) for r in _records(run.id, written, limit=shown)],
        _count(run.id, written),
        [entry(r, warnings=r.warnings) for r in _records(run.id, *warned, limit=shown)],
        _count(run.id, *warned))


def source_heading(provider: str) -> str:
    """"Xero", "QuickBooks Online", "CSV file"… for the page's headings."""
    return "CSV file" if provider == "csv" else PRODUCT_NAMES.get(provider, provider)
