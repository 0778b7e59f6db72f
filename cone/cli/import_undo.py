"""Accounting platforms and CSV files: undo an import run."""
import click

from cone.cli.group import cone_cli, fail
from cone.services.imports.undo import UndoRefused, undo_run


@cone_cli.command("import-undo")
@click.argument("run_id", type=int)
def import_undo(run_id):
    """Undo import run RUN_ID: remove or archive the clients it created, take back its links
    and the fields it changed (fields changed since are kept and listed)."""
    try:
        report = undo_run(run_id, user=None)
    except UndoRefused as e:
        fail(str(e))
    if report.already:
        when = report.undone_at.strftime("%d %b %Y %H:%M UTC")
        click.echo(f"Import run {run_id} was already undone on {when}: nothing changed "
                   f"({report.summary()[:-1]}).")
    for line in report.attention():
        client = f" (client {line.client_id})" if line.client_id else ""
        click.echo(f"  {line.words}: {line.name}{client}: {'; '.join(line.notes)}")
    if not report.already:
        click.echo(f"Import run {run_id} undone: {report.summary()}")
    if not report.complete:
        fail(f"{report.counts['failed']} records could not be undone: see the log, then run "
             "the command again.")
