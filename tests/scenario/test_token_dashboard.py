"""The dashboard's Tokens page: each set's figures and the holders' comeback with its caveat,
behind the login like every page."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import ClientSession, CookieJar

from adapters.memory import ManualClock
from core.perk_tokens.minting import MintSpec
from core.perk_tokens.rules import Rule
from tests.scenario.test_dashboard import PASSWORD, serving
from tests.unit.test_perk_tokens import listeners


@pytest.fixture
async def tokens_site(database_url: str, clock: ManualClock) -> AsyncIterator[str]:
    async with serving(database_url, clock=clock) as url:
        yield url


async def test_the_tokens_page_shows_each_set_and_whether_holders_came_back(world, tokens_site):
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as client:  # 127.0.0.1
        async with client.get(f"{tokens_site}/dashboard/tokens", allow_redirects=False) as r:
            assert (r.status, r.headers["Location"]) == (303, "/dashboard/login")
        await client.post(f"{tokens_site}/dashboard/login", data={"password": PASSWORD})
        async with client.get(f"{tokens_site}/dashboard/tokens") as reply:
            assert reply.status == 200
            assert "No token set yet" in await reply.text()
        session, _ = await listeners(world, [30, 5])
        expires = world.clock.now() + timedelta(days=7)
        rule = Rule.from_words(f"listeners:{session}:10")
        await world.core.tokens.minting.mint(
            MintSpec("Night owls", "shout_out", 3, rule, expires, 7)
        )
        async with client.get(f"{tokens_site}/dashboard/tokens") as reply:
            text = html.unescape(await reply.text())
    assert "#1 Night owls" in text
    assert "<td>3</td><td>1</td><td>2</td>" in text  # minted, claimed, unclaimed
    assert "came to the next session" in text
    assert "an association, not proof" in text
