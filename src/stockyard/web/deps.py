"""The console's access checks: the API's permissions, with the principal kept for the page's menus."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from stockyard.api.deps import Require, get_principal
from stockyard.domain.access import Principal
from stockyard.web.core import check_csrf


class Page(Require):
    """Needs ``permission`` like the API does; remembers the principal so even a refusal page has its menu."""

    def __call__(self, principal: Annotated[Principal, Depends(get_principal)],  # type: ignore[override]
                 request: Request) -> Principal:
        request.state.principal = principal
        return super().__call__(principal)


def signed_in(request: Request, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    request.state.principal = principal
    return principal


SignedInPage = Annotated[Principal, Depends(signed_in)]
Csrf = Depends(check_csrf)


def page(permission: str) -> object:
    """``principal: Annotated[Principal, page("stock.read")]`` in a console route's signature."""
    return Depends(Page(permission))
