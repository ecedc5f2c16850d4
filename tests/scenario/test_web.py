"""The web process answers health checks from a load balancer or a PaaS."""

from __future__ import annotations

from config import load_settings
from tests.scenario.web_client import exchange


async def test_healthz_says_ok_when_the_database_answers(database_url):
    config = load_settings(database_url=database_url)
    assert await exchange(config, ["/healthz"]) == [(200, {"ok": True})]


async def test_healthz_says_503_when_the_database_does_not_answer():
    config = load_settings(database_url="postgres://postgres@127.0.0.1:1/nothing_listens_here")
    [(status, body)] = await exchange(config, ["/healthz"])
    assert status == 503
    assert body["ok"] is False


async def test_a_short_link_we_never_made_is_a_404_page(database_url):
    config = load_settings(database_url=database_url)
    replies = await exchange(config, ["/l/nope", "/l/" + "x" * 40])
    assert [status for status, _ in replies] == [404, 404]
    assert all("This link does not exist." in body["text"] for _, body in replies)
