"""One error shape for every error: `{"error": {"code", "message", "details"}}`.

Validation errors, unknown paths, wrong methods, auth failures, domain refusals and bugs all leave the
server in this shape. A bug is logged here with its traceback and answered with a bare 500: no stack
trace, exception text or file path ever reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response

from guardian.core.errors import GuardianError, IntentError
from guardian.governance.approvals import ApprovalConflict, ApprovalForbidden, ProposalNotFound
from guardian.governance.grants import GrantError, GrantNotFound
from guardian.governance.receipts import ReceiptError

log = logging.getLogger("guardian.server")


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """Raised by handlers and dependencies for a refusal the client should see as it is."""

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


#: Domain errors and the status each means over HTTP (checked in order: subclasses first).
DOMAIN_STATUS: tuple[tuple[type[GuardianError], int], ...] = (
    (ApprovalForbidden, 403),
    (ApprovalConflict, 409),
    (ProposalNotFound, 404),
    (GrantNotFound, 404),
    (GrantError, 422),
    (ReceiptError, 409),
    (IntentError, 422),
)

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "body_too_large",
    415: "unsupported_media_type", 422: "invalid_request", 429: "too_many_requests",
}  # fmt: skip


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> Response:  # fmt: skip
    body = {"error": {"code": code, "message": message, "details": details}}
    return Response(orjson.dumps(body, default=str), status, headers, "application/json")


def domain_error(exc: GuardianError) -> ApiError:
    """The ApiError a domain exception stands for (422 for an unexpected GuardianError)."""
    status = next((s for kind, s in DOMAIN_STATUS if isinstance(exc, kind)), 422)
    details = {"flag": exc.flag} if isinstance(exc, ApprovalForbidden) else None
    return ApiError(status, exc.code, str(exc), details)


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def _guardian_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, GuardianError)
    api = domain_error(exc)
    return error_response(api.status, api.code, api.message, api.details)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = "no such resource"
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        message = (
            f"method not allowed here; allowed: {allowed}" if allowed else "method not allowed"
        )
    return error_response(exc.status_code, code, message, None, dict(exc.headers or {}))


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", ""),
         "type": e.get("type", "")}
        for e in exc.errors()
    ]  # fmt: skip
    first = problems[0] if problems else {"where": "request", "problem": "invalid"}
    message = f"{first['where']}: {first['problem']}"
    return error_response(422, "invalid_request", message, problems)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal server error; see the server log")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(GuardianError, _guardian_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _internal_error)


#: OpenAPI `responses=` for the errors every authenticated route may answer.
def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        401: "no, unknown, expired or revoked token", 403: "the caller's role may not do this",
        404: "no such resource", 409: "conflict with the current state",
        413: "request body too large", 422: "invalid request",
    }  # fmt: skip
    return {
        s: {"model": ErrorBody, "description": descriptions.get(s, "error")}
        for s in (401, 403, 413, 422, *statuses)
    }
