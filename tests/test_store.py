"""The SQLite store against real database files: editions, suspensions, reads, rejections, the log, crashes."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from feedsvc.decisions import force_release
from feedsvc.editions import match_items
from feedsvc.errors import StoreError
from feedsvc.events import (
    IssueHeld,
    IssueMissing,
    IssueReceived,
    IssueRejected,
    IssueReleased,
    ItemPublished,
    ItemUpdated,
    ItemWithdrawn,
    SuspensionDeclared,
    SuspensionWithdrawn,
)
from feedsvc.model import Issue, Item, ItemKind, Suspension, item_id
from feedsvc.rows import IssueRecord, Rejection
from feedsvc.schema import STEPS
from feedsvc.store import Store

TZ = ZoneInfo("Asia/Shanghai")
D1, D2, D3 = date(2023, 9, 25), date(2023, 9, 27), date(2023, 9, 28)
ROOT = Path(__file__).resolve().parent.parent


def release(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=TZ)


def make_issue(day: date, titles: list[str], *, sections: list[str | None] | None = None,
               suspension: Suspension | None = None, body: str = "正文。") -> Issue:
    sections = sections or ["要闻"] * len(titles)
    items = tuple(
        Item(item_id(day, n), n, ItemKind.ARTICLE, title, section, ("副题",), (f"{title}:{body}",), ("记者甲",))
        for n, (title, section) in enumerate(zip(titles, sections, strict=True), start=1)
    )
    return Issue(f"{day}.txt", "utf-8", day, items, suspension)


def sha(issue: Issue) -> str:
    return hashlib.sha256(json.dumps(issue.to_dict(), ensure_ascii=False).encode()).hexdigest()


def put(store: Store, issue: Issue, *, file: str | None = None, mtime: float = 1.0,
        now: datetime | None = None, release_at: datetime | None = None, digest: str | None = None):
    return store.apply_issue(
        issue, file=file or f"{issue.issue_date}.txt", sha256=digest or sha(issue), mtime=mtime,
        now=now or release(issue.issue_date), release_at=release_at or release(issue.issue_date),
    )


def titles(entries) -> list[str]:
    return [e.item.title for e in entries]


@pytest.fixture(name="db_path")
def _db_path(tmp_path: Path) -> Path:
    """A store file inside a folder that does not exist yet."""
    return tmp_path / "data" / "feedsvc.sqlite"


@pytest.fixture(name="store")
def _store(db_path: Path):
    """A fresh store on a real SQLite file, closed after the test."""
    store = Store(db_path)
    yield store
    store.close()


SUSPENSION = Suspension((date(2023, 10, 2), date(2023, 10, 4)), date(2023, 10, 13), 2, "休刊通知:……",
                        date(2023, 9, 27))
LATER = datetime(2023, 9, 30, 12, 0, tzinfo=UTC)  # well after every release above, given in UTC on purpose


class TestSchema:
    def test_new_file_records_version_and_steps(self, store: Store, db_path: Path):
        """The folder and file are created; user_version and the named steps are recorded; WAL is on."""
        with sqlite3.connect(db_path) as raw:
            assert raw.execute("PRAGMA user_version").fetchone()[0] == len(STEPS)
            recorded = raw.execute("SELECT version, name FROM schema_steps").fetchall()
            assert recorded == [(n, step.name) for n, step in enumerate(STEPS, start=1)]
            assert recorded[:5] == [(1, "initial"), (2, "events by name"), (3, "subhead positions"),
                                    (4, "items by issue"), (5, "websub")]  # landed steps never move
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def test_reopen_applies_nothing_twice(self, db_path: Path):
        Store(db_path).close()
        Store(db_path).close()
        with sqlite3.connect(db_path) as raw:
            assert raw.execute("SELECT count(*) FROM schema_steps").fetchone()[0] == len(STEPS)

    def test_version_1_file_is_upgraded_in_place(self, db_path: Path):
        """A file written by the first schema keeps its rows and gains the later steps."""
        db_path.parent.mkdir(parents=True)
        with sqlite3.connect(db_path) as raw:
            for statement in STEPS[0].statements:
                raw.execute(statement)
            raw.execute("INSERT INTO schema_steps VALUES (1, 'initial')")
            raw.execute("INSERT INTO events(at, name, payload) VALUES"
                        " ('2023-10-06T08:00:00+08:00', 'IssueMissing', '{\"issue_date\": \"2023-10-06\"}')")
            raw.execute("PRAGMA user_version = 1")
        store = Store(db_path)
        assert store.missing() == [date(2023, 10, 6)]
        store.close()
        with sqlite3.connect(db_path) as raw:
            assert raw.execute("PRAGMA user_version").fetchone()[0] == len(STEPS)
            assert raw.execute("SELECT count(*) FROM sqlite_master WHERE name = 'events_name'").fetchone()[0] == 1
            assert raw.execute("SELECT subhead_at FROM items").fetchall() == []

    def test_newer_database_is_refused(self, db_path: Path):
        db_path.parent.mkdir(parents=True)
        with sqlite3.connect(db_path) as raw:
            raw.execute("PRAGMA user_version = 99")
        with pytest.raises(StoreError, match="newer"):
            Store(db_path)


class TestFirstEdition:
    def test_events_and_entries(self, store: Store):
        issue = make_issue(D2, ["甲", "乙"], suspension=SUSPENSION)
        events = put(store, issue, file="a.txt")
        assert events == [
            IssueReceived("a.txt", D2, sha(issue), 1),
            ItemPublished("2023-09-27-01", D2, "甲"),
            ItemPublished("2023-09-27-02", D2, "乙"),
            SuspensionDeclared(date(2023, 9, 27), SUSPENSION.dates, date(2023, 10, 13)),
        ]
        [first, second] = store.entries(LATER, limit=10)
        assert first.item == issue.items[0]
        assert second.item == issue.items[1]
        assert first.issue_date == D2
        assert first.published == first.updated == datetime(2023, 9, 27, 6, 0, tzinfo=TZ)
        assert first.published.utcoffset() == timedelta(hours=8)
        assert store.issue(D2) == IssueRecord(D2, "a.txt", sha(issue), 1, 1.0, release(D2), False, 2)
        assert store.suspensions() == [replace(SUSPENSION, issue_date=D2, edition=1)]

    def test_same_content_again_changes_nothing(self, store: Store):
        issue = make_issue(D2, ["甲", "乙"])
        put(store, issue, file="a.txt")
        before = (store.entries(LATER, limit=10), store.events())
        assert put(store, issue, file="a.txt") == []
        assert put(store, issue, file="copy of a.txt", mtime=99.0) == []
        assert (store.entries(LATER, limit=10), store.events()) == before
        assert store.issue(D2).file == "a.txt"
        assert store.known(sha(issue))
        assert not store.known("0" * 64)

    def test_notice_without_date_is_dated_by_its_issue(self, store: Store):
        undated = Suspension((date(2023, 10, 2),), None, None, "休刊", None)
        events = put(store, make_issue(D3, ["甲"], suspension=undated))
        assert events[-1] == SuspensionDeclared(D3, (date(2023, 10, 2),), None)
        assert store.suspensions()[0].notice_date == D3

    def test_failed_write_leaves_nothing(self, store: Store):
        """Two items at one page position violate the schema mid-transaction: nothing of the issue stays."""
        good = make_issue(D2, ["甲"])
        bad = Issue("bad.txt", "utf-8", D3, (good.items[0], Item("x", 1, ItemKind.PHOTO, "图")))
        with pytest.raises(StoreError):
            put(store, bad, file="bad.txt")
        assert store.issue(D3) is None
        assert store.events() == []
        assert not store.known(sha(bad))
        assert put(store, good) != []


class TestCorrectedEdition:
    def test_keeps_ids_updates_withdraws_and_adds(self, store: Store):
        first = make_issue(D2, ["城市更新行动", "数字经济峰会开幕", "天气", "图片新闻"])
        put(store, first, file="a.txt", mtime=1.0)
        # Reworded headline at the same place, one item moved, one dropped, one new, one body changed.
        second = make_issue(D2, ["城市更新行动全面启动", "图片新闻", "数字经济峰会开幕", "读者来信"])
        second = Issue(second.source, second.encoding, D2, (
            second.items[0], second.items[1],
            Item(second.items[2].id, 3, ItemKind.ARTICLE, "数字经济峰会开幕", "要闻", ("副题",),
                 ("数字经济峰会开幕:正文已更正。",), ("记者甲",)),
            second.items[3],
        ))
        now = datetime(2023, 9, 27, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, after the 06:00 release
        events = put(store, second, file="b.txt", mtime=2.0, now=now)
        assert events == [
            IssueReceived("b.txt", D2, sha(second), 2),
            ItemUpdated("2023-09-27-01", D2, "城市更新行动全面启动"),
            ItemUpdated("2023-09-27-02", D2, "数字经济峰会开幕"),
            ItemPublished("2023-09-27-05", D2, "读者来信"),
            ItemWithdrawn("2023-09-27-03", D2, "天气"),
        ]
        live = store.issue_entries(D2)
        assert [(e.item.id, e.item.ordinal, e.item.title) for e in live] == [
            ("2023-09-27-01", 1, "城市更新行动全面启动"),
            ("2023-09-27-04", 2, "图片新闻"),
            ("2023-09-27-02", 3, "数字经济峰会开幕"),
            ("2023-09-27-05", 4, "读者来信"),
        ]
        corrected = datetime(2023, 9, 27, 11, 0, tzinfo=TZ)
        assert [(e.published, e.updated) for e in live] == [
            (release(D2), corrected), (release(D2), release(D2)), (release(D2), corrected), (release(D2), corrected),
        ]
        assert str(live[0].updated.utcoffset()) == "8:00:00"
        assert live[2].item.paragraphs == ("数字经济峰会开幕:正文已更正。",)
        assert store.entry("2023-09-27-03") is None
        assert store.issue(D2) == IssueRecord(D2, "b.txt", sha(second), 2, 2.0, release(D2), False, 4)

    def test_fresh_ids_never_reuse_a_withdrawn_one(self, store: Store):
        put(store, make_issue(D2, ["甲", "乙", "丙"]), mtime=1.0)
        put(store, make_issue(D2, ["甲", "乙"]), mtime=2.0)
        events = put(store, make_issue(D2, ["甲", "乙", "完全不同的新标题"]), mtime=3.0)
        assert ItemPublished("2023-09-27-04", D2, "完全不同的新标题") in events
        assert [e.item.id for e in store.issue_entries(D2)] == ["2023-09-27-01", "2023-09-27-02", "2023-09-27-04"]

    def test_an_item_that_returns_keeps_its_withdrawn_id(self, store: Store):
        """Readers already hold the story under its id; a new one beside it would show it twice."""
        put(store, make_issue(D2, ["甲", "乙", "丙"]), mtime=1.0)
        put(store, make_issue(D2, ["甲", "丙"]), mtime=2.0)
        events = put(store, make_issue(D2, ["甲", "乙", "丙"], body="改"), mtime=3.0)
        assert ItemPublished("2023-09-27-02", D2, "乙") in events
        assert [(e.item.id, e.item.ordinal, e.item.title) for e in store.issue_entries(D2)] == [
            ("2023-09-27-01", 1, "甲"), ("2023-09-27-02", 2, "乙"), ("2023-09-27-03", 3, "丙")]
        assert store.entry("2023-09-27-02") is not None

    def test_correction_before_release_is_published_afresh(self, store: Store):
        put(store, make_issue(D3, ["甲"]), mtime=1.0, now=datetime(2023, 9, 26, 9, tzinfo=TZ))
        events = put(store, make_issue(D3, ["甲"], body="改"), mtime=2.0, now=datetime(2023, 9, 26, 10, tzinfo=TZ))
        assert events[1] == ItemUpdated("2023-09-28-01", D3, "甲")
        [entry] = store.issue_entries(D3)
        assert entry.published == entry.updated == release(D3)

    def test_older_file_is_known_but_changes_nothing(self, store: Store):
        newer, older = make_issue(D2, ["新"]), make_issue(D2, ["旧"])
        put(store, newer, file="b.txt", mtime=20.0)
        assert put(store, older, file="a.txt", mtime=10.0) == []
        assert store.known(sha(older))
        assert titles(store.issue_entries(D2)) == ["新"]
        assert store.issue(D2).file == "b.txt"

    def test_arrival_order_does_not_decide_the_edition(self, tmp_path: Path):
        """A restart that reads the folder in another order ends with the same edition in force."""
        files = [("a.txt", 10.0, make_issue(D2, ["甲"])), ("b.txt", 30.0, make_issue(D2, ["乙"])),
                 ("c.txt", 20.0, make_issue(D2, ["丙"]))]
        outcomes = []
        for order, name in ((files, "forward"), (files[::-1], "backward")):
            store = Store(tmp_path / f"{name}.sqlite")
            for file, mtime, issue in order:
                put(store, issue, file=file, mtime=mtime)
            outcomes.append((store.issue(D2).file, titles(store.issue_entries(D2))))
            store.close()
        assert outcomes == [("b.txt", ["乙"]), ("b.txt", ["乙"])]

    def test_suspension_replaced_then_withdrawn(self, store: Store):
        put(store, make_issue(D2, ["甲"], suspension=SUSPENSION), mtime=1.0)
        assert SuspensionDeclared not in map(type, put(store, make_issue(D2, ["乙"], suspension=SUSPENSION),
                                                       mtime=2.0))
        moved = Suspension((date(2023, 10, 6),), date(2023, 10, 9), 1, "更正的休刊通知", date(2023, 9, 27))
        events = put(store, make_issue(D2, ["甲"], suspension=moved), mtime=3.0)
        assert events[-1] == SuspensionDeclared(date(2023, 9, 27), (date(2023, 10, 6),), date(2023, 10, 9))
        assert store.suspensions() == [replace(moved, issue_date=D2, edition=3)]
        events = put(store, make_issue(D2, ["甲"]), mtime=4.0)
        assert events[-1] == SuspensionWithdrawn(date(2023, 9, 27))
        assert store.suspensions() == []

    def test_sections_follow_the_edition_in_force(self, store: Store):
        put(store, make_issue(D2, ["甲", "乙", "丙"], sections=["要闻", "经济", None]), mtime=1.0)
        put(store, make_issue(D3, ["丁"], sections=["体育"]))
        assert store.sections() == ["体育", "经济", "要闻"]
        put(store, make_issue(D2, ["甲", "乙"], sections=["要闻", "要闻"]), mtime=2.0)
        assert store.sections() == ["体育", "要闻"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # exact title anywhere wins over position
        ([(1, "甲乙丙丁"), (2, "戊己庚辛")], [(1, "戊己庚辛"), (2, "甲乙丙丁")], {0: 1, 1: 0}),
        # reworded headline at the same position
        ([(1, "城市更新行动")], [(1, "城市更新行动启动")], {0: 0}),
        # an unrelated headline at the same position is a new item
        ([(1, "城市更新行动")], [(1, "今日天气晴朗")], {}),
        # a slightly reworded headline that moved
        ([(1, "甲"), (2, "数字经济峰会在沪开幕")], [(1, "数字经济峰会在沪开幕了"), (2, "乙")], {0: 1}),
        # equal titles pair with the nearest position
        ([(1, "图片"), (5, "图片")], [(4, "图片")], {0: 1}),
    ],
)
def test_match_items(old, new, expected):
    assert match_items(old, new) == expected


class TestEntries:
    @pytest.fixture(name="filled")
    def _filled(self, store: Store) -> Store:
        put(store, make_issue(D1, ["一甲", "一乙"], sections=["要闻", "体育"]))
        put(store, make_issue(D2, ["二甲", "二乙", "二丙"], sections=["体育", "要闻", "体育"]))
        put(store, make_issue(D3, ["三甲", "三乙"], sections=["要闻", "要闻"]))
        return store

    def test_newest_issue_first_in_page_order(self, filled: Store):
        assert titles(filled.entries(LATER, limit=50)) == ["三甲", "三乙", "二甲", "二乙", "二丙", "一甲", "一乙"]
        assert titles(filled.entries(LATER, limit=4)) == ["三甲", "三乙", "二甲", "二乙"]

    def test_only_due_issues(self, filled: Store):
        assert titles(filled.entries(release(D3) - timedelta(seconds=1), limit=3)) == ["二甲", "二乙", "二丙"]
        assert titles(filled.entries(release(D3), limit=1)) == ["三甲"]
        assert [r.issue_date for r in filled.pending(release(D2))] == [D3]
        assert [r.issue_date for r in filled.pending(release(D1) - timedelta(1))] == [D1, D2, D3]

    def test_withheld_unless_forced(self, filled: Store):
        assert titles(filled.entries(LATER, limit=3, withheld=[D3, D1])) == ["二甲", "二乙", "二丙"]
        assert force_release(filled, D3, LATER) == IssueReleased(D3, filled.issue(D3).item_count)
        assert titles(filled.entries(LATER, limit=3, withheld=[D3, D1])) == ["三甲", "三乙", "二甲"]
        assert filled.issue(D3).forced

    def test_section_filter(self, filled: Store):
        assert titles(filled.entries(LATER, limit=3, section="体育")) == ["二甲", "二丙", "一乙"]
        assert filled.entries(LATER, limit=3, section="无此栏目") == []

    def test_queries_walk_indexes(self, filled: Store):
        """Every query entries() runs reads items through an index, in output order, with no sort step."""
        statements: list[str] = []
        filled._db.set_trace_callback(statements.append)
        filled.entries(LATER, limit=5, withheld=[D1])
        filled.entries(LATER, limit=5, section="体育")
        filled.entries(LATER, limit=5, author="记者甲", last=D2)
        filled._db.set_trace_callback(None)
        assert len(statements) == 3
        with sqlite3.connect(filled.path) as raw:
            # An author's items come from their own index, never from a walk over every item.
            indexes = ["USING INDEX items_", "USING INDEX items_", "USING COVERING INDEX item_authors_order"]
            for sql, index in zip(statements, indexes, strict=True):
                assert "LIMIT" in sql
                plan = " | ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql))
                assert index in plan, plan
                assert "TEMP B-TREE" not in plan, plan

    def test_author_filter_follows_corrections_and_upgrades(self, filled: Store, db_path: Path):
        """item_authors (kept by triggers) answers as the items' own author lists do, after a correction
        that renames, re-attributes and withdraws items, and after an upgrade from a store without it."""
        corrected = make_issue(D2, ["二甲", "二丁"], sections=["体育", "要闻"])
        twice = replace(corrected.items[1], authors=("记者乙", "记者乙"))  # a byline naming one person twice
        corrected = replace(corrected, items=(corrected.items[0], twice))
        put(filled, corrected, mtime=2.0)

        def by_author() -> dict[str, list[str]]:
            return {a: titles(filled.entries(LATER, limit=50, author=a)) for a in filled.authors()}

        expected = {"记者甲": ["三甲", "三乙", "二甲", "一甲", "一乙"], "记者乙": ["二丁"]}
        assert by_author() == expected
        assert titles(filled.entries(LATER, limit=50, author="记者甲", first=D2, oldest_first=True)) == [
            "二甲", "三甲", "三乙"]
        with sqlite3.connect(db_path) as raw:  # as a store from before the table: rebuilt from items
            raw.execute("DELETE FROM item_authors")
            for statement in next(s for s in STEPS if s.name == "items by author").statements[-1:]:
                raw.execute(statement)
        assert by_author() == expected

    def test_issues_newest_first(self, filled: Store):
        assert [r.issue_date for r in filled.issues()] == [D3, D2, D1]
        assert [r.issue_date for r in filled.issues(limit=1)] == [D3]
        assert filled.issue_count() == 3
        assert filled.issue(date(2020, 1, 1)) is None


class TestRejectionsAndLog:
    def test_rejection_is_listed_until_the_file_succeeds(self, store: Store):
        now = datetime(2023, 9, 28, 9, 0, tzinfo=TZ)
        assert store.reject(file="x.txt", reason="no issue date", sha256="f" * 64, now=now) == [
            IssueRejected("x.txt", "no issue date")]
        assert store.known("f" * 64)
        assert store.rejected() == [Rejection("x.txt", "no issue date", now)]
        # a rescan meeting the same unreadable file again is not news
        assert store.reject(file="fifo", reason="not a regular file", sha256=None, now=now) != []
        assert store.reject(file="fifo", reason="not a regular file", sha256=None, now=now) == []
        good = make_issue(D2, ["甲"])
        assert not store.known(sha(good))
        put(store, good, file="x.txt")
        assert store.rejected() == [Rejection("fifo", "not a regular file", now)]

    def test_rejected_content_can_still_be_applied(self, store: Store):
        """A content rejected for a reason outside the text (say, a size limit since raised) may apply later."""
        issue = make_issue(D2, ["甲"])
        store.reject(file="big.txt", reason="over the size limit", sha256=sha(issue), now=LATER)
        assert put(store, issue, file="big.txt")[0] == IssueReceived("big.txt", D2, sha(issue), 1)
        assert store.rejected() == []

    def test_missing_until_the_issue_arrives(self, store: Store):
        store.record(IssueMissing(date(2023, 10, 6)), LATER)
        store.record(IssueMissing(D2), LATER)
        store.record(IssueMissing(D2), LATER)
        assert store.missing() == [D2, date(2023, 10, 6)]
        put(store, make_issue(D2, ["甲"]))
        assert store.missing() == [date(2023, 10, 6)]

    def test_force_release_of_unknown_issue(self, store: Store):
        with pytest.raises(StoreError, match="2023-10-04"):
            force_release(store, date(2023, 10, 4), LATER)
        assert store.events() == []

    def test_event_log_order_and_paging(self, store: Store):
        put(store, make_issue(D2, ["甲"], suspension=SUSPENSION))
        store.record(IssueHeld(date(2023, 10, 4), "declared suspension date"), LATER)
        store.record(IssueMissing(date(2023, 10, 6)), LATER)
        logged = store.events()
        assert [e.name for e in logged] == [
            "IssueReceived", "ItemPublished", "SuspensionDeclared", "IssueHeld", "IssueMissing"]
        assert [e.id for e in logged] == sorted({e.id for e in logged})
        assert logged[1].payload == {"item_id": "2023-09-27-01", "issue_date": "2023-09-27", "title": "甲"}
        assert logged[2].payload["dates"] == ["2023-10-02", "2023-10-04"]
        assert logged[0].at == release(D2) and logged[3].at == LATER
        assert [e.name for e in store.events(after=logged[1].id, limit=2)] == ["SuspensionDeclared", "IssueHeld"]


def test_reopening_keeps_everything(db_path: Path):
    store = Store(db_path)
    put(store, make_issue(D2, ["甲", "乙"], suspension=SUSPENSION), mtime=1.0)
    put(store, make_issue(D2, ["甲", "丙"]), mtime=2.0, now=LATER)
    put(store, make_issue(D3, ["丁"], sections=["体育"]))
    force_release(store, D3, LATER)
    store.reject(file="bad.txt", reason="binary data", sha256="b" * 64, now=LATER)

    def snapshot(s: Store):
        return (s.entries(LATER, limit=50, withheld=[D3]), s.issues(), s.suspensions(), s.rejected(),
                s.events(), s.sections(), s.known("b" * 64), s.entry("2023-09-27-02"))

    before = snapshot(store)
    store.close()
    reopened = Store(db_path)
    assert snapshot(reopened) == before
    assert titles(before[0]) == ["丁", "甲", "丙"]
    reopened.close()


def test_threads_share_one_store(store: Store):
    """Writers on several threads each get whole transactions."""
    days = [date(2023, 1, 1) + timedelta(n) for n in range(40)]

    def write(part: list[date]) -> None:
        for day in part:
            put(store, make_issue(day, ["甲", "乙"]))

    threads = [threading.Thread(target=write, args=(days[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.issue_count() == 40
    assert len(store.entries(LATER, limit=1000)) == 80
    assert len(store.events()) == 120


CRASHER = """
import sys
from pathlib import Path
sys.path[:0] = [{root!r}, {tests!r}]
from datetime import date, timedelta
from test_store import make_issue, put
from feedsvc.store import Store
store = Store(Path({path!r}))
for n in range(100000):
    day = date(2000, 1, 1) + timedelta(n // 2)
    put(store, make_issue(day, ["甲", "乙", "丙"] if n % 2 == 0 else ["甲", "乙改", "丁"]), mtime=float(n))
    print(n, flush=True)
"""


@pytest.mark.slow
def test_kill_9_leaves_whole_issues(db_path: Path):
    """A writer killed mid-stream leaves only complete editions, and the log agrees with the tables."""
    db_path.parent.mkdir(parents=True)
    code = CRASHER.format(root=str(ROOT), tests=str(ROOT / "tests"), path=str(db_path))
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if int(line) >= 150:
                break
        proc.kill()
    store = Store(db_path)
    records = store.issues()
    assert len(records) >= 75
    for record in records:
        live = titles(store.issue_entries(record.issue_date))
        assert live == (["甲", "乙", "丙"] if record.edition == 1 else ["甲", "乙改", "丁"])
        assert record.item_count == 3
    logged = store.events(limit=100000)
    received = [e for e in logged if e.name == "IssueReceived"]
    assert len(received) == sum(r.edition for r in records)
    assert logged[-1].name in {"ItemPublished", "ItemWithdrawn"}
    store.close()


def test_subhead_positions_survive_the_round_trip(store: Store):
    """Pages put each subhead before the paragraph it preceded in print."""
    item = Item(item_id(D2, 1), 1, ItemKind.ARTICLE, "标题", None, ("一", "二"), ("甲。", "乙。", "丙。"), (),
                subhead_at=(1, 3))
    put(store, Issue("a.txt", "utf-8", D2, (item,)))
    assert store.entry(item.id).item.subhead_at == (1, 3)
