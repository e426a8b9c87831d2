"""Errors a rule raises. Each names the field at fault and a machine-readable code.

The API turns them into 4xx answers (see ``api/errors.py``); nothing here knows about HTTP.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request broke a rule. ``code`` is stable for machines, ``message`` is for people."""

    code = "invalid"
    kind = "invalid"  # invalid | not_found | conflict | unauthenticated | forbidden | throttled

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        self.details = dict(details or {})

    def at(self, prefix: str) -> DomainError:
        """Prefix the field path, e.g. ``movements[3]`` + ``quantity``."""
        self.field = f"{prefix}.{self.field}" if self.field else prefix
        return self


class InvalidInput(DomainError):
    code = "invalid"
    kind = "invalid"


class NotFound(DomainError):
    code = "not_found"
    kind = "not_found"


class Conflict(DomainError):
    code = "conflict"
    kind = "conflict"


class InsufficientStock(Conflict):
    """Taking more than a bucket has available, or allocating beyond it."""

    code = "insufficient_stock"


class DuplicateSerial(Conflict):
    code = "duplicate_serial"


class Unauthenticated(DomainError):
    """No valid session or token: sign in again."""

    code = "unauthenticated"
    kind = "unauthenticated"


class Forbidden(DomainError):
    """Signed in, but the action needs a permission the principal does not have."""

    code = "forbidden"
    kind = "forbidden"


class Throttled(DomainError):
    """Too many attempts; ``details["retry_after"]`` says how many seconds to wait."""

    code = "throttled"
    kind = "throttled"
