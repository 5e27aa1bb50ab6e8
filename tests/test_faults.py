"""Faults of the machine are retried and shown (issue 9, seen item 5): a full disk, a read-only public/, a public/
deleted by hand. A running service with real watchdog, SQLite and HTTP; the disk faults need root (a small tmpfs,
a read-only bind mount) and are skipped otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import ManualClock, fetch, issue_text, publication_done, wait_for

from feedsvc.config import Settings
from feedsvc.wiring import Daemon

TZ = ZoneInfo("Asia/Shanghai")
WED, MON = date(2023, 9, 27), date(2023, 9, 25)

needs_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("mount") is None,
                                reason="mounting a small tmpfs or a read-only bind mount needs root")


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@contextlib.contextmanager
def mounted(*args: str, at: Path) -> Iterator[Path]:
    at.mkdir(parents=True, exist_ok=True)
    mount(*args, str(at))
    try:
        yield at
    finally:
        subprocess.run(["umount", "-l", str(at)], check=False, capture_output=True)


def start(settings: Settings) -> Daemon:
    daemon = Daemon(settings, ManualClock(datetime(2023, 9, 28, 9, tzinfo=TZ)))
    daemon.start()
    return daemon


def titles(daemon: Daemon) -> list[str]:
    return [e.title for e in feedparser.parse(fetch(daemon.url + "rss.xml")[1]).entries]


def row(daemon: Daemon, name: str) -> dict[str, object] | None:
    return next((f for f in daemon.service.status()["files"] if f["file"] == name), None)


def fill(folder: Path) -> Path:
    """Write a file until the file system is full; returns it."""
    filler = folder / "filler"
    try:
        with filler.open("wb") as handle:  # the close flushes what the last write buffered: it may fail too
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    return filler


@needs_root
def test_a_drop_on_a_full_disk_waits_and_goes_through_once_space_is_back(tmp_path: Path) -> None:
    """Without a restart, a rescan or another drop: the file is retried with backoff until it goes through."""
    (tmp_path / "inbox").mkdir()
    with mounted("-t", "tmpfs", "-o", "size=3m", "tmpfs", at=tmp_path / "data") as data:
        settings = Settings(inbox=tmp_path / "inbox", data=data, port=0, rescan_minutes=0)
        daemon = start(settings)
        try:
            (settings.inbox / "mon.txt").write_text(issue_text(MON, "周一要闻"))
            wait_for(lambda: titles(daemon) == ["周一要闻"], what="the first issue")
            filler = fill(data)
            # Much bigger than the first: the store's write-ahead log must grow, and cannot.
            big = issue_text(WED, *(f"周三第{n}篇 城市新闻" for n in range(150))) + "正文。" * 50_000
            (settings.inbox / "wed.txt").write_text(big)  # the inbox is on another disk than the full one
            wait_for(lambda: (r := row(daemon, "wed.txt")) and r["state"] == "waiting", what="wed.txt waiting")
            code, body = fetch(daemon.url + "healthz")
            assert code == 503 and b"cannot be written" in body
            assert daemon.service.status()["health"] != "ok"
            filler.unlink()
            wait_for(lambda: (r := row(daemon, "wed.txt")) and r["state"] == "ingested", what="wed.txt taken")
            wait_for(lambda: fetch(daemon.url + "healthz")[0] == 200, what="healthy again")
            wait_for(lambda: "周三第0篇 城市新闻" in titles(daemon), what="the issue in the feed")
        finally:
            daemon.stop()


@needs_root
def test_a_read_only_public_folder_is_shown_and_retried(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    settings = Settings(inbox=tmp_path / "inbox", data=tmp_path / "data", port=0, rescan_minutes=0)
    daemon = start(settings)
    try:
        public = settings.public
        with mounted("--bind", str(public), at=public):
            mount("-o", "remount,bind,ro", str(public))
            (settings.inbox / "wed.txt").write_text(issue_text(WED, "周三要闻"))
            wait_for(lambda: fetch(daemon.url + "healthz")[0] == 503, what="healthz 503")
            assert b"public/ cannot be written" in fetch(daemon.url + "healthz")[1]
            assert "public/" in daemon.service.status()["health"]
        # The mount is gone: public/ is writable again, and the publication is retried within seconds.
        wait_for(lambda: titles(daemon) == ["周三要闻"], what="the issue published")
        wait_for(lambda: fetch(daemon.url + "healthz")[0] == 200, what="healthy again")
    finally:
        daemon.stop()


def test_a_deleted_public_folder_is_rewritten_at_the_next_tick(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    settings = Settings(inbox=tmp_path / "inbox", data=tmp_path / "data", port=0, rescan_minutes=0)
    daemon = start(settings)
    try:
        (settings.inbox / "wed.txt").write_text(issue_text(WED, "周三要闻"))
        wait_for(lambda: titles(daemon) == ["周三要闻"] and publication_done(settings.data), what="published")
        shutil.rmtree(settings.public)
        assert fetch(daemon.url + "rss.xml")[0] == 404
        daemon._tick()  # one tick, as the scheduler runs it each minute
        assert titles(daemon) == ["周三要闻"]
        assert fetch(daemon.url + "issues/2023-09-27.html")[0] == 200
        (settings.public / "issues" / "2023-09-27.html").unlink()
        daemon._tick()
        assert fetch(daemon.url + "issues/2023-09-27.html")[0] == 200
    finally:
        daemon.stop()
