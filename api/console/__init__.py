"""The operator console: server-rendered pages for the centre's duty desk, beside the JSON API.

Pages use the same services (scoping, lifecycle, queries) as `/v1`; a browser session stands in for
the bearer token. Strings come from the message catalogue (`messages/`), zh-CN by default.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.console import (
    live_route,
    pages_auth,
    pages_box_config,
    pages_camera,
    pages_dashboard,
    pages_devices,
    pages_event,
    pages_map,
    pages_quality,
    pages_queue,
)
from api.console.i18n import load_catalogue
from api.console.templating import STATIC

ROUTERS = (
    pages_auth.router,
    pages_queue.router,
    pages_event.router,
    pages_dashboard.router,
    pages_map.router,
    pages_quality.router,
    pages_devices.router,
    pages_camera.router,
    pages_box_config.router,
    live_route.router,
)


def install_console(app: FastAPI) -> None:
    """Add the console's routes and static files to the API app (the catalogue is checked now)."""
    load_catalogue()
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static/console", StaticFiles(directory=STATIC), name="console-static")
