"""Pages written on their first request (ondemand.py), tried the way a crawler, a scanner and a busy desk would:
after a backfill, during drops, corrections, withdrawals and releases. Each test states what a reader or an
operator must see."""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import pytest
from conftest import ManualClock, fetch

from bench.corpus import write
from feedsvc import ondemand
from feedsvc.backfill import backfill
from feedsvc.config import Settings
from feedsvc.serve import ServerThread, make_app
from feedsvc.service import Service
from feedsvc.wiring import open_service

pytestmark = pytest.mark.slow  # backfills, crawls and parallel readers

NOW = datetime(2024, 6, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
BASE = "http://127.0.0.1:9/"  # the site URL the pages name; the crawler maps it onto the test server
HELD_DAY = date(2024, 1, 15)  # suspended by the 2024-01-10 issue's 休刊通知 (bench corpus)
FUTURE_DAY = date(2024, 6, 3)  # released 2024-06-03 06:00, after NOW
HELD_AUTHOR, FUTURE_AUTHOR = "欧阳隐士", "司马未来"


def small_issue(folder: Path, day: date, section: str, author: str, title: str, *more: tuple[str, str]) -> Path:
    """A one-page issue with one article by `author` (and `more` (title, author) articles)."""
    weekday = "一二三四五六日"[day.weekday()]
    parts = [f"{day.year}年{day.month}月{day.day}日 星期{weekday} 第1版 {section}"]
    for head, by in ((title, author), *more):
        parts += [head, f"本报讯 {head}的消息今天发布，各方反响热烈。",
                  f"有关部门表示，将继续推进相关工作。(记者 {by})"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day.isoformat()}.txt"
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


def public_files(settings: Settings) -> dict[str, bytes]:
    return {str(p.relative_to(settings.public)): p.read_bytes()
            for p in settings.public.rglob("*") if p.is_file()}


class Served:
    """A service (open_service, manual clock) whose public/ is served with pages written on request."""

    def __init__(self, tmp_path: Path, name: str = "lazy") -> None:
        self.clock = ManualClock(NOW)
        self.settings = Settings(inbox=tmp_path / "inbox", data=tmp_path / name, base_url=BASE)
        self.service: Service = open_service(self.settings, self.clock)
        self.server = ServerThread(make_app(self.settings.public, max_age=lambda _m: 60, status=dict,
                                            gone=lambda p: p in self.service.gone,
                                            on_request=self.service.write_on_request), "127.0.0.1", 0)
        self.server.start()
        self.url = f"http://127.0.0.1:{self.server.port}/"

    def close(self) -> None:
        self.server.stop()
        self.service.close()


@pytest.fixture(name="served")
def _served(tmp_path: Path) -> Iterator[Served]:
    served = Served(tmp_path)
    try:
        yield served
    finally:
        served.close()


_LINK = re.compile(r'(?:href|src)="([^"]+)"|<link>([^<]+)</link>')


def crawl(url: str, start: str = "") -> dict[str, int]:
    """Every page of the site reachable from `start` by the links it shows: {url: status}."""
    seen: dict[str, int] = {}
    todo = [url + start]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        status, body = fetch(page)
        seen[page] = status
        if status != 200 or not page.endswith((".html", "/", ".xml", ".opml", ".atom")):
            continue
        for found in _LINK.finditer(body.decode("utf-8", "replace")):
            link = (found[1] or found[2]).replace("&amp;", "&").split("#")[0]
            target = urljoin(page, link).replace(BASE, url)
            if target.startswith(url) and not target.endswith("/websub") and target not in seen:
                todo.append(target)
    return seen


def corpus_with_unreleased(tmp_path: Path, count: int = 30) -> list[Path]:
    archive = tmp_path / "archive"
    paths = write(archive, count, date(2024, 1, 1))
    held = small_issue(archive, HELD_DAY, "要闻", HELD_AUTHOR, "休刊日的稿件")
    future = small_issue(archive, FUTURE_DAY, "要闻", FUTURE_AUTHOR, "尚未发布的稿件")
    return [*paths, held, future]


# --- findings ---------------------------------------------------------------------------------------------


def test_a_reader_crawling_from_the_home_page_after_a_backfill_never_meets_a_404(tmp_path: Path,
                                                                                  served: Served) -> None:
    """The backfill holds a held issue (suspended date) and a scheduled one, each by an author of their own. The
    home page and feeds.opml list every author of a live item, these two included; their feeds are left to the
    first request, which finds nothing public and answers 404: a link the site shows leads nowhere."""
    backfill(served.service, corpus_with_unreleased(tmp_path))
    answers = crawl(served.url)
    assert len(answers) > 300
    assert {page: status for page, status in answers.items() if status != 200} == {}


def test_names_of_unreleased_issues_are_not_on_the_public_site(tmp_path: Path, served: Served) -> None:
    """An author who only signed a held or a scheduled issue must not be named on the home page or in
    feeds.opml before that issue is public (the embargo)."""
    backfill(served.service, corpus_with_unreleased(tmp_path))
    home = fetch(served.url)[1].decode()
    opml = fetch(served.url + "feeds.opml")[1].decode()
    assert [name for name in (HELD_AUTHOR, FUTURE_AUTHOR) if name in home or name in opml] == []


def test_a_path_that_can_never_be_written_answers_404_not_503_while_a_publication_runs(
        tmp_path: Path, served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request for a path no page can ever have (a scanner's /robots.txt, /nothing.html, /x.png) is not for
    a page to write: it must not wait for the desk, nor be told to come back (503) while a publication runs."""
    backfill(served.service, write(tmp_path / "archive", 3, date(2024, 1, 1)))
    monkeypatch.setattr(ondemand, "WAIT_SECONDS", 0.2)
    held, done = threading.Event(), threading.Event()

    def publication() -> None:
        with served.service._lock:
            held.set()
            done.wait(30)

    holder = threading.Thread(target=publication)
    holder.start()
    held.wait(10)
    try:
        answers = {name: fetch(served.url + name)[0]
                   for name in ("robots.txt", "nothing.html", "apple-touch-icon.png", "wp/index.html")}
    finally:
        done.set()
        holder.join()
    assert answers == dict.fromkeys(answers, 404)


ODD_PATHS = (
    "items/2024-01-01-01%2Ehtml", "items/%32024-01-01-01.html", "items/2024-01-01-01.html%00",
    "items/..%2fissues%2f2024-01-01.html", "items/./2024-01-01-01.html", "items//2024-01-01-01.html",
    "items/2024-01-01-01.HTML", "items/" + "9" * 250 + ".html", "items/2024-01-01-" + "1" * 240 + ".html",
    "issues/2024-1-1.html", "issues/0000-01-01.html", "issues/9999-12-31.html", "issues/2024-02-29.html",
    "issues/%32024-01-01.html", "archive/0001-01.xml", "archive/9999-12.xml", "archive/9999-12.html",
    "archive/2024-00.json", "archive/2024-1.xml", "archive/0000-12.atom", "archive/%32024-01.xml",
    "sections/%E7%BB%8F%E6%B5%8E/rss.xml", "sections/" + "a" * 250 + "/archive/index.html",
    "authors/..%2F..%2Frss.xml", "sections/x/archive/2024-01.xml/", "archive/", "archive", "items/",
    "issues", "authors/", "sections", "authors/%ff/index.html", "items/2024-01-01-01.html.gz",
)


def test_odd_request_paths_never_answer_5xx_nor_write_outside_public(tmp_path: Path, served: Served) -> None:
    backfill(served.service, write(tmp_path / "archive", 6, date(2024, 1, 1)))
    answers = {name: fetch(served.url + name)[0] for name in ODD_PATHS}
    assert {name: status for name, status in answers.items() if status >= 500} == {}
    assert not list(served.settings.data.glob("*.html")) and not list(tmp_path.glob("*.html"))


def build_of(tmp_path: Path, name: str, steps: list[tuple[str, object]], now: datetime = NOW) -> dict[str, bytes]:
    """public/ as `feedsvc build` writes it for the same history: each step ("file", path) or ("withdraw", day)
    replayed in a fresh data folder, then a full build."""
    settings = Settings(inbox=tmp_path / "inbox", data=tmp_path / name, base_url=BASE)
    service = open_service(settings, ManualClock(now))
    try:
        for kind, what in steps:
            if kind == "file":
                assert isinstance(what, Path)
                service.ingest(what, publish=False, inbox=what.parent)
            elif kind == "release":
                assert isinstance(what, date)
                service.release(what)
            else:
                assert isinstance(what, date)
                service.withdraw(what)
        service.publish(everything=True)
        return public_files(settings)
    finally:
        service.close()


def stale_files(lazy: dict[str, bytes], expected: dict[str, bytes]) -> dict[str, str]:
    """Files in the served public/ that a build of the same store would not write, or would write otherwise."""
    return {name: "not in a build" if name not in expected else "differs"
            for name, data in lazy.items() if expected.get(name) != data and not name.startswith("media/")}


@pytest.mark.parametrize("asked", ["everything", "some"])
def test_pages_written_on_request_never_go_stale_after_drops_corrections_and_withdrawals(
        tmp_path: Path, served: Served, asked: str) -> None:
    """After a backfill, readers ask for every page (or a few: the oldest month, the list of months, one issue and
    its items); then live drops bring a new month, a late issue in a month that had none, a correction dropping
    an item, and a withdrawal. Every file then in public/ must be what a build of the same store writes."""
    archive = tmp_path / "archive"
    paths = write(archive, 12, date(2024, 1, 1))  # January
    paths += write(archive, 6, date(2024, 4, 1))  # April: no issue in February or March
    backfill(served.service, paths)
    url = served.url
    if asked == "everything":
        assert len(crawl(url)) > 100
    else:
        for name in ("archive/index.html", "archive/2024-01.html", "archive/2024-01.xml", "archive/2024-04.xml",
                     f"issues/{paths[-1].stem}.html", f"issues/{paths[11].stem}.html",
                     f"items/{paths[11].stem}-01.html"):
            assert fetch(url + name)[0] == 200, name
    drops = tmp_path / "drops"
    late = small_issue(drops / "a", date(2024, 2, 5), "要闻", "钱晚到", "二月的迟到稿件")
    may = small_issue(drops / "b", date(2024, 5, 6), "要闻", "孙五月", "五月稿件一", ("五月稿件二", "李五月"))
    corrected = small_issue(drops / "c", date(2024, 5, 6), "要闻", "孙五月", "五月稿件一")  # drops the second
    steps: list[tuple[str, object]] = [("file", p) for p in paths]
    for drop in (late, may):
        assert served.service.ingest(drop, inbox=drop.parent, live=True)
        steps.append(("file", drop))
        if asked == "everything":
            crawl(url)
    assert fetch(url + "items/2024-05-06-02.html")[0] == 200
    assert served.service.ingest(corrected, inbox=corrected.parent, live=True)
    steps.append(("file", corrected))
    served.service.withdraw(date.fromisoformat(paths[-2].stem))
    steps.append(("withdraw", date.fromisoformat(paths[-2].stem)))
    expected = build_of(tmp_path, "built", steps)
    assert stale_files(public_files(served.settings), expected) == {}
    assert fetch(url + "items/2024-05-06-02.html")[0] == 404
    assert fetch(url + f"issues/{paths[-2].stem}.html")[0] == 410


def test_a_second_backfill_into_a_public_folder_full_of_pages_leaves_nothing_stale(tmp_path: Path,
                                                                                  served: Served) -> None:
    """Every page asked for after a first backfill; a second one brings an older month, a late issue between two
    months, a correction dropping an item and new authors. What stays in public/ must be what a build writes."""
    archive = tmp_path / "archive"
    first = write(archive, 12, date(2024, 1, 1)) + write(archive, 6, date(2024, 4, 1))
    first.append(small_issue(tmp_path / "own", date(2024, 5, 6), "要闻", "孙五月", "五月稿件一",
                             ("五月稿件二", "李五月")))
    backfill(served.service, first)
    assert len(crawl(served.url)) > 100
    assert fetch(served.url + "items/2024-05-06-02.html")[0] == 200
    second = [small_issue(tmp_path / "older", date(2023, 12, 4), "要闻", "周旧年", "十二月稿件"),
              small_issue(tmp_path / "late", date(2024, 2, 5), "要闻", "钱晚到", "二月的迟到稿件"),
              small_issue(tmp_path / "fix", date(2024, 5, 6), "要闻", "孙五月", "五月稿件一")]
    backfill(served.service, second)
    expected = build_of(tmp_path, "built", [("file", p) for p in first + second])
    assert stale_files(public_files(served.settings), expected) == {}
    assert fetch(served.url + "items/2024-05-06-02.html")[0] == 404
    answers = crawl(served.url)
    assert {page: status for page, status in answers.items() if status != 200} == {}
    assert stale_files(public_files(served.settings), expected) == {}
    assert {n for n in expected if not n.startswith("media/")} <= set(public_files(served.settings))


def test_parallel_first_requests_during_live_drops_get_whole_pages(tmp_path: Path, served: Served) -> None:
    """16 readers ask for every page of a backfill at once, the same pages several times, while issues drop:
    every answer is the whole page (as a build writes it), or 503 with Retry-After; never a 404 or a 500."""
    archive = tmp_path / "archive"
    paths = write(archive, 24, date(2024, 1, 1))
    backfill(served.service, paths)
    expected = build_of(tmp_path, "built", [("file", p) for p in paths])
    # Item and issue pages of the backfill: no drop changes them (the newest issue's page gets a next link).
    pages = sorted(n for n in expected if n.startswith(("items/", "issues/")) and n.endswith(".html")
                   and not n.startswith(f"issues/{paths[-1].stem}"))
    problems: list[tuple[str, int, str]] = []

    def reader(offset: int) -> None:
        for name in pages[offset:] + pages[:offset]:
            try:
                with urllib.request.urlopen(served.url + name, timeout=30) as response:
                    body = response.read()
                    if body != expected[name]:
                        problems.append((name, response.status, "body differs"))
            except urllib.error.HTTPError as err:
                if err.code != 503 or err.headers["Retry-After"] is None:
                    problems.append((name, err.code, err.read()[:80].decode(errors="replace")))
                err.close()

    drops = write(tmp_path / "drops", 4, date(2024, 5, 6))
    with ThreadPoolExecutor(16) as pool:
        readers = [pool.submit(reader, n * len(pages) // 16) for n in range(16)]
        for drop in drops:
            served.service.ingest(drop, inbox=drop.parent, live=True)
        for done in readers:
            done.result(timeout=300)
    assert problems == []


def test_releasing_a_held_issue_and_a_scheduled_one_coming_due_leave_nothing_stale(tmp_path: Path,
                                                                                  served: Served) -> None:
    """Every page asked for after a backfill holding a held and a scheduled issue; then the held one is released
    and the scheduled one comes due: public/ is what a build writes, and a reader's crawl meets no 404."""
    paths = corpus_with_unreleased(tmp_path)
    backfill(served.service, paths)
    crawl(served.url)
    for name in (f"items/{HELD_DAY}-01.html", f"issues/{HELD_DAY}.html", f"items/{FUTURE_DAY}-01.html"):
        assert fetch(served.url + name)[0] == 404, name
    served.service.release(HELD_DAY)
    served.clock.advance(days=3)
    served.service.release_due()
    expected = build_of(tmp_path, "built", [*(("file", p) for p in paths), ("release", HELD_DAY)], served.clock.now)
    assert stale_files(public_files(served.settings), expected) == {}
    answers = crawl(served.url)
    assert {page: status for page, status in answers.items() if status != 200} == {}
    assert stale_files(public_files(served.settings), expected) == {}


def test_no_archive_is_written_on_request_for_a_feed_that_holds_its_whole_history(tmp_path: Path,
                                                                                 served: Served) -> None:
    """An author with one item (a complete feed: no archive) and the main feed of a young paper."""
    own = tmp_path / "own"
    paths = [small_issue(own, date(2024, 2, 5), "要闻", "钱晚到", "二月稿件"),
             small_issue(own, date(2024, 2, 7), "要闻", "孙二月", "二月稿件二")]
    backfill(served.service, paths)
    before = public_files(served.settings)
    for name in ("authors/qian-wan-dao/archive/index.html", "authors/qian-wan-dao/archive/2024-02.xml",
                 "authors/qian-wan-dao/archive/2024-02.html", "archive/index.html", "archive/2024-02.json",
                 "archive/"):
        assert fetch(served.url + name)[0] == 404, name
    assert fetch(served.url + "authors/qian-wan-dao/")[0] == 200
    after = public_files(served.settings)
    assert {n for n in after if "archive" in n} == {n for n in before if "archive" in n} == set()
