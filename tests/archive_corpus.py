"""A long run of a paper (over 200 issues, over a year) served on loopback: what the archive and site tests read.

Each issue has two sections (要闻 on page 1, 经济 on page 2) and varied reporters; one issue declares a break and an
issue for a suspended date arrives anyway (held); one issue is corrected later (one item's title changes, one item
goes: withdrawn). The expected sets come from the generated text through the parser, not from the publisher.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from conftest import REPORTERS, ManualClock

from feedsvc.config import Settings
from feedsvc.parse import parse_issue
from feedsvc.serve import ServerThread, make_app
from feedsvc.service import Service
from feedsvc.urls import entry_urn
from feedsvc.wiring import open_service

TZ = ZoneInfo("Asia/Shanghai")
FIRST = date(2023, 1, 2)  # a Monday
ISSUES = 210  # Mon/Wed/Fri: about 16 months
NOTICE_DAY = date(2023, 9, 27)
NOTICE = "本报10月2日至6日休刊，10月9日（星期一）恢复出版。"
HELD_DAY = date(2023, 10, 4)  # suspended by the notice, arrives anyway: held, never public
CORRECTED_DAY = date(2023, 6, 14)
CORRECTION = "（更正）"
PLACES = "东西南北中上下前后左"
TOPICS = ("召开座谈会议", "推进城市更新", "外贸稳中有升", "特色农业增收", "新建社区食堂", "开展安全检查",
          "举办读书活动")


def issue_dates() -> list[date]:
    days, day = [], FIRST
    while len(days) < ISSUES:
        suspended = date(2023, 10, 2) <= day <= date(2023, 10, 6)
        if day.weekday() in (0, 2, 4) and not suspended:
            days.append(day)
        day += timedelta(days=1)
    return days


def titles_of(day: date) -> list[str]:
    n = day.toordinal()
    return [PLACES[(n + k) % len(PLACES)] + "地" + TOPICS[(n * 3 + k) % len(TOPICS)] for k in range(4)]


def issue_text(day: date, *, corrected: bool = False) -> str:
    """Page 1: two 要闻 articles; page 2: two 经济 articles (the corrected edition: the first retitled, the last
    gone)."""
    titles = titles_of(day)
    if corrected:
        titles = [titles[0] + CORRECTION, *titles[1:3]]
    head = f"{day.year}年{day.month}月{day.day}日 星期{'一二三四五六日'[day.weekday()]}"
    reporters = [REPORTERS[(day.toordinal() + k) % len(REPORTERS)] for k in range(4)]
    parts = [f"示例日报\n{head} 第1版 要闻"]
    for title, reporter in zip(titles[:2], reporters, strict=False):
        parts += [title, "【要闻】", f"本报讯（记者 {reporter}）{title}的消息今天发布，各方反响热烈。",
                  "有关部门表示，将继续推进相关工作。"]
    parts.append(f"{head} 第2版 经济")
    for title, reporter in zip(titles[2:], reporters[2:], strict=False):
        parts += [title, "【经济】", f"本报记者 {reporter}", f"　　{title}，市场反应积极。",
                  "　　专家表示，相关政策将持续发力。"]
    if day == NOTICE_DAY:
        parts += ["休刊通知", NOTICE, "示例日报编辑部", f"{day.year}年{day.month}月{day.day}日"]
    return "\n".join(parts) + "\n"


@dataclass
class Paper:
    """The served run: its settings, service, server and what a reader must find."""

    settings: Settings
    service: Service
    server: ServerThread
    public_ids: dict[str, str] = field(default_factory=dict)  # feed id → title, every public item
    sections: dict[str, set[str]] = field(default_factory=dict)  # section → feed ids
    authors: dict[str, set[str]] = field(default_factory=dict)  # author → feed ids
    withdrawn: set[str] = field(default_factory=set)
    held: set[str] = field(default_factory=set)
    days: list[date] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.settings.site_url


Expected = dict[str, tuple[str, str | None, tuple[str, ...]]]  # feed id → (title, section, authors)


def _expect(paper: Paper, text: str, name: str) -> Expected:
    return {entry_urn(item.id): (item.title, item.section, item.authors)
            for item in parse_issue(text.encode(), name).items}


def build(root: Path) -> Iterator[Paper]:
    """Ingest the run (most of it at once and published as `feedsvc build` does, the last issues one drop at a
    time, then the correction), served on 127.0.0.1."""
    public = root / "data" / "public"
    server = ServerThread(make_app(public, max_age=lambda _m: 60, status=dict), "127.0.0.1", 0)
    server.start()
    settings = Settings(inbox=root / "inbox", data=root / "data", base_url=f"http://127.0.0.1:{server.port}/")
    settings.inbox.mkdir()
    days = issue_dates()
    clock = ManualClock(datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), TZ))
    service = open_service(settings, clock)
    paper = Paper(settings, service, server, days=days)
    expected: Expected = {}
    for n, day in enumerate([*days, HELD_DAY]):
        path = settings.inbox / f"{day.isoformat()}.txt"
        text = issue_text(day)
        path.write_text(text, encoding="utf-8")
        items = _expect(paper, text, path.name)
        if day == HELD_DAY:
            paper.held |= set(items)
        else:
            expected |= items
        service.ingest(path, publish=n >= len(days) - 12)
        if n == len(days) - 13:
            service.publish(everything=True)
    corrected = settings.inbox / f"{CORRECTED_DAY.isoformat()}-corrected.txt"
    corrected.write_text(issue_text(CORRECTED_DAY, corrected=True), encoding="utf-8")
    after = _expect(paper, corrected.read_text(encoding="utf-8"), corrected.name)
    paper.withdrawn = {i for i in expected if i.startswith(entry_urn(CORRECTED_DAY.isoformat()))} - set(after)
    service.ingest(corrected)
    for key in paper.withdrawn:
        del expected[key]
    expected |= after
    paper.public_ids = {key: title for key, (title, _section, _authors) in expected.items()}
    for key, (_title, section, authors) in expected.items():
        if section:
            paper.sections.setdefault(section, set()).add(key)
        for author in authors:
            paper.authors.setdefault(author, set()).add(key)
    try:
        yield paper
    finally:
        server.stop()
        service.close()
