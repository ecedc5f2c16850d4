"""At the pop-up: a pass is handed over exactly once, only at its own pop-up, never when its
order was refunded; staff links expire and refuse tampering; the lists show every pickup."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters import pickup_sheets
from adapters.scan_answers import scan_text
from core.errors import InvalidInput, NotFound
from core.models import PickupPass
from core.popups.pickup_list import pickup_list
from core.popups.scanning import ScanOutcome, ScanResult
from tests.pickup_builders import pickup, pop_up, tampered

STAFF_HOURS = timedelta(hours=6)


async def collected(pass_id: int) -> tuple[object, object]:
    found = await PickupPass.get(id=pass_id)
    return found.collected_at, found.collected_by


async def test_a_pass_is_handed_over_once_and_then_says_when(world):
    here = await pop_up(world.core)
    ada = await pickup(world.core, here, "Ada")
    handed = await world.core.scanning.collect(ada.code, here, "Sam")
    assert scan_text(handed) == "Valid — hand over Signed print to Ada"
    assert await collected(ada.pass_id) == (world.clock.now(), "Sam")
    world.clock.advance(minutes=14)
    again = await world.core.scanning.collect(ada.code, here, "Kim")
    assert again.outcome == ScanOutcome.COLLECTED
    assert scan_text(again) == "Already collected at 12:00 UTC by Sam"
    assert again.pass_ is not None
    in_paris = ScanResult(again.outcome, replace(again.pass_, zone="Europe/Paris"))
    assert scan_text(in_paris) == "Already collected at 13:00 by Sam"  # the place's clock
    assert (await collected(ada.pass_id))[1] == "Sam"


async def test_phones_scanning_one_pass_at_once_hand_it_over_exactly_once(world):
    here = await pop_up(world.core)
    ada = await pickup(world.core, here)
    scans = [world.core.scanning.collect(ada.code, here, f"Phone {n}") for n in range(8)]
    outcomes = [result.outcome for result in await asyncio.gather(*scans)]
    assert sorted(outcomes) == [ScanOutcome.COLLECTED] * 7 + [ScanOutcome.VALID]
    assert (await collected(ada.pass_id))[0] == world.clock.now()


async def test_a_pass_for_another_pop_up_is_refused_and_left_waiting(world):
    here, there = await pop_up(world.core), await pop_up(world.core, "Dock 9, Nantes")
    elsewhere = await pickup(world.core, there)
    result = await world.core.scanning.collect(elsewhere.code, here, "Sam")
    assert scan_text(result) == "Not for this pop-up (it is for Dock 9, Nantes)"
    assert await collected(elsewhere.pass_id) == (None, None)


async def test_a_refunded_order_is_not_handed_over(world):
    here = await pop_up(world.core)
    ada = await pickup(world.core, here)
    await world.core.orders.refund(ada.order_id, "changed her mind")
    result = await world.core.scanning.collect(ada.code, here, "Sam")
    assert scan_text(result) == "Refunded: do not hand over"
    assert await collected(ada.pass_id) == (None, None)


@pytest.mark.parametrize(
    "forged", ["tampered", "staff link", "garbage", "", "x" * 5000, "https://a.example/p/"]
)
async def test_a_code_we_did_not_make_is_unknown_and_changes_nothing(world, forged):
    here = await pop_up(world.core)
    ada = await pickup(world.core, here)
    staff = await world.core.staff_links.make(here, "Sam", STAFF_HOURS)
    text = {"tampered": tampered(ada.code), "staff link": staff.url}.get(forged, forged)
    result = await world.core.scanning.collect(text, here, "Sam")
    assert scan_text(result) == "Unknown code"
    assert (await world.core.scanning.collect_now(text, "Sam")).outcome == ScanOutcome.UNKNOWN
    assert await collected(ada.pass_id) == (None, None)


async def test_a_pass_read_from_its_whole_link_works_as_its_code(world):
    here = await pop_up(world.core)
    ada = await pickup(world.core, here)
    link = await world.core.pass_codes.link(ada.pass_id, here)
    assert (await world.core.scanning.collect(f" {link} ", here, "Sam")).outcome == "valid"


async def test_a_bot_scan_uses_the_pass_s_own_pop_up_only_while_it_is_on(world):
    here = await pop_up(world.core, hours=4)
    ada, bea = await pickup(world.core, here, "Ada"), await pickup(world.core, here, "Bea")
    world.clock.advance(hours=4 + 23)  # within the day's margin after the window
    assert (await world.core.scanning.collect_now(ada.code, "Sam")).outcome == "valid"
    world.clock.advance(hours=2)
    late = await world.core.scanning.collect_now(bea.code, "Sam")
    assert scan_text(late).startswith("Not now: this pass is for Hall 4, Lyon, 01 Jan 12:00")
    assert await collected(bea.pass_id) == (None, None)


async def test_a_staff_link_names_its_pop_up_and_person_until_it_runs_out(world):
    here = await pop_up(world.core)
    link = await world.core.staff_links.make(here, "  Sam   Lee ", STAFF_HOURS)
    code = link.url.rsplit("/scan/", 1)[1]
    assert link.url.startswith("http")
    assert link.place == "Hall 4, Lyon"
    staff = await world.core.staff_links.read(code)
    assert staff is not None
    assert (staff.pop_up_id, staff.name) == (here, "Sam Lee")
    assert await world.core.staff_links.read(tampered(code)) is None
    ada = await pickup(world.core, here)
    assert await world.core.staff_links.read(ada.code) is None  # a pass is no staff link
    world.clock.advance(hours=6)
    assert await world.core.staff_links.read(code) is None


@pytest.mark.parametrize(
    ("pop_up_id", "name", "hours", "refusal"),
    [
        (None, "", 6, "give a name"),
        (None, "Sam~1", 6, "give a name"),
        (None, "S" * 65, 6, "give a name"),
        (None, "Sam", 0, "1 hour to 14 days"),
        (None, "Sam", 24 * 15, "1 hour to 14 days"),
        (99, "Sam", 6, "no pop-up #99"),
    ],
)
async def test_a_staff_link_with_bad_arguments_is_refused(world, pop_up_id, name, hours, refusal):
    here = await pop_up(world.core)
    with pytest.raises((InvalidInput, NotFound), match=refusal):
        await world.core.staff_links.make(pop_up_id or here, name, timedelta(hours=hours))


async def test_the_pickup_list_has_every_pass_by_name_for_paper_and_offline(world):
    here = await pop_up(world.core)
    zoe, ada = await pickup(world.core, here, "Zoé"), await pickup(world.core, here, "ada")
    bea = await pickup(world.core, here, "Bea")
    await world.core.scanning.collect(bea.code, here, "Sam")
    await world.core.orders.refund(zoe.order_id, "gone")
    found = await pickup_list(here)
    assert [(p.id, p.fan, p.status) for p in found.passes] == [
        (ada.pass_id, "ada", "waiting"), (bea.pass_id, "Bea", "collected"),
        (zoe.pass_id, "Zoé", "refunded"),
    ]  # fmt: skip
    assert pickup_sheets.csv_text(found).splitlines() == [
        "Pass,Fan,Tier,Quantity,Status",
        f"#{ada.pass_id},ada,Signed print,1,Waiting for pickup",
        f"#{bea.pass_id},Bea,Signed print,1,Collected at 12:00 UTC",
        f"#{zoe.pass_id},Zoé,Signed print,1,Refunded",
    ]
    printed = pickup_sheets.pdf(found, compress=False)
    assert printed.startswith(b"%PDF")
    for text in (b"Pickups at Hall 4, Lyon", b"ada", b"Bea", b"Zo\xe9", b"Done"):
        assert text in printed
    with pytest.raises(NotFound, match="no pop-up #99"):
        await pickup_list(99)


async def test_a_fan_name_a_spreadsheet_would_run_stays_text_in_the_csv(world):
    here = await pop_up(world.core)
    sly = await pickup(world.core, here, '=HYPERLINK("https://evil.example")')
    line = pickup_sheets.csv_text(await pickup_list(here)).splitlines()[1]
    assert line == f'#{sly.pass_id},"\'=HYPERLINK(""https://evil.example"")",Signed print,1,' + (
        "Waiting for pickup"
    )
