"""What the pages of a withdrawn issue answer (`feedsvc withdraw`): 410 Gone with a short page saying so. 410,
not 404: the link is not broken, the text was taken back on purpose
(https://www.rfc-editor.org/rfc/rfc9110#section-15.5.11)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

PAGE = (Path(__file__).parent / "templates" / "gone.html").read_text(encoding="utf-8")


def response() -> web.Response:
    return web.Response(status=410, text=PAGE, content_type="text/html", charset="utf-8")
