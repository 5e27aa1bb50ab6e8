"""The command line: a thin click group over what feedsvc.wiring builds. FeedsvcError becomes a one-line message."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from feedsvc import clock as clocks
from feedsvc import config, datafolder, logs
from feedsvc.errors import FeedsvcError

P = ParamSpec("P")
R = TypeVar("R")


def _one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except FeedsvcError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def _settings(config_file: Path | None, **flags: Any) -> config.Settings:
    """The file (or FEEDSVC_CONFIG), then the environment, then the flags given; an error names the flag."""
    return config.checked(config.load(config_file), flags, lambda name: "--" + name.replace("_", "-"))


# Every command reads the same settings as the service (`release` and `build` write its feeds): FEEDSVC_CONFIG
# names the file once for a shell or a unit, instead of repeating --config.
config_option = click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                             envvar="FEEDSVC_CONFIG",
                             help="TOML settings file [env FEEDSVC_CONFIG] (default: the embedded defaults, "
                                  "as in config/feedsvc.toml).")
data_option = click.option("--data", type=click.Path(path_type=Path, file_okay=False),
                           help="Folder holding the store and public/.")


@click.group()
@click.version_option(package_name="feedsvc")
def cli() -> None:
    """feedsvc: a newspaper's plain-text issues as RSS, Atom and JSON feeds."""


@cli.command()
@config_option
@click.option("--inbox", type=click.Path(path_type=Path, file_okay=False), help="Watched folder.")
@data_option
@click.option("--host", help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to bind (0: any free port).")
@click.option("--base-url", help="Public URL of the site, if not http://HOST:PORT/.")
@click.option("--polling/--no-polling", default=None, help="Poll the inbox (network filesystems).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_one_line_errors
def run(config_file: Path | None, log_format: str, **overrides: Any) -> None:
    """Run the service in the foreground until SIGTERM or SIGINT.

    Example:

        feedsvc run --config config/feedsvc.toml --port 8080
    """
    from feedsvc.wiring import Daemon

    logs.setup(log_format)
    try:
        Daemon(_settings(config_file, **overrides), clocks.from_env()).run_forever()
    except (OSError, FeedsvcError) as exc:  # the port is taken, the data folder is not writable, a bad setting
        message = f"cannot start: {exc}" if isinstance(exc, OSError) else str(exc)
        if log_format == "json":
            logs.fatal(message)  # the log's own JSON line, not click's "Error: …"
        raise click.ClickException(message) from None


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the issue as JSON.")
@click.option("--explain", is_flag=True, help="Print each line with what it was taken for and its item.")
@config_option
@_one_line_errors
def parse(file: Path, as_json: bool, explain: bool, config_file: Path | None) -> None:
    """Parse one issue file and print what it holds.

    Example:

        feedsvc parse --json seeds/000_90b6bc3011e581f6.txt
    """
    from feedsvc.wiring import explain_file, parse_file

    if explain:
        click.echo("\n".join(explain_file(_settings(config_file), file)))
        return
    issue = parse_file(_settings(config_file), file)
    if as_json:
        click.echo(json.dumps(issue.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{issue.source}: issue of {issue.issue_date} ({issue.encoding}), {len(issue.items)} items")
    for item in issue.items:
        section = f" [{item.section}]" if item.section else ""
        authors = f" — {' '.join(item.authors)}" if item.authors else ""
        click.echo(f"  {item.ordinal:>2}. {item.kind.value:<7} {item.title}{section}{authors}")
    if issue.suspension:
        click.echo(f"  notice: {issue.suspension.describe()}")
    for warning in issue.warnings:
        click.echo(f"  warning: {warning}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@config_option
@data_option
@_one_line_errors
def ingest(files: tuple[Path, ...], config_file: Path | None, data: Path | None) -> None:
    """Backfill many issue files, then rebuild the feeds once.

    Example:

        feedsvc ingest --data var/data archive/*.txt
    """
    from feedsvc.wiring import ingest_files

    logs.setup(level=30)
    settings = _settings(config_file, data=data)
    with datafolder.acquire(settings.data, "feedsvc ingest"), \
            click.progressbar(files, label="ingesting", file=sys.stderr) as bar:
        changed, failed = ingest_files(settings, clocks.from_env(), bar)
    click.echo(f"{changed} of {len(files)} files changed the store; {len(failed)} failed")
    for name, reason in failed:
        click.echo(f"failed: {name}: {reason}", err=True)
    if failed:
        sys.exit(1)


@cli.command()
@config_option
@data_option
@_one_line_errors
def build(config_file: Path | None, data: Path | None) -> None:
    """Regenerate every feed and page from the store.

    Example:

        feedsvc build --data var/data
    """
    from feedsvc.wiring import service_for

    settings = _settings(config_file, data=data)
    with datafolder.acquire(settings.data, "feedsvc build"), service_for(settings, clocks.from_env()) as service:
        service.publish(everything=True)


@cli.command()
@config_option
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--file", "file_name", metavar="NAME", help="Say in one sentence what became of one inbox file.")
@_one_line_errors
def status(config_file: Path | None, data: Path | None, as_json: bool, file_name: str | None) -> None:
    """Show what the service knows: issues, next expected date, held, missing and rejected files, and what
    became of each inbox file.

    Example:

        feedsvc status --json --data var/data
        feedsvc status --file 2023-09-27.txt --data var/data
    """
    from feedsvc.status import render_text
    from feedsvc.wiring import service_for

    with service_for(_settings(config_file, data=data), clocks.from_env()) as service:
        if file_name is not None:
            click.echo(service.explain(Path(file_name).name))
            return
        info = service.status()
    click.echo(json.dumps(info, ensure_ascii=False, indent=2) if as_json else render_text(info))


@cli.command()
@click.argument("day", metavar="DATE")
@config_option
@data_option
@_one_line_errors
def release(day: str, config_file: Path | None, data: Path | None) -> None:
    """Publish an issue held on a declared suspension date (the paper appeared after all).

    Example:

        feedsvc release 2023-10-04 --data var/data
    """
    from feedsvc.wiring import service_for

    try:
        issue_date = date.fromisoformat(day)
    except ValueError:
        raise click.BadParameter(f"{day!r} is not a date like 2023-10-04", param_hint="DATE") from None
    settings = _settings(config_file, data=data)
    with datafolder.acquire(settings.data, "feedsvc release"), service_for(settings, clocks.from_env()) as service:
        service.release(issue_date)
    click.echo(f"released {issue_date}")
