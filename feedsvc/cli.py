"""The command line: a thin click group over what feedsvc.wiring builds. FeedsvcError becomes a one-line message."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from feedsvc import clock as clocks
from feedsvc import config, logs
from feedsvc.control import Reply
from feedsvc.errors import FeedsvcError
from feedsvc.operator import ingest_reply, parse_day, perform, submit

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


def _finish(reply: Reply) -> None:
    """Print a command's reply as the command's own output; its status is the exit status."""
    for line in reply.lines:
        click.echo(line)
    for line in reply.errors:
        click.echo(line, err=True)
    if reply.code:
        sys.exit(reply.code)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@config_option
@data_option
@_one_line_errors
def ingest(files: tuple[Path, ...], config_file: Path | None, data: Path | None) -> None:
    """Backfill many issue files, then rebuild the feeds once (by the running daemon, if one serves the data).

    Example:

        feedsvc ingest --data var/data archive/*.txt
    """
    from feedsvc.wiring import ingest_files

    logs.setup(level=30)
    settings = _settings(config_file, data=data)

    def here() -> Reply:
        with click.progressbar(files, label="ingesting", file=sys.stderr) as bar:
            changed, failed = ingest_files(settings, clocks.from_env(), bar)
        return ingest_reply(changed, len(files), failed)

    _finish(submit(settings, {"command": "ingest", "files": [os.path.abspath(f) for f in files]}, here))


@cli.command()
@config_option
@data_option
@_one_line_errors
def build(config_file: Path | None, data: Path | None) -> None:
    """Regenerate every feed and page from the store (by the running daemon, if one serves the data).

    Example:

        feedsvc build --data var/data
    """
    settings = _settings(config_file, data=data)
    _finish(submit(settings, {"command": "build"}, lambda: _here(settings, {"command": "build"})))


def _here(settings: config.Settings, request: dict[str, Any]) -> Reply:
    """A request carried out in this process (no daemon serves the data folder)."""
    from feedsvc.wiring import service_for

    with service_for(settings, clocks.from_env()) as service:
        return perform(service, request)


@cli.command()
@config_option
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--file", "file_name", metavar="NAME", help="Say in one sentence what became of one inbox file.")
@_one_line_errors
def status(config_file: Path | None, data: Path | None, as_json: bool, file_name: str | None) -> None:
    """Show what the service knows: issues, next expected date, held, missing and rejected files, and what
    became of each inbox file (the running daemon's view, if one serves the data).

    Example:

        feedsvc status --json --data var/data
        feedsvc status --file 2023-09-27.txt --data var/data
    """
    from feedsvc.status import render_text

    settings = _settings(config_file, data=data)
    request = {"command": "status"} if file_name is None else {"command": "explain", "file": Path(file_name).name}
    reply = submit(settings, request, lambda: _here(settings, request), lock=False)
    if reply.data is not None and not reply.code:
        reply.lines = [json.dumps(reply.data, ensure_ascii=False, indent=2) if as_json else render_text(reply.data)]
    _finish(reply)


@cli.command()
@click.argument("day", metavar="DATE")
@config_option
@data_option
@_one_line_errors
def release(day: str, config_file: Path | None, data: Path | None) -> None:
    """Publish an issue held on a declared suspension date (the paper appeared after all). Any other issue is
    refused with its state: scheduled, already public, withdrawn, or none.

    Example:

        feedsvc release 2023-10-04 --data var/data
    """
    request = {"command": "release", "date": parse_day(day).isoformat()}
    settings = _settings(config_file, data=data)
    _finish(submit(settings, request, lambda: _here(settings, request)))


@cli.command()
@click.argument("day", metavar="DATE")
@config_option
@data_option
@_one_line_errors
def withdraw(day: str, config_file: Path | None, data: Path | None) -> None:
    """Take an issue out on purpose: its items leave every feed and its pages answer 410 Gone. (Deleting its
    file from the inbox never does this; a later edition of the date brings it back.)

    Example:

        feedsvc withdraw 2023-09-27 --data var
    """
    request = {"command": "withdraw", "date": parse_day(day).isoformat()}
    settings = _settings(config_file, data=data)
    _finish(submit(settings, request, lambda: _here(settings, request)))
