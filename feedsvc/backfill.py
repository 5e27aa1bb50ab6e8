"""Bulk ingestion (`feedsvc ingest`): store every file, then publish once.

Each file is read, parsed and stored as the watcher would (`Service.ingest`), without publishing; the changed
issues that are public are handed over (`Service.hand_over`), and one publication at the end writes every feed
and the index. The issues' item pages, issue pages and archive months are not written here: they are written on
their first request (ondemand.py), byte for byte what `feedsvc build` writes. Measured on 1,000 issues, writing
them took three quarters of the time, for pages few readers open. A crash anywhere leaves work that the daemon's
recovery redoes: the published-through mark only moves with that final publication.

The files are parsed ahead in a second process, on the other core, while this one stores: parsing is a pure
function of a file's bytes, and was a fifth of a backfill's time.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from feedsvc.errors import FeedsvcError
from feedsvc.intake import read_inbox_file
from feedsvc.model import Issue
from feedsvc.parse import parse_issue
from feedsvc.service import Service

# Fewer files are parsed here: starting the parser process (~0.3 s) would cost more than it saves.
PARSE_AHEAD_FROM = 200
AHEAD = 64  # files in flight to the parser: its results wait in memory until stored


def backfill(service: Service, paths: Iterable[Path]) -> int:
    """Ingest `paths` (each read from its own folder); returns how many changed the store."""
    changed = 0
    for path in _parsed_ahead(service, list(paths)):
        changed += service.ingest(path, publish=False, inbox=path.parent)
        service.hand_over()
    service.publish(everything=True, pages=False)
    return changed


def parse_ahead(path: Path, max_bytes: int, weekdays: tuple[int, ...]) -> tuple[str, str, Issue] | None:
    """In the parser process: (file name, sha256, issue), or None when the file cannot be read or parsed (the
    ingest then meets the failure itself, and accounts for it)."""
    try:
        intake = read_inbox_file(path, path.parent, max_bytes)
        return intake.name, intake.sha256, parse_issue(intake.data, intake.name, weekdays=weekdays)
    except (OSError, FeedsvcError):
        return None


def _parsed_ahead(service: Service, paths: list[Path]) -> Iterator[Path]:
    """`paths` in order, each with its issue parsed ahead in `service.accounts.parsed` when it could be."""
    if len(paths) < PARSE_AHEAD_FROM:
        yield from paths
        return
    settings, parsed = service.settings, service.accounts.parsed
    # spawn, not fork: the child must not inherit this process's open SQLite connections and threads.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque[Future[tuple[str, str, Issue] | None]] = deque()
        ahead = iter(paths)
        for path in paths:
            while len(pending) < AHEAD and (following := next(ahead, None)) is not None:
                pending.append(pool.submit(parse_ahead, following, settings.max_file_bytes, settings.weekdays))
            result = pending.popleft().result()
            if result is not None:
                parsed[result[0], result[1]] = result[2]
            yield path
            if result is not None:  # not taken when the file was unchanged: it must not pile up
                parsed.pop((result[0], result[1]), None)
