"""Classified lines → draft items: where each item starts and ends, its title, section, subheads and text.

A headline-like line starts a new item when the previous one has ended (byline, credit, signature, page
header) or when what follows it opens one (column tag, dateline or lead byline, captioned photo, notice);
otherwise it is a subhead. A paragraph whose sentence runs on past a line (or a page header) is joined.
"""

from __future__ import annotations

import re

from feedsvc.parse import bylines
from feedsvc.parse.ahead import DASHES, Lookahead, is_signature, marked
from feedsvc.parse.cndates import FULL_DATE, cn_int, match_date
from feedsvc.parse.draft import Draft, clean_marks, join_fragment
from feedsvc.parse.lines import (
    CONTINUED_FROM,
    CONTINUED_ON,
    EDITOR_NOTE,
    END_MARK,
    JUMP,
    Kind,
    Line,
    Role,
    column_tag,
    has_clause_marks,
)
from feedsvc.parse.notices import is_notice_title

_FIELD = re.compile(r"[\u4e00-\u9fff]{1,6}\s*[:：]\s*\S")  # 声明人：张三, 联系电话：… inside a notice
_FULL_SIZE = 300  # characters: a block's short items are shorter; an article with a byline this long ends it
_MAX_NOTE_PARAGRAPHS = 2  # an editor's note before the byline: one paragraph, two at most


Roles = list[tuple[Role, "Draft | None"]]


def assemble(
    lines: list[Line], start: int, page: int | None, warnings: list[str]
) -> tuple[list[Draft], Roles]:
    """The items of an issue's lines from index `start` on (`page` is the masthead's), and per line what it was
    taken for and the draft it went to. Appends warnings."""
    assembler = _Assembler(lines, start, page, warnings)
    return assembler.run(), assembler.roles


class _Assembler(Lookahead):
    """Reads classified lines in order, keeping the item being read open until something ends it."""

    def __init__(self, lines: list[Line], start: int, page: int | None, warnings: list[str]) -> None:
        super().__init__(lines, start)
        self.page, self.warnings = page, warnings
        self.drafts: list[Draft] = []
        self.orphans: list[int] = []
        self.block: str | None = None  # a block label's name, the section of each item until the block ends
        none: Draft | None = None
        self.roles: Roles = [(Role.MASTHEAD, none)] * start + [(Role.IGNORED, none)] * (len(lines) - start)

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
            elif kind is Kind.MARK:
                self._mark(line)
            elif kind is Kind.LABEL:
                self.block, self.section = line.label, None
                self._role(Role.BLOCK_LABEL, None)
            elif kind is Kind.DATE and cur is not None and cur.notice and cur.paragraphs and not cur.closed:
                cur.signed, cur.closed = line.date, True
                self._role(Role.SIGNATURE, cur)
            elif kind is Kind.META or kind is Kind.PAGE_NUMBER:
                self._role(Role.FURNITURE if kind is Kind.META else Role.PAGE_NUMBER, None)
            else:  # HEADER, EDITOR, DATE: a break in the page
                if kind is Kind.HEADER:
                    self.page = line.page if line.page is not None else self.page
                    self.page_name, self.block, self.section = line.label, None, None
                if cur is not None:
                    cur.broken = True
                role = {Kind.HEADER: Role.PAGE_HEADER, Kind.EDITOR: Role.EDITOR}.get(kind, Role.DATE)
                self._role(role, None)
            self.i += 1
        self._flush()
        if self.orphans:
            shown = ", ".join(str(n) for n in self.orphans[:5]) + (", …" if len(self.orphans) > 5 else "")
            self.warnings.append(f"ignored {len(self.orphans)} lines of text outside any item (lines {shown})")
        return self.drafts

    def _short(self, line: Line) -> None:
        nxt = self._peek(1)
        cur = self.cur if self.cur is not None and not self.cur.closed else None  # the item still open
        if cur is not None and cur.notice and cur.paragraphs and self._notice_end(line):
            return
        if cur is not None and self._author_line(cur, line):
            self._author(cur, line)
            return
        if nxt is not None and nxt.kind is Kind.SHORT and column_tag(nxt) is None and (
            marked(line) or (cur is not None and not cur.bare() and self._tag_above_headline(cur, line))
        ):
            self.section = column_tag(line)  # 【权威发布】 or 民生调查 above its headline
            self._advance(Role.COLUMN_TAG, None)
            return
        if cur is not None and (
            (cur.open_sentence() and has_clause_marks(line.text))  # a short page-broken fragment
            or (nxt is not None and nxt.kind is Kind.CREDIT and not cur.broken)  # a caption without a full stop
            or self._starts_broken_paragraph(line, nxt)
        ):
            self._body(line)
            self.i += 1
            return
        if cur is not None and cur.notice and cur.paragraphs:
            self._start()  # notices have no subheads: what follows one is the next item
            return
        if cur is not None and cur.bare() and self._title_continues(line):
            cur.title = f"{cur.title} {line.text}"  # a headline printed on two lines (引题 and 主题)
            cur.title_lines += 1
            self._advance(Role.HEADLINE_MORE, cur)
            return
        if self.section is not None or self.block is not None or cur is None or cur.broken or self._opens_item():
            self._start()  # (a block's short items have no subheads)
            return
        cur.subheads.append(line.text)
        cur.subhead_at.append(len(cur.paragraphs))
        cur.after_subhead = True
        self._advance(Role.SUBHEAD, cur)

    def _author(self, cur: Draft, line: Line) -> None:
        cur.authors.append(bylines.bare_name(line.text) or "")
        cur.lead = True
        self._advance(Role.AUTHOR, cur)

    def _notice_end(self, line: Line) -> bool:
        """Consume a notice's signature, or its closing words (特此通知, 敬请读者谅解) as text; else False."""
        cur = self.cur
        assert cur is not None
        nxt, after = self._peek(1), self._peek(2)
        if is_signature(line, nxt):
            found = FULL_DATE.search(line.text)
            cur.signed = (match_date(found) if found else None) or cur.signed
            cur.closed = nxt is None or nxt.kind is not Kind.DATE
            self._role(Role.SIGNATURE, cur)
        elif (
            line.text.startswith("特此")
            or _FIELD.match(line.text)
            or nxt is None
            or (nxt.kind is Kind.SHORT and is_signature(nxt, after))
        ):
            self._body(line)
        else:
            return False
        self.i += 1
        return True

    def _start(self) -> None:
        self._flush()
        line = self.lines[self.i]
        title, first = line.text, self.i
        self.i += 1
        while (nxt := self._peek(0)) is not None and nxt.kind is Kind.SHORT and nxt.text.startswith(DASHES):
            title = f"{title} {nxt.text}"
            self.i += 1
        cur = Draft(title, line.number, self.page, notice=is_notice_title(title), section=self.section)
        cur.block, cur.page_name, self.cur, self.section = self.block, self.page_name, cur, None
        self.roles[first] = (Role.HEADLINE, cur)
        for j in range(first + 1, self.i):
            self.roles[j] = (Role.HEADLINE_MORE, cur)
        nxt, after = self._peek(0), self._peek(1)
        if nxt is not None and nxt.kind is Kind.SHORT and self._author_line(cur, nxt):
            self._author(cur, nxt)
            return
        tag = column_tag(nxt) if nxt is not None else None
        if tag and not cur.notice and after is not None and after.kind in (Kind.BODY, Kind.BYLINE):
            cur.section = tag
            self._advance(Role.COLUMN_TAG, cur)

    def _body(self, line: Line) -> None:
        cur = self.cur
        if cur is None or self._orphaned(cur):
            self.orphans.append(line.number)
            self._role(Role.IGNORED, None)
            return
        self._role(Role.NOTICE if cur.notice else Role.BODY, cur)
        text, ended, goes = line.text, False, None
        if "版" in text or "完" in text or "待续" in text:  # (cheap test first: most lines have no marker)
            came = CONTINUED_FROM.match(text)  # （上接第1版）外立面整治等……
            if came is not None:
                if not cur.paragraphs:
                    cur.continued_from = cn_int(came.group("n"))
                text = text[came.end() :].lstrip()
            text, ended = clean_marks(text)
            goes = CONTINUED_ON.search(text)
            if goes is not None and not text[goes.end() :].strip():
                cur.jumps_to, text = cn_int(goes.group("n")), text[: goes.start()].rstrip()
            jump = JUMP.search(text)  # any other marker at the end: （待续）, （转第3版）
            text = text[: jump.start()].rstrip() if jump else text
        if ended or goes is not None:
            cur.closed = True  # the rest of the page is another story's; a jump's continuation is merged later
        if not text:
            return
        if cur.open_sentence():
            join_fragment(cur.paragraphs[-1], text)
            self._role(Role.BODY_MORE, cur)
        else:
            if not cur.paragraphs and not cur.subheads:
                names = bylines.dateline_names(text)
                if names is not None:
                    cur.lead = True
                    cur.authors.extend(names)
                    self._role(Role.DATELINE, cur)
                cur.note = EDITOR_NOTE.match(text) is not None
            cur.paragraphs.append([text])
        if bylines.ends_with_author_note(text):
            cur.closed = True  # （作者为某大学教授）: the piece ends here
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
            self._role(Role.IGNORED, None)
            return
        self._role(Role.CREDIT if line.kind is Kind.CREDIT else Role.BYLINE, cur)
        cur.authors.extend(line.names)
        if line.kind is Kind.BYLINE and not line.names and "评论员" not in line.text:
            self.warnings.append(f"line {line.number}: byline without a name: {line.text}")
        if line.kind is Kind.CREDIT:
            cur.closed = cur.credited = True
        elif cur.paragraphs and not (cur.note and len(cur.paragraphs) <= _MAX_NOTE_PARAGRAPHS):
            cur.closed = True
        else:
            cur.lead = cur.signed_lead = True  # 本报记者 XX right under the headline (or under the editor's note)
            cur.note = False

    def _mark(self, line: Line) -> None:
        """（下转第2版）, （上接第1版）, （完）, （相关报道见第3版） on a line of their own."""
        cur, text = self.cur, line.text
        goes, came = CONTINUED_ON.fullmatch(text), CONTINUED_FROM.fullmatch(text)
        if goes is not None and cur is not None:
            cur.jumps_to, cur.closed = cn_int(goes.group("n")), True
        elif came is not None and cur is not None and not cur.paragraphs:
            cur.continued_from = cn_int(came.group("n"))
        elif END_MARK.fullmatch(text) and cur is not None:
            cur.closed = True
        role = Role.JUMP if goes or came else Role.END_MARK if END_MARK.fullmatch(text) else Role.CROSS_REF
        self._role(role, cur)

    def _flush(self) -> None:
        cur, self.cur = self.cur, None
        if cur is None:
            return
        if cur.block is not None and (cur.signed_lead or (
            cur.lead and sum(len(f) for p in cur.paragraphs for f in p) >= _FULL_SIZE
        )):
            cur.block = self.block = None  # a full-size article with its own byline or dateline ends the block
        if cur.paragraphs or cur.credited:
            self.drafts.append(cur)
        else:
            self.warnings.append(f"line {cur.line}: headline without text ignored: {cur.title}")

    def _role(self, role: Role, draft: Draft | None) -> None:
        self.roles[self.i] = (role, draft)

    def _advance(self, role: Role, draft: Draft | None) -> None:
        self.roles[self.i] = (role, draft)
        self.i += 1
