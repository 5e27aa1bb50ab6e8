"""The issue parser: bytes of one issue file → `Issue` (items in page order, suspension, warnings).

Pure: no file system, no clock. Lines are classified one by one (`layout`), then assembled into items here:
a headline-like line starts a new item when the previous item has ended (byline, credit, signature, page
header) or when what follows it opens one (column tag, dateline or lead byline, captioned photo, notice);
otherwise it is a subhead. Anything unparseable raises `ParseError`; oddities become warnings.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from feedsvc import bylines
from feedsvc.cndates import FULL_DATE, date_in_name, match_date
from feedsvc.decode import decode
from feedsvc.errors import ParseError
from feedsvc.layout import Kind, Line, column_tag, ends_sentence, has_clause_marks, masthead, split_lines
from feedsvc.model import Issue, Item, ItemKind, Suspension, item_id
from feedsvc.notices import is_notice_title, merge_suspensions, read_suspension

_DASHES = ("——", "—", "－－", "--", "──")
_SIGNATORY = re.compile(r"(?:编辑部|报社|杂志社|社|部|委员会|办公室|中心|集团|公司|局|厅|院|处|会|报)$")
_MAX_CAPTION_PARAGRAPHS = 3
_MAX_WARNINGS = 50


def parse_issue(data: bytes, source: str, *, weekdays: Collection[int] = (0, 2, 4)) -> Issue:
    """Parse one issue file; `weekdays` (0 = Monday) are the publication days used to expand ranges."""
    try:
        return _parse(data, source, frozenset(weekdays))
    except ParseError:
        raise
    except Exception as exc:  # the contract is an Issue or a ParseError, whatever the bytes
        raise ParseError(source, f"internal parser error ({type(exc).__name__}: {exc})") from exc


def _parse(data: bytes, source: str, weekdays: frozenset[int]) -> Issue:
    decoded = decode(data, source)
    warnings = list(decoded.warnings)
    lines = split_lines(decoded.text)
    start, masthead_date, page = masthead(lines)
    drafts = _Assembler(lines, start, page, warnings).run()
    issue_date = _issue_date(source, masthead_date, lines, drafts, warnings)
    if not drafts:
        raise ParseError(source, "no article found (no headline followed by text)")
    items = tuple(_item(d, n, issue_date) for n, d in enumerate(drafts, 1))
    suspension = _suspension(drafts, issue_date, weekdays, warnings)
    if len(warnings) > _MAX_WARNINGS:
        warnings[_MAX_WARNINGS:] = [f"… and {len(warnings) - _MAX_WARNINGS} more warnings"]
    return Issue(source, decoded.encoding, issue_date, items, suspension, tuple(warnings))


@dataclass
class _Draft:
    """An item while it is being read."""

    title: str
    line: int
    page: int | None
    notice: bool
    section: str | None = None
    subheads: list[str] = field(default_factory=list)
    paragraphs: list[list[str]] = field(default_factory=list)  # fragments of page-broken paragraphs
    authors: list[str] = field(default_factory=list)
    lead: bool = False  # opened with a dateline or a byline under the headline
    credited: bool = False  # a photo credit closed it
    closed: bool = False  # byline, credit or signature: the next headline starts a new item
    broken: bool = False  # a page header since the last text: only an open sentence continues
    after_subhead: bool = False
    signed: date | None = None

    def open_sentence(self) -> bool:
        return bool(self.paragraphs) and not self.after_subhead and not ends_sentence(self.paragraphs[-1][-1])


class _Assembler:
    def __init__(self, lines: list[Line], start: int, page: int | None, warnings: list[str]) -> None:
        self.lines, self.i, self.page, self.warnings = lines, start, page, warnings
        self.cur: _Draft | None = None
        self.drafts: list[_Draft] = []
        self.orphans: list[int] = []

    def run(self) -> list[_Draft]:
        lines = self.lines
        while self.i < len(lines):
            line, cur = lines[self.i], self.cur
            kind = line.kind
            if kind is Kind.SHORT:
                self._short(line)
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
        cur = self.cur
        if cur is not None and cur.notice and cur.paragraphs and not cur.closed:
            if line.text.startswith("特此"):  # 特此通知: the notice's closing formula is part of its text
                self._body(line)
                self.i += 1
                return
            if self._is_signature(line):
                found = FULL_DATE.search(line.text)
                cur.signed = (match_date(found) if found else None) or cur.signed
                nxt = self._peek(1)
                cur.closed = nxt is None or nxt.kind is not Kind.DATE
                self.i += 1
                return
        if cur is not None and not cur.closed and cur.open_sentence() and has_clause_marks(line.text):
            self._body(line)  # a short page-broken fragment: `…深入挖掘` + `数字技术创新潜能，`
            self.i += 1
            return
        if cur is None or cur.closed or cur.broken or self._opens_item():
            self._start()
            return
        cur.subheads.append(line.text)
        cur.after_subhead = True
        self.i += 1

    def _is_signature(self, line: Line) -> bool:
        nxt = self._peek(1)
        return len(line.text) <= 30 and (
            (nxt is not None and nxt.kind is Kind.DATE)
            or _SIGNATORY.search(line.text) is not None
            or FULL_DATE.search(line.text) is not None
        )

    def _opens_item(self) -> bool:
        """Whether the headline-like line at self.i starts an item rather than being a subhead."""
        line, nxt = self.lines[self.i], self._peek(1)
        if is_notice_title(line.text) or nxt is None or nxt.kind is Kind.BYLINE:
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
        for ahead in range(1, _MAX_CAPTION_PARAGRAPHS + 2):  # a short caption, then its credit
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
        self.cur = _Draft(title, line.number, self.page, notice=is_notice_title(title))
        nxt, after = self._peek(0), self._peek(1)
        tag = column_tag(nxt) if nxt is not None else None
        if tag and not self.cur.notice and after is not None and after.kind in (Kind.BODY, Kind.BYLINE):
            self.cur.section = tag
            self.i += 1

    def _body(self, line: Line) -> None:
        cur = self.cur
        if cur is None or cur.closed or (cur.broken and cur.paragraphs and not cur.open_sentence()):
            self.orphans.append(line.number)
            return
        text = line.text
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


def _issue_date(
    source: str, masthead: date | None, lines: list[Line], drafts: list[_Draft], warnings: list[str]
) -> date:
    """File name, then masthead or running header, then a line that is only a date, then a notice signature."""
    named = date_in_name(PurePath(source).name)
    headers = (ln.date for ln in lines if ln.kind is Kind.HEADER and ln.date is not None)
    printed = masthead or next(headers, None)
    if named is not None:
        if printed is not None and printed != named:
            warnings.append(f"file name says {named.isoformat()} but the masthead says {printed.isoformat()}")
        return named
    if printed is not None:
        return printed
    only_date = next((ln.date for ln in lines if ln.kind is Kind.DATE and ln.date is not None), None)
    signed = next((d.signed for d in drafts if d.signed is not None), None)
    found = only_date or signed
    if found is None:
        raise ParseError(
            source, "no issue date found (none in the file name, no masthead or page header date, no date line)"
        )
    return found


def _item(draft: _Draft, ordinal: int, issue_date: date) -> Item:
    if draft.notice:
        kind = ItemKind.NOTICE
    elif draft.credited and not draft.lead and not draft.subheads and len(draft.paragraphs) <= _MAX_CAPTION_PARAGRAPHS:
        kind = ItemKind.PHOTO
    else:
        kind = ItemKind.ARTICLE
    return Item(
        id=item_id(issue_date, ordinal),
        ordinal=ordinal,
        kind=kind,
        title=draft.title,
        section=draft.section,
        subheads=tuple(draft.subheads),
        paragraphs=tuple(p for p in ("".join(f) for f in draft.paragraphs) if p),
        authors=tuple(dict.fromkeys(draft.authors)),
        page=draft.page,
    )


def _suspension(
    drafts: list[_Draft], issue_date: date, weekdays: frozenset[int], warnings: list[str]
) -> Suspension | None:
    found: list[Suspension] = []
    for draft in drafts:
        if not draft.notice:
            continue
        text = "\n".join("".join(f) for f in draft.paragraphs)
        suspension, notes = read_suspension(text, draft.signed or issue_date, weekdays, f"{draft.title}\n{text}")
        warnings.extend(f"{draft.title}: {note}" for note in notes)
        if suspension is not None:
            found.append(suspension)
    return merge_suspensions(found, warnings)
