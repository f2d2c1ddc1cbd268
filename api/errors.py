"""The API's exception hierarchy; routes translate these to HTTP answers in one place."""

from __future__ import annotations


class ApiError(Exception):
    """Base of every error the API raises on purpose."""

    status_code = 400


class BadInputError(ApiError):
    """The input is well-formed but wrong (names the field or feature and the reason).

    Answered like FastAPI's own validation errors: `{"detail": [{"loc": [...], "msg": ..., "type":
    "value_error"}]}`, so every 422 of the API has one shape.
    """

    status_code = 422

    def __init__(self, message: str, *, loc: tuple[str | int, ...] = ("body",)) -> None:
        super().__init__(message)
        self.loc = loc

    def details(self) -> list[dict[str, object]]:
        """The `detail` list of the 422 answer."""
        return [{"loc": list(self.loc), "msg": str(self), "type": "value_error"}]


class NotAuthenticatedError(ApiError):
    """No credentials, or credentials that match nobody."""

    status_code = 401


class ForbiddenError(ApiError):
    """Known caller, not allowed to do this (revoked device, wrong role)."""

    status_code = 403


class NotFoundError(ApiError):
    """Nothing there, or nothing the caller may see (scoping answers 404, never 403)."""

    status_code = 404


class ConflictError(ApiError):
    """The request clashes with the current state (invalid transition, reused id)."""

    status_code = 409

    def __init__(self, message: str, *, allowed: list[str] | None = None) -> None:
        super().__init__(message)
        self.allowed = allowed


class PayloadTooLargeError(ApiError):
    """A request body or evidence over the configured size limit."""

    status_code = 413


class ConfigError(ApiError):
    """A centre configuration file is missing or invalid."""

    status_code = 500
