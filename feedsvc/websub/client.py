"""The hub's outgoing requests: verification of intent (§5.3), content distribution (§7), publish pings.

Every request has a deadline covering connect, headers and body; a callback's answer is read only as far as
needed (at most `max_response_bytes`); redirects are not followed (a redirect could lead anywhere) and no
proxy from the environment is used. Callback addresses are checked by `callbacks`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass

import aiohttp
from yarl import URL

from feedsvc.websub.callbacks import CallbackRefused, CheckingResolver, Policy, check_url
from feedsvc.websub.settings import WebSubSettings
from feedsvc.websub.topics import Document

USER_AGENT = "feedsvc-websub (+https://www.w3.org/TR/websub/)"
_ERRORS = (aiohttp.ClientError, OSError, TimeoutError, ValueError)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    gone: bool = False  # 410 Gone: the subscriber ended the subscription (§7 lets the hub drop it)
    error: str = ""


def signature(secret: str, body: bytes) -> str:
    """The X-Hub-Signature value (§8): sha256 HMAC of the body keyed with the subscriber's secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"[:300]


class Client:
    """One aiohttp session, created on the hub's loop by `start`."""

    def __init__(self, settings: WebSubSettings) -> None:
        self.policy = Policy(settings.allowed_callback_networks)
        self._timeout = settings.timeout_seconds
        self._cap = settings.max_response_bytes
        self._limit = settings.concurrency
        self._sessions: list[aiohttp.ClientSession] = []

    def _new_session(self, resolver: CheckingResolver | None) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=resolver, limit=self._limit), trust_env=False,
            headers={"User-Agent": USER_AGENT},
            timeout=aiohttp.ClientTimeout(total=self._timeout, connect=self._timeout),
        )
        self._sessions.append(session)
        return session

    async def start(self) -> None:
        self._resolver = CheckingResolver(self.policy)
        self.session = self._new_session(self._resolver)  # callbacks: strangers' URLs, checked
        self._operator = self._new_session(None)  # external hubs: the operator's own configuration

    async def close(self) -> None:
        for session in self._sessions:
            await session.close()

    async def check(self, callback: str) -> None:
        """Refuse (CallbackRefused) a callback we would not connect to: literal addresses and resolved names."""
        host, port = check_url(callback, self.policy)
        try:
            await self._resolver.resolve(host, port)
        except OSError as exc:
            raise CallbackRefused(str(exc)) from None

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        data = bytearray()
        async for chunk in response.content.iter_any():
            data += chunk
            if len(data) > self._cap:
                break
        return bytes(data[: self._cap + 1])

    async def verify(self, callback: str, params: dict[str, str]) -> str:
        """GET the callback with the verification parameters; "" when it echoed hub.challenge, else why not."""
        try:
            check_url(callback, self.policy)
            url = URL(callback).with_fragment(None).extend_query(params)
            async with asyncio.timeout(self._timeout), \
                    self.session.get(url, allow_redirects=False) as response:
                if not 200 <= response.status < 300:
                    return f"answered {response.status}"
                body = await self._read(response)
        except _ERRORS as exc:
            return _describe(exc)
        if body.strip() != params["hub.challenge"].encode("ascii"):
            return "did not echo hub.challenge"
        return ""

    async def deliver(self, callback: str, document: Document, links: str, secret: str | None) -> Outcome:
        """POST the topic's current document to the callback (§7)."""
        headers = {"Content-Type": document.content_type, "Link": links}
        if secret:
            headers["X-Hub-Signature"] = signature(secret, document.body)
        try:
            check_url(callback, self.policy)
            async with asyncio.timeout(self._timeout), \
                    self.session.post(callback, data=document.body, headers=headers,
                                      allow_redirects=False) as response:
                status = response.status  # the body is never read: leaving the block closes the connection
        except _ERRORS as exc:
            return Outcome(False, error=_describe(exc))
        if 200 <= status < 300:
            return Outcome(True)
        return Outcome(False, gone=status == 410, error=f"answered {status}")

    async def ping(self, hub: str, topic: str) -> str:
        """Tell an external hub that `topic` changed (hub.mode=publish, as hubs accept it); "" on success."""
        form = {"hub.mode": "publish", "hub.url": topic, "hub.topic": topic}
        try:
            async with asyncio.timeout(self._timeout), \
                    self._operator.post(hub, data=form, allow_redirects=False) as response:
                status = response.status
        except _ERRORS as exc:
            return _describe(exc)
        return "" if 200 <= status < 300 else f"answered {status}"
