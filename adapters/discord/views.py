"""Buy and waitlist buttons as one dynamic item: its `custom_id` names the action and the
tier, and the client registers the template at every start, so a post's buttons keep
working after a restart without any view kept in memory."""

from __future__ import annotations

import re
from typing import Any

import discord

from adapters.discord import fans

ACTIONS = {
    "buy": (fans.buy, discord.ButtonStyle.success),
    "wait": (fans.wait, discord.ButtonStyle.secondary),
}


class TierButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"dropcast:(?P<action>buy|wait):(?P<tier>[0-9]{1,12})",
):
    def __init__(self, action: str, tier_id: int, label: str = "") -> None:
        style = ACTIONS[action][1]
        custom_id = f"dropcast:{action}:{tier_id}"
        super().__init__(
            discord.ui.Button(label=label[:80] or action, style=style, custom_id=custom_id)
        )
        self.action, self.tier_id = action, tier_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> TierButton:
        return cls(match["action"], int(match["tier"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await ACTIONS[self.action][0](interaction, self.tier_id)
