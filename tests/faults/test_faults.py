"""A killed process, or several at once, loses and doubles nothing a fan or creator would
notice (tests/faults/rush.py runs the processes; bench/faults.py the bigger run)."""

from __future__ import annotations

import pytest

from tests.faults.rush import Rush, run


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_rush_survives_its_processes_being_killed_at_random(database_url):
    rush = Rush(seed=11, fans=30, stock=20, kills=5, stars_fans=6, stars_stock=4,
                discord_fans=6, discord_stock=4)  # fmt: skip
    books = await run(database_url, rush)
    assert len(books["kills"]) == 5
    payments = books["payments"]
    assert payments == 20  # 30 fans rushed 20 units
    stripe_orders = books["orders"] - books["stars_orders"] - books["discord_orders"]
    assert stripe_orders == books["paid"] - books["stars_orders"] - books["discord_orders"]
    assert stripe_orders == payments
    assert (books["available"], books["sold_and_held"]) == (0, 20)  # not one oversold
    assert books["unhandled_events"] == 0
    # every fan Telegram charged has their one order, however the bot was killed meanwhile
    assert 1 <= books["stars_charged"] <= 4
    assert books["stars_orders"] == books["stars_charged"]
    # every fan who paid through a Discord pay link too: a tap the killed bot never answered
    # was tapped again and offered the same hold, so all four units were paid
    assert books["discord_charged"] == books["discord_orders"] == 4
    # each receipt reached its fan once, or (its process killed while sending it) ended
    # failed as interrupted, for the creator to retry (it may have arrived): never twice
    paid = payments + books["stars_charged"] + books["discord_charged"]
    assert books["receipts"] <= paid <= books["receipts"] + books["receipts_interrupted"]
    assert books["fans_with_two_receipts"] == 0
    # the campaign reached each fan once, or ended failed (interrupted, or the fan's weekly
    # cap spent): never twice
    campaign = books["campaign"]
    assert sum(campaign.values()) == 30
    assert set(campaign) <= {"sent", "failed", "skipped"}
    assert campaign.get("sent", 0) <= books["campaign_dms"]
    assert books["campaign_dms"] <= campaign.get("sent", 0) + campaign.get("failed", 0)
    assert books["fans_with_two_campaign_dms"] == 0
    # the live session's reminders: "now" owed to each of the 30 fans ("soon" too if the
    # clock ticked before the creator went live), each arrived once or ended failed as
    # interrupted
    owed = books["reminders_owed"]
    assert 30 <= owed <= 60
    assert books["reminders"] <= owed <= books["reminders"] + books["reminders_interrupted"]
    assert books["reminders_twice"] == 0
    assert books["ledger_duplicates"] == 0
    assert set(books["notices"]) <= {"sent", "failed"}
    assert books["failed_without_reason"] == 0
