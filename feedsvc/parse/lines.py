"""One line of an issue → what it is on the page: page header, date, credit, byline, headline-like or body text.

Classification looks at a single line; deciding what a headline-like line means (title, column tag,
subhead, signature) needs its neighbours and is the parser's job.
"""

from __future__ import annotations

import re
from datetime import date
from enum import Enum, StrEnum
from typing import NamedTuple

from feedsvc.parse import bylines
from feedsvc.parse.cndates import FULL_DATE, WEEKDAY, cn_int, match_date
from feedsvc.parse.punctuation import SENTENCE_END, ends_sentence
from feedsvc.parse.wrap import PAGE_NUMBER, unwrap

MAX_HEADLINE = 40
MAX_COLUMN_TAG = 8
CLAUSE_MARKS = "，、,"

_SPACE = re.compile(r"\s+")
_PAGE = re.compile(r"第\s*[A-Za-zＡ-Ｚ]?\s*(?P<n>[0-9０-９]{1,3}|[一二三四五六七八九十]{1,3})\s*版")
# Masthead furniture: serial numbers, page counts, registration numbers, lunar dates.
_FURNITURE = re.compile(
    r"总?第\s*[0-9０-９]+\s*期|今日\s*[0-9０-９一二三四五六七八九十]+\s*版|共\s*[0-9０-９]+\s*版"
    r"|国内统一连续出版物号\S*|邮发代号\S*|CN\s*\d{2}\s*-\s*\d{4}\S*|农历\S{2,12}"
)
_META = re.compile(rf"^(?:(?:{_FURNITURE.pattern})[\s·|｜]*)+$")
# Jump and end markers: (完), （待续）, （上接第1版）, （下转第3版）.
JUMP = re.compile(r"[(（]\s*(?:完|待续|未完待续|全文完|[上下]?[转接]第?\s*\S{1,4}\s*版)\s*[)）]$")
_PAGE_NO = r"(?:第\s*)?[A-Za-zＡ-Ｚ]?\s*(?P<n>[0-9０-９]{1,3}|[一二三四五六七八九十]{1,3})\s*版"
CONTINUED_ON = re.compile(rf"[(（]\s*(?:下转|转至|转到|转)\s*{_PAGE_NO}\s*[)）]")  # （下转第3版）
CONTINUED_FROM = re.compile(rf"[(（]\s*(?:上接|接|承)\s*{_PAGE_NO}\s*[)）]")  # （上接第1版）
END_MARK = re.compile(r"[(（]\s*(?:完|全文完|待续|未完待续)\s*[)）]")
# A pointer to another page: （相关报道见第3版）, （详见第三版）, （图见第5版·要闻）.
CROSS_REF = re.compile(
    r"[(（][^()（）。]{0,16}?见\s*(?:本报)?(?:今日|本期|本版)?\s*(?:第\s*)?[A-Za-zＡ-Ｚ]?\s*"
    r"(?:[0-9０-９]{1,3}|[一二三四五六七八九十]{1,3})\s*版[^()（）。]{0,10}[)）]"
)
_MAX_PAGE_NUMBER = 16  # 第2页 共8页
_PAGE_NUMBER_STARTS = "-—–－―─~～·•第0123456789０１２３４５６７８９"
_LABEL_ENDS = "讯递览报闻道说锦萃】]"  # the last character of every block label
# A label over a block of short items: 【图片新闻】, 简讯, ■新闻速递, 图片报道.
_BLOCK_LABEL = re.compile(
    r"[【\[■□●◆★▲]?\s*(?P<label>[\u4e00-\u9fff·]{0,6}?"
    r"(?:简讯|快讯|短讯|速递|速览|简报|图片新闻|新闻图片|图片报道|图闻|图说|一句话新闻|集锦|集萃|荟萃))\s*[】\]]?"
)
_LOOSE_PAGE = re.compile(r"(?:^|\s)[A-Za-z]?(?P<n>[0-9０-９]{1,2})(?:\s|$)")
_WEEKDAY_RE = re.compile(WEEKDAY)
_DECORATION = "■□●○◆◇★☆▲△▼▽◎※→·•【】[]「」"
_MAX_HEADER_REST = 16
_MAX_PAGE_NAME = 8
_MASTHEAD_LINES = 6
_MAX_NAME = 20  # the paper's name (and its romanisation) above the masthead date
_NOTICE_WORDS = re.compile("休刊|停刊|停报|出版")


# An editor's note opens the text of an article, even when short: 【编者按】, 编者按：.
EDITOR_NOTE = re.compile(r"[【\[]?\s*编者按\s*[】\]]?\s*[:：]?")


class Role(StrEnum):
    """What the parser took a line for, in the end (`feedsvc parse --explain`)."""

    MASTHEAD = "masthead"
    PAGE_HEADER = "page header"
    DATE = "date line"
    FURNITURE = "furniture"
    PAGE_NUMBER = "page number"
    EDITOR = "editor credit"
    HEADLINE = "headline"
    HEADLINE_MORE = "headline, continued"
    REPEATED_HEADLINE = "repeated headline"
    COLUMN_TAG = "column tag"
    BLOCK_LABEL = "block label"
    SUBHEAD = "subhead"
    BYLINE = "byline"
    AUTHOR = "author"
    DATELINE = "dateline"
    BODY = "body"
    BODY_MORE = "body, run on"  # the rest of a paragraph broken across lines, columns or pages
    CREDIT = "photo credit"
    JUMP = "jump marker"
    END_MARK = "end mark"
    CROSS_REF = "cross-reference"
    NOTICE = "notice"
    SIGNATURE = "signature"
    IGNORED = "ignored"


class Kind(Enum):
    HEADER = "header"  # running page header or masthead date line: a page break
    EDITOR = "editor"  # 责任编辑:XX
    META = "meta"  # masthead furniture: 第1234期, 今日8版
    DATE = "date"  # a line that is only a date: a signature or masthead
    CREDIT = "credit"  # photo credit: 徐速绘 摄
    BYLINE = "byline"  # (孙红丽), 本报记者 张华
    SHORT = "short"  # headline-like: title, column tag, subhead or signature
    BODY = "body"
    MARK = "marker"  # （下转第2版）, （上接第1版）, （完）, （相关报道见第3版） on a line of their own
    LABEL = "block label"  # 【图片新闻】, 简讯: the section of the short items under it
    PAGE_NUMBER = "page number"  # — 2 —, -2-, 第2页: print furniture inside the text


class Line(NamedTuple):  # (a named tuple: built once per line of every issue, it is cheaper than a dataclass)
    kind: Kind
    text: str  # as printed, whitespace collapsed
    number: int  # 1-based line number in the file
    page: int | None = None
    date: date | None = None
    names: tuple[str, ...] = ()
    label: str = ""  # a page header's page name (要闻), a block label's name (图片新闻)
    last: int = 0  # the last file line of a hard-wrapped line run on over several; 0: only `number`


def split_lines(text: str) -> list[Line]:
    """Classify every non-blank line of a decoded issue (hard-wrapped lines joined first)."""
    wrapped = unwrap(text, _standalone)
    if wrapped is None:
        out = []
        for number, raw in enumerate(text.split("\n"), 1):
            line = _SPACE.sub(" ", raw).strip()
            if line:
                out.append(classify(line, number))
        return out
    out = []
    for logical in wrapped:
        line = _SPACE.sub(" ", logical.text).strip()
        if logical.page_number:
            out.append(Line(Kind.PAGE_NUMBER, line, logical.first))
            continue
        found = classify(line, logical.first)
        out.append(found if logical.last == logical.first else _with_last(found, logical.last))
    return out


def _with_last(line: Line, last: int) -> Line:
    return Line(line.kind, line.text, line.number, line.page, line.date, line.names, line.label, last)


def _standalone(raw: str) -> bool:
    """A line that is never the run-on of a hard-wrapped one, nor runs on into the next."""
    return classify(_SPACE.sub(" ", raw)).kind not in (Kind.BODY, Kind.SHORT)


def classify(line: str, number: int = 0) -> Line:
    """What one whitespace-collapsed, non-blank line is."""
    if len(line) <= 60 and "。" not in line:
        if len(line) <= _MAX_PAGE_NUMBER and line[0] in _PAGE_NUMBER_STARTS and PAGE_NUMBER.fullmatch(line):
            return Line(Kind.PAGE_NUMBER, line, number)
        if line[0] in "(（" and _is_mark(line):
            return Line(Kind.MARK, line, number)
        if _META.match(line) or JUMP.fullmatch(line) or not any(ch.isalnum() for ch in line):
            return Line(Kind.META, line, number)  # furniture, ＊＊＊ separators
        block = _BLOCK_LABEL.fullmatch(line) if line[-1] in _LABEL_ENDS else None
        if block is not None:
            return Line(Kind.LABEL, line, number, label=block.group("label"))
        found = _header_or_date(line, number)
        if found:
            return found
        if bylines.is_editor_credit(line):
            return Line(Kind.EDITOR, line, number)
        core = line.lstrip(_DECORATION + " ")  # ■ 本报记者 张华
        names = bylines.credit_names(core)
        if names is not None:
            return Line(Kind.CREDIT, line, number, names=names)
        names = bylines.standalone_byline(core)
        if names is not None:
            return Line(Kind.BYLINE, line, number, names=names)
    # A line opening with a dateline (本报讯 …) is text even when short: a truncated file may end in one;
    # so is an author's note (（作者为某大学教授）).
    short = (
        is_headline_like(line)
        and bylines.dateline_names(line) is None
        and not (line[0] in "(（" and bylines.is_author_note(line))
        and not ("编者按" in line and EDITOR_NOTE.match(line))
    )
    return Line(Kind.SHORT if short else Kind.BODY, line, number)


def _header_or_date(line: str, number: int) -> Line | None:
    m = FULL_DATE.search(line)
    day = match_date(m) if m else None
    page_m = _PAGE.search(line)
    if day is None and page_m is None:
        return None
    rest = line
    for part in (m, page_m, _WEEKDAY_RE.search(line)):
        if part is not None:
            rest = rest.replace(part.group(0), " ")
    rest = _FURNITURE.sub(" ", rest).strip(" " + _DECORATION + ":：|｜-—·")
    page = cn_int(page_m.group("n")) if page_m else None
    weekday = _WEEKDAY_RE.search(line) is not None
    if day is not None and not rest and page is None and not weekday:
        return Line(Kind.DATE, line, number, date=day)
    if any(ch in rest for ch in SENTENCE_END + CLAUSE_MARKS):
        return None
    if page is not None:
        # The page name (要闻, 国际·观察) is short; with the date the paper's name may come too.
        limit = _MAX_HEADER_REST if day is not None else _MAX_PAGE_NAME
        return Line(Kind.HEADER, line, number, page=page, date=day, label=rest) if len(rest) <= limit else None
    # Without 第N版 only a dated weekday line with a few words (the paper's or page's name, a bare page
    # number) is a header; `2025年1月1日(星期三)休刊` is notice text.
    if day is not None and weekday and len(rest) <= _MAX_HEADER_REST and not _NOTICE_WORDS.search(rest):
        loose = _LOOSE_PAGE.search(rest)
        name = _LOOSE_PAGE.sub(" ", rest).strip()
        return Line(Kind.HEADER, line, number, page=cn_int(loose.group("n")) if loose else None, date=day, label=name)
    return None


def _is_mark(line: str) -> bool:
    return any(p.fullmatch(line) for p in (CONTINUED_ON, CONTINUED_FROM, END_MARK, CROSS_REF))



def is_headline_like(line: str) -> bool:
    """Short, with no sentence punctuation at its end and no full stop inside: a title, tag or subhead."""
    return (
        len(line) <= MAX_HEADLINE
        and "。" not in line
        and not ends_sentence(line)
        and line[-1] not in CLAUSE_MARKS + "：:"
    )


def has_clause_marks(line: str) -> bool:
    return any(ch in line for ch in CLAUSE_MARKS)


def column_tag(line: Line) -> str | None:
    """The section name when a line can be a column tag (权威发布, 【评论】, ■民生调查), else None."""
    if line.kind is not Kind.SHORT:
        return None
    tag = line.text.strip(_DECORATION + " ")
    if not tag or len(tag) > MAX_COLUMN_TAG or " " in tag or any(not ch.isalnum() for ch in tag):
        return None
    return tag


def masthead(lines: list[Line]) -> tuple[int, date | None, int | None]:
    """Where the text starts after the masthead, and the masthead's date and page.

    The masthead is a date line (or dated page header) among the first lines, with only the paper's name
    (short lines) and furniture above it and more furniture below.
    """
    top = next((j for j, ln in enumerate(lines[:_MASTHEAD_LINES]) if ln.kind in (Kind.HEADER, Kind.DATE)), None)
    above = lines[:top] if top is not None else []
    if top is None or not all(
        ln.kind is Kind.META or (ln.kind is Kind.SHORT and len(ln.text) <= _MAX_NAME) for ln in above
    ):
        return 0, None, None
    end, found, page = top, None, None
    while end < len(lines) and lines[end].kind in (Kind.HEADER, Kind.DATE, Kind.META):
        found, page = found or lines[end].date, page or lines[end].page
        end += 1
    return end, found, page
