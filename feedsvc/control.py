"""The local control channel: `feedsvc.sock`, a Unix socket in the data folder (mode 0600), served by the daemon.

The operator's commands (`release`, `withdraw`, `build`, `ingest`, `status`) hand their work to a running daemon
through it, so the daemon's own address and port (its links), its in-memory state and its jobs are used: a second
process writing the same site would rewrite it with another idea of both. When no daemon serves the folder,
`ask` answers None and the command takes the data folder's lock and works directly (feedsvc.operator).

One JSON object a line each way: a request {"command": …, …}, then a `Reply`. Beyond the socket's mode, only
the daemon's own user and root are answered (the peer's credentials, SO_PEERCRED: unix(7)).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import socketserver
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("feedsvc")

SOCKET_FILE = "feedsvc.sock"
_MAX_REQUEST = 1 << 20  # a request names files; a megabyte of names is a mistake, not a backfill
_SUN_PATH = 100  # sockaddr_un.sun_path holds 108 bytes on Linux; a longer path goes through /proc/self/fd


@dataclass
class Reply:
    """What a command did: `lines` for stdout, `errors` for stderr, `code` the exit status, `data` for --json."""

    code: int = 0
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    data: dict[str, Any] | None = None

    @classmethod
    def refused(cls, message: str) -> Reply:
        return cls(1, errors=[message])

    def encode(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, default=str).encode() + b"\n"

    @classmethod
    def decode(cls, raw: bytes) -> Reply:
        fields = json.loads(raw)
        return cls(int(fields["code"]), list(fields["lines"]), list(fields["errors"]), fields.get("data"))


Handler = Callable[[dict[str, Any]], Reply]


@contextlib.contextmanager
def _address(data: Path) -> Iterator[str]:
    """The socket's address: its path, or the same file reached through a descriptor of the data folder when the
    path is too long for a socket address (a deep test or container folder)."""
    path = str(data / SOCKET_FILE)
    if len(os.fsencode(path)) <= _SUN_PATH:
        yield path
        return
    fd = os.open(data, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield f"/proc/self/fd/{fd}/{SOCKET_FILE}"
    finally:
        os.close(fd)


def _peer_allowed(sock: socket.socket) -> bool:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid in (0, os.geteuid())


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = False  # stop() waits for a command under way: the service closes after it
    block_on_close = True


class ControlServer:
    """Serves the control channel of the data folder `data` with `handle`. The socket is bound at construction
    (a command arriving while the daemon starts waits in the backlog), answered from `start()` on."""

    def __init__(self, data: Path, handle: Handler) -> None:
        self.path = data / SOCKET_FILE
        self._handle = handle
        # The caller holds the data folder's lock: a socket file left here is a dead daemon's.
        self.path.unlink(missing_ok=True)
        request_handler = self._request_handler()
        old = os.umask(0o177)  # the socket is created 0600, never briefly open to others
        try:
            with _address(data) as address:
                self._server = _Server(address, request_handler)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        self._thread: threading.Thread | None = None

    def _request_handler(self) -> type[socketserver.StreamRequestHandler]:
        handle = self._handle

        class Request(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                if not _peer_allowed(self.request):
                    self.wfile.write(Reply.refused("not allowed: another user").encode())
                    return
                raw = self.rfile.readline(_MAX_REQUEST)
                try:
                    request = json.loads(raw)
                    if not isinstance(request, dict):
                        raise ValueError("not an object")
                except ValueError as exc:
                    self.wfile.write(Reply.refused(f"malformed request: {exc}").encode())
                    return
                try:
                    reply = handle(request)
                except Exception as exc:  # the daemon keeps serving; the operator sees why
                    log.exception("control command %s failed", request.get("command"))
                    reply = Reply.refused(f"the daemon failed to {request.get('command')}: {exc}")
                self.wfile.write(reply.encode())

        return Request

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="feedsvc-control", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop answering, wait for a command under way, remove the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        self.path.unlink(missing_ok=True)


def ask(data: Path, request: dict[str, Any]) -> Reply | None:
    """Hand `request` to the daemon serving `data` and wait for its reply (an ingest may take minutes); None when
    no daemon serves it (no socket, or one a killed daemon left)."""
    if not (data / SOCKET_FILE).exists():
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock, _address(data) as address:
        try:
            sock.connect(address)
        except (FileNotFoundError, ConnectionRefusedError):
            return None
        except PermissionError:  # the daemon runs as another user (systemd's feedsvc): its socket is 0600
            return Reply.refused(f"the daemon serving {data} runs as another user and its control channel "
                                 f"{data / SOCKET_FILE} is theirs: run this as that user (sudo -u …) or root")
        sock.sendall(json.dumps(request, ensure_ascii=False).encode() + b"\n")
        with sock.makefile("rb") as answer:
            raw = answer.readline()
    if not raw:
        return Reply.refused(f"the daemon serving {data} closed the control channel without answering")
    return Reply.decode(raw)
