"""Bad input through the running service: whatever lands in the inbox, the service reports it, changes nothing
else, never touches the user's files and keeps serving valid feeds.

Each test runs the real daemon in-process (watchdog on a temp inbox, SQLite file, HTTP on 127.0.0.1:0) and
reads what a subscriber and an operator see: the served feeds (feedparser and lxml), /status.json and the log.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import (
    FeedsvcRun,
    ManualClock,
    fetch,
    issue_text,
    publication_done,
    read_feeds,
    wait_for,
    wait_published,
    write_in_chunks,
)
from lxml import etree
from watchdog.events import FileOpenedEvent, FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from feedsvc.config import Settings
from feedsvc.control import ask
from feedsvc.wiring import Daemon

pytestmark = pytest.mark.slow  # a daemon per test and hundreds of files

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2023, 9, 28, 9, tzinfo=TZ)
LIMIT = 2_000_000  # max_file_bytes for these tests: room for a 1 MB line, far below the 5 MB default
SEED_COUNT = 5
SEED_DAY = date(2023, 9, 27)
PUBLICATION_DEADLINE = 60.0  # seconds; see Desk.wait_titles
NEW_DAY = date(2023, 9, 28)  # after the seed, before its suspension: first in the feeds


class OpenSpy(FileSystemEventHandler):
    """Records, through inotify, every open of a file in the watched folders (FIFOs and devices included)."""

    def __init__(self, *folders: Path) -> None:
        self.opened: list[Path] = []
        self._lock = threading.Lock()
        self._folders = folders
        self._observer = Observer()
        for folder in folders:
            self._observer.schedule(self, str(folder), recursive=False)

    def dispatch(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileOpenedEvent):
            with self._lock:
                self.opened.append(Path(os.fsdecode(event.src_path)))

    def __enter__(self) -> OpenSpy:
        self._observer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._observer.stop()
        self._observer.join()

    def settled(self) -> list[Path]:
        """The opens so far: a marker opened in every folder after them flushes inotify's queue."""
        for folder in self._folders:
            marker = folder / ".spy-marker"
            marker.write_bytes(b"")
            wait_for(lambda m=marker: m in self.opened, what=f"inotify reports {marker}")
            marker.unlink()
        with self._lock:
            return [p for p in self.opened if p.name != ".spy-marker"]


class Desk:
    """A running daemon plus what the test dropped in its inbox (to check it is never modified)."""

    def __init__(self, daemon: Daemon, log: pytest.LogCaptureFixture) -> None:
        self.daemon = daemon
        self.inbox = daemon.settings.inbox
        self.public = daemon.settings.public
        self.log = log
        self.dropped: dict[str, tuple[int, int, bytes | None]] = {}  # name -> (st_mode, st_mtime_ns, bytes)
        self._next_day = date(2023, 8, 1)

    @property
    def url(self) -> str:
        return self.daemon.url

    def drop(self, name: str, data: bytes, *, chunks: int = 1) -> Path:
        """Write `data` into the inbox in `chunks` writes on one descriptor (as `cp` does), then close."""
        path = self.inbox / name
        write_in_chunks(path, data, chunks)
        self.remember(path)
        return path

    def remember(self, path: Path) -> None:
        info = path.lstat()
        data = path.read_bytes() if stat.S_ISREG(info.st_mode) and info.st_size < 10 * LIMIT else None
        self.dropped[path.name] = (info.st_mode, info.st_mtime_ns, data)

    def assert_inbox_untouched(self) -> None:
        for name, (mode, mtime_ns, data) in self.dropped.items():
            path = self.inbox / name
            info = path.lstat()
            assert (info.st_mode, info.st_mtime_ns) == (mode, mtime_ns), f"{name} was modified"
            if data is not None:
                assert path.read_bytes() == data, f"{name} bytes changed"

    def status(self) -> dict[str, Any]:
        """The operator's status, asked of the daemon over its control channel."""
        reply = ask(self.daemon.settings.data, {"command": "status"})
        assert reply is not None and reply.data is not None
        return reply.data

    def rejection(self, name: str, timeout: float = 10.0) -> str:
        """Wait until the operator's status lists `name` under `rejected`; its reason."""
        def found() -> str | None:
            return next((r["reason"] for r in self.status()["rejected"] if r["file"] == name), None)
        return wait_for(found, timeout, what=f"{name} listed as rejected")

    def feeds(self) -> dict[str, feedparser.FeedParserDict]:
        return read_feeds(self.url)

    def titles(self) -> list[str]:
        return [e.title for e in self.feeds()["rss.xml"].entries]

    def wait_titles(self, predicate: Callable[[list[str]], bool], what: str) -> list[str]:
        """Until RSS and Atom show the same titles, those satisfy `predicate`, and the publication is done (the
        other files, feed.json and the pages, are written after the feeds)."""
        def check() -> tuple[list[str]] | None:
            feeds = self.feeds()
            rss, atom = ([e.title for e in feeds[n].entries] for n in ("rss.xml", "atom.xml"))
            done = rss == atom and predicate(rss) and publication_done(self.daemon.settings.data)
            return (rss,) if done else None
        # A publication of a 300-item edition (pages, feeds, archives, WebSub digests) takes seconds on a busy
        # 2-core machine: the deadline is generous, the polling stops as soon as it is done.
        return wait_for(check, PUBLICATION_DEADLINE, what=what)[0]

    def wait_published(self, day: date, items: int) -> None:
        wait_published(self.url, day, items)

    def fresh_day(self) -> date:
        self._next_day += timedelta(days=1)
        return self._next_day

    def assert_still_ingesting(self) -> None:
        """A valid issue dropped now still reaches the feed: the watcher and the service are alive."""
        day = self.fresh_day()
        title = f"后续要闻{day:%m%d} 照常出版"
        self.drop(f"{day}.txt", issue_text(day, title).encode())
        self.wait_titles(lambda t: title in t, f"{title} in the feed")
        self.wait_published(day, 1)

    def snapshot(self) -> tuple[dict[str, bytes], int]:
        """What a rejection must not change: every file under public/ and the number of issues in the store,
        once the publication in progress (if any) is done."""
        wait_for(lambda: publication_done(self.daemon.settings.data), what="the publication done")
        files = {str(p.relative_to(self.public)): p.read_bytes() for p in sorted(self.public.rglob("*")) if p.is_file()}
        return files, self.status()["issue_count"]

    def assert_rejected_alone(self, name: str, reason_pattern: str, before: tuple[dict[str, bytes], int]) -> str:
        """`name` is rejected with a one-line reason (in status and in the log) and nothing else changed."""
        reason = self.rejection(name)
        assert re.search(reason_pattern, reason, re.IGNORECASE), reason
        assert "\n" not in reason and reason.strip() == reason
        line = wait_for(lambda: [r for r in self.log.records if name in r.getMessage()], what=f"{name} logged")
        assert len(line) == 1, [r.getMessage() for r in line]
        message = line[0].getMessage()
        assert message.startswith("IssueRejected") and reason in message and "\n" not in message
        assert line[0].levelno == logging.WARNING
        assert self.snapshot() == before, "a rejected file changed public/ or the store"
        self.feeds()  # still served, still valid
        return reason


@pytest.fixture(name="desk")
def _desk(tmp_path: Path, seed_bytes: bytes, caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
          ) -> Iterator[Desk]:
    """The daemon serving the seed issue; `indirect` parametrisation may pass Settings overrides."""
    caplog.set_level(logging.INFO, logger="feedsvc")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    overrides = {"max_file_bytes": LIMIT, **getattr(request, "param", {})}
    settings = Settings(inbox=inbox, data=tmp_path / "data", port=0, **overrides)
    daemon = Daemon(settings, ManualClock(NOW))
    daemon.start()
    desk = Desk(daemon, caplog)
    try:
        desk.drop("seed.txt", seed_bytes)
        desk.wait_titles(lambda t: len(t) == SEED_COUNT, "seed in the feed")
        desk.wait_published(SEED_DAY, SEED_COUNT)
        yield desk
    finally:
        daemon.stop()
    desk.assert_inbox_untouched()


JAPANESE = "2023年9月25日 月曜日 第1版\n\n東京の天気 晴れ\n\n本日のニュースをお伝えします。\n\n(記者 山田)\n"
TRADITIONAL = "2023年9月28日 星期四 第1版 要聞\n\n城市更新 老街煥新\n\n本報訊 老街煥然一新。\n\n(記者 張華)\n"
_rng = random.Random(20230927)


def _noise(size: int, low: int = 0) -> bytes:
    return bytes(_rng.randrange(low, 256) for _ in range(size))


# (file name, bytes, what the reason must say)
BAD_FILES = [
    ("empty.txt", b"", r"empty"),
    ("blank.txt", " \n\t\r\n\u3000\n  \n".encode(), r"whitespace"),
    ("scan.dat", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + _noise(4000), r"not text|undecodable"),
    ("elf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + _noise(2000), r"not text|binary"),
    ("utf16.txt", issue_text(NEW_DAY, "城市更新 老街焕新").encode("utf-16-le"), r"not text"),
    ("utf16be.txt", issue_text(NEW_DAY, "城市更新 老街焕新").encode("utf-16-be"), r"not text"),
    ("sjis.txt", JAPANESE.encode("shift_jis"), r"undecodable"),
    ("2023-09-28-big5.txt", TRADITIONAL.encode("big5"), r"undecodable"),
    ("high.txt", _noise(3000, low=128), r"undecodable"),
    ("notes.txt", "城市更新 老街焕新\n\n本报讯 老街今天焕然一新，居民纷纷点赞。\n\n(记者 张华)\n".encode(), r"date"),
    ("2023-09-28.txt", "2023年9月28日 星期四 第1版 要闻\n".encode(), r"article"),
]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_file_is_rejected_with_a_reason_and_nothing_else_changes(desk: Desk, name: str, data: bytes,
                                                                     reason: str) -> None:
    before = desk.snapshot()
    desk.drop(name, data, chunks=3)
    desk.assert_rejected_alone(name, reason, before)
    desk.assert_still_ingesting()


@pytest.mark.parametrize("desk", [{"max_file_bytes": 50_000}], indirect=True)
def test_files_over_the_size_limit_are_refused_without_reading_them(desk: Desk) -> None:
    """One byte over the limit is refused; a 64 GiB (sparse) file is refused at once, without memory growth;
    a file of exactly the limit is read."""
    over = desk.inbox / "over.txt"
    text = issue_text(NEW_DAY, "城市更新 老街焕新").encode()
    before = desk.snapshot()
    desk.drop(over.name, text + b"\n" * (50_001 - len(text)))
    desk.assert_rejected_alone(over.name, r"50001 bytes.*50000-byte limit", before)

    huge = desk.inbox / "huge.txt"
    rss_before = _rss_bytes()
    with huge.open("wb") as handle:
        handle.truncate(64 << 30)
    desk.remember(huge)
    began = time.monotonic()
    desk.assert_rejected_alone(huge.name, r"limit", before)
    assert time.monotonic() - began < 5
    assert _rss_bytes() - rss_before < 50 << 20

    exact = text + b"\n" * (50_000 - len(text))
    desk.drop("2023-09-28.txt", exact)
    desk.wait_titles(lambda t: "城市更新 老街焕新" in t, "an issue of exactly the limit is accepted")


def _rss_bytes() -> int:
    """Resident set size of this process, from /proc."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_control_characters_are_removed_and_feeds_stay_valid_xml(desk: Desk) -> None:
    """NUL and other characters XML forbids are published removed: every feed and page stays valid."""
    day = NEW_DAY
    dirty = issue_text(day, "城市\x00更新 老街\x1b焕新", "秋粮\x07收获 农民增收")
    dirty = dirty.replace("各方反响热烈", "各方\x02反响\x1f热烈\ufffe").replace("有关部门", "有关\x08部门\x7f")
    desk.drop("2023-09-28.txt", dirty.encode())
    titles = desk.wait_titles(lambda t: len(t) == SEED_COUNT + 2, "the dirty issue's items in the feed")
    assert titles[:2] == ["城市更新 老街焕新", "秋粮收获 农民增收"]
    # feed.json is written after RSS and Atom: look once the publication is done.
    wait_for(lambda: publication_done(desk.daemon.settings.data), what="the publication done")
    link = desk.feeds()["rss.xml"].entries[0].link
    for url in (desk.url + "rss.xml", desk.url + "atom.xml", desk.url + "feed.json", link, desk.url):
        code, body = fetch(url)
        assert code == 200, url
        text = body.decode()
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]", text), url
        assert "城市更新 老街焕新" in text or url == desk.url, url
    assert "各方反响热烈" in fetch(link)[1].decode()
    json.loads(fetch(desk.url + "feed.json")[1])
    assert any("control characters" in r.getMessage() for r in desk.log.records)


def test_a_one_megabyte_line(desk: Desk) -> None:
    """A 1 MB paragraph on one line is an article like any other; a 1 MB line of nothing is rejected; both fast."""
    day = NEW_DAY
    paragraph = "本报讯 " + "城市更新让老街焕然一新，" * 30_000 + "居民纷纷点赞。"
    text = issue_text(day, "城市更新 老街焕新").replace("有关部门表示，将继续推进相关工作。", paragraph)
    assert len(paragraph.encode()) > 1_000_000
    began = time.monotonic()
    desk.drop("2023-09-28.txt", text.encode(), chunks=8)
    desk.wait_titles(lambda t: t[0] == "城市更新 老街焕新", "the long-line issue in the feed")
    desk.wait_published(day, 1)  # the whole publication, not only the main feeds, before the snapshot
    feed = json.loads(fetch(desk.url + "feed.json")[1])
    assert paragraph.split()[1][:200] in feed["items"][0]["content_html"]

    before = desk.snapshot()
    desk.drop("line.txt", ("老街" * 170_000).encode())
    desk.assert_rejected_alone("line.txt", r"date", before)
    assert time.monotonic() - began < 10


def test_truncated_issue_parses_as_it_is_then_the_complete_one_supersedes_it(desk: Desk) -> None:
    day = NEW_DAY
    titles = ["城市更新 老街焕新", "秋粮收获 农民增收", "科技创新 企业发力"]
    complete = issue_text(day, *titles).encode()
    cut = complete.index("农民增收的消息".encode()) + len("农民增收的消".encode())  # mid-article, mid-sentence
    desk.drop("2023-09-28-part.txt", complete[:cut])
    partial = desk.wait_titles(lambda t: t[0] == titles[0], "the truncated issue in the feed")
    assert partial[:2] == titles[:2] and titles[2] not in partial
    first = {e.title: e.id for e in desk.feeds()["rss.xml"].entries}

    path = desk.drop("2023-09-28.txt", complete)
    os.utime(path, ns=(time.time_ns(), desk.dropped["2023-09-28-part.txt"][1] + 10**9))  # clearly newer
    desk.remember(path)
    final = desk.wait_titles(lambda t: titles[2] in t, "the complete issue supersedes the truncated one")
    assert final[:3] == titles and len(final) == SEED_COUNT + 3
    entries = {e.title: e.id for e in desk.feeds()["rss.xml"].entries}
    assert [entries[t] for t in titles[:2]] == [first[t] for t in titles[:2]]
    assert len(set(entries.values())) == len(final)


def test_special_files_are_refused_without_being_opened(desk: Desk, tmp_path: Path) -> None:
    """A symlink out of the inbox, a FIFO with no writer and a device file: listed as rejected, never opened."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "2023-09-28.txt"
    secret.write_text(issue_text(NEW_DAY, "机密文件 不应发布"))
    with OpenSpy(desk.inbox, outside) as spy:
        before = desk.snapshot()
        (desk.inbox / "link.txt").symlink_to(secret)
        desk.remember(desk.inbox / "link.txt")
        desk.assert_rejected_alone("link.txt", r"symbolic link.*outside the inbox", before)

        os.mkfifo(desk.inbox / "pipe.txt")
        desk.remember(desk.inbox / "pipe.txt")
        desk.assert_rejected_alone("pipe.txt", r"FIFO", before)
        desk.assert_still_ingesting()  # the FIFO blocked nothing

        devices = []
        try:
            os.mknod(desk.inbox / "zero.txt", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # like /dev/zero
            devices.append("zero.txt")
        except PermissionError:
            pass
        for name in devices:
            desk.remember(desk.inbox / name)
            desk.assert_rejected_alone(name, r"device", desk.snapshot())
        desk.daemon.watcher.rescan()  # a rescan meets them again: still refused, still not opened
        desk.assert_still_ingesting()
        opened = spy.settled()
    assert not {secret, desk.inbox / "link.txt", desk.inbox / "pipe.txt", desk.inbox / "zero.txt"} & set(opened)
    assert "机密文件 不应发布" not in desk.titles()
    if not devices:
        pytest.skip("device file part not run: os.mknod needs CAP_MKNOD (run as root)")


def test_sub_folders_are_ignored(desk: Desk) -> None:
    sub = desk.inbox / "archive"
    sub.mkdir()
    (sub / "2023-09-28.txt").write_text(issue_text(NEW_DAY, "子目录文件 不应发布"))
    desk.assert_still_ingesting()
    desk.daemon.watcher.rescan()
    desk.assert_still_ingesting()
    assert "子目录文件 不应发布" not in desk.titles()
    assert desk.status()["rejected"] == []
    assert not [r for r in desk.log.records if "archive" in r.getMessage()]


@pytest.mark.parametrize("pause", [0.0, 0.02, 0.1])
def test_a_file_rewritten_while_being_ingested_is_ingested_again(desk: Desk, pause: float) -> None:
    """The first version is big (300 items to publish) so the rewrite lands while it is being taken in; the end
    state is the second version, complete."""
    day = NEW_DAY
    first = issue_text(day, *(f"初版第{n}篇 城市新闻" for n in range(300))).encode()
    second_titles = [f"改版第{n}篇 城市要闻" for n in range(40)]
    second = issue_text(day, *second_titles).encode()
    path = desk.drop("2023-09-28.txt", first)
    time.sleep(pause)  # choose the moment of the rewrite, not wait for an outcome
    write_in_chunks(path, second, 4, pause=0.02)  # rewritten in place, in several writes
    desk.remember(path)
    titles = desk.wait_titles(lambda t: t[: len(second_titles)] == second_titles
                              and not any(x.startswith("初版") for x in t), "the second version in force")
    assert len(titles) == min(50, len(second_titles) + SEED_COUNT)
    received = [r.getMessage() for r in desk.log.records if r.getMessage().startswith("IssueReceived")
                and "2023-09-28" in r.getMessage()]
    assert received, "the issue was never received"


FLOOD = 500
FLOOD_START = date(2021, 1, 1)


def test_a_flood_of_500_files_is_ingested_completely_with_bounded_memory(tmp_path: Path) -> None:
    """`feedsvc run` in a subprocess; 500 issues moved into the inbox at once all reach the store, the feed
    shows the newest 50, and the process's peak resident memory grows by less than 60 MB."""
    inbox, staging = tmp_path / "inbox", tmp_path / "staging"
    inbox.mkdir()
    staging.mkdir()
    days = [FLOOD_START + timedelta(days=n) for n in range(FLOOD)]
    title = {day: f"第{n + 1}号 城市要闻" for n, day in enumerate(days)}
    for day in days:
        (staging / f"{day}.txt").write_text(issue_text(day, title[day]))
    (inbox / "first.txt").write_text(issue_text(days[0] - timedelta(days=1), "洪水之前 一期"))
    service = FeedsvcRun(inbox, tmp_path / "var", tmp_path / "service.log",
                         env={"FEEDSVC_NOW": "2022-06-01T09:00:00+08:00"})
    url, proc = service.url, service.proc
    try:
        wait_for(lambda: json.loads(fetch(url + "status.json")[1])["issue_count"] == 1, what="first issue")
        baseline = _proc_kb(proc.pid, "VmRSS")
        before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in staging.iterdir()}
        for name in sorted(before):
            os.rename(staging / name, inbox / name)
        wait_for(lambda: json.loads(fetch(url + "status.json")[1])["issue_count"] == FLOOD + 1, 60,
                 "all 500 issues in the store")
        newest = [title[d] for d in reversed(days)][:50]
        rss = wait_for(lambda: (p := feedparser.parse(fetch(url + "rss.xml")[1])).entries
                       and [e.title for e in p.entries] == newest and publication_done(tmp_path / "var") and p,
                       PUBLICATION_DEADLINE, "the newest 50 in the feed")
        assert not rss.bozo
        atom = fetch(url + "atom.xml")[1]
        etree.fromstring(atom)
        assert [e.title for e in feedparser.parse(atom).entries] == newest
        growth_kb = _proc_kb(proc.pid, "VmHWM") - baseline
        assert growth_kb < 60 * 1024, f"peak RSS grew by {growth_kb} kB"
        info = ask(tmp_path / "var", {"command": "status"}).data  # type: ignore[union-attr]
        assert info["rejected"] == [] and info["last_issue"] == str(days[-1])
        after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in inbox.iterdir() if p.name != "first.txt"}
        assert after == before, "inbox files were modified"
    finally:
        service.kill()


def _proc_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def test_file_names_that_are_not_utf8_are_rejected_or_ingested_like_any_other(desk: Desk) -> None:
    """Names are bytes on Linux: one that is not UTF-8 still gets its rejection listed (readably) and logged,
    and a valid issue under such a name is ingested, not lost."""
    before = desk.snapshot()
    garbage = os.fsdecode(b"bad-\xff\xfe.txt")
    desk.drop(garbage, b"\x00\xff" * 100)
    listed = wait_for(lambda: [r for r in desk.status()["rejected"] if r["file"].startswith("bad-")],
                      what="the badly named file listed as rejected")
    assert listed[0]["file"].endswith(".txt") and "not text" in listed[0]["reason"]
    # Stored, then logged: the listing can come a moment before the log line.
    line = f"IssueRejected file={listed[0]['file']} "
    wait_for(lambda: [r for r in desk.log.records if r.getMessage().startswith(line)], what="the rejection logged")
    assert desk.snapshot() == before
    outside = desk.inbox.parent / os.fsdecode(b"out-\xff")
    outside.write_bytes(b"")
    link = os.fsdecode(b"link-\xff.txt")
    (desk.inbox / link).symlink_to(outside)
    desk.remember(desk.inbox / link)
    refused = wait_for(lambda: [r for r in desk.status()["rejected"] if r["file"].startswith("link-")],
                       what="the badly named symlink listed as rejected")
    assert "outside the inbox" in refused[0]["reason"]
    valid = os.fsdecode(f"{NEW_DAY}-".encode() + b"\xe4\xb8.txt")
    desk.drop(valid, issue_text(NEW_DAY, "城市更新 老街焕新").encode())
    desk.wait_titles(lambda t: t[:1] == ["城市更新 老街焕新"], "the issue with a non-UTF-8 name in the feed")
    assert not [r for r in desk.log.records if r.levelno >= logging.ERROR]


def test_a_file_name_with_a_line_break_cannot_forge_a_log_line(desk: Desk) -> None:
    name = "evil\nIssueReceived file=forged.txt issue_date=2023-09-28"
    desk.drop(name, b"\x00\xff" * 100)
    assert desk.rejection(name)  # the operator's status carries the real name, JSON-escaped
    records = wait_for(lambda: [r for r in desk.log.records if "evil" in r.getMessage()], what="the rejection logged")
    assert len(records) == 1
    message = records[0].getMessage()
    assert "\n" not in message and "\r" not in message
    assert message.startswith("IssueRejected file=evil")
