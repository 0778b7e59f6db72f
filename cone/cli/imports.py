"""Accounting platforms: import, and resume an interrupted import."""
import sys

import click
from flask import current_app

from cone.cli.group import cone_cli, fail
from cone.services import imports, sources
from cone.services.imports import plan
from cone.services.imports.from_platform import queue_import
from cone.services.imports.run import resume_import
from cone.services.imports.runs import get_run
from cone.services.providers.base import ProviderError


def _report(run, heading: str) -> None:
    """Print the run's warnings and failures and its summary; exit 1 when a record failed or
    the run did not finish (warnings alone are not a failure: the records were written)."""
    notes = plan.finished(run, shown=None)
    for record in notes.warned:
        messages = "; ".join(w.get("message") or "" for w in record["warnings"] or [])
        click.echo(f"  warning: {record['name']}: {messages}")
    for record in notes.failures:
        click.echo(f"  failed: {record['name']}: {record['message']}", err=True)
    warned = f" {run.warned} with warnings." if run.warned else ""
    click.echo(f"{heading}: run {run.id}: {imports.summary(run)}{warned}")
    if run.failed or run.status != "done":
        if run.status != "done":
            click.echo(f"Run {run.id} did not finish: resume it with "
                       f"`flask --app app cone import-resume {run.id}`.", err=True)
        sys.exit(1)


@cone_cli.command("import")
@click.argument("provider")
@click.option("--dry-run", is_flag=True, help="Show what would be done; write nothing.")
@click.option("--tenant", help="The organisation (id or name) when several are connected.")
@click.option("--include-inactive", is_flag=True,
              help="Also archived contacts and contacts not marked as customers.")
@click.option("--full", is_flag=True,
              help="Fetch every customer, not only those changed since the last clean run.")
def import_customers(provider, dry_run, tenant, include_inactive, full):
    """Import customers from a connected PROVIDER with the default decisions (for cron).

    Exits 1 when a record failed or the run did not finish; warnings alone exit 0.
    """
    try:
        connection = sources.find_connection(provider, tenant)
        rows, run = queue_import(connection, current_app.config, dry_run=dry_run,
                                 include_inactive=include_inactive, full=full)
    except sources.NotConnected as e:
        fail(f"{e} Use --tenant with its id or name." if e.several else str(e))
    except (imports.ImportRefused, ProviderError) as e:
        fail(str(e))
    left = [r for r in rows if r.classification == "match" and r.decision == "skip"]
    for row in left:
        click.echo(f"  left for a person: {row.customer.name} ~ {row.client_name} "
                   f"({row.reason}, score {row.score})")
    if run is None:
        planned = {d: sum(1 for r in rows if r.decision == d)
                   for d in ("create", "update", "link", "skip")}
        click.echo(f"Dry run: {len(rows)} customers: would create {planned['create']}, "
                   f"update {planned['update']} (if changed), link {planned['link']}, "
                   f"skip {planned['skip']} ({len(left)} matches left for a person). "
                   "Nothing was written.")
        return
    run = imports.run_import(run.id)  # here, not on the queue: cron waits for the outcome
    _report(run, f"Imported {run.total} customers from {connection.tenant_name}")


@cone_cli.command("import-resume")
@click.argument("run_id", type=int)
def import_resume(run_id):
    """Finish an interrupted import RUN_ID here, in the foreground: the records its finished
    batches wrote are skipped. Exits 1 when a record failed or the run did not finish."""
    run = get_run(run_id)
    if run is None:
        fail(f"There is no import run {run_id}.")
    try:
        resume_import(run, user=None)
    except imports.ImportRefused as e:
        fail(str(e))
    run = imports.run_import(run_id)
    _report(run, f"Resumed import of {run.total} customers")
