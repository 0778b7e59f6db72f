"""Demo data: seed-demo."""
import click

from cone.cli.group import cone_cli, fail
from cone.services import demo


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
