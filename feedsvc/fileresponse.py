"""aiohttp's `web.FileResponse`, corrected where it departs from RFC 9110 (aiohttp 3.14).

- Accept-Encoding: FileResponse picks the `.gz` sibling whenever "gzip" appears anywhere in the header, so
  `gzip;q=0` ("never gzip") still got gzip. Here a coding is sent only when its q-value (or that of `*`) is above
  zero (https://www.rfc-editor.org/rfc/rfc9110#section-12.5.3).
- If-Range: FileResponse understands only the date form; an entity-tag If-Range was ignored, so a Range request
  whose If-Range no longer matched still got 206 and a resuming client spliced new bytes onto its old copy. Here
  a non-matching If-Range (a weak or different ETag, or a date older than the file) gets the full 200 (https://www.rfc-editor.org/rfc/rfc9110#section-13.1.5).
- Last-Modified: FileResponse sends the file's mtime rounded up, which can be later than the Date (a file
  written this second, or dated ahead by atomic.py). `announce_last_modified` sends the mtime's whole second, at
  most the Date, and If-Modified-Since is compared at whole seconds (`not_modified_since`).

Everything else (ETag, Last-Modified, 304, 412, HEAD, Range, sendfile) is FileResponse's own, with one change
of speed: the stat (and open) FileResponse hands to the default thread pool runs inline. The files are small and
in the page cache, where a stat takes microseconds; the pool's round trip cost ~150 µs a request, most of a 304.
"""

from __future__ import annotations

import functools
import io
import os
import pathlib
from collections.abc import Callable
from email.utils import formatdate, parsedate_to_datetime

from aiohttp import hdrs, web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.typedefs import LooseHeaders
from aiohttp.web_fileresponse import _FileResponseResult
from aiohttp.web_request import BaseRequest

from feedsvc.urls import NOT_FOUND_PAGE


def accepted_codings(header: str) -> dict[str, float]:
    """The q-value of each content coding named in an Accept-Encoding value (lower-case names)."""
    weights: dict[str, float] = {}
    for part in header.split(","):
        name, *params = (piece.strip() for piece in part.split(";"))
        if not name:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0  # a malformed weight grants nothing
        weights[name.lower()] = q
    return weights


def gzip_acceptable(header: str) -> bool:
    """Whether a response may be gzip-coded for this Accept-Encoding value."""
    weights = accepted_codings(header)
    q = weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0)))
    return q > 0


def if_range_holds(header: str, etag: str, last_modified: float) -> bool:
    """Whether an If-Range value still names the current representation: the same strong ETag, or a date not
    before the second of the file's modification (FileResponse's own rule for dates, at whole seconds as
    Last-Modified is announced: the one we send may be the Date, before the mtime, never after it)."""
    value = header.strip()
    if value.startswith("W/"):
        return False  # a weak validator never satisfies If-Range
    if value.startswith('"'):
        return value == f'"{etag}"'
    try:
        return int(last_modified) <= parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return False


NOT_FOUND_TYPE = "text/html; charset=utf-8"
NOT_FOUND_BYTES = 64 * 1024  # of public/404.html, read at most
# Until the first publication writes public/404.html.
_BARE_NOT_FOUND = b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Not found</title></head>" \
                  b"<body><h1>Not found</h1><p><a href=\"/\">Front page</a></p></body></html>\n"


def read_not_found_page(root: str) -> bytes:
    """The body of a 404: the published page (read per 404: they are rare, and it follows the site's title)."""
    try:
        with open(os.path.join(root, NOT_FOUND_PAGE), "rb") as page:
            return page.read(NOT_FOUND_BYTES)
    except OSError:
        return _BARE_NOT_FOUND


def not_modified_since(request: BaseRequest, mtime: float) -> bool:
    """If-Modified-Since (without If-None-Match, which decides alone: RFC 9110 §13.2.2) holds at whole seconds,
    as Last-Modified is announced (`announce_last_modified`): the publisher dates every new version in a later
    second than the one it replaces (atomic.py), so the second tells versions apart."""
    since = request.if_modified_since
    return since is not None and request.if_none_match is None and int(mtime) <= since.timestamp()


class ServedFile(web.FileResponse):
    """FileResponse with RFC 9110's Accept-Encoding weights and entity-tag If-Range (see the module doc), and
    an HTML page for a 404 (`not_found` gives its bytes)."""

    def __init__(self, path: str, *, headers: LooseHeaders, not_found: Callable[[], bytes] | None = None) -> None:
        super().__init__(path, headers=headers)
        self._not_found = not_found

    mtime: float | None = None  # of the file served (or its .gz sibling), once prepared

    async def prepare(self, request: BaseRequest) -> AbstractStreamWriter | None:
        # FileResponse.prepare (aiohttp 3.14), with _make_response called inline rather than in the thread pool.
        accept_encoding = request.headers.get(hdrs.ACCEPT_ENCODING, "").lower()
        try:
            result, fobj, st, file_encoding = self._make_response(request, accept_encoding)
            self.mtime = st.st_mtime  # the version's own date, for `announce_last_modified`
            if result is _FileResponseResult.SEND_FILE and not_modified_since(request, st.st_mtime):
                assert fobj is not None
                fobj.close()
                result = _FileResponseResult.NOT_MODIFIED
        except PermissionError:
            self.set_status(403)
            return await web.StreamResponse.prepare(self, request)
        except OSError:  # missing, or a symlink loop
            return await self._missing(request)
        if result is _FileResponseResult.NOT_ACCEPTABLE:  # not a regular file
            self.set_status(403)
            return await web.StreamResponse.prepare(self, request)
        if result is _FileResponseResult.PRE_CONDITION_FAILED:
            return await self._precondition_failed(request)
        if result is _FileResponseResult.NOT_MODIFIED:
            return await self._not_modified(request, f"{st.st_mtime_ns:x}-{st.st_size:x}", st.st_mtime)
        assert fobj is not None
        with fobj:
            return await self._prepare_open_file(request, fobj, st, file_encoding)

    async def _missing(self, request: BaseRequest) -> AbstractStreamWriter | None:
        self.set_status(404)
        if self._not_found is None:
            return await web.StreamResponse.prepare(self, request)
        page = self._not_found()
        self.headers.popall(hdrs.LINK, None)  # a missing feed names no hub nor self
        self.headers[hdrs.CONTENT_TYPE] = NOT_FOUND_TYPE
        self.content_length = len(page)
        writer = await web.StreamResponse.prepare(self, request)
        if request.method != hdrs.METH_HEAD:
            await self.write(page)
        return writer

    def _get_file_path_stat_encoding(
        self, accept_encoding: str
    ) -> tuple[pathlib.Path | None, os.stat_result, str | None]:
        if gzip_acceptable(accept_encoding):
            return super()._get_file_path_stat_encoding("gzip")
        return super()._get_file_path_stat_encoding("")

    async def _prepare_open_file(
        self, request: BaseRequest, fobj: io.BufferedReader, st: os.stat_result, file_encoding: str | None
    ) -> AbstractStreamWriter | None:
        condition = request.headers.get(hdrs.IF_RANGE)
        if condition is not None and hdrs.RANGE in request.headers:
            etag = f"{st.st_mtime_ns:x}-{st.st_size:x}"  # as FileResponse makes it
            headers = request.headers.copy()
            # Decided here, once: FileResponse would judge a date again on the fractional mtime.
            del headers[hdrs.IF_RANGE]
            if not if_range_holds(condition, etag, st.st_mtime):
                # The range is of a representation the client no longer has: send all of this one.
                del headers[hdrs.RANGE]
            request = request.clone(headers=headers)
        return await super()._prepare_open_file(request, fobj, st, file_encoding)


@functools.lru_cache(maxsize=256)
def http_date(seconds: int) -> str:
    """An HTTP date (IMF-fixdate) of a whole second since the epoch."""
    return formatdate(seconds, usegmt=True)


def announce_last_modified(request: BaseRequest, response: web.StreamResponse, now: int) -> None:
    """Last-Modified as sent (`now` is the response's Date): the served file's whole second, never later than the
    Date, and left out of a 200 that could not be dated after the copy the client revalidates.

    The publisher dates a version written within its predecessor's second a second later (atomic.py), so quick
    rewrites put a file's mtime ahead of the clock; RFC 9110 §8.8.2.1 then wants the Date in its place
    (https://www.rfc-editor.org/rfc/rfc9110#section-8.8.2.1). Two versions served within one second may then
    share a date, and libcurl (newsboat) drops a 200 whose Last-Modified is not after the If-Modified-Since it
    sent, keeping its stale copy; a 200 without Last-Modified it takes ("the last modification time of a file is
    not always known and in such instances this feature has no effect",
    https://curl.se/libcurl/c/CURLOPT_TIMECONDITION.html). Such a 200 carries only its new ETag, which the reader
    sends back as If-None-Match, and that decides its next 304 (RFC 9110 §13.2.2).
    """
    mtime = getattr(response, "mtime", None)
    if hdrs.LAST_MODIFIED not in response.headers or mtime is None:
        return
    announced = min(int(mtime), now)
    since = request.if_modified_since
    if response.status != 304 and since is not None and announced <= since.timestamp():
        del response.headers[hdrs.LAST_MODIFIED]
    else:
        response.headers[hdrs.LAST_MODIFIED] = http_date(announced)
