"""The creator's admins manage membership plans in the Telegram bot chat (python-telegram-bot
against the Bot API peer): `/plans`, `/plan_create`, `/plan_archive`; anyone else is refused
and a bad line changes nothing."""

from __future__ import annotations

from core.models import MembershipPlan
from tests.scenario.telegram_chat import ADMIN, FAN


async def test_only_admins_create_list_and_archive_plans(bot):
    line = "/plan_create Backstage club | 5.00 EUR | stars=250 trial=7 early=30"
    for command in (line, "/plans", "/plan_archive 1"):
        assert (await bot.says(FAN, command)).text == "Only the creator's admins can do that."
    assert await MembershipPlan.all().count() == 0

    made = await bot.says(ADMIN, line)
    assert made.text == (
        "On sale: #1 Backstage club: 5.00 EUR / month, 250 Stars / 30 days, 7-day free trial,"
        " 30 min early access, 0 member(s), on sale. Fans join with /join."
    )
    listed = await bot.says(ADMIN, "/plans")
    assert listed.text.startswith("#1 Backstage club: 5.00 EUR / month")
    archived = await bot.says(ADMIN, "/plan_archive 1")
    assert archived.text.startswith("Archived: Backstage club sells no more")
    assert "archived" in (await bot.says(ADMIN, "/plans")).text


async def test_a_bad_plan_line_says_what_is_wrong_and_changes_nothing(bot):
    for line, why in (
        ("/plan_create Club", "write it as /plan_create NAME | PRICE"),
        ("/plan_create Club | five EUR", "Not created: "),
        ("/plan_create Club | 5.00 EUR | trial=many", "trial must be a whole number"),
        ("/plan_create Club | 5.00 EUR | colour=red", "'colour=red' is not one of the options"),
        ("/plan_create Club | 5.00 EUR | period=weekly", "is not monthly or yearly"),
        ("/plan_create Club | 5.00 EUR | perks=nothing", "there is no perk called 'nothing'"),
    ):
        assert why in (await bot.says(ADMIN, line)).text
    assert await MembershipPlan.all().count() == 0
    assert "e.g. /plan_archive 2" in (await bot.says(ADMIN, "/plan_archive two")).text
