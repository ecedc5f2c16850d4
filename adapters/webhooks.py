"""What `POST /webhooks/{provider}` (adapters/web) hands a request to, shared by every
provider's adapter: each provider's receiver checks the request is really from that provider
and answers with a status and a small JSON body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class WebhookReply:
    status: int
    body: dict[str, str]


class WebhookReceiver(Protocol):
    async def receive(self, body: bytes, headers: Mapping[str, str]) -> WebhookReply: ...


@dataclass(frozen=True, slots=True)
class NotConfigured:
    """A provider we know but this process was not given the settings for."""

    needs: str

    async def receive(self, body: bytes, headers: Mapping[str, str]) -> WebhookReply:
        return WebhookReply(503, {"error": f"this webhook needs {self.needs} set"})
