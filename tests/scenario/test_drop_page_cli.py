"""The creator gives a drop's public page its image from the command line (`drop create
--image`, `drop image`); a bad address is refused clearly and changes nothing."""

from __future__ import annotations

import asyncio

from core.models import Drop
from tests.scenario.dropcast_process import dropcast

TIER = "name=Print, price=9.99 EUR, stock=5, kind=physical"
IMAGE = "https://cdn.example/winter.jpg"


async def cli(world, tmp_path, *args: str):
    url = world.app.settings.database_url
    return await asyncio.to_thread(dropcast, tmp_path, *args, DATABASE_URL=url)


async def test_the_creator_sets_and_clears_a_drops_image(world, tmp_path):
    made = await cli(world, tmp_path, "drop", "create", "Winter drop", "-t", TIER, "--image", IMAGE)
    assert made.returncode == 0, made.stderr
    [drop] = await Drop.all()
    assert drop.image_url == IMAGE
    cleared = await cli(world, tmp_path, "drop", "image", str(drop.id), "")
    assert cleared.returncode == 0, cleared.stderr
    assert f"Drop #{drop.id} image: a generated card" in cleared.stdout
    await drop.refresh_from_db()
    assert drop.image_url is None


async def test_a_bad_image_address_is_refused_and_changes_nothing(world, tmp_path):
    bad = await cli(world, tmp_path, "drop", "create", "Winter drop", "-t", TIER, "--image", "x")
    assert bad.returncode == 1
    assert "an image is a web address (https://…)" in bad.stderr
    assert await Drop.all().count() == 0
    await cli(world, tmp_path, "drop", "create", "Winter drop", "-t", TIER)
    [drop] = await Drop.all()
    for address in ('https://cdn.example/a".jpg', "javascript:alert(1)"):
        refused = await cli(world, tmp_path, "drop", "image", str(drop.id), address)
        assert refused.returncode == 1
        assert "an image is a web address" in refused.stderr
    missing = await cli(world, tmp_path, "drop", "image", "99", IMAGE)
    assert missing.returncode == 1
    assert "there is no drop #99" in missing.stderr
    await drop.refresh_from_db()
    assert drop.image_url is None
