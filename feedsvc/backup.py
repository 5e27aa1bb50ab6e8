"""`feedsvc backup DEST` and `feedsvc restore SRC`: what a data folder cannot rebuild, copied out and back.

A backup is a folder holding the store (`feedsvc.sqlite`) and the photos (`media/`); `public/` is left out, since
`feedsvc build` writes it again from those two, byte for byte. The store is copied with SQLite's online backup
API (https://www.sqlite.org/backup.html) in one step, that is inside one read transaction: in WAL mode the daemon
keeps writing meanwhile and the copy is the store as it was at one moment. Photos are copied after the store, so
every photo the copied store knows of is there (a photo only ever replaces an older one of the same name).

The settings file and the inbox are the user's own files, outside the data folder: back them up as such.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from pathlib import Path

from feedsvc import schema
from feedsvc.errors import FeedsvcError
from feedsvc.media import MEDIA_FOLDER
from feedsvc.publication import PUBLISHED_MARK

STORE = "feedsvc.sqlite"


class BackupError(FeedsvcError):
    """A backup that cannot be made or restored; the message names the folder and the reason."""


def backup(data: Path, dest: Path) -> int:
    """Copy the store and photos of `data` into the new folder `dest`; returns the schema version copied.

    Written into `dest`.partial first and renamed at the end, so a `dest` that exists is a whole backup."""
    source = data / STORE
    if not source.is_file():
        raise BackupError(f"{data}: no store ({STORE}) to back up")
    if dest.exists():
        raise BackupError(f"{dest}: already exists; give a new folder")
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # what an interrupted backup left
    partial.mkdir(parents=True)
    # Read-only: a backup never writes the live store (nor creates one where there was none).
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as live, \
            contextlib.closing(sqlite3.connect(partial / STORE)) as copy:
        live.backup(copy)  # pages=-1: all in one step, one consistent snapshot
        version = int(copy.execute("PRAGMA user_version").fetchone()[0])
    if (data / MEDIA_FOLDER).is_dir():
        shutil.copytree(data / MEDIA_FOLDER, partial / MEDIA_FOLDER)
    _sync_tree(partial)
    partial.rename(dest)
    _sync(dest.parent)
    return version


def restore(src: Path, data: Path) -> int:
    """Replace the store and photos of `data` by those of the backup `src`, and drop `public/` and the
    published-through mark so the next build writes every file anew; returns the backup's schema version.

    The caller holds the data folder's lock (`datafolder.acquire`: refused while a daemon runs on it) and builds
    afterwards, under the same lock."""
    version = check(src)
    with contextlib.closing(sqlite3.connect(f"file:{src / STORE}?mode=ro", uri=True)) as saved, \
            contextlib.closing(sqlite3.connect(data / STORE)) as store:
        # Through SQLite, not a file copy: a -wal file left beside an old store would be replayed into it.
        saved.backup(store)
    media = data / MEDIA_FOLDER
    shutil.rmtree(media, ignore_errors=True)
    if (src / MEDIA_FOLDER).is_dir():
        shutil.copytree(src / MEDIA_FOLDER, media)
    shutil.rmtree(data / "public", ignore_errors=True)
    (data / PUBLISHED_MARK).unlink(missing_ok=True)
    _sync(data / STORE)
    if media.is_dir():
        _sync_tree(media)
    _sync(data)
    return version


def check(src: Path) -> int:
    """The schema version of the backup in `src`, once it is known to be whole and not newer than this feedsvc."""
    path = src / STORE
    if not path.is_file():
        raise BackupError(f"{src}: not a feedsvc backup (no {STORE})")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a readable store ({exc})") from None
    if verdict != "ok":
        raise BackupError(f"{path}: damaged store ({verdict})")
    if version > schema.VERSION:
        raise BackupError(f"{path}: made by a newer feedsvc (schema {version}, this one knows {schema.VERSION})")
    return version


def _sync_tree(root: Path) -> None:
    """fsync every file and folder under `root`: a backup that says it is done survives a power cut."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            _sync(Path(folder) / name)
        _sync(Path(folder))


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
