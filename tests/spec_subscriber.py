"""A WebSub subscriber written from the W3C Recommendation's text only (https://www.w3.org/TR/websub/),
without looking at feedsvc's hub: the independent party of the end-to-end tests.

§4 discovery from Link headers (RFC 8288) or the document's links; §5.1 subscription request; §5.3.1 it
confirms only what it asked for (else 404) by echoing hub.challenge; §7 it takes deliveries; §8 it checks
X-Hub-Signature and, as the spec says, still answers 2xx to a bad signature but ignores that delivery.
`behaviour` makes the callback misbehave for the failure tests. Loopback only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree

ATOM = "{http://www.w3.org/2005/Atom}"
_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')


def parse_link_header(value: str) -> list[tuple[str, str]]:
    """(url, rel) pairs of an RFC 8288 Link header; a rel may list several space-separated types."""
    found = []
    for url, params in _LINK.findall(value):
        rel = re.search(r';\s*rel\s*=\s*"?([^";]+)"?', params)
        if rel:
            found += [(url, r) for r in rel.group(1).split()]
    return found


def discover(url: str) -> tuple[list[str], str]:
    """(hub URLs, topic URL) of `url`: from the HTTP Link headers, else from the document (§4)."""
    with urllib.request.urlopen(url, timeout=5) as response:
        links = parse_link_header(", ".join(response.headers.get_all("Link") or []))
        body = response.read()
    hubs = [u for u, rel in links if rel == "hub"]
    selves = [u for u, rel in links if rel == "self"]
    if hubs and selves:
        return hubs, selves[0]
    root = ElementTree.fromstring(body)
    elements = root.iter(f"{ATOM}link")
    pairs = [(e.get("href", ""), e.get("rel", "")) for e in elements]
    return [u for u, rel in pairs if rel == "hub"], next(u for u, rel in pairs if rel == "self")


@dataclass
class Delivery:
    body: bytes
    content_type: str
    links: list[tuple[str, str]]
    authentic: bool  # signature present and right (or no secret was given)
    at: float


class Subscriber:
    """behaviour: "ok"; "fail" (500 to deliveries); "gone" (410); "slow" (answers after `delay` s);
    "huge" (answers deliveries with an endless body)."""

    def __init__(self, behaviour: str = "ok", delay: float = 30.0) -> None:
        self.behaviour, self.delay = behaviour, delay
        self.wanted: dict[tuple[str, str], str | None] = {}  # (mode, topic) → secret, until the hub verifies
        self.secrets: dict[str, str | None] = {}  # topic → secret of the active subscription
        self.verifications: list[dict[str, str]] = []
        self.deliveries: list[Delivery] = []
        self.attempts = 0  # delivery POSTs received, whatever the answer
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.callback = f"http://127.0.0.1:{self._server.server_address[1]}/push/{id(self):x}?via=spec"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def request(self, hub: str, mode: str, topic: str, secret: str | None = None,
                lease_seconds: int | None = None) -> tuple[int, str]:
        """§5.1: POST the subscription request; (status, body)."""
        self.wanted[(mode, topic)] = secret
        form = {"hub.callback": self.callback, "hub.mode": mode, "hub.topic": topic}
        if secret:
            form["hub.secret"] = secret
        if lease_seconds:
            form["hub.lease_seconds"] = str(lease_seconds)
        data = urllib.parse.urlencode(form).encode()
        try:
            with urllib.request.urlopen(urllib.request.Request(hub, data=data), timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def authentic(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.authentic]

    def _verify(self, query: dict[str, str]) -> tuple[int, bytes]:
        key = (query.get("hub.mode", ""), query.get("hub.topic", ""))
        if key not in self.wanted or "hub.challenge" not in query:
            return 404, b""  # §5.3.1: not something we asked for
        secret = self.wanted.pop(key)
        if key[0] == "subscribe":
            self.secrets[key[1]] = secret
        else:
            self.secrets.pop(key[1], None)
        self.verifications.append(query)
        return 200, query["hub.challenge"].encode()

    def _receive(self, body: bytes, headers: dict[str, str]) -> None:
        links = parse_link_header(headers.get("link", ""))
        topic = next((u for u, rel in links if rel == "self"), "")
        if topic not in self.secrets:
            return  # not (or no longer) subscribed
        secret, authentic = self.secrets[topic], True
        if secret:
            method, _, given = headers.get("x-hub-signature", "").partition("=")
            if method not in ("sha1", "sha256", "sha384", "sha512"):
                authentic = False
            else:
                expected = hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()
                authentic = hmac.compare_digest(expected, given)
        self.deliveries.append(Delivery(body, headers.get("content-type", ""), links, authentic, time.monotonic()))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes = b"") -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                self._send(*subscriber._verify(query))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                subscriber.attempts += 1
                behaviour = subscriber.behaviour
                if behaviour == "slow":
                    subscriber._closing.wait(subscriber.delay)
                elif behaviour == "huge":
                    self.send_response(200)
                    self.end_headers()
                    chunk = b"x" * 65536
                    try:
                        for _ in range(2000):  # up to 128 MB, until the hub hangs up
                            if subscriber._closing.is_set():
                                return
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    return
                if behaviour in ("fail", "gone"):
                    self._send(500 if behaviour == "fail" else 410)
                    return
                subscriber._receive(body, {k.lower(): v for k, v in self.headers.items()})
                self._send(200)  # §8: 2xx even when the signature is wrong; the delivery is ignored

        return Handler
