"""The fast path of serving: plain GET/HEAD of a published file answered in the handler, without FileResponse.

Most requests are a reader polling a feed: a 304 for an If-None-Match that still matches, or the whole feed
(usually its .gz sibling). FileResponse spends most of such an answer on machinery (its thread pool, a file
object per request, sendfile for a few KB). Here one inline `stat` (the files live in the page cache) gives the
validators, and the bodies of small files are kept in memory keyed by path, mtime_ns and size, so a replaced
file (the publisher renames a new one into place, atomic.py) is read again on its first request.

The answers are those of `ServedFile` (fileresponse.py) to the same request, header for header: the same stat
of the same variant, the same ETag and Last-Modified (set through the same StreamResponse setters) and the same
If-None-Match matching (aiohttp's own parser and comparison). Anything less common (Range, If-Range, If-Match,
If-Unmodified-Since, If-Modified-Since without If-None-Match, a missing or unusual file, a large body) is left
to `ServedFile`: `answer` returns None.
"""

from __future__ import annotations

import functools
import math
import os
import stat
import time
from collections import OrderedDict
from dataclasses import dataclass

from aiohttp import hdrs, web
from multidict import istr

from feedsvc.fileresponse import gzip_acceptable

# Requests carrying any of these take FileResponse's path (ranges, and the rarer preconditions).
RANGE, IF_RANGE, IF_MATCH, IF_UNMODIFIED_SINCE = hdrs.RANGE, hdrs.IF_RANGE, hdrs.IF_MATCH, hdrs.IF_UNMODIFIED_SINCE
LARGEST_BODY = 1 << 20  # bytes: larger files go by sendfile (FileResponse)
BODY_BUDGET = 32 << 20  # bytes of bodies kept, least recently served dropped first

# Readers send a handful of distinct values: each parsed once (If-None-Match by aiohttp's own request parser).
_gzip_acceptable = functools.lru_cache(maxsize=256)(gzip_acceptable)
_none_match = functools.lru_cache(maxsize=1024)(web.BaseRequest._if_match_or_none_impl)


@functools.lru_cache(maxsize=1024)
def _http_date(seconds: int) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(seconds))


@dataclass(frozen=True, slots=True)
class _Body:
    version: tuple[int, int, int]  # inode, mtime_ns, size
    data: bytes


class HotAnswer(web.Response):
    """An answer from the fast path (the caching headers are added to it as to a FileResponse's)."""

    def __init__(self, *, mtime: float, status: int = 200, body: bytes | None = None,
                 headers: dict[istr, str]) -> None:
        super().__init__(status=status, body=body, headers=headers)
        self.mtime = mtime  # of the file served, as ServedFile.mtime (fileresponse.announce_last_modified)


def _variant(path: str, gzip_ok: bool) -> tuple[str, os.stat_result, str | None] | None:
    """(file, stat, Content-Encoding) that ServedFile would send, or None when it would not send a regular file."""
    if gzip_ok:
        try:
            st = os.lstat(path + ".gz")  # not followed, as FileResponse does for a sibling
        except OSError:
            pass
        else:
            if stat.S_ISREG(st.st_mode):
                return path + ".gz", st, "gzip"
    try:
        st = os.stat(path)
    except OSError:
        return None  # FileResponse answers 403 or 404
    return (path, st, None) if stat.S_ISREG(st.st_mode) else None


class HotFiles:
    """Answers the common requests of the files under one root (see the module doc)."""

    def __init__(self, budget: int = BODY_BUDGET, largest: int = LARGEST_BODY) -> None:
        self._budget, self._largest = budget, largest
        self._bodies: OrderedDict[str, _Body] = OrderedDict()
        self._used = 0
        self.answered = 0  # requests answered here rather than by ServedFile

    def answer(self, request: web.Request, path: str, headers: dict[istr, str]) -> HotAnswer | None:
        """The answer to a GET/HEAD of the regular file `path` with these response headers, or None for
        ServedFile to answer."""
        asked = request.headers
        if RANGE in asked or IF_RANGE in asked or IF_MATCH in asked or IF_UNMODIFIED_SINCE in asked:
            return None
        none_match = _none_match(asked.get(hdrs.IF_NONE_MATCH))
        if none_match is None and hdrs.IF_MODIFIED_SINCE in asked:
            return None
        found = _variant(path, _gzip_acceptable(asked.get(hdrs.ACCEPT_ENCODING, "").lower()))
        if found is None:
            return None
        served, st, encoding = found
        etag = f"{st.st_mtime_ns:x}-{st.st_size:x}"  # FileResponse's
        # What the etag and last_modified setters of StreamResponse write for this tag and st_mtime.
        validators = {hdrs.ETAG: f'"{etag}"', hdrs.LAST_MODIFIED: _http_date(math.ceil(st.st_mtime))}
        if none_match is not None and web.FileResponse._etag_match(etag, none_match, weak=True):
            self.answered += 1
            return HotAnswer(mtime=st.st_mtime, status=304, headers={**headers, **validators})
        body = self._body(served, st)
        if body is None:
            return None
        validators[hdrs.ACCEPT_RANGES] = "bytes"
        if encoding:
            validators[hdrs.CONTENT_ENCODING] = encoding
        self.answered += 1
        return HotAnswer(mtime=st.st_mtime, body=body, headers={**headers, **validators})

    def _body(self, path: str, st: os.stat_result) -> bytes | None:
        """The bytes of `path` in the version `st` describes, from memory or read now; None when too large or
        replaced since the stat (ServedFile then answers with what it finds)."""
        version = (st.st_ino, st.st_mtime_ns, st.st_size)
        kept = self._bodies.get(path)
        if kept is not None and kept.version == version:
            self._bodies.move_to_end(path)
            return kept.data
        if st.st_size > self._largest:
            return None
        try:
            with open(path, "rb") as file:
                now = os.fstat(file.fileno())
                data = file.read(self._largest + 1)
        except OSError:
            return None
        if (now.st_ino, now.st_mtime_ns, now.st_size) != version or len(data) != st.st_size:
            return None
        self._forget(path)
        self._bodies[path] = _Body(version, data)
        self._used += len(data)
        while self._used > self._budget:
            self._forget(next(iter(self._bodies)))
        return data

    def _forget(self, path: str) -> None:
        gone = self._bodies.pop(path, None)
        if gone is not None:
            self._used -= len(gone.data)
