"""`flask --app app cone …` commands (names are stable: cron and scripts use them)."""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from cone import wiring
from cone.services import companies_house as ch
from cone.services import demo, imports, sources, users
from cone.services.imports.from_platform import queue_import
from cone.services.providers.base import ProviderError

cone_cli = AppGroup("cone", help="Cone administration commands.")


def fail(message: str) -> None:
    """Print the error and exit with status 1, as cron expects of a failure."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@cone_cli.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "staff"]), required=True)
@click.option("--password", help="Generated and printed when omitted.")
@click.option("--name", help="Display name (defaults to the e-mail's local part).")
def create_user(email, role, password, name):
    """Create a user who can sign in."""
    try:
        user, password_used = users.create_user(email, role=role, name=name, password=password)
    except users.UserError as e:
        fail(str(e))
    click.echo(f"Created {user.role} {user.email}.")
    if not password:
        click.echo(f"Password: {password_used}")


@cone_cli.command("ensure-admin")
def ensure_admin():
    """Create a first admin if there is none, printing its password once."""
    created = users.ensure_admin()
    if created:
        user, password = created
        click.echo(f"Created the first admin: {user.email} / password: {password}")
        click.echo("This password is shown only once: sign in and change it on the Users page.")
    else:
        click.echo("An admin account already exists.")


@cone_cli.command("seed-demo")
@click.option("--clients", "count", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--seed", type=int, default=None, help="Random seed for a repeatable data set.")
def seed_demo(count, seed):
    """Add COUNT realistic UK demo clients with contacts."""
    try:
        made = demo.seed(count, seed=seed, progress=lambda n: click.echo(f"  {n} clients…"))
    except demo.DemoError as e:
        fail(str(e))
    click.echo(f"Added {made} demo clients.")


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
