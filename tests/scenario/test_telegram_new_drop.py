"""`/newdrop` when the bot process changes under the admin: the form is kept in the
database, so a restart (or the next web process) carries it on, and it ends when stopped
or left for an hour."""

from __future__ import annotations

from datetime import timedelta

from adapters.memory import ManualClock
from core.kinds import DropStatus
from core.models import Drop, TelegramForm
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.scenario.telegram_chat import ADMIN, FAN, bot_process

ZINE = "name=Zine, price=90 XTR, stock=1, content=https://files.example/zine.pdf"


async def test_a_form_begun_before_a_restart_is_finished_after_it_and_makes_one_drop(db):
    clock = ManualClock()
    async with TelegramBotApi() as peer:
        async with bot_process(peer, db, clock) as first:
            assert "title" in (await first.says(ADMIN, "/newdrop")).text
            assert "tiers" in (await first.says(ADMIN, "Night drop")).text.lower()
        async with bot_process(peer, db, clock) as second:
            assert "When does it open" in (await second.says(ADMIN, ZINE)).text
            summary = await second.says(ADMIN, "+30m")
            assert "Zine: 90 XTR, stock 1" in summary.text
        async with bot_process(peer, db, clock) as third:
            await third.taps(ADMIN, summary, "newdrop:yes")
            await peer.wait_for(lambda: [m for m in peer.to(ADMIN) if "/announce" in m.text])
            assert "has ended" in await third.taps(ADMIN, summary, "newdrop:yes")
    [drop] = await Drop.all()
    assert (drop.title, drop.status) == ("Night drop", DropStatus.SCHEDULED)
    assert drop.opens_at == clock.now() + timedelta(minutes=30)
    assert not await TelegramForm.exists()


async def test_a_form_left_for_an_hour_has_ended(bot):
    await bot.says(ADMIN, "/newdrop")
    for answer in ("Night drop", ZINE):  # each answer gives the form another hour
        bot.clock.advance(minutes=50)
        await bot.says(ADMIN, answer)
    summary = await bot.says(ADMIN, "now")
    bot.clock.advance(minutes=61)
    assert "has ended" in await bot.taps(ADMIN, summary, "newdrop:yes")
    assert not await TelegramForm.exists()
    await bot.says(ADMIN, "/newdrop")
    bot.clock.advance(minutes=61)
    assert "did not understand" in (await bot.says(ADMIN, "Night drop")).text
    assert not await Drop.exists()


async def test_cancel_stops_the_form(bot):
    await bot.says(ADMIN, "/newdrop")
    await bot.says(ADMIN, "Night drop")
    assert "Stopped" in (await bot.says(ADMIN, "/cancel")).text
    assert not await TelegramForm.exists()
    assert "did not understand" in (await bot.says(ADMIN, ZINE)).text
    assert "no /newdrop form" in (await bot.says(ADMIN, "/cancel")).text
    assert "did not understand" in (await bot.says(FAN, "/cancel")).text
    assert not await Drop.exists()
