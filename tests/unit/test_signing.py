"""Signed codes (core/signing.py) and the pay-link offers made with them (core/offers.py):
what we signed reads back whole; anything else, however close, reads as nothing."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from core.models import SigningKey
from core.offers import Offer
from core.signing import Keyring, Signer

KEY = bytes(range(32))


def test_a_code_reads_back_its_fields_for_its_purpose():
    signer = Signer(KEY)
    code = signer.sign("offer", ["abc", 7, "", "campaign:3"])
    assert signer.read("offer", code) == ["abc", "7", "", "campaign:3"]
    assert "~" not in code  # the fields travel encoded, safe in a URL


def _altered_field(code: str) -> str:
    body, _, mac = code.partition(".")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).replace(b"7", b"8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + mac


def _altered_mac(code: str) -> str:
    last = code[-1]
    return code[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_altered_field, id="altered field"),
        pytest.param(_altered_mac, id="altered mac"),
        pytest.param(lambda code: code[:-3], id="truncated mac"),
        pytest.param(lambda code: code.partition(".")[0], id="mac cut off"),
        pytest.param(lambda code: "." + code.partition(".")[2], id="fields cut off"),
        pytest.param(lambda code: code[2:], id="truncated fields"),
        pytest.param(lambda code: code + "x", id="longer mac"),
        pytest.param(lambda code: code.partition(".")[0] + ".ééééééééééééééé", id="non-ascii"),
        pytest.param(lambda _: "", id="empty"),
        pytest.param(lambda _: "....", id="dots"),
        pytest.param(lambda _: "%%%.%%%", id="garbage"),
    ],
)
def test_anything_but_the_code_we_signed_reads_as_nothing(change):
    signer = Signer(KEY)
    code = signer.sign("offer", ["abc", 7])
    assert signer.read("offer", change(code)) is None


def test_a_code_for_one_purpose_or_key_is_nothing_for_another():
    code = Signer(KEY).sign("offer", ["abc", 7])
    assert Signer(KEY).read("pass", code) is None
    assert Signer(bytes(32)).read("offer", code) is None


def test_a_field_cannot_smuggle_the_separator():
    with pytest.raises(ValueError, match="cannot contain"):
        Signer(KEY).sign("offer", ["a~b"])


async def test_the_key_is_made_once_and_every_process_shares_it(world):
    made = await world.core.offers.code(Offer("abc", world.clock.now() + timedelta(days=1)))
    another_process = Keyring(world.clock)  # a second process's keyring, same database
    assert (await another_process.signer()).read("offer", made) is not None
    assert await SigningKey.all().count() == 1


async def test_an_offer_reads_back_whole(world):
    offer = Offer(
        "abc", (world.clock.now() + timedelta(days=2)).replace(microsecond=0),
        tier_id=4, fan_id=9, source="session:2", member=True, early=True,
    )  # fmt: skip
    assert await world.core.offers.read(await world.core.offers.code(offer)) == offer
    plain = Offer("abc", offer.expires_at)
    assert await world.core.offers.read(await world.core.offers.code(plain)) == plain
    assert (await world.core.offers.link(plain)).startswith("http")


async def test_an_expired_or_altered_offer_reads_as_nothing(world):
    offers = world.core.offers
    code = await offers.code(Offer("abc", world.clock.now() + timedelta(hours=1), tier_id=7))
    assert await offers.read(_altered_field(code)) is None  # another tier, same MAC
    assert await offers.read(_altered_mac(code)) is None
    other = (await world.core.keyring.signer()).sign("pass", ["abc", 7, "", "", 0, ""])
    assert await offers.read(other) is None  # a pickup pass is no offer
    short = (await world.core.keyring.signer()).sign("offer", ["abc", 7])
    assert await offers.read(short) is None  # signed, but not an offer's fields
    world.clock.advance(hours=1)
    assert await offers.read(code) is None
