"""What fans do on Discord, whichever way they start it (a button, `/buy`): every answer is
ephemeral, seen by that fan alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord

from adapters import wording
from core import privacy
from core.app import Core
from core.drops.views import HoldView
from core.errors import DropcastError
from core.fans import fan_for
from core.models import DropTier, Platform, PlatformAccount
from core.money import STARS

T = TypeVar("T")
DMS_CLOSED = (
    "\nI cannot DM you, so receipts and goods will not reach you: allow direct messages from "
    "this server's members, then use /me."
)


def core_of(interaction: discord.Interaction) -> Core:
    core: Core = interaction.client.core  # type: ignore[attr-defined]
    return core


async def fan_of(interaction: discord.Interaction) -> int:
    user = interaction.user
    return await fan_for(Platform.DISCORD, str(user.id), user.display_name)


async def say(interaction: discord.Interaction, text: str, **extra: Any) -> None:
    """Answer ephemerally, whether or not the interaction was deferred already."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, **extra)
    else:
        await interaction.response.send_message(text, ephemeral=True, **extra)


async def think(interaction: discord.Interaction) -> None:
    """Say "thinking…" before any work: Discord voids an interaction 3 seconds after it
    arrives unless a first response came, and a core call may post, DM or give roles on
    Discord (each a network round trip) before it returns."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)


async def answer(
    interaction: discord.Interaction,
    action: Awaitable[T],
    done: Callable[[T], str],
    refused: str = "{}.",
) -> None:
    """Run a core call for the user, deferred first, and answer with what it did, or with
    why it refused."""
    await think(interaction)
    await say(interaction, await wording.outcome(action, done, refused))


async def buy(interaction: discord.Interaction, tier_id: int) -> None:
    """Hold a unit and hand the fan their own pay link, inside Discord's 3 seconds: the
    answer is deferred first, as a pay link may take a call to Stripe."""
    await think(interaction)
    core, fan_id = core_of(interaction), await fan_of(interaction)
    if await DropTier.filter(id=tier_id, currency=STARS).exists():
        await say(interaction, "That tier is paid in Telegram Stars: buy it in our Telegram bot.")
        return
    try:
        hold = await core.holds.reserve(tier_id, fan_id)
        link = await core.holds.pay_link(hold.id, fan_id)
    except DropcastError as refusal:
        await say(interaction, f"{refusal}.")
        return
    await say(interaction, await _held(core, hold, fan_id), view=pay_button(link.url))


async def wait(interaction: discord.Interaction, tier_id: int) -> None:
    await answer(
        interaction,
        core_of(interaction).holds.join_waitlist(tier_id, await fan_of(interaction)),
        lambda place: f"You are number {place} on the waitlist; I will DM you a free unit.",
    )


async def rsvp(interaction: discord.Interaction, session_id: int) -> None:
    await answer(
        interaction,
        core_of(interaction).live.rsvp(session_id, await fan_of(interaction)),
        lambda session: (
            f"See you at {session.title}! I will DM you a day and ten minutes "
            "before, and at the start."
        ),
    )


def pay_button(url: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Pay now", url=url))
    return view


async def _held(core: Core, hold: HoldView, fan_id: int) -> str:
    pitch = await core.holds.pitch(hold.id)
    text = (
        f"Held for you until <t:{int(hold.expires_at.timestamp())}:t> "
        f"({wording.priced(hold.price, pitch)}).{wording.scarcity(pitch)}"
    )
    account = await PlatformAccount.get(fan_id=fan_id, platform=Platform.DISCORD)
    return text + ("" if account.dm_reachable else DMS_CLOSED)


async def forget(interaction: discord.Interaction, fan_id: int) -> None:
    """The confirming button of /forgetme; it names the fan it was shown to. Taking perk
    roles back is Discord's work: deferred first."""
    await think(interaction)
    done = await privacy.forget_account(
        Platform.DISCORD, str(interaction.user.id), fan_id, core_of(interaction).perks
    )
    await say(interaction, wording.FORGOTTEN if done else wording.FORGET_NOT_YOURS)


async def keep(interaction: discord.Interaction, _: int) -> None:
    await say(interaction, wording.KEPT)


async def opt_out(interaction: discord.Interaction, delivery_id: int) -> None:
    """The button on every campaign DM; pressed twice, it says so and changes nothing."""
    await think(interaction)
    fan_id = await fan_of(interaction)
    said_no = await core_of(interaction).consent.withdraw(
        fan_id, Platform.DISCORD, "the opt-out button"
    )
    await say(interaction, wording.OPTED_OUT if said_no else wording.ALREADY_OUT)
