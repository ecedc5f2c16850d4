"""Post and DM buttons as one dynamic item: its `custom_id` names the action (buy or join
the waitlist of a tier, sign up for a live session, opt out of campaign DMs, confirm
/forgetme) and what it is
about, and the client registers the template at every start, so buttons keep working after
a restart without any view kept in memory."""

from __future__ import annotations

import re
from typing import Any

import discord

from adapters.discord import fans, pickup_choice

ACTIONS = {
    "buy": (pickup_choice.buy_or_ask, discord.ButtonStyle.success),
    "wait": (fans.wait, discord.ButtonStyle.secondary),
    "rsvp": (fans.rsvp, discord.ButtonStyle.primary),
    "optout": (fans.opt_out, discord.ButtonStyle.secondary),  # on campaign DMs
    "forget": (fans.forget, discord.ButtonStyle.danger),  # confirms /forgetme
    "keep": (fans.keep, discord.ButtonStyle.secondary),
}


class PostButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"dropcast:(?P<action>buy|wait|rsvp|optout|forget|keep):(?P<ref>[0-9]{1,12})",
):
    def __init__(self, action: str, ref: int, label: str = "") -> None:
        style = ACTIONS[action][1]
        custom_id = f"dropcast:{action}:{ref}"
        super().__init__(
            discord.ui.Button(label=label[:80] or action, style=style, custom_id=custom_id)
        )
        self.action, self.ref = action, ref

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PostButton:
        return cls(match["action"], int(match["ref"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await ACTIONS[self.action][0](interaction, self.ref)
