"""Buy on a physical tier of a drop with pop-ups: the fan first chooses "Ship to me" or a
pop-up (buttons, as one dynamic item that keeps working after a restart), then holds."""

from __future__ import annotations

import re
from typing import Any

import discord

from adapters import pickup_words
from adapters.discord import fans
from core.popups.places import PopUpView

SHIP = 0  # the choice button's pop-up number for "Ship to me"


class PickupChoice(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"dropcast:pick:(?P<tier>[0-9]{1,12}):(?P<pop_up>[0-9]{1,12})",
):
    def __init__(self, tier_id: int, pop_up_id: int, label: str) -> None:
        custom_id = f"dropcast:pick:{tier_id}:{pop_up_id}"
        style = discord.ButtonStyle.secondary if pop_up_id == SHIP else discord.ButtonStyle.success
        super().__init__(discord.ui.Button(label=label[:80], style=style, custom_id=custom_id))
        self.tier_id, self.pop_up_id = tier_id, pop_up_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PickupChoice:
        return cls(int(match["tier"]), int(match["pop_up"]), "")

    async def callback(self, interaction: discord.Interaction) -> None:
        chosen = None if self.pop_up_id == SHIP else self.pop_up_id
        await fans.buy(interaction, self.tier_id, pop_up_id=chosen)


async def buy_or_ask(interaction: discord.Interaction, tier_id: int, unknown: str = "") -> None:
    """Buy (`fans.buy`), unless the tier can be picked up at a pop-up: then ask first."""
    await fans.think(interaction)
    choices = await fans.core_of(interaction).pop_ups.choices(tier_id)
    if not choices:
        await fans.buy(interaction, tier_id, unknown)
        return
    await fans.say(
        interaction, pickup_words.question(choices), view=_choices_view(tier_id, choices)
    )


def _choices_view(tier_id: int, choices: list[PopUpView]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(PickupChoice(tier_id, SHIP, pickup_words.SHIP_TO_ME))
    for each in choices[:24]:  # Discord's 25 components a message
        view.add_item(PickupChoice(tier_id, each.id, pickup_words.choice(each)))
    return view
