"""`flask --app app cone …` commands (names are stable: cron and scripts use them)."""
import sys

import click
from flask.cli import AppGroup

from cone.services import users

cone_cli = AppGroup("cone", help="Cone administration commands.")


def fail(message: str) -> None:
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
    from cone.services import demo
    try:
        made = demo.seed(count, seed=seed, progress=lambda n: click.echo(f"  {n} clients…"))
    except demo.DemoError as e:
        fail(str(e))
    click.echo(f"Added {made} demo clients.")
