"""Helpers shared by test modules (fixtures live in conftest.py and tests/fixtures/)."""
from __future__ import annotations

from cone import jobs
from cone.services import companies_house as ch
from cone.services import imports
from cone.services.models import ImportRun, db


def run_import(run: ImportRun, user) -> ImportRun:
    """Start a previewed import as the Start button does: claim it, run its job (immediate mode)."""
    imports.start_import(run, user=user)
    jobs.import_task(run.id)
    db.session.expire_all()
    return db.session.get(ImportRun, run.id)


def resync_all(user) -> ImportRun:
    """Resync every mapped client as the Integrations page does: a run, then its job."""
    run = ch.start_resync_all(user=user)
    jobs.resync_all_task(run.id)
    db.session.expire_all()
    return db.session.get(ImportRun, run.id)
