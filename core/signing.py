"""Codes that carry their own meaning, signed: a pay link's offer, a perk token, a pickup
pass, a staff link. Whoever reads one checks it with the installation's key alone, without
the database, and a code made for one purpose is refused for another.

A code is `<fields>.<mac>`: the fields, joined by `~` and base64url-encoded, then the first
12 bytes of their HMAC-SHA256 under the key, with the purpose mixed in. 96 bits of MAC is far
beyond what guessing over HTTP can reach. The key is made once, on first use, and kept in the
database (core/models/signing.py), so every process of an installation shares it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from core import sql
from core.ports import Clock

MAC_BYTES = 12
SEPARATOR = "~"
_MAKE = (
    'INSERT INTO "signing_key" ("id", "key", "created_at") VALUES (1, {key}, {now}) '
    'ON CONFLICT ("id") DO NOTHING'
)
_READ = 'SELECT "key" FROM "signing_key" WHERE "id" = 1'


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, purpose: str, fields: Sequence[str | int]) -> str:
        """The code for these fields; none of them may contain `~`."""
        texts = [str(field) for field in fields]
        if any(SEPARATOR in text for text in texts):
            raise ValueError(f"a signed field cannot contain {SEPARATOR!r}")
        body = _encode(SEPARATOR.join(texts).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def read(self, purpose: str, code: str) -> list[str] | None:
        """The fields of a code this installation signed for `purpose`; None for anything
        else (made up, altered, cut short, or signed for another purpose)."""
        body, dot, mac = code.partition(".")
        if not dot or not body or not mac.isascii():  # compare_digest refuses other text
            return None
        if not hmac.compare_digest(mac, self._mac(purpose, body)):
            return None
        try:
            return _decode(body).decode().split(SEPARATOR)
        except (binascii.Error, UnicodeDecodeError):
            return None

    def _mac(self, purpose: str, body: str) -> str:
        signed = hmac.new(self._key, f"{purpose}\n{body}".encode(), hashlib.sha256)
        return _encode(signed.digest()[:MAC_BYTES])


class Keyring:
    """The installation's `Signer`, read from the database once per process."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._signer: Signer | None = None

    async def signer(self) -> Signer:
        if self._signer is None:
            await sql.rows(_MAKE, key=secrets.token_hex(32), now=self.clock.now())
            [row] = await sql.rows(_READ)
            self._signer = Signer(bytes.fromhex(row["key"]))
        return self._signer


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
