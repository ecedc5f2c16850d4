"""The dashboard's Drops page counts pickups per pop-up, as `dropcast stats popups` does."""

from __future__ import annotations

import html
from datetime import timedelta

from aiohttp import ClientSession, CookieJar

from core.models import PickupPass
from tests.builders import fans
from tests.popup_builders import PLACE, bought, stall
from tests.scenario.test_dashboard import PASSWORD, new_site  # noqa: F401  # the fixture


async def test_the_drops_page_shows_pickups_per_pop_up(world, new_site):  # noqa: F811
    where = await stall(world.core)
    came, away = await fans(2)
    orders = {fan: await bought(world.core, where, fan) for fan in (came, away)}
    await PickupPass.filter(order_id=orders[came]).update(collected_at=world.clock.now())
    world.clock.advance(hours=6)  # the window ended; a fresh report
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as client:  # 127.0.0.1
        await client.post(f"{new_site}/dashboard/login", data={"password": PASSWORD})
        async with client.get(f"{new_site}/dashboard/drops") as reply:
            assert reply.status == 200
            text = html.unescape(await reply.text())
    pop_ups = text[text.index("<h2>Pop-ups</h2>") :]
    row = pop_ups[pop_ups.index(f"#{where.pop_up.id} Winter drop") :].split("</tr>")[0]
    cells = [cell.split("</td>")[0] for cell in row.split("<td>")[1:]]
    starts = where.pop_up.starts_at
    span = f"{starts:%d %b %H:%M} to {starts + timedelta(hours=4):%H:%M} UTC"
    assert cells == [PLACE, span, "2", "1", "1", "50%", "0", "0"]
