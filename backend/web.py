"""The project's aiohttp application: built by a factory, nothing opened at import."""

from __future__ import annotations

from aiohttp import web


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def init_app() -> web.Application:
    """The application with the backend's routes; channels add theirs (the Telegram webhook)."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_get("/healthz", health)
    return app
