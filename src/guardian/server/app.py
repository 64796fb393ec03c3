"""`create_app(settings)`: the FastAPI application behind `guardian serve`.

Built once per process from settings; every piece of state it touches is in the database, so any
number of processes (or hosts, on PostgreSQL) can serve the same one.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.routing import Mount

from guardian import __version__
from guardian.server import errors
from guardian.server.access import ACCESS, rule_for
from guardian.server.dashboard import actions, pages
from guardian.server.dashboard import control as control_page
from guardian.server.dashboard import interventions as interventions_page
from guardian.server.middleware import BodyLimit, SecurityHeaders
from guardian.server.routes import (
    control,
    decide,
    decisions,
    events,
    grants,
    interventions,
    ledger,
    meta,
    proposals,
    registry,
)
from guardian.server.settings import ServerSettings
from guardian.server.state import ServerConfigError, ServerState

#: Route modules that bring their own access rules (seed 003's interventions and the registry).
EXTENSIONS = (interventions, registry, interventions_page, control, control_page)
for _module in EXTENSIONS:
    ACCESS.update(_module.ACCESS_RULES)

DESCRIPTION = """Governance runtime for tool-using AI agents.

Every endpoint but `/healthz` needs `Authorization: Bearer <token>` (create one with
`guardian token create`). Errors always have the shape `{"error": {"code", "message", "details"}}`.
"""


def flat_routes(app: FastAPI) -> list[Any]:
    """Every route, with included routers expanded (FastAPI >= 0.16x includes them lazily)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are copied into app.routes
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def route_keys(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves (a mount as GET of its prefix)."""
    keys: list[tuple[str, str]] = []
    for route in flat_routes(app):
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount):
            keys.append(("GET", original.path))
        else:
            keys.extend((m, route.path) for m in sorted(route.methods or ()) if m != "HEAD")
    return keys


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Add a router's routes to the app as they are (each already carries its router's prefix and
    dependencies). `include_router` would do the same, but FastAPI >= 0.16x includes routers
    lazily and re-resolves them on every request, a tenth of the CPU of a decide here."""
    app.router.routes.extend(router.routes)


def check_access(app: FastAPI) -> None:
    """Refuse to build an app with a route the access table does not cover, or a stale rule."""
    keys = route_keys(app)
    missing = [k for k in keys if rule_for(*k) is None]
    stale = sorted(set(ACCESS) - set(keys))
    if missing or stale:
        raise ServerConfigError(f"access table out of date: no rule for {missing}; "
                                f"rules for no route: {stale}")  # fmt: skip


def _import_hooks(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise ServerConfigError(f"--hooks {name}: cannot import it: {exc}") from exc


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    settings = settings or ServerSettings.from_env()
    _import_hooks(settings.hooks)
    state = ServerState(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        state.watcher.start()
        await run_in_threadpool(state.guardian.events.start)  # ledger entries reach the bus now
        try:
            yield
        finally:
            await state.watcher.stop()
            await run_in_threadpool(state.close)

    app = FastAPI(
        title="Guardian", version=__version__, description=DESCRIPTION, lifespan=lifespan,
        docs_url=None, redoc_url=None, openapi_url=None, swagger_ui_oauth2_redirect_url=None,
    )  # fmt: skip
    app.state.guardian = state
    errors.install(app)
    for module in (
        decide,
        decisions,
        proposals,
        meta,
        ledger,
        grants,
        events,
        pages,
        actions,
        *EXTENSIONS,
    ):
        add_routes(app, module.router)
    app.mount("/static", StaticFiles(directory=pages.HERE / "static"), name="static")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    check_access(app)
    return app
