"""The `FanMessenger` port (core/ports.py), the same tests over `MemoryMessenger`,
`TelegramMessenger` on the Bot API peer and `DiscordMessenger` on the Discord peer: a direct
message to a fan who can be reached arrives and `send` says True; to a fan who blocked the
bot (closed their DMs) it says False and marks their account unreachable, which the core's
campaigns read (core/campaigns); a platform that does not answer raises instead, so the
message is tried again; and `drop_url` is where a fan on the platform opens a drop, if
anywhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.fans import account_on
from core.messages import (
    CampaignDM,
    FanMessage,
    HoldCalledOff,
    HoldLapsed,
    LiveReminder,
    MemberPaymentFailed,
    MembershipCancelling,
    MembershipOver,
    MemberTrialEnds,
    OrderConfirmed,
    OrderShipped,
    PayLinkOffer,
    PaymentNotCompleted,
    PaymentReturned,
    PaymentUnderReview,
    PerkGranted,
    PerkTakenBack,
    PickupMissed,
    SecondSubscriptionRefunded,
    TokenReceived,
)
from core.money import Money
from tests.builders import open_drop, tier
from tests.contracts.sides import MessengerSide

PRICE, SOON = Money(2500, "EUR"), datetime(2026, 1, 1, 12, 30, tzinfo=UTC)
# one of each message the core sends a fan (core.messages.FanMessage)
MESSAGES: list[FanMessage] = [
    PayLinkOffer(1, "Winter drop", "Signed print", PRICE, "https://d.example/l/a1", SOON, False),
    HoldLapsed(1, "Winter drop", "Signed print"),
    HoldCalledOff(1, "Winter drop", "Signed print"),
    PaymentUnderReview("Winter drop", Money(2000, "EUR"), PRICE),
    PaymentReturned("Winter drop", PRICE, "the item sold out first"),
    OrderConfirmed(1, "Winter drop", "Signed print", PRICE, "https://files.example/print.zip"),
    OrderShipped(1, "Winter drop", "Signed print"),
    PaymentNotCompleted(1, "Winter drop", "Signed print", still_held=True),
    PerkGranted("Backstage", "https://t.me/+invite"),
    PerkTakenBack("Backstage"),
    LiveReminder(1, "Friday listening", SOON, "soon"),
    CampaignDM(1, "Hi Fan! The winter drop opens today.", "https://d.example/l/c1"),
    MemberPaymentFailed("Backstage club", SOON, "https://billing.stripe.test/p/session/1"),
    MemberTrialEnds("Backstage club", SOON, None),
    MembershipCancelling("Backstage club", SOON, "https://billing.stripe.test/p/session/2"),
    MembershipOver("Backstage club", lapsed=True),
    SecondSubscriptionRefunded("Backstage club", "https://billing.stripe.test/p/session/3"),
    TokenReceived("Night owls #3", "early access to the next drop", SOON, "MzF.aBc", False),
    PickupMissed(1, "Winter drop", "Studio 4, 12 Canal Street"),
]
HELLO = CampaignDM(2, "Hello again", None)


@pytest.mark.parametrize("message", MESSAGES, ids=lambda message: type(message).__name__)
async def test_a_message_to_a_fan_who_can_be_reached_arrives(
    messenger: MessengerSide, message: FanMessage
):
    fan = await messenger.fan("Ada")
    assert await messenger.port.send(fan, message) is True
    assert messenger.received(fan) == 1
    assert (await reachable(messenger, fan)) is True


async def test_a_fan_who_blocked_the_bot_is_not_reached_and_send_says_so(
    messenger: MessengerSide,
):
    fan = await messenger.fan("Ada")
    messenger.blocks(fan)
    assert await messenger.port.send(fan, HELLO) is False
    assert messenger.received(fan) == 0


async def test_a_fan_found_unreachable_is_marked_so_on_their_account(messenger: MessengerSide):
    """What campaigns plan and send by (core/campaigns: `dm_reachable`)."""
    fan = await messenger.fan("Ada")
    messenger.blocks(fan)
    await messenger.port.send(fan, HELLO)
    assert (await reachable(messenger, fan)) is False


async def test_only_the_fan_who_blocked_the_bot_is_marked(messenger: MessengerSide):
    blocking, other = await messenger.fan("Ada"), await messenger.fan("Grace")
    messenger.blocks(blocking)
    assert await messenger.port.send(blocking, HELLO) is False
    assert await messenger.port.send(other, HELLO) is True
    assert (messenger.received(blocking), messenger.received(other)) == (0, 1)
    assert [await reachable(messenger, fan) for fan in (blocking, other)] == [False, True]


def memory_forgets_the_mark(request: pytest.FixtureRequest) -> None:
    if request.node.callspec.params["messenger"] == "memory":
        request.applymarker(
            pytest.mark.xfail(
                reason="MemoryMessenger does not read the account's mark: it writes to any "
                "fan not in its `unreachable` set",
                strict=True,
            )
        )


async def test_a_fan_marked_unreachable_is_not_written_to_again(
    messenger: MessengerSide, request: pytest.FixtureRequest
):
    """Discord bans bots that keep making failing requests: a marked fan is passed over
    until they come back (a command, `/dm on`), even once the platform would take it."""
    memory_forgets_the_mark(request)
    fan = await messenger.fan("Ada")
    messenger.blocks(fan)
    assert await messenger.port.send(fan, HELLO) is False
    messenger.unblocks(fan)
    assert await messenger.port.send(fan, HELLO) is False
    assert messenger.received(fan) == 0


async def test_a_platform_that_does_not_answer_raises_and_marks_nobody(messenger: MessengerSide):
    """An error, not False: core/notices.py tries the message again later, where False
    would have dropped it and marked the fan."""
    fan, earlier = await messenger.fan("Ada"), await messenger.fan("Grace")
    assert await messenger.port.send(earlier, HELLO) is True  # the bot was up, logged in
    async with messenger.down():
        with pytest.raises(messenger.outage):
            await messenger.port.send(fan, HELLO)
    assert (await reachable(messenger, fan)) is True
    assert await messenger.port.send(fan, HELLO) is True  # and once it answers again
    assert messenger.received(fan) == 1


async def test_a_drop_fans_see_on_the_platform_has_a_url_leading_to_it(
    messenger: MessengerSide, world
):
    winter, spring = [await open_drop(world.core, tier(name)) for name in ("Print", "Poster")]
    for drop in (winter, spring):
        await messenger.shows(drop)
    url = await messenger.port.drop_url(winter.id)
    assert url is not None
    assert messenger.leads_to(url, winter)
    assert await messenger.port.drop_url(winter.id) == url  # asked again: the same place
    assert await messenger.port.drop_url(spring.id) not in (url, None)


async def test_a_drop_that_does_not_exist_has_no_url(messenger: MessengerSide):
    assert await messenger.port.drop_url(404) is None


async def reachable(messenger: MessengerSide, fan_id: int) -> bool:
    account = await account_on(fan_id, messenger.platform)
    assert account is not None
    return account.reachable


def test_every_kind_of_message_is_sent_above():
    kinds = {type(message) for message in MESSAGES}
    assert kinds == set(FanMessage.__args__)  # type: ignore[attr-defined]
