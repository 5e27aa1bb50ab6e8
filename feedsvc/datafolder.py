"""The data folder has one writer: a lock that says who holds it, and an inbox kept apart from it.

Two processes writing one store and one public/ overwrite each other's work (each with its own idea of the site's
address and of what is published). So whoever writes takes an exclusive `flock` on `feedsvc.lock` in the data
folder and writes who it is into that file; the kernel drops the lock when the process dies, however it dies,
so a stale file never blocks a restart. A second writer is refused at once with one line naming the folder and
the process holding it.

    lock = acquire(settings.data, "feedsvc run")   # raises DataFolderBusy
    ...
    lock.release()

    holder(settings.data)   # -> Holder(pid=…, command="feedsvc run", since=…) or None
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from feedsvc.errors import ConfigError, FeedsvcError

LOCK_FILE = "feedsvc.lock"
_UNNAMED_RETRIES = 5


@dataclass(frozen=True)
class Holder:
    """The process that holds a data folder's lock, as it described itself."""

    pid: int | None  # None: it holds the lock but has not written its name yet (a moment after acquiring)
    command: str
    since: str  # ISO 8601, UTC

    def describe(self) -> str:
        if self.pid is None:
            return "another process"
        return f"process {self.pid} ({self.command}, since {self.since})"


class DataFolderBusy(FeedsvcError):
    """Another process writes this data folder."""

    def __init__(self, data: Path, holder: Holder) -> None:
        self.data, self.holder = data, holder
        super().__init__(f"data folder {data} is in use by {holder.describe()}; stop it first or use another folder")


class DataLock:
    """The exclusive lock on one data folder, held by this process until `release()` (or its exit)."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.path = data / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, command: str) -> DataLock:
        """Take the lock or raise DataFolderBusy at once (never waits). OSError if the folder cannot be made."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this DataLock")
        self.data.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            _lock_now(fd, self.path)
        except BaseException:
            os.close(fd)
            raise
        me = {"pid": os.getpid(), "command": command, "since": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Let the next writer in. The file stays (deleting it would race with a writer opening it)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> DataLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def _lock_now(fd: int, path: Path) -> None:
    """flock(LOCK_EX) without waiting on a holder. A lock with no name in it may be `holder()` looking for a
    moment (or a writer between its lock and its name): that is worth a few short retries, a real holder is not."""
    for attempt in range(_UNNAMED_RETRIES + 1):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            found = _read_holder(path)
            if found.pid is not None or attempt == _UNNAMED_RETRIES:
                raise DataFolderBusy(path.parent, found) from None
            time.sleep(0.02)


def acquire(data: Path, command: str) -> DataLock:
    """Take the data folder's lock for `command` (e.g. "feedsvc run"); DataFolderBusy names who holds it."""
    return DataLock(data).acquire(command)


def holder(data: Path) -> Holder | None:
    """Who holds the data folder's lock right now, or None when nobody does."""
    path = data / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(path)
        fcntl.flock(fd, fcntl.LOCK_UN)  # we got it, so nobody holds it
        return None
    finally:
        os.close(fd)


def _read_holder(path: Path) -> Holder:
    try:
        raw = json.loads(path.read_text(encoding="utf-8") or "{}")
        return Holder(int(raw["pid"]), str(raw["command"]), str(raw["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return Holder(None, "", "")  # holds the lock, has not written its name yet


def check_apart(inbox: Path, data: Path) -> None:
    """Refuse an inbox that is, or is inside, or contains the data folder: the service would take its own
    store and pages for issue files (and an editor's inbox clean-up would delete the store)."""
    i, d = Path(os.path.realpath(inbox)), Path(os.path.realpath(data))
    if i == d:
        raise ConfigError("service.inbox", f"{inbox} is also the data folder; give them separate folders")
    if d in i.parents:
        raise ConfigError("service.inbox", f"{inbox} is inside the data folder {data}; give them separate folders")
    if i in d.parents:
        raise ConfigError("service.inbox", f"{inbox} contains the data folder {data}; give them separate folders")
