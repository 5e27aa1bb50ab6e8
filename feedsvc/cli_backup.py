"""`feedsvc backup DEST` and `feedsvc restore SRC` (feedsvc/backup.py), added to the command line by cli.py."""

from __future__ import annotations

from pathlib import Path

import click

from feedsvc import backup as backups
from feedsvc import clock as clocks
from feedsvc import datafolder
from feedsvc.cli import _one_line_errors, _settings, config_option, data_option


@click.command()
@click.argument("dest", type=click.Path(path_type=Path, exists=False))
@config_option
@data_option
@_one_line_errors
def backup(dest: Path, config_file: Path | None, data: Path | None) -> None:
    """Copy the store and photos of the data folder into the new folder DEST, consistent even while the service
    runs (public/ is left out: `restore` rebuilds it). The settings file and the inbox are yours to back up.

    Example:

        feedsvc backup /var/backups/feedsvc/daily-2023-09-27 --config /etc/feedsvc/daily.toml
    """
    settings = _settings(config_file, data=data)
    version = backups.backup(settings.data, dest)
    click.echo(f"backed up {settings.data} to {dest} (schema version {version})")


@click.command()
@click.argument("src", type=click.Path(path_type=Path, file_okay=False, exists=True))
@config_option
@data_option
@_one_line_errors
def restore(src: Path, config_file: Path | None, data: Path | None) -> None:
    """Replace the data folder's store and photos by the backup SRC, then rebuild every feed and page. Refused
    while the service (or any other command) runs on the data folder: stop it first.

    Example:

        feedsvc restore /var/backups/feedsvc/daily-2023-09-27 --config /etc/feedsvc/daily.toml
    """
    from feedsvc.wiring import service_for

    settings = _settings(config_file, data=data)
    with datafolder.acquire(settings.data, "feedsvc restore"):
        version = backups.restore(src, settings.data)
        with service_for(settings, clocks.from_env()) as service:  # runs the schema steps a backup lacks
            service.publish(everything=True)
    click.echo(f"restored {src} (schema version {version}) into {settings.data} and rebuilt its feeds and pages")
