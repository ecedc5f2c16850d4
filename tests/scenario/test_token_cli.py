"""`dropcast token mint|draw|list` and `dropcast stats tokens` as a creator runs them: a real
process on the test's database, exit codes and one-line refusals that make nothing."""

from __future__ import annotations

import pytest

from core.models import PerkToken, PerkTokenSet
from tests.scenario.dropcast_process import dropcast_on as run
from tests.unit.test_perk_tokens import attendees, listeners


async def test_a_creator_mints_lists_and_follows_a_set(world, tmp_path):
    session, heard = await listeners(world, [30, 5])
    minted = await run(
        world, tmp_path, "token", "mint", "Night owls", "--perk", "member_price",
        "--count", "3", "--to", f"listeners:{session}:10", "--expires", "+14d",
    )  # fmt: skip
    assert minted.returncode == 0, minted.stderr
    assert "#1 Night owls" in minted.stdout
    assert "member prices in drops for 7 days from redeeming" in minted.stdout
    holders = await PerkToken.all().order_by("number").values_list("holder_id", flat=True)
    assert list(holders) == [heard[0], None, None]  # one listened long enough: two unclaimed
    listed = await run(world, tmp_path, "token", "list")
    assert listed.returncode == 0, listed.stderr
    assert f"listeners of session #{session} over 10 min" in listed.stdout
    stats = await run(world, tmp_path, "stats", "tokens")
    assert stats.returncode == 0, stats.stderr
    assert "#1 Night owls" in stats.stdout
    assert "an association, not proof" in stats.stdout


async def test_a_giveaway_is_drawn_by_command_once_its_session_ended(world, tmp_path):
    session, came = await attendees(world, 3)
    args = ("--perk", "shout_out", "--count", "2", "--to", f"giveaway:{session}")
    minted = await run(world, tmp_path, "token", "mint", "Lucky", *args)
    assert minted.returncode == 0, minted.stderr
    assert "(not drawn yet)" in minted.stdout
    early = await run(world, tmp_path, "token", "draw", "1")
    assert (early.returncode, early.stderr.strip()) == (
        1, "dropcast: its session has not ended yet: it is drawn when it ends",
    )  # fmt: skip
    await world.core.live.end(session)  # drawn as it ends (the world's notices)
    again = await run(world, tmp_path, "token", "draw", "1")
    assert again.returncode == 0, again.stderr
    assert await PerkToken.filter(holder_id__in=came).count() == 2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--perk", "gold", "--count", "2", "--to", "listeners:1:1"), "'gold' is not a perk"),
        (("--perk", "shout_out", "--count", "2", "--to", "everyone"), "is not a rule"),
        (("--perk", "shout_out", "--count", "2", "--to", "buyers:99"), "there is no drop #99"),
        (("--perk", "perk", "--perk-name", "vip", "--count", "2", "--to", "listeners:1:1"),
         "there is no perk called 'vip'"),
        (("--perk", "shout_out", "--count", "2", "--to", "listeners:1:1", "--expires", "-1d"),
         "dropcast: "),
        (("--perk", "shout_out", "--count", "2", "--to", "listeners:1:1", "--window-days", "3",
          "--window-from", "+1d", "--window-until", "+3d"), "either in days"),
    ],
)  # fmt: skip
async def test_a_bad_set_is_refused_in_one_line_and_makes_nothing(world, tmp_path, args, says):
    await listeners(world, [30])
    refused = await run(world, tmp_path, "token", "mint", "Bad", *args)
    assert refused.returncode in (1, 2)
    assert refused.stderr.startswith("dropcast: ")
    assert says in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert await PerkTokenSet.all().count() == 0
