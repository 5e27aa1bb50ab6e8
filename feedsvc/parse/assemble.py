"""Classified lines → draft items: where each item starts and ends, its title, section, subheads and text.

A headline-like line starts a new item when the previous one has ended (byline, credit, signature, page
header) or when what follows it opens one (column tag, dateline or lead byline, captioned photo, notice);
otherwise it is a subhead. A paragraph whose sentence runs on past a line (or a page header) is joined.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from feedsvc.parse import bylines
from feedsvc.parse.cndates import FULL_DATE, match_date
from feedsvc.parse.lines import (
    CLOSERS,
    JUMP,
    MAX_HEADLINE,
    Kind,
    Line,
    column_tag,
    ends_sentence,
    has_clause_marks,
)
from feedsvc.parse.notices import is_notice_title

_DASHES = ("——", "—", "－－", "--", "──")
_SIGNATORY = re.compile(r"(?:编辑部|报社|杂志社|社|部|委员会|办公室|中心|集团|公司|局|厅|院|处|会|报)$")
MAX_CAPTION_PARAGRAPHS = 3  # a photo's caption is short; longer text with a credit is an article
_CLAUSE_BREAKS = "，,；;"  # marks inside a sentence; 、 and ：also occur in headlines
_TAG_ABOVE_MAX = 6  # an unmarked column tag above its headline: 评论, 民生调查, 今日关注


def assemble(lines: list[Line], start: int, page: int | None, warnings: list[str]) -> list[Draft]:
    """The items of an issue's lines from index `start` on; `page` is the masthead's. Appends warnings."""
    return _Assembler(lines, start, page, warnings).run()


@dataclass
class Draft:
    """An item while it is being read."""

    title: str
    line: int
    page: int | None
    notice: bool
    section: str | None = None
    subheads: list[str] = field(default_factory=list)
    subhead_at: list[int] = field(default_factory=list)  # index of the paragraph each subhead precedes
    paragraphs: list[list[str]] = field(default_factory=list)  # fragments of page-broken paragraphs
    authors: list[str] = field(default_factory=list)
    lead: bool = False  # opened with a dateline or a byline under the headline
    credited: bool = False  # a photo credit closed it
    closed: bool = False  # byline, credit or signature: the next headline starts a new item
    broken: bool = False  # a page header since the last text: only an open sentence continues
    after_subhead: bool = False
    signed: date | None = None
    title_lines: int = 1

    def bare(self) -> bool:
        """Only the headline so far."""
        return not (self.paragraphs or self.subheads or self.lead or self.section or self.authors)

    def open_sentence(self) -> bool:
        return bool(self.paragraphs) and not self.after_subhead and not ends_sentence(self.paragraphs[-1][-1])


class _Assembler:
    """Reads classified lines in order, keeping the item being read open until something ends it."""

    def __init__(self, lines: list[Line], start: int, page: int | None, warnings: list[str]) -> None:
        self.lines, self.i, self.page, self.warnings = lines, start, page, warnings
        self.cur: Draft | None = None
        self.drafts: list[Draft] = []
        self.orphans: list[int] = []
        self.section: str | None = None  # a marked column tag printed above the next headline
        # More blank lines than the file usually puts between blocks separate items, not sections of one.
        gaps = Counter(b.number - a.number - 1 for a, b in pairwise(lines))
        self.wide_gap = (gaps.most_common(1)[0][0] if gaps else 0) + 1

    def run(self) -> list[Draft]:
        lines = self.lines
        while self.i < len(lines):
            line, cur = lines[self.i], self.cur
            kind = line.kind
            if kind is Kind.SHORT:
                self._short(line)
                continue
            if kind is Kind.BODY and self._orphaned(cur) and self._question_headline(line):
                self._start()
                continue
            if kind is Kind.BODY:
                self._body(line)
            elif kind is Kind.CREDIT or kind is Kind.BYLINE:
                self._credit_or_byline(line)
            elif kind is Kind.DATE and cur is not None and cur.notice and cur.paragraphs and not cur.closed:
                cur.signed, cur.closed = line.date, True
            elif kind is not Kind.META:  # HEADER, EDITOR, DATE: a break in the page
                if kind is Kind.HEADER and line.page is not None:
                    self.page = line.page
                if cur is not None:
                    cur.broken = True
            self.i += 1
        self._flush()
        if self.orphans:
            shown = ", ".join(str(n) for n in self.orphans[:5]) + (", …" if len(self.orphans) > 5 else "")
            self.warnings.append(f"ignored {len(self.orphans)} lines of text outside any item (lines {shown})")
        return self.drafts

    def _short(self, line: Line) -> None:
        cur, nxt = self.cur, self._peek(1)
        is_open = cur is not None and not cur.closed
        if is_open and cur.notice and cur.paragraphs and self._notice_end(line):
            return
        if nxt is not None and nxt.kind is Kind.SHORT and column_tag(nxt) is None and (
            _marked(line) or (is_open and not cur.bare() and self._tag_above_headline(line))
        ):
            self.section = column_tag(line)  # 【权威发布】 or 民生调查 above its headline
            self.i += 1
            return
        if is_open and (
            (cur.open_sentence() and has_clause_marks(line.text))  # a short page-broken fragment
            or (nxt is not None and nxt.kind is Kind.CREDIT and not cur.broken)  # a caption without a full stop
            or self._starts_broken_paragraph(line, nxt)
        ):
            self._body(line)
            self.i += 1
            return
        if is_open and cur.notice and cur.paragraphs:
            self._start()  # notices have no subheads: what follows one is the next item
            return
        if is_open and cur.bare() and self._title_continues(line):
            cur.title = f"{cur.title} {line.text}"  # a headline printed on two lines (引题 and 主题)
            cur.title_lines += 1
            self.i += 1
            return
        if self.section is not None or not is_open or cur.broken or self._opens_item():
            self._start()
            return
        cur.subheads.append(line.text)
        cur.subhead_at.append(len(cur.paragraphs))
        cur.after_subhead = True
        self.i += 1

    def _tag_above_headline(self, line: Line) -> bool:
        """Inside an article: a column tag, then a headline, then text. Subheads come one line at a time, and
        are longer than most tags (民生调查, 评论); a line with a comma after it is a broken paragraph."""
        tag, headline, after = column_tag(line), self._peek(1), self._peek(2)
        return (
            tag is not None
            and len(tag) <= _TAG_ABOVE_MAX
            and headline is not None
            and not any(mark in headline.text for mark in _CLAUSE_BREAKS)
            and not self.cur.open_sentence()
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

    def _notice_end(self, line: Line) -> bool:
        """Consume a notice's signature, or its closing words (特此通知, 敬请读者谅解) as text; else False."""
        cur = self.cur
        assert cur is not None
        nxt, after = self._peek(1), self._peek(2)
        if _is_signature(line, nxt):
            found = FULL_DATE.search(line.text)
            cur.signed = (match_date(found) if found else None) or cur.signed
            cur.closed = nxt is None or nxt.kind is not Kind.DATE
        elif line.text.startswith("特此") or nxt is None or (nxt.kind is Kind.SHORT and _is_signature(nxt, after)):
            self._body(line)
        else:
            return False
        self.i += 1
        return True

    def _opens_item(self) -> bool:
        """Whether the headline-like line at self.i starts an item rather than being a subhead."""
        line, nxt = self.lines[self.i], self._peek(1)
        if is_notice_title(line.text) or nxt is None or nxt.kind is Kind.BYLINE:
            return True
        if self.i > 0 and line.number - self.lines[self.i - 1].number - 1 >= self.wide_gap:
            return True
        if nxt.kind is Kind.SHORT:
            after = self._peek(2)
            return nxt.text.startswith(_DASHES) or (
                column_tag(nxt) is not None and after is not None and after.kind in (Kind.BODY, Kind.BYLINE)
            )
        if nxt.kind is not Kind.BODY:
            return True  # nothing of its own follows: not a subhead
        if bylines.dateline_names(nxt.text) is not None:
            return True
        for ahead in range(1, MAX_CAPTION_PARAGRAPHS + 2):  # a short caption, then its credit
            follower = self._peek(ahead)
            if follower is None or follower.kind is Kind.CREDIT:
                return follower is not None
            if follower.kind is not Kind.BODY:
                return False
            if bylines.split_trailing_credit(follower.text) is not None:
                return True
        return False

    def _start(self) -> None:
        self._flush()
        line = self.lines[self.i]
        title = line.text
        self.i += 1
        while (nxt := self._peek(0)) is not None and nxt.kind is Kind.SHORT and nxt.text.startswith(_DASHES):
            title = f"{title} {nxt.text}"
            self.i += 1
        self.cur = Draft(title, line.number, self.page, notice=is_notice_title(title), section=self.section)
        self.section = None
        nxt, after = self._peek(0), self._peek(1)
        tag = column_tag(nxt) if nxt is not None else None
        if tag and not self.cur.notice and after is not None and after.kind in (Kind.BODY, Kind.BYLINE):
            self.cur.section = tag
            self.i += 1

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

    def _body(self, line: Line) -> None:
        cur = self.cur
        if cur is None or self._orphaned(cur):
            self.orphans.append(line.number)
            return
        jump = JUMP.search(line.text)  # …发展。（完） / （下转第3版）
        text = line.text[: jump.start()].rstrip() if jump else line.text
        if not text:
            return
        if cur.open_sentence():
            last = cur.paragraphs[-1]
            # Chinese joins without a space; a word broken between Latin letters or digits keeps one.
            edge = last[-1][-1:] + text[:1]
            last.append(" " + text if edge.isascii() and edge.isalnum() else text)
        else:
            if not cur.paragraphs and not cur.subheads:
                names = bylines.dateline_names(text)
                if names is not None:
                    cur.lead = True
                    cur.authors.extend(names)
            cur.paragraphs.append([text])
        cur.broken = cur.after_subhead = False
        fragments = cur.paragraphs[-1]
        byline = bylines.split_trailing_byline(fragments[-1])
        credit = None if byline else bylines.split_trailing_credit(fragments[-1])
        for found in (byline, credit):
            if found is not None:
                fragments[-1] = found[0]
                cur.authors.extend(found[1])
                cur.closed, cur.credited = True, found is credit

    def _credit_or_byline(self, line: Line) -> None:
        cur = self.cur
        if cur is None or cur.closed:
            self.warnings.append(f"line {line.number}: {line.kind.value} outside any item ignored: {line.text}")
            return
        cur.authors.extend(line.names)
        if line.kind is Kind.CREDIT:
            cur.closed = cur.credited = True
        elif cur.paragraphs:
            cur.closed = True
        else:
            cur.lead = True  # 本报记者 XX right under the headline

    def _flush(self) -> None:
        cur, self.cur = self.cur, None
        if cur is None:
            return
        if cur.paragraphs or cur.credited:
            self.drafts.append(cur)
        else:
            self.warnings.append(f"line {cur.line}: headline without text ignored: {cur.title}")

    def _peek(self, ahead: int) -> Line | None:
        j = self.i + ahead
        return self.lines[j] if j < len(self.lines) else None


def _is_signature(line: Line, nxt: Line | None) -> bool:
    """本报编辑部 (above a date line), 示例日报社, 本报编辑部 2023年9月27日."""
    return (nxt is not None and nxt.kind is Kind.DATE and len(line.text) <= 30) or (
        len(line.text) <= 20 and (_SIGNATORY.search(line.text) is not None or FULL_DATE.search(line.text) is not None)
    )


def _marked(line: Line) -> bool:
    """A column tag set off by brackets or a bullet: 【权威发布】, ■评论."""
    return line.text[:1] in "【[■□●◆★▲" and column_tag(line) is not None
