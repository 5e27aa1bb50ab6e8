"""The hub's HTTP side: POST /websub (§5.1) and the Link headers (§4) on served feeds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import hdrs, web

from feedsvc.clock import Clock
from feedsvc.config import Settings
from feedsvc.websub.discovery import link_header
from feedsvc.websub.hub import Hub
from feedsvc.websub.topics import Topics

MAX_REQUEST_BYTES = 8192  # a subscription request is a few hundred bytes of form fields
FORM = "application/x-www-form-urlencoded"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _answer(status: int, reason: str) -> web.Response:
    return web.Response(status=status, text=reason + "\n" if reason else "",
                        headers={hdrs.CACHE_CONTROL: "no-store"})


def handler(hub: Hub) -> Handler:
    async def websub(request: web.Request) -> web.StreamResponse:
        if request.content_type != FORM:
            return _answer(415, f"a subscription request is {FORM}")
        body = await request.content.read(MAX_REQUEST_BYTES + 1)
        if len(body) > MAX_REQUEST_BYTES:
            return _answer(413, "request too large")
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20))
        except (UnicodeDecodeError, ValueError):
            return _answer(400, "malformed form")
        status, reason = await hub.request(form, request.remote or "")
        return _answer(status, reason)

    return websub


def links(hub: Hub) -> Callable[[str], str | None]:
    """For serve.make_app: the Link header of a served file, by its path relative to the site root."""
    return lambda relative: link_header(hub.topics.site_url, hub.hubs, relative)


def hub_for(settings: Settings, clock: Clock) -> Hub | None:
    """The hub of a daemon (built-in, or the pinger of external hubs), None when WebSub is off."""
    if not settings.websub.enabled:
        return None
    return Hub(settings.websub, settings.database, Topics(settings.public, settings.site_url), clock)


def app_hooks(hub: Hub | None) -> dict[str, Any]:
    """serve.make_app's keyword arguments for WebSub: Link headers, and the route when the hub is ours."""
    if hub is None:
        return {}
    return {"links": links(hub), "websub": handler(hub) if hub.settings.builtin else None}
