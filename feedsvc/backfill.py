"""Bulk ingestion (`feedsvc ingest`): several processes, so every core works.

This process reads, parses and stores the files; page writers (one per core, built by
`feedsvc.wiring.page_writer`) write the item pages of each issue as soon as it is stored, reading the store
themselves (WAL lets them read while this process writes), and its issue page once every file is stored and the
order of the public issues (the pages' previous/next links) is known. The feeds, section feeds, archives and index
are published once at the end. A crash anywhere leaves work that the daemon's recovery redoes: the
published-through mark only moves with that final publication.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
from collections.abc import Callable, Iterable
from datetime import date
from multiprocessing.queues import Queue
from pathlib import Path

from feedsvc.config import Settings
from feedsvc.publish import Publisher
from feedsvc.service import Service
from feedsvc.site import IssueOrder
from feedsvc.store import Store

log = logging.getLogger("feedsvc")

# What a page writer is sent: a date whose item pages to write; then the public issues in date order (write the
# issue pages of the dates sent); then None (done).
Work = date | tuple[date, ...] | None
# A page writer's process target: (settings, its work, the parent's pid). Top-level, for spawn.
PageWriter = Callable[[Settings, "Queue[Work]", int], None]


def write_pages(store: Store, publisher: Publisher, days: Queue[Work], parent: int) -> None:
    """The page writer's loop: the item pages of each date it is given; given the order of the public issues,
    the issue pages of those dates; at None, the end."""
    written: list[date] = []
    while True:
        # The ingest was killed: nobody will send the end, and whatever is still queued is the recovery's to
        # redo (checked per date too: a full queue kept orphaned writers busy for minutes).
        if os.getppid() != parent:
            return
        try:
            day = days.get(timeout=1.0)
        except queue.Empty:
            continue
        if day is None:
            return
        if isinstance(day, tuple):
            order = IssueOrder(day)
            for issue in written:
                publisher.publish_issue(issue, store.issue_entries(issue), neighbours=order.neighbours(issue))
            written.clear()
            continue
        for entry in store.issue_entries(day):
            publisher.publish_item(entry)
        written.append(day)


def backfill(service: Service, paths: Iterable[Path], page_writer: PageWriter) -> int:
    """Ingest `paths` (each read from its own folder); returns how many changed the store."""
    # spawn, not fork: a child must not inherit this process's open SQLite connection.
    context = multiprocessing.get_context("spawn")
    # One writer per core: page writing costs more than parsing and storing, and the OS shares the cores out.
    queues: list[Queue[Work]] = [context.Queue(maxsize=256) for _ in range(os.cpu_count() or 1)]
    writers = [context.Process(target=page_writer, args=(service.settings, q, os.getpid()), name="feedsvc-pages",
                               daemon=True) for q in queues]
    for writer in writers:
        writer.start()
    changed = 0
    remaining = iter(paths)  # what a failed writer leaves to ingest here
    try:
        for path in remaining:
            changed += service.ingest(path, publish=False, inbox=path.parent)
            for day in service.hand_over():
                # A date always goes to the same writer, so a corrected edition is never written by two at once.
                n = day.toordinal() % len(queues)
                if not _send(queues[n], writers[n], day):
                    break
            if not all(w.is_alive() for w in writers):
                break
        order = tuple(service.publication.paper.public_days(service.clock()))
        for days, writer in zip(queues, writers, strict=True):
            _send(days, writer, order)
    finally:
        for days, writer in zip(queues, writers, strict=True):
            _send(days, writer, None)
        for writer in writers:
            writer.join()
    failed = [w.exitcode for w in writers if w.exitcode != 0]
    if failed:  # its pages are not written: write every page here, and ingest what is left
        log.warning("a page writer failed (exit status %s); writing the pages in this process", failed[0])
        changed += sum(service.ingest(path, publish=False, inbox=path.parent) for path in remaining)
    service.publish(everything=True, pages=bool(failed))
    return changed


def _send(days: Queue[Work], writer: multiprocessing.process.BaseProcess, day: Work) -> bool:
    """Queue `day` for `writer`, unless the writer has died (a full queue would then block for ever)."""
    while writer.is_alive():
        try:
            days.put(day, timeout=1.0)
            return True
        except queue.Full:
            continue
    return False
