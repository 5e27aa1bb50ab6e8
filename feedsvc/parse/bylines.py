"""Bylines, photo credits, datelines and editor credits: who wrote or shot an item, as person names only.

Roles (本报记者, 通讯员, 实习生, agency names such as 新华社记者) are recognised and dropped; what remains
must look like personal names, otherwise the text is not a byline and stays body text.
"""

from __future__ import annotations

import re

from feedsvc.parse.cndates import HAN
from feedsvc.parse.punctuation import QUOTES, SENTENCE_END, ends_sentence

_AGENCY = (
    r"(?:新华社|中新社|中新网|人民网|新华网|央视网|光明网|新华|中新|央视|央广|本报|本刊"
    rf"|[{HAN}]{{2,6}}?(?:日报|晚报|早报|时报|报社|通讯社|社|网|台))"
)
_ROLE = re.compile(
    rf"(?:据)?{_AGENCY}?(?:驻[{HAN}]{{1,6}}?)?(?:特约|见习|实习|首席|摄影|融媒体|全媒体)?"
    r"(?:记者|通讯员|撰稿人|评论员|观察员)"
    rf"|(?:据)?{_AGENCY}(?:发|电|讯)?|(?:{_AGENCY})?(?:综合|综合报道|综述|报道|摄影报道)"
    r"|实习生|文|图|文图|图文|摄影|撰文|整理|编译|采写|执笔|绘|制图|供图"
)
_HAN_CHAR = re.compile(rf"[{HAN}]+")
_NAME = re.compile(rf"[{HAN}]{{2,4}}|[{HAN}]{{1,8}}(?:[·・•．][{HAN}]{{1,10}}){{1,3}}")
_GLUED = re.compile(rf"(?P<role>{_ROLE.pattern})(?P<name>{_NAME.pattern})")
# Words that fit the shape of a name but are not one: notes in parentheses, column names, photo agencies.
_NOT_NAMES = frozenset(
    """完 待续 续完 未完待续 资料图 资料图片 图片 上图 下图 左图 右图 附图 见图 图表 来源 下同 原标题
    有删节 有删改 节选 摘编 编者按 本报讯 手记 观察 调查 札记 来信 专访 连线 随笔 笔记 日记 视点 述评
    走基层 回访 追踪 一线 探营 视觉中国 东方 人民视觉 图虫创意""".split()  # noqa: SIM905
)
_SEPARATORS = re.compile(r"[\s、，,;；/／|｜]+")
_CREDIT_VERB = re.compile(r"\s*[/／]?\s*(?:摄影|摄)\s*$")
_CREDIT_LINE = re.compile(r"^(?P<pre>[^()（）]{0,20}?)\s*[(（](?P<inner>[^()（）]{1,40})[)）]$")
_IMAGE_PREFIX = re.compile(r"^(?:图|图片|摄影)\s*[/／:：]\s*(?P<who>.{1,30})$")
_SOURCE_ONLY = re.compile(
    rf"^[(（]?\s*(?:资料图片|资料图|{_AGENCY}发|[^()（）]{{1,12}}供图|视觉中国|东方IC|人民视觉|图虫创意|CFP)\s*[)）]?$"
)
_LABELLED = re.compile(r"^(?:文|作者|撰文|文/图|文图)\s*[/／:：]\s*(?P<who>.{1,40})$")
_DATELINE = re.compile(
    rf"^(?P<lead>(?:据)?{_AGENCY}[{HAN}0-9０-９\s]{{0,14}}?(?:电|讯|综合消息))\s*"
    r"(?:[(（](?P<by>[^()（）]{1,60})[)）])?"
)
_AUTHOR_NOTE = re.compile(r"^[(（]\s*(?:本文)?作者(?:为|系|是|现为|现任|单位|简介|：|:)")
# Surnames, for telling a bare name on its own line (王 伟, 欧阳娜) from a short headline.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方邹熊孟秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单"
    "季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄"
    "窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝白许诺"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙", "夏侯")
_BARE_NAME = re.compile(rf"(?P<a>[{HAN}])(?P<pad>\s?)(?P<b>[{HAN}]{{1,3}})")
_EDITOR = re.compile(
    r"^[(（【]?\s*(?:责任编辑|本版编辑|本版责编|责编|编辑|校对|美编|美术编辑|版式设计|版式|排版|值班编辑|组版|审读|"
    r"终审|图片编辑|视觉设计|统筹|本期统筹|策划|监制)\s*[:：]"
)


def byline_names(text: str) -> tuple[str, ...] | None:
    """The person names in the content of a byline (`本报记者 张华 李强`), or None if it is not a byline.

    A byline of roles only (`本报评论员`, `新华社`) is still a byline, with no names.
    """
    tokens = _unpad([t for t in _SEPARATORS.split(text.strip()) if t])
    if not tokens or len(tokens) > 12:
        return None
    names: list[str] = []
    for token in tokens:
        if _ROLE.fullmatch(token):
            continue
        name = _glued_name(token) or (token if _NAME.fullmatch(token) else None)
        if name is not None and _ROLE.fullmatch(name):
            continue  # 综合新华社: two roles glued
        if name is None or name in _NOT_NAMES:
            return None
        names.append(name)
    return tuple(names)


def _unpad(tokens: list[str]) -> list[str]:
    """`许　诺` is one name: a two-character name padded to three cells, split here into two single characters."""
    if all(len(t) > 1 for t in tokens):
        return tokens
    out: list[str] = []
    for token in tokens:
        if out and len(token) == 1 and len(out[-1]) == 1 and _HAN_CHAR.fullmatch(token + out[-1]):
            out[-1] += token
        else:
            out.append(token)
    return out


def bare_name(line: str) -> str | None:
    """A person's name alone on a line (`张三`, `许　诺` padded, `欧阳娜`), as an opinion piece prints its author."""
    m = _BARE_NAME.fullmatch(line.strip())
    if m is None or (m.group("pad") and len(m.group("b")) != 1):
        return None
    name = m.group("a") + m.group("b")
    surnamed = name[0] in _SURNAMES or (len(name) > 2 and name.startswith(_COMPOUND_SURNAMES))
    return name if surnamed and name not in _NOT_NAMES and not _ROLE.fullmatch(name) else None


def is_author_note(line: str) -> bool:
    """`（作者为某大学教授）`: who the author is; no byline, and no names."""
    return _AUTHOR_NOTE.match(line) is not None


def ends_with_author_note(paragraph: str) -> bool:
    """`…第一动力。（作者系某研究院研究员）`"""
    if not paragraph.endswith((")", "）")):
        return False
    return is_author_note(paragraph[max(paragraph.rfind("("), paragraph.rfind("（")) :])


def _glued_name(token: str) -> str | None:
    """`记者张三` → `张三`; one-character roles (文, 图) are too common inside names to split on."""
    m = _GLUED.fullmatch(token)
    return m.group("name") if m and len(m.group("role")) >= 2 else None


def standalone_byline(line: str) -> tuple[str, ...] | None:
    """Names of a byline that fills a whole line: `(孙红丽)`, `（本报记者 张华）` or `本报记者 张华 李强`."""
    line = line.strip()
    if len(line) > 60:
        return None
    if line[:1] in "(（" and line[-1:] in ")）":
        return byline_names(line[1:-1])
    labelled = _LABELLED.match(line)  # 文/张三, 作者：李四
    if labelled:
        return byline_names(labelled.group("who"))
    # Without parentheses a line must open with a role, or a column tag like 记者手记 would pass.
    first = _SEPARATORS.split(line, maxsplit=1)[0]
    m = _GLUED.fullmatch(first)
    led = _ROLE.fullmatch(first) or (m is not None and len(m.group("role")) >= 3)
    if not led or not any(w in line for w in ("记者", "通讯员", "实习生", "撰稿人", "评论员")):
        return None
    return byline_names(line)


def split_trailing_byline(paragraph: str) -> tuple[str, tuple[str, ...]] | None:
    """(paragraph without it, names) when a paragraph ends with a byline: `…人才培养。(章斐然 王震)`."""
    if not paragraph.endswith((")", "）")):
        return None
    start = max(paragraph.rfind("("), paragraph.rfind("（"))
    if start <= 0 or paragraph.endswith("摄)") or paragraph.endswith("摄）"):
        return None
    body = paragraph[:start].rstrip()
    if not ends_sentence(body, QUOTES):  # the bracket opened the byline: the body ends before it
        return None
    names = byline_names(paragraph[start + 1 : -1])
    return None if names is None else (body, names)


def credit_names(line: str) -> tuple[str, ...] | None:
    """Names of a photo credit line (`徐速绘 摄`, `新华社记者 王鹏 摄`, `中新社发(张三 摄)`), or None."""
    line = line.strip()
    if not line or len(line) > 50:
        return None
    m = _CREDIT_LINE.match(line)
    if m and _CREDIT_VERB.search(m.group("inner")):
        pre = m.group("pre").strip()
        if pre and byline_names(pre) != ():
            return None
        return byline_names(_CREDIT_VERB.sub("", m.group("inner")))
    if _SOURCE_ONLY.match(line):
        return ()
    m = _IMAGE_PREFIX.match(line)
    if m:
        return byline_names(m.group("who"))
    if _CREDIT_VERB.search(line) and "(" not in line and "（" not in line:
        who = _CREDIT_VERB.sub("", line)
        return byline_names(who) if who else None
    return None


def split_trailing_credit(paragraph: str) -> tuple[str, tuple[str, ...]] | None:
    """(caption, names) when a caption ends with its credit: `…晾晒玉米。新华社记者 王鹏 摄`."""
    if not re.search(r"摄影?[)）]?$", paragraph):
        return None
    cut = max(paragraph.rfind(ch) for ch in SENTENCE_END + QUOTES)  # not a bracket: credits sit in brackets
    if cut < 0 or len(paragraph) - cut > 45:
        return None
    names = credit_names(paragraph[cut + 1 :])
    return None if names is None else (paragraph[: cut + 1], names)


def dateline_names(paragraph: str) -> tuple[str, ...] | None:
    """Names from a dateline or lead opening a paragraph (`本报上海5月6日电(记者 王芳)`, `本报讯(…)`).

    None when the paragraph opens with no dateline; () for a dateline without a byline (`本报综合消息`).
    """
    m = _DATELINE.match(paragraph)
    if m is None or "的" in m.group("lead"):
        return None
    by = m.group("by")
    return (byline_names(by) or ()) if by else ()


def is_editor_credit(line: str) -> bool:
    """`责任编辑:张三`, `本版编辑：李四 校对：王五`: production credits, neither text nor authors."""
    return _EDITOR.match(line) is not None

