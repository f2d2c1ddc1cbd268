"""Console passwords: argon2id (memory-hard) via argon2-cffi; never logged, never stored in clear.

Example:
    >>> stored = hash_password("correct horse battery")
    >>> verify_password(stored, "correct horse battery")
    True
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from api.errors import BadInputError

MIN_LENGTH = 8
MAX_LENGTH = 256

_HASHER = PasswordHasher()  # RFC 9106 low-memory profile: argon2id, t=3, m=64 MiB, p=4
_DUMMY = _HASHER.hash("gridwatch: a hash to verify against when the user does not exist")


def check_policy(password: str) -> None:
    """Refuse passwords that are too short, too long or carry control characters (naming which)."""
    if len(password) < MIN_LENGTH:
        raise BadInputError(f"password: at least {MIN_LENGTH} characters, got {len(password)}")
    if len(password) > MAX_LENGTH:
        raise BadInputError(f"password: at most {MAX_LENGTH} characters, got {len(password)}")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise BadInputError("password: control characters (e.g. a tab or newline) are not allowed")


def hash_password(password: str) -> str:
    """The argon2id hash to store (salted, parameters included)."""
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches; a missing hash still costs one verification (no timing hint)."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the stored hash uses weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored)
