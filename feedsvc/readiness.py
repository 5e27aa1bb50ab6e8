"""When an inbox file is completely written: watchdog's events in, ready paths out, in the order they became ready.

Fed on watchdog's dispatcher thread (`record`, which only records) and by scans; drained by the watcher's one
worker thread (`next_ready`). What each write style fires (table and watchdog issue numbers in
docs/libraries.md), in short:
- close after write (IN_CLOSE_WRITE) and a rename into the inbox make a file ready at once;
- a bare Created (`mv` from another folder) is ready after `settle_seconds` of quiet, unless Opened/Modified
  show a writer at work, in which case we wait for its Closed (or `WRITER_QUIET_SECONDS` of silence);
- the polling observer never sends Opened/Closed, so there a file is ready after two quiet polls.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from pathlib import Path

from watchdog.events import (
    DirDeletedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
    FileSystemEvent,
)

_IGNORED_SUFFIXES = (".part", ".tmp", ".swp", ".swx", "~", ".crdownload", ".partial")
# A writer seen at work whose Closed never arrives (lost, or a writer that never closes) is trusted after this.
WRITER_QUIET_SECONDS = 2.0


def is_candidate(name: str) -> bool:
    """Whether a directory entry name may be an issue: not hidden, not a temp, partial or editor file."""
    if not name or name.startswith("."):
        return False
    if len(name) >= 2 and name.startswith("#") and name.endswith("#"):  # emacs auto-save
        return False
    return not name.lower().endswith(_IGNORED_SUFFIXES)


class Readiness:
    """The files of `inbox` on their way to ready, and the requests (scan, inbox lost, stop) for the worker.

    Everything here is behind one condition, shared by the dispatcher thread, scans and the worker; a path
    already waiting in the ready queue is not queued twice."""

    def __init__(self, inbox: Path, *, settle_seconds: float, poll_seconds: float) -> None:
        self.inbox = inbox
        self.polling = False  # set by the watcher when it falls back to (or starts with) polling
        self._settle = settle_seconds
        self._quiet_polls = 2 * poll_seconds
        self._writer_quiet = max(WRITER_QUIET_SECONDS, settle_seconds)
        self._cond = threading.Condition()
        self._pending: dict[Path, float] = {}  # not ready yet: monotonic time it is ready unless more happens
        self._ready: deque[Path] = deque()
        self._queued: set[Path] = set()
        self._scan_requested = False
        self._inbox_lost = False
        self.stopping = False
        self._wake_at = 0.0  # when the waiting worker will wake by itself (0: it is not waiting)

    # -- requests --------------------------------------------------------------------------------------

    def request_scan(self) -> None:
        with self._cond:
            self._scan_requested = True
            self._cond.notify_all()

    def take_scan_request(self) -> bool:
        with self._cond:
            scan, self._scan_requested = self._scan_requested, False
            return scan

    def take_inbox_lost(self) -> bool:
        with self._cond:
            lost, self._inbox_lost = self._inbox_lost, False
            return lost

    def stop(self) -> None:
        with self._cond:
            self.stopping = True
            self._cond.notify_all()

    def backlog(self) -> int:
        with self._cond:
            return len(self._ready)

    def is_queued(self, path: Path) -> bool:
        with self._cond:
            return path in self._queued

    # -- in: events and scans ----------------------------------------------------------------------------

    def record(self, event: FileSystemEvent) -> None:
        """Runs on watchdog's dispatcher thread: records what the event says about a file, nothing more."""
        src = Path(os.fsdecode(event.src_path))
        if isinstance(event, DirDeletedEvent):
            if src == self.inbox:
                with self._cond:
                    self._inbox_lost = True
                    self._cond.notify_all()
            return
        if event.is_directory:
            return
        now = time.monotonic()
        with self._cond:
            if isinstance(event, FileMovedEvent):
                self._pending.pop(src, None)
                dest = Path(os.fsdecode(event.dest_path))
                if self._eligible(dest):
                    self._make_ready(dest)
            elif not self._eligible(src):
                return
            elif isinstance(event, FileClosedEvent):
                self._make_ready(src)
            elif isinstance(event, FileCreatedEvent):
                quiet = self._quiet_polls if self.polling else self._settle
                self._set_pending(src, now + quiet)
            elif isinstance(event, FileModifiedEvent):
                quiet = self._quiet_polls if self.polling else self._writer_quiet
                self._set_pending(src, now + quiet)
            elif isinstance(event, FileOpenedEvent):
                # Only a file still settling counts: an Opened on anything else is a reader (maybe our consumer).
                deadline = self._pending.get(src)
                if deadline is not None:
                    self._set_pending(src, max(deadline, now + self._writer_quiet))
            elif isinstance(event, FileDeletedEvent):
                self._pending.pop(src, None)
            # FileClosedNoWriteEvent (readers, including us) and attribute changes mean nothing here.

    def add_scanned(self, names: list[str]) -> None:
        """Queue the entries a scan found, except files still being written (reported when they are done)."""
        with self._cond:
            for name in names:
                path = self.inbox / name
                if path not in self._pending:
                    self._make_ready(path)

    def forget_pending(self) -> None:
        """The inbox went away, and the files still settling with it."""
        with self._cond:
            self._pending.clear()

    # -- out: the worker ---------------------------------------------------------------------------------

    def next_ready(self, maintenance_at: float) -> Path | None:
        """Wait for the next ready file; None when a scan or the lost inbox needs the worker, when the
        monotonic time `maintenance_at` has come, or when stopping."""
        with self._cond:
            while not self.stopping:
                now = time.monotonic()
                if self._scan_requested or self._inbox_lost or now >= maintenance_at:
                    return None
                self._promote_settled(now)
                if self._ready:
                    path = self._ready.popleft()
                    self._queued.discard(path)
                    return path
                soonest = min(self._pending.values(), default=float("inf"))
                timeout = max(0.0, min(soonest, maintenance_at) - now)
                self._wake_at = now + timeout
                self._cond.wait(timeout)
                self._wake_at = 0.0  # awake: no wake-up needed until the next wait
            return None

    # -- under the lock ----------------------------------------------------------------------------------

    def _eligible(self, path: Path) -> bool:
        return path.parent == self.inbox and is_candidate(path.name)

    def _set_pending(self, path: Path, deadline: float) -> None:
        """Wakes the worker only if it would otherwise sleep past this deadline."""
        self._pending[path] = deadline
        if deadline < self._wake_at:
            self._cond.notify_all()

    def _make_ready(self, path: Path) -> None:
        self._pending.pop(path, None)
        if path not in self._queued:
            self._queued.add(path)
            self._ready.append(path)
            self._cond.notify_all()

    def _promote_settled(self, now: float) -> None:
        due = sorted((deadline, path) for path, deadline in self._pending.items() if deadline <= now)
        for _, path in due:
            self._make_ready(path)
