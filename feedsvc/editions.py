"""Which items of a corrected edition are the same items as before, so they keep their ids."""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

# Title similarity (difflib ratio) needed to keep an item's id across editions.
SAME_ORDINAL_RATIO = 0.6  # at the same page position: a reworded headline
ELSEWHERE_RATIO = 0.8  # moved to another position: must be clearly the same headline


def match_items(old: Sequence[tuple[int, str]], new: Sequence[tuple[int, str]]) -> dict[int, int]:
    """Pair items of a corrected edition with those of the edition in force, given (ordinal, title) of each.

    Returns {index in new: index in old}. An exact title anywhere wins (the nearest position among equal
    titles); then a similar title at the same ordinal; then a clearly similar title elsewhere, best first.
    """
    matches: dict[int, int] = {}
    free = set(range(len(old)))
    for n, (ordinal, title) in enumerate(new):
        same = [o for o in free if old[o][1] == title]
        if same:
            best = min(same, key=lambda o: (abs(old[o][0] - ordinal), o))
            matches[n] = best
            free.discard(best)
    by_ordinal = {old[o][0]: o for o in free}
    for n, (ordinal, title) in enumerate(new):
        o = by_ordinal.get(ordinal)
        if n not in matches and o is not None and o in free and _ratio(old[o][1], title) >= SAME_ORDINAL_RATIO:
            matches[n] = o
            free.discard(o)
    candidates = sorted(
        ((-_ratio(old[o][1], title), abs(old[o][0] - ordinal), n, o)
         for n, (ordinal, title) in enumerate(new) if n not in matches for o in free),
    )
    for negative_ratio, _, n, o in candidates:
        if -negative_ratio < ELSEWHERE_RATIO:
            break
        if n not in matches and o in free:
            matches[n] = o
            free.discard(o)
    return matches


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()
