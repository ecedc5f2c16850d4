"""A membership's perks on both platforms at once, through the real discord.py and
python-telegram-bot against their peers: the plan's Discord role and Telegram perk chat
follow the membership; a role removed by hand comes back with the sweep; the access report
reads the server's member list and finds roles handed out by hand, members without their
role, and a member list Discord refuses (no Server Members Intent); the day's report reaches
the admins by DM once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from adapters.memory import ManualClock, MemoryPayLinks, MemoryRefunds
from bots.bootstrap import App, bootstrap
from config import load_settings
from core.fans import fan_for
from core.kinds import Platform
from core.memberships.access_report import MismatchKind
from core.memberships.plans import PlanSpec
from core.models import PerkChange, PlatformAccount
from core.money import parse_price
from tests.peers.discord_api import GUILD_ID, OWNER, DiscordApi
from tests.peers.telegram_bot_api import TelegramBotApi
from tests.unit.test_memberships import snap

ON_DISCORD, ON_TELEGRAM, PERK_CHAT = "500000000000000001", 2002, -100777
OTHER_FAN, STRANGER = "500000000000000002", "500000000000000003"
INSIDER_ROLE, ADMIN = "720000000000000002", 1001


@dataclass
class Both:
    telegram: TelegramBotApi
    discord: DiscordApi
    app: App
    clock: ManualClock


@pytest.fixture
async def both(db: str) -> AsyncIterator[Both]:
    """`dropcast clock` with both platforms set up: perks go by REST, no gateway."""
    clock = ManualClock()
    calendar = lambda: clock.now().timestamp()  # noqa: E731 - the platforms' calendars
    telegram_api = TelegramBotApi(now=calendar)
    async with telegram_api as telegram, DiscordApi(now=calendar, members_intent=True) as discord:
        settings = load_settings(
            database_url=db,
            telegram_token=telegram.token,
            telegram_api_base_url=telegram.url,
            discord_token=discord.token,
            discord_api_base_url=discord.api_base,
            discord_gateway_url=discord.gateway_url,
            admin_telegram_ids=str(ADMIN),
        )
        app = bootstrap(settings, clock=clock, pay_links=MemoryPayLinks(), refunds=MemoryRefunds())
        yield Both(telegram, discord, app, clock)
        await app.close()


async def a_member_on_both(both: Both) -> tuple[int, int]:
    """A fan with linked Discord and Telegram accounts, and a plan of a role and a chat."""
    core = both.app.core
    fan = await fan_for(Platform.DISCORD, ON_DISCORD, "Ada")
    await PlatformAccount.create(fan_id=fan, platform=Platform.TELEGRAM,
                                 platform_user_id=str(ON_TELEGRAM))  # fmt: skip
    both.discord.member_roles[ON_DISCORD] = set()
    both.telegram.bot_rights[PERK_CHAT] = {"can_invite_users": True, "can_restrict_members": True}
    await core.perks.register("insider", "Insiders", Platform.DISCORD, GUILD_ID, INSIDER_ROLE)
    chat = str(PERK_CHAT)
    await core.perks.register("backstage", "Backstage", Platform.TELEGRAM, chat, chat)
    spec = PlanSpec("Club", parse_price("5.00 EUR"), perks=("insider", "backstage"))
    plan = (await core.plans.create(spec)).id
    return fan, plan


def invites(both: Both) -> list[dict]:
    return [i for i in both.telegram.invite_links.values() if i["chat_id"] == PERK_CHAT]


async def test_one_membership_gives_the_role_and_the_chat_and_its_end_takes_both(both):
    core = both.app.core
    fan, plan = await a_member_on_both(both)
    await core.memberships.record(fan, plan, "stripe", "sub_1", snap(both, "active"))
    assert INSIDER_ROLE in both.discord.member_roles[ON_DISCORD]
    [invite] = invites(both)
    assert (invite["member_limit"], invite["is_revoked"]) == (1, False)
    report = await core.access.report()
    assert report.clean, report.mismatches
    assert any("member list" in note for note in report.notes)
    assert any("cannot list a chat's members" in note for note in report.notes)

    await core.memberships.record(fan, plan, "stripe", "sub_1", snap(both, "canceled", 1))
    assert INSIDER_ROLE not in both.discord.member_roles[ON_DISCORD]
    assert invites(both)[0]["is_revoked"]  # never used: voided
    assert (await core.access.report()).clean


async def test_a_role_removed_by_hand_is_reported_and_the_sweep_gives_it_back(both):
    core = both.app.core
    fan, plan = await a_member_on_both(both)
    await core.memberships.record(fan, plan, "stripe", "sub_1", snap(both, "active"))
    both.discord.member_roles[ON_DISCORD].discard(INSIDER_ROLE)  # a moderator's slip
    [missing] = (await core.access.report()).mismatches
    assert (missing.kind, missing.fan_id) == (MismatchKind.MISSING_ACCESS, fan)
    assert "Insiders" in missing.detail
    assert await core.perks.sweep() == 1
    assert INSIDER_ROLE in both.discord.member_roles[ON_DISCORD]
    last = await PerkChange.filter(fan_id=fan).order_by("-id").first()
    assert last is not None
    assert last.cause == "sweep: it was missing on discord"
    assert (await core.access.report()).clean


async def test_roles_handed_out_by_hand_are_reported_and_left_to_the_creator(both):
    core = both.app.core
    await a_member_on_both(both)
    other = await fan_for(Platform.DISCORD, OTHER_FAN, "Bob")
    both.discord.member_roles[OTHER_FAN] = {INSIDER_ROLE}
    both.discord.member_roles[STRANGER] = {INSIDER_ROLE}
    report = await core.access.report()
    assert [(m.kind, m.fan_id) for m in report.mismatches] == [
        (MismatchKind.UNPAID_ACCESS, other),
        (MismatchKind.UNPAID_ACCESS, None),
    ]
    assert STRANGER in report.mismatches[1].detail
    await core.perks.sweep()
    assert INSIDER_ROLE in both.discord.member_roles[STRANGER]  # the creator decides


async def test_a_member_list_discord_refuses_is_reported_with_the_setting_to_change(both):
    core = both.app.core
    fan, plan = await a_member_on_both(both)
    await core.memberships.record(fan, plan, "stripe", "sub_1", snap(both, "active"))
    both.discord.members_intent = False
    [unchecked] = (await core.access.report()).mismatches
    assert unchecked.kind == MismatchKind.UNCHECKED
    assert "Server Members Intent" in unchecked.detail
    assert await core.perks.sweep() == 0  # nothing known to repair, nothing taken


async def test_the_days_report_reaches_the_admins_once_on_both_platforms(both):
    core = both.app.core
    await a_member_on_both(both)
    assert not await core.access.daily()  # nothing to say: no DM
    both.discord.member_roles[STRANGER] = {INSIDER_ROLE}
    assert await core.access.daily()
    assert not await core.access.daily()
    [note] = both.telegram.to(ADMIN)
    assert note.text.startswith(f"🔎 Access report, {both.clock.now().date()}: 1 thing")
    assert STRANGER in note.text
    [dm] = [m.text() for m in both.discord.dms_to(OWNER)]
    assert dm == note.text
    both.clock.advance(days=1)  # many more the next day: the note still fits one message
    for n in range(40):
        both.discord.member_roles[str(int(STRANGER) + 1 + n)] = {INSIDER_ROLE}
    assert await core.access.daily()
    longer = both.telegram.to(ADMIN)[-1].text
    assert "…and 36 more." in longer
    assert [m.text() for m in both.discord.dms_to(OWNER)][-1] == longer
