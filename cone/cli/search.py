"""The search index: search-check, search-rebuild."""
import sys

import click

from cone.cli.group import cone_cli
from cone.extensions import db
from cone.services import search


@cone_cli.command("search-check")
def search_check():
    """Count the clients whose search entry is missing or stale, and entries left over."""
    differ, total = search.check(db.session), search.client_count(db.session)
    if differ:
        click.echo(f"Search index: {differ} of {total} entries differ.")
        click.echo("Run `flask --app app cone search-rebuild` to rewrite them.")
        sys.exit(1)  # cron and monitoring read the status
    click.echo(f"Search index: matches all {total} clients.")


@cone_cli.command("search-rebuild")
@click.option("--batch", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Clients per transaction: smaller keeps each wait shorter for the app.")
def search_rebuild(batch):
    """Recreate missing search index objects and rewrite every entry while the app runs."""
    written = search.rebuild(db.session, batch=batch,
                             progress=lambda done, total: click.echo(f"  {done} of {total}…"))
    click.echo(f"Rewrote {written} search entries.")
