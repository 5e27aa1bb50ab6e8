"""The subscribers of the push benchmark, as a process of their own (`python -m bench.push_subscriber OUT`): one
aiohttp server on 127.0.0.1 with many callback URLs (/cb/N), each a subscription of its own.

Verification GETs echo hub.challenge. A delivery POST whose body holds the current marker (set by POST /marker)
appends "N <time.time()>" to OUT. The first line on stdout is the port.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from aiohttp import web


async def serve(out: Path) -> None:
    marker = [b"\x00nothing yet"]
    log = out.open("a", buffering=1)

    async def verify(request: web.Request) -> web.Response:
        return web.Response(text=request.query.get("hub.challenge", ""))

    async def deliver(request: web.Request) -> web.Response:
        body = await request.read()
        if marker[0] in body:
            log.write(f"{request.match_info['n']} {time.time():.6f}\n")
        return web.Response(status=204)

    async def set_marker(request: web.Request) -> web.Response:
        marker[0] = await request.read()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/cb/{n}", verify)
    app.router.add_post("/cb/{n}", deliver)
    app.router.add_post("/marker", set_marker)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()  # until the benchmark kills the process


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1])))
