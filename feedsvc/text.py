"""An item's text as every output shows it (feeds, JSON Feed, pages): cleaned of what XML cannot carry, with its
HTML body, lede, authors and categories."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from feedsvc.model import Item, ItemKind
from feedsvc.parse.punctuation import SENTENCE_END

# The category every photo item carries, in every format, so readers can filter pictures.
PHOTO_CATEGORY = "图片"
LEDE_CHARS = 120
UNTITLED = "(无标题)"
# The display form of several authors where a format (or a reader) has one slot, as Chinese bylines join them.
BYLINE_JOIN = "\u3001"  # 、

# XML 1.0 forbids C0 controls other than tab/LF/CR, surrogates and U+FFFE/U+FFFF (lxml refuses them and
# one bad item would break the whole feed); DEL and C1 controls are "discouraged" and never belong in news text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """`text` without characters XML cannot carry, whitespace collapsed."""
    return _SPACES.sub(" ", _NOT_XML.sub("", text)).strip()


def _blocks(item: Item) -> tuple[tuple[str, str], ...]:
    """("h3", subhead) and ("p", paragraph) in reading order: each subhead before the paragraph it preceded."""
    positions = item.subhead_at if len(item.subhead_at) == len(item.subheads) else (0,) * len(item.subheads)
    before: dict[int, list[str]] = {}
    for head, at in zip(item.subheads, positions, strict=True):
        before.setdefault(at, []).append(head)
    blocks: list[tuple[str, str]] = []
    for n in range(len(item.paragraphs) + 1):
        blocks += [("h3", c) for c in (clean(h) for h in before.pop(n, ())) if c]
        if n < len(item.paragraphs) and (c := clean(item.paragraphs[n])):
            blocks.append(("p", c))
    for heads in before.values():  # positions past the end: keep the subheads rather than lose them
        blocks += [("h3", c) for c in (clean(h) for h in heads) if c]
    return tuple(blocks)


def _lede(body: Sequence[tuple[str, str]], fallback: str, limit: int) -> str:
    text = next((t for tag, t in body if tag == "p"), "") or fallback
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(mark) for mark in SENTENCE_END)
    if cut >= limit // 2:
        return head[: cut + 1]
    return head.rstrip() + "…"


@dataclass(frozen=True)
class Text:
    """An item's text as every output shows it: cleaned, with its HTML body and lede."""

    title: str
    blocks: tuple[tuple[str, str], ...]  # ("h3", subhead) / ("p", paragraph) in reading order
    html: str  # escaped HTML, never empty: readers show nothing for an empty body
    lede: str  # plain text: the first paragraph, cut near LEDE_CHARS at a sentence end if one is near
    authors: tuple[str, ...]
    section: str | None
    categories: tuple[str, ...]  # the section, and PHOTO_CATEGORY for a photo

    @property
    def byline(self) -> str:
        """The authors as one name (章斐然、王震): what a reader with one author slot shows."""
        return BYLINE_JOIN.join(self.authors)


@functools.lru_cache(maxsize=1024)
def text_of(item: Item) -> Text:
    """The cleaned text of `item`; cached because the same items are rendered on every publish."""
    title = clean(item.title) or UNTITLED
    body = _blocks(item)
    section = clean(item.section or "") or None
    photo = (PHOTO_CATEGORY,) if item.kind is ItemKind.PHOTO else ()
    html_body = "\n".join(f"<{tag}>{html.escape(t)}</{tag}>" for tag, t in body) or f"<p>{html.escape(title)}</p>"
    return Text(
        title=title,
        blocks=body,
        html=html_body,
        lede=_lede(body, title, LEDE_CHARS),
        authors=tuple(a for a in dict.fromkeys(clean(a) for a in item.authors) if a),
        section=section,
        categories=tuple(dict.fromkeys((*((section,) if section else ()), *photo))),
    )
