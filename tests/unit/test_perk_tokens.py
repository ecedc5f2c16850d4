"""Perk tokens: a numbered set minted by a rule or drawn as a giveaway, each token redeemed
once (its perk held for its window, then taken back), gifted once through a link, and
expiring; every refusal changes nothing (README: Perk tokens)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.errors import DropcastError, InvalidInput, InvalidState, NotFound
from core.fans import FanRef, fan_for, profile
from core.kinds import Platform
from core.messages import PerkGranted, PerkTakenBack, TokenReceived
from core.models import Attendance, Community, Fan, PerkChange, PerkToken, PlatformAccount
from core.perk_tokens.codes import GIFT, from_start_param, start_param
from core.perk_tokens.comeback import comeback
from core.perk_tokens.figures import set_figures
from core.perk_tokens.minting import MintSpec
from core.perk_tokens.rules import Rule, draw
from tests.builders import fans, open_drop, tier
from tests.unit.test_live import on_air
from tests.unit.test_perks import buy


def spec(world, rule: str, *, count: int = 3, kind: str = "perk", **more) -> MintSpec:
    values = {
        "name": "Night owls",
        "kind": kind,
        "count": count,
        "rule": Rule.from_words(rule),
        "expires_at": world.clock.now() + timedelta(days=7),
        "window_days": 7,
        "perk": "backstage" if kind == "perk" else None,
    }
    return MintSpec(**{**values, **more})


async def backstage(world) -> None:
    await world.core.perks.register("backstage", "Backstage", Platform.SANDBOX, "-1", "-1")


async def listeners(world, minutes: list[int]) -> tuple[int, list[int]]:
    """A session that ended, with one fan per entry listening that many minutes."""
    listening = await fans(len(minutes), start=await Fan.all().count())
    session = await on_air(world)
    for fan in listening:
        await world.core.attendance.check_in(fan)
    await world.core.live.end(session.id)
    for fan, heard in zip(listening, minutes, strict=True):
        await Attendance.filter(session_id=session.id, fan_id=fan).update(minutes=heard)
    return session.id, listening


async def attendees(world, count: int) -> tuple[int, list[int]]:
    """A session on air with `count` fans checked in (not ended)."""
    came = await fans(count)
    session = await on_air(world)
    for fan in came:
        await world.core.attendance.check_in(fan)
    return session.id, came


async def code_of(world, fan: int) -> str:
    [token] = [t for t in (await profile(fan, world.core.keyring)).tokens if t.state == "held"]
    assert token.code
    return token.code


async def ref(fan: int) -> FanRef:
    account = await PlatformAccount.get(fan_id=fan, platform=Platform.SANDBOX)
    return FanRef(Platform.SANDBOX, account.platform_user_id, "")


async def tokens_state() -> list[dict]:
    return await PerkToken.all().order_by("id").values()


async def test_the_first_buyers_get_numbered_tokens_and_the_rest_stay_unclaimed(world):
    await backstage(world)
    drop = await open_drop(world.core, tier("Pass", kind="digital"))
    buyers = await fans(2)
    for fan in reversed(buyers):
        await buy(world, fan, drop.tiers[0].id)
    made = await world.core.tokens.minting.mint(spec(world, f"buyers:{drop.id}", count=3))
    assert (made.minted, made.claimed, made.unclaimed) == (3, 2, 1)
    tokens = await PerkToken.all().order_by("number").values_list("number", "holder_id")
    assert tokens == [(1, buyers[1]), (2, buyers[0]), (3, None)]  # first buyer first
    [dm] = [m for m in world.messenger.to(buyers[1]) if isinstance(m, TokenReceived)]
    assert dm.name == "Night owls #1"
    assert dm.perk == "Backstage for 7 days from redeeming"
    assert dm.code == await code_of(world, buyers[1])
    shown = (await profile(buyers[0], world.core.keyring)).tokens
    assert [(t.name, t.state) for t in shown] == [("Night owls #2", "held")]


async def test_listeners_over_the_minutes_and_code_claimers_get_tokens_once_each(world):
    await backstage(world)
    session, listening = await listeners(world, [30, 5, 45])
    made = await world.core.tokens.minting.mint(spec(world, f"listeners:{session}:20"))
    holders = await PerkToken.all().order_by("number").values_list("holder_id", flat=True)
    assert list(holders) == [listening[2], listening[0], None]  # most minutes first
    assert made.rule == f"listeners of session #{session} over 20 min"
    live = await on_air(world)
    code = await world.core.attendance.new_code()
    [claimer] = await fans(1, start=10)
    await world.core.attendance.claim(code, claimer)
    made = await world.core.tokens.minting.mint(spec(world, f"claimers:{live.id}", count=1))
    assert (made.claimed, made.unclaimed) == (1, 0)


async def test_a_giveaway_is_drawn_once_when_its_session_ends_and_can_be_drawn_again(world):
    await backstage(world)
    session, came = await attendees(world, 5)
    made = await world.core.tokens.minting.mint(spec(world, f"giveaway:{session}", count=2))
    assert (made.drawn, made.claimed) == (False, 0)
    with pytest.raises(InvalidState, match="has not ended"):
        await world.core.tokens.minting.draw(made.id)
    await world.core.live.end(session)
    [drawn] = await set_figures(made.id)
    assert (drawn.drawn, drawn.claimed) == (True, 2)
    winners = set(
        await PerkToken.filter(holder_id__isnull=False).values_list("holder_id", flat=True)
    )
    assert winners == set(draw(came, 2, drawn.seed))  # anyone with the seed draws the same
    before = await tokens_state()
    await world.core.tokens.minting.draw(made.id)  # a second draw changes nothing
    assert await tokens_state() == before


async def test_a_giveaway_draws_fairly():
    """Over many seeds, each of five attendees wins one of two tokens about 40% of the time."""
    wins = dict.fromkeys(range(1, 6), 0)
    for seed in range(2000):
        for fan in draw([5, 3, 1, 4, 2], 2, f"seed{seed}"):
            wins[fan] += 1
    assert all(700 < won < 900 for won in wins.values())


async def test_redeeming_grants_the_perk_for_its_window_and_the_tick_takes_it_back(world):
    await backstage(world)
    drop = await open_drop(world.core, tier("Print"))
    [fan] = await fans(1)
    await buy(world, fan, drop.tiers[0].id)
    await world.core.tokens.minting.mint(spec(world, f"buyers:{drop.id}", count=1))
    done = await world.core.tokens.redeeming.redeem_as(await code_of(world, fan), await ref(fan))
    assert done.ends_at == world.clock.now() + timedelta(days=7)
    assert [m.title for m in world.messenger.to(fan) if isinstance(m, PerkGranted)] == ["Backstage"]
    world.clock.advance(days=7)
    await world.core.tick()
    assert [m.title for m in world.messenger.to(fan) if isinstance(m, PerkTakenBack)] == [
        "Backstage"
    ]
    causes = await PerkChange.filter(fan_id=fan).order_by("id").values_list("change", "cause")
    assert causes == [
        ("granted", "token Night owls #1 redeemed"),
        ("revoked", "token Night owls #1: its window ended"),
    ]
    await world.core.tick()  # a second clock, or a restart: nothing twice
    assert await PerkChange.filter(fan_id=fan).count() == 2
    [token] = (await profile(fan)).tokens
    assert token.state == "redeemed"


async def test_a_fixed_window_starts_and_ends_by_the_clock(world):
    await backstage(world)
    session, [fan] = await listeners(world, [30])
    now = world.clock.now()
    fixed = {
        "window_days": None,
        "window_from": now + timedelta(days=2),
        "window_until": now + timedelta(days=9),
    }
    await world.core.tokens.minting.mint(spec(world, f"listeners:{session}:1", **fixed))
    await world.core.tokens.redeeming.redeem_as(await code_of(world, fan), await ref(fan))
    assert world.perks.granted == set()  # next week, not now
    world.clock.advance(days=2)
    await world.core.tick()
    assert len(world.perks.granted) == 1
    world.clock.advance(days=7)
    await world.core.tick()
    assert world.perks.granted == set()


async def test_a_member_price_token_gives_member_prices_in_its_window_only(world):
    drop = await open_drop(world.core, tier("Print", price="25.00 EUR", member_price="20.00 EUR"))
    session, [fan] = await listeners(world, [30])
    made = spec(world, f"listeners:{session}:1", kind="member_price")
    await world.core.tokens.minting.mint(made)
    await world.core.tokens.redeeming.redeem_as(await code_of(world, fan), await ref(fan))
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    assert str(hold.price) == "20.00 EUR"


async def test_an_early_access_token_lets_its_holder_buy_before_the_opening(world):
    when = world.clock.now() + timedelta(minutes=30)
    drop = await world.core.drops.launch("Next drop", [tier("Print")], when)
    session, [fan, other] = await listeners(world, [30, 30])
    await world.core.tokens.minting.mint(
        spec(world, f"listeners:{session}:1", kind="early_access", count=1, early_minutes=60)
    )
    await world.core.tokens.redeeming.redeem_as(await code_of(world, fan), await ref(fan))
    hold = await world.core.holds.reserve(drop.tiers[0].id, fan)
    assert hold.id
    with pytest.raises(DropcastError):
        await world.core.holds.reserve(drop.tiers[0].id, other)


async def test_a_shout_out_is_posted_once_where_the_community_is(world):
    community = await Community.create(platform=Platform.TELEGRAM, platform_ref="-1", name="Fans")
    session, [fan] = await listeners(world, [30])
    await world.core.tokens.minting.mint(
        spec(world, f"listeners:{session}:1", kind="shout_out", count=1)
    )
    code = await code_of(world, fan)
    await world.core.tokens.redeeming.redeem_as(code, await ref(fan))
    [(where, said)] = world.announcer.shout_outs
    assert (where, said.token, said.fan_name) == (community.id, "Night owls #1", "Fan 0")
    with pytest.raises(InvalidState, match="redeemed already"):
        await world.core.tokens.redeeming.redeem_as(code, await ref(fan))
    assert len(world.announcer.shout_outs) == 1


async def test_two_redeems_at_once_one_wins(world):
    await backstage(world)
    session, [fan] = await listeners(world, [30])
    await world.core.tokens.minting.mint(spec(world, f"listeners:{session}:1"))
    code, me = await code_of(world, fan), await ref(fan)
    results = await asyncio.gather(
        *(world.core.tokens.redeeming.redeem_as(code, me) for _ in range(5)),
        return_exceptions=True,
    )
    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(isinstance(r, InvalidState) for r in results if isinstance(r, Exception))
    assert await PerkChange.filter(fan_id=fan).count() == 1


async def test_bad_redeems_are_refused_and_change_nothing(world):
    await backstage(world)
    session, [fan, other] = await listeners(world, [30, 30])
    await world.core.tokens.minting.mint(spec(world, f"listeners:{session}:1"))
    code = await code_of(world, fan)
    before = await tokens_state()
    redeem = world.core.tokens.redeeming.redeem_as
    with pytest.raises(NotFound, match="not a token code"):
        await redeem(code[:-1] + ("A" if code[-1] != "A" else "B"), await ref(fan))
    with pytest.raises(NotFound, match="not a token code"):
        await redeem("hello", await ref(fan))
    gift = (await world.core.tokens.gifting.gift_code_as(code, await ref(fan))).code
    with pytest.raises(NotFound, match="not a token code"):
        await redeem(gift, await ref(fan))  # a gift code is not a redeem code
    with pytest.raises(InvalidState, match="not yours"):
        await redeem(await code_of(world, other), await ref(fan))
    world.clock.advance(days=8)
    with pytest.raises(InvalidState, match="expired"):
        await redeem(code, await ref(fan))
    assert await tokens_state() == before
    await world.core.tick()
    assert (await set_figures())[0].expired == 2
    with pytest.raises(InvalidState, match="expired"):
        await redeem(code, await ref(fan))


async def test_a_gift_moves_the_token_once_to_the_first_other_fan(world):
    await backstage(world)
    session, [giver, friend, late] = await listeners(world, [30, 0, 0])
    await world.core.tokens.minting.mint(spec(world, f"listeners:{session}:10", count=1))
    code = await code_of(world, giver)
    gift = await world.core.tokens.gifting.gift_code_as(code, await ref(giver))
    assert from_start_param(start_param(gift.code)) == gift.code
    accept = world.core.tokens.gifting.accept_as
    with pytest.raises(InvalidState, match="your own token"):
        await accept(gift.code, await ref(giver))
    assert await accept(gift.code, await ref(friend)) == "Night owls #1"
    with pytest.raises(InvalidState, match="taken already"):
        await accept(gift.code, await ref(late))
    [dm] = [m for m in world.messenger.to(friend) if isinstance(m, TokenReceived)]
    assert dm.gifted
    with pytest.raises(InvalidState, match="not yours"):
        await world.core.tokens.redeeming.redeem_as(code, await ref(giver))
    with pytest.raises(InvalidState, match="gifted once"):
        await world.core.tokens.gifting.gift_code_as(code, await ref(friend))
    await world.core.tokens.redeeming.redeem_as(code, await ref(friend))
    [figures] = await set_figures()
    assert (figures.gifted, figures.redeemed) == (1, 1)


async def test_a_gift_to_ones_linked_account_and_of_a_redeemed_token_is_refused(world):
    await backstage(world)
    session, [fan, friend] = await listeners(world, [30, 30])
    await world.core.tokens.minting.mint(spec(world, f"listeners:{session}:1"))
    code = await code_of(world, fan)
    gift = await world.core.tokens.gifting.gift_code_as(code, await ref(fan))
    linking = world.core.account_linking
    on_discord = await fan_for(Platform.DISCORD, "77", "Me elsewhere")
    await linking.redeem(await linking.issue(fan), on_discord)
    before = await tokens_state()
    with pytest.raises(InvalidState, match="your own token"):
        await world.core.tokens.gifting.accept_as(gift.code, FanRef(Platform.DISCORD, "77", ""))
    with pytest.raises(NotFound, match="not a token code"):
        await world.core.tokens.gifting.accept_as(code, await ref(friend))  # a redeem code
    await world.core.tokens.redeeming.redeem_as(code, await ref(fan))
    with pytest.raises(InvalidState, match="redeemed already"):
        await world.core.tokens.gifting.gift_code_as(code, await ref(fan))
    with pytest.raises(InvalidState, match="redeemed already"):
        await world.core.tokens.gifting.accept_as(gift.code, await ref(friend))
    assert [t["holder_id"] for t in await tokens_state()] == [t["holder_id"] for t in before]


async def test_two_fans_opening_one_gift_at_once_one_gets_it(world):
    await backstage(world)
    session, [giver, *friends] = await listeners(world, [30, 0, 0, 0, 0])
    await world.core.tokens.minting.mint(spec(world, f"listeners:{session}:10", count=1))
    gift = await world.core.tokens.gifting.gift_code_as(
        await code_of(world, giver), await ref(giver)
    )
    openers = [await ref(friend) for friend in friends]
    results = await asyncio.gather(
        *(world.core.tokens.gifting.accept_as(gift.code, opener) for opener in openers),
        return_exceptions=True,
    )
    assert sum(result == "Night owls #1" for result in results) == 1
    [token] = await tokens_state()
    assert token["holder_id"] in friends
    assert token["gifted_by_id"] == giver


async def test_bad_sets_are_refused_and_make_nothing(world):
    session, _ = await listeners(world, [30])
    mint = world.core.tokens.minting.mint
    with pytest.raises(NotFound, match="no perk called"):
        await mint(spec(world, f"listeners:{session}:1"))
    await backstage(world)
    with pytest.raises(InvalidInput, match="1 to 1000 tokens"):
        await mint(spec(world, f"listeners:{session}:1", count=0))
    with pytest.raises(InvalidInput, match="not a rule"):
        Rule.from_words("everyone:1")
    with pytest.raises(NotFound, match="no live session #99"):
        await mint(spec(world, "listeners:99:1"))
    with pytest.raises(NotFound, match="no drop #99"):
        await mint(spec(world, "buyers:99"))
    with pytest.raises(InvalidInput, match="expire in the future"):
        await mint(spec(world, f"listeners:{session}:1", expires_at=world.clock.now()))
    with pytest.raises(InvalidInput, match="either in days"):
        await mint(spec(world, f"listeners:{session}:1", window_days=None))
    with pytest.raises(InvalidInput, match="not a perk"):
        await mint(spec(world, f"listeners:{session}:1", kind="gold", perk=None))
    assert await PerkToken.all().count() == 0
    assert await set_figures() == []


async def test_a_gift_code_is_signed_for_gifts_only(world):
    signer = await world.core.keyring.signer()
    assert signer.read(GIFT, signer.sign("token", [1])) is None


async def test_holders_who_came_back_are_compared_with_comparable_fans(world):
    session, [holder, _other] = await listeners(world, [30, 5])
    await world.core.tokens.minting.mint(spec(world, f"listeners:{session}:10", kind="shout_out"))
    world.clock.advance(minutes=1)
    drop = await open_drop(world.core, tier("Print"))
    next_session = await on_air(world)
    await world.core.attendance.check_in(holder)
    await world.core.live.end(next_session.id)
    await buy(world, holder, drop.tiers[0].id)
    found = await comeback()
    [came] = found.came_back
    assert (came.crossed.fans, came.crossed.repeat, came.others.fans, came.others.repeat) == (
        1, 1, 1, 0,
    )  # fmt: skip
    assert (found.came_back_difference, found.bought_difference) == (1.0, 1.0)
    assert "not proof" in found.caveat
