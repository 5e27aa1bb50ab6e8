"""Decoded text → logical lines: hard-wrapped text re-joined, stray page numbers set apart.

An OCR or fixed-width export breaks lines every 20–40 characters, mid-sentence and even mid-word, and marks
paragraphs only by a full-width indent. Such a file is recognised by its many lines of the same (maximal)
width that break off mid-sentence; in it a line that fills the width runs on into the next one unless the next
is indented, blank or plainly a line of its own. Page numbers printed between the lines of a sentence
(`— 2 —`, `-2-`, `第2页`) are their own lines, and wrapped text runs on across them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from typing import NamedTuple

from feedsvc.parse.punctuation import CLOSERS, ends_sentence

PAGE_NUMBER = re.compile(
    r"[-—–－―─~～·•]+\s*[0-9０-９]{1,3}\s*[-—–－―─~～·•]+|第\s*[0-9０-９]{1,3}\s*页(?:\s*[/,，]?\s*共\s*[0-9０-９]{1,3}\s*页)?"
    r"|[0-9０-９]{1,3}\s*/\s*[0-9０-９]{1,3}|[0-9０-９]{1,3}"
)
_INDENT = ("\u3000", "  ", "\t")
_CLOSERS = CLOSERS + "\"'"  # ASCII quotes too: a wrapped row may end with one
_MAX_WRAP_CELLS = 84  # 42 Chinese characters: more than that is a paragraph per line, not a wrapped column
_MAX_PAGE_NUMBER = 16  # characters of a page-number line: 第2页 共8页
_MIN_WRAPPED = 3  # lines broken off mid-sentence at the full width before a file counts as hard-wrapped


class Logical(NamedTuple):
    """A line as the parser reads it: `text` (leading indent kept) from file line `first` to `last`."""

    text: str
    first: int
    last: int
    page_number: bool = False


def cells(text: str) -> int:
    """Display width: a Chinese character or full-width mark fills two cells."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def unwrap(text: str, standalone: Callable[[str], bool]) -> list[Logical] | None:
    """The non-blank lines of a hard-wrapped `text`, wrapped lines joined; None when the text is not hard-wrapped.
    `standalone(line)` says that a (stripped) line is one of its own (a page header, byline, credit …), never the
    run-on of a wrapped line."""
    rows = text.split("\n")
    if max(map(len, rows)) > _MAX_WRAP_CELLS:
        return None  # (cheap, and the common case: a line this long is no wrapped row in either measure)
    lines = []
    for n, raw in enumerate(rows, 1):
        stripped = raw.strip()
        if stripped:
            number = len(stripped) <= _MAX_PAGE_NUMBER and PAGE_NUMBER.fullmatch(stripped) is not None
            lines.append(Logical(raw.rstrip(), n, n, number))
    width = _wrap_width(lines)
    if width is None:
        return None
    out: list[Logical] = []
    row = ""  # the last physical row of out[-1], when it may run on
    for line in lines:
        if line.page_number:
            out.append(line)  # wrapped text runs on across it
            continue
        at = _run_index(out)
        if row and at is not None and _adjacent(out, at, line) and _runs_on(out[at].text, row, line.text, width,
                                                                            standalone):
            run = out[at]
            out[at] = Logical(run.text + line.text.lstrip(), run.first, line.last)
        else:
            out.append(line)
        row = line.text
    return out


def _adjacent(out: list[Logical], at: int, line: Logical) -> bool:
    """No blank line between out[at] and `line`, but for those around page numbers printed between them."""
    if line.first == out[at].last + 1:
        return True
    return at < len(out) - 1  # page numbers (and their blank lines) stand between them


def _run_index(out: list[Logical]) -> int | None:
    """The last text line before any trailing page numbers."""
    for j in range(len(out) - 1, -1, -1):
        if not out[j].page_number:
            return j
    return None


def _measure(text: str, wide: bool) -> int:
    return cells(text) if wide else len(text)


def _wrap_width(lines: list[Logical]) -> tuple[int, bool] | None:
    """(width, measured in cells) when the file is hard-wrapped, else None."""
    rows = [ln for ln in lines if not ln.page_number]
    texts = [ln.text for ln in rows]
    if len(texts) < _MIN_WRAPPED + 1:
        return None
    best: tuple[int, tuple[int, bool]] | None = None
    for wide in (True, False):
        sizes = [_measure(t, wide) for t in texts]
        top = max(sizes)
        if top > (_MAX_WRAP_CELLS if wide else _MAX_WRAP_CELLS // 2) or top < 16:
            continue
        common = Counter(s for s in sizes if s * 10 >= top * 7).most_common()
        width = max(s for s, count in common if count == common[0][1])
        broken = sum(
            1
            for (a, b), (la, lb) in zip(pairwise(texts), pairwise(rows), strict=True)
            if lb.first == la.last + 1
            and _measure(a, wide) >= width - 1
            and not _ends(a)
            and not b.startswith(_INDENT)
        )
        if broken >= _MIN_WRAPPED and (best is None or broken > best[0]):
            best = (broken, (width, wide))
    return None if best is None else best[1]


def _runs_on(text: str, row: str, line: str, width: tuple[int, bool], standalone: Callable[[str], bool]) -> bool:
    """Whether `line` continues the logical line `text`, whose last physical row is `row`."""
    size, wide = width
    if line.startswith(_INDENT) or standalone(line.strip()) or standalone(text.strip()):
        return False
    if _measure(row, wide) < size - 2:
        return False  # the row stopped short of the width: its paragraph or headline ended there
    if not _ends(row):
        return True  # broken off mid-sentence
    # A full row that ends a sentence: the next line continues the paragraph unless it is a headline of its own.
    nxt = line.strip()
    return _ends(nxt) or any(ch in nxt for ch in "。，,；;") or _measure(nxt, wide) >= size - 2


def _ends(text: str) -> bool:
    """A sentence ends, or a parenthesis closes (a byline, a marker): no wrapped row breaks off there."""
    text = text.rstrip()
    if text.endswith((")", "）")):
        return True
    return not text.rstrip(_CLOSERS) or ends_sentence(text, _CLOSERS)
