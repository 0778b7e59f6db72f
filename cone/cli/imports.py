"""Accounting platforms: import."""
import sys

import click
from flask import current_app

from cone.cli.group import cone_cli, fail
from cone.services import imports, sources
from cone.services.imports.from_platform import queue_import
from cone.services.providers.base import ProviderError


@cone_cli.command("import")
@click.argument("provider")
@click.option("--dry-run", is_flag=True, help="Show what would be done; write nothing.")
@click.option("--tenant", help="The organisation (id or name) when several are connected.")
@click.option("--include-inactive", is_flag=True,
              help="Also archived contacts and contacts not marked as customers.")
@click.option("--full", is_flag=True,
              help="Fetch every customer, not only those changed since the last clean run.")
def import_customers(provider, dry_run, tenant, include_inactive, full):
    """Import customers from a connected PROVIDER with the default decisions (for cron)."""
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
    for error in run.errors or []:
        click.echo(f"  failed: {error['name']} ({error['external_id']}): {error['reason']}",
                   err=True)
    click.echo(f"Imported {run.total} customers from {connection.tenant_name}: "
               f"{imports.summary(run)}")
    if run.failed or run.status != "done":
        sys.exit(1)
