"""Where a Chinese sentence ends: the one definition the parser and the feed writer share."""

from __future__ import annotations

SENTENCE_END = "。！？!?…；;"
QUOTES = "”’」』》】"  # closing quotes and title marks, which may follow a sentence's end (…。」)
BRACKETS = ")）"
CLOSERS = QUOTES + BRACKETS


def ends_sentence(text: str, closers: str = CLOSERS) -> bool:
    """True when `text` ends a sentence, ignoring the `closers` after its last mark.

    Pass QUOTES where a closing bracket is not part of the sentence but the end of what follows it: a trailing
    byline `…培养。(章斐然)` or photo credit is cut at its bracket, so its text must end a sentence without one."""
    text = text.rstrip(closers)
    return bool(text) and text[-1] in SENTENCE_END
