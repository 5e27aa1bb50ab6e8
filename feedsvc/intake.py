"""Reading an inbox file safely: only regular files inside the inbox, never more than the size limit.

The inbox is a shared folder, so anything may sit in it: a FIFO would block a plain `open()`, a symlink may point at
/etc/shadow, a 4 GB log may be dropped by mistake. Each refusal is a ParseError naming the file and the reason.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from feedsvc.errors import ParseError


@dataclass(frozen=True)
class Intake:
    """The bytes of an inbox file, read once, with what identifies them."""

    name: str
    data: bytes
    sha256: str
    mtime: float
    ctime_ns: int = 0  # changes with every act on the file (write, `cp -p`, rename, touch), unlike mtime


# Failures of the machine, not of the file: the file is retried until they pass (feedsvc.accounts).
ENVIRONMENTAL = frozenset({errno.ENOSPC, errno.EROFS, errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EDQUOT})


def environmental(exc: BaseException) -> bool:
    """Whether `exc`, or what caused it, is a failure of the machine (disk full, read-only, out of descriptors)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in ENVIRONMENTAL:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def display_name(path: Path) -> str:
    """The file's name as text: names are bytes on Linux, and bytes that are not UTF-8 show as \\xNN escapes
    (the name as Python holds it would not fit in SQLite, a log line or JSON)."""
    return os.fsencode(path.name).decode("utf-8", "backslashreplace")


def _link_target(path: Path, inbox: Path, name: str) -> os.stat_result:
    """The stat of what a symbolic link in the inbox leads to, or a ParseError: a loop, a dangling link, a target
    outside the inbox. os.path.realpath, not Path.resolve: the latter raises RuntimeError on a loop (3.11)."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ParseError(name, "symbolic link loop; refused") from None
        if exc.errno != errno.ENOENT:
            raise
    target = os.path.realpath(path)
    shown = os.fsencode(target).decode("utf-8", "backslashreplace")
    if Path(target).parent != Path(os.path.realpath(inbox)):
        raise ParseError(name, f"symbolic link to {shown} points outside the inbox; refused")
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise ParseError(name, f"symbolic link to {shown}, which does not exist; refused") from None


def read_inbox_file(path: Path, inbox: Path, max_bytes: int) -> Intake:
    """Read `path` (a file directly in `inbox`), refusing what is not a regular file inside the inbox.

    The Intake's name, and the source of every refusal, is `display_name(path)`.
    """
    name = display_name(path)
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            info = _link_target(path, inbox, name)
        if not stat.S_ISREG(info.st_mode):
            raise ParseError(name, f"{_kind(info.st_mode)}, not an issue file; refused without reading")
        if info.st_size > max_bytes:
            raise ParseError(name, f"file is {info.st_size} bytes, over the {max_bytes}-byte limit")
        # O_NONBLOCK: should the file be swapped for a FIFO after lstat, open() still returns at once.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                raise ParseError(name, f"{_kind(opened.st_mode)}, not an issue file; refused")
            with os.fdopen(fd, "rb", closefd=False) as handle:
                data = handle.read(max_bytes + 1)
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise ParseError(name, "file disappeared before it could be read") from None
    except PermissionError:
        raise ParseError(name, "permission denied: the service needs read access to the inbox") from None
    except OSError as exc:
        if exc.errno in ENVIRONMENTAL:
            raise  # not the file's fault: it is retried
        raise ParseError(name, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ParseError(name, f"file grew over the {max_bytes}-byte limit while being read")
    return Intake(name, data, hashlib.sha256(data).hexdigest(), opened.st_mtime, opened.st_ctime_ns)
