"""Watch the inbox and report each fully written file once, on one worker thread.

watchdog's dispatcher thread only records what happened (see `_Recorder`); the worker thread decides when a
file is ready, calls `on_ready`, rescans, and re-establishes the watch when the inbox goes away.
What each write style fires (table and watchdog issue numbers in docs/libraries.md), in short:
- close after write (IN_CLOSE_WRITE) and a rename into the inbox make a file ready at once;
- a bare Created (`mv` from another folder) is ready after `settle_seconds` of quiet, unless Opened/Modified
  show a writer at work, in which case we wait for its Closed (or `_WRITER_QUIET_SECONDS` of silence);
- the polling observer never sends Opened/Closed, so there a file is ready after two quiet polls.
The watcher never opens a file (a FIFO would block): it only uses `os.scandir` and `lstat`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
import time
from collections import deque
from collections.abc import Callable
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
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

log = logging.getLogger(__name__)

_IGNORED_SUFFIXES = (".part", ".tmp", ".swp", ".swx", "~", ".crdownload", ".partial")
# A writer seen at work whose Closed never arrives (lost, or a writer that never closes) is trusted after this.
_WRITER_QUIET_SECONDS = 2.0
# How often the worker checks that the inbox still exists and is the same directory.
_INBOX_CHECK_SECONDS = 1.0
_OVERFLOW_LOGGER = "watchdog.observers.inotify_c"
_WORKER_NAME = "feedsvc-watch"


def is_candidate(name: str) -> bool:
    """Whether a directory entry name may be an issue: not hidden, not a temp, partial or editor file."""
    if not name or name.startswith("."):
        return False
    if len(name) >= 2 and name.startswith("#") and name.endswith("#"):  # emacs auto-save
        return False
    return not name.lower().endswith(_IGNORED_SUFFIXES)


class _Recorder(FileSystemEventHandler):
    """Runs on watchdog's dispatcher thread: hands each event to the watcher, which only records it."""

    def __init__(self, record: Callable[[FileSystemEvent], None]) -> None:
        self._record = record

    def dispatch(self, event: FileSystemEvent) -> None:
        self._record(event)


class _OverflowHook(logging.Handler):
    """watchdog reports an inotify overflow only as a log line; turn that line into a rescan."""

    def __init__(self, rescan: Callable[[], None]) -> None:
        super().__init__(level=logging.WARNING)
        self._rescan = rescan
        self._logger = logging.getLogger(_OVERFLOW_LOGGER)
        self._restore_level: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if "queue overflowed" in record.getMessage():
            self._rescan()

    def attach(self) -> None:
        # If the application silenced watchdog's warnings, the overflow record would never reach us.
        if self._logger.getEffectiveLevel() > logging.WARNING:
            self._restore_level = self._logger.level
            self._logger.setLevel(logging.WARNING)
        self._logger.addHandler(self)

    def detach(self) -> None:
        self._logger.removeHandler(self)
        if self._restore_level is not None:
            self._logger.setLevel(self._restore_level)
            self._restore_level = None


class InboxWatcher:
    """Calls `on_ready(path)` for each file in `inbox` once it is completely written.

    Every call happens on one worker thread, one file at a time, in the order files became ready; a path
    already waiting in the queue is not queued twice. A full scan at start, on `rescan()`, every
    `rescan_seconds` and after an inotify overflow reports every eligible file again, so the consumer must be
    idempotent (feedsvc keys on the content hash).
    """

    def __init__(
        self,
        inbox: Path,
        on_ready: Callable[[Path], None],
        *,
        polling: bool = False,
        poll_seconds: float = 1.0,
        settle_seconds: float = 0.25,
        rescan_seconds: float | None = 600.0,
    ) -> None:
        self.inbox = Path(os.path.abspath(inbox))  # normalised like watchdog's event paths
        self._on_ready = on_ready
        self._polling = polling
        self._poll_seconds = poll_seconds
        self._settle = settle_seconds
        self._quiet_polls = 2 * poll_seconds
        self._writer_quiet = max(_WRITER_QUIET_SECONDS, settle_seconds)
        self._rescan_seconds = rescan_seconds

        # Everything below the condition's lock is shared with the dispatcher thread and the overflow hook.
        self._cond = threading.Condition()
        self._pending: dict[Path, float] = {}  # not ready yet: monotonic time it is ready unless more happens
        self._ready: deque[Path] = deque()
        self._queued: set[Path] = set()
        self._scan_requested = False
        self._inbox_lost = False
        self._stopping = False
        self._wake_at = 0.0  # when the waiting worker will wake by itself (0: it is not waiting)

        # Owned by the worker thread (and by start() before the worker runs).
        self._observer: BaseObserver | None = None
        self._watch: ObservedWatch | None = None
        self._identity: tuple[int, int] | None = None
        self._last_warning: str | None = None
        self._scan_failed = False
        self._next_check = 0.0
        self._next_rescan = float("inf")

        self._worker: threading.Thread | None = None
        self._overflow_hook = _OverflowHook(self.rescan)

    # -- public API -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Watch the inbox (or wait for it to appear) and queue every eligible file in it; returns at once."""
        if self._worker is not None:
            raise RuntimeError("InboxWatcher.start() called twice")
        self._overflow_hook.attach()
        self._observer = self._make_observer()
        self._observer.start()
        self._check_inbox()  # the watch goes up before the scan, so nothing falls in between
        # Scan here, not on the worker: once start() returns, every file present then is queued, and a file
        # written afterwards is left to its events (a later scan could catch it half written).
        with self._cond:
            scan, self._scan_requested = self._scan_requested, False
        if scan:
            self._scan()
        now = time.monotonic()
        self._next_check = now + _INBOX_CHECK_SECONDS
        if self._rescan_seconds is not None:
            self._next_rescan = now + self._rescan_seconds
        self._worker = threading.Thread(target=self._run, name=_WORKER_NAME, daemon=True)
        self._worker.start()

    def _make_observer(self) -> BaseObserver:
        if not self._polling:
            try:
                return Observer()
            except OSError as exc:  # e.g. the per-user inotify instance limit
                log.warning("inotify unavailable (%s); polling inbox %s every %s s instead",
                            exc, self.inbox, self._poll_seconds)
                self._polling = True
        return PollingObserver(timeout=self._poll_seconds)

    def stop(self) -> None:
        """Stop watching; waits for the `on_ready` call in progress. Files still pending are dropped."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        # Join the worker before stopping the observer: it may be (re)scheduling a watch on it.
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join()
        if self._observer is not None:
            self._observer.stop()
            if self._observer.is_alive():
                self._observer.join()
        self._overflow_hook.detach()

    def rescan(self) -> None:
        """Queue every eligible file in the inbox again (done by the worker thread, soon)."""
        with self._cond:
            self._scan_requested = True
            self._cond.notify_all()

    # -- dispatcher thread: record only ------------------------------------------------------------------

    def _record(self, event: FileSystemEvent) -> None:
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
                quiet = self._quiet_polls if self._polling else self._settle
                self._set_pending(src, now + quiet)
            elif isinstance(event, FileModifiedEvent):
                quiet = self._quiet_polls if self._polling else self._writer_quiet
                self._set_pending(src, now + quiet)
            elif isinstance(event, FileOpenedEvent):
                # Only a file still settling counts: an Opened on anything else is a reader (maybe our consumer).
                deadline = self._pending.get(src)
                if deadline is not None:
                    self._set_pending(src, max(deadline, now + self._writer_quiet))
            elif isinstance(event, FileDeletedEvent):
                self._pending.pop(src, None)
            # FileClosedNoWriteEvent (readers, including us) and attribute changes mean nothing here.

    def _eligible(self, path: Path) -> bool:
        return path.parent == self.inbox and is_candidate(path.name)

    def _set_pending(self, path: Path, deadline: float) -> None:
        """Caller holds the lock. Wakes the worker only if it would otherwise sleep past this deadline."""
        self._pending[path] = deadline
        if deadline < self._wake_at:
            self._cond.notify_all()

    def _make_ready(self, path: Path) -> None:
        """Queue `path` unless it is queued already. Caller holds the lock."""
        self._pending.pop(path, None)
        if path not in self._queued:
            self._queued.add(path)
            self._ready.append(path)
            self._cond.notify_all()

    def backlog(self) -> int:
        """Files ready and waiting for their turn: a consumer may defer costly follow-up work while this is > 0."""
        with self._cond:
            return len(self._ready)

    # -- worker thread ----------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                path: Path | None = None
                while not self._stopping:
                    now = time.monotonic()
                    if self._maintenance_due(now):
                        break
                    self._promote_settled(now)
                    if self._ready:
                        path = self._ready.popleft()
                        self._queued.discard(path)
                        break
                    timeout = self._seconds_to_next(now)
                    self._wake_at = now + timeout
                    self._cond.wait(timeout)
                    self._wake_at = 0.0  # awake: no wake-up needed until the next wait
                if self._stopping:
                    return
            if path is None:
                self._maintain()
            else:
                self._deliver(path)

    def _maintenance_due(self, now: float) -> bool:
        return self._scan_requested or self._inbox_lost or now >= self._next_check or now >= self._next_rescan

    def _promote_settled(self, now: float) -> None:
        due = sorted((deadline, path) for path, deadline in self._pending.items() if deadline <= now)
        for _, path in due:
            self._make_ready(path)

    def _seconds_to_next(self, now: float) -> float:
        soonest = min(self._pending.values(), default=float("inf"))
        return max(0.0, min(soonest, self._next_check, self._next_rescan) - now)

    def _maintain(self) -> None:
        now = time.monotonic()
        with self._cond:
            lost, self._inbox_lost = self._inbox_lost, False
        if lost or now >= self._next_check:
            self._next_check = now + _INBOX_CHECK_SECONDS
            self._check_inbox(lost=lost)
            if self._scan_failed:  # retried at this pace, not in a tight loop
                self._scan_failed = False
                self.rescan()
        if now >= self._next_rescan and self._rescan_seconds is not None:
            self._next_rescan = now + self._rescan_seconds
            self.rescan()
        with self._cond:
            scan, self._scan_requested = self._scan_requested, False
        if scan and self._watch is not None:  # an inbox that is not watched gets its scan when it comes back
            self._scan()

    def _deliver(self, path: Path) -> None:
        try:
            mode = path.lstat().st_mode
        except OSError:
            return  # gone (deleted or moved away) before its turn
        if stat.S_ISDIR(mode):
            return
        try:
            self._on_ready(path)
        except Exception:
            log.exception("processing %s failed", path)

    def _scan(self) -> None:
        """Queue every eligible entry. lstat-level only: FIFOs, devices and symlinks are listed, never opened."""
        try:
            with os.scandir(self.inbox) as entries:
                # Oldest change first: files met by a scan (a catch-up after downtime) come in the order the
                # editor wrote them, so the latest edition of a date ends in force.
                names = [name for _, name in sorted(
                    (e.stat(follow_symlinks=False).st_mtime_ns, e.name) for e in entries
                    if is_candidate(e.name) and not e.is_dir(follow_symlinks=False)
                )]
        except OSError as exc:  # vanished (the inbox check will notice) or unreadable
            self._warn_once(f"cannot list inbox {self.inbox}: {exc}; retrying")
            self._scan_failed = True
            return
        with self._cond:
            for name in names:
                path = self.inbox / name
                if path not in self._pending:  # a file still being written is reported when it is done
                    self._make_ready(path)

    def _check_inbox(self, *, lost: bool = False) -> None:
        """(Re)establish the watch if the inbox appeared, vanished or was replaced by another directory."""
        identity = _dir_identity(self.inbox)
        if self._watch is not None:
            if not lost and identity == self._identity and self._emitter_alive():
                return
            self._unwatch()
            if identity is not None:
                log.warning("inbox %s was deleted or replaced; watching the new one", self.inbox)
        if identity is None:
            self._warn_once(f"inbox {self.inbox} does not exist; waiting for it")
            return
        assert self._observer is not None
        try:
            self._watch = self._observer.schedule(
                _Recorder(self._record), str(self.inbox), recursive=False, follow_symlink=True
            )
        except OSError as exc:  # vanished again in between, unreadable, or out of inotify watches
            self._warn_once(f"cannot watch inbox {self.inbox}: {exc}; retrying")
            return
        self._identity = identity
        if self._last_warning is not None:
            log.info("inbox %s is back; watching it", self.inbox)
            self._last_warning = None
        with self._cond:
            self._scan_requested = True

    def _warn_once(self, message: str) -> None:
        """Log a problem once, not on every retry; a successful watch re-arms it."""
        if message != self._last_warning:
            log.warning("%s", message)
            self._last_warning = message

    def _emitter_alive(self) -> bool:
        # The inotify and polling emitters stop themselves when the watched directory is deleted.
        assert self._observer is not None
        return bool(self._observer.emitters) and all(e.is_alive() for e in self._observer.emitters)

    def _unwatch(self) -> None:
        assert self._observer is not None and self._watch is not None
        with contextlib.suppress(KeyError):  # watchdog already dropped it
            self._observer.unschedule(self._watch)
        self._watch = None
        self._identity = None
        with self._cond:
            self._pending.clear()  # those files went with the old directory


def _dir_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the directory at `path` (following a symlinked inbox), or None if there is none."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None
