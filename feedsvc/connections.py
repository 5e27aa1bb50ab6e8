"""Limits that keep slow or numerous clients from starving the server (and the rest of the process) of
descriptors: a cap on open connections below RLIMIT_NOFILE, and accept() failures logged at most once a minute.

The request timeout itself is aiohttp's `keepalive_timeout`: its timer runs from a connection's start and from
the end of each response until a complete request head has arrived, so it bounds a silent connection, a
trickled request head and an idle keep-alive alike (aiohttp/web_protocol.py, `_process_keepalive`).
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger("feedsvc.serve")

# Descriptors kept for everything but client sockets: the store, the watcher, the publisher's temp files, logs.
RESERVED_DESCRIPTORS = 64
ACCEPT_ERROR_EVERY = 60.0  # seconds between two reports of failing accept() calls
_REFUSAL = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
            b"X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n")


def connection_cap(wanted: int) -> int:
    """`wanted`, lowered so that every connection can hold its socket and the file it is sent within the soft
    descriptor limit, less a reserve."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, (soft - RESERVED_DESCRIPTORS) // 2))


class _Refused(asyncio.Protocol):
    """A connection over the cap with no idle one to make room: a 503 and close, without reading."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(_REFUSAL)
        transport.close()


class ConnectionGuard:
    """The protocol factory given to `loop.create_server` in place of aiohttp's `Server`.

    At the cap, the connection idle longest (waiting for a request: silent, trickling or kept alive) is closed
    to make room, as nginx reuses keep-alive connections when it runs out; a connection younger than
    `GRACE_SECONDS` is never chosen (its request may be read but not yet handled), and with none to close the
    newcomer gets a 503.
    """

    GRACE_SECONDS = 1.0

    def __init__(self, server: web.Server, cap: int) -> None:
        self._server, self.cap = server, cap
        # RequestHandler has __slots__ without __weakref__: plain containers, pruned to the live connections.
        self._born: dict[RequestHandler, float] = {}
        self._closing: set[RequestHandler] = set()

    def __call__(self) -> asyncio.Protocol:
        now = time.monotonic()
        live = self._server.connections
        if len(self._born) > 2 * len(live) + 64:
            kept = set(live)
            self._born = {h: t for h, t in self._born.items() if h in kept}
            self._closing &= kept
        open_now = [h for h in live if h not in self._closing]
        if len(open_now) >= self.cap:
            # aiohttp marks a handler busy from reading a request to the end of its response; dict order is
            # the order of connection, oldest first.
            idle = next((h for h in open_now if not h._request_in_progress
                         and now - self._born.get(h, now) >= self.GRACE_SECONDS), None)
            if idle is None:
                return _Refused()
            self._closing.add(idle)
            idle.force_close()
        handler = self._server()
        self._born[handler] = now
        return handler


class AcceptErrorReporter:
    """An event loop exception handler: asyncio reports every failed accept() (EMFILE: too many open files)
    with a traceback and retries a second later; one line a minute says the same."""

    def __init__(self, every: float = ACCEPT_ERROR_EVERY) -> None:
        self._every, self._last, self._quiet = every, float("-inf"), 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != "socket.accept() out of system resource":
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - self._last < self._every:
            self._quiet += 1
            return
        more = f" ({self._quiet} more since the last report)" if self._quiet else ""
        log.error("cannot accept new connections: %s%s", context.get("exception"), more)
        self._last, self._quiet = now, 0


class GuardedSite(web.TCPSite):
    """`web.TCPSite` whose connections go through a `ConnectionGuard`."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, cap: int) -> None:
        # asyncio accepts up to `backlog` connections at each wake-up before the guard can close any: at most
        # the cap, so a flood stays within the descriptors connection_cap left (cap + backlog <= the limit).
        super().__init__(runner, host, port, backlog=min(128, cap))
        self._cap = cap

    async def start(self) -> None:
        # As TCPSite.start, with the guard as the protocol factory (BaseSite.start registers the site).
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            ConnectionGuard(server, self._cap), self._host, self._port,
            backlog=self._backlog, reuse_address=self._reuse_address, reuse_port=self._reuse_port)
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port
