"""An admin checks pickup passes from either bot: `/scan CODE` (or the pass's link as it is,
in Telegram's private chat) and Discord's `/scan code:`, with the scan page's answers; a pass
only while its pop-up is on; everyone else is refused and nothing changes."""

from __future__ import annotations

from core.models import PickupPass
from tests.pickup_builders import pickup, pop_up, tampered
from tests.scenario.discord_guild import CREATOR, FAN, option
from tests.scenario.telegram_chat import ADMIN
from tests.scenario.telegram_chat import FAN as TELEGRAM_FAN


async def collected_at(pass_id: int):
    return (await PickupPass.get(id=pass_id)).collected_at


async def test_an_admin_scans_passes_in_the_telegram_chat(bot):
    core = bot.app.core
    here, there = await pop_up(core), await pop_up(core, "Dock 9, Nantes")
    ada, bea = await pickup(core, here, "Ada"), await pickup(core, here, "Bea")
    cy = await pickup(core, there, "Cy")
    link = await core.pass_codes.link(ada.pass_id, here)
    refused = await bot.says(TELEGRAM_FAN, f"/scan {ada.code}")
    assert refused.text == "Only the creator's admins can do that."
    not_scanned = await bot.says(TELEGRAM_FAN, link)  # a fan's own pass link: not a scan
    assert not_scanned.text.startswith("I did not understand that.")
    assert await collected_at(ada.pass_id) is None
    assert "the pass's code or link" in (await bot.says(ADMIN, "/scan")).text
    assert (await bot.says(ADMIN, f"/scan {link}")).text == (
        "Valid — hand over Signed print to Ada"
    )
    again = await bot.says(ADMIN, link)  # the link as it is, pasted in the chat
    assert again.text.startswith("Already collected at 12:00 UTC by ")
    assert (await bot.says(ADMIN, f"/scan {tampered(bea.code)}")).text == "Unknown code"
    assert (await bot.says(ADMIN, cy.code)).text == "Valid — hand over Signed print to Cy"
    bot.clock.advance(days=2)
    late = await bot.says(ADMIN, f"/scan {bea.code}")
    assert late.text.startswith("Not now: this pass is for Hall 4, Lyon")
    assert await collected_at(bea.pass_id) is None


async def test_an_admin_scans_a_pass_on_discord_and_only_they_see_the_answer(guild):
    core = guild.app.core
    here = await pop_up(core)
    ada = await pickup(core, here, "Ada")
    bea = await pickup(core, here, "Bea")
    await core.orders.refund(bea.order_id, "gone")
    refused = await guild.command(FAN, "scan", option("code", ada.code))
    assert refused.text() == "Only the creator's admins can do that."
    assert await collected_at(ada.pass_id) is None
    valid = await guild.command(CREATOR, "scan", option("code", ada.code), admin=True)
    assert valid.text() == "Valid — hand over Signed print to Ada"
    assert valid.ephemeral
    again = await guild.command(CREATOR, "scan", option("code", ada.code), admin=True)
    assert again.text().startswith("Already collected at 12:00 UTC by ")
    refunded = await guild.command(CREATOR, "scan", option("code", bea.code), admin=True)
    assert refunded.text() == "Refunded: do not hand over"
    unknown = await guild.command(CREATOR, "scan", option("code", "made.up"), admin=True)
    assert unknown.text() == "Unknown code"
