"""What every console page shares: templates, the language, the signed-in principal, CSRF and errors.

Pages call the same services as the API and hold no rule of their own; a route here parses the form or the
scan, calls the service and renders its answer."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from stockyard.api.deps import SESSION_COOKIE
from stockyard.config import get_settings
from stockyard.domain.access import Principal
from stockyard.domain.errors import DomainError, InvalidInput
from stockyard.web import i18n
from stockyard.web.i18n import N_
from stockyard.web.nav import desktop_sections, handheld_flows
from stockyard.web.refusals import refusal

TEMPLATES = Path(__file__).parent / "templates"
_language: ContextVar[str] = ContextVar("language", default=i18n.DEFAULT_LANGUAGE)


def _gettext(message: str) -> str:
    return i18n.translations(_language.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translations(_language.get()).ngettext(singular, plural, n)


env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(("html", "xml")),
                  extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
env.globals["refusal"] = refusal


def language_of(request: Request) -> str:
    return i18n.negotiate(request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language"))


def gettext_for(request: Request) -> Any:
    """``_`` for texts a route builds (flash messages): the page's language."""
    return i18n.translations(language_of(request)).gettext


def csrf_token(request: Request) -> str:
    """Bound to the session: a page of one session cannot be used to post into another."""
    session = request.cookies.get(SESSION_COOKIE, "")
    return hmac.new(session.encode(), b"stockyard-csrf", hashlib.sha256).hexdigest()


async def check_csrf(request: Request) -> None:
    """Every console POST carries the session's CSRF token (htmx sends it as a header, forms as a field)."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, csrf_token(request)):
        raise InvalidInput("the page has expired; reload it and try again", field="csrf_token",
                           code="csrf_failed")


def render(request: Request, template: str, context: Mapping[str, Any] | None = None, *,
           principal: Principal | None = None, status_code: int = 200,
           headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """A page or fragment in the person's language, with what every layout needs."""
    language = language_of(request)
    token = _language.set(language)
    try:
        html = env.get_template(template).render(
            request=request, principal=principal, lang=language, languages=i18n.LANGUAGES,
            fmt=i18n.Formats(language, get_settings().timezone), csrf=csrf_token(request),
            desktop_nav=desktop_sections(principal) if principal else [],
            handheld_nav=handheld_flows(principal) if principal else [],
            **(context or {}))
    finally:
        _language.reset(token)
    return HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def redirect(request: Request, url: str) -> Response:
    """After a successful form post: to the next page (htmx follows HX-Redirect, a plain form a 303)."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def is_console_path(path: str) -> bool:
    return not (path.startswith("/api/") or path in ("/healthz", "/openapi.json") or path.startswith("/docs"))


def safe_next(target: str | None) -> str:
    """Only a path of this site: ``next`` must not send a person elsewhere after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# Headlines for the kinds of refusal, translated; the service's own message follows in smaller print.
KIND_HEADLINES = {
    "invalid": N_("Please check the input"),
    "not_found": N_("Not found"),
    "conflict": N_("Not possible now"),
    "forbidden": N_("You may not do this"),
    "unauthenticated": N_("Please sign in"),
    "throttled": N_("Too many tries; wait a moment"),
}


def error_response(request: Request, error: DomainError, status_code: int) -> Response:
    """A refusal shown to a person: a red message in place on htmx requests, a page otherwise."""
    if error.kind == "unauthenticated" and error.code != "bad_credentials":
        login = f"/login?next={quote(request.url.path + ('?' + request.url.query if request.url.query else ''))}"
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": login})
        return RedirectResponse(login, status_code=303)
    context = {"error": error, "headline": KIND_HEADLINES.get(error.kind, KIND_HEADLINES["invalid"]),
               "status_code": status_code}
    principal = getattr(request.state, "principal", None)
    if is_htmx(request):
        # Swapped into the page's feedback box; the handheld plays the error sound when it sees .feedback-error.
        return render(request, "components/feedback.html", context, principal=principal, status_code=status_code,
                      headers={"HX-Retarget": "#feedback", "HX-Reswap": "innerHTML"})
    return render(request, "error.html", context, principal=principal, status_code=status_code)
