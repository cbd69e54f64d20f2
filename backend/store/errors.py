"""The refusals any service may raise, and the storage's own failure as a port-level error."""

from __future__ import annotations


class NotFound(LookupError):
    """No such application, user or other record; the message names it."""


class Forbidden(PermissionError):
    """The user may not see or do this."""


class DecisionRefused(ValueError):
    """The action is allowed in this status but not as asked (maker-checker, a missing field)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StoreError(RuntimeError):
    """The database refused a statement; raised by a repository where a service may carry on."""
