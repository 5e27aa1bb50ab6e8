"""Watch the inbox and report each fully written file once, on one worker thread.

watchdog's dispatcher thread only records what happened (into `Readiness`, which decides when a file is
completely written); the worker thread calls `on_ready`, rescans, and re-establishes the watch when the inbox
goes away. The watcher never opens a file (a FIFO would block): it only uses `os.scandir` and `lstat`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from feedsvc.readiness import Readiness, is_candidate

__all__ = ["InboxWatcher", "is_candidate"]

log = logging.getLogger(__name__)

# How often the worker checks that the inbox still exists and is the same directory.
_INBOX_CHECK_SECONDS = 1.0
_OVERFLOW_LOGGER = "watchdog.observers.inotify_c"
_WORKER_NAME = "feedsvc-watch"


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
        self._rescan_seconds = rescan_seconds
        self._readiness = Readiness(self.inbox, settle_seconds=settle_seconds, poll_seconds=poll_seconds)

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
        self._readiness.polling = self._polling
        self._observer.start()
        self._check_inbox()  # the watch goes up before the scan, so nothing falls in between
        # Scan here, not on the worker: once start() returns, every file present then is queued, and a file
        # written afterwards is left to its events (a later scan could catch it half written).
        if self._readiness.take_scan_request():
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
        self._readiness.stop()
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
        self._readiness.request_scan()

    def backlog(self) -> int:
        """Files ready and waiting for their turn: a consumer may defer costly follow-up work while this is > 0."""
        return self._readiness.backlog()

    # -- worker thread ----------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            path = self._readiness.next_ready(min(self._next_check, self._next_rescan))
            if self._readiness.stopping:
                return
            if path is None:
                self._maintain()
            else:
                self._deliver(path)

    def _maintain(self) -> None:
        now = time.monotonic()
        lost = self._readiness.take_inbox_lost()
        if lost or now >= self._next_check:
            self._next_check = now + _INBOX_CHECK_SECONDS
            self._check_inbox(lost=lost)
            if self._scan_failed:  # retried at this pace, not in a tight loop
                self._scan_failed = False
                self.rescan()
        if now >= self._next_rescan and self._rescan_seconds is not None:
            self._next_rescan = now + self._rescan_seconds
            self.rescan()
        # An inbox that is not watched gets its scan when it comes back.
        if self._readiness.take_scan_request() and self._watch is not None:
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
        self._readiness.add_scanned(names)

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
                _Recorder(self._readiness.record), str(self.inbox), recursive=False, follow_symlink=True
            )
        except OSError as exc:  # vanished again in between, unreadable, or out of inotify watches
            self._warn_once(f"cannot watch inbox {self.inbox}: {exc}; retrying")
            return
        self._identity = identity
        if self._last_warning is not None:
            log.info("inbox %s is back; watching it", self.inbox)
            self._last_warning = None
        self._readiness.request_scan()

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
        self._readiness.forget_pending()  # those files went with the old directory


def _dir_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the directory at `path` (following a symlinked inbox), or None if there is none."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None
