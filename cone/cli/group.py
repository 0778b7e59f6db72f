"""The `flask --app app cone` command group and its failure convention."""
import sys

import click
from flask.cli import AppGroup

cone_cli = AppGroup("cone", help="Cone administration commands.")


def fail(message: str) -> None:
    """Print the error and exit with status 1, as cron expects of a failure."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)
