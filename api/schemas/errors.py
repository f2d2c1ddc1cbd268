"""Error bodies and the error responses each route documents in the OpenAPI document.

Every error is JSON. 422 always has FastAPI's validation shape (`detail` is a list of
`{loc, msg, type}`); every other error has `{"detail": "<message>"}` (409 adds `allowed`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    """An error other than 422: what went wrong, in words."""

    detail: str = Field(description="What was wrong, naming the field, value or resource")
    allowed: list[str] | None = Field(default=None, description="409 on an event: the allowed actions")


class FieldError(BaseModel):
    """One reason a request was refused: where (`loc`), what (`msg`), which kind (`type`)."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """422: every field that was wrong (FastAPI's validation-error shape)."""

    detail: list[FieldError]


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


Responses = dict[int | str, dict[str, Any]]

UNAUTHENTICATED: Responses = {401: _error("Missing, unknown or revoked token")}
FORBIDDEN: Responses = {403: _error("Known caller, not allowed to do this (role, scope, revoked device)")}
NOT_FOUND: Responses = {404: _error("No such resource in your scope")}
CONFLICT: Responses = {409: _error("Clashes with the current state")}
BODY: Responses = {
    400: _error("The body is not JSON (or not UTF-8)"),
    413: _error("The body is larger than this centre's limit"),
}

INVALID: Responses = {
    422: {"model": ValidationErrorOut, "description": "Named fields or parameters are wrong"}
}

AUTHENTICATED: Responses = {**UNAUTHENTICATED}
ROLE_GATED: Responses = {**UNAUTHENTICATED, **FORBIDDEN}
