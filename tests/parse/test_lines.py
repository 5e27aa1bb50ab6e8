"""Line classification: what one line of an issue is, before its neighbours are considered."""

from __future__ import annotations

from datetime import date

import pytest

from feedsvc.parse.lines import Kind, Line, classify, column_tag, masthead, split_lines


@pytest.mark.parametrize(
    ("line", "kind", "page", "day"),
    [
        ("2024年3月8日 星期五 第2版 要闻", Kind.HEADER, 2, date(2024, 3, 8)),
        ("2024年3月8日　星期五　第２版　要闻", Kind.HEADER, 2, date(2024, 3, 8)),
        ("第2版 要闻", Kind.HEADER, 2, None),
        ("第十二版：国际", Kind.HEADER, 12, None),
        ("2024年3月8日 星期五", Kind.HEADER, None, date(2024, 3, 8)),
        ("示例日报 第1234期 2024年3月8日 星期五 今日8版", Kind.HEADER, None, date(2024, 3, 8)),
        ("2023年9月27日", Kind.DATE, None, date(2023, 9, 27)),
        ("二〇二三年九月二十七日", Kind.DATE, None, date(2023, 9, 27)),
        ("2023-09-27", Kind.DATE, None, date(2023, 9, 27)),
        ("2025年1月1日(星期三)休刊", Kind.SHORT, None, None),
        ("人民日报第2版刊发评论文章", Kind.SHORT, None, None),
        ("2023年9月27日，本报记者来到现场。", Kind.BODY, None, None),
        ("第2186期　今日8版", Kind.META, None, None),
        ("责任编辑：周敏", Kind.EDITOR, None, None),
        ("徐速绘 摄", Kind.CREDIT, None, None),
        ("(孙红丽)", Kind.BYLINE, None, None),
        ("本报记者 陈静", Kind.BYLINE, None, None),
        ("打造数字时代城市核心竞争力 192城沪上共话", Kind.SHORT, None, None),
        ("商务部: 8月社会消费品 零售总额同比增长4.6%", Kind.SHORT, None, None),
        ("权威发布", Kind.SHORT, None, None),
        ("推进数字化升级、提升未来城市竞争力的“全新答卷”。", Kind.BODY, None, None),
        ("面对数字中国建设的时代召唤,深入挖掘数字技术创新潜能,", Kind.BODY, None, None),
        ("好！", Kind.BODY, None, None),
        (
            "这是一个超过四十个字的长句子但是没有任何标点符号所以它不可能是一个标题而是正文的一部分内容",
            Kind.BODY,
            None,
            None,
        ),
    ],
)
def test_classify(line, kind, page, day):
    found = classify(line)
    assert (found.kind, found.page, found.date) == (kind, page, day)


def test_split_lines_collapses_whitespace_and_skips_blank_lines():
    lines = split_lines("\n\u3000\u3000标题  一\t二\n\n   \n　　正文。\n")
    assert [(ln.number, ln.text) for ln in lines] == [(2, "标题 一 二"), (5, "正文。")]


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("权威发布", "权威发布"),
        ("【评论】", "评论"),
        ("■民生调查", "民生调查"),
        ("特别 报道", None),
        ("十二个字的栏目名称太长了", None),
    ],
)
def test_column_tag(text, tag):
    assert column_tag(Line(Kind.SHORT, text, 1)) == tag


def test_column_tag_only_for_headline_like_lines():
    assert column_tag(Line(Kind.BODY, "评论", 1)) is None


@pytest.mark.parametrize(
    ("text", "start", "day", "page"),
    [
        ("示例日报\n2024年3月8日 星期五 第1版 要闻\n第2186期\n标题\n正文。", 3, date(2024, 3, 8), 1),
        ("2024年3月8日\n标题\n正文。", 1, date(2024, 3, 8), None),
        (
            "示例日报\nSHILI RIBAO\n2024年1月3日 星期三\n农历癸卯年十一月廿二\n第1234期 今日8版\n标题\n正文。",
            5,
            date(2024, 1, 3),
            None,
        ),
        ("休刊通知\n本报10月2日休刊。\n2023年9月27日", 0, None, None),
        ("标题\n正文。\n2024年3月8日", 0, None, None),
        ("第2186期\n标题\n正文。", 0, None, None),
    ],
)
def test_masthead(text, start, day, page):
    """The masthead is the paper's name, date line and furniture before the first headline."""
    assert masthead(split_lines(text)) == (start, day, page)
