"""Where signed pay links come from (core/offer_links.py): what a link signs, how long it
lasts, and what a fan's own link says they are entitled to."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.drops.specs import EarlyAccess
from core.errors import InvalidInput, InvalidState, NotFound
from core.models import Fan
from core.offer_links import DEFAULT_DAYS, OfferLinks, Where
from tests.builders import fans, make_member, open_drop, tier


async def read(world, link: str):
    return await world.core.offers.read(link.rsplit("/l/", 1)[1])


async def test_a_drop_link_signs_its_tier_and_where_it_is_given(world):
    drop = await open_drop(world.core, tier("Print"), tier("Poster"))
    session = await world.core.live.schedule(
        "Listening party", world.clock.now() + timedelta(hours=1)
    )
    links = OfferLinks(world.core.offers)
    link = await links.for_drop(drop.code, tier=2, where=Where(session_id=session.id), days=3)
    offer = await read(world, link)
    assert (offer.drop_code, offer.tier_id, offer.source) == (
        drop.code, drop.tiers[1].id, f"session:{session.id}",
    )  # fmt: skip
    assert (offer.fan_id, offer.member, offer.early) == (None, False, False)
    assert offer.expires_at == (world.clock.now() + timedelta(days=3)).replace(microsecond=0)
    by_number = await read(world, await links.for_drop(str(drop.id)))
    assert by_number.expires_at.date() == (world.clock.now() + timedelta(DEFAULT_DAYS)).date()


async def test_a_drop_link_lasts_until_the_drop_closes(world):
    drop = await world.core.drops.create("Winter drop", [tier()])
    closes = world.clock.now() + timedelta(days=2)
    await world.core.drops.schedule(drop.id, world.clock.now() + timedelta(hours=1), closes)
    offer = await read(world, await OfferLinks(world.core.offers).for_drop(drop.code))
    assert offer.expires_at == closes


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"drop": "nope"}, NotFound, "there is no drop 'nope'"),
        ({"tier": 3}, InvalidInput, "has tiers 1 to 1, not 3"),
        ({"days": 0}, InvalidInput, "--days must be 1 to 365"),
        ({"where": Where(campaign_id=1, session_id=1)}, InvalidInput, "not both"),
        ({"where": Where(campaign_id=77)}, NotFound, "there is no campaign #77"),
        ({"where": Where(session_id=77)}, NotFound, "there is no live session #77"),
    ],
)
async def test_a_link_asked_for_wrongly_is_refused_clearly(world, arguments, error, message):
    drop = await open_drop(world.core, tier())
    arguments = {"drop": drop.code} | arguments
    with pytest.raises(error, match=message):
        await OfferLinks(world.core.offers).for_drop(**arguments)


async def test_no_link_to_a_draft_or_an_ended_drop(world):
    draft = await world.core.drops.create("Draft", [tier()])
    links = OfferLinks(world.core.offers)
    with pytest.raises(InvalidState, match="is a draft: schedule or open it first"):
        await links.for_drop(draft.code)
    ended = await open_drop(world.core, tier())
    await world.core.drops.close(ended.id)
    with pytest.raises(InvalidState, match="is closed: a link to it would sell nothing"):
        await links.for_drop(ended.code)


async def test_a_fans_own_link_signs_what_they_are_entitled_to_then(world):
    drop = await world.core.drops.create("Winter drop", [tier()])
    opens = world.clock.now() + timedelta(hours=2)
    await world.core.drops.schedule(drop.id, opens, early_access=EarlyAccess("insider", 30))
    member, insider, plain = await fans(3)
    await make_member(world.core, member, early=60)
    await Fan.filter(id=insider).update(tier="insider")
    links = OfferLinks(world.core.offers)
    signed = {
        fan: await read(world, await links.for_fan(drop.id, fan, source="campaign:4"))
        for fan in (member, insider, plain)
    }
    assert {fan: (o.fan_id, o.member, o.early) for fan, o in signed.items()} == {
        member: (member, True, True),
        insider: (insider, False, True),
        plain: (plain, False, False),
    }
    assert {o.source for o in signed.values()} == {"campaign:4"}
    with pytest.raises(NotFound, match="there is no fan #999"):
        await links.for_fan(drop.id, 999)
