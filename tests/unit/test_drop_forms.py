"""An admin's `/newdrop` form (core/drop_forms.py): each answer is checked where it is given
and asked again when refused, and its confirmation makes one drop however often it is
tapped."""

from __future__ import annotations

import pytest

from core.drop_forms import FormEnded, Step
from core.models import Drop

ADMIN, CHAT = 42, 42
TIERS = "name=Zine, price=5.00 EUR, stock=3, kind=physical"


async def filled(world) -> None:
    forms = world.core.drop_forms
    await forms.begin(ADMIN, CHAT)
    for answer in ("Night drop", TIERS, "in 2h"):
        await forms.answer(ADMIN, CHAT, answer, "UTC")


async def test_each_refused_answer_says_why_and_the_form_stays_where_it_was(world):
    forms = world.core.drop_forms
    await forms.begin(ADMIN, CHAT)
    assert (await forms.answer(ADMIN, CHAT, "   ", "UTC")).problem == (
        "a title is 1 to 120 characters"
    )
    assert (await forms.answer(ADMIN, CHAT, "Night drop", "UTC")).step == Step.TIERS
    refused = await forms.answer(ADMIN, CHAT, "name=Zine, price=abc EUR, stock=1", "UTC")
    assert (refused.step, refused.problem is not None) == (Step.TIERS, True)
    assert (await forms.answer(ADMIN, CHAT, TIERS, "UTC")).step == Step.OPENS
    past = await forms.answer(ADMIN, CHAT, "2020-01-01T10:00+00:00", "UTC")
    assert (past.step, past.problem is not None) == (Step.OPENS, True)
    summary = await forms.answer(ADMIN, CHAT, "now", "UTC")
    assert (summary.step, summary.title, summary.opens_at) == (Step.CONFIRM, "Night drop", None)
    assert [tier.name for tier in summary.tiers] == ["Zine"]
    assert await Drop.all().count() == 0


async def test_text_without_a_form_is_not_an_answer(world):
    assert await world.core.drop_forms.answer(ADMIN, CHAT, "Night drop", "UTC") is None


async def test_create_tapped_twice_makes_one_drop_and_the_second_tap_hears_it_ended(world):
    await filled(world)
    forms = world.core.drop_forms
    made = await forms.finish(ADMIN, CHAT, create=True)
    assert made is not None
    assert made.status == "scheduled"
    with pytest.raises(FormEnded):
        await forms.finish(ADMIN, CHAT, create=True)
    assert await Drop.all().count() == 1


async def test_cancel_tapped_makes_nothing_and_ends_the_form(world):
    await filled(world)
    forms = world.core.drop_forms
    assert await forms.finish(ADMIN, CHAT, create=False) is None
    assert await Drop.all().count() == 0
    assert await forms.answer(ADMIN, CHAT, "Night drop", "UTC") is None


async def test_a_form_left_for_an_hour_cannot_be_confirmed(world):
    await filled(world)
    world.clock.advance(minutes=61)
    with pytest.raises(FormEnded):
        await world.core.drop_forms.finish(ADMIN, CHAT, create=True)
