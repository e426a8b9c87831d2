"""Small helpers for the HTTP tests: calling the API, checking the one error shape, snapshotting what is stored."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

API = "/api/v1"


def ok(response: Response, status: int = 200) -> Any:
    """The JSON body of an expected success; the error body in the failure message otherwise."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json()


def create(client: TestClient, path: str, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = ok(client.post(f"{API}/{path}", json=body, **kwargs), 201)
    return result


def error(response: Response, status: int, code: str | None = None, field: str | None = None) -> dict[str, Any]:
    """Assert the one error shape ``{"error": {"code", "message", "field", "details"}}`` and return its inside."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    body = response.json()
    assert set(body) == {"error"}, body
    inner: dict[str, Any] = body["error"]
    assert set(inner) == {"code", "message", "field", "details"}, inner
    assert isinstance(inner["message"], str) and inner["message"], inner
    assert isinstance(inner["details"], dict), inner
    if code is not None:
        assert inner["code"] == code, inner
    if field is not None:
        assert inner["field"] == field, inner
    return inner


def all_pages(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every record of a list endpoint, walking next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        page = ok(client.get(f"{API}/{path}", params={**params, **({"cursor": cursor} if cursor else {})}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination never ended")


def balances(client: TestClient) -> list[dict[str, Any]]:
    """Every balance row, virtual and empty ones included."""
    return all_pages(client, "stock/balances", include_virtual="true", include_empty="true", limit=1000)


def stock_state(client: TestClient) -> dict[str, Any]:
    """Everything a stock request could write, as the API shows it: balances (virtual and empty ones too),
    movement history and lots."""
    return {
        "balances": balances(client),
        "movements": all_pages(client, "stock/movements", limit=1000),
        "lots": all_pages(client, "lots", limit=500),
    }
