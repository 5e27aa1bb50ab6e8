"""Fixtures shared by every test module. Module-specific fixtures live in their own test files."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from feedsvc.config import Settings
from feedsvc.publication import PUBLISHED_MARK

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(name="seed_path")
def _seed_path() -> Path:
    """The project's sample issue: one real page with five items and a suspension notice."""
    return SEEDS / "000_90b6bc3011e581f6.txt"


@pytest.fixture(name="seed_bytes")
def _seed_bytes(seed_path: Path) -> bytes:
    """The sample issue's bytes, as a watcher would read them."""
    return seed_path.read_bytes()


@pytest.fixture(name="settings")
def _settings(tmp_path: Path) -> Settings:
    """Settings with a temporary inbox and data folder, otherwise the shipped defaults (a test file needing other
    settings defines its own `settings` fixture, which takes precedence)."""
    (tmp_path / "inbox").mkdir()
    return Settings(inbox=tmp_path / "inbox", data=tmp_path / "data", base_url="http://feeds.example/")


REPORTERS = ("张华", "李强", "王芳", "赵磊", "陈静", "刘洋")


class ManualClock:
    """A clock that stands still until a test moves it: jobs are driven by calling them at chosen times."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def issue_text(day: date, *titles: str, notice: str = "") -> str:
    """A small issue in the usual conventions: masthead, then articles with bylines, then an optional notice."""
    weekday = "一二三四五六日"[day.weekday()]
    parts = [f"{day.year}年{day.month}月{day.day}日 星期{weekday} 第1版 要闻"]
    for n, title in enumerate(titles):
        reporter = REPORTERS[n % len(REPORTERS)]
        lead = f"本报讯 {title}的消息今天发布，各方反响热烈。"
        parts += [title, lead, f"有关部门表示，将继续推进相关工作。(记者 {reporter})"]
    if notice:
        parts += ["休刊通知", notice, "本报编辑部", f"{day.year}年{day.month}月{day.day}日"]
    return "\n\n".join(parts) + "\n"


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition",
             interval: float = 0.02) -> Any:
    """Poll `predicate` until it returns something truthy (and return that); fail after `timeout` seconds. The one
    polling loop of the suite: a test waits for an outcome only through this, never by sleeping. The deadline is
    generous (it costs nothing when the outcome comes): on a loaded 2-core machine a publication of hundreds of
    items took over 10 s."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not met within {timeout} s")
        time.sleep(interval)


def write_in_chunks(path: Path, data: bytes, chunks: int = 4, pause: float = 0.0, mode: str = "wb") -> None:
    """Write the way `cp` does: one file descriptor, several writes (`pause` s apart, the writer's pace), close."""
    size = len(data) // chunks + 1
    with path.open(mode) as handle:
        for n in range(chunks):
            handle.write(data[n * size : (n + 1) * size])
            handle.flush()
            if pause:
                time.sleep(pause)


def fetch(url: str) -> tuple[int, bytes]:
    """GET `url` over loopback: (status, body), errors included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def raw(port: int, data: bytes) -> bytes:
    """Send raw bytes (what http.client refuses to send) to 127.0.0.1:`port`, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def publication_done(data: Path) -> bool:
    """Whether public/ shows everything the store logged: the published-through mark, the file a publication
    writes after all the others, names the store's newest event (rejections and missing-issue warnings publish
    nothing). Checks of public/ made after this returned True see no publication half-done (no temp file
    mid-write, no issue page still to come)."""
    if not (data / "feedsvc.sqlite").exists():
        return False
    with contextlib.closing(sqlite3.connect(f"file:{data / 'feedsvc.sqlite'}?mode=ro", uri=True)) as db:
        newest = db.execute("SELECT coalesce(max(id), 0) FROM events"
                            " WHERE name NOT IN ('IssueRejected', 'IssueMissing')").fetchone()[0]
    try:
        mark = (data / PUBLISHED_MARK).read_text().strip()
    except FileNotFoundError:
        return False
    return mark.isdigit() and int(mark) >= newest


def wait_published(url: str, day: date, items: int) -> None:
    """Until the index page at `url` lists `day` with `items` items: the index is written after the feeds and the
    issue pages, so the publication of that issue is done."""
    entry = re.compile(rf'{day}\.html">{day}[^<]*</a> · {items} 篇')
    wait_for(lambda: entry.search(fetch(url)[1].decode()), what=f"{day} published with {items} items")


def read_feeds(url: str) -> dict[str, feedparser.FeedParserDict]:
    """RSS and Atom as served at `url`: each 200, well-formed for lxml, and read by feedparser without complaint."""
    feeds = {}
    for name in ("rss.xml", "atom.xml"):
        code, body = fetch(url + name)
        assert code == 200, name
        etree.fromstring(body)
        feeds[name] = feedparser.parse(body)
        assert not feeds[name].bozo, (name, feeds[name].get("bozo_exception"))
    return feeds


def wait_entries(url: str, count: int, timeout: float = 30) -> feedparser.FeedParserDict:
    """The served RSS once it holds at least `count` entries (well-formed, read without complaint)."""
    return wait_for(lambda: len((rss := read_feeds(url)["rss.xml"]).entries) >= count and rss, timeout,
                    f"the feed at {url} reaches {count} entries")


CLI_NOW = "2023-09-28T09:00:00+08:00"  # the clock (FEEDSVC_NOW) of command-line runs unless a test says otherwise


def feedsvc(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`python -m feedsvc ARGS` to completion, FEEDSVC_NOW=CLI_NOW and other FEEDSVC_* only from `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    result = subprocess.run([sys.executable, "-m", "feedsvc", *args], capture_output=True, text=True, timeout=60,
                            env={**clean, "FEEDSVC_NOW": CLI_NOW, **(env or {})})
    if check:
        assert result.returncode == 0, result.stderr
    return result


_ADDRESS = re.compile(r" on (http://127\.0\.0\.\d+:(\d+)/)")


class FeedsvcRun:
    """`feedsvc run` in a subprocess, as a user starts it, on a free port, with FEEDSVC_* taken from `env` only.

    Its output goes to a log file, never to a pipe: a pipe nobody reads can fill and block the service, and a
    blocking readline on one cannot be interrupted by a deadline. The address is found by polling the file."""

    def __init__(self, inbox: Path, data: Path, log: Path, *args: str, env: dict[str, str] | None = None,
                 timeout: float = 30) -> None:
        self.log = log
        self._offset = log.stat().st_size if log.exists() else 0  # restarts append to the same log
        clean = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
        with log.open("ab") as sink:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "feedsvc", "run", "--inbox", str(inbox), "--data", str(data), "--port", "0",
                 *args], stdout=sink, stderr=sink, env={**clean, **(env or {})})
        try:
            found = wait_for(self._address, timeout, "the service reports its address")
        except BaseException:
            self.kill()
            raise
        self.url: str = found[1]
        self.port = int(found[2])

    def _address(self) -> re.Match[str] | None:
        assert self.proc.poll() is None, f"the service exited {self.proc.returncode}:\n{self.output()}"
        return _ADDRESS.search(self.output())

    def output(self) -> str:
        """What this process wrote (stdout and stderr) so far."""
        with self.log.open("rb") as handle:
            handle.seek(self._offset)
            return handle.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would."""
        self.proc.kill()
        self.proc.wait()

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, as systemd stops it; its exit status (killed if it does not exit within `timeout`)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def __enter__(self) -> FeedsvcRun:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.proc.poll() is None:
            self.kill()


def start_service(tmp_path: Path, *args: str, now: str = CLI_NOW) -> FeedsvcRun:
    """`feedsvc run` on tmp_path/inbox (made if missing) and tmp_path/var, logging to tmp_path/service.log."""
    (tmp_path / "inbox").mkdir(exist_ok=True)
    return FeedsvcRun(tmp_path / "inbox", tmp_path / "var", tmp_path / "service.log", *args, env={"FEEDSVC_NOW": now})
