"""`dropcast drop link` and `dropcast stats taps` as a creator runs them: a real process on
the test's database."""

from __future__ import annotations

import asyncio
import json

from tests.builders import open_drop, tier
from tests.scenario.dropcast_process import dropcast


async def test_a_creator_makes_a_pay_link_and_sees_its_taps(world, tmp_path):
    drop = await open_drop(world.core, tier("Print"), tier("Poster"))
    url = world.app.settings.database_url
    made = await asyncio.to_thread(
        dropcast, tmp_path, "drop", "link", drop.code, "--tier", "2", DATABASE_URL=url
    )
    assert made.returncode == 0, made.stderr
    link = made.stdout.splitlines()[0]
    assert "/l/" in link
    assert "▀" in made.stdout or "█" in made.stdout  # its QR code
    code = link.rsplit("/l/", 1)[1]
    for _ in range(3):
        assert await world.core.offer_taps.follow(code) == f"/d/{drop.code}?o={code}#tier-" + str(
            drop.tiers[1].id
        )
    await world.core.offer_taps.batch.write()
    shown = await asyncio.to_thread(dropcast, tmp_path, "stats", "taps", "--json", DATABASE_URL=url)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "taps": [
            {
                "drop_code": drop.code,
                "title": "Winter drop",
                "source": "",
                "taps": 3,
                "known_fans": 0,
            }
        ]
    }
    table = await asyncio.to_thread(dropcast, tmp_path, "stats", "taps", DATABASE_URL=url)
    assert "anywhere" in table.stdout
    assert "Winter drop" in table.stdout


async def test_a_pay_link_asked_for_wrongly_is_one_clear_line(world, tmp_path):
    drop = await open_drop(world.core, tier())
    url = world.app.settings.database_url
    for arguments, message in [
        (["nope"], "there is no drop 'nope'"),
        ([drop.code, "--tier", "2"], "has tiers 1 to 1, not 2"),
        ([drop.code, "--campaign", "5"], "there is no campaign #5"),
        ([drop.code, "--days", "0"], "Invalid value for '--days'"),
    ]:
        result = await asyncio.to_thread(
            dropcast, tmp_path, "drop", "link", *arguments, DATABASE_URL=url
        )
        assert result.returncode != 0
        assert message in result.stderr
        assert "Traceback" not in result.stderr
