"""No crash at the edges (issue 9, "What was seen" 6 and 10): absurd dates, symlink loops, missing files."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import ManualClock, feedsvc, issue_text, start_service, wait_entries, wait_for

from feedsvc.config import Settings
from feedsvc.model import Issue
from feedsvc.parse import parse_issue
from feedsvc.store import Store
from feedsvc.wiring import Daemon

pytestmark = pytest.mark.slow  # daemons and `feedsvc` subprocesses

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2023, 9, 28, 9, tzinfo=TZ)


@pytest.fixture(name="daemon")
def _daemon(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Daemon]:
    caplog.set_level(logging.INFO)
    (tmp_path / "inbox").mkdir()
    daemon = Daemon(Settings(inbox=tmp_path / "inbox", data=tmp_path / "data", port=0), ManualClock(NOW))
    daemon.start()
    yield daemon
    daemon.stop()


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def rejection(caplog: pytest.LogCaptureFixture, name: str) -> str:
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"IssueRejected file={name} ")]
    return lines[-1] if lines else ""


@pytest.mark.parametrize(("day", "word"), [(date(9999, 12, 31), "ahead"),
                                           (date(1899, 12, 31), "before"), (date(2024, 12, 1), "ahead")])
def test_an_absurd_issue_date_is_rejected_with_a_reason(daemon: Daemon, caplog: pytest.LogCaptureFixture,
                                                        day: date, word: str) -> None:
    """Seen: an issue dated 9999-12-31 raised OverflowError in the job scheduler on every drop."""
    (daemon.settings.inbox / "typo.txt").write_text(issue_text(day, "日期错误 排版事故"))
    reason = wait_for(lambda: rejection(caplog, "typo.txt"), what="the rejection logged")
    assert day.isoformat() in reason and word in reason
    (daemon.settings.inbox / "2023-09-27.txt").write_text(issue_text(date(2023, 9, 27), "正常一期 城市新闻"))
    wait_for(lambda: daemon.service.store.issue(date(2023, 9, 27)), what="the next drop taken")
    assert daemon.service.store.issue(day) is None
    assert errors(caplog) == []


def test_a_year_ahead_is_still_accepted(daemon: Daemon, caplog: pytest.LogCaptureFixture) -> None:
    day = date(2024, 9, 27)  # 365 days ahead: a paper may well be sent its issues early
    (daemon.settings.inbox / "early.txt").write_text(issue_text(day, "提前排版 明年今日"))
    wait_for(lambda: daemon.service.store.issue(day), what="taken, and scheduled")
    assert errors(caplog) == []


def stored_far_future(data: Path) -> None:
    """A store that took a 9999-12-31 issue before the date window existed."""
    issue: Issue = parse_issue(issue_text(date(9999, 12, 31), "远未来 排版事故").encode(), "old.txt")
    store = Store(data / "feedsvc.sqlite")
    try:
        store.apply_issue(issue, file="old.txt", sha256="0" * 64, mtime=0.0, now=NOW,
                          release_at=datetime(9999, 12, 31, 6, tzinfo=TZ))
    finally:
        store.close()


def test_a_far_future_issue_already_in_the_store_does_not_stop_the_start(tmp_path: Path) -> None:
    """Seen: after a restart, `feedsvc run` could not start at all (the clock set in the past: FEEDSVC_NOW)."""
    stored_far_future(tmp_path / "var")
    with start_service(tmp_path) as service:
        (tmp_path / "inbox" / "2023-09-27.txt").write_text(issue_text(date(2023, 9, 27), "正常一期 城市新闻"))
        wait_entries(service.url, 1)
        assert service.stop() == 0
    assert "Traceback" not in service.output() and "OverflowError" not in service.output()


def test_symlink_loops_and_dangling_links_are_rejected_at_start_and_rescan(tmp_path: Path,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    """Seen: a symlink loop in the inbox raised RuntimeError at every start and rescan."""
    caplog.set_level(logging.INFO)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "loop.txt").symlink_to(inbox / "loop.txt")
    (inbox / "a.txt").symlink_to(inbox / "b.txt")
    (inbox / "b.txt").symlink_to(inbox / "a.txt")
    (inbox / "gone.txt").symlink_to(inbox / "nothing-here.txt")
    daemon = Daemon(Settings(inbox=inbox, data=tmp_path / "data", port=0), ManualClock(NOW))
    daemon.start()
    try:
        wait_for(lambda: all(rejection(caplog, n) for n in ("loop.txt", "a.txt", "b.txt", "gone.txt")),
                 what="every bad link rejected")
        assert "symbolic link loop" in rejection(caplog, "loop.txt")
        assert "does not exist" in rejection(caplog, "gone.txt")
        daemon.watcher.rescan()
        (inbox / "2023-09-27.txt").write_text(issue_text(date(2023, 9, 27), "正常一期 城市新闻"))
        wait_for(lambda: daemon.service.store.issue(date(2023, 9, 27)), what="the next drop taken")
    finally:
        daemon.stop()
    assert errors(caplog) == []


def test_ingest_goes_past_a_bad_file_and_lists_what_failed(tmp_path: Path) -> None:
    """Seen: a symlink loop stopped `feedsvc ingest` half-way; a file that does not exist exited 0 and stored a
    permanent rejection."""
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "2023-09-25.txt").write_text(issue_text(date(2023, 9, 25), "周一要闻 城市更新"))
    (archive / "2023-09-26.txt").symlink_to(archive / "2023-09-26.txt")
    (archive / "2023-09-27.txt").write_text(issue_text(date(2023, 9, 27), "周三要闻 乡村振兴"))
    missing = archive / "2023-09-29.txt"
    data = tmp_path / "var"
    result = feedsvc("ingest", "--data", str(data), *(str(archive / f"2023-09-2{n}.txt") for n in (5, 6, 7, 9)),
                     check=False)
    assert result.returncode == 1
    assert "failed: 2023-09-26.txt: symbolic link loop" in result.stderr
    assert f"failed: {missing}: no such file" in result.stderr
    assert "Traceback" not in result.stderr
    info = json.loads(feedsvc("status", "--json", "--data", str(data)).stdout)
    assert info["issue_count"] == 2  # the files after the loop were taken too
    assert [r["file"] for r in info["rejected"]] == ["2023-09-26.txt"]  # the missing file is no stored rejection
