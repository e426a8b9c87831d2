"""Console documents to print, from the pages they belong to: a trip's pick list, a wave's pick lists (every trip
at once) and an order's packing list. The same PDFs the API serves, under the console's sign-in; each opens in the
browser's PDF viewer to print."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stockyard.api.deps import get_db
from stockyard.domain.access import Principal
from stockyard.services import packing
from stockyard.web.deps import page

router = APIRouter(include_in_schema=False)


def _pdf(content: bytes, name: str) -> Response:
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})


@router.get("/outbound/trips/{trip_id}/pick-list.pdf")
def trip_pick_list(request: Request, trip_id: int, principal: Annotated[Principal, page("stock.read")]) -> Response:
    return _pdf(packing.pick_list(get_db(request), principal, trip_id), f"pick-list-trip-{trip_id}")


@router.get("/outbound/waves/{wave_id}/pick-lists.pdf")
def wave_pick_lists(request: Request, wave_id: int, principal: Annotated[Principal, page("stock.read")]) -> Response:
    return _pdf(packing.wave_pick_lists(get_db(request), principal, wave_id), f"pick-lists-wave-{wave_id}")


@router.get("/outbound/orders/{order_id}/packing-list.pdf")
def order_packing_list(request: Request, order_id: int,
                       principal: Annotated[Principal, page("outbound.pack")]) -> Response:
    return _pdf(packing.packing_list(get_db(request), principal, order_id), f"packing-list-order-{order_id}")
