"""Bearer tokens for devices and users: random, shown once, stored only as sha256."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from api.errors import NotAuthenticatedError


def new_token(prefix: str) -> tuple[str, str]:
    """A fresh token and the hash to store (tokens carry 256 random bits, so sha256 suffices)."""
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer ...` header; 401 when missing or malformed."""
    if not authorization:
        raise NotAuthenticatedError("missing Authorization: Bearer <token> header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticatedError("Authorization header must be 'Bearer <token>'")
    return token.strip()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 webhook signature over `timestamp + "." + body`, hex."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
