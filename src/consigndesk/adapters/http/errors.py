"""Every error leaves as `{"error": {"code", "message"}}` with a fitting status."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from consigndesk.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    StaleVersion,
    Unauthorized,
)

log = structlog.get_logger(__name__)

STATUS_FOR: list[tuple[type[DomainError], int]] = [
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (StaleVersion, 409),
    (Conflict, 409),
    (InvalidTransition, 409),
    (InvalidInput, 422),
]


class ApiError(Exception):
    """An error raised by the HTTP layer itself (auth headers, body size …)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_body(code: str, message: str) -> dict[str, Any]:
    """The error shape. A message that quotes the request cannot break the response: a lone
    surrogate in it is written as its escape (`\\ud800`), which UTF-8 can carry."""
    return {"error": {"code": code, "message": _printable(message)}}


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _status_for(exc: DomainError) -> int:
    for cls, status in STATUS_FOR:
        if isinstance(exc, cls):
            return status
    return 400


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{loc or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is invalid"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=_status_for(exc))

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        invalid_json = any(e.get("type") == "json_invalid" for e in exc.errors())
        code = "invalid_json" if invalid_json else "invalid_input"
        return JSONResponse(error_body(code, _describe_validation(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        return JSONResponse(
            error_body(codes.get(exc.status_code, "http_error"), str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("http.integrity_error", error=str(exc.orig)[:300])
        return JSONResponse(
            error_body(
                "concurrent_duplicate",
                "a concurrent request stored the same thing; retry to get the result",
            ),
            status_code=409,
        )

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, exc: StaleDataError) -> JSONResponse:
        return JSONResponse(
            error_body(
                "stale_version", "the ticket was changed by someone else; reload it and try again"
            ),
            status_code=409,
        )

    @app.exception_handler(OperationalError)
    async def _operational(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("http.database_unavailable", error=str(exc.orig)[:300])
        return JSONResponse(
            error_body("database_unavailable", "the database is busy or unreachable; retry"),
            status_code=503,
        )
