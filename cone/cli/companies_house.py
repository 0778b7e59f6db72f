"""Companies House: ch-import, ch-resync-all."""
import sys

import click
from flask import current_app

from cone import wiring
from cone.cli.group import cone_cli, fail
from cone.services import companies_house as ch
from cone.services.providers.base import ProviderError


@cone_cli.command("ch-import")
@click.argument("numbers", nargs=-1, required=True)
def ch_import(numbers):
    """Create clients mapped to Companies House from company NUMBERs (one line per number)."""
    try:
        provider = wiring.companies_house(current_app, paced=True)
        results = ch.import_numbers(list(numbers), provider, user=None)
    except ProviderError as e:
        fail(e.message)
    for r in results:
        ident = f"client {r.client_id}" if r.client_id else "-"
        click.echo(f"{r.number}\t{r.status}\t{ident}\t{r.message}")
    counts = {s: sum(1 for r in results if r.status == s)
              for s in ("created", "exists", "not_found", "invalid", "failed")}
    click.echo(", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n) + ".")
    if any(r.status in ("not_found", "invalid", "failed") for r in results):
        sys.exit(1)


@cone_cli.command("ch-resync-all")
def ch_resync_all():
    """Resync every client mapped to Companies House now, within the rate limit (for cron)."""
    run = ch.start_resync_all(user=None)
    run = ch.run_resync_all(run.id, lambda: wiring.companies_house(current_app, paced=True))
    click.echo(f"Resynced {run.processed} of {run.total} mapped clients: {run.updated} changed, "
               f"{run.skipped} unchanged, {run.failed} failed.")
    for error in run.errors or []:
        who = f"client {error['client_id']} ({error['name']})" if error["client_id"] else "all"
        click.echo(f"  {who}: {error['reason']}", err=True)
    if run.failed or run.status == "failed":
        sys.exit(1)
