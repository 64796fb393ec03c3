"""Health, Prometheus metrics, and the OpenAPI document with its docs page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from guardian import __version__
from guardian.server.auth import authorize
from guardian.server.dashboard.guard import signed_in
from guardian.server.errors import ApiError, error_responses
from guardian.server.metrics import CONTENT_TYPE
from guardian.server.schemas import HealthOut
from guardian.server.state import state_of

router = APIRouter(tags=["meta"])

#: The docs page loads Swagger UI from its CDN; its own start-up code is /static/docs.js.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
_DOCS_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Guardian API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script></body></html>
"""


@router.get("/healthz", response_model=HealthOut, summary="Liveness: no credentials needed")
async def healthz() -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Prometheus text format",
        },
        **error_responses(),
    },
    summary="Prometheus metrics",
)
async def metrics(request: Request) -> Response:
    await authorize(request)
    body = await run_in_threadpool(state_of(request).metrics.render)
    return Response(body, media_type=CONTENT_TYPE)


async def _docs_access(request: Request) -> None:
    """A bearer token of any role, or a dashboard sign-in (a browser cannot send a bearer token)."""
    if request.headers.get("authorization"):
        await authorize(request)
        return
    if await signed_in(request) is None:
        raise ApiError(401, "unauthorized", "send a bearer token, or sign in at /login first")


@router.get("/openapi.json", include_in_schema=False)
async def openapi(request: Request) -> JSONResponse:
    await _docs_access(request)
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    await _docs_access(request)
    return HTMLResponse(_DOCS_HTML, headers={"Content-Security-Policy": DOCS_CSP})
