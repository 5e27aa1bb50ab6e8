"""A deterministic generator of realistic issues in the seed's conventions, for benchmarks and tests.

Each issue is about 10 KB of UTF-8: a masthead, running page headers, articles with column tags, subheads,
datelines and every byline form, photos with agency credits, editor credits, and now and then a 休刊通知
(a list or a range) whose dates the generated calendar then skips. Issues fall on Mon/Wed/Fri.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

WEEKDAYS = (0, 2, 4)
TARGET_BYTES = 10_000
_PAGE_BYTES = (TARGET_BYTES - 1000) // 4  # the last article overshoots; notices come on top
_WD = "一二三四五六日"
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方邹熊孟秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍鹏辉建红斌宇浩凯健俊帆帅旭宁琳晶欣悦晨阳佳颖倩婷雪慧"
# A paper's bylines come mostly from its staff: a city daily has a newsroom of a few hundred, of whom ~150 sign
# stories; now and then a contributor signs once. (A byline drawn at random for every story would give each
# story an author of its own, and the site a feed per story.)
_STAFF = 150
_CONTRIBUTOR_SHARE = 0.05
_CITIES = ("北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉", "西安", "重庆")
_SECTORS = (
    "数字经济",
    "新能源汽车",
    "智能制造",
    "文化旅游",
    "现代农业",
    "生物医药",
    "跨境电商",
    "绿色低碳",
    "养老服务",
)
_PAGES = ("要闻", "经济", "社会", "文化")
_TAGS = ("权威发布", "评论", "深度", "民生调查", "关注", "特别报道", "聚焦", "一线")
_AGENCY_CREDITS = ("{n} 摄", "新华社记者 {n} 摄", "中新社发（{n} 摄）", "（本报记者 {n} 摄）", "{n}/摄")
_HEADS = (
    "{s}发展按下快进键",
    "{c}：{s}跑出加速度",
    "{s}产业 迎来新机遇",
    "稳预期强信心 {s}持续回暖",
    "{c}多措并举 做强{s}",
    "{s}发展势头良好",
    "让{s}成果惠及更多群众",
    "{c}打造{s}新高地",
    "前{m}个月{s}投资同比增长{p}%",
    "{s}：新赛道 新动能",
    "{c}推进{s}高质量发展",
    "{s}释放消费新活力",
)
_SUBHEADS = (
    "政策红利持续释放",
    "创新驱动 动能强劲",
    "补齐短板 久久为功",
    "聚焦民生 办好实事",
    "优化环境 激发活力",
    "多方协同 形成合力",
    "因地制宜 特色发展",
    "数据背后的新变化",
)
_SENTENCES = (
    "记者从{c}市有关部门获悉，今年以来，全市{s}相关项目累计完成投资{k}亿元，同比增长{p}%。",
    "业内人士表示，随着一系列支持政策落地见效，{s}发展的内生动力不断增强。",
    "在{c}的一家企业里，工人们正在生产线上紧张忙碌，订单已经排到了下个季度。",
    "“我们对未来的发展充满信心。”企业负责人介绍，公司今年新增就业岗位{n}个。",
    "数据显示，前{m}个月，{c}规模以上工业增加值同比增长{p}%，增速比上月加快0.{m}个百分点。",
    "专家认为，要进一步完善配套措施，推动{s}与实体经济深度融合。",
    "当地还建立了一站式服务平台，为企业提供政策咨询、融资对接等服务。",
    "下一步，{c}将继续加大投入，培育一批具有竞争力的{s}龙头企业。",
    "据了解，这一做法已在全省{n}个县市推广，取得了良好的社会效益。",
    "群众普遍反映，办事更方便了，服务更贴心了，获得感明显增强。",
    "与此同时，相关部门加强监管，切实维护市场秩序和消费者合法权益。",
    "从田间地头到车间厂房，处处呈现出一派生机勃勃的景象。",
    "有关负责人表示，将坚持问题导向，持续优化营商环境，激发市场主体活力。",
    "今年，{c}计划新建改造基础设施项目{n}个，总投资超过{k}亿元。",
)
_CAPTIONS = (
    "{m}月{d}日，在{c}市郊的一处基地，工作人员在检查设备运行情况。",
    "{m}月{d}日，市民在{c}街头参加文化活动。",
    "近日，{c}的{s}展示中心迎来大批参观者。",
)


@dataclass(frozen=True)
class GeneratedIssue:
    """One generated issue and what the parser should find in it."""

    name: str
    data: bytes
    issue_date: date
    item_count: int
    suspended: tuple[date, ...]  # dates declared by this issue's 休刊通知, if any


def generate(count: int, start: date, *, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """`count` issues from the first publication day on or after `start`: (file name, UTF-8 bytes)."""
    for issue in issues(count, start, seed=seed):
        yield issue.name, issue.data


def write(folder: Path, count: int, start: date) -> list[Path]:
    """Write `count` generated issues into `folder` (created if missing); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in generate(count, start):
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def issues(count: int, start: date, *, seed: int = 0) -> Iterator[GeneratedIssue]:
    """Like `generate`, with the expected date, item count and suspension of each issue."""
    rng = random.Random(seed)
    day, skip = start, set[date]()
    for n in range(count):
        day = _next_publication(day, skip, inclusive=n == 0)
        issue = _Issue(rng, day)
        suspended: tuple[date, ...] = ()
        if n % 9 == 4:  # now and then the paper announces a break
            suspended = issue.suspension_notice(skip)
        elif n % 13 == 7:
            issue.other_notice()
        data = issue.render()
        yield GeneratedIssue(f"{day.isoformat()}.txt", data, day, issue.items, suspended)


def _random_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2, 2))))


@functools.cache
def _staff() -> tuple[str, ...]:
    rng = random.Random("staff")
    names: dict[str, None] = {}
    while len(names) < _STAFF:
        names[_random_name(rng)] = None
    return tuple(names)


def _next_publication(day: date, skip: set[date], *, inclusive: bool = False) -> date:
    day = day if inclusive else day + timedelta(days=1)
    while day.weekday() not in WEEKDAYS or day in skip:
        day += timedelta(days=1)
    return day


def _size(lines: list[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


def _cn_date(day: date, weekday: bool = True) -> str:
    return f"{day.month}月{day.day}日" + (f"（星期{_WD[day.weekday()]}）" if weekday else "")


class _Issue:
    def __init__(self, rng: random.Random, day: date) -> None:
        self.rng, self.day = rng, day
        self.lines: list[str] = []
        self.items = 0
        self.tail: list[str] = []

    def _fill(self, text: str) -> str:
        r = self.rng
        return text.format(
            c=r.choice(_CITIES),
            s=r.choice(_SECTORS),
            n=r.randint(12, 980),
            k=r.randint(3, 900),
            p=f"{r.randint(2, 30)}.{r.randint(0, 9)}",
            m=r.randint(2, 9),
            d=r.randint(1, 28),
        )

    def _name(self) -> str:
        if self.rng.random() >= _CONTRIBUTOR_SHARE:
            return self.rng.choice(_staff())
        return _random_name(self.rng)

    def _paragraph(self) -> str:
        return "".join(self._fill(s) for s in self.rng.sample(_SENTENCES, self.rng.randint(2, 4)))

    def render(self) -> bytes:
        r, d = self.rng, self.day
        header = f"{d.year}年{d.month}月{d.day}日 星期{_WD[d.weekday()]}"
        out = ["示例日报", f"{header} 第1版 {_PAGES[0]}", f"第{(d - date(2000, 1, 1)).days}期 今日4版", ""]
        for page, name in enumerate(_PAGES, 1):
            if page > 1:
                out += ["", f"{header} 第{page}版 {name}", ""]
            self.lines, needs_opener = [], False
            # Pages fill up to a running total, so one long article does not make the whole issue long.
            while _size(out) + _size(self.lines) < page * _PAGE_BYTES:
                needs_opener = self._photo() if r.random() < 0.2 else self._article(needs_opener)
            out += self.lines
            editor = f"责任编辑：{self._name()}"
            out.append(editor if r.random() < 0.7 else f"本版编辑：{self._name()}　校对：{self._name()}")
        out.extend(self.tail)
        return ("\n".join(out) + "\n").encode()

    def _article(self, needs_opener: bool) -> bool:
        """Add an article; True when it ends without a byline, so the next item must open visibly."""
        r = self.rng
        self.items += 1
        head = self._fill(r.choice(_HEADS))
        lines = [head]
        if r.random() < 0.4 or (needs_opener and r.random() < 0.5):
            lines.append(r.choice(_TAGS))
            needs_opener = False
        paragraphs = [self._paragraph() for _ in range(r.randint(3, 7))]
        lead = r.random()
        if lead < 0.25 or (needs_opener and lead < 0.6):
            paragraphs[0] = (
                f"本报{r.choice(_CITIES)}{self.day.month}月{self.day.day}日电（记者 {self._name()}）" + paragraphs[0]
            )
        elif lead < 0.4 or needs_opener:
            paragraphs[0] = f"本报讯（记者 {self._name()} 通讯员 {self._name()}）" + paragraphs[0]
        elif lead < 0.55:
            lines.append(f"本报记者　{self._name()}")
        else:
            lead = 1.0  # no lead byline: a closing one instead
        body: list[str] = []
        subheads = r.sample(_SUBHEADS, 4)
        at = {i for i in range(1, len(paragraphs)) if len(paragraphs) > 4 and r.random() < 0.25}
        if lead == 1.0 and len(at) == 1:
            at.clear()  # one subhead, then text closed by a byline: that reads as a story of its own
        for i, para in enumerate(paragraphs):
            if i in at and subheads:
                body.append(subheads.pop())
            indent = "　　" if r.random() < 0.5 else ""
            cut = para.find("，", 42)
            if 0 < cut < len(para) - 20 and r.random() < 0.15:  # broken across columns mid-sentence
                body += [indent + para[: cut + 4], para[cut + 4 :]]
            else:
                body.append(indent + para)
        if lead == 1.0:
            form = r.randrange(3)
            names = " ".join(self._name() for _ in range(r.randint(1, 2)))
            if form == 0:
                body[-1] += f"（{names}）"
            elif form == 1:
                body.append(f"（{names}）")
            else:
                body.append(f"（本报记者 {names}）")
        self.lines += [*lines, *body, ""]
        return lead != 1.0

    def _photo(self) -> bool:
        r = self.rng
        self.items += 1
        caption = [self._fill(c) for c in r.sample(_CAPTIONS, r.randint(1, 2))]
        credit = r.choice(_AGENCY_CREDITS).format(n=self._name())
        if r.random() < 0.3 and not credit.startswith("（"):
            caption[-1] += credit
            self.lines += [self._fill("{c}：{s}见闻"), *caption, ""]
        else:
            self.lines += [self._fill("{c}：{s}见闻"), *caption, credit, ""]
        return False

    def suspension_notice(self, skip: set[date]) -> tuple[date, ...]:
        """Append a 休刊通知 for a few coming publication days; they join `skip`."""
        r = self.rng
        first = _next_publication(self.day, skip)
        for _ in range(r.randint(0, 2)):
            first = _next_publication(first, skip)
        days = [first]
        for _ in range(r.randint(1, 4)):
            days.append(_next_publication(days[-1], skip))
        resume = _next_publication(days[-1], skip)
        count = "一二三四五六"[len(days) - 1]
        if r.random() < 0.5:
            listed = "、".join(_cn_date(x) for x in days)
            text = f"因设备检修，本报{listed}休刊{count}期，{_cn_date(resume)}正常出版。"
        else:
            span = f"{_cn_date(days[0])}至{_cn_date(days[-1])}"
            text = f"因设备检修，本报{span}休刊{count}期，{_cn_date(resume)}起恢复出版。"
        self._notice("休刊通知", [text, "特此通知。"])
        skip.update(days)
        return tuple(days)

    def other_notice(self) -> None:
        self._notice("征订启事", ["本报下一年度征订工作已经开始，欢迎广大读者到当地邮局订阅。", "订阅热线：12345678。"])

    def _notice(self, title: str, paragraphs: list[str]) -> None:
        self.items += 1
        d = self.day
        self.tail += ["", title, "", *paragraphs, "", "本报编辑部", f"{d.year}年{d.month}月{d.day}日", ""]
