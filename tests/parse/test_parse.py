"""The issue parser, end to end: bytes of an issue file → Issue, or a ParseError naming the reason."""

from __future__ import annotations

import importlib
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsvc.errors import ParseError
from feedsvc.model import Issue, ItemKind, item_id
from feedsvc.parse import parse_issue

ROOT = Path(__file__).resolve().parents[2]
ISSUES = ROOT / "tests" / "issues"
A, P, N = ItemKind.ARTICLE, ItemKind.PHOTO, ItemKind.NOTICE


def parse_text(text: str, source: str = "2024-03-08.txt", **kwargs) -> Issue:
    return parse_issue(text.encode(), source, **kwargs)


def gb18030_crlf(text: str) -> bytes:
    """The same issue as a newsroom system on Windows would save it."""
    return text.replace("\n", "\r\n").encode("gb18030")


def outline(issue: Issue) -> list[tuple]:
    """Per item: kind, title, section, subheads, authors, page and paragraph count."""
    return [(i.kind, i.title, i.section, i.subheads, i.authors, i.page, len(i.paragraphs)) for i in issue.items]


# --- the seed: the acceptance test of project issue 2 -------------------------------------------------------

SEED_SUBHEADS = (
    "数字经济蓬勃发展 夯实城市智能升级数字基础",
    "各地智能升级提速 打造未来区域发展竞争力",
    "客观面对机遇挑战 把握数字时代破局新机遇",
)
SEED_OUTLINE = [
    (A, "打造数字时代城市核心竞争力 192城沪上共话", "权威发布", SEED_SUBHEADS, ("章斐然", "王震"), None, 14),
    (A, "商务部: 8月社会消费品 零售总额同比增长4.6%", None, (), ("孙红丽",), None, 3),
    (A, "七部门: 电子产品 升级换代潜力巨大", None, (), ("刘向东",), None, 4),
    (P, "山东新泰: 秋粮收获忙", None, (), ("徐速绘",), None, 2),
    (N, "休刊通知", None, (), (), None, 1),
]
SEED_DATES = tuple(date(2023, m, d) for m, d in [(9, 29), (10, 2), (10, 4), (10, 6), (10, 9), (10, 11)])


def test_seed_issue_parses_into_its_five_items(seed_bytes):
    issue = parse_issue(seed_bytes, "000_90b6bc3011e581f6.txt")
    assert (issue.issue_date, issue.encoding, issue.warnings) == (date(2023, 9, 27), "utf-8", ())
    assert outline(issue) == SEED_OUTLINE
    assert [i.id for i in issue.items] == [f"2023-09-27-0{n}" for n in range(1, 6)]
    assert issue.suspension is not None
    assert issue.suspension.dates == SEED_DATES
    assert (issue.suspension.resume, issue.suspension.declared_count) == (date(2023, 10, 13), 6)
    assert issue.suspension.notice_date == date(2023, 9, 27)


@pytest.mark.parametrize(
    ("variant", "encoding"),
    [
        pytest.param(lambda t: "\n".join(ln for ln in t.split("\n") if ln.strip()), "utf-8", id="no blank lines"),
        pytest.param(lambda t: t.replace("\n\n", "\n\n\n"), "utf-8", id="double blank lines"),
        pytest.param(
            lambda t: "\n".join("\u3000\u3000" + ln if len(ln) > 40 else ln for ln in t.split("\n")),
            "utf-8",
            id="full-width indents",
        ),
        pytest.param(lambda t: "示例日报\n2023年9月27日 星期三\n第1234期\n" + t, "utf-8", id="masthead"),
        pytest.param(lambda t: t.replace("\n", "\r\n"), "gb18030", id="GB18030 and CRLF"),
        pytest.param(lambda t: "\ufeff" + t, "utf-8-sig", id="BOM"),
    ],
)
def test_seed_in_other_layouts_reads_the_same(seed_bytes, variant, encoding):
    """The parser follows the conventions, not the seed's exact spacing or encoding."""
    text = variant(seed_bytes.decode("utf-8"))
    data = text.encode("gb18030") if encoding == "gb18030" else text.encode("utf-8")
    issue = parse_issue(data, "seed.txt")
    assert (issue.encoding, outline(issue), issue.warnings) == (encoding, SEED_OUTLINE, ())
    assert issue.suspension is not None and issue.suspension.dates == SEED_DATES


def test_seed_subheads_keep_their_place(seed_bytes):
    """Each subhead stands before a paragraph: 发展数字经济… (3rd), 面对数字中国… (6th), 数字化浪潮下… (10th)."""
    first = parse_issue(seed_bytes, "seed.txt").items[0]
    assert first.subhead_at == (2, 5, 9)
    assert [first.paragraphs[n][:6] for n in first.subhead_at] == ["发展数字经济", "面对数字中国", "数字化浪潮下"]


def test_seed_page_broken_paragraph_is_joined(seed_bytes):
    first = parse_issue(seed_bytes, "seed.txt").items[0]
    joined = [p for p in first.paragraphs if p.startswith("面对数字中国建设的时代召唤")]
    assert joined == [
        "面对数字中国建设的时代召唤,深入挖掘数字技术创新潜能,不断拓宽数字经济蓝海,正在成为当前各地"
        "推进数字化升级、提升未来城市竞争力的“全新答卷”。"
    ]
    assert not any(p.startswith("推进数字化升级") for p in first.paragraphs)


def test_seed_bylines_credits_and_signatures_are_not_paragraphs(seed_bytes):
    items = parse_issue(seed_bytes, "seed.txt").items
    assert items[0].paragraphs[-1].endswith("分层分级促进数字化人才培养。")
    assert items[1].paragraphs[-1].endswith("1-8月,服务零售额同比增长19.4%。")
    assert items[2].paragraphs[-1].endswith("进一步恢复和扩大电子产品消费。")
    assert (
        items[3].paragraphs[-1]
        == "近日,山东省新泰市40余万亩秋粮进入成熟收获期,当地农户利用晴好的天气开展秋粮收割、晾晒、仓储等工作,"
        "确保秋粮颗粒入仓。"
    )
    assert items[4].paragraphs[0].startswith("因中秋节、国庆节放假,本报9月29日(星期五)")
    assert items[4].paragraphs[-1].endswith("10月13日(星期五)正常出版。")


def test_seed_json_has_the_documented_shape(seed_bytes):
    data = json.loads(json.dumps(parse_issue(seed_bytes, "seed.txt").to_dict(), ensure_ascii=False))
    assert data["issue_date"] == "2023-09-27"
    assert data["suspension"]["dates"][0] == "2023-09-29"
    assert data["items"][0]["section"] == "权威发布"
    assert set(data["items"][0]) >= {"id", "ordinal", "kind", "title", "section", "subheads", "paragraphs", "authors"}


# --- sample issues of our own ---------------------------------------------------------------------------------


def test_masthead_page_headers_datelines_and_agency_credits():
    """tests/issues/2024-03-08.txt: one paragraph per line, full-width indents, three pages, editor credits."""
    issue = parse_issue((ISSUES / "2024-03-08.txt").read_bytes(), "2024-03-08.txt")
    assert (issue.issue_date, issue.warnings, issue.suspension) == (date(2024, 3, 8), (), None)
    assert outline(issue) == [
        (
            A,
            "春风送暖 两会代表委员热议高质量发展",
            "民生调查",
            ("科技创新成为高频词", "乡村振兴仍需久久为功"),
            ("李明", "赵磊"),
            1,
            4,
        ),
        (A, "一季度外贸开局平稳", None, (), ("陈静",), 2, 2),
        (A, "新能源汽车下乡活动启动", None, (), ("王芳", "刘洋"), 2, 2),
        (P, "春耕时节备耕忙", None, (), ("韩苏原",), 2, 1),
        (P, "北京：玉兰花开", None, (), ("王鹏",), 2, 1),
        (N, "2024年度征订启事", None, (), (), 3, 2),
    ]
    first = issue.items[0]
    assert first.paragraphs[0].startswith("本报北京3月7日电（记者 李明 通讯员 赵磊） 全国两会期间，")
    assert (
        first.paragraphs[2] == "多位代表委员认为，科技创新是推动产业升级的关键，应加大基础研究投入，"
        "完善科研评价体系，让更多成果走出实验室。"
    )
    assert issue.items[4].paragraphs == ("3月7日，游客在北京颐和园观赏盛开的玉兰花。",)


@pytest.mark.parametrize(
    ("name", "day", "encoding", "items", "suspension"),
    [
        pytest.param(
            "yearend_notice.txt",
            date(2024, 12, 27),
            "utf-8",
            [(A, "冬至时节话养生", None, (), ("林晓",), None, 2), (N, "元旦休刊启事", None, (), (), None, 2)],
            (["2024-12-30", "2025-01-01", "2025-01-03"], "2025-01-06", 3),
            id="year-crossing notice",
        ),
        pytest.param(
            "2024-01-19.txt",
            date(2024, 1, 19),
            "utf-8",
            [
                (A, "寒潮来袭 多地启动应急响应", "深度", (), ("张华", "李强"), None, 2),
                (N, "休刊启事", None, (), (), None, 1),
            ],
            (["2024-01-22", "2024-01-24", "2024-01-26"], "2024-01-29", 3),
            id="range over the calendar",
        ),
        pytest.param(
            "golden_week.txt",
            date(2024, 9, 27),
            "utf-8",
            [
                (A, "金秋文旅市场持续升温 ——多地推出特色活动迎接国庆假期", None, (), ("何佳",), 4, 3),
                (N, "国庆休刊通知", None, (), (), 4, 1),
            ],
            (["2024-10-02", "2024-10-04", "2024-10-07"], "2024-10-09", None),
            id="10月1日至7日 and an indented signature",
        ),
        pytest.param(
            "2024-03-11.txt",
            date(2024, 3, 11),
            "utf-8-sig",
            [
                (A, "让数字红利惠及更多群众", "评论", (), (), 4, 3),
                (A, "老旧小区改造跑出加速度", None, (), ("周洁", "马骏"), 4, 2),
            ],
            None,
            id="BOM",
        ),
    ],
)
def test_sample_issues(name, day, encoding, items, suspension):
    issue = parse_issue((ISSUES / name).read_bytes(), name)
    assert (issue.issue_date, issue.encoding, issue.warnings) == (day, encoding, ())
    assert outline(issue) == items
    if suspension is None:
        assert issue.suspension is None
    else:
        dates, resume, count = suspension
        assert issue.suspension is not None
        assert [d.isoformat() for d in issue.suspension.covered((0, 2, 4))] == dates
        assert (issue.suspension.resume.isoformat(), issue.suspension.declared_count) == (resume, count)


def test_gb18030_with_crlf_reads_like_utf8():
    text = (ISSUES / "yearend_notice.txt").read_text(encoding="utf-8")
    legacy = parse_issue(gb18030_crlf(text), "yearend_notice.txt")
    modern = parse_issue(text.encode(), "yearend_notice.txt")
    assert legacy.encoding == "gb18030"
    assert (legacy.items, legacy.suspension, legacy.issue_date) == (modern.items, modern.suspension, modern.issue_date)


# --- conventions, one small text each ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "城市更新 让老街焕发新生\n民生调查\n老街改造工程近日完工，沿街商铺陆续开业。\n居民纷纷点赞\n"
            "“环境变好了，生意也好了。”店主说。\n（记者 王芳 通讯员 赵磊）",
            [(A, "城市更新 让老街焕发新生", "民生调查", ("居民纷纷点赞",), ("王芳", "赵磊"), None, 2)],
            id="column tag, subhead, byline alone on a line",
        ),
        pytest.param(
            "第一篇标题\n本报讯（记者 张华）第一篇的正文。\n第二篇标题\n本报上海3月7日电（记者 李强）第二篇的正文。",
            [(A, "第一篇标题", None, (), ("张华",), None, 1), (A, "第二篇标题", None, (), ("李强",), None, 1)],
            id="a dateline opens a new item",
        ),
        pytest.param(
            "第一篇标题\n本报讯（记者 张华）第一篇的正文。\n这是一个小标题\n小标题下面的正文。",
            [(A, "第一篇标题", None, ("这是一个小标题",), ("张华",), None, 2)],
            id="without an opener a headline-like line is a subhead",
        ),
        pytest.param(
            "第一篇标题\n本报讯（记者 张华）第一篇的正文。\n第二篇标题\n评论\n第二篇的正文。",
            [(A, "第一篇标题", None, (), ("张华",), None, 1), (A, "第二篇标题", "评论", (), (), None, 1)],
            id="a column tag opens a new item",
        ),
        pytest.param(
            "第一篇标题\n本报讯（记者 张华）第一篇的正文。\n第二篇标题\n本报记者 李强\n第二篇的正文。",
            [(A, "第一篇标题", None, (), ("张华",), None, 1), (A, "第二篇标题", None, (), ("李强",), None, 1)],
            id="a byline under a headline opens a new item",
        ),
        pytest.param(
            "第一篇标题\n第一篇的正文。\n2024年3月8日 星期五 第2版 要闻\n第二篇标题\n第二篇的正文。",
            [(A, "第一篇标题", None, (), (), None, 1), (A, "第二篇标题", None, (), (), 2, 1)],
            id="a page header ends an article",
        ),
        pytest.param(
            "第一篇标题\n正文第一段写到这里，这一句在版面底部被截断，后面的内容要到下一个版面上才能够继续读到\n"
            "2024年3月8日 星期五 第2版 要闻\n接着上一版的句子继续写完。（张华）\n"
            "第二篇标题\n第二篇的正文。",
            [(A, "第一篇标题", None, (), ("张华",), None, 1), (A, "第二篇标题", None, (), (), 2, 1)],
            id="a sentence continues across a page header",
        ),
        pytest.param(
            "文章标题\n本报讯（记者 张华）正文内容。\n秋粮收获忙\n农户晾晒刚收获的玉米。\n徐速绘 摄",
            [(A, "文章标题", None, (), ("张华",), None, 1), (P, "秋粮收获忙", None, (), ("徐速绘",), None, 1)],
            id="a captioned photo opens a new item",
        ),
        pytest.param(
            "春耕时节备耕忙\n3月6日，农民驾驶农机在田间作业。\n中新社发（韩苏原　摄）\n北京：玉兰花开\n"
            "3月7日，游客观赏盛开的玉兰花。新华社记者 王鹏 摄",
            [
                (P, "春耕时节备耕忙", None, (), ("韩苏原",), None, 1),
                (P, "北京：玉兰花开", None, (), ("王鹏",), None, 1),
            ],
            id="agency photo credits",
        ),
        pytest.param(
            "文章标题\n正文内容。（张华）\n责任编辑：周敏",
            [(A, "文章标题", None, (), ("张华",), None, 1)],
            id="editor credit is neither text nor author",
        ),
        pytest.param(
            "金秋文旅市场持续升温\n——多地推出特色活动\n本报记者　何佳\n正文。",
            [(A, "金秋文旅市场持续升温 ——多地推出特色活动", None, (), ("何佳",), None, 1)],
            id="secondary title after a dash",
        ),
        pytest.param(
            "秋粮收获忙\n山东新泰农户抢收玉米\n本报记者 张华\n正文。",
            [(A, "秋粮收获忙 山东新泰农户抢收玉米", None, (), ("张华",), None, 1)],
            id="headline printed on two lines",
        ),
        pytest.param(
            "第一篇\n正文。（张华）\n【权威发布】\n打造数字时代城市核心竞争力\n正文二。",
            [
                (A, "第一篇", None, (), ("张华",), None, 1),
                (A, "打造数字时代城市核心竞争力", "权威发布", (), (), None, 1),
            ],
            id="marked column tag above the headline",
        ),
        pytest.param(
            "第一篇\n正文。（张华）\n数字经济如何赋能城市？\n本报讯 正文二。",
            [(A, "第一篇", None, (), ("张华",), None, 1), (A, "数字经济如何赋能城市？", None, (), (), None, 1)],
            id="question as headline",
        ),
        pytest.param(
            "秋粮收获忙\n农户晾晒玉米\n徐速绘 摄",
            [(P, "秋粮收获忙", None, (), ("徐速绘",), None, 1)],
            id="caption without a full stop",
        ),
        pytest.param(
            "标题\n正文一段。（完）\n＊＊＊\n标题二\n本报讯 正文。\n2024年3月8日 星期五 要闻 2\n标题三\n正文三。",
            [
                (A, "标题", None, (), (), None, 1),
                (A, "标题二", None, (), (), None, 1),
                (A, "标题三", None, (), (), 2, 1),
            ],
            id="end markers, separators, header without 第N版",
        ),
        pytest.param(
            "标题一\n\n正文。\n\n小标题\n\n正文。\n\n\n标题二\n\n正文。\n",
            [(A, "标题一", None, ("小标题",), (), None, 2), (A, "标题二", None, (), (), None, 1)],
            id="a wider gap than usual separates items",
        ),
        pytest.param(
            "标题一\n正文。\n小标题\n正文。\n\n标题二\n正文。\n",
            [(A, "标题一", None, ("小标题",), (), None, 2), (A, "标题二", None, (), (), None, 1)],
            id="a blank line separates items where there are usually none",
        ),
        pytest.param(
            "第一篇\n本报讯 第一篇的正文。(记者 张华)\n第二篇\n本报讯 第二篇的正文写到这里文件就被截",
            [(A, "第一篇", None, (), ("张华",), None, 1), (A, "第二篇", None, (), (), None, 1)],
            id="a file truncated mid-sentence keeps its last item",
        ),
        pytest.param(
            "休刊启事\n本报10月2日休刊。\n敬请读者谅解\n本报编辑部\n2024年3月8日",
            [(N, "休刊启事", None, (), (), None, 2)],
            id="a notice's closing words are text, its signature is not",
        ),
        pytest.param(
            "休刊启事\n本报10月2日休刊。\n新的文章标题\n新文章的正文。",
            [(N, "休刊启事", None, (), (), None, 1), (A, "新的文章标题", None, (), (), None, 1)],
            id="an unsigned notice ends at the next headline",
        ),
        pytest.param(
            "\n\n标题  一\u3000二\n\n\u3000\u3000正文  第一段。\n\n",
            [(A, "标题 一 二", None, (), (), None, 1)],
            id="whitespace collapsed",
        ),
    ],
)
def test_conventions(text, expected):
    issue = parse_text(text)
    assert outline(issue) == expected
    assert issue.warnings == ()


def test_datelines_and_inline_bylines_stay_or_go_as_printed():
    issue = parse_text("标题\n本报讯（记者 张华）开头。\n结尾。（李强）\n春耕\n农民作业。新华社记者 王鹏 摄")
    assert issue.items[0].paragraphs == ("本报讯（记者 张华）开头。", "结尾。")
    assert issue.items[0].authors == ("张华", "李强")
    assert issue.items[1].paragraphs == ("农民作业。",)


def test_latin_words_broken_across_lines_keep_a_space():
    issue = parse_text("标题\n华为云 CEO 张平安认为，数字化发展进程中，城市正在逐渐成为能感知的 digital\ntwin 平台。")
    assert issue.items[0].paragraphs == (
        "华为云 CEO 张平安认为，数字化发展进程中，城市正在逐渐成为能感知的 digital twin 平台。",
    )


def test_text_outside_any_item_is_dropped_with_a_warning():
    issue = parse_text(
        "第一篇标题\n第一篇的正文。\n2024年3月8日 星期五 第2版 要闻\n没有标题的一段文字。\n第二篇标题\n第二篇的正文。"
    )
    assert [i.paragraphs for i in issue.items] == [("第一篇的正文。",), ("第二篇的正文。",)]
    assert issue.warnings == ("ignored 1 lines of text outside any item (lines 4)",)


def test_notice_signature_on_one_line_dates_the_notice_and_the_issue():
    issue = parse_text("休刊通知\n本报10月2日休刊一期，10月4日恢复出版。\n本报编辑部 2023年9月27日", "notice.txt")
    assert issue.issue_date == date(2023, 9, 27)
    assert issue.items[0].paragraphs == ("本报10月2日休刊一期，10月4日恢复出版。",)
    assert issue.suspension is not None
    assert (issue.suspension.dates, issue.suspension.resume) == ((date(2023, 10, 2),), date(2023, 10, 4))


def test_notice_warnings_name_the_notice():
    issue = parse_text("休刊通知\n本报3月11日、3月13日休刊三期。\n本报编辑部\n2024年3月8日")
    assert issue.warnings == ("休刊通知: declared 三期 but listed 2 dates",)


def test_ranges_are_kept_and_cover_the_publication_days():
    issue = parse_text("休刊通知\n本报3月11日至3月13日休刊。\n本报编辑部\n2024年3月8日", weekdays=range(7))
    assert issue.suspension is not None
    assert issue.suspension.ranges == ((date(2024, 3, 11), date(2024, 3, 13)),)
    assert issue.suspension.covered(range(7)) == (date(2024, 3, 11), date(2024, 3, 12), date(2024, 3, 13))


def test_control_characters_are_removed_with_a_warning():
    issue = parse_text("标题\n正\x00文\x1b。")
    assert issue.items[0].paragraphs == ("正文。",)
    assert issue.warnings == ("removed 2 control characters that XML forbids",)


# --- the issue date ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "source", "day", "warnings"),
    [
        (
            "示例日报\n2024年3月9日 星期六\n标题\n正文。",
            "2024-03-08.txt",
            date(2024, 3, 8),
            ("file name says 2024-03-08 but the masthead says 2024-03-09",),
        ),
        ("示例日报\n2024年3月9日 星期六\n标题\n正文。", "issue.txt", date(2024, 3, 9), ()),
        ("标题\n正文。（张华）\n2024年3月8日 星期五 第2版 要闻\n标题二\n正文二。", "issue.txt", date(2024, 3, 8), ()),
        ("标题\n正文。\n2024年3月7日", "issue.txt", date(2024, 3, 7), ()),
        ("标题\n正文。\n二〇二四年三月七日", "20240308.txt", date(2024, 3, 8), ()),
    ],
)
def test_issue_date_sources_in_order(text, source, day, warnings):
    """File name, then masthead or page header, then a line that is only a date."""
    issue = parse_text(text, source)
    assert (issue.issue_date, issue.warnings) == (day, warnings)


# --- rejected input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "source", "reason"),
    [
        (b"", "2024-03-08.txt", "empty file"),
        (b"  \r\n\t", "2024-03-08.txt", "file holds only whitespace"),
        (b"\x00\x01\x02" * 100, "2024-03-08.txt", "not text (binary data"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "2024-03-08.txt", "not text (binary data"),
        (b"abc\xff\xfe\xfddef", "2024-03-08.txt", "undecodable"),
        ("标题\n2024年3月8日，本报记者来到现场。".encode(), "issue.txt", "no issue date found"),
        ("只有一行标题".encode(), "2024-03-08.txt", "no article found"),
        ("没有标题的正文。\n第二段。".encode(), "2024-03-08.txt", "no article found"),
    ],
)
def test_unparseable_input_raises_parse_error(data, source, reason):
    with pytest.raises(ParseError) as caught:
        parse_issue(data, source)
    assert caught.value.source == source
    assert caught.value.reason.startswith(reason)


# --- properties ---------------------------------------------------------------------------------------------------

LINES = [
    "打造数字时代城市核心竞争力 192城沪上共话",
    "权威发布",
    "评论",
    "本报讯（记者 王芳 通讯员 赵磊）今天开幕。",
    "正文第一段，没有结束",
    "继续写完。",
    "(孙红丽)",
    "本报记者 张华",
    "徐速绘 摄",
    "中新社发(张三 摄)",
    "休刊通知",
    "本报9月29日(星期五)、10月2日至6日休刊三期，10月9日正常出版。",
    "本报编辑部",
    "2023年9月27日",
    "2024年3月8日 星期五 第2版 要闻",
    "责任编辑：周敏",
    "第2186期",
    "——副标题",
    "",
    "（完）",
    "特此通知。",
    "1月1日至12月31日休刊",
    "本报2月30日休刊。",
]


def check_invariants(issue: Issue) -> None:
    assert [i.ordinal for i in issue.items] == list(range(1, len(issue.items) + 1))
    assert [i.id for i in issue.items] == [item_id(issue.issue_date, i.ordinal) for i in issue.items]
    assert all(i.title and all(i.paragraphs) for i in issue.items)
    assert all(len(i.subhead_at) == len(i.subheads) for i in issue.items)
    assert all(0 <= n <= len(i.paragraphs) for i in issue.items for n in i.subhead_at)
    assert len(issue.warnings) <= 51
    json.dumps(issue.to_dict(), ensure_ascii=False)


def parse_or_reject(data: bytes, source: str) -> None:
    try:
        check_invariants(parse_issue(data, source))
    except ParseError as exc:
        assert not exc.reason.startswith("internal"), exc.reason


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(data=st.binary(max_size=3000))
def test_any_bytes_parse_or_raise_parse_error(data):
    parse_or_reject(data, "2024-03-08.txt")


@pytest.mark.slow
@FAST
@given(text=st.text(max_size=2000))
def test_any_text_parses_or_raises_parse_error(text):
    parse_or_reject(text.encode(), "2024-03-08.txt")
    parse_or_reject(text.encode("gb18030", errors="ignore"), "x.txt")


@pytest.mark.slow
@FAST
@given(lines=st.lists(st.sampled_from(LINES) | st.text(max_size=50), max_size=60))
def test_any_mix_of_issue_lines_parses_or_raises_parse_error(lines):
    parse_or_reject("\n".join(lines).encode(), "2024-03-08.txt")
    parse_or_reject("\r\n".join(lines).encode("gb18030", errors="ignore"), "issue.txt")


# --- the generated corpus -----------------------------------------------------------------------------------------


@pytest.fixture(name="corpus")
def _corpus(monkeypatch):
    """The bench corpus generator; bench/ is not an installed package, so import it from the repository."""
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("bench.corpus")


@pytest.mark.parametrize("start", [date(2024, 3, 4), date(2024, 11, 25)])
def test_every_generated_issue_parses_as_generated(corpus, start):
    """The benchmark corpus is only worth its numbers if the parser reads it right (including year ends)."""
    for generated in corpus.issues(60, start, seed=7):
        issue = parse_issue(generated.data, generated.name)
        assert (issue.issue_date, len(issue.items), issue.warnings) == (
            generated.issue_date,
            generated.item_count,
            (),
        ), generated.name
        assert (issue.suspension.covered((0, 2, 4)) if issue.suspension else ()) == generated.suspended, generated.name
        assert 8_500 < len(generated.data) < 13_000


def test_corpus_write_names_files_by_date(corpus, tmp_path):
    paths = corpus.write(tmp_path / "inbox", 3, date(2024, 3, 5))
    assert [p.name for p in paths] == ["2024-03-06.txt", "2024-03-08.txt", "2024-03-11.txt"]
    assert parse_issue(paths[0].read_bytes(), paths[0].name).issue_date == date(2024, 3, 6)


def test_a_run_of_headline_like_lines_does_not_grow_one_title():
    """A headline may take two or three lines; a list of short lines is not one endless title."""
    issue = parse_text("名单\n" * 50 + "本报讯 正文。")
    assert [(i.title, i.section) for i in issue.items] == [("名单", "名单")]  # the last two: title and column tag
    assert issue.warnings[0] == "line 1: headline without text ignored: 名单 名单 名单"
    assert issue.items[0].paragraphs == ("本报讯 正文。",)


def test_a_short_clause_broken_across_columns_after_a_subhead_is_one_paragraph():
    """`…部分商品` + `出现供不应求的情况。`: a line with a comma that the next block continues is no subhead."""
    text = "\n\n".join([
        "年货市场人气旺",
        "本报讯 春节临近,各地年货市场人气旺盛。",
        "线上订单快速增长",
        "电商平台数据显示,年货节期间坚果销量大幅增长,部分商品",
        "出现供不应求的情况。",
        "业内人士表示,春节消费有望延续回升态势。(本报记者 李华)",
    ])
    issue = parse_issue(text.encode(), "2024-02-05.txt")
    (item,) = issue.items
    assert item.subheads == ("线上订单快速增长",)
    assert item.paragraphs == (
        "本报讯 春节临近,各地年货市场人气旺盛。",
        "电商平台数据显示,年货节期间坚果销量大幅增长,部分商品出现供不应求的情况。",
        "业内人士表示,春节消费有望延续回升态势。",
    )
    assert item.subhead_at == (1,)
    assert item.authors == ("李华",)


def test_a_column_tag_above_the_next_headline_starts_a_new_item():
    """Papers also print the 栏目 above the headline: `民生调查` / headline / text, after an unsigned article."""
    text = "\n".join([
        "2024年3月8日 星期五 第3版 要闻",
        "政府工作报告提出 今年经济增长预期目标为5%左右",
        "十四届全国人大二次会议5日开幕，政府工作报告提出今年发展主要预期目标。",
        "代表委员们表示，目标积极稳妥，经过努力可以实现。",
        "民生调查",
        "菜篮子稳了 百姓心里踏实了",
        "近期，记者走访多个农贸市场发现，蔬菜价格总体平稳。（记者 王芳）",
    ])
    issue = parse_issue(text.encode(), "x.txt")
    assert [(i.title, i.section, i.subheads) for i in issue.items] == [
        ("政府工作报告提出 今年经济增长预期目标为5%左右", None, ()),
        ("菜篮子稳了 百姓心里踏实了", "民生调查", ()),
    ]
    assert issue.items[1].authors == ("王芳",)
