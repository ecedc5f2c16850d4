"""One-time secrets handed to a person (a dashboard link, a membership claim): random,
and kept only as their SHA-256 digest, so a copy of the database opens nothing."""

from __future__ import annotations

import hashlib
import secrets


def new_token(nbytes: int = 32) -> str:
    """A fresh random token, URL-safe (letters, digits, - and _)."""
    return secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    """What is stored of a token: 64 hex digits."""
    return hashlib.sha256(token.encode()).hexdigest()
