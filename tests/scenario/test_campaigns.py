"""Campaign DMs through the real Telegram client: the buttons every DM carries, and the
clock process's outbox killed mid-campaign and restarted, against a Bot API that answers
429 past Telegram's flood limits."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from asyncio.subprocess import DEVNULL
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bots.database import database
from core.campaigns.segments import Segment
from core.fans import fan_for
from core.kinds import DeliveryStatus, Platform
from core.models import Delivery, Fan
from tests.builders import open_drop, tier
from tests.eventually import eventually
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.scenario.telegram_chat import ADMIN, FAN, OTHER


async def test_a_campaign_dm_links_to_the_drop_and_its_opt_out_button_works_once(bot):
    for user in (FAN, OTHER):
        await bot.says(user, "/start")
    bot.peer.blocked.add(OTHER)
    campaigns = bot.app.core.campaigns
    await campaigns.create(
        "Hello", Segment(platform="telegram"), ["Hi {name}! {link}"], url="https://shop.example"
    )
    while await bot.app.core.outbox.drain(Platform.TELEGRAM):
        pass
    [dm] = [m for m in bot.peer.to(FAN) if m.text.startswith("Hi ")]
    assert dm.button("Open")["url"].startswith("http://localhost:8080/l/")
    opt_out = dm.button("No more messages")["callback_data"]
    assert (await bot.taps(FAN, dm, opt_out)).startswith("Done: no more messages like this.")
    assert (await bot.taps(FAN, dm, opt_out)).startswith("You had opted out already")
    await campaigns.create("Again", Segment(platform="telegram"), ["Second {name}"])
    while await bot.app.core.outbox.drain(Platform.TELEGRAM):
        pass
    assert not [m for m in bot.peer.to(FAN) if m.text.startswith("Second")]
    reasons = Counter(
        await Delivery.filter(campaign__name="Again").values_list("reason", flat=True)
    )
    assert reasons == {"no consent": 1, "unreachable": 1}


async def every_dm_settled() -> bool:
    """No campaign DM is left queued or being sent (by another process: a database read)."""
    unsent = Delivery.filter(status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING))
    return not await unsent.exists()


async def test_the_outbox_killed_mid_campaign_resumes_without_sending_anything_twice(
    database_url, tmp_path
):
    async with TelegramBotApi(overall_per_second=30, chat_per_second=1) as peer:
        async with database(database_url):
            for n in range(45):
                fan_id = await fan_for(Platform.TELEGRAM, str(10_000 + n), f"Fan {n}")
                await Fan.filter(id=fan_id).update(dm_opt_in=True)
        env = {
            "PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATABASE_URL": database_url,
            "TELEGRAM_TOKEN": peer.token, "TELEGRAM_API_BASE_URL": peer.url,
            "TELEGRAM_MESSAGES_PER_SECOND": "30", "QUIET_HOURS": "00:00-00:00",
        }  # fmt: skip
        dropcast = str(Path(sys.executable).parent / "dropcast")
        campaign = [dropcast, "campaign", "create", "Everyone", "--text", "Hello {name}"]
        made = await asyncio.create_subprocess_exec(*campaign, env=env, stdout=DEVNULL)
        assert await made.wait() == 0
        clock = await asyncio.create_subprocess_exec(
            dropcast, "clock", env=env, stdout=DEVNULL, stderr=DEVNULL
        )
        await peer.wait_for(lambda: len(peer.sent) >= 10, seconds=30)
        clock.send_signal(signal.SIGKILL)  # mid-campaign, no chance to tidy up
        await clock.wait()
        clock = await asyncio.create_subprocess_exec(
            dropcast, "clock", env=env, stdout=DEVNULL, stderr=DEVNULL
        )
        try:
            async with database(database_url):
                await eventually(every_dm_settled, seconds=60)
                done = Counter(await Delivery.all().values_list("status", flat=True))
        finally:
            clock.terminate()
            await clock.wait()
    per_chat = Counter(message.chat_id for message in peer.sent)
    assert max(per_chat.values()) == 1  # nobody twice
    assert done["sent"] + done["failed"] == 45  # failed: in flight when the first was killed
    # an interrupted DM may or may not have gone out; it is never sent again
    assert done["sent"] <= len(per_chat) <= done["sent"] + done["failed"]
    assert peer.too_many == 0


async def test_an_admin_runs_a_post_live_ab_campaign_from_the_telegram_bot(bot):
    await bot.says(FAN, "/start")
    drop_id = (await open_drop(bot.app.core, tier(stock=5))).id
    starts = bot.clock.now() + timedelta(minutes=1)
    session = await bot.app.core.live.schedule("Friday", starts, drop_id=drop_id)
    bot.clock.advance(minutes=1)
    await bot.app.core.live.start(session.id)
    await bot.says(FAN, "/checkin")
    await bot.app.core.live.end(session.id)
    form = (
        f"/campaign After the show\nto: listened={session.id} not_bought={drop_id}\n"
        f"when: after session {session.id} +15m\nA: Few left, {{name}}: {{link}}\n"
        "B: Yours, {name}? {link}"
    )
    assert "Only the creator's admins" in (await bot.says(FAN, form)).text
    assert "to: listened=" in (await bot.says(ADMIN, "/campaign")).text  # the help
    preview = await bot.says(ADMIN, f"/campaign preview listened={session.id}")
    assert preview.text.startswith(f"listened={session.id}: 1 fans, 1 of them said yes")
    typo = await bot.says(ADMIN, form.replace("{link}", "{lnk}"))
    assert typo.text.startswith("Not created: unknown variable {lnk}")
    made = await bot.says(ADMIN, form)
    assert made.text.startswith(f"#1 After the show: scheduled, to listened={session.id}")
    assert f"15 min after session #{session.id} ends" in made.text
    bot.clock.advance(minutes=15)
    await bot.app.core.tick()
    while await bot.app.core.outbox.drain(Platform.TELEGRAM):
        pass
    [dm] = [m for m in bot.peer.to(FAN) if "Fan" in m.text and "/l/" in m.text]
    assert "start=drop_" not in dm.text  # the link is ours, tracked; it leads to the drop
    shown = await bot.says(ADMIN, "/campaign show 1")
    assert "sent 1" in shown.text
    assert "no campaign #7" in (await bot.says(ADMIN, "/campaign cancel 7")).text
