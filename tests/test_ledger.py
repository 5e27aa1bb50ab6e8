"""The ledger of inbox files and the latest act of the editor (issue 9, seen items 1, 2, 3, 7, 10).

A running service: real watchdog on a temporary inbox, real SQLite, real HTTP on 127.0.0.1; the clock is one the
tests move. Every file the editor drops must have a visible, correct effect: a ledger state, a log line.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import ManualClock, fetch, issue_text, publication_done, wait_for

from feedsvc.config import Settings
from feedsvc.control import ask
from feedsvc.wiring import Daemon

TZ = ZoneInfo("Asia/Shanghai")
WED = date(2023, 9, 27)
MON = date(2023, 9, 25)


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(datetime(2023, 9, 28, 9, tzinfo=TZ))


@pytest.fixture(name="settings")
def _settings(tmp_path: Path) -> Settings:
    (tmp_path / "inbox").mkdir()
    return Settings(inbox=tmp_path / "inbox", data=tmp_path / "data", port=0)


@pytest.fixture(name="daemon")
def _daemon(settings: Settings, clock: ManualClock) -> Iterator[Daemon]:
    daemon = Daemon(settings, clock)
    daemon.start()
    yield daemon
    daemon.stop()


def state(daemon: Daemon, name: str) -> dict[str, object] | None:
    """The file's row in the status's `files` list, as the operator reads it."""
    return next((f for f in daemon.service.status()["files"] if f["file"] == name), None)


def wait_state(daemon: Daemon, name: str, expected: str, **fields: object) -> dict[str, object]:
    def match() -> dict[str, object] | None:
        row = state(daemon, name)
        ok = row is not None and row["state"] == expected and all(row[k] == v for k, v in fields.items())
        return row if ok else None

    return wait_for(match, what=f"{name} {expected} {fields} (now {state(daemon, name)})")


def titles(daemon: Daemon) -> list[str]:
    return [e.title for e in feedparser.parse(fetch(daemon.url + "rss.xml")[1]).entries]


def atom_ids(daemon: Daemon) -> dict[str, str]:
    return {e.title: e.id for e in feedparser.parse(fetch(daemon.url + "atom.xml")[1]).entries}


def undated(day: date, *titles: str) -> str:
    """An issue whose only date would be its file name: the masthead line left out."""
    return issue_text(day, *titles).split("\n\n", 1)[1]


def lines(caplog: pytest.LogCaptureFixture, word: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(word)]


def test_an_undated_file_renamed_to_a_dated_name_is_taken(daemon: Daemon, caplog: pytest.LogCaptureFixture) -> None:
    inbox = daemon.settings.inbox
    (inbox / "issue.txt").write_text(undated(WED, "城市更新行动"))
    wait_state(daemon, "issue.txt", "rejected")
    (inbox / "issue.txt").rename(inbox / "2023-09-27.txt")
    wait_state(daemon, "2023-09-27.txt", "ingested", issue_date="2023-09-27")
    wait_for(lambda: titles(daemon) == ["城市更新行动"], what="the renamed issue in the feed")
    # The rejection no longer stands: its content was taken under the new name.
    assert "issue.txt" not in {r["file"] for r in daemon.service.status()["rejected"]}
    assert state(daemon, "issue.txt")["state"] == "superseded"  # type: ignore[index]


def test_a_rename_to_another_date_makes_an_issue_of_that_date(daemon: Daemon) -> None:
    inbox = daemon.settings.inbox
    (inbox / "2023-09-27.txt").write_text(issue_text(WED, "城市更新行动"))
    wait_state(daemon, "2023-09-27.txt", "ingested")
    (inbox / "2023-09-27.txt").rename(inbox / "2023-09-25.txt")  # the file name is the first date rule
    wait_state(daemon, "2023-09-25.txt", "ingested", issue_date="2023-09-25")
    assert daemon.service.store.issue(MON) is not None
    # Removing a file from the inbox withdraws nothing.
    assert daemon.service.store.issue(WED) is not None


def test_a_copy_under_a_second_name_is_identical_and_logged(daemon: Daemon,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="feedsvc")
    inbox = daemon.settings.inbox
    (inbox / "a.txt").write_text(issue_text(WED, "城市更新行动"))
    wait_state(daemon, "a.txt", "ingested")
    shutil.copy(inbox / "a.txt", inbox / "copy of a.txt")
    row = wait_state(daemon, "copy of a.txt", "identical", other="a.txt")
    assert "a.txt" in str(row["reason"])
    assert any("file=copy of a.txt" in line and "state=identical" in line for line in lines(caplog, "FileState"))


def test_a_revert_brings_the_earlier_edition_back_with_its_ids(daemon: Daemon) -> None:
    inbox = daemon.settings.inbox
    first = issue_text(WED, "城市更新行动", "数字经济峰会开幕")
    (inbox / "a.txt").write_text(first)
    wait_state(daemon, "a.txt", "ingested", edition=1)
    wait_for(lambda: len(atom_ids(daemon)) == 2, what="A in the feed")
    ids = atom_ids(daemon)
    (inbox / "b.txt").write_text(issue_text(WED, "城市更新行动", "读者来信"))
    wait_state(daemon, "b.txt", "ingested", edition=2)
    wait_state(daemon, "a.txt", "superseded", other="b.txt")
    (inbox / "a.txt").write_text(first)  # the editor drops A again: A is the edition in force
    wait_state(daemon, "a.txt", "ingested", edition=3)
    wait_state(daemon, "b.txt", "superseded", other="a.txt")
    # Atom is written after RSS: wait on it, the ids being what the test is about.
    wait_for(lambda: atom_ids(daemon) == ids, what=f"A's items back with their ids ({atom_ids(daemon)} vs {ids})")


def test_a_correction_with_an_older_mtime_wins_when_it_arrives_live(daemon: Daemon,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    """`cp -p` keeps the file's old mtime: the correction still arrived last, so it is in force."""
    caplog.set_level(logging.INFO, logger="feedsvc")
    inbox, outside = daemon.settings.inbox, daemon.settings.data.parent / "corrected.txt"
    (inbox / "first.txt").write_text(issue_text(WED, "城市更新行动"))
    wait_state(daemon, "first.txt", "ingested")
    outside.write_text(issue_text(WED, "城市更新行动全面启动"))
    old = (inbox / "first.txt").stat().st_mtime - 3600
    os.utime(outside, (old, old))
    shutil.copy2(outside, inbox / "corrected.txt")  # cp -p
    wait_state(daemon, "corrected.txt", "ingested", edition=2)
    wait_state(daemon, "first.txt", "superseded", other="corrected.txt")
    wait_for(lambda: titles(daemon) == ["城市更新行动全面启动"], what="the correction in the feed")
    assert any("file=first.txt" in line and "state=superseded" in line for line in lines(caplog, "FileState"))


def test_the_catch_up_after_downtime_orders_unseen_files_by_mtime(settings: Settings, clock: ManualClock) -> None:
    inbox = settings.inbox
    # Names in the opposite order of their mtimes: the newest file (a.txt) must end in force.
    (inbox / "a.txt").write_text(issue_text(WED, "新标题"))
    (inbox / "b.txt").write_text(issue_text(WED, "旧标题"))
    os.utime(inbox / "a.txt", (2_000_000_000, 2_000_000_000))
    os.utime(inbox / "b.txt", (1_900_000_000, 1_900_000_000))
    daemon = Daemon(settings, clock)
    daemon.start()
    try:
        wait_state(daemon, "a.txt", "ingested", edition=2)
        # The ledger notes the file taken, then the one it replaces: read from another thread, b.txt may still
        # say ingested for a moment.
        wait_state(daemon, "b.txt", "superseded", other="a.txt")
    finally:
        daemon.stop()
    # Meanwhile the editor drops an older file: at the next start it is superseded, a.txt stays in force.
    (inbox / "c.txt").write_text(issue_text(WED, "更旧的标题"))
    os.utime(inbox / "c.txt", (1_800_000_000, 1_800_000_000))
    daemon = Daemon(settings, clock)
    daemon.start()
    try:
        wait_state(daemon, "c.txt", "superseded", other="a.txt")
        assert daemon.service.store.issue(WED).file == "a.txt"  # type: ignore[union-attr]
    finally:
        daemon.stop()


def test_status_lists_files_with_their_parser_warnings_and_explains_one(daemon: Daemon) -> None:
    inbox = daemon.settings.inbox
    # The file name and the masthead disagree: the name wins, and the editor is told.
    (inbox / "2023-09-25.txt").write_text(issue_text(WED, "城市更新行动"))
    row = wait_state(daemon, "2023-09-25.txt", "ingested")
    assert any("masthead" in w for w in row["warnings"])  # type: ignore[union-attr]
    info = ask(daemon.settings.data, {"command": "status"}).data  # the operator's status, from the daemon
    assert {"file", "state", "reason", "issue_date"} <= set(info["files"][0])
    sentence = daemon.service.explain("2023-09-25.txt")
    assert sentence.startswith("2023-09-25.txt is ingested") and "masthead" in sentence
    assert sentence.count(".") >= 1 and "\n" not in sentence


def test_an_image_that_is_no_photo_of_an_issue_is_ignored_not_rejected(daemon: Daemon) -> None:
    (daemon.settings.inbox / "holiday.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64)
    wait_state(daemon, "holiday.jpg", "ignored")
    assert daemon.service.status()["rejected"] == []


def test_a_future_issue_is_scheduled_then_released_with_one_line(daemon: Daemon, clock: ManualClock,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="feedsvc")
    friday = date(2023, 9, 29)
    (daemon.settings.inbox / "fri.txt").write_text(issue_text(friday, "甲", "乙"))
    wait_state(daemon, "fri.txt", "held")
    wait_for(lambda: publication_done(daemon.settings.data), what="the ingestion's publication done")
    assert any("issue_date=2023-09-29" in line and "release_at=2023-09-29T06:00" in line
               for line in lines(caplog, "IssueScheduled"))
    assert lines(caplog, "ItemPublished") == []  # nothing is public yet
    clock.advance(days=1)  # Friday 09:00: past the release time
    daemon._tick()
    assert lines(caplog, "IssueReleased") == ["IssueReleased issue_date=2023-09-29 items=2"]
    wait_state(daemon, "fri.txt", "ingested")
    daemon._tick()
    assert len(lines(caplog, "IssueReleased")) == 1


def test_an_issue_at_once_is_published_and_released(daemon: Daemon, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="feedsvc")
    (daemon.settings.inbox / "wed.txt").write_text(issue_text(WED, "甲", "乙", "丙"))
    wait_for(lambda: lines(caplog, "IssueReleased") and publication_done(daemon.settings.data), what="released")
    assert lines(caplog, "IssueReleased") == ["IssueReleased issue_date=2023-09-27 items=3"]
    assert len(lines(caplog, "ItemPublished")) == 3


def test_an_issue_on_a_suspended_date_is_held_without_published_items(daemon: Daemon, seed_bytes: bytes,
                                                                       clock: ManualClock,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="feedsvc")
    inbox = daemon.settings.inbox
    (inbox / "seed.txt").write_bytes(seed_bytes)  # suspends 2023-09-29 .. 2023-10-11
    wait_state(daemon, "seed.txt", "ingested")
    wait_for(lambda: publication_done(daemon.settings.data), what="the seed published")
    published = len(lines(caplog, "ItemPublished"))
    (inbox / "fri.txt").write_text(issue_text(date(2023, 9, 29), "甲", "乙"))
    wait_for(lambda: lines(caplog, "IssueHeld") and publication_done(daemon.settings.data), what="IssueHeld")
    [held] = lines(caplog, "IssueHeld")
    assert "feedsvc release 2023-09-29" in held
    assert len(lines(caplog, "ItemPublished")) == published
    daemon.service.release(date(2023, 9, 29))  # before its 06:00 release: public then, and said then
    scheduled = "IssueScheduled issue_date=2023-09-29 release_at=2023-09-29T06:00:00+08:00"
    assert lines(caplog, "IssueScheduled")[-1] == scheduled
    assert lines(caplog, "IssueReleased")[-1] == "IssueReleased issue_date=2023-09-27 items=5"
    clock.now = datetime(2023, 9, 29, 6, tzinfo=TZ)
    daemon.service.release_due()
    assert lines(caplog, "IssueReleased")[-1] == "IssueReleased issue_date=2023-09-29 items=2"


def test_missing_issue_is_known_when_the_catch_up_ends(settings: Settings, clock: ManualClock) -> None:
    """Not at the first tick a minute later: `status` must not show an overdue date that is not missing."""
    daemon = Daemon(settings, clock)
    daemon.start()
    (settings.inbox / "wed.txt").write_text(issue_text(WED, "甲"))
    wait_state(daemon, "wed.txt", "ingested")
    daemon.stop()
    clock.advance(days=2)  # Saturday 09:00: Friday's issue never came
    daemon = Daemon(settings, clock)
    daemon.start()
    try:
        info = wait_for(lambda: (s := json.loads(fetch(daemon.url + "status.json")[1]))["missing"] and s,
                        timeout=5, what="the missing Friday")
        assert info["missing"] == ["2023-09-29"]
    finally:
        daemon.stop()


def test_the_command_line_explains_a_file_and_lists_files(tmp_path: Path) -> None:
    """`feedsvc status --file NAME` and `status --json`, run as an editor runs them (a subprocess)."""
    import subprocess
    import sys

    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "2023-09-25.txt").write_text(issue_text(WED, "城市更新行动"))  # name and masthead disagree
    (archive / "notes.txt").write_text("今天天气很好。\n")
    env = {**os.environ, "FEEDSVC_NOW": "2023-09-28T09:00:00+08:00"}
    data = str(tmp_path / "data")

    def feedsvc(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "feedsvc", *args, "--data", data], capture_output=True,
                              text=True, timeout=60, env=env)
        return done.stdout

    feedsvc("ingest", str(archive / "2023-09-25.txt"), str(archive / "notes.txt"))
    files = {f["file"]: f for f in json.loads(feedsvc("status", "--json"))["files"]}
    assert files["2023-09-25.txt"]["state"] == "ingested" and files["notes.txt"]["state"] == "rejected"
    assert files["2023-09-25.txt"]["issue_date"] == "2023-09-25"
    [sentence] = feedsvc("status", "--file", "2023-09-25.txt").splitlines()
    assert sentence.startswith("2023-09-25.txt is ingested: edition 1 of the 2023-09-25 issue")
    assert "masthead says 2023-09-27" in sentence
    [sentence] = feedsvc("status", "--file", "notes.txt").splitlines()
    assert sentence.startswith("notes.txt is rejected: no issue date found")
