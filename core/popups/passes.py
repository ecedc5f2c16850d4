"""Pickup pass codes: a pass's id and its pop-up, signed (core/signing.py), so a code read off
a fan's screen is checked, and its pop-up known, before the database is asked anything."""

from __future__ import annotations

from dataclasses import dataclass

from core.signing import Keyring

PURPOSE = "pass"


@dataclass(frozen=True, slots=True)
class PassCode:
    pass_id: int
    pop_up_id: int


class PassCodes:
    def __init__(self, keyring: Keyring, base_url: str) -> None:
        self.keyring = keyring
        self.base_url = base_url.rstrip("/")

    async def code(self, pass_id: int, pop_up_id: int) -> str:
        return (await self.keyring.signer()).sign(PURPOSE, (pass_id, pop_up_id))

    async def link(self, pass_id: int, pop_up_id: int) -> str:
        """The pass's page, `/p/{code}`: its QR code holds this address, so any camera
        opens it."""
        return f"{self.base_url}/p/{await self.code(pass_id, pop_up_id)}"

    async def read(self, text: str) -> PassCode | None:
        """The pass a code stands for, given the code or its whole address; None for a code
        we did not sign."""
        code = text.strip().rstrip("/").rsplit("/", 1)[-1]
        fields = (await self.keyring.signer()).read(PURPOSE, code)
        if fields is None or len(fields) != 2 or not all(f.isdigit() for f in fields):
            return None
        return PassCode(int(fields[0]), int(fields[1]))
