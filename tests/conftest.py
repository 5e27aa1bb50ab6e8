"""Fixtures shared by every test module. Module-specific fixtures live in their own test files."""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

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


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not met within {timeout} s")
        time.sleep(0.02)


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
