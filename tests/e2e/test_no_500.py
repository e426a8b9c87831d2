"""Bad input is a 4xx, never a 500: every operation of the OpenAPI document gets malformed bodies, query values
and path ids as an administrator would send them by mistake."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.support import ok

NASTY_VALUES: list[Any] = [None, -1, 2**63, "x" * 5000, "1e400", {}, "'; DROP TABLE balance; --"]


def _bodies(schema: dict[str, Any], components: dict[str, Any]) -> list[Any]:
    """Bodies that break the schema in one way each: a missing body, wrong types, and each field set nasty."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    fields = list(schema.get("properties", {}))
    bodies: list[Any] = [None, [], "text", {"unexpected": 1}]
    for name in fields:
        bodies += [{name: value} for value in NASTY_VALUES]
    return bodies


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def test_no_operation_answers_500_to_malformed_input(client: TestClient) -> None:
    client.post("/api/v1/warehouses", json={"code": "W1", "name": "One"})
    client = TestClient(client.app, raise_server_exceptions=False, headers=client.headers)
    spec = ok(client.get("/openapi.json"))
    components = spec.get("components", {}).get("schemas", {})
    failures = []
    for method, path, op in _operations(spec):
        if op.get("operationId") in ("logout",):
            continue
        urls = [re.sub(r"\{\w+\}", value, path) for value in ("1", "99999999999999999999", "abc")]
        body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        bodies = _bodies(body_schema, components) if body_schema else [None]
        params = [{p["name"]: value for p in op.get("parameters", []) if p["in"] == "query"}
                  for value in ("-1", "x" * 300, "9" * 30)]
        for url in urls:
            for body in bodies[:4] if url != urls[0] else bodies:
                response = client.request(method, url, json=body)
                if response.status_code >= 500:
                    failures.append(f"{method} {url} {str(body)[:80]}: {response.status_code}")
            for query in params:
                response = client.request(method, url, params=query)
                if response.status_code >= 500:
                    failures.append(f"{method} {url}?{str(query)[:80]}: {response.status_code}")
    assert failures == []
