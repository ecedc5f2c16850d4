"""The web process answers health checks from a load balancer or a PaaS."""

from __future__ import annotations

from adapters.memory import ManualClock
from bots.database import database
from config import load_settings
from core.models import Link, LinkClick
from core.short_links import ShortLinks
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


async def test_a_short_link_shows_as_a_qr_code_and_only_a_tap_counts(database_url):
    config = load_settings(database_url=database_url)
    async with database(database_url):
        short = await ShortLinks(ManualClock(), "https://drops.example").shorten(
            "https://shop.example/merch", purpose="manual", ref="merch"
        )
    code = short.rsplit("/", 1)[1]
    png, svg, missing, tapped = await exchange(
        config, [f"/l/{code}.png", f"/l/{code}.svg", "/l/nope.png", f"/l/{code}"]
    )
    assert png[0] == 200
    assert png[1]["type"] == "image/png"
    assert png[1]["bytes"].startswith(b"\x89PNG")
    assert (svg[0], svg[1]["type"]) == (200, "image/svg+xml")
    assert b"<svg" in svg[1]["bytes"]
    assert missing[0] == 404
    assert (tapped[0], tapped[1]["location"]) == (302, "https://shop.example/merch")
    async with database(database_url):
        link = await Link.get(code=code)
        assert link.clicks == 1  # the two images counted nothing
        assert await LinkClick.filter(link_id=link.id).count() == 1
