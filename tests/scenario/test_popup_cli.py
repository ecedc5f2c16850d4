"""`dropcast popup create|list|cancel|no-shows|ship|refund` and `dropcast stats popups` as a
creator runs them: a real process on the test's database, exit codes and one-line refusals.
The process runs on the real clock, long after the test's clock: pop-ups made through
`world` have ended there."""

from __future__ import annotations

import json

import pytest

from core.models import Order, PickupPass
from tests.builders import fans
from tests.popup_builders import PLACE, bought, stall
from tests.scenario.dropcast_process import dropcast_on as run

ADDRESS = "12 rue des Lilas, 69003 Lyon"


async def test_a_creator_makes_lists_and_cancels_pop_ups(world, tmp_path):
    where = await stall(world.core)
    made = await run(
        world, tmp_path, "popup", "create", str(where.drop_id), "--place", "Dock 9, Nantes",
        "--from", "2027-12-12 14:00", "--to", "+4h",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "Pop-up #2: Dock 9, Nantes, 12 Dec 14:00 to 18:00 UTC." in made.stdout
    listed = await run(world, tmp_path, "popup", "list", str(where.drop_id))
    assert listed.returncode == 0, listed.stderr
    assert PLACE in listed.stdout
    assert "Dock 9, Nantes" in listed.stdout
    cancelled = await run(world, tmp_path, "popup", "cancel", "2")
    assert cancelled.returncode == 0, cancelled.stderr
    assert "Pop-up #2 at Dock 9, Nantes is cancelled." in cancelled.stdout
    again = await run(world, tmp_path, "popup", "cancel", "2")
    assert (again.returncode, again.stderr.strip()) == (1, "dropcast: there is no pop-up #2")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--from", "2027-12-12 18:00", "--to", "2027-12-12 14:00"), "must end after it starts"),
        (("--from", "2020-12-12 14:00", "--to", "2020-12-12 18:00"), "has already ended"),
        (("--from", "yesterday-ish", "--to", "2027-12-12 18:00"), "dropcast: "),
    ],
)
async def test_a_pop_up_with_a_bad_window_is_refused_and_none_is_made(world, tmp_path, args, says):
    where = await stall(world.core)
    refused = await run(
        world, tmp_path, "popup", "create", str(where.drop_id), "--place", "Dock 9", *args
    )
    assert refused.returncode in (1, 2)
    assert says in refused.stderr
    assert "Traceback" not in refused.stderr
    assert len((await run(world, tmp_path, "popup", "list")).stdout.split("Dock 9")) == 1


async def test_a_creator_lists_no_shows_and_ships_or_refunds_each_once(world, tmp_path):
    where = await stall(world.core)
    came, shipped, refunded = await fans(3)
    orders = {fan: await bought(world.core, where, fan) for fan in (came, shipped, refunded)}
    await PickupPass.filter(order_id=orders[came]).update(collected_at=world.clock.now())
    listed = await run(world, tmp_path, "popup", "no-shows", str(where.pop_up.id))
    assert listed.returncode == 0, listed.stderr
    assert f"dropcast popup ship|refund {orders[shipped]}" in listed.stdout
    assert f"dropcast popup ship|refund {orders[came]}" not in listed.stdout

    ship = ("popup", "ship", str(orders[shipped]), "--address", ADDRESS)
    done = await run(world, tmp_path, *ship)
    assert done.returncode == 0, done.stderr
    assert f"order #{orders[shipped]}: Winter drop / Signed print, 25.00 EUR, paid, shipped" in (
        done.stdout
    )
    assert (await Order.get(id=orders[shipped])).shipping_address == {"line1": ADDRESS}
    twice = await run(world, tmp_path, *ship)
    assert twice.returncode == 1
    assert f"order #{orders[shipped]} was shipped already" in twice.stderr
    collected = await run(world, tmp_path, "popup", "ship", str(orders[came]), "--address", "x")
    assert collected.returncode == 1
    assert "was collected at 12:00 UTC; nothing to do" in collected.stderr

    refund = await run(world, tmp_path, "popup", "refund", str(orders[refunded]))
    assert refund.returncode == 0, refund.stderr
    assert "refund_pending" in refund.stdout  # no Stripe key here: the clock retries it
    assert "The money has not moved yet" in refund.stdout
    again = await run(world, tmp_path, "popup", "refund", str(orders[refunded]))
    assert again.returncode == 1
    assert "was refunded already" in again.stderr
    unknown = await run(world, tmp_path, "popup", "refund", "not-a-pass")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1,
        "dropcast: that is neither an order number nor a pass of ours",
    )

    stats = await run(world, tmp_path, "stats", "popups", "--json")
    assert stats.returncode == 0, stats.stderr
    [figures] = json.loads(stats.stdout)["pop_ups"]
    counted = {key: figures[key] for key in ("expected", "collected", "no_shows")}
    assert counted == {"expected": 3, "collected": 1, "no_shows": 2}
    assert (figures["shipped_after"], figures["refunded_after"]) == (1, 1)
    table = await run(world, tmp_path, "stats", "popups")
    assert "67%" in table.stdout
