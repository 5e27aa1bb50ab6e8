"""Stories that jump pages: a part ending `（下转第N版）` and its continuation on page N under the repeated (maybe
shortened) headline, opening `（上接第M版）`, become one draft; the interrupted paragraph is re-joined.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from feedsvc.parse.draft import Draft, join_fragment
from feedsvc.parse.punctuation import ends_sentence

_NOT_WORD = re.compile(r"[\W_]+")
_SIMILAR = 0.5  # a shortened repeated headline keeps at least half of the first one


def join_jumps(drafts: list[Draft], warnings: list[str]) -> tuple[list[Draft], dict[int, Draft]]:
    """The drafts with each continuation appended to the part it continues, and {id(continuation): part}."""
    out: list[Draft] = []
    waiting: list[Draft] = []  # parts that jumped and await their continuation
    merged: dict[int, Draft] = {}
    for draft in drafts:
        if draft.continued_from is not None:
            part = _part_of(draft, waiting)
            if part is not None:
                waiting.remove(part)
                _append(part, draft)
                merged[id(draft)] = part
                if part.jumps_to is not None:
                    waiting.append(part)  # it jumps again
                continue
            warnings.append(
                f"line {draft.line}: {draft.title} continues from page {draft.continued_from} (上接), but no story "
                "there jumps here; kept as an item of its own"
            )
        out.append(draft)
        if draft.jumps_to is not None:
            waiting.append(draft)
    for part in waiting:
        warnings.append(f"line {part.line}: {part.title} jumps to page {part.jumps_to} (下转), but its continuation "
                        "was not found")
    return out, merged


def _part_of(continuation: Draft, waiting: list[Draft]) -> Draft | None:
    """The part the continuation continues: one that jumped to its page from the page it names, the most
    similar headline first; a single candidate is taken whatever its headline."""
    candidates = [
        part
        for part in waiting
        if (continuation.page is None or part.jumps_to == continuation.page)
        and (part.page is None or part.page == continuation.continued_from)
    ]
    if not candidates:
        return None
    scored = sorted(((_similarity(part.title, continuation.title), n, part) for n, part in enumerate(candidates)),
                    key=lambda t: (-t[0], t[1]))
    best_score, _, best = scored[0]
    return best if best_score >= _SIMILAR or len(candidates) == 1 else None


def _similarity(a: str, b: str) -> float:
    a, b = _NOT_WORD.sub("", a), _NOT_WORD.sub("", b)
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return 1.0
    return SequenceMatcher(None, a, b).ratio()


def _append(part: Draft, continuation: Draft) -> None:
    first = 0
    rejoin = (
        bool(part.paragraphs and continuation.paragraphs)
        and not ends_sentence(part.paragraphs[-1][-1])
        and 0 not in continuation.subhead_at
    )
    if rejoin:  # the paragraph the jump interrupted
        join_fragment(part.paragraphs[-1], continuation.paragraphs[0][0])
        part.paragraphs[-1].extend(continuation.paragraphs[0][1:])
        first = 1
    offset = len(part.paragraphs) - first
    part.subheads.extend(continuation.subheads)
    part.subhead_at.extend(offset + at for at in continuation.subhead_at)
    part.paragraphs.extend(continuation.paragraphs[first:])
    part.authors.extend(continuation.authors)
    part.credited = part.credited or continuation.credited
    part.jumps_to = continuation.jumps_to
