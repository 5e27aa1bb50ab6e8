"""The issue parser: bytes of one issue file → `feedsvc.model.Issue`.

decode (bytes → text) → lines (one line → what it is) → assemble (lines → draft items, with bylines) → issue
(issue date, item kinds, suspension from notices and cndates). Outside this package only `parse_issue` and the
model are used (and `explain`, the parser's account of its reading, for `feedsvc parse --explain`).
"""

from feedsvc.parse.explain import explain
from feedsvc.parse.issue import parse_issue

__all__ = ["explain", "parse_issue"]
