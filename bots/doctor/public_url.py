"""PUBLIC_BASE_URL, as Stripe and Telegram reach it: it must answer `GET /healthz` with 200
(adapters/web/app.py answers so while the database does), over https unless it is this
machine."""

from __future__ import annotations

import aiohttp
from pydantic import AnyHttpUrl

from core.doctor import Check, failed, not_configured, passed

NAME = "PUBLIC_BASE_URL"
THIS_MACHINE = ("localhost", "127.0.0.1", "[::1]")
ANSWER_SECONDS = 10
START_WEB = "start `dropcast web` (the Procfile's web process) and make {url} reach it"


async def public_url_check(url: AnyHttpUrl | None) -> Check:
    if url is None:
        return not_configured(NAME, NAME)
    base = str(url).rstrip("/")
    if url.scheme != "https" and url.host not in THIS_MACHINE:
        return failed(NAME, f"{base} is not https",
                      "serve Dropcast over https and set PUBLIC_BASE_URL to that address "
                      "(Stripe and Telegram send webhooks to https only)")  # fmt: skip
    health = f"{base}/healthz"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=ANSWER_SECONDS)) as http,
            http.get(health, allow_redirects=False) as answer,
        ):
            status = answer.status
    except (aiohttp.ClientError, TimeoutError) as error:
        return failed(NAME, f"{health} does not answer ({type(error).__name__})",
                      START_WEB.format(url=base))  # fmt: skip
    if status != 200:
        return failed(NAME, f"{health} answered {status}", START_WEB.format(url=base)
                      + " (a 503 means its database does not answer)")  # fmt: skip
    return passed(NAME, f"{health} answers")
