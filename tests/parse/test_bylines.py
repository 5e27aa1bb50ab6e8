"""Bylines, credits, datelines and editor credits: person names only, roles dropped, non-bylines refused."""

from __future__ import annotations

import pytest

from feedsvc.parse import bylines


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("章斐然 王震", ("章斐然", "王震")),
        ("孙红丽", ("孙红丽",)),
        ("本报记者 张华 李强", ("张华", "李强")),
        ("记者 王芳 通讯员 赵磊", ("王芳", "赵磊")),
        ("记者\u3000王芳\u3000通讯员\u3000赵磊", ("王芳", "赵磊")),
        ("本报记者张华、李强", ("张华", "李强")),
        ("新华社记者 王鹏", ("王鹏",)),
        ("本报驻上海记者 陈曦", ("陈曦",)),
        ("本报特约记者 欧阳明 实习生 马骏", ("欧阳明", "马骏")),
        ("记者 阿不都·热依木", ("阿不都·热依木",)),
        ("本报评论员", ()),
        ("新华社", ()),
        ("完", None),
        ("资料图片", None),
        ("2023年9月", None),
        ("来源：国家统计局", None),
        ("据国家统计局数据显示有关情况", None),
        ("", None),
    ],
)
def test_byline_names_keeps_person_names_and_drops_roles(text, names):
    assert bylines.byline_names(text) == names


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("(孙红丽)", ("孙红丽",)),
        ("（本报记者　张华　李强）", ("张华", "李强")),
        ("本报记者 XX".replace("XX", "周洁"), ("周洁",)),
        ("本报记者 周洁 实习生 马骏", ("周洁", "马骏")),
        ("记者 王芳 通讯员 赵磊", ("王芳", "赵磊")),
        ("本报记者周洁", ("周洁",)),
        ("记者手记", None),  # a column tag, not a byline
        ("章斐然 王震", None),  # bare names could be anything: a byline needs parentheses or a role
        ("权威发布", None),
        ("(完)", None),
        ("(上接第1版)", None),
        ("(新华)", ()),  # agency bylines name no person
        ("（据新华社）", ()),
        ("（综合新华社、人民网）", ()),
        ("（本报综合）", ()),
        ("文/张三", ("张三",)),
        ("作者：李四", ("李四",)),
    ],
)
def test_standalone_byline_needs_parentheses_or_a_leading_role(line, names):
    assert bylines.standalone_byline(line) == names


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("分层分级促进数字化人才培养。(章斐然 王震)", ("分层分级促进数字化人才培养。", ("章斐然", "王震"))),
        ("恢复和扩大电子产品消费。（刘向东）", ("恢复和扩大电子产品消费。", ("刘向东",))),
        ("他说：“我们有信心。”（本报记者 张华）", ("他说：“我们有信心。”", ("张华",))),
        ("同比增长4.6%(初值)", None),  # no sentence end before the parenthesis: an aside
        ("各地积极推进。(完)", None),
        ("农户晾晒玉米。(徐速绘 摄)", None),  # a photo credit, not a byline
        ("(孙红丽)", None),  # a whole line is a standalone byline, not a trailing one
    ],
)
def test_split_trailing_byline(paragraph, expected):
    assert bylines.split_trailing_byline(paragraph) == expected


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("徐速绘 摄", ("徐速绘",)),
        ("新华社记者 王鹏 摄", ("王鹏",)),
        ("中新社发(张三 摄)", ("张三",)),
        ("中新社发（韩苏原　摄）", ("韩苏原",)),
        ("（本报记者 李四 摄）", ("李四",)),
        ("本报记者 李四 王五 摄影", ("李四", "王五")),
        ("丁健秀/摄", ("丁健秀",)),
        ("图/张三", ("张三",)),
        ("新华社发", ()),
        ("视觉中国供图", ()),
        ("（资料图片）", ()),
        ("（视觉中国）", ()),
        ("农户正在晾晒刚收获的玉米", None),
        ("摄", None),
        ("(完)", None),
    ],
)
def test_credit_names(line, names):
    assert bylines.credit_names(line) == names


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("游客观赏玉兰花。新华社记者 王鹏 摄", ("游客观赏玉兰花。", ("王鹏",))),
        ("游客观赏玉兰花。（本报记者 李四 摄）", ("游客观赏玉兰花。", ("李四",))),
        ("游客观赏玉兰花。", None),
        ("他拿起相机拍摄", None),
    ],
)
def test_split_trailing_credit(paragraph, expected):
    assert bylines.split_trailing_credit(paragraph) == expected


@pytest.mark.parametrize(
    ("paragraph", "names"),
    [
        ("本报北京3月7日电(记者 王芳)全国两会期间……", ("王芳",)),
        ("本报上海5月6日电（记者 李明 通讯员 赵磊） 会议指出……", ("李明", "赵磊")),
        ("本报讯(记者 王芳 通讯员 赵磊)3月6日……", ("王芳", "赵磊")),
        ("新华社北京3月7日电（记者张三、李四）国务院……", ("张三", "李四")),
        ("本报讯 冬至过后，气温持续走低。", ()),
        ("本报综合消息 近日……", ()),
        ("据新华社电 记者从有关部门获悉……", ()),
        ("本报记者近日从市交通局获悉，……", None),
        ("据商务部网站9月22日消息,商务部……", None),
        ("本报今天刊发的消息引起关注。", None),
    ],
)
def test_dateline_names(paragraph, names):
    """A dateline or lead names the authors; it is no dateline when none opens the paragraph."""
    assert bylines.dateline_names(paragraph) == names


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("责任编辑:张三", True),
        ("责任编辑：张三", True),
        ("本版编辑：孙丽　校对：黄河", True),
        ("（责任编辑：周敏）", True),
        ("本期统筹：李华", True),
        ("编辑同志：", False),
        ("责任编辑在会上说", False),
    ],
)
def test_is_editor_credit(line, expected):
    assert bylines.is_editor_credit(line) is expected
