"""HTTP: serve the published folder (feeds, pages) plus /status.json and /healthz, with aiohttp.

`web.FileResponse` (as corrected in fileresponse.py) does ETag, Last-Modified, 304, HEAD, Range and
pre-compressed `.gz` siblings (https://docs.aiohttp.org/en/stable/web_reference.html#fileresponse,
docs/libraries.md); this module decides which file a request may see and adds the caching headers;
connections.py bounds slow and numerous clients. `ServerThread` runs the app on its own loop so the caller's
main thread keeps signals.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import hdrs, web
from aiohttp.helpers import parse_http_date
from aiohttp.http_exceptions import HttpProcessingError
from multidict import istr

from feedsvc import gone as withdrawn
from feedsvc import ondemand
from feedsvc.connections import AcceptErrorReporter, GuardedSite, connection_cap
from feedsvc.fileresponse import NOT_FOUND_TYPE, ServedFile, announce_last_modified, http_date, read_not_found_page
from feedsvc.freshness import cache_control
from feedsvc.history import closed_month_max_age
from feedsvc.hotfiles import HotAnswer, HotFiles
from feedsvc.servepaths import resolve_cached

log = logging.getLogger(__name__)


class _ClientErrorsAtDebug(logging.Filter):
    """Malformed requests are the client's doing (scanners, TLS on the plain port): DEBUG, not ERROR tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], HttpProcessingError):
            if not _http_log.isEnabledFor(logging.DEBUG):
                return False
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


# aiohttp's connection-level logger for our server; handler exceptions (500s) still log at ERROR.
_http_log = logging.getLogger(f"{__name__}.http")
_http_log.addFilter(_ClientErrorsAtDebug())

MaxAge = Callable[[datetime | None], int]  # the served file's Last-Modified → max-age
Status = Callable[[], dict[str, Any]]
Links = Callable[[str], str | None]  # path relative to public/ → Link header value (WebSub discovery) or None
Route = Callable[[web.Request], Awaitable[web.StreamResponse]]
OnRequest = Callable[[str], bool]  # path relative to public/ → whether it was written now
Moved = Callable[[str], str | None]  # a request path → where it lives now (old section/author URLs), or None

_CACHED_STATUSES = frozenset({200, 206, 304})
_CACHEABLE = (web.FileResponse, HotAnswer)
# What response.last_modified gives, parsed once per distinct value rather than per request.
_last_modified = functools.lru_cache(maxsize=1024)(parse_http_date)


def _jsonable(value: Any) -> Any:
    iso = getattr(value, "isoformat", None)
    return iso() if callable(iso) else str(value)


def make_app(public: Path, *, max_age: MaxAge, status: Status, links: Links | None = None,
             websub: Route | None = None, health: Callable[[], str | None] = lambda: None,
             gone: Callable[[str], bool] = lambda _path: False, max_age_per_second: bool = True,
             moved: Moved | None = None, answered: Callable[[int], None] = lambda _status: None,
             fast: HotFiles | bool = True, on_request: OnRequest | None = None) -> web.Application:
    """The aiohttp application serving `public` (looked up per request; it may be empty or missing).

    `links` adds a Link header to served files (the hub and self of a feed); `websub` is the hub's POST route.
    `gone` says which paths (relative to public/) were withdrawn on purpose: they answer 410 Gone.
    `max_age` is asked once per file version and second (`max_age_per_second`), else on every request.
    `moved` names the new place of a path that is not in `public` (answered 301, with the query kept); `answered`
    is told the status of every answer (metrics). `fast`: common requests answered by hotfiles.py (this
    HotFiles, or a new one; False: every file by ServedFile, whose answers the fast path's must equal).
    `on_request` writes a page not in `public` yet, if it should be there (ondemand.py), before it is served.
    """
    root = os.path.realpath(public)
    # Its own threads: requests waiting for the desk (ondemand.WAIT_SECONDS) must not hold up /status.json's.
    writers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="feedsvc-on-request")
    hot = fast if isinstance(fast, HotFiles) else HotFiles() if fast else None
    not_found_page = functools.partial(read_not_found_page, root)

    def file_headers(ctype: str, relative: str) -> dict[istr, str]:
        # Vary on every file: any of them may have a .gz sibling that FileResponse would pick.
        headers = {hdrs.CONTENT_TYPE: ctype, hdrs.VARY: hdrs.ACCEPT_ENCODING}
        if links is not None and (link := links(relative)):
            headers[hdrs.LINK] = link
        return headers

    async def present(path: str) -> bool:
        """Whether the file at `path` exists, once `on_request` has written it if it should be there."""
        if not os.path.exists(path) and on_request is not None:
            # The store is read and the file written off the event loop, under the service's lock.
            relative = path[len(root) + 1:].replace(os.sep, "/")
            job = asyncio.get_running_loop().run_in_executor(writers, on_request, relative)
            try:  # bounded also while other requests queue for the two threads
                await asyncio.wait_for(job, ondemand.WAIT_SECONDS + 1)
            except TimeoutError:
                raise ondemand.Busy(relative) from None
        return os.path.exists(path)

    async def serve_file(request: web.Request) -> web.StreamResponse:
        try:
            return await find_and_serve(request)
        except ondemand.Busy:
            return web.Response(status=503, text="busy publishing; try again shortly\n",
                                headers={hdrs.RETRY_AFTER: str(ondemand.RETRY_AFTER), hdrs.CACHE_CONTROL: "no-store"})

    async def find_and_serve(request: web.Request) -> web.StreamResponse:
        # One resolution (5 lstat calls in realpath) per distinct target and second: the second in the key
        # bounds how long a symlink changed inside public/ by someone else goes unnoticed.
        found = resolve_cached(root, request.raw_path, int(time.monotonic()))
        # First the fast path: it answers only for a file that exists, so never where `moved` would.
        if found is not None and hot is not None:
            relative = found[0][len(root) + 1:].replace(os.sep, "/")
            if not gone(relative) and (answer := hot.answer(request, found[0], file_headers(found[1], relative))):
                return answer
        if moved is not None and (found is None or not os.path.exists(found[0])):
            target = moved(request.path)
            if target is not None:
                query = request.raw_path.partition("?")[2]
                # 301: readers (RFC 7231 6.4.2) and aggregators update a subscription on a permanent redirect.
                raise web.HTTPMovedPermanently(target + ("?" + query if query else ""))
        if found is None:
            path, _, query = request.raw_path.partition("?")
            folder = resolve_cached(root, path + "/", int(time.monotonic())) if not path.endswith("/") else None
            if folder is not None and await present(folder[0]):  # /sections/jing-ji → its page, as web servers do
                raise web.HTTPMovedPermanently(path + "/" + ("?" + query if query else ""))
            return web.Response(status=404, body=not_found_page(), headers={hdrs.CONTENT_TYPE: NOT_FOUND_TYPE})
        path, ctype = found
        if gone(relative := path[len(root) + 1:].replace(os.sep, "/")):  # withdrawn on purpose (feedsvc.gone)
            return withdrawn.response()
        await present(path)
        return ServedFile(path, headers=file_headers(ctype, relative), not_found=not_found_page)

    async def serve_status(request: web.Request) -> web.Response:
        # status() reads the store, which an ingestion may hold for a moment: keep the event loop free meanwhile.
        info = await asyncio.get_running_loop().run_in_executor(None, status)
        body = json.dumps(info, ensure_ascii=False, default=_jsonable)
        return web.Response(text=body, content_type="application/json", charset="utf-8",
                            headers={hdrs.CACHE_CONTROL: "no-cache"})

    async def serve_health(request: web.Request) -> web.Response:
        # 503 while the store or public/ cannot be written, so a monitor sees what the log says.
        fault = health()
        return web.Response(text=fault or "ok", status=503 if fault else 200, content_type="text/plain",
                            headers={hdrs.CACHE_CONTROL: "no-cache"})

    def fresh_max_age(served: str, last_modified: datetime | None, now: int) -> int:
        closed = closed_month_max_age(served, datetime.fromtimestamp(now, UTC))
        return closed if closed is not None else max(0, int(max_age(last_modified)))

    # Once per file version and second: the calendar's answer took ~22 µs, a tenth of a 304.
    cached_max_age = functools.lru_cache(maxsize=1024)(fresh_max_age) if max_age_per_second else fresh_max_age

    async def add_cache_headers(request: web.Request, response: web.StreamResponse) -> None:
        # Every answer: browsers must not guess a type other than the one declared (a feed sniffed as HTML).
        response.headers[hdrs.X_CONTENT_TYPE_OPTIONS] = "nosniff"
        answered(response.status)
        # FileResponse only learns its final status (404, 304, ...) inside prepare(), so the caching
        # headers go on here, and only on answers worth caching: a 404 before the first publish must not stick.
        if not isinstance(response, _CACHEABLE) or response.status not in _CACHED_STATUSES:
            return
        now = int(time.time())
        served = request.path.lstrip("/")
        seconds = cached_max_age(served, _last_modified(response.headers.get(hdrs.LAST_MODIFIED)), now)
        headers = response.headers
        headers[hdrs.DATE] = http_date(now)  # set here so Expires agrees with it to the second
        headers[hdrs.EXPIRES] = http_date(now + seconds)
        headers[hdrs.CACHE_CONTROL] = cache_control(seconds)
        announce_last_modified(request, response, now)

    app = web.Application()
    app.router.add_get("/healthz", serve_health)
    app.router.add_get("/status.json", serve_status)
    if websub is not None:
        app.router.add_post("/websub", websub)
    app.router.add_get("/{path:.*}", serve_file)  # add_get also answers HEAD; other methods get 405 + Allow
    app.on_response_prepare.append(add_cache_headers)
    return app


class ServerThread:
    """Runs an app on its own asyncio loop in a daemon thread, so the caller's main thread stays free (signals)."""

    def __init__(self, app: web.Application, host: str, port: int, *, request_timeout: float = 10.0,
                 max_connections: int = 1000) -> None:
        self._app = app
        self._request_timeout = request_timeout  # for a request head, and for an idle keep-alive connection
        self._max_connections = max_connections  # lowered below the descriptor limit (connection_cap)
        self._host = host
        self._requested_port = port  # 0 = any free port
        self._port = 0
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

    def start(self) -> None:
        """Bind and start serving; returns once the socket is bound, raising the bind error (OSError) here."""
        if self._thread is not None:
            raise RuntimeError("ServerThread.start() called twice")
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), name="feedsvc-http", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error

    @property
    def port(self) -> int:
        """The bound port (0 until start() returns)."""
        return self._port

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, let in-flight responses finish (up to `timeout`), close connections, join."""
        thread, loop, event, runner = self._thread, self._loop, self._stop_event, self._runner
        if thread is None or loop is None or event is None or runner is None or not thread.is_alive():
            return
        # BaseRunner takes its shutdown timeout only in the constructor; ours is known only now.
        runner._shutdown_timeout = timeout
        loop.call_soon_threadsafe(event.set)
        thread.join(timeout + 5.0)
        if thread.is_alive():
            log.warning("HTTP server thread did not stop within %.1f s", timeout + 5.0)

    async def _serve(self) -> None:
        asyncio.get_running_loop().set_exception_handler(AcceptErrorReporter())
        runner = web.AppRunner(self._app, access_log=None, logger=_http_log, handle_signals=False,
                               keepalive_timeout=self._request_timeout)
        try:
            await runner.setup()
            site = GuardedSite(runner, self._host, self._requested_port, connection_cap(self._max_connections))
            await site.start()
        except BaseException as exc:
            self._error = exc
            await runner.cleanup()
            self._ready.set()
            return
        self._port = runner.addresses[0][1]
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        self._runner = runner
        self._ready.set()
        try:
            await self._stop_event.wait()
            # Stop accepting, then let just-accepted sockets reach aiohttp's request loop: asyncio connects
            # the protocol one task after accept, and aiohttp starts reading one task later. A connection
            # caught in between misses cleanup()'s close and holds stop() for the whole timeout.
            for bound in list(runner.sites):
                await bound.stop()
            for _ in range(2):
                await asyncio.sleep(0)
        finally:
            await runner.cleanup()
