"""Signing in and out, the language, and the handheld's task menu."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from stockyard.api.deps import SESSION_COOKIE, client_address, get_db, get_principal, presented_token
from stockyard.config import get_settings
from stockyard.domain.errors import DomainError, Unauthenticated
from stockyard.services import access, auth
from stockyard.web import core, i18n, nav
from stockyard.web.deps import Csrf, SignedInPage

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return core.render(request, "login.html", {"next": core.safe_next(next) if next else "", "title": "Sign in"})


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=256)], next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    db = get_db(request)
    try:
        started = auth.login(db, username, password, address=client_address(request),
                             user_agent=request.headers.get("user-agent"), previous_token=presented_token(request))
    except DomainError as error:
        context = {"error": error, "headline": core.KIND_HEADLINES.get(error.kind, core.KIND_HEADLINES["invalid"]),
                   "next": core.safe_next(next), "username": username}
        return core.render(request, "login.html", context, status_code=401 if error.kind == "unauthenticated"
                           else 429)
    me = access.me(db, started.principal)
    target = core.safe_next(next) if next else nav.landing_page(started.principal)
    response = RedirectResponse(target, status_code=303)
    settings = get_settings()
    response.set_cookie(SESSION_COOKIE, started.token, httponly=True, samesite="strict",
                        secure=settings.cookie_secure, max_age=settings.session_absolute_hours * 3600)
    _remember_language(response, str(me.get("language") or i18n.DEFAULT_LANGUAGE))
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, principal: SignedInPage) -> Response:
    auth.logout(get_db(request), principal)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/language", dependencies=[Csrf])
def choose_language(request: Request, language: Annotated[str, Form(max_length=10)],
                    next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    """Switch the console's language; a signed-in person keeps the choice in their profile."""
    if language not in i18n.LANGUAGES:
        language = i18n.DEFAULT_LANGUAGE
    if request.cookies.get(SESSION_COOKIE):
        try:
            principal = get_principal(request)
        except Unauthenticated:
            principal = None
        if principal is not None:
            access.set_own_language(get_db(request), principal, language)
    response = RedirectResponse(core.safe_next(next), status_code=303)
    _remember_language(response, language)
    return response


def _remember_language(response: Response, language: str) -> None:
    response.set_cookie(i18n.LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax",
                        secure=get_settings().cookie_secure)


@router.get("/m")
def handheld_menu(request: Request, principal: SignedInPage) -> Response:
    return core.render(request, "handheld/menu.html", {"title": "Tasks"}, principal=principal)
