"""Accounts: create-user, ensure-admin."""
import click

from cone.cli.group import cone_cli, fail
from cone.services import rights, users


@cone_cli.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([*rights.BUILTIN_ROLES, *rights.ALIASES]),
              help="staff is the former name of standard.")
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
    """Create a first owner if there is no owner or admin, printing its password once."""
    created = users.ensure_admin()
    if created:
        user, password = created
        click.echo(f"Created the first owner: {user.email} / password: {password}")
        click.echo("This password is shown only once: sign in and change it (Change password).")
    else:
        click.echo("An owner or admin account already exists.")
