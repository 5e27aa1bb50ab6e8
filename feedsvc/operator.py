"""The operator's commands (`release`, `withdraw`, `build`, `ingest`, `status`), one implementation wherever they
run: in the daemon serving the data folder, asked over the control channel (feedsvc.control), or, when no daemon
runs, in the command's own process under the data folder's lock (`submit`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedsvc import control, datafolder
from feedsvc.config import Settings
from feedsvc.control import Reply
from feedsvc.errors import FeedsvcError
from feedsvc.events import Event, IssueRejected, IssueReleased, IssueScheduled

if TYPE_CHECKING:  # the command line imports this module; the service's own imports wait until one is built
    from feedsvc.service import Service

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class BadDate(FeedsvcError):
    def __init__(self, text: str) -> None:
        super().__init__(f"{text!r} is not a date like 2023-10-04 (YYYY-MM-DD)")


def parse_day(text: str) -> date:
    """A date written YYYY-MM-DD, and only so: `20231106` (which Python's fromisoformat takes) is refused, a typo
    must not release or withdraw the wrong issue."""
    if not _DAY.fullmatch(text):
        raise BadDate(text)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadDate(text) from None


def perform(service: Service, request: dict[str, Any]) -> Reply:
    """Carry out one request with `service`; a refusal (FeedsvcError) or a failed write is a one-line error."""
    command = request.get("command")
    try:
        if command == "release":
            return _released(service.release(parse_day(str(request["date"]))))
        if command == "withdraw":
            event = service.withdraw(parse_day(str(request["date"])))
            return Reply(lines=[f"withdrew the {event.issue_date} issue: {event.items} items left the feeds, "
                                "its pages answer 410 Gone"])
        if command == "build":
            service.publish(everything=True)
            return Reply(lines=["every feed and page written again"])
        if command == "ingest":
            return ingest(service, [Path(p) for p in request["files"]])
        if command == "status":
            return Reply(data=service.status())
        if command == "explain":
            return Reply(lines=[service.explain(str(request["file"]))])
    except FeedsvcError as exc:
        return Reply.refused(str(exc))
    except OSError as exc:
        return Reply.refused(f"{command}: public/ cannot be written: {exc}")
    return Reply.refused(f"unknown command {command!r}")


def _released(event: Event) -> Reply:
    if isinstance(event, IssueScheduled):  # held, released before its release time: public at that time
        at = event.release_at.isoformat(timespec="minutes")
        return Reply(lines=[f"released the {event.issue_date} issue: it goes public at its release time, {at}"])
    assert isinstance(event, IssueReleased)
    return Reply(lines=[f"released the {event.issue_date} issue: {event.items} items are public"])


def ingest_reply(changed: int, total: int, failed: list[tuple[str, str]]) -> Reply:
    """Files that failed are listed at the end, and make the exit status 1."""
    return Reply(1 if failed else 0, [f"{changed} of {total} files changed the store; {len(failed)} failed"],
                 [f"failed: {name}: {reason}" for name, reason in failed])


def ingest(service: Service, paths: list[Path]) -> Reply:
    """`feedsvc ingest` handed to the daemon: each file taken by its service, then one publication."""
    failed: list[tuple[str, str]] = []
    names = {path.name for path in paths}

    def rejected(event: IssueRejected) -> None:
        if event.file in names:  # not a file the watcher took meanwhile
            failed.append((event.file, event.reason))

    service.bus.subscribe(IssueRejected, rejected)
    changed = 0
    try:
        for path in paths:
            if os.path.lexists(path):
                changed += service.ingest(path, publish=False, inbox=path.parent)
            else:
                failed.append((str(path), "no such file"))
        service.publish()
    finally:
        service.bus.unsubscribe(IssueRejected, rejected)
    return ingest_reply(changed, len(paths), failed)


def submit(settings: Settings, request: dict[str, Any], direct: Callable[[], Reply], *, lock: bool = True) -> Reply:
    """Hand `request` to the daemon serving the data folder; with none, run `direct` here (under the data
    folder's lock when `lock`: this process is then its one writer)."""
    reply = control.ask(settings.data, request)
    if reply is not None:
        return reply
    if not lock:
        return direct()
    try:
        held = datafolder.acquire(settings.data, f"feedsvc {request['command']}")
    except datafolder.DataFolderBusy:
        reply = control.ask(settings.data, request)  # a daemon that was starting a moment ago
        if reply is not None:
            return reply
        raise
    with held:
        return direct()
