"""Values no database column can hold are refused where a request comes in, not where a query
fails: U+0000 and lone surrogates in any text (path, query, JSON or form field), integers beyond
64 bits and non-finite numbers in JSON. Each is a 422 naming the field (ADR 0023)."""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from consigndesk.adapters.http.errors import ApiError
from consigndesk.domain.text import has_lone_surrogate, has_nul

INT64 = range(-(2**63), 2**63)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class CheckedRoute(APIRoute):
    """A route that checks every value of the request before FastAPI validates it. The body is
    parsed once: FastAPI reads the same parsed JSON (or form) back from the request."""

    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()
        takes_body = self.body_field is not None

        async def checked(request: Request) -> Response:
            for name, value in request.path_params.items():
                _check_text(f"path.{name}", value)
            for name, value in request.query_params.multi_items():
                _check_text(f"query.{name}", name)
                _check_text(f"query.{name}", value)
            await _check_body(request, takes_body)
            return await handle(request)

        return checked


async def _check_body(request: Request, takes_body: bool) -> None:
    """The body of a route that declares one (a route that reads its own, such as the signed
    voice webhook, calls `check_form` once it has verified the signature)."""
    if not takes_body:
        return
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        if not await request.body():
            return  # FastAPI answers a missing body
        try:
            body = await request.json()
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested too deeply
            raise ApiError(422, "invalid_json", "the body is not valid JSON") from None
        for where, value in _leaves(body):
            _check_json_value(where, value)
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # Starlette's default limits, which FastAPI also uses while no router sets form_limits;
        # the parsed form is cached on the request and handed to the route as it is.
        check_form(await request.form())


def check_form(form: FormData) -> None:
    """Every text field of a parsed form (files are bytes: anything goes)."""
    for name, value in form.multi_items():
        if isinstance(value, str):
            _check_text(f"form.{name}", value)


def _leaves(document: Any) -> Iterator[tuple[str, Any]]:
    """Every key and scalar of a parsed JSON document with where it is (`body.items.0.kind`);
    iterative, so a deeply nested document costs no recursion."""
    stack: list[tuple[str, Any]] = [("body", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                yield f"{where}.{key}", key
                stack.append((f"{where}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{i}", item) for i, item in enumerate(value))
        else:
            yield where, value


def _check_json_value(where: str, value: Any) -> None:
    if isinstance(value, str):
        _check_text(where, value)
    elif isinstance(value, int) and not isinstance(value, bool) and value not in INT64:
        raise ApiError(422, "invalid_input", f"{where[:200]}: the number is beyond 64 bits")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ApiError(422, "invalid_input", f"{where[:200]}: the number must be finite")


def _check_text(where: str, text: str) -> None:
    if has_nul(text):
        raise ApiError(422, "invalid_input", f"{where[:200]}: text must not contain U+0000 (NUL)")
    if has_lone_surrogate(text):
        raise ApiError(
            422, "invalid_input", f"{where[:200]}: text holds a lone surrogate (not valid Unicode)"
        )
