"""An item while it is being read, and how its text fragments join."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from feedsvc.parse.lines import CROSS_REF, END_MARK
from feedsvc.parse.punctuation import ends_sentence


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
    signed_lead: bool = False  # a byline line under the headline: the form of a full-size article
    credited: bool = False  # a photo credit closed it
    closed: bool = False  # byline, credit or signature: the next headline starts a new item
    broken: bool = False  # a page header since the last text: only an open sentence continues
    after_subhead: bool = False
    signed: date | None = None
    title_lines: int = 1
    block: str | None = None  # the label of the block of short items it stands in
    note: bool = False  # opened with an editor's note (编者按): a byline may still follow
    jumps_to: int | None = None  # （下转第N版）: continued on page N
    continued_from: int | None = None  # （上接第M版）: the continuation of a story from page M
    page_name: str = ""  # the running header's page name: 评论, 理论 …

    def bare(self) -> bool:
        """Only the headline so far."""
        return not (self.paragraphs or self.subheads or self.lead or self.section or self.authors)

    def open_sentence(self) -> bool:
        return bool(self.paragraphs) and not self.after_subhead and not ends_sentence(self.paragraphs[-1][-1])


def join_fragment(fragments: list[str], text: str) -> None:
    """Chinese joins without a space; a word broken between Latin letters or digits keeps one."""
    edge = fragments[-1][-1:] + text[:1]
    fragments.append(" " + text if edge.isascii() and edge.isalnum() else text)


def clean_marks(text: str) -> tuple[str, bool]:
    """The text without cross-references and end marks; True when an end mark （完） was among them."""
    if "见" in text and "版" in text:
        text = CROSS_REF.sub("", text)
    ended = False
    if "完" in text or "待续" in text:
        text, count = END_MARK.subn("", text)
        ended = count > 0
    return text.strip(), ended

