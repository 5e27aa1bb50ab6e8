"""Bulk ingestion (`feedsvc ingest`): several processes, so every core works.

This process reads, parses and stores the files; page writers (one per core) write the item and issue pages of
each issue as soon as it is stored, reading the store themselves (WAL lets them read while this process writes).
The feeds, section feeds and index are published once at the end. A crash anywhere leaves work that the daemon's
recovery redoes: the published-through mark only moves with that final publication.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterable
from datetime import date
from multiprocessing.queues import Queue
from pathlib import Path

from feedsvc.config import Settings
from feedsvc.service import Service, publisher_for
from feedsvc.store import Store

log = logging.getLogger("feedsvc")


def write_pages(settings: Settings, days: Queue[date | None]) -> None:
    """The page writer: item pages, then the issue page, of each date it is given, until None."""
    store = Store(settings.database)
    publisher = publisher_for(settings, settings.site_url)
    publisher.durable = False  # the final full publication syncs the file system once
    try:
        while (day := days.get()) is not None:
            entries = store.issue_entries(day)
            for entry in entries:
                publisher.publish_item(entry)
            publisher.publish_issue(day, entries)
    finally:
        store.close()


def backfill(service: Service, paths: Iterable[Path]) -> int:
    """Ingest `paths` (each read from its own folder); returns how many changed the store."""
    # spawn, not fork: a child must not inherit this process's open SQLite connection.
    context = multiprocessing.get_context("spawn")
    # One writer per core: page writing costs more than parsing and storing, and the OS shares the cores out.
    queues: list[Queue[date | None]] = [context.Queue(maxsize=256) for _ in range(os.cpu_count() or 1)]
    writers = [context.Process(target=write_pages, args=(service.settings, q), name="feedsvc-pages", daemon=True)
               for q in queues]
    for writer in writers:
        writer.start()
    changed = 0
    try:
        for path in paths:
            changed += service.ingest(path, publish=False, inbox=path.parent)
            for day in service.hand_over():
                # A date always goes to the same writer, so a corrected edition is never written by two at once.
                queues[day.toordinal() % len(queues)].put(day)
    finally:
        for queue in queues:
            queue.put(None)
        for writer in writers:
            writer.join()
    failed = [w.exitcode for w in writers if w.exitcode != 0]
    if failed:
        log.warning("a page writer failed (exit status %s); writing every page here", failed[0])
    service.publish(everything=True, pages=bool(failed))
    return changed
