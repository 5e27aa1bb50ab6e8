"""Atomic file replacement for everything under public/: readers see the old file or the new one, never half."""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from pathlib import Path

TEMP_SUFFIX = ".tmp"
_SERIAL = itertools.count()
_STARTED = time.time()  # a temp file naming our pid but older than this is from a former process


def fsync_dir(folder: Path) -> None:
    """Make the renames done in `folder` durable."""
    # The rename lives in the directory entry; without this a power cut can undo it.
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def holds(path: Path, data: bytes) -> bool:
    """True when `path` exists with exactly `data` as its bytes."""
    try:
        # A size check first spares reading the file back in the common "it changed" case.
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


def write_atomic(path: Path, data: bytes, *, sync_dir: bool = True, durable: bool = True) -> bool:
    """Replace `path` with `data` unless it already holds exactly those bytes; True when written.

    The temp file sits in the same folder (so `os.replace` is a rename on one file system) under a
    dot-prefixed name the server never serves, which carries the writer's pid (see `sweep_temp_files`).
    On any failure the temp file is removed, the old file stays in place and the exception propagates.
    A new version is dated at least a whole second after the one it replaces (see `_dated_after`).
    A caller writing several files into one folder may pass `sync_dir=False` and call `fsync_dir` once
    at the end (one journal commit).
    """
    if holds(path, data):
        return False  # keep mtime, and with it the server's ETag and Last-Modified
    try:
        replaced_ns: int | None = path.stat().st_mtime_ns
    except FileNotFoundError:
        replaced_ns = None
    # Unique per process and call, so no random names to draw (mkstemp was a third of a page write).
    tmp = path.parent / f".{path.name}.{os.getpid()}.{next(_SERIAL)}{TEMP_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, flags, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o644)  # whatever the umask: the server may run as another user
            handle.write(data)
            handle.flush()
            if replaced_ns is not None:
                _dated_after(handle.fileno(), replaced_ns)
            if durable:
                os.fsync(handle.fileno())
        tmp.replace(path)  # a rename: atomic for readers of `path`
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    if sync_dir:
        fsync_dir(path.parent)
    return True


def _dated_after(fd: int, replaced_ns: int) -> None:
    """Date the new version (open as `fd`) in a later whole second than the version it replaces.

    HTTP dates have whole seconds (aiohttp rounds mtimes up, other servers down): a feed rewritten within
    the second of its previous version, or after the clock stepped back, would keep its Last-Modified.
    A reader sending only If-Modified-Since would then get 304 for changed bytes, and libcurl (newsboat)
    drops a 200's body whose Last-Modified is not newer than its condition. So the mtime moves to just
    past the next second when needed: ahead of the clock by under a second per change within one second.
    The server never announces more than the response's Date (fileresponse.announce_last_modified); what it
    relies on here is that each version has a whole second of its own.
    """
    # One millisecond past the second: st_mtime as a float cannot tell a nanosecond from the second itself.
    after_ns = (replaced_ns // 1_000_000_000 + 1) * 1_000_000_000 + 1_000_000
    if os.fstat(fd).st_mtime_ns < after_ns:
        os.utime(fd, ns=(after_ns, after_ns))


def remove(path: Path, *, sync: bool = True) -> bool:
    """Delete `path` durably (`sync`: else the caller syncs its folder); True when it existed."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    if sync:
        fsync_dir(path.parent)
    return True


def _writer_is_gone(path: Path) -> bool:
    """Whether the temp file at `path` (".<file>.<pid>.<random>.tmp") was left by a process no longer running."""
    pid = path.name.rsplit(".", 3)[-3] if path.name.count(".") >= 4 else ""
    if not pid.isdigit() or int(pid) == 0:
        return False
    if int(pid) == os.getpid():  # ours if written since we started, else a former process with the same pid
        return path.stat().st_mtime < _STARTED
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive under another user (EPERM), or cannot tell
        return False
    return False


def sweep_temp_files(root: Path, older_than: float = 60.0) -> list[Path]:
    """Remove temp files a killed process left under `root` (only ours: dot-prefixed, `.tmp`).

    A temp file whose writer is no longer running goes at once: a service killed mid-write and restarted
    a second later leaves nothing behind. Otherwise (the writer's pid is alive, or was reused, or the name
    carries none) only the age limit removes it, sparing the in-flight write of another process (a `build`
    run next to the service) that shares the folder.
    """
    removed = []
    limit = time.time() - older_than
    for stale in root.rglob(f".*{TEMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            if stale.is_file() and (_writer_is_gone(stale) or stale.stat().st_mtime < limit):
                stale.unlink()
                removed.append(stale)
    return removed
