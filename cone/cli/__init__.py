"""`flask --app app cone …` commands (names are stable: cron and scripts use them).

Each module adds its commands to the one group; importing them here registers them.
"""
from cone.cli import backup, companies_house, demo, imports, search, users
from cone.cli import import_undo
from cone.cli.group import cone_cli

__all__ = ["cone_cli", "backup", "companies_house", "demo", "imports", "search", "users",
           "import_undo"]
