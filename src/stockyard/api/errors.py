"""One error shape for every failure: ``{"error": {"code", "message", "field", "details"}}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from stockyard.domain.errors import DomainError, InvalidInput, NotFound

# Renders a refusal for a person in the web console; the API answers JSON.
HtmlRenderer = Callable[[Request, DomainError, int], Response]

STATUS = {"invalid": 422, "not_found": 404, "conflict": 409, "unauthenticated": 401, "forbidden": 403,
          "throttled": 429}


def error_body(code: str, message: str, field: str | None = None, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field, "details": details or {}}}


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [p for p in location if p not in ("body", "query", "path", "header")]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or ".".join(map(str, location))


_LIMIT = 2**63


def _out_of_range(request: Request) -> str | None:
    for name, value in [*request.path_params.items(), *request.query_params.items()]:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if not -_LIMIT <= number < _LIMIT:
            return str(name)
    return None


def install(app: FastAPI, html: HtmlRenderer | None = None, is_console: Callable[[str], bool] | None = None) -> None:
    def for_person(request: Request) -> bool:
        return html is not None and is_console is not None and is_console(request.url.path)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        if for_person(request) and html is not None:
            return html(request, error, STATUS[error.kind])
        headers = {}
        if error.kind == "unauthenticated":
            headers["WWW-Authenticate"] = "Bearer"
        if "retry_after" in error.details:
            headers["Retry-After"] = str(error.details["retry_after"])
        return JSONResponse(error_body(error.code, error.message, error.field, error.details),
                            status_code=STATUS[error.kind], headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        problems = [{"field": _field_path(tuple(e["loc"])), "message": e["msg"], "type": e["type"]}
                    for e in error.errors()]
        first = problems[0] if problems else {"field": None, "message": "invalid request"}
        if for_person(request) and html is not None:
            return html(request, InvalidInput(str(first["message"]), field=first["field"]), 422)
        return JSONResponse(error_body("invalid", f"{first['field']}: {first['message']}", first["field"],
                                       {"problems": problems}), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if for_person(request) and html is not None and error.status_code == 404:
            return html(request, NotFound(str(error.detail)), 404)
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated",
                403: "forbidden"}.get(error.status_code, "http_error")
        return JSONResponse(error_body(code, str(error.detail)), status_code=error.status_code,
                            headers=getattr(error, "headers", None))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, _: Exception) -> JSONResponse:
        # A path or query number beyond the database's 64-bit integers (the driver refuses it).
        field = _out_of_range(request)
        return JSONResponse(error_body("out_of_range", f"{field or 'a number'} is out of range", field),
                            status_code=422)

    @app.exception_handler(IntegrityError)
    async def integrity_error(_: Request, error: IntegrityError) -> JSONResponse:
        # A constraint the services did not foresee: still the client's conflict, never a 500.
        return JSONResponse(error_body("conflict", "the change conflicts with existing data",
                                       details={"constraint": str(error.orig).splitlines()[0]}),
                            status_code=409)
