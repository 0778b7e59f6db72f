"""An uploaded CSV file between its upload and its preview: kept as an ImportRun in "mapping".

The rows wait in the database (not in the session or on one server's disk) so the mapping page
can be reloaded and any app server can answer it. Choosing the mapping turns the same run into
an ordinary preview, so no half-finished upload is left behind.
"""
from __future__ import annotations

from sqlalchemy import select

from cone.services.imports import csv_file
from cone.services.imports.preview import build_preview, row_json
from cone.services.models import Address, ImportRun, User, db
from cone.services.providers.accounting import ExternalCustomer, clean
from cone.services.tx import transaction

MAPPING = "mapping"


class NotStaged(ValueError):
    """The run is no longer waiting for its columns to be mapped."""


def stage(filename: str, headers: list[str], rows: list[dict[str, str]], *,
          user: User | None) -> ImportRun:
    """Keep a read file's rows until its columns are mapped."""
    run = ImportRun(provider="csv", status=MAPPING, total=len(rows), errors=[],
                    plan=[{"filename": filename, "headers": headers, "rows": rows}],
                    started_by_id=user.id if user else None)
    with transaction():
        db.session.add(run)
    return run


def recent_runs(limit: int = 5) -> list[ImportRun]:
    """The latest CSV imports (staged, previewed or run), newest first."""
    stmt = (select(ImportRun).where(ImportRun.provider == "csv")
            .order_by(ImportRun.created_at.desc(), ImportRun.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def is_staged(run: ImportRun) -> bool:
    """Whether the run is an uploaded file still waiting for its mapping."""
    return run.provider == "csv" and run.status == MAPPING and bool(run.plan)


def staged(run: ImportRun) -> tuple[str, list[str], list[dict[str, str]]]:
    """(file name, headers, rows) of a staged upload."""
    if not is_staged(run):
        raise NotStaged("This file has been previewed already: upload it again to change "
                        "the columns.")
    upload = run.plan[0]
    return upload["filename"], upload["headers"], upload["rows"]


def _unreadable(line: int, row: dict[str, str], mapping: dict[str, str],
                problems: list[str]) -> ExternalCustomer:
    """A row that cannot be imported, as a record the preview shows skipped with its reasons."""
    name = clean(row.get(mapping.get("name", ""))) or " ".join(
        p for p in (clean(row.get(mapping.get("first_name", ""))),
                    clean(row.get(mapping.get("last_name", "")))) if p)
    return ExternalCustomer(
        provider="csv", external_id=f"line:{line}", tenant_id="",
        name=f"Line {line}: {name}" if name else f"Line {line}", kind="business",
        first_name=None, last_name=None, email=None, phone=None, address=Address(),
        company_number=None, vat_number=None, people=(), is_customer=True, archived=False,
        updated_at=None, raw=dict(row), problems=(f"Line {line}: " + " ".join(problems),))


def preview(run: ImportRun, mapping: dict[str, str], *, user: User | None) -> ImportRun:
    """Convert the staged rows with mapping and make the run an ordinary preview.

    Rows that cannot be read stay in the preview as skipped, with their line number and why.
    """
    _, _, rows = staged(run)
    customers, errors = csv_file.to_customers(rows, mapping)
    found = iter(customers)
    ordered = [_unreadable(line, row, mapping, errors[line]) if line in errors else next(found)
               for line, row in enumerate(rows, 2)]
    planned = build_preview(ordered)
    with transaction():
        run.plan = [row_json(r) for r in planned]
        run.status, run.total = "preview", len(planned)
        run.started_by_id = user.id if user else run.started_by_id
    return run
