"""What the lines ahead say about the line being read: the look-ahead questions the assembler asks before it
decides whether a headline-like line opens an item, continues a title, tags a column or is a subhead."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

from feedsvc.parse import bylines
from feedsvc.parse.cndates import FULL_DATE
from feedsvc.parse.draft import Draft, clean_marks
from feedsvc.parse.lines import CONTINUED_FROM, MAX_HEADLINE, Kind, Line, column_tag
from feedsvc.parse.notices import is_notice_title
from feedsvc.parse.punctuation import CLOSERS

DASHES = ("——", "—", "－－", "--", "──")
_SIGNATORY = re.compile(r"(?:编辑部|报社|杂志社|社|部|委员会|办公室|中心|集团|公司|局|厅|院|处|会|报)$")
MAX_CAPTION_PARAGRAPHS = 3  # a photo's caption is short; longer text with a credit is an article
_CLAUSE_BREAKS = "，,；;"  # marks inside a sentence; 、 and ：also occur in headlines
_TAG_ABOVE_MAX = 6  # an unmarked column tag above its headline: 评论, 民生调查, 今日关注
_OPINION_PAGE = re.compile(r"评论|观点|言论|理论|论坛|时评|社论|思想|声音|争鸣|副刊")


class Lookahead:
    """The reading position (line `i` of `lines`), the item open there, and questions about the lines ahead."""

    def __init__(self, lines: list[Line], start: int) -> None:
        self.lines, self.i = lines, start
        self.cur: Draft | None = None
        self.section: str | None = None  # a marked column tag printed above the next headline
        self.page_name = next((ln.label for ln in lines[:start] if ln.kind is Kind.HEADER), "")
        # More blank lines than the file usually puts between blocks separate items, not sections of one.
        gaps = Counter(b.number - a.number - 1 for a, b in pairwise(lines))
        self.wide_gap = (gaps.most_common(1)[0][0] if gaps else 0) + 1

    def _author_line(self, cur: Draft, line: Line) -> bool:
        """`张三` or `许　诺` alone under an opinion piece's headline, before its text."""
        nxt = self._peek(1)
        if cur.lead or cur.paragraphs or cur.subheads or cur.authors or cur.notice:
            return False
        if nxt is None or nxt.kind is not Kind.BODY or bylines.bare_name(line.text) is None:
            return False
        padded = " " in line.text  # a two-character name padded to three cells: set as a name, not a title
        return padded or _OPINION_PAGE.search(self.page_name) is not None or self._author_note_ahead()

    def _author_note_ahead(self) -> bool:
        """The text ahead (up to the next headline-like line) ends with `（作者为…）`: an opinion piece."""
        j = self.i + 1
        while j < len(self.lines) and self.lines[j].kind is Kind.BODY:
            if bylines.ends_with_author_note(self.lines[j].text):
                return True
            j += 1
        return False

    def _closes_ahead(self, cur: Draft) -> bool:
        """The text under the line at self.i ends with a byline of its own before any other headline-like line:
        `（新华社记者 张三 李四）` closing its last paragraph; or a byline line after it, when the story before
        had more than a lead paragraph (a story's first subhead may come right after its lead)."""
        j = self.i + 1
        while j < len(self.lines) and self.lines[j].kind is Kind.BODY:
            if bylines.split_trailing_byline(clean_marks(self.lines[j].text)[0]) is not None:
                return True
            j += 1
        return (
            len(cur.paragraphs) > 1 and j > self.i + 1 and j < len(self.lines) and self.lines[j].kind is Kind.BYLINE
        )

    def _tag_above_headline(self, cur: Draft, line: Line) -> bool:
        """Inside an article: a column tag, then a headline, then text. Subheads come one line at a time, and
        are longer than most tags (民生调查, 评论); a line with a comma after it is a broken paragraph."""
        tag, headline, after = column_tag(line), self._peek(1), self._peek(2)
        return (
            tag is not None
            and len(tag) <= _TAG_ABOVE_MAX
            and headline is not None
            and not any(mark in headline.text for mark in _CLAUSE_BREAKS)
            and not cur.open_sentence()
            and after is not None
            and after.kind in (Kind.BODY, Kind.BYLINE)
        )

    def _starts_broken_paragraph(self, line: Line, nxt: Line | None) -> bool:
        """Inside an article, a short line with a comma or semicolon whose sentence the next block continues is
        the first half of a paragraph broken across a column: subheads are phrases, not clauses."""
        cur = self.cur
        return (
            cur is not None
            and bool(cur.paragraphs)
            and not cur.broken
            and any(mark in line.text for mark in _CLAUSE_BREAKS)
            and nxt is not None
            and nxt.kind is Kind.BODY
        )

    def _title_continues(self, line: Line) -> bool:
        cur = self.cur
        return (
            cur is not None
            and cur.title_lines < 3  # 引题, 主题 and 副题 at most: a list of short lines is no title
            and len(cur.title) + len(line.text) < 2 * MAX_HEADLINE
            and not cur.broken
            and self.section is None
            and self._peek(1) is not None
            and not is_notice_title(line.text)
        )

    def _opens_item(self) -> bool:
        """Whether the headline-like line at self.i starts an item rather than being a subhead."""
        line, nxt = self.lines[self.i], self._peek(1)
        if is_notice_title(line.text) or nxt is None or nxt.kind is Kind.BYLINE:
            return True
        if self.i > 0 and line.number - self.lines[self.i - 1].number - 1 >= self.wide_gap:
            return True
        if nxt.kind is Kind.SHORT:
            after = self._peek(2)
            return nxt.text.startswith(DASHES) or (
                column_tag(nxt) is not None and after is not None and after.kind in (Kind.BODY, Kind.BYLINE)
            )
        if nxt.kind is not Kind.BODY:
            return True  # nothing of its own follows: not a subhead
        if bylines.dateline_names(nxt.text) is not None or CONTINUED_FROM.match(nxt.text):
            return True
        cur = self.cur
        if cur is not None and cur.paragraphs and not cur.subheads and self._closes_ahead(cur):
            return True  # a story without a dateline, closed by its own byline: not a subhead of this one
        for ahead in range(1, MAX_CAPTION_PARAGRAPHS + 2):  # a short caption, then its credit
            follower = self._peek(ahead)
            if follower is None or follower.kind is Kind.CREDIT:
                return follower is not None
            if follower.kind is not Kind.BODY:
                return False
            if bylines.split_trailing_credit(follower.text) is not None:
                return True
        return False

    @staticmethod
    def _orphaned(cur: Draft | None) -> bool:
        """Whether text now would belong to no item: none is open, or a page break ended its last sentence."""
        return cur is None or cur.closed or (cur.broken and bool(cur.paragraphs) and not cur.open_sentence())

    def _question_headline(self, line: Line) -> bool:
        """`数字经济如何赋能城市？` in the place of a headline, with text of its own after it."""
        nxt = self._peek(1)
        return (
            len(line.text) <= MAX_HEADLINE
            and line.text.rstrip(CLOSERS)[-1:] in "？！?!"
            and "。" not in line.text
            and nxt is not None
            and (nxt.kind in (Kind.BODY, Kind.BYLINE) or column_tag(nxt) is not None)
        )

    def _peek(self, ahead: int) -> Line | None:
        j = self.i + ahead
        return self.lines[j] if j < len(self.lines) else None


def is_signature(line: Line, nxt: Line | None) -> bool:
    """本报编辑部 (above a date line), 示例日报社, 本报编辑部 2023年9月27日."""
    return (nxt is not None and nxt.kind is Kind.DATE and len(line.text) <= 30) or (
        len(line.text) <= 20 and (_SIGNATORY.search(line.text) is not None or FULL_DATE.search(line.text) is not None)
    )


def marked(line: Line) -> bool:
    """A column tag set off by brackets or a bullet: 【权威发布】, ■评论."""
    return line.text[:1] in "【[■□●◆★▲" and column_tag(line) is not None
