"""The whole command line: cli.py's group with the commands kept in their own modules (the `feedsvc` script and
`python -m feedsvc` start here)."""

from __future__ import annotations

from feedsvc.cli import cli
from feedsvc.cli_backup import backup, restore

cli.add_command(backup)
cli.add_command(restore)

__all__ = ["cli"]
